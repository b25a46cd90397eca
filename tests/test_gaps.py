"""Gap findings: each detector fires on its problem and points at the right ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import careflow
from careflow.gaps import DETECTORS, Severity, Thresholds, find_gaps, findings_to_dicts
from careflow.io import journey_from_dict
from tests.conftest import EXAMPLES
from tests.strategies import journeys

ACTORS = [
    {"id": "vc", "name": "Vårdcentralen", "principal": "region", "service": "primary_care"},
    {"id": "psy", "name": "Psykiatrin", "principal": "region", "service": "psychiatric_outpatient"},
    {"id": "soc", "name": "Socialtjänsten", "principal": "kommun", "service": "social_services"},
    {"id": "bo", "name": "Boendestödet", "principal": "kommun", "service": "housing_support"},
]


def _journey(events: list[dict[str, Any]], **extra: Any) -> careflow.Journey:
    data: dict[str, Any] = {
        "careflow": 1,
        "id": "j",
        "person": extra.pop("person", {"id": "p1"}),
        "actors": ACTORS,
        "events": events,
    }
    data.update(extra)
    return journey_from_dict(data)


def _codes(journey: careflow.Journey) -> list[str]:
    return [f.code for f in find_gaps(journey)]


def _one(journey: careflow.Journey, code: str) -> careflow.Finding:
    found = [f for f in find_gaps(journey) if f.code == code]
    assert len(found) == 1, found
    return found[0]


def test_sober_first_rejection_is_high_and_points_at_the_event() -> None:
    """A rejection for the other condition is a high 'sober_first' finding on målbild 5."""
    j = _journey(
        [
            {"id": "e1", "date": "2024-01-01", "actor": "vc", "kind": "help_seeking"},
            {
                "id": "e2",
                "date": "2024-01-10",
                "actor": "psy",
                "kind": "rejection",
                "reason_code": "other_condition",
            },
        ],
        transitions=[{"id": "t1", "from": "e1", "to": "e2"}],
    )
    finding = _one(j, "sober_first")
    assert finding.severity is Severity.HIGH
    assert finding.refs == ("e2",)
    assert 5 in finding.targets
    assert "Psykiatrin" in finding.text_sv


def test_rejection_passed_on_is_not_a_rejection_without_referral() -> None:
    """A rejection that is the source of a referral does not count as turning away alone."""
    events = [
        {"id": "e1", "date": "2024-01-01", "actor": "psy", "kind": "rejection"},
        {"id": "e2", "date": "2024-01-05", "actor": "soc", "kind": "first_contact"},
    ]
    alone = _journey(events)
    passed = _journey(events, transitions=[{"id": "t1", "from": "e1", "to": "e2"}])
    assert _one(alone, "rejection_without_referral").refs == ("e1",)
    assert "rejection_without_referral" not in _codes(passed)


def test_ping_pong_points_at_the_loop() -> None:
    """Referred to social services and back with no treatment between is ping-pong."""
    j = _journey(
        [
            {"id": "e1", "date": "2024-01-01", "actor": "psy", "kind": "assessment"},
            {"id": "e2", "date": "2024-02-01", "actor": "soc", "kind": "assessment"},
            {"id": "e3", "date": "2024-03-01", "actor": "psy", "kind": "contact"},
        ],
        transitions=[
            {"id": "t1", "from": "e1", "to": "e2", "kind": "referral"},
            {"id": "t2", "from": "e2", "to": "e3", "kind": "return"},
        ],
    )
    finding = _one(j, "ping_pong")
    assert finding.refs[:2] == ("t1", "t2")
    assert set(finding.refs[2:]) == {"e1", "e2", "e3"}
    assert finding.severity is Severity.HIGH


def test_treatment_between_breaks_the_loop() -> None:
    """When treatment started in between, going back is not ping-pong."""
    j = _journey(
        [
            {"id": "e1", "date": "2024-01-01", "actor": "psy", "kind": "assessment"},
            {"id": "e2", "date": "2024-02-01", "actor": "soc", "kind": "treatment"},
            {"id": "e3", "date": "2024-03-01", "actor": "psy", "kind": "contact"},
        ],
        transitions=[
            {"id": "t1", "from": "e1", "to": "e2"},
            {"id": "t2", "from": "e2", "to": "e3", "kind": "return"},
        ],
    )
    assert "ping_pong" not in _codes(j)


def _both_principals(days_apart: str, plans: list[dict[str, Any]] | None = None) -> Any:
    return _journey(
        [
            {"id": "e1", "date": "2024-01-01", "actor": "psy", "kind": "assessment"},
            {"id": "e2", "date": "2024-01-05", "actor": "soc", "kind": "assessment"},
            {"id": "e3", "date": days_apart, "actor": "soc", "kind": "support"},
        ],
        plans=plans or [],
    )


def test_no_sip_after_long_overlap_but_not_after_a_short_one() -> None:
    """'no_sip' needs region and kommun both active for sip_after_days without a joint plan."""
    long = _both_principals("2024-06-01")
    short = _both_principals("2024-01-20")
    finding = _one(long, "no_sip")
    assert finding.refs == ("e2", "e1") or set(finding.refs) == {"e1", "e2"}
    assert "no_sip" not in _codes(short)
    assert "no_sip" not in _codes(
        _both_principals("2024-06-01", [{"id": "sip", "kind": "sip", "date": "2024-02-01"}])
    )


def test_a_late_sip_is_a_medium_finding() -> None:
    """A SIP that came more than late_sip_days after both were active is 'late_sip'."""
    j = _both_principals("2024-12-01", [{"id": "sip", "kind": "sip", "date": "2024-09-01"}])
    finding = _one(j, "late_sip")
    assert finding.severity is Severity.MEDIUM
    assert finding.refs[0] == "sip"


def _with_staff(n: int, role: str = "staff") -> careflow.Journey:
    contacts = [{"id": f"c{i}", "role": "staff"} for i in range(n)]
    if role != "staff":
        contacts[0]["role"] = role
    events = [
        {
            "id": f"e{i}",
            "date": f"2024-01-{i + 1:02d}",
            "actor": "psy",
            "kind": "contact",
            "participants": ["person", f"c{i}"],
        }
        for i in range(n)
    ]
    return _journey(events, contacts=contacts)


def test_many_contacts_and_no_coordinator() -> None:
    """Four or more contact persons and nobody coordinating is 'no_coordinator'.

    The evidence is the contact persons met, then the first event at each service.
    """
    finding = _one(_with_staff(5), "no_coordinator")
    assert finding.refs == ("c0", "c1", "c2", "c3", "c4", "e0")
    assert 9 in finding.targets
    assert "no_coordinator" not in _codes(_with_staff(3))
    assert "no_coordinator" not in _codes(_with_staff(5, role="fast_vardkontakt"))


def test_cold_handover_across_the_boundary() -> None:
    """A cold region–kommun handover with no information is high; warm and full is none."""
    events = [
        {"id": "e1", "date": "2024-01-01", "actor": "psy", "kind": "contact"},
        {"id": "e2", "date": "2024-01-05", "actor": "soc", "kind": "contact"},
    ]
    cold = _journey(
        events,
        transitions=[{"id": "t1", "from": "e1", "to": "e2", "warm": False, "information": "none"}],
    )
    partly = _journey(
        events,
        transitions=[{"id": "t1", "from": "e1", "to": "e2", "warm": True, "information": "none"}],
    )
    warm = _journey(
        events,
        transitions=[{"id": "t1", "from": "e1", "to": "e2", "warm": True, "information": "full"}],
    )
    assert _one(cold, "cold_handover").severity is Severity.HIGH
    assert _one(cold, "cold_handover").refs == ("t1", "e1", "e2")
    assert _one(partly, "cold_handover").severity is Severity.MEDIUM
    assert "cold_handover" not in _codes(warm)


def test_long_wait_severity_grows_with_the_wait() -> None:
    """Waits over 30 days are medium, 90 days or more high; short waits are no finding."""

    def wait(to: str) -> careflow.Journey:
        return _journey(
            [
                {"id": "e1", "date": "2024-01-01", "actor": "vc", "kind": "referral"},
                {"id": "e2", "date": to, "actor": "psy", "kind": "first_contact"},
            ],
            transitions=[{"id": "t1", "from": "e1", "to": "e2"}],
        )

    assert "long_wait" not in _codes(wait("2024-01-20"))
    assert _one(wait("2024-02-20"), "long_wait").severity is Severity.MEDIUM
    assert _one(wait("2024-05-01"), "long_wait").severity is Severity.HIGH


def test_no_contact_after_discharge_and_the_gap_is_not_reported_twice() -> None:
    """A discharge followed by 100 days without follow-up is one finding, not also a long gap.

    The contact at social services is no follow-up of a psychiatric discharge: social
    services do not work on the mental health condition.
    """
    j = _journey(
        [
            {
                "id": "e1",
                "date": "2024-01-01",
                "actor": "psy",
                "kind": "admission",
                "end": "2024-01-10",
            },
            {"id": "e2", "date": "2024-01-10", "actor": "psy", "kind": "discharge"},
            {"id": "e3", "date": "2024-04-20", "actor": "soc", "kind": "contact"},
        ],
        person={"id": "p1", "needs": ["mental_health"]},
    )
    finding = _one(j, "no_contact_after_discharge")
    assert finding.refs == ("e2",)
    assert finding.days is not None
    assert finding.days > 100
    assert "long_contact_gap" not in _codes(j)


def test_long_gap_only_while_needs_are_open() -> None:
    """A long silent stretch is a finding for a person with needs, not after case closed."""
    events = [
        {"id": "e1", "date": "2024-01-01", "actor": "soc", "kind": "contact"},
        {"id": "e2", "date": "2024-06-01", "actor": "soc", "kind": "contact"},
    ]
    with_needs = _journey(events, person={"id": "p1", "needs": ["housing"]})
    without = _journey(events)
    assert _one(with_needs, "long_contact_gap").refs == ("e1", "e2")
    assert "long_contact_gap" not in _codes(without)
    closed = _journey(
        [{"id": "e0", "date": "2023-12-01", "actor": "soc", "kind": "case_closed"}],
        person={"id": "p1", "needs": ["housing"]},
        observed_until="2024-12-01",
    )
    assert "long_contact_gap" not in _codes(closed)


@pytest.mark.parametrize(
    ("consent", "took_part", "expected"),
    [
        (True, False, "network_not_involved"),
        (True, True, None),
        (None, False, "network_consent_unknown"),
        (False, False, None),
    ],
)
def test_network_findings_respect_consent(
    consent: bool | None, took_part: bool, expected: str | None
) -> None:
    """Consent but never involved is a finding; declined consent never is."""
    member: dict[str, Any] = {"id": "mamma", "relation": "parent"}
    if consent is not None:
        member["consent"] = consent
    event: dict[str, Any] = {"id": "e1", "date": "2024-01-01", "actor": "soc", "kind": "contact"}
    if took_part:
        event["participants"] = ["person", "mamma"]
    codes = {c for c in _codes(_journey([event], network=[member])) if c.startswith("network")}
    assert codes == ({expected} if expected else set())


def test_unaddressed_needs_use_what_services_address() -> None:
    """Housing support addresses housing; an untreated substance use need is high."""
    j = _journey(
        [{"id": "e1", "date": "2024-01-01", "actor": "bo", "kind": "support"}],
        person={"id": "p1", "needs": ["housing", "substance_use", "occupation"]},
    )
    found = {f.text_en: f for f in find_gaps(j) if f.code == "unaddressed_need"}
    assert set(found) == {
        "No service acted on the need substance use.",
        "No service acted on the need occupation.",
    }
    assert found["No service acted on the need substance use."].severity is Severity.HIGH
    assert found["No service acted on the need occupation."].severity is Severity.MEDIUM


def test_sanction_and_drop_out() -> None:
    """A sanction is high; a drop-out nobody followed up is medium."""
    j = _journey(
        [
            {
                "id": "e1",
                "date": "2024-01-01",
                "actor": "bo",
                "kind": "case_closed",
                "reason_code": "sanction",
            },
            {"id": "e2", "date": "2024-02-01", "actor": "psy", "kind": "drop_out"},
            {
                "id": "e3",
                "date": "2024-05-01",
                "actor": "psy",
                "kind": "help_seeking",
                "initiated_by": "person",
            },
        ]
    )
    assert _one(j, "sanction").refs == ("e1",)
    assert _one(j, "dropped_out").refs == ("e2",)


def test_thresholds_are_configurable() -> None:
    """A stricter wait threshold turns a 20-day wait into a finding."""
    j = _journey(
        [
            {"id": "e1", "date": "2024-01-01", "actor": "vc", "kind": "referral"},
            {"id": "e2", "date": "2024-01-21", "actor": "psy", "kind": "first_contact"},
        ],
        transitions=[{"id": "t1", "from": "e1", "to": "e2"}],
    )
    assert not [f for f in find_gaps(j) if f.code == "long_wait"]
    strict = find_gaps(j, thresholds=Thresholds(wait_days=14))
    assert [f.refs for f in strict if f.code == "long_wait"] == [("t1", "e1", "e2")]


@given(journeys())
def test_findings_are_ranked_point_at_known_ids_and_are_deterministic(
    journey: careflow.Journey,
) -> None:
    """Severity never rises down the list; every ref is an id in the journey; same twice."""
    findings = find_gaps(journey)
    assert findings == find_gaps(journey)
    severities = [int(f.severity) for f in findings]
    assert severities == sorted(severities, reverse=True)
    known = (
        {e.id for e in journey.events}
        | {t.id for t in journey.transitions}
        | {c.id for c in journey.contacts}
        | {n.id for n in journey.network}
        | {p.id for p in journey.plans}
    )
    for finding in findings:
        assert set(finding.refs) <= known
        assert finding.text_sv
        assert finding.text_en
        assert all(1 <= t <= 10 for t in finding.targets)


@given(journeys())
def test_declined_consent_never_gives_a_network_finding(journey: careflow.Journey) -> None:
    """No finding ever points at a network member who declined involvement."""
    declined = {n.id for n in journey.network if n.consent is False}
    for finding in find_gaps(journey):
        assert not declined & set(finding.refs)


def test_every_detector_is_documented() -> None:
    """docs/findings.md names every code a detector can emit."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "findings.md").read_text("utf-8")
    codes = {
        "cold_handover",
        "ping_pong",
        "sober_first",
        "sanction",
        "no_sip",
        "late_sip",
        "no_coordinator",
        "long_wait",
        "no_contact_after_discharge",
        "long_contact_gap",
        "network_not_involved",
        "network_consent_unknown",
        "unaddressed_need",
        "rejection_without_referral",
        "dropped_out",
        "death_after_contact",
        "compulsory_care_ended",
    }
    for code in codes:
        assert f"`{code}`" in text, code
    assert len(DETECTORS) == 16


