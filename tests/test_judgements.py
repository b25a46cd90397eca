"""Issue 7's judgements, one behaviour at a time.

Completeness, responsibility gaps, rejections as moves, follow-up, known but untreated
needs, invited or pushing in, and the overall's basis.
"""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

import careflow
from careflow.cli import main
from careflow.gaps import Finding, Severity, find_gaps
from careflow.graph import loops
from careflow.scoring import Facts, score_journey
from careflow.scoring.indicators import INDICATORS
from careflow.scoring.rules import demanded_first, known_needs

ACTORS = [
    {"id": "akut", "name": "Psykakuten", "principal": "region", "service": "psychiatric_emergency"},
    {"id": "avd", "name": "Avdelning 3", "principal": "region", "service": "psychiatric_inpatient"},
    {"id": "psy", "name": "Psykiatrin", "principal": "region", "service": "psychiatric_outpatient"},
    {"id": "ber", "name": "Beroende", "principal": "region", "service": "addiction_medicine"},
    {"id": "soc", "name": "Socialtjänsten", "principal": "kommun", "service": "social_services"},
]


def _journey(events: list[dict[str, Any]], **extra: Any) -> careflow.Journey:
    data: dict[str, Any] = {
        "id": "j",
        "person": {"id": "p", "needs": ["mental_health"]},
        "actors": ACTORS,
        "events": events,
    }
    data.update(extra)
    return careflow.journey_from_dict(data)


def _ev(eid: str, date: str, actor: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "date": date, "actor": actor, "kind": kind, **extra}


def _found(journey: careflow.Journey, code: str) -> list[Finding]:
    return [f for f in find_gaps(journey) if f.code == code]


def _indicator(journey: careflow.Journey, ind: str) -> Any:
    return INDICATORS[ind](Facts(journey))


# -- 1. recorded completely ---------------------------------------------------------------

TWO_SERVICES = [
    _ev("e1", "2024-01-01", "akut", "assessment"),
    _ev("e2", "2024-01-10", "soc", "assessment"),
    _ev("e3", "2024-03-01", "psy", "treatment"),
]


def test_declared_complete_contacts_without_coordinator_make_malbild_9_low() -> None:
    """With contacts declared complete and none listed, nobody coordinated: 9 is low."""
    declared = _journey(TWO_SERVICES, recorded_completely=["contacts"])
    (finding,) = _found(declared, "no_coordinator")
    assert finding.refs == ("e1", "e2", "e3")
    assert finding.principals == ("region", "kommun")
    score = score_journey(declared).target(9).score
    assert score is not None
    assert score <= 0.5


def test_undeclared_empty_contacts_keep_today_behaviour() -> None:
    """Without the declaration, no contacts means not recorded: 9 is not assessable."""
    silent = _journey(TWO_SERVICES)
    assert _found(silent, "no_coordinator") == []
    assert score_journey(silent).target(9).score is None


def test_recorded_completely_round_trips_and_defaults_to_nothing() -> None:
    """The declaration is written back as written; files without it load with none."""
    declared = _journey(TWO_SERVICES, recorded_completely=["plans", "contacts"])
    again = careflow.loads_journey(careflow.dumps_journey(declared))
    assert again.recorded_completely == declared.recorded_completely
    assert "recorded_completely:\n- contacts\n- plans" in careflow.dumps_journey(declared)
    assert _journey(TWO_SERVICES).recorded_completely == frozenset()


# -- 2. closed before opened --------------------------------------------------------------


def _closure(warm: bool | None, first: str) -> careflow.Journey:
    events = [
        _ev("e1", "2024-01-01", "akut", "assessment"),
        _ev("e2", "2024-01-01", "akut", "referral"),
        _ev("e3", "2024-01-05", "akut", "case_closed", reason_code="unreachable"),
        _ev("e4", first, "ber", "assessment"),
    ]
    transition: dict[str, Any] = {"id": "t1", "from": "e2", "to": "e4", "information": "partial"}
    if warm is not None:
        transition["warm"] = warm
    return _journey(
        events, transitions=[transition], observed_until="2024-03-01", person={"id": "p"}
    )


def test_a_case_closed_before_the_referral_opened_is_high_with_days() -> None:
    """Closed on day 5, addiction care first met the person on day 26: 21 days unheld."""
    (finding,) = _found(_closure(None, "2024-01-26"), "closed_before_opened")
    assert finding.severity is Severity.HIGH
    assert finding.targets == (4, 9)
    assert finding.refs == ("e3", "t1", "e4")
    assert finding.days == 21
    assert finding.principals == ("region",)


def test_a_warm_handover_holds_the_person() -> None:
    """A warm handover means the receiving service met the person: nobody was left unheld."""
    assert _found(_closure(True, "2024-01-26"), "closed_before_opened") == []


