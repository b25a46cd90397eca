"""Bulk expressions of the indicators, each beside the per-journey function it mirrors.

Every entry of :data:`BULK` names an indicator of :data:`careflow.scoring.INDICATORS`,
holds a reference to its per-journey function, and gives the polars expressions that
compute the same value for every case of an events table at once: per-case facts
(aggregations over the case's sorted events) and the value from those facts. ``None``
(null) is "not assessable", exactly where the per-journey function says so.

The expressions are written for journeys read from an event log
(:func:`careflow.read_event_log`): each row one event with a date, a unit and its
principal, a kind and a contact type; each change of unit a handover with unknown
information. Whatever such a journey cannot hold (contact persons, plans, network,
experience, needs) is not assessable per journey, and the bulk value says so too.
``tests/test_population.py`` checks, for every entry, that the two agree to 1e-9 on
generated logs and on the rich workload, so a change to one side shows at once.

:data:`NOT_IN_BULK` lists the indicators without a bulk expression, with the reason;
they are never silently dropped: the score table marks them, and the målbild scores that
need them are not computed in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs
import polars as pl

from careflow.model import EventKind, ServiceKind
from careflow.scoring import indicators as per_journey
from careflow.scoring.facts import (
    APPOINTMENT_KINDS,
    HELP_KINDS,
    SEEKING_KINDS,
    SERVICE_ADDRESSES,
)
from careflow.scoring.indicators import _EVERYDAY_EXCLUDED, _PEER_SERVICES, IndicatorFunction

__all__ = ["BULK", "NOT_IN_BULK", "BulkIndicator", "case_facts", "event_columns"]

_TURNED_AWAY: Final = frozenset({EventKind.REJECTION, EventKind.REDIRECTION})
_TREATMENT_KINDS: Final = frozenset({EventKind.TREATMENT, EventKind.ADMISSION})


def _kind_in(kinds: Iterable[EventKind]) -> pl.Expr:
    return pl.col("kind").is_in(sorted(k.value for k in kinds))


def _kind_is(kind: EventKind) -> pl.Expr:
    return pl.col("kind") == kind.value


def _linear(x: pl.Expr, good: float, bad: float) -> pl.Expr:
    """:func:`careflow.scoring.facts.linear` as an expression (same arithmetic)."""
    return pl.when(x <= good).then(1.0).when(x >= bad).then(0.0).otherwise((bad - x) / (bad - good))


def _na() -> pl.Expr:
    return pl.lit(None, dtype=pl.Float64)


def event_columns() -> list[pl.Expr]:
    """Per-event flags and running counts the facts read (one pass over sorted events)."""
    seek = _kind_in(SEEKING_KINDS)
    help_ = _kind_in(HELP_KINDS)
    resp = _kind_in(APPOINTMENT_KINDS) & ~_kind_is(EventKind.CONTACT)
    next_day = pl.col("day").shift(-1).over("case")
    return [
        seek.alias("seek"),
        help_.alias("help"),
        _kind_in(_TURNED_AWAY).alias("turned_away"),
        _kind_in(APPOINTMENT_KINDS).alias("appointment"),
        resp.alias("responded"),
        _kind_in(_TREATMENT_KINDS).alias("treated"),
        ((pl.col("pos") > 0) & (pl.col("unit") != pl.col("unit").shift(1))).alias("handover"),
        (pl.col("day") - pl.col("day").shift(1)).alias("gap"),
        # Journey.end: the latest time (a death by date sorts last but is at midnight)
        pl.col("day").max().over("case").alias("end"),
        seek.cum_sum().over("case").alias("seek_cum"),
        resp.cum_sum().over("case").alias("resp_cum"),
        pl.when(next_day > pl.col("day"))
        .then(next_day)
        .otherwise(None)
        .backward_fill()
        .over("case")
        .alias("next_day"),
    ]


def _help_columns() -> list[pl.Expr]:
    help_after = pl.col("help") & (pl.col("seek_cum") > 0)
    return [help_after.alias("help_after"), help_after.cum_sum().over("case").alias("help_cum")]


@attrs.frozen(kw_only=True, slots=True)
class BulkIndicator:
    """An indicator's bulk form: the facts it needs and its value from them.

    ``per_journey`` is the function of :mod:`careflow.scoring.indicators` whose value
    this reproduces; ``facts`` maps a fact name to a per-case aggregation over the sorted
    events (names are shared: the same name must mean the same expression);
    ``value`` computes the indicator from the facts (null when not assessable).
    """

    id: str
    per_journey: IndicatorFunction
    facts: Mapping[str, Callable[[], pl.Expr]]
    value: Callable[[], pl.Expr]


# -- shared facts --------------------------------------------------------------------------

_FACTS: Final[dict[str, Callable[[], pl.Expr]]] = {
    "n_events": pl.len,
    "start": lambda: pl.col("day").first(),
    "end": lambda: pl.col("day").max(),
    "kinds_recorded": lambda: (pl.col("kind") != EventKind.CONTACT.value).any(ignore_nulls=True),
    "has_signal": lambda: pl.col("seek").any(ignore_nulls=True),
    "unanswered": lambda: (
        (
            ((pl.col("seek_cum") - pl.col("seek").cast(pl.UInt32)) > 0)
            & (pl.col("help_cum") == 0)
            & (pl.col("seek") | pl.col("turned_away"))
        )
        .sum()
        .cast(pl.UInt32)
    ),
    "turned_away": lambda: pl.col("turned_away").sum().cast(pl.UInt32),
    "tried": lambda: (
        ((pl.col("resp_cum") == 0) & (pl.col("seek") | pl.col("turned_away"))).sum().cast(pl.UInt32)
    ),
    "any_response": lambda: pl.col("responded").any(ignore_nulls=True),
    "places": lambda: (
        pl.col("unit")
        .filter(
            ((pl.col("resp_cum") == 0) & (pl.col("seek") | pl.col("turned_away")))
            | (pl.col("responded") & (pl.col("resp_cum") == 1))
        )
        .n_unique()
    ),
    "channel_recorded": lambda: pl.col("channel").is_not_null().any(),
    "alt_channels": lambda: (
        pl.col("channel")
        .filter(pl.col("channel").is_in(["phone", "digital", "outreach"]))
        .n_unique()
    ),
    "treatments": lambda: _kind_is(EventKind.TREATMENT).sum(),
    "drop_outs": lambda: _kind_is(EventKind.DROP_OUT).sum(),
    "region_day": lambda: pl.col("day").filter(pl.col("principal") == "region").first(),
    "kommun_day": lambda: pl.col("day").filter(pl.col("principal") == "kommun").first(),
    "plan_meetings": lambda: _kind_is(EventKind.PLAN_MEETING).sum(),
}


# -- services and everyday needs (a mapping's unit and diagnosis rules give them) ----------

#: Everyday-life domains a service can address: every domain of SERVICE_ADDRESSES but the
#: two conditions, which per journey are no everyday needs.
_EVERYDAY: Final = sorted(
    {d for domains in SERVICE_ADDRESSES.values() for d in domains} - _EVERYDAY_EXCLUDED
)


def _addressing(domain: str) -> pl.Expr:
    """Whether the event's service usually addresses ``domain`` (an event from a log names none)."""
    services = sorted(s.value for s, domains in SERVICE_ADDRESSES.items() if domain in domains)
    return pl.col("service").is_in(services)


