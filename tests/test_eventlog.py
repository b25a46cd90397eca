"""Event logs: one journey per case, order-independent, pm4py names, Parquet, clear errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import careflow
from careflow.cli import main
from careflow.errors import JourneyFileError
from careflow.gaps import find_gaps
from careflow.io.eventlog import (
    CaseLimit,
    CaseTooLargeError,
    EventLogColumns,
    journeys_from_rows,
    read_event_log,
    read_event_log_report,
)
from careflow.scoring import score_journey

HEADER = ["case_id", "timestamp", "activity", "unit", "principal", "contact_type"]
UNITS = [
    ("Vårdcentral", "region"),
    ("Psykiatrisk öppenvård", "region"),
    ("Socialtjänst vuxen", "kommun"),
    ("Beroendevård kommun", "kommun"),
    ("Försäkringskassan", "other"),
]
TYPES = ["visit", "phone", "digital", "home_visit", "planning"]


def _rows(cases: int = 6, seed: int = 7) -> list[list[str]]:
    """A small log in the benchmark generator's layout, with deliberate timestamp ties."""
    rng = random.Random(seed)
    rows = []
    for c in range(cases):
        day = dt.datetime(2024, 1, 1) + dt.timedelta(days=rng.randrange(300))
        for _ in range(rng.randrange(2, 12)):
            unit, principal = rng.choice(UNITS)
            if rng.random() < 0.7:  # the rest share the previous timestamp: ties to break
                day += dt.timedelta(hours=rng.randrange(1, 200))
            rows.append([f"C{c:02d}", day.isoformat(), unit, unit, principal, rng.choice(TYPES)])
    return rows


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _write(tmp_path: Path, text: str | bytes, name: str = "log.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


ROWS = _rows()


def test_one_journey_per_case_sorted_by_case_id(tmp_path: Path) -> None:
    """Each case becomes a journey with its events in time order and units as actors."""
    journeys = read_event_log(_write(tmp_path, _csv(ROWS)))
    assert [j.id for j in journeys] == sorted({r[0] for r in ROWS})
    for journey in journeys:
        rows = [r for r in ROWS if r[0] == journey.id]
        assert len(journey.events) == len(rows)
        assert [e.id for e in journey.timeline] == [f"e{i}" for i in range(1, len(rows) + 1)]
        stamps = [e.timestamp for e in journey.timeline]
        assert stamps == sorted(stamps)
        assert {a.name for a in journey.actors} == {r[3] for r in rows}
        assert journey.person.id == journey.id


def test_handover_at_every_change_of_unit(tmp_path: Path) -> None:
    """Consecutive events at different units are linked by a handover of unknown quality."""
    (journey, *_) = read_event_log(_write(tmp_path, _csv(ROWS)))
    timeline = journey.timeline
    changes = [(a.id, b.id) for a, b in itertools.pairwise(timeline) if a.actor != b.actor]
    assert [(t.source, t.target) for t in journey.transitions] == changes
    assert all(t.kind is careflow.TransitionKind.HANDOVER for t in journey.transitions)
    assert all(t.information is careflow.Information.UNKNOWN for t in journey.transitions)


@given(st.permutations(ROWS))
def test_shuffled_log_gives_exactly_the_same_journeys(shuffled: list[list[str]]) -> None:
    """Rows in any order give equal journeys: time, then kind rank, then content breaks ties."""
    assert journeys_from_rows(_dicts(shuffled)) == journeys_from_rows(_dicts(ROWS))


def _dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(HEADER, r, strict=True)) for r in rows]


def test_shuffled_csv_file_equals_sorted_csv_file(tmp_path: Path) -> None:
    """The file reader, too: a shuffled CSV and a sorted one read the same."""
    shuffled = list(ROWS)
    random.Random(1).shuffle(shuffled)
    a = read_event_log(_write(tmp_path, _csv(sorted(ROWS)), "sorted.csv"))
    b = read_event_log(_write(tmp_path, _csv(shuffled), "shuffled.csv"))
    assert a == b


