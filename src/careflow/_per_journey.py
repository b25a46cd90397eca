"""Facts about one journey that many judgements share, computed once per journey.

Scoring a journey asks the same questions of it many times over: its indicators, the
gap findings that cap its scores and the shared judgements in
:mod:`careflow.scoring.rules` each want the timeline's timestamps, the actor of every
event, the end of observation, the referral loops, the region-kommun crossings. The
:class:`PerJourney` of a journey holds those, and a memo of any other derived value, so
each is computed once however many callers ask.

Only the journey asked about last is kept (:func:`per_journey`): callers ask about one
journey after another, and a bulk run over a million journeys holds one at a time.
Journeys are immutable, so a cached value can never go stale; the cache holds a
reference to its journey, so the identity it is keyed on cannot be reused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from careflow.model import Actor, Event, Journey

__all__ = ["PerJourney", "builds", "per_journey"]

_T = TypeVar("_T")


class PerJourney:
    """One journey's shared facts, by timeline position, and a memo of derived values.

    ``timeline`` is :attr:`careflow.model.Journey.timeline`; ``order`` maps an event id
    to its position; ``actors[i]`` and ``stamps[i]`` are the actor and the timestamp of
    the event at position ``i``; ``end`` is :attr:`careflow.model.Journey.end`.
    """

    __slots__ = ("_memo", "actors", "end", "journey", "order", "stamps", "timeline")

    def __init__(self, journey: Journey) -> None:
        global _BUILDS  # noqa: PLW0603 - a counter for the regression test, nothing else
        _BUILDS += 1
        self.journey = journey
        timeline = journey.timeline
        self.timeline: tuple[Event, ...] = timeline
        self.order: dict[str, int] = {e.id: i for i, e in enumerate(timeline)}
        actor = journey.actor
        self.actors: list[Actor] = [actor(e.actor) for e in timeline]
        self.stamps: list[dt.datetime] = [e.timestamp for e in timeline]
        self.end: dt.datetime | None = journey.end
        self._memo: dict[Hashable, Any] = {}

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """The value under ``key``, computed by ``compute`` the first time it is asked for."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._memo[key] = compute()
            return value


_LAST: PerJourney | None = None
_BUILDS = 0


def per_journey(journey: Journey) -> PerJourney:
    """The shared facts of ``journey``: those of the last journey asked about, if it is it."""
    global _LAST  # noqa: PLW0603 - the one-journey cache
    last = _LAST
    if last is not None and last.journey is journey:
        return last
    last = _LAST = PerJourney(journey)
    return last


def builds() -> int:
    """How many times shared facts were built so far (for tests that count work, not time)."""
    return _BUILDS