def _everyday_need() -> pl.Expr:
    return pl.col("need").is_not_null() & ~pl.col("need").is_in(sorted(_EVERYDAY_EXCLUDED))


_FACTS.update(
    {
        "services_recorded": lambda: (
            pl.col("service").is_in([ServiceKind.OTHER.value]).not_().any()
        ),
        "peer_service": lambda: (
            pl.col("service").is_in(sorted(s.value for s in _PEER_SERVICES)).any()
        ),
        "everyday_needs": lambda: pl.col("need").filter(_everyday_need()).n_unique(),
        # each everyday need a help event's service addresses (a need no service
        # addresses is never acted on)
        "everyday_acted": lambda: pl.sum_horizontal(
            [
                ((pl.col("need") == d).any() & (pl.col("help") & _addressing(d)).any()).cast(
                    pl.Int64
                )
                for d in _EVERYDAY
            ]
        ),
    }
)


def _peer_support() -> pl.Expr:
    # a log records no network, so peers are met only at a peer or user-organisation service
    found = pl.when(pl.col("peer_service")).then(1.0).otherwise(0.0)
    return pl.when(pl.col("services_recorded")).then(found).otherwise(None)


def _life_domains_addressed() -> pl.Expr:
    # a log has no plans, so a need is acted on (1) or not (0), never only planned (0.5)
    share = pl.col("everyday_acted").cast(pl.Float64) / pl.col("everyday_needs").cast(pl.Float64)
    return pl.when(pl.col("everyday_needs") == 0).then(None).otherwise(share)


