"""Compact per-journey facts that every indicator reads, computed in one pass.

Indicators are pure functions of :class:`Facts`. Building the facts once per journey
keeps scoring cheap (no networkx, no repeated sorting) and gives one place where the
shared definitions live: which events count as help, what a service usually addresses,
how an episode covers time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Final

from careflow._per_journey import per_journey
from careflow.model import (
    COORDINATING_ROLES,
    PERSON,
    Event,
    EventKind,
    Journey,
    Need,
    Principal,
    ServiceKind,
    TransitionKind,
    timestamp_of,
)

__all__ = [
    "APPOINTMENT_KINDS",
    "HELP_KINDS",
    "MOVE_KINDS",
    "SEEKING_KINDS",
    "SERVICE_ADDRESSES",
    "Facts",
    "coverage",
    "linear",
]

#: Events that mean help was actually given (målbild 1, 3, 5, 8).
HELP_KINDS: Final = frozenset({EventKind.TREATMENT, EventKind.SUPPORT, EventKind.ADMISSION})
#: Events that signal a need or a search for help (målbild 1, 2).
SEEKING_KINDS: Final = frozenset(
    {EventKind.NEED_SIGNAL, EventKind.HELP_SEEKING, EventKind.CONTACT_ATTEMPT, EventKind.CRISIS}
)
#: Events that are an appointment the person got (the end of a wait, målbild 2).
APPOINTMENT_KINDS: Final = frozenset(
    {
        EventKind.FIRST_CONTACT,
        EventKind.CONTACT,
        EventKind.ASSESSMENT,
        EventKind.TREATMENT,
        EventKind.SUPPORT,
        EventKind.ADMISSION,
        EventKind.PLAN_MEETING,
    }
)
#: Transitions by which a service moves the person on (not the person's own initiative).
MOVE_KINDS: Final = frozenset(
    {TransitionKind.REFERRAL, TransitionKind.HANDOVER, TransitionKind.RETURN}
)

_SU, _MH = Need.SUBSTANCE_USE.value, Need.MENTAL_HEALTH.value
#: The life domains a kind of service works on, used when an event names none.
SERVICE_ADDRESSES: Final[Mapping[ServiceKind, frozenset[str]]] = {
    ServiceKind.PRIMARY_CARE: frozenset({Need.SOMATIC.value, _MH}),
    ServiceKind.PSYCHIATRIC_OUTPATIENT: frozenset({_MH}),
    ServiceKind.PSYCHIATRIC_EMERGENCY: frozenset({_MH}),
    ServiceKind.PSYCHIATRIC_INPATIENT: frozenset({_MH}),
    ServiceKind.ADDICTION_MEDICINE: frozenset({_SU}),
    ServiceKind.OPIOID_SUBSTITUTION: frozenset({_SU}),
    ServiceKind.EMERGENCY_CARE: frozenset({Need.SOMATIC.value}),
    ServiceKind.SOMATIC_CARE: frozenset({Need.SOMATIC.value}),
    ServiceKind.AMBULANCE: frozenset({Need.SOMATIC.value}),
    ServiceKind.INTEGRATED_TEAM: frozenset({_SU, _MH}),
    ServiceKind.SOCIAL_SERVICES: frozenset({_SU, Need.SOCIAL_RELATIONS.value}),
    ServiceKind.HOUSING_SUPPORT: frozenset({Need.HOUSING.value}),
    ServiceKind.SUPPORTED_HOUSING: frozenset({Need.HOUSING.value}),
    ServiceKind.EMPLOYMENT_SUPPORT: frozenset({Need.OCCUPATION.value}),
    ServiceKind.FINANCIAL_AID: frozenset({Need.ECONOMY.value}),
    ServiceKind.RELATIVE_SUPPORT: frozenset({Need.SOCIAL_RELATIONS.value}),
    ServiceKind.COMPULSORY_CARE: frozenset({_SU}),
    ServiceKind.POLICE: frozenset(),
    ServiceKind.PRISON_PROBATION: frozenset(),
    ServiceKind.EMPLOYMENT_SERVICE: frozenset({Need.OCCUPATION.value}),
    ServiceKind.SOCIAL_INSURANCE: frozenset({Need.ECONOMY.value}),
    ServiceKind.USER_ORGANISATION: frozenset({Need.SOCIAL_RELATIONS.value}),
    ServiceKind.PEER_SUPPORT: frozenset({Need.SOCIAL_RELATIONS.value}),
    ServiceKind.OTHER: frozenset(),
}


def day_number(value: dt.datetime) -> float:
    """A datetime as a day count (proleptic ordinal plus the fraction of the day)."""
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return value.toordinal() + seconds / 86_400.0


def linear(x: float, good: float, bad: float) -> float:
    """1 at or below ``good``, 0 at or above ``bad``, a straight line between.

    Examples
    --------
    >>> linear(7, 7, 90), linear(90, 7, 90), round(linear(48.5, 7, 90), 2)
    (1.0, 0.0, 0.5)
    """
    if x <= good:
        return 1.0
    if x >= bad:
        return 0.0
    return (bad - x) / (bad - good)


def coverage(intervals: Iterable[tuple[float, float]], lo: float, hi: float) -> float:
    """The share of ``[lo, hi]`` covered by the union of ``intervals`` (0 when empty).

    Examples
    --------
    >>> coverage([(0, 2), (1, 3), (8, 9)], 0, 10)
    0.4
    """
    if hi <= lo:
        return 0.0
    covered = 0.0
    cur_lo = cur_hi = None
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
        if b <= a:
            continue
        if cur_hi is None or a > cur_hi:
            if cur_hi is not None and cur_lo is not None:
                covered += cur_hi - cur_lo
            cur_lo, cur_hi = a, b
        elif b > cur_hi:
            cur_hi = b
    if cur_hi is not None and cur_lo is not None:
        covered += cur_hi - cur_lo
    return covered / (hi - lo)


class Facts:
    """What the indicators need to know about one journey, computed once.

    Attributes are plain lists and dicts indexed by timeline position, so an indicator
    is a short loop. ``day`` holds each event's start as a day count, ``until`` the end
    of its episode (one day for an event without ``end``).
    """

    __slots__ = (
        "addresses",
        "contact_days",
        "coordinators",
        "day",
        "end",
        "episode_end",
        "index",
        "journey",
        "kinds_recorded",
        "principal",
        "services_recorded",
        "start",
        "timeline",
    )

    def __init__(self, journey: Journey) -> None:
        shared = per_journey(journey)
        self.journey = journey
        timeline = shared.timeline
        self.timeline: tuple[Event, ...] = timeline
        self.index: dict[str, int] = dict(shared.order)
        day = [day_number(stamp) for stamp in shared.stamps]
        self.day: list[float] = day
        episode_end: list[float] = []
        addresses: list[frozenset[str]] = []
        services_recorded = False
        kinds_recorded = False
        contact_days: dict[str, list[float]] = {}
        for event, actor, start in zip(timeline, shared.actors, day, strict=True):
            if event.end is not None:
                end = day_number(timestamp_of(event.end))
                if not isinstance(event.end, dt.datetime):
                    end += 1.0  # an episode that ends on a date lasts through that day
                episode_end.append(max(end, start))
            else:
                episode_end.append(start + 1.0)
            addresses.append(
                frozenset(event.addresses) if event.addresses else SERVICE_ADDRESSES[actor.service]
            )
            services_recorded = services_recorded or actor.service is not ServiceKind.OTHER
            kinds_recorded = kinds_recorded or event.kind is not EventKind.CONTACT
            for who in event.participants:
                if who != PERSON:
                    contact_days.setdefault(who, []).append(start)
        self.episode_end: list[float] = episode_end
        self.principal: list[Principal] = [actor.principal for actor in shared.actors]
        self.addresses: list[frozenset[str]] = addresses
        self.services_recorded = services_recorded
        self.kinds_recorded = kinds_recorded
        self.start: float = day[0] if timeline else 0.0
        last = shared.end
        self.end: float = max(day_number(last), self.start) if last is not None else self.start
        self.coordinators: tuple[str, ...] = tuple(
            c.id for c in journey.contacts if c.role in COORDINATING_ROLES
        )
        self.contact_days = contact_days

    @property
    def span(self) -> float:
        """Days from the first event to the end of observation."""
        return self.end - self.start

    def episodes(
        self, kinds: frozenset[EventKind], need: str | None = None
    ) -> list[tuple[float, float]]:
        """Time intervals of events of ``kinds`` (optionally addressing ``need``)."""
        return [
            (self.day[i], self.episode_end[i])
            for i, e in enumerate(self.timeline)
            if e.kind in kinds and (need is None or need in self.addresses[i])
        ]