def test_findings_to_dicts_is_plain_json_data() -> None:
    """Findings become dicts with a lower-case severity and lists of ids."""
    j = _with_staff(4)
    (d,) = findings_to_dicts(f for f in find_gaps(j) if f.code == "no_coordinator")
    assert d == {
        "code": "no_coordinator",
        "severity": "high",
        "targets": [9, 4],
        "refs": ["c0", "c1", "c2", "c3", "e0"],
        "text_sv": "1 verksamhet och 4 olika kontaktpersoner men ingen samordnare eller fast "
        "vårdkontakt.",
        "text_en": "1 service and 4 different contact persons but no coordinator or named contact.",
        "need": None,
        "direction": None,
        "principals": ["region"],
        "days": None,
        "demands": [],
    }


def _example(name: str) -> careflow.Journey:
    return careflow.load_journey(EXAMPLES / f"{name}.yaml")


def test_fragmented_example_findings_point_at_its_failures() -> None:
    """The fragmented journey shows its ping-pong, sober-first, missing SIP and coordinator."""
    journey = _example("fragmented")
    findings = find_gaps(journey)
    codes = {f.code for f in findings}
    assert {"ping_pong", "sober_first", "no_sip", "no_coordinator"} <= codes
    sober = [f for f in findings if f.code == "sober_first"]
    assert all(
        journey.event(f.refs[0]).reason_code is careflow.Reason.OTHER_CONDITION for f in sober
    )
    for finding in findings:
        if finding.code == "ping_pong":
            for ref in finding.refs:
                assert ref in {t.id for t in journey.transitions} | {e.id for e in journey.events}
    (coord,) = [f for f in findings if f.code == "no_coordinator"]
    assert set(coord.refs) <= {c.id for c in journey.contacts} | {e.id for e in journey.events}
    assert findings[0].severity is Severity.HIGH


def test_coordinated_example_has_no_high_severity_finding() -> None:
    """The coordinated journey may have small findings, but none of high severity."""
    findings = find_gaps(_example("coordinated"))
    assert [f for f in findings if f.severity is Severity.HIGH] == []
