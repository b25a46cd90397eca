"""Mapping files in the population path: bulk reads a log as per journey, event for event.

The bulk reader reads a log as the per-journey reader does with the same mapping, and the
CLI honours ``--mapping`` (and ``--max-rows`` for the per-journey commands).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.cli import _score_population, main
from careflow.errors import CareflowError, JourneyFileError
from careflow.gaps import find_gaps
from careflow.io.eventlog import LogReport, read_event_log_report
from careflow.io.mapping import LogMapping, load_mapping, loads_mapping
from careflow.model import Aspect, EventKind, Journey
from careflow.population import read_events, read_events_report, score_events
from careflow.population._read import _mapped
from careflow.population.journeys import journey_of_case
from careflow.scoring import score_journey

ROOT: Final = Path(__file__).resolve().parents[1]
SEPSIS_LOG: Final = ROOT.parent / "shared" / "data" / "real-logs" / "sepsis-cases.csv"
SEPSIS_MAPPING: Final = ROOT / "examples" / "mappings" / "sepsis.yaml"

UNITS: Final = ["Akuten", "Psyk mottagning", "Psyk avdelning", "Socialtjänst", "Hemtjänst", "?"]
ACTIVITIES: Final = ["Besök", "Inskrivning", "Utskrivning", "Bedömning", "Samtal", "?", ""]
DIAGNOSES: Final = ["F10.2", "F32", "Z59.0", "J45", "", "?", "NA"]
CHANNELS: Final = ["besök", "Telefon", "planning", "brev", "?", ""]
BASES: Final = ["LPT", "frivillig", "none", "", "sluten vård", "?"]
CAUSES: Final = ["X42", "suicid", "", "?"]
KINDS: Final = [k.value for k in EventKind if k is not EventKind.DEATH]


# -- comparing the two readers ----------------------------------------------------------------


def _per_journey_events(journeys: Sequence[Journey]) -> list[tuple[Any, ...]]:
    """Every event of every journey as the events table has it, in order."""
    out = []
    for journey in journeys:
        targets = {t.target for t in journey.transitions}
        for event in journey.events:
            actor = journey.actor_of(event)
            out.append(
                (
                    journey.id,
                    event.kind.value,
                    actor.name,
                    actor.principal.value,
                    actor.service.value,
                    None if event.channel is None else event.channel.value,
                    None if event.legal_basis is None else event.legal_basis.value,
                    None if event.cause is None else event.cause.value,
                    None if event.certainty is None else event.certainty.value,
                    event.id in targets,
                )
            )
    return out


_COLUMNS: Final = (
    "case",
    "kind",
    "unit",
    "principal",
    "service",
    "channel",
    "legal_basis",
    "cause",
    "certainty",
    "handover",
)


def _bulk_events(events: pl.DataFrame) -> list[tuple[Any, ...]]:
    return list(events.select(_COLUMNS).iter_rows())


def _needs(events: pl.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for case, need in events.select("case", "need").iter_rows():
        out.setdefault(case, set())
        if need is not None:
            out[case].add(need)
    return out


def _report_facts(report: LogReport) -> tuple[Any, ...]:
    """What both readers must report alike (not the format, which one reads differently)."""
    return (
        report.rows,
        report.events,
        report.cases,
        dict(report.skipped),
        dict(report.unknown),
        sorted((u.role, u.value, u.events, u.cases) for u in report.unmapped),
        dict(report.ignored),
        report.recorded_completely,
        dict(report.columns),
    )


def _assert_scores_alike(
    journeys: Sequence[Journey], events: pl.DataFrame, recorded_completely: frozenset[str]
) -> None:
    """Every indicator, målbild, overall and finding count computed in bulk equals per journey.

    With ``recorded_completely`` the scores are compared where ``score_events`` takes it
    (as the CLI passes it); where it does not, the CLI refuses, and so nothing is compared.
    """
    try:
        scores = _score_population(score_events, events, None, recorded_completely)
    except CareflowError:
        assert recorded_completely
        return
    rows = {r["case"]: r for r in scores.table.to_dicts()}
    columns = [
        c
        for c in (*scores.indicator_ids, *scores.target_columns, "overall")
        if c not in scores.not_computed
    ]
    assert columns
    # compulsory_care_ended is counted (per journey) and ping_pong follows the same-stay
    # rule whatever the mapping, so every målbild and overall are computed
    assert "finding_compulsory_care_ended" not in scores.not_computed
    assert "finding_ping_pong" not in scores.not_computed
    assert {"target_4", "target_5", "target_9", "overall"} <= set(columns)
    for journey in journeys:
        profile = score_journey(journey)
        expected: dict[str, float | None] = {"overall": profile.overall}
        for target in profile.targets:
            expected[f"target_{target.target.id}"] = target.score
            for scored in target.indicators:
                expected[scored.id] = scored.value
        row = rows[journey.id]
        found = Counter(f.code for f in find_gaps(journey))
        for code in scores.finding_codes:
            if f"finding_{code}" not in scores.not_computed:
                assert row[f"finding_{code}"] == found.get(code, 0), (journey.id, code)
        for column in columns:
            want, got = expected[column], row[column]
            if want is None or got is None:
                assert want is got, (journey.id, column, want, got)
            else:
                assert math.isclose(want, got, rel_tol=0, abs_tol=1e-9), (journey.id, column)


def _assert_alike(path: Path, mapping: LogMapping | None) -> pl.DataFrame:
    """Read ``path`` both ways: the same events, handovers, needs, report and scores."""
    try:
        read = read_event_log_report(path, mapping=mapping)
    except JourneyFileError:
        with pytest.raises(JourneyFileError):
            read_events(path, mapping=mapping)
        return pl.DataFrame()
    bulk = read_events_report(path, mapping=mapping)
    assert _bulk_events(bulk.events) == _per_journey_events(read.journeys)
    assert _needs(bulk.events) == {j.id: set(j.person.needs) for j in read.journeys}
    assert _report_facts(bulk.report) == _report_facts(read.report)
    declared = frozenset(Aspect(a) for a in bulk.recorded_completely)
    for journey in read.journeys:  # the journey a finding is counted on per journey
        rows = bulk.events.filter(pl.col("case") == journey.id)
        assert journey_of_case(rows, recorded_completely=declared) == journey
    _assert_scores_alike(read.journeys, bulk.events, bulk.recorded_completely)
    return bulk.events


# -- generated logs and mappings ----------------------------------------------------------------


@st.composite
def _mappings(draw: st.DrawFn) -> dict[str, Any]:
    """A mapping with unit, activity, contact-type and diagnosis rules, policies, a stay."""
    units: list[dict[str, Any]] = []
    for name in draw(st.lists(st.sampled_from(UNITS[:-1]), unique=True, max_size=4)):
        rule: dict[str, Any] = {"match": name.upper() if draw(st.booleans()) else name}
        if draw(st.booleans()):
            rule["principal"] = draw(st.sampled_from(["region", "kommun"]))
        if draw(st.booleans()) or "principal" not in rule:
            rule["service"] = draw(
                st.sampled_from(["psychiatric_outpatient", "social_services", "other"])
            )
        units.append(rule)
    if draw(st.booleans()):
        units.append(
            {"pattern": "psyk.*", "principal": "region", "service": "psychiatric_inpatient"}
        )
    activities = {
        name: draw(st.sampled_from(KINDS))
        for name in draw(st.lists(st.sampled_from(ACTIVITIES[:-2]), unique=True, max_size=4))
    }
    diagnoses = draw(
        st.sampled_from(
            [
                [],
                [{"codes": "F10-F19", "need": "substance_use"}, {"codes": "F32", "need": "mood"}],
                [{"codes": "Z59", "need": "housing"}],
            ]
        )
    )
    missing = {
        role: draw(st.sampled_from(["skip", "unknown"]))
        for role in ("activity", "unit", "principal", "channel", "diagnosis", "legal_basis")
    }
    doc: dict[str, Any] = {
        "version": 1,
        "missing_values": draw(st.sampled_from([["?"], ["?", "saknas"], []])),
        "missing": missing,
        "units": units,
        "activities": activities,
        "contact_types": draw(st.sampled_from([{}, {"brev": "digital"}])),
        "diagnoses": diagnoses,
        "recorded_completely": draw(st.sampled_from([[], ["contacts"]])),
    }
    stay = draw(st.sampled_from([None, 0, 6, 24, 48]))
    if stay is not None:
        doc["thresholds"] = {"same_stay_hours": stay}
    return doc


@st.composite
def _rows(draw: st.DrawFn, *, kind_column: bool) -> list[dict[str, str]]:
    """Rows with ties in time, dates and datetimes, missing values and unmapped ones."""
    principal_of = {u: draw(st.sampled_from(["region", "kommun", "?", "okänd"])) for u in UNITS}
    rows: list[dict[str, str]] = []
    for c in range(draw(st.integers(1, 3))):
        days = []
        for _ in range(draw(st.integers(1, 10))):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 6)))
            days.append(day)
            clock = draw(st.sampled_from(["", " 08:00", " 20:30", " 09:15:10"]))
            unit = draw(st.sampled_from(UNITS))
            row = {
                "case_id": f"P{c}",
                "timestamp": day.isoformat() + clock,
                "activity": draw(st.sampled_from(ACTIVITIES)),
                "unit": unit,
                "principal": principal_of[unit],
                "contact_type": draw(st.sampled_from(CHANNELS)),
                "diagnosis": draw(st.sampled_from(DIAGNOSES)),
                "legal_basis": draw(st.sampled_from(BASES)),
                "cause": draw(st.sampled_from(["", "", "X42"])),
            }
            if kind_column:
                row["kind"] = draw(st.sampled_from([*KINDS, "?"]))
            rows.append(row)
        if draw(st.booleans()):  # a death on the case's last day: nothing may follow it
            death = {**rows[-1], "timestamp": max(days).isoformat(), "activity": "Död"}
            death["cause"] = draw(st.sampled_from(CAUSES))
            if kind_column:
                death["kind"] = "death"
            rows.append(death)
    return draw(st.permutations(rows))


def _write_csv(folder: str, rows: list[dict[str, str]]) -> Path:
    path = Path(folder) / "log.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _mapping(doc: dict[str, Any]) -> LogMapping:
    return loads_mapping(json.dumps(doc), fmt="json")


@settings(max_examples=25)
@given(_rows(kind_column=False), _mappings())
def test_bulk_reads_generated_logs_with_a_mapping_as_per_journey(
    rows: list[dict[str, str]], doc: dict[str, Any]
) -> None:
    """Unit, activity and diagnosis rules, policies and same_stay_hours: the same events."""
    mapping = _mapping(doc)
    with tempfile.TemporaryDirectory() as folder:
        _assert_alike(_write_csv(folder, rows), mapping)


@settings(max_examples=20)
@given(_rows(kind_column=True), _mappings())
def test_bulk_reads_generated_logs_with_a_kind_column_as_per_journey(
    rows: list[dict[str, str]], doc: dict[str, Any]
) -> None:
    """With a kind column (unknown kinds unmapped, missing ones by policy): the same events."""
    mapping = _mapping(doc)
    with tempfile.TemporaryDirectory() as folder:
        _assert_alike(_write_csv(folder, rows), mapping)


@settings(max_examples=15)
@given(_rows(kind_column=False))
def test_bulk_reads_generated_logs_without_a_mapping_as_per_journey(
    rows: list[dict[str, str]],
) -> None:
    """Without a mapping, missing and unknown values are read (or refused) alike too."""
    with tempfile.TemporaryDirectory() as folder:
        _assert_alike(_write_csv(folder, rows), None)


def _log(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    return _write_csv(str(tmp_path), rows)


_BASE: Final = {"case_id": "A", "activity": "Besök", "unit": "Akuten", "principal": "region"}


def test_same_stay_moves_are_no_handovers_and_a_death_never_is(tmp_path: Path) -> None:
    """Within same_stay_hours a move inside one principal is no handover; a death none."""
    rows = [
        {**_BASE, "timestamp": "2024-01-01 08:00", "unit": "Akuten"},
        {**_BASE, "timestamp": "2024-01-01 12:00", "unit": "Avdelning"},  # same stay
        {**_BASE, "timestamp": "2024-01-03 12:00", "unit": "Akuten"},  # two days later
        {**_BASE, "timestamp": "2024-01-03 13:00", "unit": "Hemtjänst", "principal": "kommun"},
        {**_BASE, "timestamp": "2024-01-04", "unit": "Vården", "activity": "death"},
    ]
    mapping = _mapping({"version": 1, "thresholds": {"same_stay_hours": 24}})
    events = _assert_alike(_log(tmp_path, rows), mapping)
    assert events.get_column("handover").to_list() == [False, False, True, True, False]


def test_a_skip_policy_leaves_rows_out_and_counts_them(tmp_path: Path) -> None:
    """Rows whose unit is missing under ``skip`` are not events; the report counts them."""
    rows = [
        {**_BASE, "timestamp": "2024-01-01", "unit": "Akuten"},
        {**_BASE, "timestamp": "2024-01-02", "unit": "?"},
        {**_BASE, "timestamp": "2024-01-03", "unit": ""},
    ]
    mapping = _mapping({"version": 1, "missing_values": ["?"], "missing": {"unit": "skip"}})
    read = read_events_report(_log(tmp_path, rows), mapping=mapping)
    assert read.events.height == 1
    assert read.report.skipped == {"unit": 2}
    _assert_alike(_log(tmp_path, rows), mapping)


def test_errors_name_the_file_row_and_column(tmp_path: Path) -> None:
    """A missing value under ``error`` and an unknown value without a mapping are located."""
    rows = [
        {**_BASE, "timestamp": "2024-01-01"},
        {**_BASE, "timestamp": "2024-01-02", "principal": "landstinget"},
        {**_BASE, "timestamp": "2024-01-03", "unit": "?"},
    ]
    path = _log(tmp_path, rows)
    with pytest.raises(JourneyFileError) as caught:
        read_events(path)
    assert caught.value.file == str(path)
    assert caught.value.path == "row 2, principal"
    assert "'landstinget' is not a principal" in str(caught.value)
    mapping = _mapping({"version": 1, "missing_values": ["?"], "missing": {"unit": "error"}})
    with pytest.raises(JourneyFileError) as caught:
        read_events(path, mapping=mapping)
    assert caught.value.path == "row 3, unit"
    assert "the unit policy is error" in str(caught.value)


def test_unmapped_values_are_reported_with_their_events_and_cases(tmp_path: Path) -> None:
    """With a mapping, a value no rule maps is kept (as per journey) and counted."""
    rows = [
        {**_BASE, "timestamp": "2024-01-01", "principal": "landstinget"},
        {**_BASE, "case_id": "B", "timestamp": "2024-01-02", "principal": "landstinget"},
    ]
    read = read_events_report(_log(tmp_path, rows), mapping=_mapping({"version": 1}))
    (unmapped,) = read.report.unmapped
    assert (unmapped.role, unmapped.value, unmapped.events, unmapped.cases) == (
        "principal",
        "landstinget",
        2,
        2,
    )
    assert read.events.get_column("principal").to_list() == ["other", "other"]


def test_the_report_carries_what_the_source_records_completely(tmp_path: Path) -> None:
    """``recorded_completely`` comes back with the events, for scoring."""
    rows = [{**_BASE, "timestamp": "2024-01-01"}]
    mapping = _mapping({"version": 1, "recorded_completely": ["contacts", "plans"]})
    read = read_events_report(_log(tmp_path, rows), mapping=mapping)
    assert read.recorded_completely == frozenset({"contacts", "plans"})


def test_scoring_takes_the_declared_aspects() -> None:
    """The CLI passes a mapping's declared ``recorded_completely`` on as aspects."""
    seen: dict[str, Any] = {}

    def accepting(events: Any, framework: Any, *, recorded_completely: frozenset[Any]) -> str:
        seen["aspects"] = recorded_completely
        return "scored"

    assert _score_population(accepting, None, None, frozenset({"contacts"})) == "scored"
    assert seen["aspects"] == frozenset({Aspect.CONTACTS})


