"""Death and compulsory care in the journey (issue 12): model, findings, indicators, logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import careflow
from careflow import model as m
from careflow.errors import JourneyFileError, JourneyValidationError
from careflow.gaps import Thresholds, compulsory_care_ended, death_after_contact, find_gaps
from careflow.io import journey_from_dict, journey_to_dict
from careflow.scoring import score_journey
from careflow.scoring.facts import Facts
from careflow.scoring.indicators import INDICATORS
from tests.conftest import EXAMPLES
from tests.strategies import journeys

STORY = EXAMPLES / "lvm_ended.yaml"


def _journey(
    events: list[dict[str, Any]], transitions: Sequence[dict[str, Any]] = (), **kw: Any
) -> m.Journey:
    """A journey over a fixed set of actors from plain event and transition dicts."""
    return journey_from_dict(
        {
            "id": "j",
            "person": {"id": "p", "needs": ["substance_use", "mental_health"]},
            "actors": [
                {
                    "id": "lvm",
                    "name": "LVM-hem",
                    "principal": "state",
                    "service": "compulsory_care",
                },
                {
                    "id": "avd",
                    "name": "Avd 3",
                    "principal": "region",
                    "service": "psychiatric_inpatient",
                },
                {
                    "id": "soc",
                    "name": "Socialtjänsten",
                    "principal": "kommun",
                    "service": "social_services",
                },
                {"id": "hem", "name": "Hemmet", "principal": "informal"},
                {"id": "pol", "name": "Polisen", "principal": "state", "service": "police"},
            ],
            "events": events,
            "transitions": list(transitions),
            **kw,
        }
    )


def _codes(journey: m.Journey) -> list[str]:
    return [f.code for f in find_gaps(journey)]


def _value(journey: m.Journey, ind: str) -> float | None:
    return INDICATORS[ind](Facts(journey)).value


DISCHARGED = [
    {"id": "e1", "date": "2025-03-01", "actor": "avd", "kind": "admission", "end": "2025-03-10"},
    {"id": "e2", "date": "2025-03-10", "actor": "avd", "kind": "discharge"},
]


# -- the model: a death ends observation --------------------------------------------------


@given(journeys(death=True), st.data())
def test_nothing_may_follow_a_death_the_loader_refuses_it(
    journey: m.Journey, data: st.DataObject
) -> None:
    """Moving any event's start or end to after the death is one located JourneyFileError."""
    doc = journey_to_dict(journey)
    death = journey.death
    assert death is not None
    index = data.draw(
        st.sampled_from([i for i, e in enumerate(doc["events"]) if e["id"] != death.id])
    )
    key = data.draw(st.sampled_from(["date", "end"]))
    later = death.date + dt.timedelta(days=data.draw(st.integers(1, 400)))
    doc["events"][index][key] = later.isoformat()
    if key == "date":
        doc["events"][index].pop("end", None)
    doc["transitions"] = []
    with pytest.raises(JourneyFileError) as info:
        journey_from_dict(doc)
    assert info.value.path == f"events[{index}].{key}"
    assert "death" in info.value.message


@given(journeys(death=True))
def test_a_death_is_last_and_ends_observation(journey: m.Journey) -> None:
    """The death is the last event of the timeline and Journey.end is on its day."""
    death = journey.death
    assert death is not None
    assert journey.timeline[-1] is death
    assert journey.end is not None
    assert journey.end.date() == death.timestamp.date()


def test_a_second_death_a_death_with_an_end_and_a_transition_from_it_are_refused() -> None:
    """One death at most; a death has no end; no transition leaves it."""
    death = {"id": "d", "date": "2025-03-12", "actor": "pol", "kind": "death"}
    with pytest.raises(JourneyFileError, match="one death at most") as info:
        _journey([*DISCHARGED, death, {**death, "id": "d2"}])
    assert info.value.path == "events[3].kind"
    with pytest.raises(JourneyFileError, match="no end") as info:
        _journey([*DISCHARGED, {**death, "end": "2025-03-13"}])
    assert info.value.path == "events[2].end"
    same_day = {"id": "x", "date": "2025-03-12T15:00", "actor": "soc", "kind": "contact"}
    with pytest.raises(JourneyFileError, match="cannot leave") as info:
        _journey([*DISCHARGED, same_day, death], [{"id": "t", "from": "d", "to": "x"}])
    assert info.value.path == "transitions[0].from"


