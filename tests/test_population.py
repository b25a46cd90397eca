"""Population scoring: the bulk path gives the per-journey numbers, case by case."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
import jsonschema
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from careflow import gaps
from careflow.cli import main
from careflow.errors import JourneyFileError
from careflow.gaps import find_gaps
from careflow.graph import loops as per_journey_loops
from careflow.io.eventlog import journeys_from_rows, read_event_log
from careflow.io.mapping import DiagnosisRule, LogMapping, UnitRule, normalise_code
from careflow.model import KIND_RANK, Aspect, EventKind, Journey, Need, ServiceKind
from careflow.population import BULK, NOT_IN_BULK, ScoreTable, read_events, score_events
from careflow.population import aggregate as aggregate_module
from careflow.population._arith import days_between, divided
from careflow.population._read import _RANKS
from careflow.population._sums import group_sums
from careflow.population.aggregate import (
    SCORE_BINS,
    TOTAL,
    Aggregates,
    AggregationError,
    aggregate,
    combine,
)
from careflow.population.findings import (
    BULK_FINDINGS,
    FINDINGS_NOT_IN_BULK,
    FROM_INDICATORS,
    PER_JOURNEY,
    ZERO,
)
from careflow.population.indicators import case_facts
from careflow.population.journeys import journey_of_case
from careflow.population.output import population_schema
from careflow.population.privacy import constraints, count_columns, is_personal_id, suppress
from careflow.scoring import INDICATORS, score_journey
from careflow.scoring.facts import day_number
from careflow.scoring.profile import HIGH_FINDING_CAP
from careflow.targets import framework_from_dict

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_eventlog.py"
UNIT_NAMES = ["Vårdcentral", "Psykiatri", "Socialtjänst", "Hemtjänst", "FK", "Akuten"]
PRINCIPALS = ["region", "kommun", "other", "Landsting", "Kommun"]
CHANNELS = ["visit", "phone", "digital", "home_visit", "planning", "", "Telefon"]
KINDS = [k.value for k in EventKind if k is not EventKind.DEATH]


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
    out.update(_deaths(journey))
    return out


def _deaths(journey: Journey) -> dict[str, int]:
    """``died`` and ``died_within_30d_of_discharge``, read from the journey's timeline."""
    death = journey.death
    if death is None:
        return {"died": 0, "died_within_30d_of_discharge": 0}
    near = any(
        e.kind is EventKind.DISCHARGE
        and max(0.0, (death.timestamp - e.timestamp).total_seconds() / 86_400.0) <= 30.0
        for e in journey.timeline
    )
    return {"died": 1, "died_within_30d_of_discharge": int(near)}


#: Columns computed in bulk for every log (no mapping): compulsory_care_ended is counted
#: per journey for the cases with compulsory care, so the målbilder it caps are scored.
ALWAYS_COMPUTED: Final = ("finding_compulsory_care_ended", "target_4", "target_9", "overall")


def _assert_same(journeys: Sequence[Journey], table: pl.DataFrame, skip: Mapping[str, str]) -> None:
    """Every bulk column equals the per-journey value to 1e-9, null exactly where None.

    ``skip`` (the columns not computed) holds none of :data:`ALWAYS_COMPUTED`.
    """
    assert not set(skip) & set(ALWAYS_COMPUTED), skip
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


DIAGNOSES = ["", "F10.2", "F32", "F20", "NA"]
LEGAL_BASES = ["LPT", "LVM", "none", ""]


def _death_row(
    draw: st.DrawFn, last: dict[str, Any], last_day: dt.date, principal_of: Mapping[str, str]
) -> dict[str, Any]:
    """A death after everything else: by date on the last day, at its end, or days later."""
    how = draw(st.sampled_from(["date", "late", "later"]))
    when = (
        last_day.isoformat()
        if how == "date"
        else f"{last_day.isoformat()} 23:30"
        if how == "late"
        else (last_day + dt.timedelta(days=draw(st.integers(1, 60)))).isoformat()
    )
    unit = draw(st.sampled_from([last["unit"], *principal_of]))
    return {
        **last,
        "timestamp": when,
        "kind": "death",
        "unit": unit,
        "principal": principal_of[unit],
        "activity": unit,
        "legal_basis": "",
    }


def test_every_finding_code_is_counted_in_bulk_or_listed() -> None:
    """Each code a detector of careflow.gaps can give is in BULK_FINDINGS or listed as not.

    The codes that cannot fire on a journey from a log count 0 by construction, with the
    reason (ZERO); the property tests check that they are indeed 0 per journey.
    """
    codes = set(re.findall(r'\bcode="(\w+)"', inspect.getsource(gaps)))
    assert set(BULK_FINDINGS) | set(FINDINGS_NOT_IN_BULK) | set(FROM_INDICATORS) == codes
    assert set(ZERO) <= set(BULK_FINDINGS)
    for code, finding in BULK_FINDINGS.items():
        assert finding.detector in gaps.DETECTORS, code
    assert {c for c, f in BULK_FINDINGS.items() if f.per_journey is not None} == set(PER_JOURNEY)
    assert BULK_FINDINGS["compulsory_care_ended"].detector is gaps.compulsory_care_ended


@st.composite
def _logs(
    draw: st.DrawFn, units: Sequence[str] = tuple(UNIT_NAMES), most: int = 14
) -> list[dict[str, Any]]:
    """Event-log rows with ties in time, mixed dates and datetimes, every kind and channel.

    Deaths (at most one per case, after every other event: by date alone on the last
    day, which sorts last but is at midnight, late that day, or later), legal bases on
    every row (kept only on episodes), diagnoses naming both needs.
    """
    principal_of = {u: draw(st.sampled_from(PRINCIPALS)) for u in units}
    stamps = draw(
        st.lists(
            st.tuples(st.integers(0, 400), st.sampled_from([None, "08:00", "13:30:15", "09:05"])),
            min_size=1,
            max_size=8,
        )
    )
    rows = []
    for c in range(draw(st.integers(1, 4))):
        days_of_case = []
        for _ in range(draw(st.integers(1, most))):
            days, clock = draw(st.sampled_from(stamps))
            date = dt.date(2023, 1, 1) + dt.timedelta(days=days)
            days_of_case.append(date)
            unit = draw(st.sampled_from(units))
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
                    "diagnosis": draw(st.sampled_from(DIAGNOSES)),
                    "reason": draw(st.sampled_from(["", "other_condition", "capacity"])),
                    "legal_basis": draw(st.sampled_from(LEGAL_BASES)),
                }
            )
        if draw(st.booleans()):  # nothing may follow a death
            rows.append(_death_row(draw, rows[-1], max(days_of_case), principal_of))
    return draw(st.permutations(rows))


@settings(max_examples=40)
@given(_logs())
def test_bulk_equals_per_journey_on_generated_logs(rows: list[dict[str, Any]]) -> None:
    """For generated logs, every bulk value equals the per-journey value (1e-9, same nulls)."""
    journeys = journeys_from_rows(rows)
    scores = score_events(read_events(pl.DataFrame(rows)))
    _assert_same(journeys, scores.table, scores.not_computed)