def test_ties_are_broken_by_kind_then_content() -> None:
    """At one timestamp a help-seeking comes before the assessment it led to."""
    rows = [
        {"case_id": "A", "timestamp": "2024-03-01T10:00", "activity": "assessment", "unit": "X"},
        {"case_id": "A", "timestamp": "2024-03-01T10:00", "activity": "help_seeking", "unit": "X"},
        {"case_id": "A", "timestamp": "2024-03-01T10:00", "activity": "contact", "unit": "B"},
    ]
    (journey,) = journeys_from_rows(rows)
    assert [(e.kind.value, journey.actor_of(e).name) for e in journey.timeline] == [
        ("help_seeking", "X"),
        ("contact", "B"),
        ("assessment", "X"),
    ]


def test_pm4py_column_names_work_without_configuration(tmp_path: Path) -> None:
    """pm4py's names and time-zone-aware timestamps (as pm4py writes them) are understood."""
    header = ["case:concept:name", "concept:name", "time:timestamp", "org:resource", "org:group"]
    rows = [
        ["7", "Bedömning", "2024-02-01T09:00:00+01:00", "Psykiatrin", "region"],
        ["7", "Remiss", "2024-02-01T10:00:00+01:00", "Psykiatrin", "region"],
        ["7", "Första kontakt", "2024-02-20T13:30:00Z", "Socialtjänsten", "kommun"],
    ]
    (journey,) = read_event_log(_write(tmp_path, _csv(rows, header)))
    assert journey.id == "7"
    kinds = [e.kind.value for e in journey.timeline]
    assert kinds == ["assessment", "referral", "first_contact"]
    assert journey.timeline[0].date == dt.datetime(2024, 2, 1, 9, 0)  # Stockholm time, naive
    assert {a.principal.value for a in journey.actors} == {"region", "kommun"}
    assert [c.transition.id for c in careflow.graph.boundary_crossings(journey)] == ["t1"]


def test_configured_column_names(tmp_path: Path) -> None:
    """Other names are given with EventLogColumns; a kind column is read as event kinds."""
    header = ["pnr_pseudo", "datum", "enhet", "hm", "typ"]
    rows = [
        ["x1", "2024-05-02", "Beroendemottagningen", "Region", "behandling"],
        ["x1", "2024-05-01", "Beroendemottagningen", "region", "Bedömning"],
    ]
    columns = EventLogColumns(
        case="pnr_pseudo", timestamp="datum", unit="enhet", principal="hm", kind="typ"
    )
    (journey,) = read_event_log(_write(tmp_path, _csv(rows, header)), columns=columns)
    assert [e.kind.value for e in journey.timeline] == ["assessment", "treatment"]
    assert journey.timeline[0].date == dt.date(2024, 5, 1)
    with pytest.raises(JourneyFileError, match="'nope' is not in the header") as info:
        read_event_log(_write(tmp_path, _csv(rows, header)), columns=EventLogColumns(case="nope"))
    assert info.value.line == 1


def test_contact_types_map_to_channels(tmp_path: Path) -> None:
    """visit, phone, digital and home_visit become channels; planning is left unguessed."""
    rows = [["A", f"2024-01-0{i + 1}", "U", "U", "region", t] for i, t in enumerate(TYPES)]
    (journey,) = read_event_log(_write(tmp_path, _csv(rows)))
    channels = [e.channel.value if e.channel else None for e in journey.timeline]
    assert channels == ["in_person", "phone", "digital", "outreach", None]