def test_cause_and_certainty_belong_to_a_death_and_a_law_to_an_episode() -> None:
    """cause/certainty on a discharge and legal_basis on a contact are errors at that key."""
    with pytest.raises(JourneyFileError, match="describes a death") as info:
        _journey([{**DISCHARGED[1], "cause": "overdose"}])
    assert info.value.path == "events[0].cause"
    with pytest.raises(JourneyFileError, match="episode of care") as info:
        _journey(
            [
                {
                    "id": "c",
                    "date": "2025-01-01",
                    "actor": "soc",
                    "kind": "contact",
                    "legal_basis": "LVM",
                }
            ]
        )
    assert info.value.path == "events[0].legal_basis"
    with pytest.raises(JourneyValidationError, match="not a valid DeathCause"):
        m.Event(id="d", date=dt.date(2025, 1, 1), actor="a", kind="death", cause="accident")


def test_a_death_known_by_date_sorts_after_timed_events_of_its_day() -> None:
    """A register's date-only death may share its day with timed events and comes after them."""
    j = _journey(
        [
            {"id": "d", "date": "2025-03-10", "actor": "pol", "kind": "death"},
            {"id": "x", "date": "2025-03-10T15:00", "actor": "avd", "kind": "discharge"},
        ]
    )
    assert [e.id for e in j.timeline] == ["x", "d"]
    assert j.end == dt.datetime(2025, 3, 10, 15)
    with pytest.raises(JourneyFileError, match="after the person's death"):
        _journey(
            [
                {"id": "d", "date": "2025-03-10T12:00", "actor": "pol", "kind": "death"},
                {"id": "x", "date": "2025-03-10T15:00", "actor": "avd", "kind": "discharge"},
            ]
        )


def test_observed_until_after_a_death_is_kept_but_observation_ends_at_the_death() -> None:
    """A later observed_until loads and round-trips; the journey ends at the death, no gap after."""
    j = _journey(
        [*DISCHARGED, {"id": "d", "date": "2025-03-20", "actor": "pol", "kind": "death"}],
        observed_until="2025-12-31",
    )
    assert j.observed_until == dt.date(2025, 12, 31)
    assert j.end == dt.datetime(2025, 3, 20)
    assert journey_from_dict(journey_to_dict(j)) == j
    assert "long_contact_gap" not in _codes(j)


def test_the_story_round_trips_and_uses_every_feature(tmp_path: Path) -> None:
    """The bundled story has a death with cause and certainty and laws on events and transitions."""
    j = careflow.load_journey(STORY)
    assert j.death is not None
    assert j.death.cause is m.DeathCause.OVERDOSE
    assert j.death.certainty is m.Certainty.PROBABLE
    assert {e.legal_basis for e in j.events} >= {m.LegalBasis.LVM, m.LegalBasis.NONE}
    assert any(t.legal_basis is m.LegalBasis.LVM for t in j.transitions)
    for name in ("s.yaml", "s.json"):
        careflow.dump_journey(j, tmp_path / name)
        assert careflow.load_journey(tmp_path / name) == j


# -- death_after_contact ----------------------------------------------------------------------


@given(journeys(death=False), st.integers(0, 30), st.sampled_from(["avd", "soc"]), st.data())
def test_a_death_within_the_window_after_a_discharge_with_no_contact_is_always_found(
    journey: m.Journey, days: int, where: str, data: st.DataObject
) -> None:
    """Any journey + a discharge + a death within 30 days and nothing between → the finding.

    The discharge is on a later day than every event of the journey: a date-only discharge
    on the last event's own day sorts before that day's timed events, which would then be
    between it and the death.
    """
    last = max(m.timestamp_of(e.end or e.date) for e in journey.events).date()
    discharged = last + dt.timedelta(days=data.draw(st.integers(1, 30)))
    actors = (
        m.Actor(id="avd", name="Avd", principal="region"),
        m.Actor(id="soc", name="Soc", principal="kommun"),
    )
    actor = data.draw(st.sampled_from([a.id for a in journey.actors] + [where]))
    events = (
        *journey.events,
        m.Event(id="x-discharge", date=discharged, actor=where, kind="discharge"),
        m.Event(id="x-death", date=discharged + dt.timedelta(days=days), actor=actor, kind="death"),
    )
    died = attrs.evolve(journey, actors=(*journey.actors, *actors), events=events)
    (finding,) = [f for f in find_gaps(died) if f.code == "death_after_contact"]
    assert finding.severity.label == "high"
    assert finding.refs[-2:] == ("x-discharge", "x-death")
    assert f"{days} days after discharge" in finding.text_en
    follow_up = INDICATORS["discharge_follow_up"](Facts(died))
    assert "x-discharge" in follow_up.lowered


