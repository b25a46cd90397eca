"""Deaths and compulsory care in event logs (issue 12): roles, value maps, reports, findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

import careflow
from careflow import model as m
from careflow.cli import main
from careflow.errors import JourneyFileError
from careflow.gaps import find_gaps
from careflow.io.eventlog import read_event_log, read_event_log_report
from careflow.io.mapping import load_mapping, loads_mapping, mapping_schema

DATA = Path(__file__).resolve().parent / "data"
#: A linked register extract: region, kommun and state care, Dödsorsaksregistret's deaths.
EXTRACT = DATA / "register-death-compulsory.csv"

HEADER = "lopnr;datum;enhet;aktivitet;vardform;dodsorsak;certainty\n"


def _log(tmp_path: Path, rows: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _by_id(journeys: list[m.Journey]) -> dict[str, m.Journey]:
    return {j.id: j for j in journeys}


# -- reading -----------------------------------------------------------------------------------


def test_the_extract_reads_causes_certainties_and_legal_bases_without_a_mapping() -> None:
    """Known headers and values: Dödsorsak X42 is an overdose, Vårdform names the law."""
    result = read_event_log_report(EXTRACT)
    assert result.report.columns["cause"] == "Dödsorsak"
    assert result.report.columns["certainty"] == "Certainty"
    assert result.report.columns["legal_basis"] == "Vårdform"
    journeys = _by_id(result.journeys)
    kim = journeys["1043"]
    death = kim.death
    assert death is not None
    assert (death.cause, death.certainty) == (m.DeathCause.OVERDOSE, m.Certainty.PROBABLE)
    assert [e.legal_basis for e in kim.timeline if e.kind is m.EventKind.ADMISSION] == [
        m.LegalBasis.LVM,
        m.LegalBasis.NONE,
    ]
    lpt = journeys["2001"]
    assert lpt.death is None
    assert lpt.timeline[0].legal_basis is m.LegalBasis.LPT
    assert lpt.timeline[0].compulsory
    none = journeys["3002"]
    assert none.timeline[0].legal_basis is m.LegalBasis.NONE  # "none" is a value, not missing
    assert none.death is not None
    assert (none.death.cause, none.death.certainty) == (
        m.DeathCause.SUICIDE,
        m.Certainty.CONFIRMED,
    )


def test_values_on_events_that_cannot_carry_them_are_not_kept_and_counted() -> None:
    """ÖPT on an outpatient visit and a cause joined onto a visit are dropped, and counted."""
    result = read_event_log_report(EXTRACT)
    assert result.report.ignored == {"legal_basis": 1, "cause": 1}
    for journey in result.journeys:
        for event in journey.events:
            if event.kind is not m.EventKind.DEATH:
                assert event.cause is None
                assert event.certainty is None
            if event.kind not in m.LEGAL_BASIS_KINDS:
                assert event.legal_basis is None
    lines = result.report.lines()
    assert (
        "  1 rows with a legal_basis on an event that is not an admission, treatment or "
        "support: not kept"
    ) in lines
    assert "  1 rows with a cause on an event that is not a death: not kept" in lines


def test_gaps_on_the_extract_finds_the_ended_lvm_care_and_the_death_after_discharge() -> None:
    """`careflow gaps` on the log: case 1043 gets both findings, citing the log's events."""
    result = CliRunner().invoke(main, ["gaps", str(EXTRACT), "--format", "json"])
    assert result.exit_code == 0, result.output
    found = {
        doc["journey"]: {f["code"]: f for f in doc["findings"]}
        for doc in map(json.loads, result.stdout.splitlines())
    }
    kim = found["1043"]
    assert kim["compulsory_care_ended"]["refs"] == ["e1", "e2", "e3"]
    assert "under LVM at LVM-hem Lunden" in kim["compulsory_care_ended"]["text_en"]
    assert kim["death_after_contact"]["refs"] == ["e4", "e5"]
    assert "(overdose, probable)" in kim["death_after_contact"]["text_en"]
    for case in ("2001", "3002"):  # LPT ended with nobody else holding; a contact before death
        assert "compulsory_care_ended" not in found[case]
        assert "death_after_contact" not in found[case]
    assert "not kept" in result.stderr  # the note says what was dropped


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        ("X42", "overdose"),
        ("x42.1", "overdose"),
        ("Y12", "overdose"),
        ("X70", "suicide"),
        ("X84.9", "suicide"),
        ("X99", "violence"),
        ("Y09", "violence"),
        ("I21.9", "somatic"),
        ("R99", "unknown"),
        ("Överdos", "overdose"),
        ("självmord", "suicide"),
        ("Cause unknown", "unknown"),
    ],
)
def test_causes_are_read_from_words_labels_and_icd10_codes(
    tmp_path: Path, code: str, cause: str
) -> None:
    """Without a mapping a cause cell may be a cause, its label or a built-in ICD-10 range."""
    path = _log(tmp_path, f"A;2025-01-02;Dödsorsaksregistret;death;;{code};\n")
    (journey,) = read_event_log(path)
    assert journey.death is not None
    assert journey.death.cause == cause


