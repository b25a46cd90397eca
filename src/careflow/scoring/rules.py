"""Shared judgements: the definitions that both the indicators and the gap findings use.

A score and a finding about the same thing must never disagree, so the question each
asks of a journey is answered once, here: which condition a rejection demanded be
treated first, what counts as follow-up after a discharge, when a person was held by
nobody between two services, who coordinated, which network members were invited, which
needs the services knew about. Indicators (:mod:`careflow.scoring.indicators`) turn the
answers into values; :mod:`careflow.gaps` turns them into findings.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from itertools import accumulate
from typing import Any, Final, TypeVar

import attrs

from careflow._per_journey import per_journey
from careflow.graph import turned_away
from careflow.model import (
    Aspect,
    Channel,
    Direction,
    Event,
    EventKind,
    Initiator,
    Journey,
    Need,
    Principal,
    Reason,
    ServiceKind,
    Transition,
    TransitionKind,
)
from careflow.scoring.facts import APPOINTMENT_KINDS, HELP_KINDS, SERVICE_ADDRESSES

__all__ = [
    "CONDITIONS",
    "EMERGENCY_SERVICES",
    "KOMMUN_NEEDS",
    "CoordinationGap",
    "FollowUp",
    "NetworkInvitation",
    "Unheld",
    "addresses",
    "coordination_gap",
    "demanded_first",
    "discharge_follow_ups",
    "held_by_nobody",
    "known_needs",
    "network_invitations",
    "other_condition_events",
    "outreach_after",
    "untreated_conditions",
]

_DAY: Final = 86_400.0
_SU, _MH = Need.SUBSTANCE_USE.value, Need.MENTAL_HEALTH.value
#: The two conditions whose meeting the målbilder are about.
CONDITIONS: Final = (_SU, _MH)
#: Services a person comes to in an emergency: a visit there is never planned follow-up.
EMERGENCY_SERVICES: Final = frozenset(
    {
        ServiceKind.PSYCHIATRIC_EMERGENCY,
        ServiceKind.EMERGENCY_CARE,
        ServiceKind.AMBULANCE,
        ServiceKind.POLICE,
    }
)
#: Everyday needs that are the kommun's responsibility (SoL): housing, occupation, economy.
KOMMUN_NEEDS: Final = frozenset({Need.HOUSING.value, Need.OCCUPATION.value, Need.ECONOMY.value})
#: Kinds of event that are a planned contact when a service works on the condition.
_FOLLOW_UP_KINDS: Final = frozenset(
    {
        EventKind.FIRST_CONTACT,
        EventKind.CONTACT,
        EventKind.ASSESSMENT,
        EventKind.TREATMENT,
        EventKind.SUPPORT,
        EventKind.PLAN_MEETING,
    }
)
#: Events after a discharge that show follow-up failed: a new crisis, a readmission, a
#: return to an emergency service, a closure, a drop-out, a rejection.
_FAILURE_KINDS: Final = frozenset(
    {
        EventKind.CRISIS,
        EventKind.ADMISSION,
        EventKind.CASE_CLOSED,
        EventKind.DROP_OUT,
        EventKind.REJECTION,
        EventKind.REDIRECTION,
    }
)
_CLOSURES: Final = frozenset({EventKind.CASE_CLOSED, EventKind.DISCHARGE})
_ONWARD: Final = frozenset({TransitionKind.REFERRAL, TransitionKind.HANDOVER})
_OWN: Final = frozenset({Initiator.PERSON, Initiator.NETWORK})
#: Knowing of a need: the kinds of event whose named life domains the services knew of.
_KNOWING_KINDS: Final = frozenset(
    {
        EventKind.NEED_SIGNAL,
        EventKind.HELP_SEEKING,
        EventKind.CONTACT_ATTEMPT,
        EventKind.ASSESSMENT,
        EventKind.REFERRAL,
        EventKind.REJECTION,
        EventKind.REDIRECTION,
        EventKind.CRISIS,
    }
)
#: An admission this soon after a discharge is a transfer within one stay, not a readmission.
_TRANSFER_DAYS: Final = 1.0


_T = TypeVar("_T")


def _memo(key: tuple[Any, ...], journey: Journey, compute: Callable[[], _T]) -> _T:
    """The shared judgement ``key`` of ``journey``, computed once per journey.

    The indicators and the gap detectors ask the same questions of one journey in a row;
    the answers are kept with the journey's other shared facts
    (:func:`careflow._per_journey.per_journey`).
    """
    return per_journey(journey).memo(key, compute)


def _stamps(journey: Journey) -> list[dt.datetime]:
    """The timeline's timestamps, in order (non-decreasing), computed once per journey."""
    return per_journey(journey).stamps