def _everyday_support_time() -> pl.Expr:
    share = pl.col("support_covered").fill_null(0.0) / _SPAN
    return pl.when((pl.col("everyday_needs") == 0) | ~_KR | (_SPAN < 1)).then(None).otherwise(share)


def _facts(*names: str) -> dict[str, Callable[[], pl.Expr]]:
    return {n: _FACTS[n] for n in names}


_KR: Final = pl.col("kinds_recorded")
_SPAN: Final = pl.col("end") - pl.col("start")


def _unanswered_seeking() -> pl.Expr:
    return (
        pl.when(~_KR | ~pl.col("has_signal"))
        .then(None)
        .otherwise(1 / (1 + pl.col("unanswered").cast(pl.Float64)))
    )


def _redirections() -> pl.Expr:
    return pl.when(~_KR).then(None).otherwise(1 / (1 + pl.col("turned_away").cast(pl.Float64)))


def _entry_points() -> pl.Expr:
    return (
        pl.when(~_KR | (pl.col("tried") == 0))
        .then(None)
        .when(~pl.col("any_response"))
        .then(0.0)
        .otherwise(1 / pl.col("places").cast(pl.Float64))
    )


def _channels() -> pl.Expr:
    return (
        pl.when(~pl.col("channel_recorded"))
        .then(None)
        .otherwise(pl.col("alt_channels").cast(pl.Float64) / 3)
    )


def _guideline_treatment_time() -> pl.Expr:
    share = pl.col("treated_covered").fill_null(0.0) / _SPAN
    return pl.when(~_KR | (_SPAN < 1)).then(None).otherwise(share)


def _treatment_completion() -> pl.Expr:
    n = pl.max_horizontal(pl.col("treatments"), pl.lit(1)).cast(pl.Float64)
    k = pl.col("drop_outs").cast(pl.Float64)
    return (
        pl.when(~_KR | ((pl.col("treatments") == 0) & (pl.col("drop_outs") == 0)))
        .then(None)
        .otherwise(1 - pl.min_horizontal(pl.lit(1.0), k / n))
    )


def _joint_plan() -> pl.Expr:
    both = pl.max_horizontal("region_day", "kommun_day")
    waited = pl.col("end") - both
    return (
        pl.when(pl.col("region_day").is_null() | pl.col("kommun_day").is_null() | ~_KR)
        .then(None)
        .when(waited < per_journey.SIP_GOOD)
        .then(None)
        .otherwise(0.0)
    )


def _plan_participation() -> pl.Expr:
    # plan meetings from a log list no participants, so the person is in none of them
    return pl.when(pl.col("plan_meetings") == 0).then(None).otherwise(0.0)


def _entry(
    fn: IndicatorFunction, value: Callable[[], pl.Expr], *facts: str
) -> tuple[str, BulkIndicator]:
    return fn.__name__, BulkIndicator(
        id=fn.__name__, per_journey=fn, facts=_facts(*facts), value=value
    )


#: Indicators with a bulk expression, by id, in målbild order.
BULK: Final[dict[str, BulkIndicator]] = dict(
    (
        # målbild 1
        _entry(
            per_journey.unanswered_seeking,
            _unanswered_seeking,
            "kinds_recorded",
            "has_signal",
            "unanswered",
        ),
        # målbild 2
        _entry(per_journey.redirections, _redirections, "kinds_recorded", "turned_away"),
        _entry(
            per_journey.entry_points,
            _entry_points,
            "kinds_recorded",
            "tried",
            "any_response",
            "places",
        ),
        _entry(per_journey.channels, _channels, "channel_recorded", "alt_channels"),
        # målbild 3
        _entry(
            per_journey.guideline_treatment_time,
            _guideline_treatment_time,
            "kinds_recorded",
            "start",
            "end",
        ),
        _entry(per_journey.shared_decisions, _na),
        _entry(
            per_journey.treatment_completion,
            _treatment_completion,
            "kinds_recorded",
            "treatments",
            "drop_outs",
        ),
        # målbild 4: a log's handovers carry unknown information and warmth
        _entry(per_journey.information_transfer, _na),
        _entry(
            per_journey.joint_plan, _joint_plan, "kinds_recorded", "region_day", "kommun_day", "end"
        ),
        _entry(per_journey.warm_boundary_handovers, _na),
        # målbild 5
        # målbild 6
        _entry(per_journey.respect, _na),
        _entry(per_journey.involvement, _na),
        # målbild 7
        _entry(per_journey.plan_participation, _plan_participation, "plan_meetings"),
        _entry(per_journey.informed, _na),
        _entry(per_journey.peer_support, _peer_support, "services_recorded", "peer_service"),
        # målbild 8: everyday needs come from a mapping's diagnosis rules
        _entry(
            per_journey.life_domains_addressed,
            _life_domains_addressed,
            "everyday_needs",
            "everyday_acted",
        ),
        _entry(
            per_journey.everyday_support_time,
            _everyday_support_time,
            "everyday_needs",
            "kinds_recorded",
            "start",
            "end",
        ),
        # målbild 9: a log names no contact persons
        _entry(per_journey.coordinator_span, _na),
        _entry(per_journey.contacts_per_year, _na),
        _entry(per_journey.relational_continuity, _na),
        _entry(per_journey.coordinator_at_handovers, _na),
        # målbild 10: a log records no network
        _entry(per_journey.network_consent_asked, _na),
        _entry(per_journey.network_involved, _na),
        _entry(per_journey.network_at_plans, _na),
        _entry(per_journey.relative_support, _na),
    )
)

