"""The careflow command: exit codes, one-paragraph errors, full output at a pinned width."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.scoring import profile_schema
from tests.conftest import EXAMPLES
from tests.test_io import MINIMAL

EXAMPLE_FILES = sorted(str(p) for p in EXAMPLES.glob("*.yaml"))

BAD_FILES: dict[str, bytes] = {
    "empty.yaml": b"",
    "syntax.yaml": b"id: [unclosed\n",
    "top.yaml": b"- just\n- a list\n",
    "types.yaml": MINIMAL.replace("warm: false", "warm: 3").encode(),
    "unknown.yaml": MINIMAL.replace("kind: crisis", "kind: crisis, colour: red").encode(),
    "dangling.yaml": MINIMAL.replace("from: e2", "from: e9").encode(),
    "duplicate.yaml": MINIMAL.replace("id: e3", "id: e2").encode(),
    "date.yaml": MINIMAL.replace("2024-01-20", "2024-13-01").encode(),
    "binary.yaml": b"\x7fELF\x02\x01\x01\x00\x00\x00",
    "latin1.yaml": "id: Malm\xf6\n".encode("latin-1"),
    "deep.yaml": b"[" * 3000 + b"]" * 3000,
    "bomb.yaml": (
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"a{i}: &a{i} [{','.join(['*a' if i == 1 else f'*a{i - 1}'] * 10)}]\n"
            for i in range(1, 8)
        )
    ).encode(),
    "tag.yaml": b"id: !!python/object/apply:os.system ['echo pwned']\n",
    "bad.json": b'{"id": "x", "id": "y"}',
}


def test_version(runner: CliRunner) -> None:
    """--version prints the program name and version."""
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("careflow, version ")


def test_help_lists_every_command(runner: CliRunner) -> None:
    """--help names each command with a one-line description."""
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "schema", "score"):
        assert command in result.output


def test_validate_examples(runner: CliRunner) -> None:
    """Every bundled example validates, with a summary line each."""
    result = runner.invoke(main, ["validate", *EXAMPLE_FILES])
    assert result.exit_code == 0, result.output
    assert result.output.count("\nok ") + result.output.startswith("ok ") == len(EXAMPLE_FILES)


def test_validate_usage_error_exits_2(runner: CliRunner) -> None:
    """Validate with no file is a usage error, exit code 2."""
    assert runner.invoke(main, ["validate"]).exit_code == 2


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_exits_1_with_one_paragraph(tmp_path: Path, runner: CliRunner, name: str) -> None:
    """Each bad-input class exits 1 with one paragraph naming the file, and writes nothing."""
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    before = sorted(tmp_path.iterdir())
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith(f"careflow: error: {path}")
    assert result.output.count("\n") == 1
    assert sorted(tmp_path.iterdir()) == before


def test_one_bad_file_among_good_ones(tmp_path: Path, runner: CliRunner) -> None:
    """The good files are still reported and the exit code is 1."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("")
    result = runner.invoke(main, ["validate", EXAMPLE_FILES[0], str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("ok ")


def test_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    """Run as a process, a hostile file gives exit 1 and one stderr line, no traceback."""
    path = tmp_path / "tag.yaml"
    path.write_bytes(BAD_FILES["tag.yaml"])
    proc = subprocess.run(
        [sys.executable, "-m", "careflow", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert "pwned" not in proc.stdout + proc.stderr.split(":", 3)[-1].replace("'echo pwned'", "")


def test_schema_prints_valid_json_schema(runner: CliRunner) -> None:
    """`careflow schema` prints a JSON Schema that the bundled examples satisfy (as JSON)."""
    import careflow

    result = runner.invoke(main, ["schema"])
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in EXAMPLE_FILES:
        jsonschema.validate(careflow.journey_to_dict(careflow.load_journey(path)), schema)
    profile = json.loads(runner.invoke(main, ["schema", "--kind", "profile"]).output)
    assert profile == profile_schema()


def test_score_json_lines_validate(runner: CliRunner) -> None:
    """`score --format json` writes one valid profile object per line."""
    result = runner.invoke(main, ["score", *EXAMPLE_FILES, "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(EXAMPLE_FILES)
    for line in lines:
        jsonschema.validate(json.loads(line), profile_schema())


def test_score_csv_has_one_row_per_journey(runner: CliRunner) -> None:
    """`score --format csv`: one row per journey, scores in [0, 1] or empty, and the basis.

    ``overall_basis`` says how many målbilder the overall rests on.
    """
    result = runner.invoke(main, ["score", *EXAMPLE_FILES, "--format", "csv"])
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:4] == ["journey", "overall", "overall_basis", "target_1"]
    assert len(rows) == 1 + len(EXAMPLE_FILES)
    for row in rows[1:]:
        assert 5 <= int(row[2]) <= 10
        for cell in (row[1], *row[3:]):
            assert cell == "" or 0.0 <= float(cell) <= 1.0


def test_score_table_fits_80_columns(runner: CliRunner) -> None:
    """The default table is readable at 80 columns, in Swedish and English."""
    for lang, word in (("sv", "Totalt"), ("en", "Overall")):
        result = runner.invoke(main, ["score", EXAMPLE_FILES[0], "--lang", lang])
        assert result.exit_code == 0
        assert word in result.output
        assert max(len(line) for line in result.output.splitlines()) <= 80
    many = runner.invoke(main, ["score", *EXAMPLE_FILES])
    assert max(len(line) for line in many.output.splitlines()) <= 80


def test_score_with_nara_vard_framework(runner: CliRunner) -> None:
    """--framework nara-vard scores the five focus areas."""
    result = runner.invoke(
        main, ["score", EXAMPLE_FILES[0], "--framework", "nara-vard", "--lang", "sv"]
    )
    assert result.exit_code == 0
    assert "Digitalisering" in result.output


def test_unknown_framework_is_one_clear_error(runner: CliRunner) -> None:
    """An unknown framework name is exit 1 with a message naming the built-in ones."""
    result = runner.invoke(main, ["score", EXAMPLE_FILES[0], "--framework", "nope"])
    assert result.exit_code == 1
    assert "malbilder" in result.output
    assert "Traceback" not in result.output


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`careflow score ... | head -1`: the reader leaving is not an error or a traceback."""
    log = tmp_path / "log.csv"
    rows = "".join(f"C{i},2024-01-{1 + i % 28:02d},Unit {i % 3}\n" for i in range(3000))
    log.write_text("case_id,timestamp,unit\n" + rows)
    with subprocess.Popen(
        [sys.executable, "-m", "careflow", "score", str(log), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0
    assert json.loads(first)["journey"] == "C0"
    assert "Traceback" not in err
    assert "internal error" not in err