def _sorted_stamps(journey: Journey) -> list[dt.datetime]:
    """The timestamps made non-decreasing (a running maximum), for :mod:`bisect`.

    A death known by date only sorts last on its day but stands at midnight, so the
    timestamps themselves need not be sorted; searching them as if they were would
    depend on the search's path. For searching, the death counts at the latest time
    seen before it, where it stands in the timeline.
    """
    return _memo(("sorted_stamps",), journey, lambda: list(accumulate(_stamps(journey), max)))


def _days(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / _DAY


def addresses(journey: Journey, event: Event) -> frozenset[str]:
    """The life domains ``event`` worked on: those it names, else its service's usual ones."""
    if event.addresses:
        return frozenset(event.addresses)
    return SERVICE_ADDRESSES[journey.actor_of(event).service]


def demanded_first(journey: Journey, event: Event) -> Direction | None:
    """The condition a service demanded be treated first at ``event``, if it did.

    ``demanded_first`` when recorded; for ``reason_code: other_condition`` without it, the
    condition the service does not work on (addiction care turning away for the
    psychiatric condition demanded mental health first, and the reverse).
    """
    if event.demanded_first is not None:
        return event.demanded_first
    if event.reason_code is not Reason.OTHER_CONDITION:
        return None
    works_on = addresses(journey, event)
    if _SU in works_on and _MH not in works_on:
        return Direction.MENTAL_HEALTH
    if _MH in works_on and _SU not in works_on:
        return Direction.SUBSTANCE_USE
    return None


def other_condition_events(journey: Journey) -> list[Event]:
    """Events where the person was turned away or put off because of the other condition.

    ``reason_code: other_condition``, or a recorded ``demanded_first`` ("sober first",
    "psychiatry first"), in time order.
    """
    return list(_memo(("other_condition",), journey, lambda: _other_condition(journey)))


def _other_condition(journey: Journey) -> tuple[Event, ...]:
    return tuple(
        e
        for e in journey.timeline
        if e.reason_code is Reason.OTHER_CONDITION or e.demanded_first is not None
    )


def known_needs(journey: Journey) -> tuple[str, ...]:
    """The needs the services knew about, in order: the person's, then those events named.

    When needs are declared recorded completely, the person's needs are all of them.
    Otherwise a life domain named on a need signal, help-seeking, assessment, referral,
    rejection or crisis counts as known, and a rejection for the other condition makes
    both conditions known (the service knew of both to turn the person away for one).
    """
    return _memo(("known_needs",), journey, lambda: _known_needs(journey))


def _known_needs(journey: Journey) -> tuple[str, ...]:
    needs = dict.fromkeys(journey.person.needs)
    if journey.complete(Aspect.NEEDS):
        return tuple(needs)
    for event in journey.timeline:
        if event.kind in _KNOWING_KINDS:
            needs.update(dict.fromkeys(event.addresses))
        # demanded_first(journey, event) is not None, or the reason is the other condition
        # (the only reason that lets demanded_first say anything when none is recorded)
        if event.demanded_first is not None or event.reason_code is Reason.OTHER_CONDITION:
            needs.update(dict.fromkeys(CONDITIONS))
    return tuple(needs)


def _acted_on(journey: Journey) -> set[str]:
    acted: set[str] = set()
    for event in journey.events:
        if event.kind in HELP_KINDS:
            acted.update(addresses(journey, event))
    return acted


def _referred_on(journey: Journey) -> set[str]:
    """Conditions a referral or handover sent the person on for (to a service working on it)."""
    out: set[str] = set()
    for tr in journey.transitions:
        if tr.kind in _ONWARD:
            target = journey.event(tr.target)
            if not turned_away(target):
                out.update(addresses(journey, target))
    return out


def untreated_conditions(journey: Journey) -> list[tuple[str, bool]]:
    """Known needs that no treatment, support or admission acted on, with ``declared``.

    A need the person was recorded with (``declared``) counts as acted on only when help
    was given. A need known only from events also counts as handled when a referral or
    handover sent the person to a service working on it that did not turn them away.
    """
    return list(_memo(("untreated",), journey, lambda: _untreated(journey)))


def _untreated(journey: Journey) -> tuple[tuple[str, bool], ...]:
    acted = _acted_on(journey)
    referred = _referred_on(journey)
    declared = set(journey.person.needs)
    out = []
    for need in known_needs(journey):
        if need in acted:
            continue
        if need not in declared and need in referred:
            continue
        out.append((need, need in declared))
    return tuple(out)


@attrs.frozen(kw_only=True, slots=True)
class FollowUp:
    """How one discharge was followed up.

    ``follow_up`` is the first planned contact by a service working on the condition
    (``None`` if none came); ``days`` the days to it, or to the end of observation or the
    readmission or closure that came first; ``instead`` the events in between that show
    follow-up failing (a return to an emergency service, a crisis, a readmission, a
    closure). ``judged`` is false when nothing came yet and too little time was observed.
    """

    discharge: str
    follow_up: str | None
    days: float
    instead: tuple[str, ...]
    judged: bool
    failed: bool


def _works_on(journey: Journey, event: Event, condition: frozenset[str]) -> bool:
    return not condition or bool(condition & addresses(journey, event))


def discharge_follow_ups(journey: Journey, bad_days: float) -> list[FollowUp]:
    """Each discharge with its follow-up, judged against ``bad_days``.

    Follow-up is a planned contact (first contact, contact, assessment, treatment, support
    or plan meeting) after the discharge, at a service that is not an emergency service
    and works on a condition the discharging service treated, not taken on the person's
    or their network's own initiative. A readmission or case closure before it ends the
    search: follow-up failed. An admission within a day is a transfer, care continuing.
    A discharge fails when follow-up came ``bad_days`` or more after it, or never came
    and observation extends ``bad_days`` past it.
    """
    return list(_memo(("follow_ups", bad_days), journey, lambda: _follow_ups(journey, bad_days)))


def _follow_ups(journey: Journey, bad_days: float) -> tuple[FollowUp, ...]:
    shared = per_journey(journey)
    timeline, stamps, end = shared.timeline, shared.stamps, shared.end
    out = []
    for i, event in enumerate(timeline):
        if event.kind is not EventKind.DISCHARGE:
            continue
        condition = addresses(journey, event)
        instead: list[str] = []
        found: Event | None = None
        stopped: Event | None = None
        for j in range(i + 1, len(timeline)):
            later = timeline[j]
            if stamps[j] == stamps[i] and later.kind is not EventKind.DEATH:
                continue  # the same moment is not after it; a death that day ends the search
            gap = _days(stamps[i], stamps[j])
            service = journey.actor_of(later).service
            if later.kind is EventKind.ADMISSION and gap <= _TRANSFER_DAYS:
                found = later  # moved straight on to another stay: care continued
                break
            planned = (
                later.kind in _FOLLOW_UP_KINDS
                and service not in EMERGENCY_SERVICES
                and later.initiated_by not in _OWN
                and journey.actor_of(later).principal is not Principal.INFORMAL
                and _works_on(journey, later, condition)
            )
            if planned:
                found = later
                break
            if later.kind in _FAILURE_KINDS or service in EMERGENCY_SERVICES:
                instead.append(later.id)
            if later.kind is EventKind.DEATH:  # died before any follow-up: it failed (issue 12)
                if later.id not in instead:
                    instead.append(later.id)
                stopped = later
                break
            if later.kind in (EventKind.ADMISSION, EventKind.CASE_CLOSED):
                stopped = later
                break
        if found is not None:
            days = _days(event.timestamp, found.timestamp)
            failed = days >= bad_days
            judged = True
        elif stopped is not None:
            days = _days(event.timestamp, stopped.timestamp)
            failed = judged = True
        else:
            days = _days(event.timestamp, end) if end is not None else 0.0
            failed = judged = days >= bad_days
        out.append(
            FollowUp(
                discharge=event.id,
                follow_up=None if found is None else found.id,
                days=max(0.0, days),
                instead=tuple(instead),
                judged=judged,
                failed=failed,
            )
        )
    return tuple(out)


@attrs.frozen(kw_only=True, slots=True)
class Unheld:
    """A closure while the way onward had not yet led anywhere: nobody held the person.

    ``closure`` is the case closure or discharge; ``pending`` the referral or handover
    onward whose first contact had not come, or the referral event with no recorded
    destination (``None`` when only the closure's reason says the person was sent on);
    ``first_contact`` the first later contact at the receiving service (or, when that is
    not known, at a new service working on the same condition), if one came; ``days``
    the days from the closure to it, or to the end of observation.
    """

    closure: str
    pending: str | None
    first_contact: str | None
    days: float
    principals: tuple[str, ...]


def _span(stamps: list[dt.datetime], lo: dt.datetime, hi: dt.datetime) -> range:
    """Timeline positions whose timestamps lie in ``[lo, hi]``."""
    return range(bisect.bisect_left(stamps, lo), bisect.bisect_right(stamps, hi))


#: An onward transition by the actor it leaves: (transition, source time, target time,
#: target actor), in the journey's order of transitions.
_Onward = dict[str, list[tuple[Transition, dt.datetime, dt.datetime, str]]]


def _onward_by_source(journey: Journey) -> _Onward:
    """The referrals and handovers that are not warm, grouped by the actor they leave."""
    shared = per_journey(journey)
    order, stamps, timeline = shared.order, shared.stamps, shared.timeline
    out: _Onward = {}
    for tr in journey.transitions:
        if tr.kind not in _ONWARD or tr.warm is True:
            continue
        src, dst = order[tr.source], order[tr.target]
        out.setdefault(timeline[src].actor, []).append(
            (tr, stamps[src], stamps[dst], timeline[dst].actor)
        )
    return out


def _pending_transition(journey: Journey, ci: int, onward: _Onward) -> Transition | None:
    """The referral or handover from the closing service still waiting at the closure.

    Leaves the closing service at or before the closure, arrives at another service only
    after it, is not warm (a warm handover means the receiving service already met the
    person), and the receiving service had no contact with the person in between.
    """
    timeline, stamps = journey.timeline, _stamps(journey)
    closure = timeline[ci]
    best: tuple[dt.datetime, str, Transition] | None = None
    for tr, src_stamp, dst_stamp, dst_actor in onward.get(closure.actor, ()):
        if dst_actor == closure.actor:
            continue
        if not (src_stamp <= stamps[ci] < dst_stamp):
            continue
        opened_before = any(
            timeline[k].actor == dst_actor and timeline[k].kind in APPOINTMENT_KINDS
            for k in _span(_sorted_stamps(journey), src_stamp, stamps[ci])
        )
        if not opened_before and (best is None or (dst_stamp, tr.id) < best[:2]):
            best = (dst_stamp, tr.id, tr)
    return None if best is None else best[2]


def _pending_referral(journey: Journey, ci: int, window_days: float) -> Event | None:
    """A referral event with no recorded destination that was still pending at the closure.

    Made within ``window_days`` before the closure (at any service), with no transition
    from it, and with no contact at a third service between it and the closure: the
    referral had led nowhere yet.
    """
    timeline, stamps = journey.timeline, _stamps(journey)
    closure = timeline[ci]
    sources = _memo(("sources",), journey, lambda: {t.source for t in journey.transitions})
    search = _sorted_stamps(journey)
    for ri in range(bisect.bisect_right(search, stamps[ci]) - 1, -1, -1):
        event = timeline[ri]
        if _days(stamps[ri], stamps[ci]) > window_days:
            return None
        if event.kind is not EventKind.REFERRAL or event.id in sources:
            continue
        led_on = any(
            timeline[k].kind in APPOINTMENT_KINDS
            and timeline[k].actor not in (event.actor, closure.actor)
            for k in range(
                bisect.bisect_right(search, stamps[ri]), bisect.bisect_right(search, stamps[ci])
            )
        )
        if not led_on:
            return event
    return None


def _new_service(
    journey: Journey, event: Event, closing: str, met_before: set[str], condition: frozenset[str]
) -> bool:
    """Whether ``event`` is at a service new to the person that works on ``condition``."""
    return (
        event.actor not in met_before
        and event.actor != closing
        and journey.actor_of(event).principal is not Principal.INFORMAL
        and _works_on(journey, event, condition)
    )


def held_by_nobody(journey: Journey, min_days: float, window_days: float) -> list[Unheld]:
    """Closures and discharges that left the person held by nobody for over ``min_days``.

    Also when the receiving service never opened within observation, however short.
    The way onward is, in this order: a referral or handover from the closing service
    still waiting for its first contact (see :func:`_pending_transition`); a referral
    with no recorded destination made within ``window_days`` before the closure that had
    led nowhere yet; or, for a closure whose reason says the person was sent on
    (``referred_on``, ``other_area``, ``moved``), whatever service comes next. The first
    contact is then the first later contact at the receiving service, or, when it is not
    known, at a service the person had not met before that works on the same condition.
    A closure the person chose (``person_declined``) is not judged.
    """
    key = ("held", min_days, window_days)
    return list(_memo(key, journey, lambda: _held(journey, min_days, window_days)))


def _held(journey: Journey, min_days: float, window_days: float) -> tuple[Unheld, ...]:
    shared = per_journey(journey)
    timeline, stamps, end = shared.timeline, shared.stamps, shared.end
    search = _sorted_stamps(journey)
    onward = _onward_by_source(journey)
    out = []
    for ci, event in enumerate(timeline):
        if event.kind not in _CLOSURES or event.reason_code is Reason.PERSON_DECLINED:
            continue
        at = event.actor
        tr = _pending_transition(journey, ci, onward)
        referral = None if tr is not None else _pending_referral(journey, ci, window_days)
        sent_on = event.reason_code in (Reason.REFERRED_ON, Reason.OTHER_AREA, Reason.MOVED)
        if tr is None and referral is None and not sent_on:
            continue
        since = referral.timestamp if referral is not None else stamps[ci]
        met_before = {e.actor for e in timeline[: bisect.bisect_right(search, since)]}
        condition = addresses(journey, referral if referral is not None else event)
        receiving = None if tr is None else journey.event(tr.target).actor
        first = next(
            (
                e
                for e in timeline[bisect.bisect_right(search, stamps[ci]) :]
                if e.kind in APPOINTMENT_KINDS
                and (
                    e.actor == receiving
                    if receiving is not None
                    else _new_service(journey, e, at, met_before, condition)
                )
            ),
            None,
        )
        until = first.timestamp if first is not None else end
        days = max(0.0, _days(stamps[ci], until)) if until is not None else 0.0
        if first is not None and days <= min_days:
            continue  # opened soon enough; never opened at all is always a gap
        principals = [journey.actor(at).principal.value]
        if first is not None:
            principals.append(journey.actor_of(first).principal.value)
        elif receiving is not None:
            principals.append(journey.actor(receiving).principal.value)
        pending = tr.id if tr is not None else (referral.id if referral is not None else None)
        out.append(
            Unheld(
                closure=event.id,
                pending=pending,
                first_contact=None if first is None else first.id,
                days=days,
                principals=tuple(dict.fromkeys(principals)),
            )
        )
    return tuple(out)


@attrs.frozen(kw_only=True, slots=True)
class CoordinationGap:
    """Nobody coordinated although the person met several services or contact persons."""

    contacts: tuple[str, ...]  # the contact persons met, in order
    services: tuple[str, ...]  # the first event at each service met, in order
    principals: tuple[str, ...]


def coordination_gap(
    journey: Journey, many_contacts: int, several_services: int
) -> CoordinationGap | None:
    """Whether nobody coordinated a journey that needed it, with the evidence.

    Judged when contact persons are recorded, or declared recorded completely (then
    none listed means nobody was assigned). A gap when no contact holds a coordinating
    role and the person met ``many_contacts`` contact persons or ``several_services``
    services (actors other than the person's own network).
    """
    if not journey.contacts and not journey.complete(Aspect.CONTACTS):
        return None
    if any(c.coordinating for c in journey.contacts):
        return None
    known = {c.id for c in journey.contacts}
    met: dict[str, None] = {}
    first_at: dict[str, str] = {}
    for event in journey.timeline:
        for who in event.participants:
            if who in known:
                met.setdefault(who, None)
        if journey.actor_of(event).principal is not Principal.INFORMAL:
            first_at.setdefault(event.actor, event.id)
    if len(met) < many_contacts and len(first_at) < several_services:
        return None
    principals = dict.fromkeys(journey.actor(a).principal.value for a in first_at)
    return CoordinationGap(
        contacts=tuple(met), services=tuple(first_at.values()), principals=tuple(principals)
    )


@attrs.frozen(kw_only=True, slots=True)
class NetworkInvitation:
    """How the services treated the network: who was invited, who had to push their way in.

    ``invited`` maps a member to the first plan or event a service brought them into;
    ``pushed_in`` maps a member who made contact on their own and was never invited
    afterwards to that contact.
    """

    invited: dict[str, str]
    pushed_in: dict[str, str]


def network_invitations(journey: Journey) -> NetworkInvitation:
    """Which network members a service invited, and which had to push their way in.

    Taking part in a plan, or in an event a service initiated (or whose initiator is not
    recorded), is an invitation; an event the network initiated is the member pushing in,
    and counts against målbild 10 unless an invitation followed.
    """
    members = {n.id for n in journey.network}
    invited: dict[str, str] = {}
    pushed: dict[str, str] = {}
    for plan in sorted(journey.plans, key=lambda p: (p.date, p.id)):
        for who in plan.participants:
            if who in members:
                invited.setdefault(who, plan.id)
    last_push: dict[str, dt.datetime] = {}
    last_invite: dict[str, dt.datetime] = {}
    for plan in journey.plans:
        for who in plan.participants:
            if who in members:
                stamp = dt.datetime(plan.date.year, plan.date.month, plan.date.day)
                last_invite[who] = max(last_invite.get(who, stamp), stamp)
    for event in journey.timeline:
        for who in event.participants:
            if who not in members:
                continue
            if event.initiated_by is Initiator.NETWORK:
                pushed.setdefault(who, event.id)
                last_push[who] = event.timestamp
            elif event.initiated_by is not Initiator.PERSON:
                invited.setdefault(who, event.id)
                last_invite[who] = event.timestamp
    pushed_in = {
        who: first
        for who, first in pushed.items()
        if who not in last_invite or last_invite[who] < last_push[who]
    }
    return NetworkInvitation(invited=invited, pushed_in=pushed_in)


def outreach_after(journey: Journey, event: Event, within_days: float) -> Event | None:
    """The first time a service reached out to the person within ``within_days`` of ``event``.

    Reaching out is a service contacting the person: an event the service initiated, or
    one by outreach, that is not a rejection, a crisis visit, a closure or another
    drop-out; the person's own visit elsewhere is not outreach.
    """
    excluded = {
        EventKind.REJECTION,
        EventKind.REDIRECTION,
        EventKind.CRISIS,
        EventKind.CASE_CLOSED,
        EventKind.DROP_OUT,
        EventKind.DISCHARGE,
        EventKind.DEATH,  # a death is not reaching out (issue 12)
    }
    for later in journey.timeline:
        if later.timestamp <= event.timestamp:
            continue
        if _days(event.timestamp, later.timestamp) > within_days:
            return None
        reached = later.initiated_by is Initiator.SERVICE or later.channel is Channel.OUTREACH
        if reached and later.kind not in excluded:
            return later
    return None