@settings(max_examples=60)
@given(_logs())
def test_events_stand_in_the_per_journey_order(rows: list[dict[str, Any]]) -> None:
    """Each case's events stand in the per-journey reader's order, ties in time included."""
    events = read_events(pl.DataFrame(rows), allow_personal_ids=True)
    for journey in journeys_from_rows(rows):
        names = {a.id: a.name for a in journey.actors}
        expected = [(e.kind.value, names[e.actor], e.timestamp) for e in journey.events]
        case = events.filter(pl.col("case") == journey.id)
        assert case.get_column("pos").to_list() == list(range(case.height))
        got = case.select(pl.col("kind").cast(pl.String), pl.col("unit").cast(pl.String), "ts")
        assert [(k, u, t) for k, u, t in got.iter_rows()] == [
            (k, u, t.replace(tzinfo=None)) for k, u, t in expected
        ]


@settings(max_examples=200)
@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31)))
def test_day_is_the_per_journey_day_number(stamp: dt.datetime) -> None:
    """An event's ``day`` is day_number of its time to the bit, before 1970 too."""
    rows = [{"case_id": "K0", "timestamp": stamp.isoformat(), "unit": "U", "kind": "contact"}]
    events = read_events(pl.DataFrame(rows), allow_personal_ids=True)
    assert events.item(0, "day") == day_number(stamp)


@settings(max_examples=200)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40),
    st.sampled_from([3.0, 83.0, 1e6, 86_400.0, 7.5]),
)
def test_a_column_divided_by_a_constant_is_pythons_quotient(values: list[float], by: float) -> None:
    """Each row's quotient is Python's to the bit (polars' reciprocal is not), in any chunks."""
    column = pl.Series("x", values, dtype=pl.Float64)
    whole = column.to_frame().select(divided(pl.col("x"), by)).to_series()
    chunked = pl.concat([column[:1], column[1:]], rechunk=False)
    cut = chunked.to_frame().select(divided(pl.col("x"), by)).to_series()
    assert whole.to_list() == cut.to_list() == [v / by for v in values]


@settings(max_examples=200)
@given(st.lists(st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)), min_size=2))
def test_days_between_are_the_per_journey_days(stamps: list[dt.datetime]) -> None:
    """Days between events are (b - a).total_seconds() / 86400 as per journey, to the bit."""
    frame = pl.DataFrame({"a": stamps, "b": stamps[1:] + stamps[:1]})
    got = frame.select(days_between(pl.col("a"), pl.col("b"))).to_series().to_list()
    assert got == [(b - a).total_seconds() / 86_400.0 for a, b in frame.iter_rows()]


def test_time_and_rank_make_one_sort_key() -> None:
    """Every kind's rank is below the factor that joins it to the time in one sort key."""
    assert max(KIND_RANK.values()) < _RANKS


@settings(max_examples=50)
@given(_logs())
def test_the_case_column_is_marked_sorted_only_because_it_is(rows: list[dict[str, Any]]) -> None:
    """The events' case column carries polars' sorted flag, which groups by slices: true.

    Polars trusts the flag without checking it; a flag on rows out of case order would
    mix cases in every per-case table. The case enum's categories are in text order and
    the rows in the order of their codes.
    """
    case = read_events(pl.DataFrame(rows)).get_column("case")
    assert case.flags["SORTED_ASC"]
    codes = case.to_physical()
    assert codes.to_list() == sorted(codes.to_list())
    categories = case.dtype.categories.to_list()  # type: ignore[attr-defined]
    assert categories == sorted(categories)


@settings(max_examples=30)
@given(_logs())
def test_bulk_equals_per_journey_without_kind_column(rows: list[dict[str, Any]]) -> None:
    """Without a kind column (kinds read from the activity), bulk still equals per journey."""
    bare = [{k: v for k, v in r.items() if k != "kind"} for r in rows]
    journeys = journeys_from_rows(bare)
    scores = score_events(read_events(pl.DataFrame(bare)))
    _assert_same(journeys, scores.table, scores.not_computed)


#: A mapping's units (services) and diagnoses (everyday needs too), as p-map's reader
#: will put them in the events table; here set on the table the way that reader does.
MAPPED_UNITS: Final = {
    "Psykiatri": ServiceKind.PSYCHIATRIC_OUTPATIENT,
    "Beroende": ServiceKind.ADDICTION_MEDICINE,
    "Socialtjänst": ServiceKind.SOCIAL_SERVICES,
    "PAM": ServiceKind.PSYCHIATRIC_EMERGENCY,
    "Boendestöd": ServiceKind.HOUSING_SUPPORT,
    "Brukarstöd": ServiceKind.PEER_SUPPORT,
    "Team": ServiceKind.INTEGRATED_TEAM,
    "Vårdcentral": ServiceKind.PRIMARY_CARE,
    "Granne": ServiceKind.OTHER,
}
MAPPED_DIAGNOSES: Final = (
    DiagnosisRule(first="F10", last="F19", need=Need.SUBSTANCE_USE.value),
    DiagnosisRule(first="F20", last="F48", need=Need.MENTAL_HEALTH.value),
    DiagnosisRule(first="Z59", last="Z59", need=Need.HOUSING.value),
    DiagnosisRule(first="Z56", last="Z56", need=Need.OCCUPATION.value),
)