def test_a_referral_without_destination_counts_until_any_service_opens() -> None:
    """A discharge while a referral with no destination led nowhere is unheld to the end."""
    j = _journey(
        [
            _ev("e1", "2024-01-01", "soc", "referral"),
            _ev("e2", "2024-01-01", "avd", "admission", end="2024-01-02"),
            _ev("e3", "2024-01-02", "avd", "discharge"),
        ]
    )
    (finding,) = _found(j, "closed_before_opened")
    assert finding.refs == ("e3", "e1")
    result = _indicator(j, "discharge_follow_up")
    assert result.value == 0.0
    assert result.failed == ("e3",)


# -- 3. cold handovers inside a principal -------------------------------------------------


def _handover(source: str, target: str, target_kind: str, day: str) -> careflow.Journey:
    return _journey(
        [_ev("e1", "2024-01-01", source, "assessment"), _ev("e2", day, target, target_kind)],
        transitions=[{"id": "t1", "from": "e1", "to": "e2", "information": "none"}],
    )


def test_cold_handover_between_services_of_one_principal_is_medium() -> None:
    """Psychiatry to addiction care with no information is a medium finding."""
    (finding,) = _found(_handover("psy", "ber", "assessment", "2024-01-10"), "cold_handover")
    assert finding.severity is Severity.MEDIUM
    assert "Psykiatrin" in finding.text_en


def test_no_cold_handover_within_one_unit_or_one_stay() -> None:
    """Within one unit, or from emergency into an admission the same day, is one episode."""
    assert _found(_handover("psy", "psy", "treatment", "2024-01-10"), "cold_handover") == []
    assert _found(_handover("akut", "avd", "admission", "2024-01-01"), "cold_handover") == []


# -- 4. rejections are moves --------------------------------------------------------------

CIRCLE = [
    _ev("e1", "2024-01-01", "psy", "rejection", demanded_first="substance_use"),
    _ev("e2", "2024-01-10", "ber", "assessment", initiated_by="network"),
    _ev("e3", "2024-01-10", "ber", "rejection", reason_code="other_condition"),
    _ev("e4", "2024-01-20", "soc", "assessment"),
    _ev("e5", "2024-02-10", "psy", "assessment"),
]


def test_a_circle_through_rejections_and_a_relatives_step_is_ping_pong() -> None:
    """Psychiatry → (relative) → addiction care → social services → psychiatry is a loop."""
    j = _journey(
        CIRCLE,
        transitions=[
            {"id": "t1", "from": "e3", "to": "e4"},
            {"id": "t2", "from": "e4", "to": "e5"},
        ],
        person={"id": "p", "needs": ["substance_use", "mental_health"]},
    )
    (loop,) = loops(j)
    assert loop.transitions == ("t1", "t2")
    assert loop.events[0] == "e1"
    (finding,) = _found(j, "ping_pong")
    assert finding.demands == (("psy", "substance_use"), ("ber", "mental_health"))
    assert "Psykiatrin: sobriety first; Beroende: psychiatry first" in finding.text_en
    assert finding.direction is None


def test_demanded_first_follows_from_the_service_when_not_recorded() -> None:
    """Addiction care turning away for the other condition demanded mental health first."""
    j = _journey(CIRCLE)
    assert demanded_first(j, j.event("e3")) is careflow.Direction.MENTAL_HEALTH
    assert demanded_first(j, j.event("e1")) is careflow.Direction.SUBSTANCE_USE
    (sober,) = [f for f in _found(j, "sober_first") if f.refs == ("e3",)]
    assert sober.direction == "mental_health"


# -- 5. follow-up after discharge ---------------------------------------------------------


def _discharge(*after: dict[str, Any], until: str = "2024-06-01") -> careflow.Journey:
    events = [
        _ev("e1", "2024-01-01", "avd", "admission", end="2024-01-10"),
        _ev("e2", "2024-01-10", "avd", "discharge"),
        *after,
    ]
    return _journey(events, observed_until=until)


def test_emergency_returns_are_not_follow_up_but_evidence_it_failed() -> None:
    """A crisis at the emergency unit after discharge is cited, not counted as follow-up."""
    j = _discharge(_ev("e3", "2024-01-15", "akut", "crisis", initiated_by="person"))
    (finding,) = _found(j, "no_contact_after_discharge")
    assert finding.refs == ("e2", "e3")
    assert _indicator(j, "discharge_follow_up").failed == ("e2",)


def test_planned_contact_within_a_week_is_follow_up() -> None:
    """An outpatient contact five days after discharge is follow-up: no finding, value 1."""
    j = _discharge(_ev("e3", "2024-01-15", "psy", "contact"))
    assert _found(j, "no_contact_after_discharge") == []
    assert _indicator(j, "discharge_follow_up").value == 1.0


def test_a_discharge_with_nothing_after_it_is_judged_once_observed_long_enough() -> None:
    """Nothing after a discharge: a finding after 30 days observed, not before."""
    assert len(_found(_discharge(until="2024-03-01"), "no_contact_after_discharge")) == 1
    short = _discharge(until="2024-01-20")
    assert _found(short, "no_contact_after_discharge") == []
    assert _indicator(short, "discharge_follow_up").value is None