#: Indicators without a bulk expression, with the reason (the score table says so).
NOT_IN_BULK: Final[dict[str, str]] = {
    "ping_pong": (
        "referral loops follow a chain whose state carries from one handover to the next "
        "(careflow.graph.loops); no near-linear columnar form is verified yet"
    ),
    "time_to_help": (
        "issue 12: a death ends the wait for help; the bulk form does not know deaths yet"
    ),
    "wait_to_appointment": (
        "issue 12: referrals open at a death count; the bulk form does not know deaths yet"
    ),
    "discharge_follow_up": (
        "issue 7 planned follow-ups and issue 12 deaths changed the rule; no verified bulk form yet"
    ),
    "unit_continuity": ("issue 12: a death is no contact; the bulk form does not know deaths yet"),
    "other_condition_rejections": (
        "issue 7 counts rejections as moves with new rules; no verified bulk form yet"
    ),
    "both_conditions_treated": (
        "issue 7 reads known needs (diagnoses) the bulk reader does not carry"
    ),
}


def _covered(
    events: pl.LazyFrame, flag: str = "treated", name: str = "treated_covered"
) -> pl.LazyFrame:
    """Per case, the time covered by the ``flag`` events' episodes (one day each).

    ``treated``: treatment and admission episodes; ``supports``: help events whose
    service addresses an everyday need of the person.

    The union of the intervals ``[day, min(day + 1, end)]`` computed block by block as
    :func:`careflow.scoring.facts.coverage` merges them, so the sums agree.
    """
    hi = pl.min_horizontal(pl.col("day") + 1.0, pl.col("end"))
    episodes = (
        events.filter(pl.col(flag))
        .with_columns(hi=hi)
        .filter(pl.col("hi") > pl.col("day"))
        .with_columns(reach=pl.col("hi").cum_max().shift(1).over("case"))
        .with_columns(
            block=(pl.col("reach").is_null() | (pl.col("day") > pl.col("reach")))
            .cum_sum()
            .over("case")
        )
    )
    blocks = episodes.group_by("case", "block").agg(lo=pl.col("day").first(), hi=pl.col("hi").max())
    return (
        blocks.sort("case", "block")
        .group_by("case", maintain_order=True)
        .agg((pl.col("hi") - pl.col("lo")).sum().alias(name))
    )


def _unit_squares(events: pl.LazyFrame) -> pl.LazyFrame:
    per_unit = events.group_by("case", "unit").agg(n=pl.len())
    return per_unit.group_by("case").agg(unit_squares=(pl.col("n").cast(pl.Int64) ** 2).sum())


def case_facts(events: pl.LazyFrame, indicators: Iterable[BulkIndicator]) -> pl.LazyFrame:
    """One row per case (sorted by case) with the facts the indicators need."""
    flagged = events.with_columns(event_columns()).with_columns(_help_columns())
    needed: dict[str, Callable[[], pl.Expr]] = {"n_events": _FACTS["n_events"]}
    for ind in indicators:
        needed.update(ind.facts)
    facts = flagged.group_by("case", maintain_order=True).agg(
        [make().alias(name) for name, make in needed.items()]
    )
    facts = facts.join(_covered(flagged), on="case", how="left", maintain_order="left")
    supports = flagged.with_columns(
        supports=pl.col("help")
        & pl.any_horizontal(
            [_addressing(d) & (pl.col("need") == d).any().over("case") for d in _EVERYDAY]
        )
    )
    facts = facts.join(
        _covered(supports, "supports", "support_covered"),
        on="case",
        how="left",
        maintain_order="left",
    )
    return facts.join(_unit_squares(flagged), on="case", how="left", maintain_order="left")