def _mapped_events(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The events table with the mapping's services and needs (what p-map's reader gives)."""
    events = read_events(pl.DataFrame(rows))
    needs = {
        code: next((r.need for r in MAPPED_DIAGNOSES if r.matches(normalise_code(code))), None)
        for code in events.get_column("diagnosis").unique().to_list()
    }
    return events.with_columns(
        service=pl.col("unit")
        .cast(pl.String)
        .replace_strict({u: s.value for u, s in MAPPED_UNITS.items()}, return_dtype=pl.String),
        need=pl.col("diagnosis").cast(pl.String).replace_strict(needs, return_dtype=pl.String),
    )


def _bulk_indicators(
    events: pl.DataFrame, recorded_completely: frozenset[Aspect]
) -> list[dict[str, Any]]:
    """Every BULK indicator per case, from the facts (``case_facts``) and values."""
    facts = case_facts(events.lazy(), BULK.values(), recorded_completely=recorded_completely)
    values = facts.select("case", *[b.value().alias(i) for i, b in BULK.items()])
    return values.collect().to_dicts()


@settings(max_examples=40)
@given(
    _logs(units=tuple(MAPPED_UNITS)),
    st.sets(st.sampled_from(list(Aspect))).map(frozenset),
)
def test_bulk_equals_per_journey_with_services_needs_and_declarations(
    rows: list[dict[str, Any]], declared: frozenset[Aspect]
) -> None:
    """With a mapping's services and needs, declared recorded completely or not, bulk = per journey.

    Exercises peer support, everyday needs, the emergency and condition rules of
    follow-up after discharge, informal units, and contacts or plans declared complete.
    """
    for row in rows:
        row["diagnosis"] = row["diagnosis"] or ("Z59" if row["kind"] == "need_signal" else "")
        row["principal"] = "informell" if row["unit"] == "Granne" else row["principal"]
    mapping = LogMapping(
        units=tuple(UnitRule(match=u, service=s) for u, s in MAPPED_UNITS.items()),
        diagnoses=MAPPED_DIAGNOSES,
        recorded_completely=frozenset(a.value for a in declared),
    )
    journeys = journeys_from_rows(rows, mapping=mapping)
    got = _bulk_indicators(_mapped_events(rows), declared)
    assert [r["case"] for r in got] == [j.id for j in journeys]
    for journey, row in zip(journeys, got, strict=True):
        want = {s.id: s.value for t in score_journey(journey).targets for s in t.indicators}
        for ind in BULK:
            expected, bulk = want[ind], row[ind]
            if expected is None or bulk is None:
                assert expected is bulk, (journey.id, ind, expected, bulk)
            else:
                assert math.isclose(expected, bulk, abs_tol=1e-9), (journey.id, ind)


@settings(max_examples=15)
@given(_logs(units=("A", "B", "C"), most=60))
def test_bulk_equals_per_journey_on_long_back_and_forth_journeys(
    rows: list[dict[str, Any]],
) -> None:
    """Long journeys among three units give the per-journey values.

    Many referral loops, closures and discharges: the loop chain and the held-by-nobody
    rules in bulk.
    """
    journeys = journeys_from_rows(rows)
    scores = score_events(read_events(pl.DataFrame(rows)))
    _assert_same(journeys, scores.table, scores.not_computed)


def test_referral_loops_are_counted_as_per_journey() -> None:
    """A back-and-forth between units and principals gives the loops careflow.graph finds.

    Returns to a unit and, through other units, to a principal, with a treatment that
    breaks a chain: ping_pong is 1 / (1 + loops), loops counted as per journey.
    """
    steps = [
        ("Psykiatri", "region", "referral"),
        ("Beroende", "region", "assessment"),
        ("Psykiatri", "region", "contact"),
        ("Beroende", "region", "treatment"),
        ("Psykiatri", "region", "referral"),
        ("Socialtjänst", "kommun", "assessment"),
        ("Vårdcentral", "region", "contact"),
        ("Hemtjänst", "kommun", "contact"),
        ("Akuten", "region", "contact"),
    ]
    rows = [
        {
            "case_id": "K0",
            "timestamp": (dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat(),
            "unit": unit,
            "principal": principal,
            "kind": kind,
        }
        for i, (unit, principal, kind) in enumerate(steps)
    ]
    (journey,) = journeys_from_rows(rows)
    expected = per_journey_loops(journey)
    assert len(expected) == 5
    assert {loop.level for loop in expected} == {"unit", "principal"}
    ping_pong = score_events(read_events(pl.DataFrame(rows))).table.get_column("ping_pong")
    assert ping_pong.to_list() == [1 / (1 + len(expected))]


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
    assessable = {i: scores.table.get_column(i).is_not_null().sum() for i in scores.indicator_ids}
    assert sum(1 for n in assessable.values() if n) >= 8  # the workload exercises them
    _assert_same(journeys, scores.table, scores.not_computed)


def test_bulk_reads_the_rich_csv_like_its_parquet(rich_log: Path) -> None:
    """The CSV and the Parquet file of one workload score the same."""
    csv_scores = score_events(read_events(rich_log.with_suffix(".csv"))).table
    pq_scores = score_events(read_events(rich_log)).table
    assert csv_scores.equals(pq_scores)


# -- aggregation ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rich_scored(rich_log: Path) -> tuple[pl.DataFrame, ScoreTable]:
    """The rich workload's events and per-case scores."""
    events = read_events(rich_log)
    return events, score_events(events)


#: A framework whose målbilder use only indicators the bulk path computes, with ids no
#: high-severity finding is tied to, so their score histograms are published in bulk.
BULK_FRAMEWORK: Final = framework_from_dict(
    {
        "framework": 1,
        "id": "bulk-only",
        "name_sv": "Bara bulk",
        "name_en": "Bulk only",
        "source": "tests",
        "targets": [
            {
                "id": tid,
                "key": f"bulk{tid}",
                "name_sv": f"Bulk {tid}",
                "name_en": f"Bulk {tid}",
                "meaning_sv": "Indikatorer som räknas i bulk.",
                "meaning_en": "Indicators computed in bulk.",
                "indicators": [{"id": ind, "weight": 1}],
            }
            for tid, ind in [
                (1, "redirections"),
                (6, "entry_points"),
                (7, "joint_plan"),
                (10, "treatment_completion"),
            ]
        ],
    }
)


@pytest.fixture(scope="module")
def rich_binned(rich_log: Path) -> tuple[pl.DataFrame, ScoreTable]:
    """The rich workload scored against :data:`BULK_FRAMEWORK` (a published histogram)."""
    events = read_events(rich_log)
    return events, score_events(events, BULK_FRAMEWORK)


def test_aggregates_count_what_the_journeys_hold(
    rich_log: Path, rich_scored: tuple[pl.DataFrame, ScoreTable]
) -> None:
    """Journeys per unit, handovers and målbild means match counts made from the journeys."""
    events, scores = rich_scored
    journeys = read_event_log(rich_log)
    agg = aggregate(events, scores, "unit")
    per_unit = Counter(a.name for j in journeys for a in j.actors)
    rows = {r["unit"]: r for r in agg.table.to_dicts()}
    assert {u: rows[u]["journeys"] for u in per_unit} == dict(per_unit)
    total = rows[TOTAL]
    assert total["journeys"] == len(journeys)
    assert total["handovers"] == sum(len(j.transitions) for j in journeys)
    # målbild 7 is one the bulk path computes (see not_computed for the others)
    target_7 = [s for j in journeys if (s := score_journey(j).target(7).score) is not None]
    assert target_7
    assert total["target_7_n"] == len(target_7)
    assert math.isclose(total["target_7_mean"], sum(target_7) / len(target_7), abs_tol=1e-9)


@pytest.mark.parametrize("by", ["period", "unit", "boundary", "principal", "diagnosis"])
def test_aggregates_add_up_across_disjoint_parts(
    rich_scored: tuple[pl.DataFrame, ScoreTable], by: str
) -> None:
    """Aggregating two halves of a log (split by case) and adding them gives the whole."""
    events, scores = rich_scored
    cases = scores.table.get_column("case")
    half = set(cases.to_list()[::2])
    parts = []
    for keep in (True, False):
        mask = pl.col("case").cast(pl.String).is_in(sorted(half))
        part_events = events.filter(mask if keep else ~mask)
        part_scores = attrs.evolve(scores, table=scores.table.filter(mask if keep else ~mask))
        parts.append(aggregate(part_events, part_scores, by, period="month"))
    whole = aggregate(events, scores, by, period="month")
    combined = combine(parts)
    keys = list(whole.keys)
    left = whole.table.sort(keys, nulls_last=True)
    right = combined.table.select(whole.table.columns).sort(keys, nulls_last=True)
    for column in whole.table.columns:
        a, b = left.get_column(column).to_list(), right.get_column(column).to_list()
        if column in keys or left.schema[column].is_integer():
            assert a == b, column
        else:
            assert all(
                (x is None and y is None) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
                for x, y in zip(a, b, strict=True)
            ), column