def test_the_story_yields_death_after_contact_citing_both_discharges_and_the_cause() -> None:
    """Kim's death 6 days after the psychiatric discharge, the LVM discharge too, overdose."""
    j = careflow.load_journey(STORY)
    (finding,) = [f for f in find_gaps(j) if f.code == "death_after_contact"]
    assert finding.refs == ("e06", "e07", "e08")
    assert finding.text_en.startswith("The person died (overdose, probable) 6 days after")
    assert finding.text_sv.startswith("Personen dog (överdos, trolig) 6 dagar efter utskrivning")


def test_a_death_before_any_follow_up_is_named_as_the_death_not_as_what_came_instead() -> None:
    """The discharge finding says the person died (e08), in both languages, and cites it."""
    j = careflow.load_journey(STORY)
    found = [f for f in find_gaps(j) if f.code == "no_contact_after_discharge"]
    assert found
    for finding in found:
        assert finding.refs[-1] == "e08"
        assert "; the person died (e08) after discharge" in finding.text_en
        assert "; personen dog (e08) efter utskrivning" in finding.text_sv
        assert "instead" not in finding.text_en
        assert "i stället" not in finding.text_sv


@pytest.mark.parametrize("kind", ["rejection", "redirection", "case_closed", "drop_out"])
def test_a_death_after_a_rejection_closure_or_drop_out_is_found_too(kind: str) -> None:
    """Each way a service lets go counts, and the sentence names it."""
    j = _journey(
        [
            {"id": "e1", "date": "2025-03-01", "actor": "soc", "kind": kind},
            {"id": "d", "date": "2025-03-04", "actor": "pol", "kind": "death", "cause": "unknown"},
        ]
    )
    (finding,) = [f for f in find_gaps(j) if f.code == "death_after_contact"]
    assert finding.refs == ("e1", "d")
    assert "The person died 3 days after" in finding.text_en  # an unknown cause is not named


def test_contact_in_between_or_a_death_beyond_the_window_is_not_death_after_contact() -> None:
    """A service contact after the discharge, or a death 31 days on, gives no such finding."""
    death = {"id": "d", "date": "2025-03-20", "actor": "pol", "kind": "death"}
    contact = {"id": "c", "date": "2025-03-12", "actor": "soc", "kind": "contact"}
    assert "death_after_contact" not in _codes(_journey([*DISCHARGED, contact, death]))
    network = {"id": "n", "date": "2025-03-12", "actor": "hem", "kind": "need_signal"}
    assert "death_after_contact" in _codes(_journey([*DISCHARGED, network, death]))
    late = {**death, "date": "2025-04-10"}
    codes = _codes(_journey([*DISCHARGED, late]))
    assert "death_after_contact" not in codes
    assert "no_contact_after_discharge" in codes
    strict = find_gaps(_journey([*DISCHARGED, late]), thresholds=Thresholds(follow_up_days=31))
    assert "death_after_contact" in [f.code for f in strict]


def test_a_death_is_not_reaching_out_after_a_drop_out() -> None:
    """dropped_out still fires when the next event after a drop-out is the death."""
    j = _journey(
        [
            {"id": "e1", "date": "2025-03-01", "actor": "soc", "kind": "drop_out"},
            {"id": "d", "date": "2025-03-04", "actor": "pol", "kind": "death"},
        ]
    )
    assert {"dropped_out", "death_after_contact"} <= set(_codes(j))


# -- indicators: a death ends observation, it is not missing data ----------------------------


def test_a_death_soon_after_a_discharge_is_a_failed_follow_up() -> None:
    """Death 2 days after a discharge scores 0, where a contact 2 days after scores 1."""
    death = {"id": "d", "date": "2025-03-12", "actor": "pol", "kind": "death"}
    # a planned contact by a service working on the condition (issue 7's follow-up rule)
    contact = {
        "id": "c",
        "date": "2025-03-12",
        "actor": "soc",
        "kind": "contact",
        "addresses": ["mental_health"],
    }
    assert _value(_journey([*DISCHARGED, contact]), "discharge_follow_up") == 1.0
    assert _value(_journey([*DISCHARGED, death]), "discharge_follow_up") == 0.0


