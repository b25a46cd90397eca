"""Hostile inputs through the CLI: each is exit 1 naming the file, with nothing written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import time
from pathlib import Path

import pytest

import careflow
from careflow.render.journey_map import MAX_DRAWN_EVENTS
from tests.hostile.conftest import Run, assert_refused, listing
from tests.test_io import MINIMAL

#: Journey files careflow must refuse, by name: the text of each.
BAD_JOURNEYS: dict[str, str] = {
    "inf.yaml": MINIMAL.replace("{id: P-1,", "{id: P-1, x: .Inf,"),
    "inf_value.yaml": MINIMAL + "observed_until: .inf\n",
    "nan.yaml": MINIMAL.replace("warm: false", "warm: .NaN"),
    "bidi_id.yaml": MINIMAL.replace("id: J1", 'id: "J\\u202e1"'),
    "isolate_id.yaml": MINIMAL.replace("id: e1,", 'id: "e\\u20661",'),
    "c1_id.yaml": MINIMAL.replace("id: J1", 'id: "J\\x9b1"'),
    "bidi_text.yaml": MINIMAL.replace("name: Psykakuten", 'name: "Psyk\\u202eakuten"'),
    "escape_text.yaml": MINIMAL.replace("name: Psykakuten", 'name: "\\e[31mPsykakuten"'),
    "surrogate.yaml": MINIMAL.replace("name: Psykakuten", 'name: "Psyk\\ud800"'),
}
BAD_JSON: dict[str, str] = {
    "bigint.json": '{"careflow": ' + "9" * 5000 + "}",
    "bigfloat.json": '{"careflow": 1.' + "5" * 5000 + "}",
    "surrogate.json": (
        '{"id": "J1", "person": {"id": "P"}, "actors": [{"id": "a", "name": "x\\ud800", '
        '"principal": "region"}], "events": [{"id": "e", "date": "2024-01-01", "actor": "a", '
        '"kind": "contact"}]}'
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_JOURNEYS) + sorted(BAD_JSON))
@pytest.mark.parametrize("command", ["validate", "score", "gaps"])
def test_bad_inputs_are_careflow_errors(work: Path, run: Run, name: str, command: str) -> None:
    """Non-finite YAML numbers, huge JSON numbers, bidi/C1/surrogates: exit 1 naming the file."""
    path = work / name
    path.write_text({**BAD_JOURNEYS, **BAD_JSON}[name], encoding="utf-8", errors="surrogatepass")
    before = listing(work)
    result = run(command, str(path))
    assert_refused(result, name)
    assert result.stdout.count("\n") <= 1  # at most the header of an empty score table
    assert listing(work) == before


def test_a_sexagesimal_id_is_taken_as_written(work: Path, run: Run) -> None:
    """`id: 1:20.5` (a YAML 1.1 base-60 float) is the id "1:20.5", not an internal error."""
    path = work / "sexa.yaml"
    path.write_text(MINIMAL.replace("id: J1", "id: 1:20.5"), encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert careflow.load_journey(path).id == "1:20.5"


@pytest.mark.parametrize("first", ["=", "+", "-", "@"])
def test_csv_ids_cannot_become_formulas(work: Path, run: Run, first: str) -> None:
    """An id starting a spreadsheet formula is written with a leading ' in score CSV."""
    journey_id = f"{first}HYPERLINK(1)"
    path = work / "f.yaml"
    path.write_text(MINIMAL.replace("id: J1", f'id: "{journey_id}"'), encoding="utf-8")
    result = run("score", str(path), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[1][0] == "'" + journey_id
    raw = run("score", str(path), "--format", "csv", "--csv-raw")
    assert list(csv.reader(io.StringIO(raw.stdout)))[1][0] == journey_id


@pytest.mark.parametrize("first", ["\t", "\r"])
def test_csv_tab_and_carriage_return_are_neutralised(first: str) -> None:
    """Tab and carriage return at the start of a text cell get the quote too (OWASP)."""
    from careflow.cli import csv_text

    assert csv_text(f"{first}=1") == f"'{first}=1"
    assert csv_text("case-1") == "case-1"


def _framework(work: Path, old: str, new: str) -> Path:
    text = (Path(careflow.__file__).parent / "targets" / "nara_vard.yaml").read_text("utf-8")
    assert old in text
    path = work / "fw.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("weight: 2}", "weight: 1.0e+308}"),
        ("weight: 2}", "weight: 0}"),
        ("weight: 2}", "weight: .nan}"),
        ("weight: 2}", "weight: -1}"),
        ("name_en: ", 'name_en: "\\e[2J\\e[31m" #'),
        ("name_en: ", 'name_en: "\\u202e" #'),
        ("id: 1\n", "id: 100000\n"),
        ("framework: 1", "framework: 1\nextra: 2"),
    ],
)
def test_bad_framework_files_are_refused(work: Path, run: Run, old: str, new: str) -> None:
    """Framework files are validated like journeys: bounds, text rules, schema; exit 1."""
    path = _framework(work, old, new)
    before = listing(work)
    result = run("score", str(work / "in.yaml"), "--framework", str(path), "--format", "csv")
    assert_refused(result, "fw.yaml")
    assert "nan" not in result.stdout
    assert "\x1b" not in result.stderr
    assert listing(work) == before


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom"])
def test_an_endless_framework_file_is_refused_at_once(work: Path, run: Run, source: str) -> None:
    """`--framework /dev/zero` reads at most 1 MiB and stops with a clear error."""
    start = time.monotonic()
    result = run("score", str(work / "in.yaml"), "--framework", source)
    assert_refused(result, source)
    assert time.monotonic() - start < 10