@pytest.mark.parametrize("by", ["unit", "boundary", "period"])
def test_fixed_point_sums_are_the_exact_decimal_sums(
    rich_scored: tuple[pl.DataFrame, ScoreTable], by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 64-bit fixed-point sums give the bytes the 128-bit decimal sums give."""
    events, scores = rich_scored
    fixed = aggregate(events, scores, by)
    monkeypatch.setattr(aggregate_module, "_FIXED_JOURNEYS", 0)  # too many: decimal sums
    exact = aggregate(events, scores, by)
    assert_frame_equal(fixed.table, exact.table, check_exact=True)


def _both_ways(
    events: pl.DataFrame, scores: ScoreTable, by: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Aggregates, Aggregates]:
    """``aggregate`` with every group summed by the matrix product, then by group_by."""
    products: list[int] = []

    def counted(*args: Any) -> Any:
        products.append(1)
        return group_sums(*args)

    with monkeypatch.context() as patch:
        patch.setattr(aggregate_module, "group_sums", counted)
        patch.setattr(aggregate_module, "_DENSE", 10**9)
        patch.setattr(aggregate_module, "_DENSE_GROUPS", 10**9)
        dense = aggregate(events, scores, by, period="month")
        assert products or dense.table.height == 1, "the matrix product was not used"
        patch.setattr(aggregate_module, "_DENSE", 0)
        products.clear()
        joined = aggregate(events, scores, by, period="month")
        assert not products, "the matrix product was used"
    return dense, joined


@pytest.mark.parametrize("by", ["unit", "principal", "boundary", "period", "staff"])
def test_group_sums_by_product_and_by_group_by_are_the_same_bytes(
    rich_scored: tuple[pl.DataFrame, ScoreTable], by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Either way of adding up a group's journeys gives the same table, to the bit."""
    events, scores = rich_scored
    dense, joined = _both_ways(events, scores, by, monkeypatch)
    assert dense.table.height > 2
    assert_frame_equal(dense.table, joined.table, check_exact=True)


@settings(max_examples=40, deadline=None)
@given(_logs(), st.sampled_from(["unit", "boundary", "period"]))
def test_group_sums_agree_on_generated_logs(rows: list[dict[str, Any]], by: str) -> None:
    """The same on generated logs (few journeys, empty groups, nulls, deaths)."""
    events = read_events(pl.DataFrame(rows))
    scores = score_events(events)
    with pytest.MonkeyPatch.context() as monkeypatch:
        dense, joined = _both_ways(events, scores, by, monkeypatch)
    assert_frame_equal(dense.table, joined.table, check_exact=True)


@settings(max_examples=200)
@given(st.lists(st.sampled_from([0.0, *SCORE_BINS, -0.1, 1.1]) | st.floats(-0.5, 1.5)))
def test_a_score_falls_in_the_histogram_bin_of_its_edges(values: list[float]) -> None:
    """A score's bin is the i with lo <= score < hi (the last bin closed), none outside."""

    def expected(value: float) -> int | None:
        lo = 0.0
        for i, hi in enumerate(SCORE_BINS):
            last = i == len(SCORE_BINS) - 1
            if lo <= value and (value <= hi if last else value < hi):
                return i
            lo = hi
        return None

    series = pl.Series("x", values, dtype=pl.Float64)
    bins = series.to_frame().select(aggregate_module._bin(pl.col("x"))).to_series()
    assert bins.to_list() == [expected(v) for v in values]


@settings(max_examples=300)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=50))
def test_fixed_point_rounds_as_the_decimal_cast(values: list[float]) -> None:
    """A score in 1e-12 units is what the 128-bit decimal cast makes of it."""
    series = pl.Series("x", values, dtype=pl.Float64)
    units = series.to_frame().select(aggregate_module._fixed_point(pl.col("x"))).to_series()
    decimal = series.cast(pl.Decimal(38, 12)).to_physical().cast(pl.Int64)
    assert units.to_list() == decimal.to_list()


@settings(max_examples=300)
@given(st.integers(0, 2**63 - 1))
@example(28_032_378_937_535_482)  # from the rich workload: dividing by 1e12 rounds it down
def test_fixed_point_sum_is_the_float_nearest_the_exact_sum(units: int) -> None:
    """A sum in 1e-12 units becomes the float nearest it, beyond 2**53 units too."""
    table = pl.DataFrame({"x_sum": [units], "x_sumsq": [0]})
    as_float = aggregate_module._fixed_floats(table, ["x"]).item(0, "x_sum")
    assert as_float == float(Decimal(units).scaleb(-12))


@settings(max_examples=30)
@given(_logs())
def test_aggregated_handovers_are_the_journeys_handovers(rows: list[dict[str, Any]]) -> None:
    """Handovers per receiving unit and in total are the journeys' handover transitions.

    A death recorded at another unit changes the unit but is no handover (issue 12), so
    generated logs with deaths at any unit check that the aggregate counts none there.
    """
    journeys = journeys_from_rows(rows)
    events = read_events(pl.DataFrame(rows))
    agg = aggregate(events, score_events(events), "unit")
    expected: Counter[str] = Counter()
    for j in journeys:
        for t in j.transitions:
            expected[j.actor_of(j.event(t.target)).name] += 1
    table = {r["unit"]: r["handovers"] for r in agg.table.to_dicts()}
    assert table.pop(TOTAL) == sum(expected.values())
    assert {u: n for u, n in table.items() if n} == dict(expected)


def test_aggregates_count_deaths_per_group_under_the_small_cell_rules() -> None:
    """Deaths (and deaths soon after a discharge) are counted per group under suppression.

    They add up per group, per 1,000 journeys is derived from them, and a count below
    the minimum is suppressed like any other count.
    """
    rows = []
    for i in range(12):
        unit = "A" if i < 8 else "B"
        rows.append({"case_id": f"K{i:02}", "timestamp": "2023-01-01", "unit": unit,
                     "kind": "discharge"})  # fmt: skip
        if i % 2:
            day = "2023-01-20" if i < 10 else "2023-03-01"
            rows.append({"case_id": f"K{i:02}", "timestamp": day, "unit": unit, "kind": "death"})
    events = read_events(pl.DataFrame(rows))
    agg = aggregate(events, score_events(events), "unit")
    table = {r["unit"]: r for r in agg.table.to_dicts()}
    assert {u: table[u]["deaths"] for u in ("A", "B", TOTAL)} == {"A": 4, "B": 2, TOTAL: 6}
    assert table["B"]["deaths_within_30d_of_discharge"] == 1
    assert table[TOTAL]["deaths_within_30d_of_discharge"] == 5
    assert table["A"]["deaths_per_1000"] == 500.0
    assert "deaths" in count_columns(agg)
    published = {r["unit"]: r for r in suppress(agg, min_count=3).table.to_dicts()}
    assert published["A"]["deaths"] == 4
    assert published["B"]["deaths_within_30d_of_discharge"] is None


