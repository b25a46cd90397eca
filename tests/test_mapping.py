"""Mapping files: roles, value maps, thresholds, drafts, clear errors, and the real Sepsis log."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from careflow.cli import main
from careflow.errors import JourneyFileError
from careflow.gaps import find_gaps
from careflow.io.eventlog import read_event_log, read_event_log_report
from careflow.io.mapping import load_mapping, loads_mapping, mapping_schema
from careflow.render import actor_map
from careflow.scoring import score_journey
from careflow.targets import load_framework

ROOT = Path(__file__).resolve().parent.parent
SEPSIS_MAPPING = ROOT / "examples" / "mappings" / "sepsis.yaml"
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared" / "data" / "real-logs"

LOG = (
    "lopnr;datum;vardenhet;kontakttyp;diagnos;aktivitet\n"
    "1;2024-01-02 09:00;Beroendemottagningen Syd;besök;F10.2;Nybesök\n"
    "1;2024-01-20 10:00;Vuxenenheten Malmö;telefon;;Utredning\n"
    "1;2024-02-01 10:00;Beroendemottagningen Syd;besök;F32;Återbesök\n"
    "2;2024-01-05 13:00;Okänd mottagning;sms;Z03;Nybesök\n"
)
MAPPING = """
columns:
  unit: vardenhet
  activity: aktivitet
units:
  - pattern: "beroende.*"
    principal: region
    service: addiction_medicine
  - match: Vuxenenheten Malmö
    principal: kommun
    service: social_services
activities:
  Nybesök: first_contact
  Utredning: assessment
contact_types:
  - match: besök
    channel: in_person
  - pattern: "tele.*"
    channel: phone