# -- the Sepsis log, a real one ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sepsis() -> tuple[Path, LogMapping]:
    """The Sepsis Cases log (shared real logs) and its mapping from examples/mappings."""
    if not SEPSIS_LOG.exists():
        pytest.skip("the shared real logs are not next to this checkout")
    return SEPSIS_LOG, load_mapping(SEPSIS_MAPPING)


def test_the_sepsis_log_reads_in_bulk_as_per_journey(sepsis: tuple[Path, LogMapping]) -> None:
    """Sepsis with its mapping: the same events, handovers, report and indicator values."""
    path, mapping = sepsis
    events = _assert_alike(path, mapping)
    assert events.height == 15_214
    assert set(events.get_column("service")) == {"emergency_care", "somatic_care"}


def test_population_command_honours_a_mapping(
    tmp_path: Path, runner: CliRunner, sepsis: tuple[Path, LogMapping]
) -> None:
    """``careflow population LOG --mapping M`` reads with the mapping, notes on stderr."""
    path, mapping = sepsis
    out, cases = tmp_path / "by-unit.json", tmp_path / "cases.csv"
    result = runner.invoke(
        main,
        [
            "population",
            str(path),
            "--mapping",
            str(SEPSIS_MAPPING),
            "--scores",
            str(cases),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "294 rows with unit missing, kept as unknown (policy unknown)" in result.output
    assert "1,050 journeys" in result.output
    written = pl.read_csv(cases, infer_schema_length=None)
    expected = score_events(read_events(path, mapping=mapping)).table
    assert written.get_column("case").to_list() == expected.get_column("case").to_list()
    assert written.get_column("events").to_list() == expected.get_column("events").to_list()
    assert json.loads(out.read_text(encoding="utf-8"))


# -- --max-rows for the per-journey commands ----------------------------------------------------


def _three_rows(tmp_path: Path) -> Path:
    rows = [{**_BASE, "timestamp": f"2024-01-0{d}"} for d in (1, 2, 3)]
    return _log(tmp_path, rows)


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["score"],
        ["gaps"],
        ["render", "--kind", "actors", "-o", "{out}.dot"],
        ["report", "-o", "{out}.html"],
        ["mapping", "init"],
    ],
)
def test_max_rows_sets_the_row_limit_of_each_command(
    tmp_path: Path, runner: CliRunner, command: list[str]
) -> None:
    """Below the log's rows the command is refused, naming --max-rows; at them it reads."""
    log = _three_rows(tmp_path)
    args = [a.replace("{out}", str(tmp_path / "out")) for a in command]
    refused = runner.invoke(main, [*args, str(log), "--max-rows", "2"])
    assert refused.exit_code == 1, refused.output
    assert "more than 2 rows" in refused.output
    assert "--max-rows" in refused.output
    read = runner.invoke(main, [*args, str(log), "--max-rows", "3"])
    assert read.exit_code == 0, read.output


