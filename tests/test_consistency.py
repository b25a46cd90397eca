"""Scores and findings never contradict each other (issue 7, point 8), over generated journeys."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings

import careflow
from careflow.gaps import Finding, Severity, find_gaps
from careflow.graph import boundary_crossings
from careflow.scoring import Facts, score_journey
from careflow.scoring.indicators import INDICATORS
from careflow.scoring.profile import HIGH_FINDING_CAP
from tests.conftest import EXAMPLES
from tests.strategies import border_journeys, journeys

_Cited = Callable[[careflow.Journey, Finding], tuple[str, ...]]


def _first(_journey: careflow.Journey, finding: Finding) -> tuple[str, ...]:
    return finding.refs[:1]


def _all(_journey: careflow.Journey, finding: Finding) -> tuple[str, ...]:
    return finding.refs


def _boundary(journey: careflow.Journey, finding: Finding) -> tuple[str, ...]:
    crossing = {c.transition.id for c in boundary_crossings(journey)}
    return finding.refs[:1] if finding.refs[0] in crossing else ()


def _high(_journey: careflow.Journey, finding: Finding) -> tuple[str, ...]:
    return finding.refs[:1] if finding.severity is Severity.HIGH else ()


#: indicator id -> the finding codes it matches, and which of a finding's refs it cites.
MATCHING: dict[str, tuple[tuple[str, _Cited], ...]] = {
    "other_condition_rejections": (("sober_first", _first),),
    "ping_pong": (("ping_pong", _all),),
    "joint_plan": (("no_sip", _all), ("late_sip", _all)),
    "coordinator_span": (("no_coordinator", _all),),
    "warm_boundary_handovers": (("cold_handover", _boundary),),
    "discharge_follow_up": (
        ("no_contact_after_discharge", _first),
        ("closed_before_opened", _first),
    ),
    "wait_to_appointment": (("long_wait", _high),),
    "network_involved": (("network_not_involved", _first),),
}


def _check_high_findings_cap_their_targets(journey: careflow.Journey) -> None:
    profile = score_journey(journey)
    high = {t for f in find_gaps(journey) if f.severity is Severity.HIGH for t in f.targets}
    for score in profile.targets:
        if score.target.id in high:
            assert score.capped_by, score.target.id
            assert score.score is None or score.score <= HIGH_FINDING_CAP, score.target.id
        else:
            assert not score.capped_by


def _check_findings_agree_with_indicators(journey: careflow.Journey) -> None:
    findings = find_gaps(journey)
    facts = Facts(journey)
    for indicator_id, pairs in MATCHING.items():
        result = INDICATORS[indicator_id](facts)
        cited = {
            ref
            for code, pick in pairs
            for finding in findings
            if finding.code == code
            for ref in pick(journey, finding)
        }
        if result.value is None:
            # not assessable: no finding may claim a failure the score cannot see, except
            # in a bare log whose kinds of event are not recorded
            assert not cited or not facts.kinds_recorded, indicator_id
            continue
        assert set(result.failed) == cited, indicator_id
        assert set(result.failed) <= set(result.lowered), indicator_id


def _check_overall_states_its_basis(journey: careflow.Journey) -> None:
    profile = score_journey(journey)
    assessable = sum(1 for t in profile.targets if t.score is not None)
    assert profile.overall_basis == assessable
    few = 2 * assessable < len(profile.targets)
    assert (profile.overall is None) == (few or assessable == 0)
    assert (profile.overall_reason_en is not None) == few
    data = profile.to_dict()
    assert data["overall_basis"] == {"assessable": assessable, "targets": len(profile.targets)}
    assert (data["overall_reason"] is None) == (not few)


@settings(max_examples=60, deadline=None)
@given(journeys())
def test_a_high_finding_keeps_its_malbild_at_or_below_half(journey: careflow.Journey) -> None:
    """(a) A målbild with an open high-severity finding tied to it scores at most 0.5."""
    _check_high_findings_cap_their_targets(journey)


@settings(max_examples=60, deadline=None)
@given(border_journeys())
def test_a_high_finding_caps_border_journeys_too(journey: careflow.Journey) -> None:
    """(a) The cap holds on journeys shaped like the border land's (rejections, discharges)."""
    _check_high_findings_cap_their_targets(journey)


@settings(max_examples=60, deadline=None)
@given(journeys())
def test_findings_and_their_indicators_fail_the_same_ids(journey: careflow.Journey) -> None:
    """(b) Each finding with a matching indicator cites exactly the ids it marks failing."""
    _check_findings_agree_with_indicators(journey)


@settings(max_examples=80, deadline=None)
@given(border_journeys())
def test_findings_and_indicators_agree_on_border_journeys(journey: careflow.Journey) -> None:
    """(b) Agreement both ways on journeys rich in rejections, moves and discharges."""
    _check_findings_agree_with_indicators(journey)


@settings(max_examples=60, deadline=None)
@given(journeys(max_events=8, max_actors=3))
def test_overall_says_what_it_rests_on(journey: careflow.Journey) -> None:
    """(c) The overall states its basis and is null, with a reason, below half assessable."""
    _check_overall_states_its_basis(journey)


@pytest.mark.parametrize("name", ["coordinated", "in_between", "fragmented"])
def test_examples_hold_all_three_properties(name: str) -> None:
    """The bundled examples satisfy (a), (b) and (c) as well."""
    journey = careflow.load_journey(EXAMPLES / f"{name}.yaml")
    _check_high_findings_cap_their_targets(journey)
    _check_findings_agree_with_indicators(journey)
    _check_overall_states_its_basis(journey)


def test_overall_with_too_few_targets_is_null_with_a_reason() -> None:
    """A journey with one contact is not given an overall score: it says why instead."""
    journey = careflow.loads_journey(
        "id: kort\nperson: {id: p}\nactors: [{id: a, name: A, principal: region}]\n"
        "events: [{id: e1, date: 2024-01-01, actor: a, kind: contact}]\n"
    )
    profile = score_journey(journey)
    assert profile.overall is None
    assert profile.overall_basis < 5
    assert profile.overall_reason_en is not None
    assert f"Only {profile.overall_basis} of 10" in profile.overall_reason_en
