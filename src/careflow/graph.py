"""Journeys as graphs, and the structural queries that scoring and gap findings need.

Two networkx views:

* :func:`journey_graph`: a :class:`networkx.MultiDiGraph` with one node per event (time
  order, actor and principal as node attributes) and one edge per transition (keyed by
  the transition id).
* :func:`actor_network`: a :class:`networkx.DiGraph` of actors, edges counting the
  transitions between them, with region-kommun boundary crossings and handover quality.

The queries (:func:`boundary_crossings`, :func:`loops`, :func:`contact_gaps`,
:func:`contact_changes`) work straight on the journey's timeline: they are cheap, pure,
and need no networkx, so scoring can call them in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final, NamedTuple

import attrs
import networkx as nx

from careflow._per_journey import per_journey
from careflow.model import (
    Actor,
    ContactRole,
    Event,
    EventKind,
    Information,
    Initiator,
    Journey,
    Principal,
    Reason,
    Transition,
    TransitionKind,
    timestamp_of,
)

__all__ = [
    "BOUNDARY",
    "EPISODE_KINDS",
    "MOVING_REASONS",
    "TREATMENT_KINDS",
    "ContactChange",
    "ContactGap",
    "Crossing",
    "Episode",
    "Loop",
    "actor_network",
    "boundary_crossings",
    "contact_changes",
    "contact_gaps",
    "day_of",
    "episodes",
    "journey_graph",
    "loops",
    "staff_sequence",
    "turned_away",
]

#: The two principals whose meeting the målbilder care most about.
BOUNDARY: Final = frozenset({Principal.REGION, Principal.KOMMUN})
#: Event kinds that mean treatment actually started (for ping-pong detection).
TREATMENT_KINDS: Final = frozenset({EventKind.TREATMENT, EventKind.ADMISSION})
#: Event kinds whose ``end`` makes them an episode that covers the time until it ends.
EPISODE_KINDS: Final = frozenset({EventKind.TREATMENT, EventKind.SUPPORT, EventKind.ADMISSION})
_DAY: Final = 86_400.0
#: Reasons for turning a person away that send them to another service even when nobody
#: writes a referral: the other condition first, another area's or kommun's
#: responsibility, "not ours".
MOVING_REASONS: Final = frozenset(
    {Reason.OTHER_CONDITION, Reason.OTHER_AREA, Reason.NOT_RESPONSIBLE}
)
_TURNED_AWAY_KINDS: Final = frozenset({EventKind.REJECTION, EventKind.REDIRECTION})


def turned_away(event: Event) -> bool:
    """Whether the person was turned away or put off at ``event``.

    A rejection or redirection, or any event that postponed help because of the other
    condition (``reason_code: other_condition`` or a ``demanded_first``).
    """
    return (
        event.kind in _TURNED_AWAY_KINDS
        or event.reason_code is Reason.OTHER_CONDITION
        or event.demanded_first is not None
    )


def journey_graph(journey: Journey) -> nx.MultiDiGraph[str]:
    """The journey as a multigraph: events as nodes in time order, transitions as edges.

    Node attributes: ``order`` (position in the timeline), ``date``, ``kind``, ``actor``,
    ``principal``. Edge attributes (edge key = transition id): ``kind``, ``information``,
    ``warm``, ``crossing`` (the two principals differ).

    Examples
    --------
    >>> from careflow.model import Actor, Event, Journey, Person, Transition
    >>> import datetime as dt
    >>> j = Journey(id="j", person=Person(id="p"),
    ...     actors=[Actor(id="a", name="A", principal="region"),
    ...             Actor(id="b", name="B", principal="kommun")],
    ...     events=[Event(id="e1", date=dt.date(2024, 1, 1), actor="a", kind="referral"),
    ...             Event(id="e2", date=dt.date(2024, 1, 9), actor="b", kind="first_contact")],
    ...     transitions=[Transition(id="t1", source="e1", target="e2")])
    >>> g = journey_graph(j)
    >>> sorted(g.nodes), g.edges["e1", "e2", "t1"]["crossing"]
    (['e1', 'e2'], True)
    """
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph(journey=journey.id)
    for order, event in enumerate(journey.timeline):
        actor = journey.actor_of(event)
        graph.add_node(
            event.id,
            order=order,
            date=event.date,
            kind=event.kind,
            actor=actor.id,
            principal=actor.principal,
        )
    for tr in journey.transitions:
        a = journey.actor_of(journey.event(tr.source))
        b = journey.actor_of(journey.event(tr.target))
        graph.add_edge(
            tr.source,
            tr.target,
            key=tr.id,
            kind=tr.kind,
            information=tr.information,
            warm=tr.warm,
            crossing=a.principal != b.principal,
        )
    return graph


def actor_network(journeys: Journey | Iterable[Journey]) -> nx.DiGraph[str]:
    """Actors as nodes, transitions between different actors as weighted edges.

    Accepts one journey or many (the meso view: where handovers break across a unit's
    journeys). Node attributes: ``name``, ``principal``, ``service``, ``events`` (count).
    Edge attributes: ``weight`` (transitions), ``crossing`` (region-kommun boundary),
    ``info_none``, ``info_partial``, ``info_full``, ``info_unknown``, ``warm``, ``cold``,
    ``transitions`` (sorted ids, as ``journey/transition`` when several journeys).
    Actors are matched by id across journeys.
    """
    items = [journeys] if isinstance(journeys, Journey) else list(journeys)
    many = len(items) > 1
    graph: nx.DiGraph[str] = nx.DiGraph()
    for journey in items:
        for actor in journey.actors:
            if actor.id not in graph:
                graph.add_node(
                    actor.id,
                    name=actor.name,
                    principal=actor.principal,
                    service=actor.service,
                    events=0,
                )
        for event in journey.events:
            graph.nodes[event.actor]["events"] += 1
        for tr in journey.transitions:
            a = journey.event(tr.source).actor
            b = journey.event(tr.target).actor
            if a == b:
                continue
            if not graph.has_edge(a, b):
                pa, pb = graph.nodes[a]["principal"], graph.nodes[b]["principal"]
                graph.add_edge(
                    a,
                    b,
                    weight=0,
                    crossing={pa, pb} == BOUNDARY,
                    info_none=0,
                    info_partial=0,
                    info_full=0,
                    info_unknown=0,
                    warm=0,
                    cold=0,
                    transitions=[],
                )
            data = graph.edges[a, b]
            data["weight"] += 1
            data[f"info_{tr.information.value}"] += 1
            if tr.warm is True:
                data["warm"] += 1
            elif tr.warm is False:
                data["cold"] += 1
            data["transitions"].append(f"{journey.id}/{tr.id}" if many else tr.id)
    for _, _, data in graph.edges(data=True):
        data["transitions"] = sorted(data["transitions"])
    return graph


@attrs.frozen(kw_only=True, slots=True)
class Crossing:
    """A transition between actors of two different principals."""

    transition: Transition
    source: Principal
    target: Principal

    @property
    def boundary(self) -> bool:
        """Whether it crosses the region-kommun boundary."""
        return {self.source, self.target} == BOUNDARY

    @property
    def cold(self) -> bool:
        """No information followed, or the person was sent on alone."""
        return self.transition.information is Information.NONE or self.transition.warm is False


def boundary_crossings(journey: Journey, *, region_kommun_only: bool = True) -> list[Crossing]:
    """Transitions whose two ends lie with different principals, in time order.

    With ``region_kommun_only`` (the default) only region ↔ kommun crossings are kept.
    """
    key = ("boundary_crossings", region_kommun_only)
    return list(per_journey(journey).memo(key, lambda: _crossings(journey, region_kommun_only)))


def _crossings(journey: Journey, region_kommun_only: bool) -> tuple[Crossing, ...]:
    shared = per_journey(journey)
    order, actors = shared.order, shared.actors
    out = []
    for tr in _transitions_in_time(journey):
        a = actors[order[tr.source]].principal
        b = actors[order[tr.target]].principal
        if a != b and (not region_kommun_only or {a, b} == BOUNDARY):
            out.append(Crossing(transition=tr, source=a, target=b))
    return tuple(out)


def _transitions_in_time(journey: Journey) -> list[Transition]:
    shared = per_journey(journey)
    return shared.memo(("transitions_in_time",), lambda: _in_time(journey, shared.order))


def _in_time(journey: Journey, order: dict[str, int]) -> list[Transition]:
    return sorted(journey.transitions, key=lambda t: (order[t.source], order[t.target], t.id))


@attrs.frozen(kw_only=True, slots=True)
class Loop:
    """The person was sent on and came back without treatment starting in between.

    ``level`` is ``"unit"`` when the chain returned to the same actor and ``"principal"``
    when it returned to the same principal through another one.
    """

    level: str
    transitions: tuple[str, ...]
    events: tuple[str, ...]
    actors: tuple[str, ...]


_MOVES: Final = frozenset({TransitionKind.REFERRAL, TransitionKind.HANDOVER, TransitionKind.RETURN})
_OWN_STEP: Final = frozenset({Initiator.PERSON, Initiator.NETWORK})


class _Move(NamedTuple):
    """One step along which ping-pong is followed (a plain tuple: there are many)."""

    id: str | None  # the transition's id; None for a move made by a rejection
    source: str
    target: str


def _moves(journey: Journey) -> list[_Move]:
    """Every move along which ping-pong is followed, in time order.

    Referrals, handovers and returns; a self-referral from an event where the person was
    turned away (the person's own step after a rejection continues the chain); and, for a
    turned-away event that no transition leaves from, a move to the next event at another
    service when the reason sends the person there (:data:`MOVING_REASONS`, or a
    ``demanded_first``), when the person or their network took that next step, or when a
    move brought the person to the event: sent somewhere and turned away there, the person
    is still being sent round, whatever the reason. So one more rejection on the way never
    cuts a chain: it only lengthens it (a rejection that a move reaches passes the move on,
    to the event the move would otherwise have reached, or to one on the way there).
    """
    shared = per_journey(journey)
    timeline, order, actors, stamps = shared.timeline, shared.order, shared.actors, shared.stamps
    leaving = {t.source for t in journey.transitions}
    out = [
        _Move(t.id, t.source, t.target)
        for t in journey.transitions
        if t.kind in _MOVES
        or (t.kind is TransitionKind.SELF_REFERRAL and turned_away(timeline[order[t.source]]))
    ]
    # events a move arrives at; the moves made here only go forward in time, so an event's
    # arrivals are all known when the loop below reaches it
    arrived = {m.target for m in out}
    for i, event in enumerate(timeline):
        if event.id in leaving or not turned_away(event):
            continue
        sends = (
            event.reason_code in MOVING_REASONS
            or event.demanded_first is not None
            or event.id in arrived
        )
        nxt = next(
            (
                timeline[k]
                for k in range(i + 1, len(timeline))
                if timeline[k].actor != event.actor
                and stamps[k] > stamps[i]
                and actors[k].principal is not Principal.INFORMAL
            ),
            None,
        )
        if nxt is not None and (sends or nxt.initiated_by in _OWN_STEP):
            out.append(_Move(None, event.id, nxt.id))
            arrived.add(nxt.id)
    return sorted(out, key=lambda m: (order[m.source], order[m.target], m.id or ""))


def loops(journey: Journey) -> list[Loop]:
    """Ping-pong: chains of moves that return where they came from, untreated.

    Following the moves in time order (referrals, handovers and returns, and the moves a
    rejection makes: see :func:`_moves`), a loop closes when a move arrives at the actor
    (level ``unit``) or principal (level ``principal``) that an earlier move of the same
    unbroken chain left from, and no treatment or admission (:data:`TREATMENT_KINDS`)
    started at the first or between the two. A chain is unbroken while each move leaves
    from the actor the previous one arrived at, at or after the arrival (a parallel
    referral from an earlier event continues the chain that led to that event, not its
    sibling branch); other self-referrals and treatment break it. A principal loop must
    pass through another principal. Each closing move gives at most one loop, the
    shortest; a unit loop is not also reported as a principal loop. A loop's
    ``transitions`` are its real transitions; its ``events`` every event it passed,
    rejections included, in order.

    Examples
    --------
    See ``tests/test_graph.py``: psychiatry → addiction care → social services →
    psychiatry gives one ``unit`` loop of three transitions.
    """
    # scoring and gap findings both ask: searched once per journey
    return list(per_journey(journey).memo(("loops",), lambda: tuple(_loops(journey))))


def _loops(journey: Journey) -> list[Loop]:
    shared = per_journey(journey)
    timeline, order, actors = shared.timeline, shared.order, shared.actors
    # treated_before[i]: how many treatments start before timeline position i, so "was there
    # treatment between positions lo and hi" is one subtraction
    treated_before = [0]
    for event in timeline:
        treated_before.append(treated_before[-1] + (event.kind in TREATMENT_KINDS))
    moves = _moves(journey)
    chain: list[_Move] = []
    found: list[Loop] = []
    for tr in moves:
        hi = order[tr.source]
        # drop the branches that arrived after this move left, or somewhere else
        while chain and not (
            order[chain[-1].target] <= hi and actors[order[chain[-1].target]].id == actors[hi].id
        ):
            chain.pop()
        if chain and treated_before[hi + 1] > treated_before[order[chain[-1].target]]:
            chain = []  # treatment started where the person arrived: the chain ends there
        chain.append(tr)
        loop = _closing_loop(chain, order, actors, treated_before)
        if loop is not None:
            found.append(loop)
            chain = [tr]
    return found


def _closing_loop(
    chain: list[_Move], order: dict[str, int], actors: list[Actor], treated_before: list[int]
) -> Loop | None:
    """The shortest loop the chain's last move closes, a unit loop before a principal one.

    One backward pass over the chain's starts: a start whose actor is the arrival's closes
    a unit loop at once; the latest start of the arrival's principal from which the chain
    left that principal closes a principal loop, unless a unit loop closes further back.
    """
    if len(chain) < 2:
        return None  # one transition alone is a move, not a loop
    last = chain[-1]
    end = order[last.target]
    end_id, end_principal = actors[end].id, actors[end].principal
    treated_at_end = treated_before[end]
    # whether an event of chain[start:] lies with another principal than the arrival's
    left = actors[order[last.source]].principal != end_principal
    principal_start: int | None = None
    for start in range(len(chain) - 2, -1, -1):
        first = chain[start]
        begin = order[first.source]
        if treated_at_end > treated_before[begin]:
            break  # treatment started at this start or later: so for every earlier start
        src_actor = actors[begin]
        if src_actor.id == end_id:
            return _loop("unit", chain[start:], order, actors)
        left = (
            left
            or src_actor.principal != end_principal
            or actors[order[first.target]].principal != end_principal
        )
        # a principal loop must leave the principal: else it is a move within it
        if principal_start is None and left and src_actor.principal == end_principal:
            principal_start = start
    if principal_start is None:
        return None
    return _loop("principal", chain[principal_start:], order, actors)


def _loop(level: str, part: list[_Move], order: dict[str, int], actors: list[Actor]) -> Loop:
    events = dict.fromkeys(e for t in part for e in (t.source, t.target))
    arrivals = [part[0].source] + [t.target for t in part]
    return Loop(
        level=level,
        transitions=tuple(t.id for t in part if t.id is not None),
        events=tuple(events),
        actors=tuple(actors[order[e]].id for e in arrivals),
    )


@attrs.frozen(kw_only=True, slots=True)
class ContactGap:
    """A stretch of time with no contact at all."""

    start: dt.datetime
    end: dt.datetime
    after: str | None  # id of the event before the gap
    before: str | None  # id of the event after it; None when it runs to the end of observation

    @property
    def days(self) -> float:
        """Length of the gap in days."""
        return (self.end - self.start).total_seconds() / _DAY


def contact_gaps(journey: Journey, *, min_days: float = 0.0) -> list[ContactGap]:
    """Periods with no contact: between events, not covered by an ongoing episode.

    A treatment, support or admission with an ``end`` covers the time until it ends. A
    gap from the last event to the end of observation counts when ``observed_until`` is
    given. Only gaps longer than ``min_days`` are returned, in time order.
    """
    gaps: list[ContactGap] = []
    covered_until: dt.datetime | None = None
    last_id: str | None = None
    for event in journey.timeline:
        ts = event.timestamp
        if covered_until is not None and ts > covered_until:
            gap = ContactGap(start=covered_until, end=ts, after=last_id, before=event.id)
            if gap.days > min_days:
                gaps.append(gap)
        reach = timestamp_of(event.end) if event.end and event.kind in EPISODE_KINDS else ts
        if covered_until is None or reach >= covered_until:
            covered_until = max(reach, ts)
            last_id = event.id
    if journey.observed_until is not None and covered_until is not None:
        end = journey.end or timestamp_of(journey.observed_until)  # a death ends it (issue 12)
        if end > covered_until:
            gap = ContactGap(start=covered_until, end=end, after=last_id, before=None)
            if gap.days > min_days:
                gaps.append(gap)
    return gaps


def staff_sequence(journey: Journey) -> list[tuple[Event, str]]:
    """The events where a professional contact person took part, with that person.

    Used for relational continuity (målbild 9). When several contacts took part, the one
    holding a coordinating role is taken, else the first listed.
    """
    return list(per_journey(journey).memo(("staff_sequence",), lambda: _staff(journey)))


def _staff(journey: Journey) -> tuple[tuple[Event, str], ...]:
    roles = {c.id: c.role for c in journey.contacts}
    out = []
    for event in journey.timeline:
        # the first coordinating contact who took part, else the first contact listed
        lead = None
        for who in event.participants:
            role = roles.get(who)
            if role is None:
                continue
            if role is not ContactRole.STAFF:
                lead = who
                break
            if lead is None:
                lead = who
        if lead is not None:
            out.append((event, lead))
    return tuple(out)


@attrs.frozen(kw_only=True, slots=True)
class ContactChange:
    """The person met a different contact person than at the previous contact."""

    event: str
    previous: str
    current: str


def contact_changes(journey: Journey) -> list[ContactChange]:
    """Each change of contact person along the timeline (see :func:`staff_sequence`)."""
    out = []
    previous: str | None = None
    for event, contact in staff_sequence(journey):
        if previous is not None and contact != previous:
            out.append(ContactChange(event=event.id, previous=previous, current=contact))
        previous = contact
    return out


# -- episodes of care (issue 12: compulsory care) -----------------------------------------

_ENDING_KINDS: Final = frozenset({EventKind.DISCHARGE, EventKind.DROP_OUT, EventKind.CASE_CLOSED})


def day_of(value: dt.date) -> dt.date:
    """The calendar day of a date or date-time."""
    return value.date() if isinstance(value, dt.datetime) else value


@attrs.frozen(kw_only=True, slots=True)
class Episode:
    """An admission, treatment or support at one actor, from its date to its last day.

    ``last`` is ``None`` for a compulsory episode still going when observation ends;
    ``ender`` is the discharge, drop-out or closure at the same actor that ended it.
    """

    event: Event
    last: dt.date | None
    ender: Event | None

    @property
    def compulsory(self) -> bool:
        """Whether it was given under a compulsory law (LVM, LPT, LRV, LVU)."""
        return self.event.compulsory


def episodes(journey: Journey) -> list[Episode]:
    """The journey's episodes of care in time order, each with its last day and its end.

    An episode ends at its ``end``; without one, at the next discharge, drop-out or
    closure at the same actor; without that, a compulsory episode is still going (its
    ``last`` is ``None``) and any other lasts its own day.

    Examples
    --------
    >>> from careflow.model import Actor, Event, Journey, Person
    >>> j = Journey(id="j", person=Person(id="p"),
    ...     actors=[Actor(id="h", name="LVM-hem", principal="state")],
    ...     events=[Event(id="e1", date=dt.date(2025, 2, 3), actor="h", kind="admission",
    ...                   legal_basis="LVM"),
    ...             Event(id="e2", date=dt.date(2025, 4, 14), actor="h", kind="discharge")])
    >>> [(e.event.id, e.last, e.ender.id if e.ender else None) for e in episodes(j)]
    [('e1', datetime.date(2025, 4, 14), 'e2')]
    """
    timeline = journey.timeline
    out = []
    for i, event in enumerate(timeline):
        if event.kind not in EPISODE_KINDS:
            continue
        ender = next(
            (e for e in timeline[i + 1 :] if e.actor == event.actor and e.kind in _ENDING_KINDS),
            None,
        )
        last: dt.date | None
        if event.end is not None:
            if ender is not None and day_of(ender.date) != day_of(event.end):
                ender = None
            last = day_of(event.end)
        elif ender is not None:
            last = day_of(ender.date)
        else:
            last = None if event.compulsory else day_of(event.date)
        out.append(Episode(event=event, last=last, ender=ender))
    return out