def test_max_rows_applies_to_both_logs_of_compare(tmp_path: Path, runner: CliRunner) -> None:
    """``compare`` reads its two logs with the same limit."""
    log = _three_rows(tmp_path)
    refused = runner.invoke(main, ["compare", str(log), str(log), "--max-rows", "2"])
    assert refused.exit_code == 1
    assert "--max-rows" in refused.output
    assert runner.invoke(main, ["compare", str(log), str(log), "--max-rows", "3"]).exit_code == 0


def test_max_rows_must_be_positive(tmp_path: Path, runner: CliRunner) -> None:
    """``--max-rows 0`` is a usage error."""
    result = runner.invoke(main, ["validate", str(_three_rows(tmp_path)), "--max-rows", "0"])
    assert result.exit_code == 2


_WORDS: Final = ["a", "b", "Vårdcentral", "", " x "]


@settings(max_examples=200)
@given(
    st.lists(st.sampled_from([*_WORDS, None]), max_size=30),
    st.sampled_from(["own", "one", "none", "any"]),
    st.data(),
)
def test_a_mapped_column_is_the_column_replaced_value_by_value(
    texts: list[str | None], kind: str, data: st.DataObject
) -> None:
    """The shortcuts (every value its own, one outcome for all) give replace_strict's column."""
    series = pl.Series("role", texts, dtype=pl.String)
    values = sorted({t for t in texts if t is not None})
    outcome = st.sampled_from([*_WORDS, None])
    mapping: dict[str, str | None]
    if kind == "own":
        mapping = {v: v for v in values}
    elif kind == "one":
        one: str | None = data.draw(outcome)
        mapping = dict.fromkeys(values, one)
    elif kind == "none":
        mapping = dict.fromkeys(values)
    else:
        mapping = {v: data.draw(outcome) for v in values}
    expected = series.replace_strict(mapping, default=None, return_dtype=pl.String)
    got = _mapped(series, mapping)
    assert got.name == "role"
    assert got.dtype == pl.String
    assert got.to_list() == expected.to_list()