def test_parquet_reads_the_same_as_csv(tmp_path: Path) -> None:
    """A Parquet log (typed timestamps) gives the same journeys as its CSV twin."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "case_id": [r[0] for r in ROWS],
            "timestamp": [dt.datetime.fromisoformat(r[1]) for r in ROWS],
            "activity": [r[2] for r in ROWS],
            "unit": [r[3] for r in ROWS],
            "principal": [r[4] for r in ROWS],
            "contact_type": [r[5] for r in ROWS],
        }
    )
    pq.write_table(table, tmp_path / "log.parquet")
    from_parquet = careflow.load_journeys(tmp_path / "log.parquet")
    from_csv = careflow.load_journeys(_write(tmp_path, _csv(ROWS)))
    assert from_parquet == from_csv


def test_a_bare_log_is_mostly_not_assessable_and_claims_nothing_it_cannot_see(
    tmp_path: Path,
) -> None:
    """Without kinds or plans, SIP, waits and ping-pong are not assessable and not findings."""
    rows = [
        ["A", "2024-01-01", "P", "P", "region", "visit"],
        ["A", "2024-01-05", "S", "S", "kommun", "visit"],
        ["A", "2024-03-01", "P", "P", "region", "visit"],
        ["A", "2024-09-01", "S", "S", "kommun", "visit"],
    ]
    (journey,) = read_event_log(_write(tmp_path, _csv(rows)))
    profile = score_journey(journey)
    results = {i.result.id: i.result for t in profile.targets for i in t.indicators}
    for key in ("joint_plan", "ping_pong", "wait_to_appointment"):
        assert results[key].value is None
        assert "not recorded" in results[key].explanation_en
    assert results["unit_continuity"].value is not None
    assert find_gaps(journey) == []


BAD_LOGS: dict[str, tuple[bytes, str, int | None]] = {
    "empty.csv": (b"", "empty", None),
    "header_only.csv": (b"case_id,timestamp,unit\n", "no rows", None),
    "no_case.csv": (b"id,timestamp,unit\n1,2024-01-01,U\n", "no case", 1),
    "cells.csv": (b"case_id,timestamp,unit\nA,2024-01-01\n", "2 cells; expected 3", 2),
    "date.csv": (b"case_id,timestamp,unit\nA,2024-01-01,U\nA,2024-02-30,U\n", "not a real", 3),
    "year.csv": (b"case_id,timestamp,unit\nA,0024-01-01,U\n", "year", 2),
    "principal.csv": (
        b"case_id,timestamp,unit,principal\nA,2024-01-01,U,landstinget\n",
        "not a principal",
        2,
    ),
    "two_principals.csv": (
        b"case_id,timestamp,unit,principal\nA,2024-01-01,U,region\nA,2024-01-02,U,kommun\n",
        "one principal per unit",
        3,
    ),
    "empty_case.csv": (b"case_id,timestamp,unit\n,2024-01-01,U\n", "empty", 2),
    "control.csv": (b"case_id,timestamp,unit\nA,2024-01-01,U\x07nit\n", "control", 2),
    "binary.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", None),
    "quote.csv": (b'case_id,timestamp,unit\nA,2024-01-01,"U\n', "not valid CSV", 2),
    "dup.csv": (b"case_id,case_id,timestamp,unit\n", "more than once", 1),
    "kind.csv": (b"case_id,timestamp,unit,kind\nA,2024-01-01,U,party\n", "kind of event", 2),
}


@pytest.mark.parametrize("name", sorted(BAD_LOGS))
def test_bad_logs_fail_with_file_line_and_column(tmp_path: Path, name: str) -> None:
    """Each bad log raises one JourneyFileError naming the file, and the line where known."""
    data, expected, line = BAD_LOGS[name]
    path = _write(tmp_path, data, name)
    with pytest.raises(JourneyFileError, match=expected) as info:
        read_event_log(path)
    assert info.value.file == str(path)
    assert info.value.line == line


def test_bad_log_through_the_cli_is_one_paragraph(tmp_path: Path, runner: CliRunner) -> None:
    """The CLI prints the located message, no traceback, and exits 1."""
    path = _write(tmp_path, b"case_id,timestamp,unit\nA,2024-01-01,U\nA,yesterday,U\n")
    result = runner.invoke(main, ["score", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3, at timestamp: 'yesterday' is not a date" in result.output
    assert "Traceback" not in result.output


def test_limits_stop_runaway_logs(tmp_path: Path) -> None:
    """More rows or bytes than the limits give a clear error, not a hang."""
    path = _write(tmp_path, _csv(ROWS))
    with pytest.raises(JourneyFileError, match="more than 5 rows"):
        read_event_log(path, max_rows=5)
    with pytest.raises(JourneyFileError, match="more than the limit of 100"):
        read_event_log(path, max_bytes=100)


def test_broken_parquet_is_a_clear_error(tmp_path: Path) -> None:
    """A file named .parquet that is not Parquet says so."""
    pytest.importorskip("pyarrow")
    path = _write(tmp_path, b"PAR1 but not really", "log.parquet")
    with pytest.raises(JourneyFileError, match="not a readable Parquet file") as info:
        read_event_log(path)
    assert info.value.file == str(path)


def test_cli_scores_one_row_per_case(tmp_path: Path, runner: CliRunner) -> None:
    """`careflow score LOG --format csv` writes one row per case, in case order."""
    path = _write(tmp_path, _csv(ROWS))
    result = runner.invoke(main, ["score", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["journey"] for r in table] == sorted({r[0] for r in ROWS})
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    assert f"{len({r[0] for r in ROWS})} journeys, {len(ROWS)} events" in result.output


def test_rows_in_memory_name_the_row_and_column_on_error() -> None:
    """journeys_from_rows errors say which row (from 1) and column, and the source."""
    rows = [
        {"case_id": "A", "timestamp": dt.date(2024, 1, 1), "unit": "U"},
        {"case_id": "A", "timestamp": dt.datetime(1850, 1, 1), "unit": "U"},
    ]
    with pytest.raises(JourneyFileError, match="year 1850") as info:
        journeys_from_rows(rows, source="extract")
    assert info.value.file == "extract"
    assert info.value.path == "row 2, timestamp"
    assert str(info.value).startswith("extract, at row 2, timestamp: ")


_LIMIT_ROWS = [
    ["C1", "2024-01-01", "a", "Vårdcentral", "region", "visit"],
    ["C2", "2024-01-01", "a", "Vårdcentral", "region", "visit"],
    ["C1", "2024-01-02", "a", "Vårdcentral", "region", "visit"],
    ["C1", "2024-01-03", "a", "Vårdcentral", "region", "visit"],
    ["C2", "2024-01-02", "a", "Vårdcentral", "region", "visit"],
    ["C1", "2024-01-04", "a", "Vårdcentral", "region", "visit"],
    ["C1", "not a date", "a", "Vårdcentral", "region", "visit"],
]


def test_a_case_limit_stops_reading_at_the_row_that_crosses_it(tmp_path: Path) -> None:
    """CaseLimit(events=3): the 4th row of C1 (line 7) stops the read, before the bad row."""
    path = _write(tmp_path, _csv(_LIMIT_ROWS))
    with pytest.raises(CaseTooLargeError) as info:
        read_event_log_report(path, case_limit=CaseLimit(events=3))
    assert (info.value.case, info.value.limit, info.value.line) == ("C1", 3, 7)
    assert isinstance(info.value, JourneyFileError)
    assert "case 'C1' has more than 3 events" in str(info.value)


def test_a_case_limit_on_one_case_counts_only_that_case(tmp_path: Path) -> None:
    """CaseLimit(case="C2"): C1's four good rows are not counted; the read goes on to the end."""
    path = _write(tmp_path, _csv(_LIMIT_ROWS[:-1]))
    limited = read_event_log_report(path, case_limit=CaseLimit(events=2, case="C2")).journeys
    assert limited == read_event_log(path)
    with pytest.raises(CaseTooLargeError, match="'C2'"):
        read_event_log_report(path, case_limit=CaseLimit(events=1, case="C2"))


def test_a_case_limit_in_parquet_names_the_row(tmp_path: Path) -> None:
    """In a Parquet log the refusal names the row (``row 4``), as other Parquet errors do."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    good = _LIMIT_ROWS[:-1]
    table = pa.table({name: [r[i] for r in good] for i, name in enumerate(HEADER)})
    pq.write_table(table, tmp_path / "log.parquet")
    with pytest.raises(CaseTooLargeError) as info:
        read_event_log_report(tmp_path / "log.parquet", case_limit=CaseLimit(events=2))
    assert (info.value.case, info.value.path, info.value.line) == ("C1", "row 4", None)