def test_time_to_help_is_zero_when_the_person_died_before_help() -> None:
    """No help before a death 10 days after the signal: 0, not 'only 10 days observed'."""
    signal = {"id": "s", "date": "2025-03-01", "actor": "soc", "kind": "help_seeking"}
    death = {"id": "d", "date": "2025-03-11", "actor": "pol", "kind": "death"}
    assert _value(_journey([signal]), "time_to_help") is None
    result = INDICATORS["time_to_help"](Facts(_journey([signal, death])))
    assert result.value == 0.0
    assert result.lowered == ("s", "d")
    assert "died 10 days after" in result.explanation_en


def test_a_referral_still_open_at_the_death_is_a_wait_that_never_ended() -> None:
    """wait_to_appointment: assessable and 0 for a referral the person died waiting on."""
    referral = {"id": "r", "date": "2025-03-01", "actor": "soc", "kind": "referral"}
    death = {"id": "d", "date": "2025-03-11", "actor": "pol", "kind": "death"}
    assert _value(_journey([referral]), "wait_to_appointment") is None
    result = INDICATORS["wait_to_appointment"](Facts(_journey([referral, death])))
    assert result.value == 0.0
    assert result.lowered == ("r",)
    assert "unanswered at the death" in result.explanation_en


def test_a_death_is_not_a_unit_for_continuity() -> None:
    """unit_continuity counts care contacts only: the death's actor is not one of them."""
    events = [*DISCHARGED, {"id": "d", "date": "2025-03-12", "actor": "pol", "kind": "death"}]
    assert _value(_journey(events), "unit_continuity") == 1.0


# -- compulsory_care_ended --------------------------------------------------------------------

LVM = {
    "id": "c1",
    "date": "2025-02-03",
    "actor": "lvm",
    "kind": "admission",
    "end": "2025-04-14",
    "legal_basis": "LVM",
}
PSYCH = {
    "id": "p1",
    "date": "2025-04-14",
    "actor": "avd",
    "kind": "admission",
    "end": "2025-04-17",
}


def test_the_story_yields_compulsory_care_ended_naming_the_law() -> None:
    """Kim's LVM care ended the day he was admitted to psychiatry: high, LVM named."""
    (finding,) = [
        f for f in find_gaps(careflow.load_journey(STORY)) if f.code == "compulsory_care_ended"
    ]
    assert finding.severity.label == "high"
    assert finding.targets == (4, 9)
    assert finding.refs == ("e03", "e06", "e05")
    assert "under LVM" in finding.text_en
    assert "enligt LVM" in finding.text_sv


def test_compulsory_care_ended_while_in_another_services_care() -> None:
    """The bare case fires; an episode open at the end (no end, no discharge) does not."""
    assert _codes(_journey([LVM, PSYCH])) == ["compulsory_care_ended"]
    open_lvm = {k: v for k, v in LVM.items() if k != "end"}
    assert "compulsory_care_ended" not in _codes(_journey([open_lvm, PSYCH]))


@pytest.mark.parametrize(
    ("extra_events", "transitions"),
    [
        # the psychiatric admission is itself compulsory (LPT): still held
        ([{**PSYCH, "id": "p2", "actor": "avd", "legal_basis": "LPT"}], []),
        # moved under a compulsory law out of the LVM episode
        ([], [{"id": "t", "from": "c1", "to": "p1", "kind": "handover", "legal_basis": "LPT"}]),
        # a planned move from the psychiatric discharge to social services
        (
            [
                {"id": "x", "date": "2025-04-17", "actor": "avd", "kind": "discharge"},
                {"id": "y", "date": "2025-04-18", "actor": "soc", "kind": "contact"},
            ],
            [{"id": "t", "from": "x", "to": "y", "kind": "referral"}],
        ),
        # social services reached out within the window after psychiatry ended
        ([{"id": "y", "date": "2025-05-10", "actor": "soc", "kind": "contact"}], []),
    ],
)
def test_compulsory_care_carried_on_or_followed_up_is_no_finding(
    extra_events: list[dict[str, Any]], transitions: list[dict[str, Any]]
) -> None:
    """An LPT episode, a move under a law, a planned move or a follow-up contact prevent it."""
    j = _journey([LVM, PSYCH, *extra_events], transitions)
    assert compulsory_care_ended(j, Thresholds()) == []