def test_a_folder_as_framework_is_refused(work: Path, run: Run) -> None:
    """A folder given as --framework is exit 1 naming it."""
    result = run("score", str(work / "in.yaml"), "--framework", str(work))
    assert_refused(result, str(work))


def _long_log(path: Path, n: int) -> Path:
    """An event log of one case with ``n`` events on distinct days."""
    start = dt.date(2000, 1, 1)
    lines = ["case_id,timestamp,unit,activity"]
    lines += [f"C1,{start + dt.timedelta(days=i)},u{i % 7},contact" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["render", "report"])
def test_a_journey_too_large_to_draw_fails_fast(work: Path, run: Run, command: str) -> None:
    """A 1,001-event journey map is refused in seconds, saying what to draw instead."""
    log = _long_log(work / "long.csv", 1001)
    out = work / ("map.svg" if command == "render" else "r.html")
    before = listing(work)
    start = time.monotonic()
    result = run(command, str(log), "-o", str(out))
    elapsed = time.monotonic() - start
    assert_refused(result, "long.csv:1002")
    assert "has more than 1,000 events" in result.stderr
    assert "--kind actors" in result.stderr
    assert "Traceback" not in result.output
    assert elapsed < 20
    assert listing(work) == before


@pytest.mark.parametrize("command", ["render", "report"])
def test_a_huge_journey_is_refused_before_the_log_is_read_whole(
    work: Path, run: Run, command: str
) -> None:
    """100,000 events in one case: refused at the 1,001st, before a malformed tail is reached.

    The log's last line is broken (three cells for four columns): reading the whole log
    would report that line. The refusal names the row that crossed the limit instead, so
    the reading stopped there, and nothing is written.
    """
    log = _long_log(work / "huge.csv", 100_000)
    with log.open("a", encoding="utf-8") as fh:
        fh.write("C1,2300-01-01,broken\n")
    out = work / ("map.svg" if command == "render" else "r.html")
    before = listing(work)
    result = run(command, str(log), "-o", str(out), "--journey", "C1")
    assert_refused(result, "huge.csv:1002")
    assert "the journey 'C1' has more than 1,000 events" in result.stderr
    assert "careflow render --kind actors" in result.stderr
    assert "cells" not in result.stderr
    assert listing(work) == before


def test_a_huge_case_beside_the_chosen_one_does_not_stop_its_map(work: Path, run: Run) -> None:
    """Only the case named with --journey is counted: a small case beside a huge one draws."""
    log = _long_log(work / "two.csv", MAX_DRAWN_EVENTS + 5)
    with log.open("a", encoding="utf-8") as fh:
        fh.write("C2,2001-01-01,u1,contact\nC2,2001-01-02,u2,contact\n")
    result = run("render", str(log), "--journey", "C2", "-o", str(work / "c2.dot"))
    assert result.exit_code == 0, result.stderr
    assert (work / "c2.dot").read_text(encoding="utf-8").startswith("digraph")
    refused = run("render", str(log), "--journey", "C1", "-o", str(work / "c1.dot"))
    assert_refused(refused, "two.csv")
    assert not (work / "c1.dot").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_pdf_is_byte_identical_across_runs(work: Path, run: Run) -> None:
    """Two renders of the same journey to PDF, a second apart, give the same bytes."""
    first, second = work / "a.pdf", work / "b.pdf"
    assert run("render", str(work / "in.yaml"), "-o", str(first)).exit_code == 0
    time.sleep(1.1)
    assert run("render", str(work / "in.yaml"), "-o", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert b"/CreationDate (D:19700101000000" in first.read_bytes()


def test_a_journey_at_the_limit_is_still_drawn(work: Path, run: Run) -> None:
    """A journey of exactly MAX_DRAWN_EVENTS events is drawn (DOT), not refused."""
    log = _long_log(work / "long.csv", MAX_DRAWN_EVENTS)
    result = run("render", str(log), "-o", str(work / "map.dot"))
    assert result.exit_code == 0, result.stderr
    assert (work / "map.dot").read_text(encoding="utf-8").startswith("digraph")


def test_csv_keeps_an_id_with_a_line_separator_whole(work: Path, run: Run) -> None:
    """An id holding U+2028 stays one CSV cell on one row (no split at the separator)."""
    path = work / "sep.yaml"
    path.write_text(MINIMAL.replace("id: J1", 'id: "J\\u20281"'), encoding="utf-8")
    result = run("score", str(path), "--format", "csv", "-o", str(work / "out.csv"))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO((work / "out.csv").read_text(encoding="utf-8"))))
    assert [row[0] for row in rows] == ["journey", "J\u20281"]


@pytest.mark.parametrize("command", ["validate", "score", "gaps", "render", "report"])
def test_a_law_careflow_does_not_know_is_a_located_error(
    work: Path, run: Run, command: str
) -> None:
    """A legal basis no rule reads (issue 12) stops the run: exit 1, file and line, no output."""
    log = work / "lagrum.csv"
    log.write_text(
        "lopnr;datum;enhet;aktivitet;lagrum\n"
        "1;2025-02-03;LVM-hem;Inskrivning;LVM\n"
        "1;2025-04-14;Avd 3;Inskrivning;Tvång enligt LXX\n",
        encoding="utf-8",
    )
    out = work / ("r.html" if command == "report" else "out.dot")
    args = ["-o", str(out)] if command in {"render", "report"} else []
    before = listing(work)
    result = run(command, str(log), *args)
    assert_refused(result, "lagrum.csv:3, at lagrum: 'Tvång enligt LXX' is not a legal basis")
    assert listing(work) == before
