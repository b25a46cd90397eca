"""The graph views and the structure queries scoring and findings stand on."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

from hypothesis import given

import careflow
from careflow.graph import (
    actor_network,
    boundary_crossings,
    contact_changes,
    contact_gaps,
    journey_graph,
    loops,
    staff_sequence,
)
from careflow.io import journey_from_dict
from tests.strategies import journeys

ACTORS = [
    {"id": "psy", "name": "Psykiatrin", "principal": "region"},
    {"id": "ber", "name": "Beroendemottagningen", "principal": "region"},
    {"id": "soc", "name": "Socialtjänsten", "principal": "kommun"},
    {"id": "bo", "name": "Boendestödet", "principal": "kommun"},
]


def _journey(events: list[dict[str, Any]], **extra: Any) -> careflow.Journey:
    data: dict[str, Any] = {"careflow": 1, "id": "j", "person": {"id": "p"}, "actors": ACTORS}
    data["events"] = events
    data.update(extra)
    return journey_from_dict(data)


def _ev(eid: str, date: str, actor: str, kind: str = "contact", **kw: Any) -> dict[str, Any]:
    return {"id": eid, "date": date, "actor": actor, "kind": kind, **kw}


ROUND = _journey(
    [
        _ev("e1", "2024-01-01", "psy", "assessment"),
        _ev("e2", "2024-01-20", "ber", "assessment"),
        _ev("e3", "2024-02-10", "soc", "assessment"),
        _ev("e4", "2024-03-01", "psy", "contact"),
    ],
    transitions=[
        {"id": "t1", "from": "e1", "to": "e2", "warm": False, "information": "none"},
        {"id": "t2", "from": "e2", "to": "e3", "warm": False, "information": "partial"},
        {
            "id": "t3",
            "from": "e3",
            "to": "e4",
            "kind": "return",
            "warm": True,
            "information": "full",
        },
    ],
)


def test_journey_graph_has_events_in_time_order_and_transitions_as_edges() -> None:
    """Nodes are events with actor and principal; edges are transitions keyed by id."""
    g = journey_graph(ROUND)
    assert list(g.nodes) == ["e1", "e2", "e3", "e4"]
    assert g.nodes["e3"]["actor"] == "soc"
    assert g.nodes["e3"]["principal"] is careflow.Principal.KOMMUN
    assert set(g.edges(keys=True)) == {("e1", "e2", "t1"), ("e2", "e3", "t2"), ("e3", "e4", "t3")}
    assert g.edges["e2", "e3", "t2"]["crossing"] is True
    assert g.edges["e1", "e2", "t1"]["crossing"] is False


def test_psychiatry_addiction_social_services_and_back_is_one_unit_loop() -> None:
    """Psychiatry → addiction care → social services → psychiatry, untreated: one loop."""
    (loop,) = loops(ROUND)
    assert loop.level == "unit"
    assert loop.transitions == ("t1", "t2", "t3")
    assert loop.events == ("e1", "e2", "e3", "e4")
    assert loop.actors == ("psy", "ber", "soc", "psy")


def test_treatment_on_the_way_is_not_a_loop() -> None:
    """When treatment starts at social services, coming back is not ping-pong."""
    events = [
        _ev("e1", "2024-01-01", "psy", "assessment"),
        _ev("e2", "2024-01-20", "soc", "treatment"),
        _ev("e3", "2024-03-01", "psy"),
    ]
    j = _journey(
        events,
        transitions=[
            {"id": "t1", "from": "e1", "to": "e2"},
            {"id": "t2", "from": "e2", "to": "e3", "kind": "return"},
        ],
    )
    assert loops(j) == []


def test_principal_level_loop() -> None:
    """Region → kommun → another region unit closes a loop at the principal level."""
    j = _journey(
        [
            _ev("e1", "2024-01-01", "psy", "assessment"),
            _ev("e2", "2024-01-20", "soc", "assessment"),
            _ev("e3", "2024-02-10", "ber", "assessment"),
        ],
        transitions=[
            {"id": "t1", "from": "e1", "to": "e2"},
            {"id": "t2", "from": "e2", "to": "e3"},
        ],
    )
    (loop,) = loops(j)
    assert loop.level == "principal"
    assert loop.actors == ("psy", "soc", "ber")


def test_moves_within_one_principal_are_not_a_principal_loop() -> None:
    """Health centre → psychiatry → addiction care, all region, is onward moves, not a loop."""
    j = _journey(
        [
            _ev("e1", "2024-01-01", "vc", "assessment"),
            _ev("e2", "2024-01-20", "psy", "assessment"),
            _ev("e3", "2024-02-10", "ber", "assessment"),
        ],
        actors=[*ACTORS, {"id": "vc", "name": "Vårdcentralen", "principal": "region"}],
        transitions=[
            {"id": "t1", "from": "e1", "to": "e2"},
            {"id": "t2", "from": "e2", "to": "e3"},
        ],
    )
    assert loops(j) == []


def test_parallel_referrals_follow_their_own_branch() -> None:
    """Two referrals from one meeting are branches: the loop runs through the right one."""
    events = [
        _ev("e1", "2024-01-01", "psy", "assessment"),
        _ev("e2", "2024-01-20", "soc", "assessment"),
        _ev("e3", "2024-02-01", "soc", "plan_meeting"),
        _ev("e4", "2024-02-10", "bo", "support"),
        _ev("e5", "2024-02-20", "psy", "contact"),
    ]
    moves = [
        {"id": "t1", "from": "e1", "to": "e2"},
        {"id": "t2", "from": "e3", "to": "e4"},
        {"id": "t3", "from": "e3", "to": "e5"},
    ]
    (loop,) = loops(_journey(events, transitions=moves))
    assert loop.transitions == ("t1", "t3")
    assert loop.actors == ("psy", "soc", "psy")
    # a referral out of treatment is adding help, not sending the person round
    events[0] = _ev("e1", "2024-01-01", "psy", "treatment")
    assert loops(_journey(events, transitions=moves)) == []


def test_actor_network_counts_transitions_and_marks_the_boundary() -> None:
    """Edges carry counts, information and warmth; region–kommun edges are crossings."""
    net = actor_network(ROUND)
    assert set(net.edges) == {("psy", "ber"), ("ber", "soc"), ("soc", "psy")}
    assert net.edges["ber", "soc"]["crossing"] is True
    assert net.edges["psy", "ber"]["crossing"] is False
    assert net.edges["psy", "ber"]["cold"] == 1
    assert net.edges["soc", "psy"]["info_full"] == 1
    assert net.nodes["psy"]["events"] == 2
    both = actor_network([ROUND, ROUND])
    assert both.edges["psy", "ber"]["weight"] == 2
    assert both.edges["psy", "ber"]["transitions"] == ["j/t1", "j/t1"]


def test_boundary_crossings() -> None:
    """Only region–kommun transitions count by default."""
    crossings = boundary_crossings(ROUND)
    assert [c.transition.id for c in crossings] == ["t2", "t3"]
    assert all(c.boundary for c in crossings)


def test_contact_gaps_respect_ongoing_episodes_and_observation() -> None:
    """A treatment with an end covers its time; the gap to observed_until counts."""
    j = _journey(
        [
            _ev("e1", "2024-01-01", "psy", "treatment", end="2024-03-01"),
            _ev("e2", "2024-03-10", "psy"),
            _ev("e3", "2024-08-01", "soc"),
        ],
        observed_until="2024-12-31",
    )
    gaps = contact_gaps(j, min_days=30)
    assert [(g.after, g.before) for g in gaps] == [("e2", "e3"), ("e3", None)]
    assert round(gaps[0].days) == (dt.date(2024, 8, 1) - dt.date(2024, 3, 10)).days


def test_contact_changes_prefer_the_coordinating_role() -> None:
    """The coordinator is the contact met when several took part; changes are listed."""
    j = _journey(
        [
            _ev("e1", "2024-01-01", "psy", participants=["person", "a", "k"]),
            _ev("e2", "2024-01-02", "soc", participants=["person", "b"]),
            _ev("e3", "2024-01-03", "soc", participants=["person", "k", "b"]),
        ],
        contacts=[
            {"id": "a", "role": "staff"},
            {"id": "b", "role": "staff"},
            {"id": "k", "role": "coordinator"},
        ],
    )
    assert [who for _, who in staff_sequence(j)] == ["k", "b", "k"]
    assert [(c.previous, c.current) for c in contact_changes(j)] == [("k", "b"), ("b", "k")]


@given(journeys())
def test_graph_views_match_the_journey(journey: careflow.Journey) -> None:
    """Every event is a node and every transition an edge, for any valid journey."""
    g = journey_graph(journey)
    assert g.number_of_nodes() == len(journey.events)
    assert g.number_of_edges() == len(journey.transitions)
    ids = {t.id for t in journey.transitions}
    for loop in loops(journey):
        assert set(loop.transitions) <= ids
        assert len(loop.events) >= 3  # at least two moves: out and back
        assert len(set(loop.events)) == len(loop.events)


def test_model_imports_no_graph_rendering_or_cli_library() -> None:
    """The layers stay honest: importing careflow.model pulls in no networkx, graphviz, click."""
    code = (
        "import sys, careflow.model; "
        "print(','.join(m for m in ('networkx', 'graphviz', 'click') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_rejection_on_the_way_does_not_cut_a_loop() -> None:
    """A rejection between two legs of a round passes the move on: the loop still closes.

    Sent from psychiatry to addiction care ("mental health first") and back
    ("substance use first") is a loop; being turned away at social services in between,
    for no given reason, must not turn it into two moves that go nowhere (found by
    ``test_rejection_never_raises_malbild_5``).
    """
    events = [
        _ev("e0", "2023-01-01", "psy", "need_signal", demanded_first="substance_use"),
        _ev("e1", "2023-03-19", "ber", "need_signal", demanded_first="substance_use"),
        _ev("e2", "2023-04-26", "psy", "need_signal"),
    ]
    (before,) = loops(_journey(events))
    assert before.actors == ("psy", "ber", "psy")
    rejected = _ev("r", "2023-04-11", "soc", "rejection")
    (after,) = loops(_journey([*events, rejected]))
    assert after.level == "unit"
    assert after.actors == ("psy", "ber", "soc", "psy")
    assert after.events == ("e0", "e1", "r", "e2")


def test_a_rejection_elsewhere_that_sends_on_does_not_cut_a_loop() -> None:
    """A rejection elsewhere that sends the person on does not cut a loop.

    Psychiatry → addiction care → back to psychiatry stays a loop when, meanwhile, the
    person is turned away at social services ("other area") and sent to addiction care:
    every chain is followed, so the rejection's move from social services starts a chain
    of its own and leaves the one that arrived at addiction care from psychiatry intact.
    """
    events = [
        _ev("e1", "2024-01-01", "psy", "assessment"),
        _ev("e2", "2024-01-20", "ber", "assessment"),
        _ev("e3", "2024-02-10", "ber", "contact"),
        _ev("e4", "2024-03-01", "psy", "contact"),
    ]
    moves = [
        {"id": "t1", "from": "e1", "to": "e2"},
        {"id": "t2", "from": "e3", "to": "e4", "kind": "return"},
    ]
    assert len(loops(_journey(events, transitions=moves))) == 1
    rejected = _ev("r", "2024-02-01", "soc", "rejection", reason_code="other_area")
    assert len(loops(_journey([*events, rejected], transitions=moves))) == 1
