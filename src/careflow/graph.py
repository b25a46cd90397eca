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
from collections.abc import Container, Hashable, Iterable, Sequence
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
    turned away (the person's own step after a rejection continues the chain); and the
    moves rejections make (:func:`rejection_moves`).
    """
    shared = per_journey(journey)
    timeline, order, actors = shared.timeline, shared.order, shared.actors
    given = [
        _Move(t.id, t.source, t.target)
        for t in journey.transitions
        if t.kind in _MOVES
        or (t.kind is TransitionKind.SELF_REFERRAL and turned_away(timeline[order[t.source]]))
    ]
    made = rejection_moves(
        [(order[m.source], order[m.target]) for m in given],
        {order[t.source] for t in journey.transitions},
        turned=[turned_away(e) for e in timeline],
        sends=[e.reason_code in MOVING_REASONS or e.demanded_first is not None for e in timeline],
        own_step=[e.initiated_by in _OWN_STEP for e in timeline],
        actors=[e.actor for e in timeline],
        stamps=shared.stamps,
        informal=[a.principal is Principal.INFORMAL for a in actors],
    )
    out = given + [_Move(None, timeline[s].id, timeline[t].id) for s, t in made]
    return sorted(out, key=lambda m: (order[m.source], order[m.target], m.id or ""))


def rejection_moves(
    given: Sequence[tuple[int, int]],
    leaving: Container[int],
    *,
    turned: Sequence[bool],
    sends: Sequence[bool],
    own_step: Sequence[bool],
    actors: Sequence[Hashable],
    stamps: Sequence[dt.datetime],
    informal: Sequence[bool],
) -> list[tuple[int, int]]:
    """The moves rejections make, as (source, target) timeline positions, in time order.

    For a turned-away event (:func:`turned_away`) that no transition leaves from, a move
    to the next event at another actor, later and not in the person's own network, when
    the reason sends the person there (``sends``: :data:`MOVING_REASONS`, or a
    ``demanded_first``), when the person or their network took that next step
    (``own_step``), or when a move brought the person to the event: sent somewhere and
    turned away there, the person is still being sent round, whatever the reason. So one
    more rejection on the way never cuts a chain: it only lengthens it (a rejection that
    a move reaches passes the move on, to the event the move would otherwise have
    reached, or to one on the way there).

    ``given`` are the moves the journey's transitions make, ``leaving`` the positions a
    transition leaves from; the other arguments hold, per timeline position, what the
    rule reads of the event (the bulk path calls this with an event log's columns).
    """
    # events a move arrives at; the moves made here only go forward in time, so an event's
    # arrivals are all known when the loop below reaches it
    arrived = {target for _, target in given}
    out = []
    n = len(stamps)
    for i in range(n):
        if i in leaving or not turned[i]:
            continue
        nxt = next(
            (
                k
                for k in range(i + 1, n)
                if actors[k] != actors[i] and stamps[k] > stamps[i] and not informal[k]
            ),
            None,
        )
        if nxt is not None and (sends[i] or i in arrived or own_step[nxt]):
            out.append((i, nxt))
            arrived.add(nxt)
    return out


def loops(journey: Journey) -> list[Loop]:
    """Ping-pong: chains of moves that return where they came from, untreated.

    The moves are referrals, handovers and returns, and the moves a rejection makes (see
    :func:`_moves`). A chain is a sequence of moves, each leaving from the actor where
    the previous one arrived, at or after that arrival, with no treatment or admission
    (:data:`TREATMENT_KINDS`) starting between the arrival and the next move. Every chain
    is followed: a move continues each chain that arrived where it leaves (moving on from
    the last arrival of a chain, the chain goes with the person; leaving from an earlier
    arrival of it, as a parallel referral does, the move branches off and the chain's
    later branch is followed too), and a chain that arrived elsewhere is kept for the
    moves that later leave from there, so a move from elsewhere never cuts one. A move
    that continues no chain starts one.

    A move closes a loop when it arrives at the actor (level ``unit``) or principal (level
    ``principal``) that a move of a chain it continues left from, and no treatment or
    admission started at that move's start or between it and the arrival. A principal
    loop must pass through another principal. Each move closes at most one loop, the
    shortest (a unit loop before a principal loop, then the one of fewest moves); every
    chain it continued then starts again at it: the moves before it on those chains, the
    loop's among them, are used up, and no chain continues from them or counts them in
    another loop (so parallel moves that return the same way are one loop, not several).
    A loop's ``transitions`` are its real transitions; its ``events`` every event it
    passed, rejections included, in order.

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
    moves = _moves(journey)
    found = follow_chains(
        [(order[m.source], order[m.target]) for m in moves],
        actors=[a.id for a in actors],
        principals=[a.principal for a in actors],
        treated=[e.kind in TREATMENT_KINDS for e in timeline],
    )
    return [_loop(level, [moves[k] for k in part], order, actors) for level, part in found]


class _Link:
    """A chain as a linked list: its last move and the chain before it.

    ``cut`` is set when a loop has used the link up: no chain continues from it then.
    ``arrivals`` holds the actors the chain's moves arrived at, up to this link.
    """

    __slots__ = ("arrivals", "before", "cut", "move")

    def __init__(self, move: int, before: _Link | None, arrival: Hashable) -> None:
        self.move = move  # index of the move
        self.before = before
        self.cut = False
        if before is None:
            self.arrivals: frozenset[Hashable] = frozenset((arrival,))
        elif arrival in before.arrivals:
            self.arrivals = before.arrivals
        else:
            self.arrivals = before.arrivals | {arrival}


def follow_chains(
    moves: Sequence[tuple[int, int]],
    *,
    actors: Sequence[Hashable],
    principals: Sequence[Hashable],
    treated: Sequence[bool],
) -> list[tuple[str, list[int]]]:
    """The loops that ``moves`` close, as (level, indices of the loop's moves), in order.

    ``moves`` are (source, target) timeline positions in time order; ``actors``,
    ``principals`` and ``treated`` (a treatment or admission started there) describe
    each position. This is :func:`loops`'s rule on plain sequences, so the bulk path
    follows the same chains as the per-journey one.
    """
    # treated_before[i]: how many treatments start before timeline position i, so "was there
    # treatment between positions lo and hi" is one subtraction
    treated_before = [0]
    for flag in treated:
        treated_before.append(treated_before[-1] + flag)
    chains: list[_Link] = []  # the last link of every chain followed, oldest first
    found: list[tuple[str, list[int]]] = []
    for k, (src, end) in enumerate(moves):
        here = actors[src]
        kept: list[_Link] = []
        bases: list[_Link | None] = []
        for top in chains:
            if top.cut:
                continue  # a loop used this chain up
            if here not in top.arrivals:
                kept.append(top)  # it never arrived here
                continue
            node: _Link | None = top
            # back along the chain to the latest move that arrived here before this left
            while node is not None:
                if node.cut:
                    node = None  # it arrived here only before a loop that used it up
                    break
                arrival = moves[node.move][1]
                if arrival <= src and actors[arrival] == here:
                    break
                node = node.before
            if node is not top:
                kept.append(top)  # arrived elsewhere, or a branch this move leaves behind
            if node is None:
                continue
            if treated_before[src + 1] > treated_before[moves[node.move][1]]:
                node = None  # treatment started where the person arrived: the chain ends
            if node not in bases:  # links compare by identity
                bases.append(node)
        if len(bases) > 1 and None in bases:
            bases.remove(None)  # a chain of this move alone is part of every other one
        best: tuple[str, list[int]] | None = None
        for base in bases or [None]:
            loop = _closing_loop(
                k,
                base,
                moves=moves,
                actors=actors,
                principals=principals,
                treated_before=treated_before,
            )
            if loop is not None and (best is None or _shorter(loop, best)):
                best = loop
        if best is not None:
            found.append(best)
            for base in bases:  # every chain this move continued starts again at it
                _cut(base)
            chains = [*kept, _Link(k, None, actors[end])]
        else:
            chains = [*kept, *(_Link(k, base, actors[end]) for base in bases or [None])]
    return found


def _cut(link: _Link | None) -> None:
    """Mark ``link`` and every link before it used up (stopping at one already used up)."""
    while link is not None and not link.cut:
        link.cut = True
        link = link.before


def _shorter(loop: tuple[str, list[int]], than: tuple[str, list[int]]) -> bool:
    """A unit loop before a principal one, then the one of fewer moves."""
    return (loop[0] != "unit", len(loop[1])) < (than[0] != "unit", len(than[1]))


def _closing_loop(
    k: int,
    chain: _Link | None,
    *,
    moves: Sequence[tuple[int, int]],
    actors: Sequence[Hashable],
    principals: Sequence[Hashable],
    treated_before: list[int],
) -> tuple[str, list[int]] | None:
    """The shortest loop move ``k`` closes on ``chain``, a unit loop before a principal one.

    One backward pass over the chain's starts: a start whose actor is the arrival's closes
    a unit loop at once; the latest start of the arrival's principal from which the chain
    left that principal closes a principal loop, unless a unit loop closes further back.
    """
    src, end = moves[k]
    end_actor, end_principal = actors[end], principals[end]
    treated_at_end = treated_before[end]
    # whether an event of the chain from the start on lies with another principal
    left = principals[src] != end_principal
    part = [k]
    principal_len: int | None = None
    node = chain
    while node is not None and not node.cut:  # one transition alone is no loop
        begin, target = moves[node.move]
        if treated_at_end > treated_before[begin]:
            break  # treatment started at this start or later: so for every earlier start
        part.append(node.move)
        if actors[begin] == end_actor:
            return "unit", part[::-1]
        left = left or principals[begin] != end_principal or principals[target] != end_principal
        # a principal loop must leave the principal: else it is a move within it
        if principal_len is None and left and principals[begin] == end_principal:
            principal_len = len(part)
        node = node.before
    if principal_len is None:
        return None
    return "principal", part[:principal_len][::-1]


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