@pytest.mark.parametrize(
    ("text", "law"),
    [
        ("LPT", "LPT"),
        ("lvm", "LVM"),
        ("Tvångsvård enligt LPT", "LPT"),
        ("6 § LVM", "LVM"),
        ("ÖPT", "LPT"),
        ("ÖRV", "LRV"),
        ("LRV", "LRV"),
        ("LVU", "LVU"),
        ("Frivillig vård", "none"),
        ("HSL", "none"),
        ("none", "none"),
        ("Voluntary", "none"),
        ("Sluten vård", None),
        ("NA", None),
    ],
)
def test_legal_bases_are_read_from_the_laws_named(
    tmp_path: Path, text: str, law: str | None
) -> None:
    """A value naming one law is that law; voluntary words are none; a care form says nothing."""
    path = _log(tmp_path, f"A;2025-01-02;Avd 3;admission;{text};;\n")
    (journey,) = read_event_log(path)
    assert journey.events[0].legal_basis == law


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        ("A;2025-01-02;Avd 3;admission;LVM/LPT;;\n", "vardform", "LVM/LPT"),
        ("A;2025-01-02;Avd 3;admission;tvång;;\n", "vardform", "tvång"),
        ("A;2025-01-02;Register;death;;F11.2;\n", "dodsorsak", "F11.2"),
        ("A;2025-01-02;Register;death;;X42;sure\n", "certainty", "sure"),
    ],
)
def test_a_value_no_rule_knows_is_a_located_error_without_a_mapping(
    tmp_path: Path, row: str, column: str, value: str
) -> None:
    """Without a mapping an unknown value is an error naming file, line 3 and the column."""
    path = _log(tmp_path, "A;2025-01-01;Avd 3;contact;;;\n" + row)
    with pytest.raises(JourneyFileError) as caught:
        read_event_log(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:3, at {column}: {value!r}")
    assert "map it in a mapping file" in text


def test_a_value_on_a_row_that_cannot_carry_it_is_not_looked_up(tmp_path: Path) -> None:
    """A cause no rule knows on a visit is not an error: it is not kept, only counted."""
    path = _log(tmp_path, "A;2025-01-01;Avd 3;contact;tvång;F11.2;sure\n")
    result = read_event_log_report(path)
    assert result.report.ignored == {"cause": 1, "certainty": 1, "legal_basis": 1}
    assert result.report.unmapped == ()


# -- mapping files -----------------------------------------------------------------------------

PVARD_LOG = (
    "lopnr;datum;enhet;aktivitet;pvard;ulorsak\n"
    "A;2025-01-02;Avd 3;admission;2;\n"
    "A;2025-01-09;Avd 3;discharge;;\n"
    "B;2025-01-03;Avd 3;admission;1;\n"
    "B;2025-01-04;Avd 3;admission;9;\n"
    "C;2025-01-04;Avd 3;admission;9;\n"
    "C;2025-02-01;Register;death;;F11.2\n"
    "D;2025-02-01;Register;death;;X42\n"
)
PVARD_MAPPING = """
legal_bases:              # Patientregistret's PVARD: 1 voluntary, 2 LPT, 3 LRV
  "1": none
  "2": LPT
  "3": LRV
causes:
  - pattern: "F1[1-69].*"
    cause: overdose
  - match: X42
    cause: unknown        # the mapping wins over careflow's own code ranges
"""


def test_mapping_value_maps_and_unmapped_values_are_reported(tmp_path: Path) -> None:
    """Exact and pattern rules map codes; a value no rule maps is counted, left unset."""
    path = tmp_path / "pvard.csv"
    path.write_text(PVARD_LOG.replace(";F11.2", ";G30"), encoding="utf-8")
    result = read_event_log_report(path, mapping=loads_mapping(PVARD_MAPPING))
    journeys = _by_id(result.journeys)
    assert journeys["A"].events[0].legal_basis is m.LegalBasis.LPT
    assert [e.legal_basis for e in journeys["B"].timeline] == [m.LegalBasis.NONE, None]
    assert journeys["C"].events[0].legal_basis is None
    unmapped = {(u.role, u.value): (u.events, u.cases) for u in result.report.unmapped}
    assert unmapped == {("legal_basis", "9"): (2, 2)}
    c_death, d_death = journeys["C"].death, journeys["D"].death
    assert c_death is not None
    assert d_death is not None
    assert c_death.cause is m.DeathCause.SOMATIC  # G30: careflow's range, no rule matched
    assert d_death.cause is m.DeathCause.UNKNOWN
    path.write_text(PVARD_LOG, encoding="utf-8")
    result = read_event_log_report(path, mapping=loads_mapping(PVARD_MAPPING))
    death = _by_id(result.journeys)["C"].death
    assert death is not None
    assert death.cause is m.DeathCause.OVERDOSE


def test_validate_with_a_mapping_lists_unmapped_causes_and_legal_bases(tmp_path: Path) -> None:
    """`careflow validate --mapping` exits 0 and names each unmapped value with its counts."""
    log = tmp_path / "pvard.csv"
    log.write_text(PVARD_LOG.replace(";F11.2", ";V89"), encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(PVARD_MAPPING, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(log), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "unmapped legal_basis '9': 2 events in 2 cases" in result.output
    assert "unmapped cause 'V89': 1 events in 1 cases" in result.output


def test_a_value_mapped_to_null_says_nothing(tmp_path: Path) -> None:
    """`null` in a value map: the value is read, known, and gives no legal basis or cause."""
    path = _log(
        tmp_path,
        "A;2025-01-02;Avd 3;admission;Ej tillämpligt;;\nA;2025-01-05;Reg;death;;Ej känd;\n",
    )
    mapping = loads_mapping('legal_bases: {"Ej tillämpligt": null}\ncauses: {"Ej känd": null}\n')
    result = read_event_log_report(path, mapping=mapping)
    (journey,) = result.journeys
    assert journey.events[0].legal_basis is None
    assert journey.death is not None
    assert journey.death.cause is None
    assert result.report.unmapped == ()


def test_missing_value_policies_apply_only_where_the_event_can_carry_the_value(
    tmp_path: Path,
) -> None:
    """`missing: {cause: error}` stops at a death without a cause, not at an empty visit."""
    rows = "A;2025-01-01;Avd 3;contact;;;\nA;2025-01-02;Register;death;;;\n"
    path = _log(tmp_path, rows)
    with pytest.raises(JourneyFileError, match=r"log\.csv:3, at dodsorsak: the cell is empty"):
        read_event_log(path, mapping=loads_mapping("missing: {cause: error}"))
    result = read_event_log_report(path)
    assert result.report.unknown == {"cause": 1, "certainty": 1}
    skip = read_event_log_report(
        _log(tmp_path, "A;2025-01-01;Avd 3;admission;;;\nA;2025-01-02;Avd 3;contact;;;\n", "s.csv"),
        mapping=loads_mapping("missing: {legal_basis: skip}"),
    )
    assert skip.report.skipped == {"legal_basis": 1}
    assert [e.kind for e in skip.journeys[0].events] == [m.EventKind.CONTACT]


def test_none_is_missing_when_the_mapping_says_so(tmp_path: Path) -> None:
    """A mapping listing `none` among missing values reads a `none` legal basis as missing."""
    path = _log(tmp_path, "A;2025-01-02;Avd 3;admission;none;;\n")
    (journey,) = read_event_log(path, mapping=loads_mapping("missing_values: [none]"))
    assert journey.events[0].legal_basis is None


def test_rows_differing_only_in_legal_basis_read_the_same_in_any_order(tmp_path: Path) -> None:
    """Two admissions at one time and unit differing only in the law: order is by the law."""
    rows = ["A;2025-01-02;Avd 3;admission;LVM;;\n", "A;2025-01-02;Avd 3;admission;LPT;;\n"]
    forward = read_event_log(_log(tmp_path, "".join(rows), "f.csv"))
    backward = read_event_log(_log(tmp_path, "".join(reversed(rows)), "b.csv"))
    assert forward == backward
    assert [e.legal_basis for e in forward[0].events] == [m.LegalBasis.LPT, m.LegalBasis.LVM]


def test_columns_can_be_named_and_turned_off(tmp_path: Path) -> None:
    """EventLogColumns and mapping columns name the roles; null means the log has none."""
    text = "case,date,unit,kind,lag,orsak,vardform\nA,2025-01-02,Avd,admission,LPT,,LVM\n"
    path = tmp_path / "n.csv"
    path.write_text(text, encoding="utf-8")
    (named,) = careflow.read_event_log(path, columns=careflow.EventLogColumns(legal_basis="lag"))
    assert named.events[0].legal_basis is m.LegalBasis.LPT
    (found,) = careflow.read_event_log(path)
    assert found.events[0].legal_basis is m.LegalBasis.LVM  # by its known name, vardform
    (off,) = careflow.read_event_log(path, mapping=loads_mapping("columns: {legal_basis: null}"))
    assert off.events[0].legal_basis is None


def test_the_journeys_read_are_the_journeys_a_file_would_hold() -> None:
    """A journey read from the log passes the model's own checks and finds the same gaps."""
    for journey in read_event_log(EXTRACT):
        again = careflow.io.journey_from_dict(careflow.io.journey_to_dict(journey))
        assert again == journey
        assert [f.code for f in find_gaps(again)] == [f.code for f in find_gaps(journey)]


# -- drafts and the schema ---------------------------------------------------------------------


def test_mapping_init_drafts_the_new_sections_without_empty_cells(tmp_path: Path) -> None:
    """The draft names the columns and lists each cause and law with its count, not blanks."""
    result = CliRunner().invoke(main, ["mapping", "init", str(EXTRACT)])
    assert result.exit_code == 0, result.output
    draft = result.stdout
    assert '  cause: "Dödsorsak"' in draft
    assert '  legal_basis: "Vårdform"' in draft
    assert '  # - match: "X70"   # 2 rows' in draft
    assert '  # - match: "Tvångsvård enligt LVM"   # 1 rows' in draft
    assert '# - match: ""' not in draft.split("causes:")[1]
    path = tmp_path / "draft.yaml"
    path.write_text(draft, encoding="utf-8")
    assert load_mapping(path).columns["legal_basis"] == ("Vårdform",)


def test_the_schema_describes_the_new_sections(tmp_path: Path) -> None:
    """A mapping with causes, certainties and legal bases validates; a wrong target does not."""
    schema = mapping_schema()
    doc = yaml.safe_load(PVARD_MAPPING + "certainties: {säker: confirmed}\n")
    doc["columns"] = {"cause": "ulorsak", "certainty": None, "legal_basis": ["pvard", "lagrum"]}
    doc["missing"] = {"cause": "skip", "legal_basis": "error"}
    jsonschema.validate(doc, schema)
    loads_mapping(json.dumps(doc), fmt="json")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"legal_bases": {"2": "lpt"}}, schema)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('legal_bases:\n  "2": lpt\n', r"m\.yaml:2, at legal_bases\.2: 'lpt' is not one of LVM"),
        ("causes:\n  - match: X42\n    cause: drugs\n", r"m\.yaml:3, at causes\[0\]\.cause"),
        ("certainties:\n  - pattern: '('\n    certainty: probable\n", "regular expression"),
        ("causes:\n  - match: X42\n", r"causes\[0\]: the rule has no cause"),
    ],
)
def test_bad_value_maps_are_located_mapping_errors(tmp_path: Path, text: str, message: str) -> None:
    """A wrong target, a missing one or a bad pattern names the mapping file, line and key."""
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(JourneyFileError, match=message):
        load_mapping(path)