def test_compulsory_care_ending_with_nobody_else_holding_the_person_is_no_such_finding() -> None:
    """Without another service's episode at the end, compulsory_care_ended does not fire."""
    assert compulsory_care_ended(_journey([LVM]), Thresholds()) == []
    earlier = {**PSYCH, "date": "2025-03-01", "end": "2025-03-05"}
    assert compulsory_care_ended(_journey([LVM, earlier]), Thresholds()) == []
    followed = {
        "id": "y",
        "date": "2025-05-10",
        "actor": "soc",
        "kind": "contact",
        "initiated_by": "person",
    }
    assert compulsory_care_ended(_journey([LVM, PSYCH, followed]), Thresholds()) != []
    assert death_after_contact(_journey([LVM, PSYCH]), Thresholds()) == []


# -- event logs and reports -------------------------------------------------------------------


def test_an_event_log_reads_a_death_and_draws_no_handover_into_it() -> None:
    """Kind 'Död' is a death; a date-only death sorts after its day's timed rows."""
    rows = [
        {"case_id": "A", "timestamp": "2025-03-10", "unit": "Polisen", "kind": "Död"},
        {"case_id": "A", "timestamp": "2025-03-10T15:00", "unit": "Avd 3", "kind": "discharge"},
        {"case_id": "A", "timestamp": "2025-03-01T09:00", "unit": "Avd 3", "kind": "admission"},
    ]
    (j,) = careflow.journeys_from_rows(rows)
    assert [e.kind.value for e in j.timeline] == ["admission", "discharge", "death"]
    assert j.transitions == ()
    assert [f.code for f in find_gaps(j)][:1] == ["death_after_contact"]


def test_scores_of_the_story_are_in_range_and_say_the_follow_up_failed() -> None:
    """Scoring the story works; follow-up after discharge is lowered by the death."""
    profile = score_journey(careflow.load_journey(STORY))
    (ind,) = [i for t in profile.targets for i in t.indicators if i.id == "discharge_follow_up"]
    assert ind.value is not None
    assert ind.value < 1.0
    assert "e07" in ind.result.lowered


def test_an_event_log_row_after_a_death_is_an_error_naming_the_case() -> None:
    """A case whose log goes on after the death cannot be a journey: one clear error."""
    rows = [
        {"case_id": "B", "timestamp": "2025-03-10", "unit": "Polisen", "kind": "death"},
        {"case_id": "B", "timestamp": "2025-03-11", "unit": "Avd 3", "kind": "contact"},
    ]
    with pytest.raises(JourneyFileError, match=r"case 'B' cannot be a journey: .*death"):
        careflow.journeys_from_rows(rows)


@given(journeys(death=False), st.integers(0, 200), st.integers(0, 30), st.data())
def test_compulsory_care_ended_during_another_admission_with_nothing_after_is_always_found(
    journey: m.Journey, length: int, stay: int, data: st.DataObject
) -> None:
    """Any journey + a compulsory episode ending the day another service admits → the finding.

    The journey's own episodes are made voluntary first: one still going under a
    compulsory law would rightly mean the person was still held.
    """
    voluntary = tuple(attrs.evolve(e, legal_basis=None) for e in journey.events)
    last = max(m.timestamp_of(e.end or e.date) for e in journey.events).date()
    start = last + dt.timedelta(days=data.draw(st.integers(1, 30)))
    end = start + dt.timedelta(days=length)
    law = data.draw(st.sampled_from(sorted(m.COMPULSORY)))
    actors = (
        m.Actor(id="x-held", name="Held", principal="state"),
        m.Actor(id="x-other", name="Other", principal="region"),
    )
    events = (
        *voluntary,
        m.Event(id="x-c", date=start, actor="x-held", kind="admission", end=end, legal_basis=law),
        m.Event(
            id="x-o", date=end, actor="x-other", kind="admission", end=end + dt.timedelta(days=stay)
        ),
    )
    held = attrs.evolve(journey, actors=(*journey.actors, *actors), events=events)
    (finding,) = [f for f in find_gaps(held) if f.code == "compulsory_care_ended"]
    assert finding.refs == ("x-c", "x-o")
    assert f"under {law.value} at Held" in finding.text_en
