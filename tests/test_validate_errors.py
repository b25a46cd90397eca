"""Validation reports every error in a journey file (up to a limit), not only the first."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import careflow
from careflow.cli import main
from careflow.contracts import output_schema
from careflow.io.journey_file import MAX_ERRORS

BAD = """\
careflow: 1
id: bad
person: {id: p, needs: [housing]}
colour: blue
actors:
  - {id: a1, name: A, principal: regoin}
  - {id: a2, principal: kommun}
events:
  - {id: e1, date: 2024-13-01, actor: a1, kind: contact}
  - {id: e2, date: 2024-01-02, actor: a1, kind: visitt}
  - {id: e3, date: 2024-01-03, actor: a1, kind: contact}
"""
EXPECTED = [
    (4, "colour", "unknown key 'colour'"),
    (6, "actors[0].principal", "'regoin' is not a valid principal (did you mean 'region'?)"),
    (7, "actors[1]", "the key 'name' is required"),
    (9, "events[0].date", "'2024-13-01' is not a real date"),
    (10, "events[1].kind", "'visitt' is not a valid kind"),
]


def _bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_load_raises_the_first_error_with_the_others_in_document_order(tmp_path: Path) -> None:
    """The raised error is the first problem; ``more`` holds the rest, each located."""
    with pytest.raises(careflow.JourneyFileError) as info:
        careflow.load_journey(_bad(tmp_path))
    errors = [info.value, *info.value.more]
    assert [(e.line, e.path) for e in errors] == [(line, path) for line, path, _ in EXPECTED]
    for error, (_, _, text) in zip(errors, EXPECTED, strict=True):
        assert text in error.message
        assert error.file == str(tmp_path / "bad.yaml")


def test_validate_prints_every_error_of_a_file(tmp_path: Path, runner: CliRunner) -> None:
    """`careflow validate` prints one line per error and exits 1; JSON lists them all."""
    path = _bad(tmp_path)
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(EXPECTED)
    for line, (number, where, text) in zip(lines, EXPECTED, strict=True):
        assert line.startswith(f"careflow: error: {path}:{number}, at {where}: ")
        assert text in line
    out = runner.invoke(main, ["validate", str(path), "--format", "json"])
    record = json.loads(out.stdout)
    jsonschema.validate(record, output_schema("validate"))
    assert [(e["line"], e["path"]) for e in record["errors"]] == [(n, p) for n, p, _ in EXPECTED]


def test_validate_stops_at_the_error_limit(tmp_path: Path, runner: CliRunner) -> None:
    """A file with more errors than the limit reports the limit and says it stopped."""
    events = "\n".join(
        f"  - {{id: e{i}, date: 2024-01-01, actor: a1, kind: nonsense}}" for i in range(40)
    )
    path = tmp_path / "many.yaml"
    path.write_text(
        "id: many\nperson: {id: p}\nactors:\n  - {id: a1, name: A, principal: region}\n"
        f"events:\n{events}\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == MAX_ERRORS + 1
    assert lines[-1].endswith(f"stopped after {MAX_ERRORS} errors; fix these and run again")
    assert "events[19].kind" in lines[-2]


def test_cross_checks_run_once_the_structure_is_right(tmp_path: Path) -> None:
    """A dangling reference is reported when the rest of the file reads."""
    path = tmp_path / "ref.yaml"
    path.write_text(
        "id: r\nperson: {id: p}\nactors:\n  - {id: a1, name: A, principal: region}\n"
        "events:\n  - {id: e1, date: 2024-01-01, actor: nobody, kind: contact}\n",
        encoding="utf-8",
    )
    with pytest.raises(careflow.JourneyFileError, match="nobody") as info:
        careflow.load_journey(path)
    assert info.value.more == ()


def test_an_event_log_reports_every_bad_row(tmp_path: Path, runner: CliRunner) -> None:
    """Each bad row of an event log is reported with its line, in row order."""
    path = tmp_path / "log.csv"
    path.write_text(
        "case,date,unit,activity,principal\n"
        "c1,2024-01-01,Psyk,contact,region\n"
        "c1,2024-13-01,Psyk,contact,region\n"
        "c2,2024-01-03,Soc,contact,kommunn\n"
        "c2,notadate,Soc,contact,kommun\n",
        encoding="utf-8",
    )
    with pytest.raises(careflow.JourneyFileError) as info:
        careflow.read_event_log(path)
    errors = [info.value, *info.value.more]
    assert [(e.line, e.path) for e in errors] == [(3, "date"), (4, "principal"), (5, "date")]
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 3
