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

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

import polars as pl

from careflow import gaps
from careflow.errors import CareflowError, JourneyFileError
from careflow.io.eventlog import _slug
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
    TransitionKind,
)

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
    case = ""
    actors: dict[str, Actor] = {}
    used: set[str] = set()
    events: list[Event] = []
    transitions: list[Transition] = []
    needs: dict[str, None] = {}
    try:
        ordered = rows.sort("pos", maintain_order=True) if "pos" in rows.columns else rows
        table = ordered.select(JOURNEY_COLUMNS)
        for i, row in enumerate(table.iter_rows(named=True), start=1):
            case = str(row["case"])
            unit = str(row["unit"])
            if unit not in actors:
                base = _slug(unit)
                actor_id, n = base, 1
                while actor_id in used:
                    n += 1
                    actor_id = f"{base}-{n}"
                used.add(actor_id)
                actors[unit] = Actor(
                    id=actor_id,
                    name=unit,
                    principal=Principal(row["principal"]),
                    service=ServiceKind(row["service"]),
                )
            if row["need"] is not None:
                needs.setdefault(str(row["need"]), None)
            ts: dt.datetime = row["ts"]
            activity = str(row["activity"])
            event = Event(
                id=f"e{i}",
                date=ts.date() if row["is_date"] else ts,
                actor=actors[unit].id,
                kind=EventKind(row["kind"]),
                channel=_optional(Channel, row["channel"]),
                note=activity if activity and activity != unit else None,
                legal_basis=_optional(LegalBasis, row["legal_basis"]),
                cause=_optional(DeathCause, row["cause"]),
                certainty=_optional(Certainty, row["certainty"]),
            )
            if row["handover"] and events:
                transitions.append(
                    Transition(
                        id=f"t{len(transitions) + 1}",
                        source=events[-1].id,
                        target=event.id,
                        kind=TransitionKind.HANDOVER,
                    )
                )
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

    The detector runs on :func:`journey_of_case` of each such case (``thresholds``: the
    defaults unless given). Returns ``case`` (the events table's type) and ``name``
    (``UInt32``), one row per such case in the table's case order; the other cases are
    not listed.
    """
    th = thresholds or gaps.Thresholds()
    hit = events.lazy().filter(cases).select(pl.col("case").unique()).collect().get_column("case")
    chosen = (
        events.lazy()
        .filter(pl.col("case").is_in(hit.implode()))
        .select(*JOURNEY_COLUMNS, "pos")
        .collect()
        if hit.len()
        else events.clear()
    )
    names: list[str] = []
    counts: list[int] = []
    for part in _cases(chosen):
        journey = journey_of_case(part, recorded_completely=recorded_completely)
        names.append(journey.id)
        counts.append(len(detector(journey, th)))
    return pl.DataFrame(
        {"case": names, name: counts},
        schema={"case": events.schema["case"], name: pl.UInt32},
    )


def _cases(chosen: pl.DataFrame) -> Iterable[pl.DataFrame]:
    """The rows of each case, in the table's order (it is sorted by case)."""
    if chosen.is_empty():
        return []
    return chosen.partition_by("case", maintain_order=True)
