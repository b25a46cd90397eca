"""Journeys built from the events table, for the few cases a finding is counted per journey.

The bulk path builds no :class:`~careflow.model.Journey` per case. One finding,
``compulsory_care_ended``, compares every ended compulsory episode with the episodes at
other services under way that day and what followed; it is counted with its own detector
(:func:`careflow.gaps.compulsory_care_ended`) on the journey of each case that has a
compulsory event, and is 0 elsewhere (the detector gives nothing without one). So there
is one definition, and the cost grows with the events of those cases only.

:func:`journey_of_case` builds a case's journey from its rows of the events table exactly
as the per-journey reader (:class:`careflow.io.eventlog._Builder`) builds it from the same
log: the events table holds the rows in the reader's order (``pos``), its actors, kinds,
contact types, needs, legal bases, death causes, and where the reader puts a handover
(``handover``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any, Final, TypeVar

import polars as pl

from careflow import gaps
from careflow.errors import CareflowError, JourneyFileError
from careflow.io.eventlog import _handover, _log_event, _unit_actor_id
from careflow.model import (
    Actor,
    Aspect,
    Certainty,
    Channel,
    DeathCause,
    Event,
    EventKind,
    Journey,
    LegalBasis,
    Person,
    Principal,
    ServiceKind,
    Transition,
)
from careflow.population._engine import IN_MEMORY

__all__ = ["JOURNEY_COLUMNS", "count_per_journey", "journey_of_case"]

#: The columns of the events table a journey is built from, in the order read.
JOURNEY_COLUMNS: Final = (
    "case",
    "ts",
    "is_date",
    "kind",
    "activity",
    "unit",
    "principal",
    "service",
    "channel",
    "need",
    "legal_basis",
    "cause",
    "certainty",
    "handover",
)


_V = TypeVar("_V")


def _optional(make: Callable[[str], _V], value: Any) -> _V | None:
    """``make(value)``, or ``None`` for a null cell."""
    return None if value is None else make(value)


def journey_of_case(
    rows: pl.DataFrame, *, recorded_completely: frozenset[Aspect] = frozenset()
) -> Journey:
    """The journey of one case, from its rows of the events table (sorted by ``pos``).

    As the per-journey reader builds it: one actor per unit in order of first appearance
    (its id the slug of the unit's name, ``-2``, ``-3``... when two units slug alike;
    its principal and service), events ``e1``, ``e2``... in the rows' order (a plain date
    when the cell was one, its kind, contact type, the activity as a note when it differs
    from the unit, legal basis, a death's cause and certainty), a ``handover`` transition
    ``t1``, ``t2``... into each event where the table's ``handover`` is true, the person's
    needs from the ``need`` column in order of first appearance, and what the source
    records completely.

    Raises
    ------
    JourneyFileError
        When the rows are not those of one case, or cannot be a journey (as the
        per-journey reader refuses such a case).
    """
    if rows.get_column("case").n_unique() != 1:
        raise JourneyFileError("expected the rows of exactly one case of the events table")
    ordered = rows.sort("pos", maintain_order=True) if "pos" in rows.columns else rows
    return _journey(list(_rows(ordered)), recorded_completely)


def _rows(events: pl.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The :data:`JOURNEY_COLUMNS` of ``events`` as plain Python tuples (text, not enums)."""
    text = {"case", "activity", "unit"}
    columns = [pl.col(c).cast(pl.String) if c in text else pl.col(c) for c in JOURNEY_COLUMNS]
    return events.select(columns).iter_rows()


def _journey(rows: Sequence[tuple[Any, ...]], recorded_completely: frozenset[Aspect]) -> Journey:
    """:func:`journey_of_case` from the case's rows as :func:`_rows` gives them."""
    case = str(rows[0][0])
    actors: dict[str, Actor] = {}
    used: set[str] = set()
    events: list[Event] = []
    transitions: list[Transition] = []
    needs: dict[str, None] = {}
    try:
        for i, row in enumerate(rows, start=1):
            _, ts, is_date, kind, activity, unit, principal, service, *rest = row
            channel, need, legal_basis, cause, certainty, moved = rest
            if unit not in actors:
                actors[unit] = Actor(
                    id=_unit_actor_id(unit, used),
                    name=unit,
                    principal=Principal(principal),
                    service=ServiceKind(service),
                )
            if need is not None:
                needs.setdefault(need, None)
            event = _log_event(
                i,
                ts.date() if is_date else ts,
                actors[unit].id,
                unit=unit,
                activity=activity,
                kind=EventKind(kind),
                channel=_optional(Channel, channel),
                legal_basis=_optional(LegalBasis, legal_basis),
                cause=_optional(DeathCause, cause),
                certainty=_optional(Certainty, certainty),
            )
            if moved and events:
                transitions.append(_handover(transitions, events[-1], event))
            events.append(event)
        return Journey(
            id=case,
            person=Person(id=case, needs=tuple(needs)),
            actors=tuple(actors.values()),
            events=tuple(events),
            transitions=tuple(transitions),
            recorded_completely=recorded_completely,
        )
    except CareflowError as exc:
        raise JourneyFileError(f"case {case!r:.40} cannot be a journey: {exc}") from None


def count_per_journey(
    events: pl.DataFrame,
    detector: gaps.Detector,
    cases: pl.Expr,
    *,
    name: str,
    recorded_completely: frozenset[Aspect] = frozenset(),
    thresholds: gaps.Thresholds | None = None,
) -> pl.DataFrame:
    """Per case with an event where ``cases`` holds: how many findings ``detector`` gives.

    The detector runs on the journey of each such case, built as :func:`journey_of_case`
    builds it (``thresholds``: the defaults unless given). The rows of those cases are
    read into Python once, in the table's order; the work grows with their events.
    Returns ``case`` (the events table's type) and ``name`` (``UInt32``), one row per
    such case in the table's case order; the other cases are not listed.
    """
    th = thresholds or gaps.Thresholds()
    hit = (
        events.lazy()
        .filter(cases)
        .select(pl.col("case").unique())
        .collect(engine=IN_MEMORY)
        .get_column("case")
    )
    names: list[str] = []
    counts: list[int] = []
    if hit.len():
        chosen = events.filter(pl.col("case").is_in(hit.implode()))
        for _, group in groupby(_rows(chosen), key=itemgetter(0)):
            journey = _journey(list(group), recorded_completely)
            names.append(journey.id)
            counts.append(len(detector(journey, th)))
    return pl.DataFrame(
        {"case": names, name: counts},
        schema={"case": events.schema["case"], name: pl.UInt32},
    )