def test_an_unknown_grouping_is_refused(rich_scored: tuple[pl.DataFrame, ScoreTable]) -> None:
    """Grouping by a column the log does not have is a clear error."""
    events, scores = rich_scored
    with pytest.raises(AggregationError, match="cannot group by 'ward'"):
        aggregate(events, scores, "ward")


# -- privacy -------------------------------------------------------------------------------


def test_personal_ids_are_recognised() -> None:
    """Personnummer and samordningsnummer (date, serial, Luhn) are told from other ids."""
    assert is_personal_id("19121212-1212")
    assert is_personal_id("121212+1212")
    assert is_personal_id("201212121212") is is_personal_id("1212121212")
    assert is_personal_id("121272-1219")  # samordningsnummer: day 12 + 60
    assert not is_personal_id("121212-1213")  # wrong check digit
    assert not is_personal_id("121312-1212")  # month 13
    assert not is_personal_id("C000017")


def test_a_log_with_personal_ids_is_refused_without_showing_them() -> None:
    """Case ids that are personnummer are refused unless explicitly allowed."""
    rows = pl.DataFrame(
        {
            "case_id": ["19121212-1212", "19121212-1212"],
            "timestamp": ["2024-01-01", "2024-01-02"],
            "unit": ["A", "B"],
        }
    )
    with pytest.raises(JourneyFileError, match="pseudonymous") as info:
        read_events(rows)
    assert "1212" not in str(info.value)
    assert read_events(rows, allow_personal_ids=True).height == 2