# -- 6. known but untreated ---------------------------------------------------------------


def test_a_condition_named_in_a_rejection_is_known_and_untreated() -> None:
    """A sober-first rejection makes both conditions known; untreated, 3 and 5 fall."""
    j = _journey(
        [
            _ev("e1", "2024-01-01", "psy", "rejection", reason_code="other_condition"),
            _ev("e2", "2024-02-01", "psy", "contact"),
        ],
        person={"id": "p"},
    )
    assert set(known_needs(j)) == {"substance_use", "mental_health"}
    needs = {f.need for f in _found(j, "unaddressed_need")}
    assert needs == {"substance_use", "mental_health"}
    profile = score_journey(j)
    for target in (3, 5):
        score = profile.target(target).score
        assert score is None or score <= 0.5


def test_no_rejections_in_a_short_untreated_journey_is_no_evidence_of_inclusion() -> None:
    """Nobody turned the person away, but nothing was done: half, not 1."""
    j = _journey([_ev("e1", "2024-01-01", "psy", "assessment")], observed_until="2024-02-01")
    result = _indicator(j, "other_condition_rejections")
    assert result.value == 0.5
    assert "never treated" in result.explanation_en


def test_a_kommun_need_with_the_kommun_never_involved_lowers_4_and_8() -> None:
    """Housing need, only region services: joint_plan 0 and the finding names målbild 4."""
    j = _journey(
        [_ev("e1", "2024-01-01", "psy", "treatment", end="2024-04-01")],
        person={"id": "p", "needs": ["housing"]},
    )
    assert _indicator(j, "joint_plan").value == 0.0
    (finding,) = _found(j, "unaddressed_need")
    assert finding.targets == (8, 4)
    assert finding.need == "housing"


# -- 7. invited or pushing in; outreach ---------------------------------------------------


def _relative(*events: dict[str, Any], consent: bool | None = True) -> careflow.Journey:
    return _journey(
        [*events], network=[{"id": "n1", "relation": "parent", "name": "mamma", "consent": consent}]
    )


def test_a_relative_who_pushed_in_and_was_never_invited_is_a_failure() -> None:
    """Mother's own call is not involvement: finding and network_involved 0."""
    j = _relative(
        _ev("e1", "2024-01-01", "psy", "contact", initiated_by="network", participants=["n1"])
    )
    (finding,) = _found(j, "network_not_involved")
    assert finding.refs == ("n1", "e1")
    assert _indicator(j, "network_involved").failed == ("n1",)


def test_a_relative_invited_afterwards_is_involved() -> None:
    """An invitation after the relative's own call counts as involvement."""
    j = _relative(
        _ev("e1", "2024-01-01", "psy", "contact", initiated_by="network", participants=["n1"]),
        _ev("e2", "2024-01-20", "psy", "plan_meeting", initiated_by="service", participants=["n1"]),
    )
    assert _found(j, "network_not_involved") == []
    assert _indicator(j, "network_involved").value == 1.0


def test_outreach_after_a_drop_out_means_a_service_contacted_the_person() -> None:
    """The person's own visit elsewhere is no outreach; the service calling them is."""
    drop = _ev("e1", "2024-01-01", "psy", "drop_out")
    own = _journey([drop, _ev("e2", "2024-01-05", "ber", "contact", initiated_by="person")])
    assert len(_found(own, "dropped_out")) == 1
    rejected = _journey([drop, _ev("e2", "2024-01-05", "psy", "rejection", initiated_by="service")])
    assert len(_found(rejected, "dropped_out")) == 1
    called = _journey(
        [drop, _ev("e2", "2024-01-05", "psy", "contact_attempt", initiated_by="service")]
    )
    assert _found(called, "dropped_out") == []


# -- 8. the overall's basis in every output ------------------------------------------------


def test_score_outputs_state_what_the_overall_rests_on() -> None:
    """Table, JSON and CSV say how many målbilder the overall rests on."""
    runner = CliRunner()
    table = runner.invoke(main, ["score", "examples/fragmented.yaml", "--lang", "en"])
    assert "Overall (10 of 10 targets)" in table.output
    data = json.loads(
        runner.invoke(main, ["score", "examples/fragmented.yaml", "--format", "json"]).output
    )
    assert data["overall_basis"] == {"assessable": 10, "targets": 10}
    assert data["overall_reason"] is None
    capped = {t["id"]: t["capped_by"] for t in data["targets"]}
    assert "no_sip" in capped[4]


def test_findings_json_carries_structured_fields() -> None:
    """Each finding in JSON has need, direction, principals, days and demands."""
    out = CliRunner().invoke(main, ["gaps", "examples/fragmented.yaml", "--format", "json"])
    data = json.loads(out.output)
    assert data["schema_version"] == "1.1"
    for finding in data["findings"]:
        assert {"need", "direction", "principals", "days", "demands"} <= finding.keys()
    sober = [f for f in data["findings"] if f["code"] == "sober_first"]
    assert {f["direction"] for f in sober} == {"substance_use", "mental_health"}
