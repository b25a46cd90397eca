"""Population scoring: the bulk path gives the per-journey numbers, case by case."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from careflow.gaps import find_gaps
from careflow.io.eventlog import journeys_from_rows, read_event_log
from careflow.model import EventKind, Journey
from careflow.population import BULK, NOT_IN_BULK, read_events, score_events
from careflow.population.findings import BULK_FINDINGS, FINDINGS_NOT_IN_BULK
from careflow.scoring import INDICATORS, score_journey

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_eventlog.py"
UNIT_NAMES = ["Vårdcentral", "Psykiatri", "Socialtjänst", "Hemtjänst", "FK", "Akuten"]
PRINCIPALS = ["region", "kommun", "other", "Landsting", "Kommun"]
CHANNELS = ["visit", "phone", "digital", "home_visit", "planning", "", "Telefon"]
KINDS = [k.value for k in EventKind]


def _per_journey(journey: Journey) -> dict[str, Any]:
    """Indicator values, målbild scores and finding counts of one journey, per journey."""
    profile = score_journey(journey)
    out: dict[str, Any] = {"overall": profile.overall}
    for target in profile.targets:
        out[f"target_{target.target.id}"] = target.score
        for scored in target.indicators:
            out[scored.id] = scored.value
    for code, n in Counter(f.code for f in find_gaps(journey)).items():
        out[f"finding_{code}"] = n
    return out


def _assert_same(journeys: Sequence[Journey], table: pl.DataFrame, skip: Mapping[str, str]) -> None:
    """Every bulk column equals the per-journey value to 1e-9, null exactly where None."""
    assert table.get_column("case").to_list() == [j.id for j in journeys]
    rows = table.to_dicts()
    finding_cols = [c for c in table.columns if c.startswith("finding_")]
    value_cols = [c for c in table.columns if c not in {"case", "events", *finding_cols}]
    for journey, row in zip(journeys, rows, strict=True):
        expected = _per_journey(journey)
        assert row["events"] == len(journey.events)
        for column in value_cols:
            if column in skip:
                assert row[column] is None, column
                continue
            want, got = expected[column], row[column]
            if want is None or got is None:
                assert want is got, (journey.id, column, want, got)
            else:
                assert math.isclose(want, got, rel_tol=0, abs_tol=1e-9), (journey.id, column)
        for column in finding_cols:
            assert row[column] == expected.get(column, 0), (journey.id, column)
        unlisted = {
            c
            for c in expected
            if c.startswith("finding_") and c not in finding_cols and c not in skip
        }
        assert not unlisted, unlisted


def test_every_indicator_has_a_bulk_expression_or_is_listed() -> None:
    """Each registered indicator is in BULK (pointing at its own function) or NOT_IN_BULK."""
    assert set(BULK) | set(NOT_IN_BULK) == set(INDICATORS)
    assert not set(BULK) & set(NOT_IN_BULK)
    for ind_id, bulk in BULK.items():
        assert bulk.per_journey is INDICATORS[ind_id].function
    assert not set(BULK_FINDINGS) & set(FINDINGS_NOT_IN_BULK)


@st.composite
def _logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Event-log rows with ties in time, mixed dates and datetimes, every kind and channel."""
    principal_of = {u: draw(st.sampled_from(PRINCIPALS)) for u in UNIT_NAMES}
    stamps = draw(
        st.lists(
            st.tuples(st.integers(0, 400), st.sampled_from([None, "08:00", "13:30:15", "09:05"])),
            min_size=1,
            max_size=8,
        )
    )
    rows = []
    for c in range(draw(st.integers(1, 4))):
        for _ in range(draw(st.integers(1, 14))):
            days, clock = draw(st.sampled_from(stamps))
            date = dt.date(2023, 1, 1) + dt.timedelta(days=days)
            unit = draw(st.sampled_from(UNIT_NAMES))
            rows.append(
                {
                    "case_id": f"K{c}",
                    "timestamp": date.isoformat() + ("" if clock is None else f" {clock}"),
                    "activity": draw(st.sampled_from([unit, "Besök", "", "treatment"])),
                    "unit": unit,
                    "principal": principal_of[unit],
                    "kind": draw(st.sampled_from(KINDS)),
                    "contact_type": draw(st.sampled_from(CHANNELS)),
                    "staff": draw(st.sampled_from(["", "s1", "s2"])),
                    "diagnosis": draw(st.sampled_from(["", "F10.2", "F32"])),
                    "reason": draw(st.sampled_from(["", "other_condition", "capacity"])),
                }
            )
    return draw(st.permutations(rows))


@given(_logs())
def test_bulk_equals_per_journey_on_generated_logs(rows: list[dict[str, Any]]) -> None:
    """For generated logs, every bulk value equals the per-journey value (1e-9, same nulls)."""
    journeys = journeys_from_rows(rows)
    scores = score_events(read_events(pl.DataFrame(rows)))
    _assert_same(journeys, scores.table, scores.not_computed)


@given(_logs())
def test_bulk_equals_per_journey_without_kind_column(rows: list[dict[str, Any]]) -> None:
    """Without a kind column (kinds read from the activity), bulk still equals per journey."""
    bare = [{k: v for k, v in r.items() if k != "kind"} for r in rows]
    journeys = journeys_from_rows(bare)
    scores = score_events(read_events(pl.DataFrame(bare)))
    _assert_same(journeys, scores.table, scores.not_computed)


@pytest.fixture(scope="module")
def rich_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared rich workload at 2,000 cases (Parquet), made by the shared generator."""
    if not GENERATOR.exists():
        pytest.skip("the shared benchmark generator is not next to this checkout")
    out = tmp_path_factory.mktemp("rich")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--rich", "2000", "42", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "care_2000_rich.parquet"


def test_bulk_equals_per_journey_on_the_rich_workload(rich_log: Path) -> None:
    """On 2,000 rich cases, every bulk value equals the per-journey value, case by case."""
    journeys = read_event_log(rich_log)
    scores = score_events(read_events(rich_log))
    assessable = {
        i: scores.table.get_column(i).is_not_null().sum() for i in scores.indicator_ids
    }
    assert sum(1 for n in assessable.values() if n) >= 8  # the workload exercises them
    _assert_same(journeys, scores.table, scores.not_computed)


def test_bulk_reads_the_rich_csv_like_its_parquet(rich_log: Path) -> None:
    """The CSV and the Parquet file of one workload score the same."""
    csv_scores = score_events(read_events(rich_log.with_suffix(".csv"))).table
    pq_scores = score_events(read_events(rich_log)).table
    assert csv_scores.equals(pq_scores)