def _recomputable(agg: Aggregates, hidden: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Hidden cells an attacker can solve from published cells and the published totals.

    Builds the linear system of every check sum (histogram bins to their n, groups to the
    (all) row) over the hidden cells, splits it into independent parts, and returns the
    cells on which every null-space vector is zero: exactly those with one value in every
    solution.
    """
    import numpy as np

    # what an attacker knows, stated here and not taken from careflow: histogram bins add
    # up to their n; every handover and wait arrives in exactly one group, so those counts
    # of the groups add up to (all); other counts do too when the groups partition journeys
    total = agg.table.height - 1
    known = list(constraints(agg))
    for column in count_columns(agg):
        if column.startswith(("handovers", "waits_")):
            known.append(([(r, column) for r in range(total)], (total, column)))
    equations = []
    for parts, whole in known:
        terms = Counter(c for c in parts if c in hidden)
        if whole in hidden:
            terms[whole] -= 1
        terms = Counter({c: v for c, v in terms.items() if v})
        if terms:
            equations.append(terms)
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def root(c: tuple[int, str]) -> tuple[int, str]:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for terms in equations:
        first, *rest = sorted(terms)
        for c in rest:
            parent[root(c)] = root(first)
    found = set()
    components: dict[tuple[int, str], list[Counter[tuple[int, str]]]] = {}
    for terms in equations:
        components.setdefault(root(min(terms)), []).append(terms)
    for eqs in components.values():
        cells = sorted({c for t in eqs for c in t})
        index = {c: i for i, c in enumerate(cells)}
        matrix = np.zeros((len(eqs), len(cells)))
        for r, terms in enumerate(eqs):
            for c, v in terms.items():
                matrix[r, index[c]] = v
        _, sing, vt = np.linalg.svd(matrix)
        rank = int((sing > 1e-9).sum())
        null = vt[rank:]
        for c, i in index.items():
            if null.shape[0] == 0 or np.all(np.abs(null[:, i]) < 1e-9):
                found.add(c)
    return found


@pytest.mark.parametrize(
    ("by", "min_count"),
    [("period", 40), ("diagnosis", 25), ("unit", 5), ("unit", 400), ("boundary", 50)],
)
def test_no_suppressed_cell_can_be_recomputed_from_totals(
    rich_binned: tuple[pl.DataFrame, ScoreTable], by: str, min_count: int
) -> None:
    """Suppressed counts cannot be solved from the published cells and totals."""
    events, scores = rich_binned
    agg = aggregate(events, scores, by, period="month")
    result = suppress(agg, min_count)
    hidden = {
        (r, c)
        for c in count_columns(agg)
        for r, v in enumerate(result.table.get_column(c).to_list())
        if v is None
    }
    assert any(cell.reason == "primary" for cell in result.cells)
    if agg.partition or any(c[1].startswith("handovers") for c in hidden):
        assert any(cell.reason == "secondary" for cell in result.cells)
    assert not _recomputable(agg, hidden)
    for c in count_columns(agg):
        published = [v for v in result.table.get_column(c).to_list() if v is not None]
        assert all(v == 0 or v >= min_count for v in published), c
    small = result.table.filter(pl.col("journeys").is_null())
    assert small.height == agg.table.filter(pl.col("journeys") < min_count).height


def test_the_naive_attack_works_without_secondary_suppression(
    rich_binned: tuple[pl.DataFrame, ScoreTable],
) -> None:
    """The check above has teeth: with primary suppression only, cells can be recomputed."""
    events, scores = rich_binned
    agg = aggregate(events, scores, "period", period="month")
    journeys = agg.table.get_column("journeys").to_list()
    primary = {
        (r, c)
        for c in count_columns(agg)
        for r, v in enumerate(agg.table.get_column(c).to_list())
        if journeys[r] < 40 or 0 < v < 40
    }
    assert _recomputable(agg, primary)


# -- command line --------------------------------------------------------------------------


def _small_log(tmp_path: Path, case_ids: Sequence[str]) -> Path:
    """A CSV event log with a few events per case, across region and kommun."""
    lines = ["case_id,timestamp,unit,principal,kind,contact_type"]
    units = [("Vårdcentral", "region"), ("Hemtjänst", "kommun"), ("Psykiatri", "region")]
    for n, case in enumerate(case_ids):
        for i in range(4):
            unit, principal = units[(n + i) % 3]
            kind = ["need_signal", "contact", "treatment", "discharge"][i]
            lines.append(f"{case},2024-0{1 + n % 3}-1{i},{unit},{principal},{kind},phone")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_population_command_writes_json_that_follows_its_schema(
    tmp_path: Path, runner: CliRunner
) -> None:
    """The JSON output validates against the schema and holds no case id."""
    log = _small_log(tmp_path, [f"P{i:03d}" for i in range(30)])
    out = tmp_path / "pop.json"
    result = runner.invoke(main, ["population", str(log), "--by", "period", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text("utf-8"))
    jsonschema.validate(data, population_schema())
    assert data["groups"][-1]["journeys"] == 30
    assert "P001" not in out.read_text("utf-8")
    assert "30 journeys" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_population_command_writes_tables(tmp_path: Path, runner: CliRunner, suffix: str) -> None:
    """CSV and Parquet outputs hold one row per group and the (all) row, no case ids."""
    log = _small_log(tmp_path, [f"P{i:03d}" for i in range(12)])
    out = tmp_path / f"pop{suffix}"
    result = runner.invoke(
        main, ["population", str(log), "--by", "principal", "--min-count", "3", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out) if suffix == ".csv" else pl.read_parquet(out)
    assert table.get_column("principal").to_list() == ["kommun", "region", TOTAL]
    assert "case" not in table.columns


def test_population_command_refuses_personal_ids(tmp_path: Path, runner: CliRunner) -> None:
    """Personnummer as case ids stop the command unless --allow-personal-ids is given."""
    log = _small_log(tmp_path, ["19121212-1212", "20000101-0008"])
    out = tmp_path / "pop.csv"
    refused = runner.invoke(main, ["population", str(log), "-o", str(out)])
    assert refused.exit_code == 1
    assert "pseudonymous" in refused.output
    assert not out.exists()
    allowed = runner.invoke(main, ["population", str(log), "--allow-personal-ids", "-o", str(out)])
    assert allowed.exit_code == 0, allowed.output


def test_population_command_refuses_an_unknown_output_format(
    tmp_path: Path, runner: CliRunner
) -> None:
    """An output that is not .csv, .json or .parquet is a usage error."""
    log = _small_log(tmp_path, ["A1"])
    result = runner.invoke(main, ["population", str(log), "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 2


def test_import_careflow_does_not_load_polars() -> None:
    """`import careflow` stays light: polars loads only with careflow.population."""
    code = "import sys, careflow; assert 'polars' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_unit_with_two_principals_in_one_case_is_refused() -> None:
    """As per journey: a unit may not be region and kommun within one case."""
    rows = pl.DataFrame(
        {
            "case_id": ["A", "A", "B"],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "unit": ["X", "X", "Y"],
            "principal": ["region", "kommun", "region"],
        }
    )
    with pytest.raises(JourneyFileError, match="more than one principal in case 'A'"):
        read_events(rows)
    with pytest.raises(JourneyFileError):
        journeys_from_rows(rows.to_dicts())


def test_events_after_a_death_are_refused_as_per_journey() -> None:
    """A case with an event after its death is refused in bulk, as the per-journey reader does."""
    rows = [
        {"case_id": "K0", "timestamp": "2023-01-01", "unit": "A", "kind": "death"},
        {"case_id": "K0", "timestamp": "2023-01-02", "unit": "A", "kind": "contact"},
    ]
    with pytest.raises(JourneyFileError, match="death"):
        journeys_from_rows(rows)
    with pytest.raises(JourneyFileError, match="after the person's death"):
        read_events(pl.DataFrame(rows))


#: Services given to the generated units (as a mapping would), so that the rules that read
#: what a service works on (follow-up, needs acted on, emergency services) are exercised.
SERVICES: Final = {
    "Vårdcentral": "primary_care",
    "Psykiatri": "psychiatric_inpatient",
    "Socialtjänst": "social_services",
    "Hemtjänst": "addiction_medicine",
    "FK": "other",
    "Akuten": "emergency_care",
}
#: Kinds the finding detectors turn on, drawn more often than the others.
FINDING_KINDS: Final = [
    "discharge", "discharge", "admission", "admission", "referral", "referral", "contact",
    "case_closed", "rejection", "redirection", "drop_out", "first_contact", "treatment",
    "support", "need_signal", "assessment", "crisis", "plan_meeting",
]  # fmt: skip


@st.composite
def _finding_logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Logs that make findings fire: discharges followed or not, returns, deaths, laws.

    Units return (few units, many events), admissions carry LPT or LVM, diagnoses name
    both needs, some contacts are outreach, one unit may be the person's own network, and
    a case may end in a death by date or at a time, days to months after a discharge.
    """
    principal_of = {
        u: draw(st.sampled_from(["region", "kommun", "other", "informal"])) for u in UNIT_NAMES
    }
    rows: list[dict[str, Any]] = []
    for c in range(draw(st.integers(1, 4))):
        day = draw(st.integers(0, 40))
        last: dt.date | None = None
        for _ in range(draw(st.integers(1, 12))):
            day += draw(st.sampled_from([0, 0, 1, 2, 5, 20, 31, 45, 95]))
            date = dt.date(2023, 1, 1) + dt.timedelta(days=day)
            last = date
            clock = draw(st.sampled_from([None, "08:00", "13:30:15"]))
            unit = draw(st.sampled_from(UNIT_NAMES))
            kind = draw(st.sampled_from(FINDING_KINDS))
            rows.append(
                {
                    "case_id": f"K{c}",
                    "timestamp": date.isoformat() + ("" if clock is None else f" {clock}"),
                    "unit": unit,
                    "principal": principal_of[unit],
                    "kind": kind,
                    "contact_type": draw(st.sampled_from(["visit", "phone", "outreach", ""])),
                    "diagnosis": draw(st.sampled_from(["", "", "F10.2", "F32", "F20.0"])),
                    "legal_basis": draw(st.sampled_from(["", "LPT", "LVM", "none"])),
                }
            )
        if last is not None and draw(st.booleans()):
            when = last + dt.timedelta(days=draw(st.sampled_from([0, 3, 29, 30, 31, 60])))
            clock = draw(st.sampled_from([None, "23:00"]))
            rows.append(
                {
                    **rows[-1],
                    "timestamp": when.isoformat() + ("" if clock is None else f" {clock}"),
                    "kind": "death",
                    "legal_basis": "",
                }
            )
    return draw(st.permutations(rows))


def _with_services(
    journeys: Sequence[Journey], events: pl.DataFrame
) -> tuple[list[Journey], pl.DataFrame]:
    """The journeys and events with :data:`SERVICES` as each unit's service."""
    out = [
        attrs.evolve(j, actors=tuple(attrs.evolve(a, service=SERVICES[a.name]) for a in j.actors))
        for j in journeys
    ]
    service = pl.col("unit").cast(pl.String).replace_strict(SERVICES)
    return out, events.with_columns(service.cast(events.schema["service"]).alias("service"))


@settings(max_examples=50, deadline=None)
@given(_finding_logs(), st.booleans())
def test_finding_counts_and_capped_scores_equal_per_journey(
    rows: list[dict[str, Any]], with_services: bool
) -> None:
    """Bulk finding counts, capped målbild scores, overall and deaths equal per journey.

    On logs where the detectors fire (with or without services given to the units), every
    count equals ``find_gaps`` and every computed målbild score ``score_journey``.
    """
    journeys = journeys_from_rows(rows)
    events = read_events(pl.DataFrame(rows))
    if not with_services:
        scores = score_events(events)
        _assert_same(journeys, scores.table, scores.not_computed)
        return
    # the bulk indicators read no services yet (a mapping's): compare the findings
    journeys, events = _with_services(journeys, events)
    _assert_same_findings(journeys, score_events(events))


def _assert_same_findings(journeys: Sequence[Journey], scores: ScoreTable) -> None:
    """Every bulk finding count and death column equals the per-journey one."""
    for journey, row in zip(journeys, scores.table.to_dicts(), strict=True):
        found = Counter(f.code for f in find_gaps(journey))
        for code in scores.finding_codes:
            assert row[f"finding_{code}"] == found.get(code, 0), (journey.id, code)
        for column, value in _deaths(journey).items():
            assert row[column] == value, (journey.id, column)


@settings(max_examples=30, deadline=None)
@given(_finding_logs(), st.sampled_from([Aspect.CONTACTS, Aspect.PLANS]))
def test_finding_counts_follow_what_is_recorded_completely(
    rows: list[dict[str, Any]], aspect: Aspect
) -> None:
    """Declared-complete contacts (or plans) change the bulk counts as they do per journey.

    ``no_coordinator`` (``no_sip``) and every other count still equal ``find_gaps``.
    """
    journeys = [
        attrs.evolve(j, recorded_completely=frozenset({aspect})) for j in journeys_from_rows(rows)
    ]
    scores = score_events(read_events(pl.DataFrame(rows)), recorded_completely=frozenset({aspect}))
    _assert_same_findings(journeys, scores)


#: Units of the planted compulsory episode: where it is given, the other service holding
#: the person, a third service that may reach out, and the person's own network.
COMPULSORY_UNITS: Final = {
    "LVM-hem": "staten",
    "Psykiatri": "region",
    "Socialtjänst": "kommun",
    "Granne": "informal",
}


@st.composite
def _compulsory_logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Logs where compulsory care often ends while another service holds the person.

    Beside the cases of :func:`_finding_logs`, case ``KC``: an admission under LVM or LPT
    at one unit, an episode at another unit starting on or before the day the first ends
    it (a discharge, drop-out or closure) and a discharge there on or after that day, and
    events drawn around them (at the two units, a third service or the person's network;
    outreach, referrals, compulsory laws) that carry the care on or not.
    """
    rows = draw(_finding_logs())
    start = dt.date(2023, 3, 1)
    end = draw(st.integers(1, 60))
    other_end = end + draw(st.sampled_from([0, 0, 1, 10, 40]))
    planted = [
        (0, "LVM-hem", "admission", draw(st.sampled_from(["LVM", "LPT"]))),
        (
            draw(st.integers(0, end)),
            "Psykiatri",
            draw(st.sampled_from(["admission", "treatment", "support"])),
            draw(st.sampled_from(["", "", "none", "LPT"])),
        ),
        (end, "LVM-hem", draw(st.sampled_from(["discharge", "discharge", "drop_out"])), ""),
        (other_end, "Psykiatri", "discharge", ""),
    ]
    for _ in range(draw(st.integers(0, 3))):
        planted.append(
            (
                draw(st.integers(0, other_end + 40)),
                draw(st.sampled_from(list(COMPULSORY_UNITS))),
                draw(st.sampled_from(FINDING_KINDS)),
                draw(st.sampled_from(["", "LVM", "none"])),
            )
        )
    for day, unit, kind, law in planted:
        clock = draw(st.sampled_from([None, "08:00", "16:30"]))
        date = start + dt.timedelta(days=day)
        rows.append(
            {
                "case_id": "KC",
                "timestamp": date.isoformat() + ("" if clock is None else f" {clock}"),
                "unit": unit,
                "principal": COMPULSORY_UNITS[unit],
                "kind": kind,
                "contact_type": draw(st.sampled_from(["visit", "outreach", ""])),
                "diagnosis": draw(st.sampled_from(["", "F10.2"])),
                "legal_basis": law,
            }
        )
    return draw(st.permutations(rows))


@settings(max_examples=40, deadline=None)
@given(_compulsory_logs(), st.booleans())
def test_compulsory_care_ended_and_the_scores_it_caps_equal_per_journey(
    rows: list[dict[str, Any]], contacts: bool
) -> None:
    """``compulsory_care_ended``, målbild 4 and 9 and overall equal per journey, case by case.

    On logs where compulsory care ends while another service holds the person (carried
    on or not), with contacts declared recorded completely or not, every bulk column
    (the finding count, the capped scores, overall) equals ``find_gaps`` and
    ``score_journey`` to 1e-9, null in the same places.
    """
    declared = frozenset({Aspect.CONTACTS}) if contacts else frozenset()
    journeys = [attrs.evolve(j, recorded_completely=declared) for j in journeys_from_rows(rows)]
    events = read_events(pl.DataFrame(rows))
    scores = score_events(events, recorded_completely=declared)
    _assert_same(journeys, scores.table, scores.not_computed)
    for journey in journeys:
        part = events.filter(pl.col("case") == journey.id)
        assert journey_of_case(part, recorded_completely=declared) == journey


def _held_rows(case: str, law: str) -> list[dict[str, str]]:
    """LVM care ended on 1 March while Psykiatri holds the person, and nothing carries it on.

    (With ``law`` empty the first admission is voluntary, and nothing is found.)
    """
    steps = [
        ("2023-01-02 10:00", "LVM-hem Lunden", "admission", law),
        ("2023-02-20 10:00", "Psykiatri", "admission", ""),
        ("2023-02-22 10:00", "Psykiatri", "treatment", ""),
        ("2023-02-25 10:00", "Psykiatri", "treatment", ""),
        ("2023-03-01 09:00", "LVM-hem Lunden", "discharge", ""),
        ("2023-03-01 10:00", "LVM-hem Lunden", "contact", ""),
        ("2023-03-05 10:00", "Psykiatri", "treatment", ""),
        ("2023-03-08 10:00", "Psykiatri", "treatment", ""),
        ("2023-03-10 10:00", "Psykiatri", "discharge", ""),
    ]
    return [
        {"case_id": case, "timestamp": when, "unit": unit,
         "principal": "staten" if unit.startswith("LVM") else "region", "kind": kind,
         "legal_basis": basis}
        for when, unit, kind, basis in steps
    ]  # fmt: skip


@pytest.mark.parametrize("contacts", [False, True])
def test_compulsory_care_ended_is_counted_and_caps_malbild_4_and_9(contacts: bool) -> None:
    """LVM care let go while Psykiatri holds the person: one finding, målbild 4 and 9 capped.

    Case K0's LVM episode ends while Psykiatri's admission is under way, with no move or
    outreach after: one ``compulsory_care_ended`` (high, målbild 4 and 9). Målbild 4,
    0.75 for the same journey with a voluntary admission (K1), is capped at
    ``HIGH_FINDING_CAP`` as per journey. With contacts declared recorded completely,
    målbild 9 and overall are assessable and computed as per journey (``no_coordinator``
    then caps målbild 4 and 9 of both cases too); without, målbild 9 and overall are
    null both ways.
    """
    declared = frozenset({Aspect.CONTACTS}) if contacts else frozenset()
    rows = _held_rows("K0", "LVM") + _held_rows("K1", "")
    journeys = [attrs.evolve(j, recorded_completely=declared) for j in journeys_from_rows(rows)]
    scores = score_events(read_events(pl.DataFrame(rows)), recorded_completely=declared)
    _assert_same(journeys, scores.table, scores.not_computed)
    table = scores.table
    assert table.get_column("finding_compulsory_care_ended").to_list() == [1, 0]
    # no_coordinator (with contacts declared) caps målbild 4 of K1 too
    assert table.get_column("target_4").to_list() == [
        HIGH_FINDING_CAP,
        HIGH_FINDING_CAP if contacts else 0.75,
    ]
    held = score_journey(journeys[0])
    assert "compulsory_care_ended" in held.target(4).capped_by
    assert "compulsory_care_ended" in held.target(9).capped_by
    target_9, overall = table.get_column("target_9"), table.get_column("overall")
    if contacts:
        assert target_9.to_list() == [held.target(9).score, held.target(9).score]
        assert target_9[0] is not None
        assert target_9[0] <= HIGH_FINDING_CAP
        assert overall.null_count() == 0
    else:
        assert target_9.null_count() == overall.null_count() == 2


def test_journey_of_case_builds_the_journey_the_reader_reads() -> None:
    """A case's rows of the events table give the journey the per-journey reader gives.

    Actors by first appearance (two units whose names slug alike get ``-2``), a plain date
    kept as a date, notes from activities, legal bases, a death's cause, needs from
    diagnoses and handover transitions, and what the source records completely. Rows of
    two cases are refused.
    """
    rows = [
        {"case_id": "K0", "timestamp": "2023-01-01", "unit": "Psyk A", "activity": "Inskrivning",
         "kind": "admission", "legal_basis": "LPT", "diagnosis": "F20", "cause": ""},
        {"case_id": "K0", "timestamp": "2023-01-01 10:00", "unit": "psyk-a", "activity": "psyk-a",
         "kind": "treatment", "legal_basis": "", "diagnosis": "F10.2", "cause": ""},
        {"case_id": "K0", "timestamp": "2023-01-05 10:00", "unit": "Psyk A", "activity": "",
         "kind": "discharge", "legal_basis": "", "diagnosis": "", "cause": ""},
        {"case_id": "K0", "timestamp": "2023-01-09", "unit": "Psyk A", "activity": "Död",
         "kind": "death", "legal_basis": "", "diagnosis": "", "cause": "suicide"},
    ]  # fmt: skip
    declared = frozenset({Aspect.PLANS})
    (journey,) = journeys_from_rows(rows)
    built = journey_of_case(read_events(pl.DataFrame(rows)), recorded_completely=declared)
    assert built == attrs.evolve(journey, recorded_completely=declared)
    assert [a.id for a in built.actors] == ["psyk-a", "psyk-a-2"]
    assert built.events[0].date == dt.date(2023, 1, 1)
    assert len(built.transitions) == 2
    two = read_events(pl.DataFrame([*rows, {**rows[0], "case_id": "K1"}]))
    with pytest.raises(JourneyFileError, match="one case"):
        journey_of_case(two)


def test_capped_target_scores_equal_per_journey() -> None:
    """A målbild with a high finding tied to it is capped at HIGH_FINDING_CAP, as per journey.

    Two days of treatment at a unit that works on no known condition score målbild 3 at
    1.0; with a substance-use diagnosis that nothing treated, ``unaddressed_need`` (high,
    målbild 3 and 5) caps it at 0.5 in bulk exactly as ``score_journey`` does.
    """
    rows = [
        {"case_id": case, "timestamp": f"2023-01-0{day}", "unit": "A", "kind": "treatment",
         "diagnosis": diagnosis}
        for case, diagnosis in (("K0", "F10.2"), ("K1", ""))
        for day in (1, 2)
    ]  # fmt: skip
    journeys = journeys_from_rows(rows)
    scores = score_events(read_events(pl.DataFrame(rows)))
    _assert_same(journeys, scores.table, scores.not_computed)
    assert score_journey(journeys[0]).target(3).capped_by == ("unaddressed_need",)
    assert "target_3" not in scores.not_computed
    assert scores.table.get_column("target_3").to_list() == [HIGH_FINDING_CAP, 1.0]
    assert scores.table.get_column("finding_unaddressed_need").to_list() == [1, 0]


def test_death_columns_count_deaths_and_deaths_soon_after_a_discharge() -> None:
    """``died`` marks a death; ``died_within_30d_of_discharge`` one soon after a discharge.

    Soon: at most 30 days after it; a contact in between does not matter.
    """
    rows = [
        {"case_id": "K0", "timestamp": "2023-01-01", "unit": "A", "kind": "discharge"},
        {"case_id": "K0", "timestamp": "2023-01-10", "unit": "B", "kind": "contact"},
        {"case_id": "K0", "timestamp": "2023-01-31", "unit": "B", "kind": "death"},
        {"case_id": "K1", "timestamp": "2023-01-01", "unit": "A", "kind": "discharge"},
        {"case_id": "K1", "timestamp": "2023-02-01", "unit": "A", "kind": "death"},
        {"case_id": "K2", "timestamp": "2023-01-01", "unit": "A", "kind": "discharge"},
    ]
    table = score_events(read_events(pl.DataFrame(rows))).table
    assert table.get_column("died").to_list() == [1, 1, 0]
    assert table.get_column("died_within_30d_of_discharge").to_list() == [1, 0, 0]
    for journey, row in zip(journeys_from_rows(rows), table.to_dicts(), strict=True):
        assert _deaths(journey) == {k: row[k] for k in _deaths(journey)}


def test_the_events_table_holds_needs_legal_bases_and_handovers_as_per_journey() -> None:
    """Needs from diagnoses, legal bases on episodes and handovers match the per-journey reader.

    A death by date alone sorts last on its day and is no handover; a legal basis on a
    contact is not kept; an ICD-10 F1x code is a substance-use need.
    """
    rows = [
        {"case_id": "K0", "timestamp": "2023-01-01 08:00", "unit": "A", "kind": "contact",
         "diagnosis": "F10.2", "legal_basis": "LPT"},
        {"case_id": "K0", "timestamp": "2023-01-02 09:00", "unit": "B", "kind": "admission",
         "diagnosis": "F32", "legal_basis": "LPT"},
        {"case_id": "K0", "timestamp": "2023-01-03", "unit": "C", "kind": "death",
         "diagnosis": "", "legal_basis": ""},
        {"case_id": "K0", "timestamp": "2023-01-03 10:00", "unit": "B", "kind": "discharge",
         "diagnosis": "", "legal_basis": ""},
    ]  # fmt: skip
    (journey,) = journeys_from_rows(rows)
    events = read_events(pl.DataFrame(rows))
    assert events.get_column("kind").to_list() == [e.kind.value for e in journey.timeline]
    assert set(events.get_column("need").drop_nulls()) == set(journey.person.needs)
    assert events.get_column("handover").sum() == len(journey.transitions)
    bases = [None if e.legal_basis is None else e.legal_basis.value for e in journey.timeline]
    assert events.get_column("legal_basis").to_list() == bases
    assert "diagnosis" in events.columns  # still groupable by its own name