"""


def _write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_assigns_principal_service_kind_channel_and_needs(tmp_path: Path) -> None:
    """Units get principal and service, activities kinds, contact types channels, F-codes needs."""
    log = _write(tmp_path, LOG, "log.csv")
    result = read_event_log_report(log, mapping=loads_mapping(MAPPING))
    one, two = result.journeys
    actors = {a.name: (a.principal.value, a.service.value) for a in one.actors}
    assert actors == {
        "Beroendemottagningen Syd": ("region", "addiction_medicine"),
        "Vuxenenheten Malmö": ("kommun", "social_services"),
    }
    assert [e.kind.value for e in one.timeline] == ["first_contact", "assessment", "contact"]
    assert [e.channel.value if e.channel else None for e in one.timeline] == [
        "in_person",
        "phone",
        "in_person",
    ]
    assert one.person.needs == ("substance_use", "mental_health")
    assert two.person.needs == ()
    unmapped = {(u.role, u.value): (u.events, u.cases) for u in result.report.unmapped}
    assert unmapped == {
        ("unit", "Okänd mottagning"): (1, 1),
        ("activity", "Återbesök"): (1, 1),
        ("channel", "sms"): (1, 1),
    }


def test_roles_are_independent(tmp_path: Path) -> None:
    """Naming org:group as the unit never makes another column (or it) the principal."""
    text = "case_id,timestamp,org:group,principal\nA,2024-01-02,B,kommun\n"
    path = _write(tmp_path, text, "log.csv")
    (journey,) = read_event_log(path, mapping=loads_mapping("columns: {unit: org:group}"))
    assert journey.actors[0].name == "B"
    assert journey.actors[0].principal.value == "kommun"
    none = loads_mapping("columns: {unit: org:group, principal: null}")
    (journey,) = read_event_log(path, mapping=none)
    assert journey.actors[0].principal.value == "other"


def test_same_stay_threshold_makes_no_handover(tmp_path: Path) -> None:
    """Moves between units of one principal within same_stay_hours make no transition."""
    text = (
        "case,timestamp,unit\n"
        "A,2024-01-02 10:00,ER\nA,2024-01-02 10:20,Lab\nA,2024-01-02 11:00,ER\n"
        "A,2024-01-09 11:00,Lab\n"
    )
    path = _write(tmp_path, text, "log.csv")
    (plain,) = read_event_log(path)
    assert len(plain.transitions) == 3
    (stay,) = read_event_log(path, mapping=loads_mapping("thresholds: {same_stay_hours: 24}"))
    assert [(t.source, t.target) for t in stay.transitions] == [("e3", "e4")]


def test_schema_accepts_the_shipped_mapping_and_the_cli_prints_it(tmp_path: Path) -> None:
    """`careflow schema --kind mapping` is a JSON Schema the Sepsis mapping validates against."""
    schema = mapping_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(SEPSIS_MAPPING.read_text("utf-8")), schema)
    result = CliRunner().invoke(main, ["schema", "--kind", "mapping"])
    assert result.exit_code == 0
    assert json.loads(result.output) == schema


BAD_MAPPINGS = {
    "key.yaml": ("colums: {}\n", "unknown key 'colums'", 1),
    "role.yaml": ("columns:\n  ward: x\n", "unknown key 'ward'", 2),
    "kind.yaml": ("activities:\n  Triage: triage\n", "not one of", 2),
    "policy.yaml": ("missing:\n  case: unknown\n", "not a policy for case", 2),
    "regex.yaml": ("units:\n  - pattern: '('\n    principal: region\n", "regular expression", 2),
    "codes.yaml": ("diagnoses:\n  - codes: F1-F190\n    need: x\n", "code range", 2),
    "zone.yaml": ("timezone: Europe/Nowhere\n", "not a time zone", 1),
    "aspect.yaml": ("recorded_completely: [everything]\n", "not an aspect", 1),
    "json.json": ('{"columns": {"case": 5}}', "expected a column name", None),
}


@pytest.mark.parametrize("name", sorted(BAD_MAPPINGS))
def test_bad_mapping_files_are_located_errors(tmp_path: Path, name: str) -> None:
    """Each bad mapping names the file, the line where known and the key; the CLI exits 1."""
    text, expected, line = BAD_MAPPINGS[name]
    path = _write(tmp_path, text, name)
    with pytest.raises(JourneyFileError, match=expected) as info:
        load_mapping(path)
    assert info.value.file == str(path)
    if line is not None:
        assert info.value.line == line
    log = _write(tmp_path, "case,timestamp,unit\nA,2024-01-02,U\n", "log.csv")
    out = tmp_path / "out.svg"
    result = CliRunner().invoke(
        main, ["render", str(log), "--kind", "actors", "-o", str(out), "--mapping", str(path)]
    )
    assert result.exit_code == 1
    assert str(path) in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_mapping_init_then_validate_reports_unmapped(tmp_path: Path) -> None:
    """The draft lists each value with its count, loads as a mapping, and validate reports."""
    log = _write(tmp_path, LOG, "log.csv")
    runner = CliRunner()
    draft = runner.invoke(main, ["mapping", "init", str(log)])
    assert draft.exit_code == 0, draft.output
    assert '"Beroendemottagningen Syd"   # 2 rows' in draft.output
    path = _write(tmp_path, draft.output, "draft.yaml")
    assert load_mapping(path).columns["unit"] == ("vardenhet",)
    mapping = _write(tmp_path, MAPPING, "mapping.yaml")
    result = runner.invoke(main, ["validate", str(log), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "unmapped unit 'Okänd mottagning': 1 events in 1 cases" in result.output


# -- the real Sepsis log ----------------------------------------------------------------------


def _sepsis_checks(path: Path, *, max_ping_pong: float) -> None:
    journeys = read_event_log(path, mapping=load_mapping(SEPSIS_MAPPING))
    framework = load_framework("malbilder")
    profiles = [score_journey(j, framework) for j in journeys]
    assert all(p.journey == j.id for p, j in zip(profiles, journeys, strict=True))
    assert any(t.score is not None for t in profiles[0].targets)
    codes = Counter(f.code for j in journeys for f in {f.code: f for f in find_gaps(j)}.values())
    assert codes["ping_pong"] <= max_ping_pong * len(journeys)
    graph = actor_map(journeys)
    assert "digraph" in graph.source


def test_sepsis_excerpt_reads_scores_and_draws() -> None:
    """The bundled Sepsis excerpts (CSV and XES, unmodified) read, score, find gaps, draw."""
    _sepsis_checks(DATA / "sepsis-excerpt.csv", max_ping_pong=0.05)
    _sepsis_checks(DATA / "sepsis-excerpt.xes", max_ping_pong=0.05)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/real-logs is not here")
@pytest.mark.parametrize("name", ["sepsis-cases.csv", "sepsis-one-trace-per-variant.xes.gz"])
def test_real_sepsis_log_with_the_shipped_mapping(name: str) -> None:
    """The full Sepsis log as distributed: at most a few percent of cases get ping_pong."""
    _sepsis_checks(SHARED / name, max_ping_pong=0.03)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/real-logs is not here")
def test_real_sepsis_validate_from_the_cli() -> None:
    """`careflow validate` reads the unmodified CSV with the mapping and reports the `?` units."""
    result = CliRunner().invoke(
        main,
        ["validate", str(SHARED / "sepsis-cases.csv"), "--mapping", str(SEPSIS_MAPPING)],
    )
    assert result.exit_code == 0, result.output
    assert "1,050 cases" in result.output
    assert "294 rows with unit missing, kept as unknown" in result.output


def test_cli_from_mapping_to_scores_gaps_and_diagrams(tmp_path: Path) -> None:
    """score, gaps, render and report all take --mapping and read the excerpt with it."""
    runner = CliRunner()
    log, mapping = str(DATA / "sepsis-excerpt.csv"), str(SEPSIS_MAPPING)
    scores = runner.invoke(main, ["score", log, "--mapping", mapping, "--format", "csv"])
    assert scores.exit_code == 0, scores.output
    assert scores.stdout.splitlines()[0].startswith("journey,overall,overall_basis,target_1")
    found = runner.invoke(main, ["gaps", log, "--mapping", mapping, "--format", "json"])
    assert found.exit_code == 0, found.output
    out = tmp_path / "actors.dot"
    drawn = runner.invoke(
        main, ["render", log, "--mapping", mapping, "--kind", "actors", "-o", str(out)]
    )
    assert drawn.exit_code == 0, drawn.output
    assert out.read_text("utf-8").startswith("digraph")
    one = tmp_path / "a.dot"
    drawn = runner.invoke(
        main, ["render", log, "--mapping", mapping, "--journey", "A", "-o", str(one)]
    )
    assert drawn.exit_code == 0, drawn.output


def test_bad_log_writes_nothing_and_names_the_file(tmp_path: Path) -> None:
    """A log that cannot be read: exit 1, the file and line named, no output file."""
    log = _write(tmp_path, "case;timestamp;unit\nA;2024-01-02;U\nA;31/12/2024;U\n", "log.csv")
    out = tmp_path / "map.dot"
    result = CliRunner().invoke(main, ["render", str(log), "--kind", "actors", "-o", str(out)])
    assert result.exit_code == 1
    assert f"{log}:3, at timestamp" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_windows_1252_is_noted_on_stderr(tmp_path: Path) -> None:
    """Reading a log as Windows-1252 is never silent: score notes it on stderr."""
    log = tmp_path / "log.csv"
    log.write_bytes("case;timestamp;unit\nA;2024-01-02;Malmö\n".encode("cp1252"))
    result = CliRunner().invoke(main, ["score", str(log), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "careflow: note: read" in result.output
    assert "Windows-1252" in result.output


def test_recorded_completely_reaches_the_journeys_and_their_scores(tmp_path: Path) -> None:
    """A mapping that declares contacts complete makes 'nobody coordinated' a judgement.

    Without the declaration målbild 9 cannot tell "no coordinator" from "not recorded";
    with it, the journeys of the log carry the declaration, a person who met two services
    gets `no_coordinator`, and målbild 9 is scored instead of being not assessable.
    """
    log = _write(tmp_path, LOG, "log.csv")
    plain = {j.id: j for j in read_event_log(log, mapping=loads_mapping(MAPPING))}
    declared = {
        j.id: j
        for j in read_event_log(
            log, mapping=loads_mapping(MAPPING + "recorded_completely: [contacts]\n")
        )
    }
    assert plain["1"].recorded_completely == frozenset()
    assert {a.value for a in declared["1"].recorded_completely} == {"contacts"}
    assert "no_coordinator" not in {f.code for f in find_gaps(plain["1"])}
    assert "no_coordinator" in {f.code for f in find_gaps(declared["1"])}
    assert score_journey(declared["1"]).target(9).score is not None
