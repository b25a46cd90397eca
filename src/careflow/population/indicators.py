"""Bulk expressions of the indicators, each beside the per-journey function it mirrors.

Every entry of :data:`BULK` names an indicator of :data:`careflow.scoring.INDICATORS`,
holds a reference to its per-journey function, and gives the polars expressions that
compute the same value for every case of an events table at once: per-case facts
(aggregations over the case's sorted events) and the value from those facts. ``None``
(null) is "not assessable", exactly where the per-journey function says so.

The expressions are written for journeys read from an event log
(:func:`careflow.read_event_log`): each row one event with a date, a unit with its
principal and service, a kind, a contact type, a diagnosis (the person's needs), a legal
basis, at most one death (last); each change of unit but to a death a handover with
unknown information; the log's declaration of what it records completely, log-wide.
Whatever such a journey cannot hold (contact persons, plans, network, experience,
reasons) is not assessable per journey, or judged by the declaration, and the bulk value
says the same. ``tests/test_population.py`` checks, for every entry, that the two agree
to 1e-9 on generated logs and on the rich workload, so a change to one side shows at once.

Sequential rules (referral-loop chains, the search for follow-up after a discharge, a
closure held by nobody) are per-case tables built with sorts, shifts, cumulative sums,
binary searches and gathers over global row numbers: near-linear in events, no loop over
the pairs of a case.

:data:`NOT_IN_BULK` lists the indicators without a bulk expression, with the reason (none
now); they are never silently dropped: the score table marks them, and the målbild scores
that need them are not computed in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs
import polars as pl

from careflow.errors import CareflowError
from careflow.graph import TREATMENT_KINDS, follow_chains, rejection_moves
from careflow.model import Aspect, EventKind, Need, Principal, ServiceKind
from careflow.population._arith import days_between, divided
from careflow.population._engine import IN_MEMORY
from careflow.population._window import cum_sum_in_case, next_in_case, next_where
from careflow.scoring import indicators as per_journey
from careflow.scoring import rules
from careflow.scoring.facts import (
    APPOINTMENT_KINDS,
    HELP_KINDS,
    SEEKING_KINDS,
    SERVICE_ADDRESSES,
)
from careflow.scoring.indicators import IndicatorFunction

__all__ = ["BULK", "NOT_IN_BULK", "BulkIndicator", "case_facts", "flagged_events"]

_TURNED_AWAY: Final = frozenset({EventKind.REJECTION, EventKind.REDIRECTION})
_SU, _MH = Need.SUBSTANCE_USE.value, Need.MENTAL_HEALTH.value
#: The needs some kind of service works on (:data:`SERVICE_ADDRESSES`), in a fixed order.
_SERVED_NEEDS: Final = tuple(sorted({n for needs in SERVICE_ADDRESSES.values() for n in needs}))
#: Everyday needs (målbild 8): the served needs besides the two conditions.
_EVERYDAY: Final = tuple(n for n in _SERVED_NEEDS if n not in (_SU, _MH))
_PEER: Final = (ServiceKind.PEER_SUPPORT.value, ServiceKind.USER_ORGANISATION.value)
#: The aspects a log may declare recorded completely, as fact columns.
_ASPECTS: Final = tuple(a for a in Aspect)


def _kind_in(kinds: Iterable[EventKind]) -> pl.Expr:
    return pl.col("kind").is_in(sorted(k.value for k in kinds))


def _kind_is(kind: EventKind) -> pl.Expr:
    return pl.col("kind") == kind.value


def _serves(need: str) -> pl.Expr:
    """The event's unit is a kind of service that works on ``need`` (its addresses)."""
    kinds = sorted(k.value for k, needs in SERVICE_ADDRESSES.items() if need in needs)
    return pl.col("service").is_in(kinds)


def _linear(x: pl.Expr, good: float, bad: float) -> pl.Expr:
    """:func:`careflow.scoring.facts.linear` as an expression (same arithmetic)."""
    return (
        pl.when(x <= good)
        .then(1.0)
        .when(x >= bad)
        .then(0.0)
        .otherwise(divided(bad - x, bad - good))
    )


def _na() -> pl.Expr:
    return pl.lit(None, dtype=pl.Float64)


#: The bit of each served need in the per-case ``needs`` field of :func:`_event_columns`.
_NEED_BIT: Final = {n: 1 << i for i, n in enumerate(_SERVED_NEEDS)}
_PER_CASE: Final = "_per_case"


def flagged_events(events: pl.LazyFrame) -> pl.LazyFrame:
    """Sorted ``events`` with the per-event flags and running counts the facts read."""
    return events.with_columns(_event_columns()).with_columns(_derived_columns()).drop(_PER_CASE)


def _event_columns() -> list[pl.Expr]:
    """Per-event flags and running counts (one pass over sorted events).

    What holds for the whole case (a death, the end, the last day, the needs) is one
    window over the case, a struct unpacked by :func:`_derived_columns`: one grouping
    of the rows instead of one per column.
    """
    seek = _kind_in(SEEKING_KINDS)
    help_ = _kind_in(HELP_KINDS)
    resp = _kind_in(APPOINTMENT_KINDS) & ~_kind_is(EventKind.CONTACT)
    next_day = next_in_case(pl.col("day"))
    death = _kind_is(EventKind.DEATH)
    need = pl.col("need")
    bits = pl.sum_horizontal(
        *[(need == n).fill_null(False).cast(pl.UInt8) * bit for n, bit in _NEED_BIT.items()]
    ).cast(pl.UInt8)
    per_case = pl.struct(
        death.any().alias("has_death"),
        # Journey.end: the latest time (a death by date sorts last but is at midnight)
        pl.col("day").max().alias("end"),
        pl.col("day").last().alias("last_day"),
        bits.bitwise_or().alias("needs"),
    ).over("case")
    return [
        seek.alias("seek"),
        help_.alias("help"),
        _kind_in(_TURNED_AWAY).alias("turned_away"),
        _kind_in(APPOINTMENT_KINDS).alias("appointment"),
        resp.alias("responded"),
        _kind_in(TREATMENT_KINDS).alias("treated"),
        death.alias("death"),
        per_case.alias(_PER_CASE),
        (pl.col("day") - pl.col("day").shift(1)).alias("gap"),
        cum_sum_in_case(seek).alias("seek_cum"),
        cum_sum_in_case(resp).alias("resp_cum"),
        # days are never negative: -1 marks the end of a case for the fill
        next_where(next_day > pl.col("day"), next_day, pl.lit(-1.0)).alias("next_day"),
        # a transition leaves this event: the next one is a handover
        next_in_case(pl.col("handover")).fill_null(False).alias("source"),
        *[_serves(n).alias(f"serves_{n}") for n in _SERVED_NEEDS],
    ]


def _derived_columns() -> list[pl.Expr]:
    """Per-event columns computed from :func:`_event_columns` (the case's fields unpacked)."""
    help_after = pl.col("help") & (pl.col("seek_cum") > 0)
    case = pl.col(_PER_CASE).struct
    has = {n: (case.field("needs") & bit) != 0 for n, bit in _NEED_BIT.items()}
    everyday = pl.lit(False)
    for n in _EVERYDAY:
        everyday = everyday | (pl.col(f"serves_{n}") & has[n])
    return [
        case.field("has_death"),
        case.field("end"),
        case.field("last_day"),
        *[has[n].alias(f"has_{n}") for n in _SERVED_NEEDS],
        help_after.alias("help_after"),
        cum_sum_in_case(help_after).alias("help_cum"),
        (pl.col("help") & pl.col(f"serves_{_SU}")).alias("help_su"),
        (pl.col("help") & pl.col(f"serves_{_MH}")).alias("help_mh"),
        (pl.col("help") & everyday).alias("help_everyday"),
    ]


#: A per-case table some indicators need besides the facts: a function of the flagged
#: events giving one row per case (cases without a row get null).
CaseTable = Callable[[pl.LazyFrame], pl.LazyFrame]


@attrs.frozen(kw_only=True, slots=True)
class BulkIndicator:
    """An indicator's bulk form: the facts it needs and its value from them.

    ``per_journey`` is the function of :mod:`careflow.scoring.indicators` whose value
    this reproduces; ``facts`` maps a fact name to a per-case aggregation over the sorted
    events (names are shared: the same name must mean the same expression); ``tables``
    names the per-case tables of :data:`_TABLES` it reads besides them;
    ``value`` computes the indicator from the facts (null when not assessable). The
    facts ``complete_<aspect>`` (the log's declaration of what it records completely)
    are always there.
    """

    id: str
    per_journey: IndicatorFunction
    facts: Mapping[str, Callable[[], pl.Expr]]
    value: Callable[[], pl.Expr]
    tables: tuple[str, ...] = ()


# -- shared facts --------------------------------------------------------------------------


def _acted(need: str) -> pl.Expr:
    """The person has ``need`` (a diagnosis) and a help event's service works on it."""
    return (pl.col("need") == need).any() & (pl.col("help") & pl.col(f"serves_{need}")).any()


def _everyday_acted() -> pl.Expr:
    total: pl.Expr = pl.lit(0, dtype=pl.UInt32)
    for n in _EVERYDAY:
        total = total + _acted(n).cast(pl.UInt32)
    return total


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
    # how many of the three other channels the case used (a count of distinct values)
    "alt_channels": lambda: pl.sum_horizontal(
        (pl.col("channel") == c).any().cast(pl.UInt32) for c in ("phone", "digital", "outreach")
    ),
    "treatments": lambda: _kind_is(EventKind.TREATMENT).sum(),
    "drop_outs": lambda: _kind_is(EventKind.DROP_OUT).sum(),
    "region_day": lambda: pl.col("day").filter(pl.col("principal") == "region").first(),
    "kommun_day": lambda: pl.col("day").filter(pl.col("principal") == "kommun").first(),
    "plan_meetings": lambda: _kind_is(EventKind.PLAN_MEETING).sum(),
    "signal_day": lambda: pl.col("day").filter(pl.col("seek")).first(),
    "help_day": lambda: pl.col("day").filter(pl.col("help_after")).first(),
    "has_death": lambda: pl.col("death").any(),
    "contacts": lambda: pl.col("death").not_().sum(),
    "untreated": lambda: (
        ((pl.col("need") == _SU).any() & ~_acted(_SU))
        | ((pl.col("need") == _MH).any() & ~_acted(_MH))
    ),
    "both_needs": lambda: (pl.col("need") == _SU).any() & (pl.col("need") == _MH).any(),
    "kommun_need": lambda: pl.col("need").is_in(sorted(rules.KOMMUN_NEEDS)).any(),
    "everyday_needs": lambda: (
        pl.col("need")
        .filter(pl.col("need").is_not_null() & ~pl.col("need").is_in([_SU, _MH]))
        .n_unique()
    ),
    "everyday_acted": _everyday_acted,
    "services_recorded": lambda: pl.col("service").ne(ServiceKind.OTHER.value).any(),
    "peer_met": lambda: pl.col("service").is_in(_PEER).any(),
    "services_met": lambda: (
        pl.col("unit").filter(pl.col("principal") != Principal.INFORMAL.value).n_unique()
    ),
    "handovers": lambda: pl.col("handover").sum(),
}


def _facts(*names: str) -> dict[str, Callable[[], pl.Expr]]:
    return {n: _FACTS[n] for n in names}


_KR: Final = pl.col("kinds_recorded")
_SPAN: Final = pl.col("end") - pl.col("start")


def _complete(aspect: Aspect) -> pl.Expr:
    return pl.col(f"complete_{aspect.value}")


def _time_to_help() -> pl.Expr:
    waited = pl.col("end") - pl.col("signal_day")
    return (
        pl.when(~_KR | pl.col("signal_day").is_null())
        .then(None)
        .when(pl.col("help_day").is_null())
        .then(
            pl.when(pl.col("has_death"))
            .then(0.0)
            .when(waited < per_journey.HELP_BAD)
            .then(None)
            .otherwise(0.0)
        )
        .otherwise(
            _linear(
                pl.col("help_day") - pl.col("signal_day"),
                per_journey.HELP_GOOD,
                per_journey.HELP_BAD,
            )
        )
    )


def _unanswered_seeking() -> pl.Expr:
    return (
        pl.when(~_KR | ~pl.col("has_signal"))
        .then(None)
        .otherwise(1 / (1 + pl.col("unanswered").cast(pl.Float64)))
    )


def _wait_to_appointment() -> pl.Expr:
    good, bad = per_journey.WAIT_GOOD, per_journey.WAIT_BAD
    both = _linear(pl.col("wait_median"), good, bad) + _linear(pl.col("wait_max"), good, bad)
    return pl.when(~_KR | pl.col("wait_max").is_null()).then(None).otherwise(both / 2)


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
        .otherwise(divided(pl.col("alt_channels").cast(pl.Float64), 3))
    )


def _share_of_span(covered: str) -> pl.Expr:
    share = pl.col(covered).fill_null(0.0) / _SPAN
    return pl.when(~_KR | (_SPAN < 1)).then(None).otherwise(share)


def _guideline_treatment_time() -> pl.Expr:
    return _share_of_span("treated_covered")


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
    # a kommun need (housing, occupation, economy) the kommun never came to
    long_enough = _SPAN >= per_journey.SIP_GOOD
    orphan = pl.col("kommun_need") & pl.col("kommun_day").is_null() & long_enough
    return (
        pl.when(pl.col("region_day").is_null() | pl.col("kommun_day").is_null())
        .then(pl.when(orphan).then(0.0).otherwise(None))
        .when(~_KR & ~_complete(Aspect.PLANS))
        .then(None)
        .when(waited < per_journey.SIP_GOOD)
        .then(None)
        .otherwise(0.0)
    )


def _discharge_follow_up() -> pl.Expr:
    n = pl.col("follow_ups").fill_null(0)
    return (
        pl.when(~_KR | (n == 0)).then(None).otherwise(pl.col("follow_up_sum") / n.cast(pl.Float64))
    )


def _unit_continuity() -> pl.Expr:
    n = pl.col("contacts").cast(pl.Float64)
    squares = pl.col("unit_squares").cast(pl.Float64)
    return pl.when(n < 2).then(None).otherwise((squares - n) / (n * (n - 1)))


def _halved_if_untreated(value: pl.Expr) -> pl.Expr:
    """:func:`careflow.scoring.indicators._absence_is_no_evidence`: half while untreated."""
    return pl.when(~_KR).then(None).when(pl.col("untreated")).then(value / 2).otherwise(value)


def _other_condition_rejections() -> pl.Expr:
    # a log records no reasons or demands, so no rejection is for the other condition
    return _halved_if_untreated(pl.lit(1.0))


def _ping_pong() -> pl.Expr:
    return _halved_if_untreated(1 / (1 + pl.col("loops").fill_null(0).cast(pl.Float64)))


def _both_conditions_treated() -> pl.Expr:
    share = pl.col("both_covered").fill_null(0.0) / _SPAN
    return pl.when(~pl.col("both_needs") | ~_KR | (_SPAN < 1)).then(None).otherwise(share)


def _plan_participation() -> pl.Expr:
    # plan meetings from a log list no participants, so the person is in none of them
    return pl.when(pl.col("plan_meetings") == 0).then(None).otherwise(0.0)


def _peer_support() -> pl.Expr:
    return (
        pl.when(~pl.col("services_recorded"))
        .then(None)
        .when(pl.col("peer_met"))
        .then(1.0)
        .otherwise(0.0)
    )


def _life_domains_addressed() -> pl.Expr:
    n = pl.col("everyday_needs")
    acted = pl.col("everyday_acted").cast(pl.Float64)
    return pl.when(n == 0).then(None).otherwise(acted / n.cast(pl.Float64))


def _everyday_support_time() -> pl.Expr:
    share = _share_of_span("everyday_covered")
    return pl.when(pl.col("everyday_needs") == 0).then(None).otherwise(share)


# målbild 9 with contacts declared recorded completely and none in the log
def _coordinator_span() -> pl.Expr:
    several = pl.col("services_met") >= per_journey.SEVERAL_SERVICES
    return pl.when(_complete(Aspect.CONTACTS) & several).then(0.0).otherwise(None)


def _contacts_per_year() -> pl.Expr:
    # no contact person a year: at most CONTACTS_GOOD, so 1
    return pl.when(_complete(Aspect.CONTACTS)).then(1.0).otherwise(None)


def _coordinator_at_handovers() -> pl.Expr:
    moved = pl.col("handovers") > 0
    return pl.when(_complete(Aspect.CONTACTS) & moved).then(0.0).otherwise(None)


def _entry(
    fn: IndicatorFunction,
    value: Callable[[], pl.Expr],
    *facts: str,
    tables: tuple[str, ...] = (),
) -> tuple[str, BulkIndicator]:
    return fn.__name__, BulkIndicator(
        id=fn.__name__, per_journey=fn, facts=_facts(*facts), value=value, tables=tables
    )


#: Indicators with a bulk expression, by id, in målbild order.
BULK: Final[dict[str, BulkIndicator]] = dict(
    (
        # målbild 1
        _entry(
            per_journey.time_to_help,
            _time_to_help,
            "kinds_recorded",
            "signal_day",
            "help_day",
            "has_death",
            "end",
        ),
        _entry(
            per_journey.unanswered_seeking,
            _unanswered_seeking,
            "kinds_recorded",
            "has_signal",
            "unanswered",
        ),
        # målbild 2
        _entry(
            per_journey.wait_to_appointment,
            _wait_to_appointment,
            "kinds_recorded",
            tables=("waits",),
        ),
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
            tables=("treated_covered",),
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
            per_journey.joint_plan,
            _joint_plan,
            "kinds_recorded",
            "region_day",
            "kommun_day",
            "kommun_need",
            "start",
            "end",
        ),
        _entry(per_journey.warm_boundary_handovers, _na),
        _entry(
            per_journey.discharge_follow_up,
            _discharge_follow_up,
            "kinds_recorded",
            tables=("follow_up",),
        ),
        _entry(per_journey.unit_continuity, _unit_continuity, "contacts", tables=("unit_squares",)),
        # målbild 5
        _entry(
            per_journey.other_condition_rejections,
            _other_condition_rejections,
            "kinds_recorded",
            "untreated",
        ),
        _entry(per_journey.ping_pong, _ping_pong, "kinds_recorded", "untreated", tables=("loops",)),
        _entry(
            per_journey.both_conditions_treated,
            _both_conditions_treated,
            "both_needs",
            "kinds_recorded",
            "start",
            "end",
            tables=("both_covered",),
        ),
        # målbild 6
        _entry(per_journey.respect, _na),
        _entry(per_journey.involvement, _na),
        # målbild 7
        _entry(per_journey.plan_participation, _plan_participation, "plan_meetings"),
        _entry(per_journey.informed, _na),
        _entry(per_journey.peer_support, _peer_support, "services_recorded", "peer_met"),
        # målbild 8
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
            tables=("everyday_covered",),
        ),
        # målbild 9: a log names no contact persons
        _entry(per_journey.coordinator_span, _coordinator_span, "services_met"),
        _entry(per_journey.contacts_per_year, _contacts_per_year),
        _entry(per_journey.relational_continuity, _na),
        _entry(per_journey.coordinator_at_handovers, _coordinator_at_handovers, "handovers"),
        # målbild 10: a log records no network
        _entry(per_journey.network_consent_asked, _na),
        _entry(per_journey.network_involved, _na),
        _entry(per_journey.network_at_plans, _na),
        _entry(per_journey.relative_support, _na),
    )
)

#: Indicators without a bulk expression, with the reason (the score table says so).
NOT_IN_BULK: Final[dict[str, str]] = {}


# -- per-case tables -----------------------------------------------------------------------


def _blocks(events: pl.LazyFrame, flag: str) -> pl.LazyFrame:
    """Per case, the merged one-day episodes of the events where ``flag`` holds.

    The intervals ``[day, min(day + 1, end)]`` merged block by block as
    :func:`careflow.scoring.facts.coverage` merges them (touching intervals join), one
    row ``(case, block, lo, hi)`` per block, ``block`` growing with time in a case. With
    a case's episodes in time order (as the reader sorts events; others are sorted here
    first) and ``end`` the case's, their ends never go back: an episode starts a block
    when it starts after the previous one's end (shifts over the rows sorted by case).
    """
    hi = pl.min_horizontal(pl.col("day") + 1.0, pl.col("end"))
    episodes = (
        events.filter(pl.col(flag))
        .select("case", "day", hi=hi)
        .filter(pl.col("hi") > pl.col("day"))
        .collect(engine=IN_MEMORY)
        .rechunk()  # the blocks in one chunk, as a group_by gives them
    )
    code = pl.col("case").to_physical()
    first = (code != code.shift(1)).fill_null(True)
    if episodes.select(((pl.col("day") < pl.col("day").shift(1)) & ~first).any()).item():
        episodes = episodes.sort(code, "day", maintain_order=True)
    new_block = first | (pl.col("day") > pl.col("hi").shift(1))
    last_of_block = new_block.shift(-1).fill_null(True)
    return episodes.lazy().select(
        pl.col("case").filter(new_block),
        block=pl.int_range(pl.len(), dtype=pl.UInt32).filter(new_block),
        lo=pl.col("day").filter(new_block),
        hi=pl.col("hi").filter(last_of_block),
    )


def _covered(flag: str, name: str) -> CaseTable:
    """Per case, the time covered by the one-day episodes of the ``flag`` events."""

    def table(events: pl.LazyFrame) -> pl.LazyFrame:
        blocks = _blocks(events, flag)
        return (
            blocks.sort("case", "block")
            .group_by("case", maintain_order=True)
            .agg((pl.col("hi") - pl.col("lo")).sum().alias(name))
        )

    return table


def _both_covered(events: pl.LazyFrame) -> pl.LazyFrame:
    """Per case, the time help for substance use and for mental health overlapped.

    The union of the pairwise overlaps of the two kinds of episode is the overlap of
    their unions; a sweep over the merged blocks' ends measures it.
    """
    ends = []
    for flag, column in (("help_su", "su"), ("help_mh", "mh")):
        blocks = _blocks(events, flag)
        for edge, step in (("lo", 1), ("hi", -1)):
            ends.append(
                blocks.select(
                    "case",
                    x=pl.col(edge),
                    su=pl.lit(step if column == "su" else 0, dtype=pl.Int32),
                    mh=pl.lit(step if column == "mh" else 0, dtype=pl.Int32),
                )
            )
    sweep = (
        pl.concat(ends)
        .sort("case", "x")
        .with_columns(
            active=(pl.col("su").cum_sum() > 0).over("case")
            & (pl.col("mh").cum_sum() > 0).over("case"),
            next_x=pl.col("x").shift(-1).over("case"),
        )
    )
    length = pl.when(pl.col("active")).then(pl.col("next_x") - pl.col("x")).otherwise(0.0)
    return sweep.group_by("case").agg(both_covered=length.fill_null(0.0).sum())


def _waits(events: pl.LazyFrame) -> pl.LazyFrame:
    """Per case, the median and longest wait of wait_to_appointment.

    A handover to an appointment waits from the event before it; in a case that ends in
    a death, a referral no transition leaves with no appointment at another unit since
    (:func:`careflow.scoring.indicators._open_at_death`) waits at least WAIT_BAD days.
    """
    app = pl.col("appointment")
    moved = events.filter(pl.col("handover") & app).select("case", wait=pl.col("gap"))
    dead = events.filter(pl.col("has_death"))
    later = app.sum().over("case") - app.cum_sum().over("case")
    later_here = app.sum().over("case", "unit") - app.cum_sum().over("case", "unit")
    open_at_death = _kind_is(EventKind.REFERRAL) & ~pl.col("source") & (later == later_here)
    to_death = pl.max_horizontal(pl.lit(0.0), pl.col("last_day") - pl.col("day"))
    died = dead.filter(open_at_death).select(
        "case", wait=pl.max_horizontal(pl.lit(per_journey.WAIT_BAD), to_death)
    )
    return (
        pl.concat([moved, died])
        .group_by("case")
        .agg(wait_median=pl.col("wait").median(), wait_max=pl.col("wait").max())
    )


def _unit_squares(events: pl.LazyFrame) -> pl.LazyFrame:
    """Per case, Σ n² over the units' contacts (a death is no contact).

    One sort of the contacts' ``(case, unit)`` integer keys puts each unit's contacts of
    a case side by side, and the cases in turn: ``n`` is the length of a stretch of one
    key, and a case's sum the difference of the running sum of ``n²`` across its end.
    """
    contacts = events.filter(~pl.col("death")).select("case", "unit").collect(engine=IN_MEMORY)
    codes = contacts.get_column("case").to_physical()
    units = contacts.get_column("unit").to_physical()
    size = int(units.max() or 0) + 1  # type: ignore[arg-type]
    keys = (codes.cast(pl.UInt64) * size + units.cast(pl.UInt64)).sort().to_frame("key")
    key, case_of = pl.col("key"), pl.col("key") // size
    stretches = keys.select(
        end=pl.int_range(1, pl.len() + 1).filter((key != key.shift(-1)).fill_null(True)),
        code=case_of.filter((key != key.shift(-1)).fill_null(True)),
    )
    n = pl.col("end") - pl.col("end").shift(1).fill_null(0)
    running = (n * n).cum_sum()
    last_of_case = (pl.col("code") != pl.col("code").shift(-1)).fill_null(True)
    squares = stretches.select(
        pl.col("code").filter(last_of_case),
        unit_squares=running.filter(last_of_case),
    ).with_columns(pl.col("unit_squares") - pl.col("unit_squares").shift(1).fill_null(0))
    # each case once, by code, to name it
    first = (codes != codes.shift(1)).fill_null(True)
    names = contacts.select("case", code=codes).filter(first)
    return names.join(squares, on="code").select("case", "unit_squares").lazy()


def _loops(events: pl.LazyFrame) -> pl.LazyFrame:
    """Per case, the referral loops :func:`careflow.graph.loops` finds in a log journey.

    A log journey's moves are its handovers (the ``handover`` column: a unit change that
    is neither a death nor a move within one stay) and the moves its rejections and
    redirections make (:func:`careflow.graph.rejection_moves`: one that a handover, or
    another such move, brought the person to and that no handover leaves from sends the
    person on to the next event at another unit). Most cases have only handovers, each
    leaving from the unit the previous one arrived at: one chain, which
    :func:`_handover_loops` follows for all of them at once. The other cases (a
    rejection reached by a handover and left by none, or a unit change within one stay)
    can branch, and :func:`_branching_loops` follows their chains with the per-journey
    rule itself, case by case (linear in their events for ordinary journeys).
    """
    table = events.select(
        "case", "unit", "principal", "treated", "handover", "pos", "turned_away", "ts", "kind"
    ).collect(engine=IN_MEMORY)
    # rows are sorted by case, and a case's first row is no handover: plain shifts do
    left_by_none = ~pl.col("handover").shift(-1).fill_null(False)
    within_stay = (
        (pl.col("pos") > 0)
        & (pl.col("unit") != pl.col("unit").shift(1))
        & ~pl.col("handover")
        & (pl.col("kind") != EventKind.DEATH.value)
    )
    branching = (pl.col("turned_away") & pl.col("handover") & left_by_none) | within_stay
    cases = table.filter(branching).get_column("case").unique()
    if cases.is_empty():
        return _handover_loops(table).lazy()
    chosen = pl.col("case").is_in(cases.implode())
    plain = table.filter(~chosen)
    parts = [_handover_loops(plain)] if plain.height else []
    return pl.concat([*parts, _branching_loops(table.filter(chosen))]).lazy()


def _branching_loops(table: pl.DataFrame) -> pl.DataFrame:
    """Per case, the loops of the cases whose chains may branch, by the per-journey rule."""
    informal = Principal.INFORMAL.value
    columns = ("unit", "principal", "turned_away", "treated", "handover", "ts")
    unit, principal, turned, treated, handover, ts = (
        table.get_column(c).to_list() for c in columns
    )
    starts = table.select(pl.arg_where(pl.col("pos") == 0)).to_series().to_list()
    counts = []
    for lo, hi in zip(starts, [*starts[1:], table.height], strict=True):
        given = [(i - 1 - lo, i - lo) for i in range(lo + 1, hi) if handover[i]]
        units = unit[lo:hi]
        principals = principal[lo:hi]
        n = hi - lo
        made = rejection_moves(
            given,
            {source for source, _ in given},
            turned=turned[lo:hi],
            sends=[False] * n,  # a log records no reasons, demands or initiators
            own_step=[False] * n,
            actors=units,
            stamps=ts[lo:hi],
            informal=[p == informal for p in principals],
        )
        found = follow_chains(
            sorted(given + made), actors=units, principals=principals, treated=treated[lo:hi]
        )
        counts.append(len(found))
    first = table.get_column("case").gather(starts)
    return pl.DataFrame({"case": first, "loops": pl.Series(counts, dtype=pl.Int64)})


def _jumped_sums(values: pl.Series, nxt: pl.Series) -> pl.Series:
    """For each row, the sum of ``values`` at the rows its chain of ``nxt`` pointers visits.

    Pointer jumping: logarithmic rounds of gathers. A chain ends at an extra row past
    the last, worth 0, that points to itself (so no null is carried). Every pointer goes
    forward, so the jumps end within log2(rows) + 1 rounds; a pointer that does not would
    loop for ever, and is a defect to report, not to hide.
    """
    n = len(nxt)
    rows = pl.int_range(n, dtype=pl.Int64, eager=True)
    if (nxt.cast(pl.Int64) <= rows).any():
        raise CareflowError(
            "internal error: the bulk ping_pong chain points backwards; please report it "
            "with the log (careflow population)"
        )
    index = pl.get_index_type()
    nxt = nxt.cast(index).fill_null(n).append(pl.Series([n], dtype=index))
    acc = values.append(pl.Series([0], dtype=values.dtype)).gather(nxt)
    while (nxt != n).any():
        acc = acc + acc.gather(nxt)
        nxt = nxt.gather(nxt)
    return acc.head(n)


def _previous_of_same(group: pl.Series, codes: pl.Series) -> pl.Series:
    """For each row, the latest earlier row of its case with the same ``group``, or null.

    ``codes`` (the rows' case codes) and ``group`` are non-negative integer codes. A
    stable sort by the key ``(case, group)`` lists each case's rows group by group in row
    order, so a row's predecessor there, when of the same key, is the one sought; a
    scatter puts it back in row order. Rows of one case stay near each other in that
    order, so the gathers and the scatter touch memory almost in sequence.
    """
    n = len(group)
    size = int(group.max() or 0) + 1  # type: ignore[arg-type]
    key = (codes.cast(pl.UInt64) * size + group.cast(pl.UInt64)).rename("key")
    order = key.to_frame().select(pl.arg_sort_by("key", maintain_order=True)).to_series()
    keys = key.gather(order)
    found = pl.repeat(None, n, dtype=order.dtype, eager=True)
    return found.scatter(order, _where(keys == keys.shift(1), order.shift(1)))


def _handover_loops(table: pl.DataFrame) -> pl.DataFrame:
    """Per case, the loops of cases whose only moves are handovers, in one chain.

    Each handover leaves from the unit the previous one arrived at, so the chain never
    branches (and :func:`careflow.graph.loops` follows just it). Number the stays 0, 1,
    ... and the move into stay ``t`` move ``t``. The chain of moves restarts at the
    case's first move, at a move out of a stay that held a treatment or admission, and
    after each loop; a chain restarted at move ``a`` reaches back to the
    stay before it (``a - 1``), or only to stay ``a`` when that stay's last event is a
    treatment or admission. Move ``t`` closes a loop when the chain reaches back to a
    stay ``g(t)``: the latest earlier stay at the same unit, or the end of the latest
    earlier run of stays of the same principal before the stays that left it. So move
    ``t`` is a loop exactly when no restart lies in ``[m(t), t - 1]``, with ``m(t)`` the
    first restart too late for ``g(t)``: a greedy selection in time order, followed
    here by pointer jumping (logarithmic rounds over one row per move). Every step is a
    shift, a cumulative sum, a sort of integer keys, a gather or a scatter by global row
    number (rows are sorted by case; case, unit and principal as integer codes), so the
    work is near-linear in events.
    """
    code = pl.col("case").to_physical().cast(pl.Int64)
    starts = (pl.col("pos") == 0) | pl.col("handover")
    stays = (
        table.select("case", "unit", "principal", "pos", "handover")
        .with_row_index("start_row")
        .filter(starts)
        .select(
            "case",
            "start_row",
            "principal",
            code=code,
            ucode=pl.col("unit").to_physical(),
            first=pl.col("pos") == 0,
        )
    )
    end_row = (pl.col("start_row").shift(-1) - 1).fill_null(table.height - 1)
    treated = table.get_column("treated")
    treated_cum = treated.cast(pl.Int64).cum_sum()
    stays = stays.with_columns(end_row=end_row).with_row_index("srow")
    start_rows, end_rows = stays.get_column("start_row"), stays.get_column("end_row")
    stays = stays.with_columns(
        last_treated=treated.gather(end_rows),
        treated=(
            treated_cum.gather(end_rows)
            - treated_cum.gather(start_rows)
            + treated.gather(start_rows).cast(pl.Int64)
        )
        > 0,
        base=pl.when(pl.col("first")).then(pl.col("srow")).forward_fill(),
    ).with_columns(t=(pl.col("srow") - pl.col("base")).cast(pl.Int64))
    codes, base = stays.get_column("code"), stays.get_column("base")
    # the latest earlier stay at the same unit
    same_unit = _previous_of_same(stays.get_column("ucode"), codes)
    # runs of stays of one principal; the end of the latest earlier run of the same one
    new_run = pl.col("first") | (pl.col("principal") != pl.col("principal").shift(1)).fill_null(
        True
    )
    last_of_run = new_run.shift(-1).fill_null(True)
    run = stays.select(new_run.cum_sum() - 1).to_series()
    runs = stays.select(
        pl.col("code", "principal").filter(new_run),
        run_end=pl.col("t").filter(last_of_run),
    )
    principals = runs.get_column("principal").cast(pl.Categorical).to_physical()
    earlier_run = _previous_of_same(principals, runs.get_column("code"))
    same_principal = runs.get_column("run_end").gather(earlier_run).gather(run)
    stays = stays.with_columns(
        g=pl.max_horizontal(same_unit.cast(pl.Int64) - base.cast(pl.Int64), same_principal)
    )
    g_row = stays.select(pl.col("base") + pl.col("g")).to_series()
    stays = stays.with_columns(
        g_treated=stays.get_column("last_treated").gather(g_row).cast(pl.Int64)
    )
    prev_treated = pl.col("treated").shift(1).fill_null(False)
    moves = (
        stays.select(
            "code",
            "case",
            "t",
            restart=(pl.col("t") == 1) | prev_treated,
            m=pl.col("g") + 2 - pl.col("g_treated"),
        )
        .filter(pl.col("t") >= 1)
        .with_row_index("mrow")
    )
    # the next restart after each move, in its case
    nr = moves.select(
        pl.when(pl.col("restart")).then(pl.col("mrow")).shift(-1).backward_fill()
    ).to_series()
    codes = moves.get_column("code")
    nr = _where(codes.gather(nr) == codes, nr)
    # F(v): the first loop candidate t whose m(t) >= v (so t >= v), by binary search on
    # (case, m) keys with the suffix minimum of the candidates' rows within the case:
    # the minimum of (case, row) keys from there on is in the same case
    high = 1 << 32
    candidates = (
        moves.filter(~pl.col("restart") & pl.col("m").is_not_null())
        .select(
            key=pl.col("code") * high + pl.col("m"), best=pl.col("code") * high + pl.col("mrow")
        )
        .sort("key")
        .with_columns(pl.col("best").cum_min(reverse=True))
    )
    keys = candidates.get_column("key")
    queries = moves.select(pl.col("code") * high + pl.col("t") + 1).to_series()
    idx = keys.search_sorted(queries, side="left").cast(pl.Int64)
    found = candidates.get_column("best").gather(_where(idx < len(keys), idx))
    first = _where(found // high == codes, found % high)
    nxt = pl.select(pl.min_horizontal(nr, first)).to_series()
    loop = (~moves.get_column("restart")).cast(pl.Int64)
    acc = _jumped_sums(loop, nxt)
    out = moves.select("case", "t").with_columns(loops=acc).filter(pl.col("t") == 1)
    return out.select("case", pl.col("loops").cast(pl.Int64))


def _where(condition: pl.Series, value: pl.Series) -> pl.Series:
    """``value`` where ``condition`` holds, else null."""
    return pl.select(pl.when(condition).then(value)).to_series()


def _search(
    hits: pl.Series, rows: pl.Series, codes: pl.Series, cases: pl.Series, *, after: bool
) -> pl.Series:
    """For each of ``rows``, the nearest of the row numbers ``hits`` in its case.

    The first at or after it (``after``), else the last at or before it; null when there
    is none. ``hits`` is sorted; ``codes`` holds the case code of every row of the table
    (sorted by case, so a case's rows are contiguous) and ``cases`` that of each of
    ``rows``.
    """
    if hits.is_empty():
        return pl.repeat(None, len(rows), dtype=hits.dtype, eager=True)
    idx = hits.search_sorted(rows, side="left" if after else "right").cast(pl.Int64)
    if not after:
        idx = idx - 1
    ok = (idx >= 0) & (idx < len(hits))
    found = hits.gather(_where(ok, idx))
    return _where(codes.gather(found) == cases, found)


def _runs_of_appointments(table: pl.DataFrame) -> pl.DataFrame:
    """The runs (consecutive appointments of a case at one unit) of ``table``'s appointments.

    ``table`` holds ``row``, case ``code``, unit code ``ucode`` and ``appointment``. One
    row per run, in row order: its first and last row (``start``, ``end``), ``code``,
    ``ucode``, and ``alt``: the end of the run before the latest stretch of runs (up to
    this one) alternating between two units (null when none).
    """
    code, ucode = pl.col("code"), pl.col("ucode")
    first_of_case = (code != code.shift(1)).fill_null(True)
    apps = (
        table.select("row", "code", "ucode", "appointment")
        .filter(pl.col("appointment"))
        .select("row", "code", "ucode", new_run=first_of_case | (ucode != ucode.shift(1)))
    )
    last_of_run = pl.col("new_run").shift(-1).fill_null(True)
    ends = apps.select(pl.col("row").filter(last_of_run)).to_series()
    runs = apps.filter(pl.col("new_run")).select("code", "ucode", start="row", end=ends)
    two_back = (code == code.shift(2)).fill_null(False)
    # -1 at a case's first run keeps forward filling within the case
    alt = (
        pl.when(first_of_case)
        .then(-1)
        .when(two_back & (ucode != ucode.shift(2)))
        .then(pl.col("end").shift(2).cast(pl.Int64))
        .forward_fill()
    )
    return runs.with_columns(alt=alt.replace(-1, None))


def _run_context(runs: pl.DataFrame, rows: pl.Series) -> dict[str, pl.Series]:
    """The context of the appointments at ``rows`` (row numbers, or null) in their ``runs``.

    ``runs`` as :func:`_runs_of_appointments` gives them. ``pd``/``pdu``: the end and unit
    code of the case's previous run (null at its first); ``alt``: the run's ``alt``.
    """
    starts, codes = runs.get_column("start"), runs.get_column("code")
    found = starts.search_sorted(rows.fill_null(0).cast(starts.dtype), side="right")
    run = _where(rows.is_not_null(), found.cast(pl.Int64) - 1)
    before = _where(run >= 1, run - 1)
    same = codes.gather(before) == codes.gather(run)
    return {
        "pd": _where(same, runs.get_column("end").gather(before)),
        "pdu": _where(same, runs.get_column("ucode").gather(before)),
        "alt": runs.get_column("alt").gather(run),
    }


def _closing_rows(events: pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows :func:`_follow_up` searches, and its closures (discharges and closures).

    Each row has its global number ``row``, the integer codes of its case and unit
    (``code``, ``ucode``), its moment ``block`` (events of a case at one time) and the
    moment's last row ``bend``, and the flags ``planned`` (a contact the follow-up rule
    counts) and ``eligible`` (a referral no transition leaves). A closure also has
    ``end_ts``, its case's latest time.
    """
    ts = pl.col("ts")
    code = pl.col("code")
    serves = [f"serves_{n}" for n in _SERVED_NEEDS]
    table = (
        events.select(
            "case",
            "ts",
            "kind",
            "unit",
            "principal",
            "service",
            "handover",
            "appointment",
            "source",
            "has_death",
            *serves,
        )
        .collect(engine=IN_MEMORY)
        .with_row_index("row")
        .with_columns(code=pl.col("case").to_physical(), ucode=pl.col("unit").to_physical())
    )
    new_moment = (code != code.shift(1)).fill_null(True) | (ts != ts.shift(1)).fill_null(True)
    last_of_case = (code != code.shift(-1)).fill_null(True)
    table = table.with_columns(block=new_moment.cum_sum())
    last_of_block = (pl.col("block") != pl.col("block").shift(-1)).fill_null(True)
    planned = (
        _kind_in(rules._FOLLOW_UP_KINDS)  # the rule's own kinds
        & ~pl.col("service").is_in(sorted(k.value for k in rules.EMERGENCY_SERVICES))
        & (pl.col("principal") != Principal.INFORMAL.value)
    )
    table = table.with_columns(
        bend=pl.when(last_of_block).then(pl.col("row")).backward_fill(),
        planned=planned,
        eligible=_kind_is(EventKind.REFERRAL) & ~pl.col("source"),
    )
    closures = table.filter(_kind_in({EventKind.DISCHARGE, EventKind.CASE_CLOSED}))
    ends = table.select(pl.col("row").filter(last_of_case)).to_series()
    case_end = ends.gather(ends.search_sorted(closures.get_column("row"), side="left"))
    closures = closures.with_columns(end_ts=table.get_column("ts").gather(case_end))
    # end_ts is the case's last event's time unless its times go back (a death known by
    # date sorts last on its day, at midnight): those cases take their latest
    back = table.select(code.filter((ts < ts.shift(1)) & (code == code.shift(1)))).to_series()
    if not back.is_empty():
        latest = table.filter(code.is_in(back.implode())).group_by("code").agg(latest=ts.max())
        closures = closures.join(latest, on="code", how="left", maintain_order="left")
        closures = closures.with_columns(end_ts=pl.coalesce("latest", "end_ts")).drop("latest")
    return table, closures


def _opened(table: pl.DataFrame, closures: pl.DataFrame) -> pl.Series:
    """Per closure, an appointment at its ``nxt_unit`` is at its moment: (block, unit) keys."""
    key = pl.col("block").cast(pl.Int64) * (1 << 32)
    closure_keys = closures.select(key + pl.col("nxt_unit")).to_series()
    apps = table.select("block", "ucode", "appointment").filter(pl.col("appointment"))
    apps_keys = apps.select(key + pl.col("ucode")).to_series()
    # the few appointment keys of the closures' moments, then the closures' among them
    opened_at = apps_keys.filter(apps_keys.is_in(closure_keys.drop_nulls().implode()))
    return closure_keys.is_in(opened_at.implode()).fill_null(False)


def _follow_up(events: pl.LazyFrame) -> pl.LazyFrame:
    """Per case, the sum and number of judged discharges and closures of discharge_follow_up.

    :func:`careflow.scoring.rules.discharge_follow_ups` on a log journey: from each
    discharge, skip the events at the same moment (a death excepted), then the first
    admission, closure, death or planned contact by a non-emergency service working on
    the discharging service's condition ends the search. :func:`careflow.scoring.rules.
    held_by_nobody` (a closure whose way onward had not opened scores 0): a handover out
    of the closing unit right after its moment, with no appointment at the receiving unit
    at that moment; or a referral no transition leaves, within the window before the
    closure, with no appointment at a third unit since. Scanning back from the closure,
    the appointments at units other than the closing one are first at one unit ``Y1``
    (back to ``p1``), then at a second (``p2``): the latest referral after ``p1``, or the
    latest at ``Y1`` after ``p2``, decides. Lookups are binary searches over global row
    numbers (rows are sorted by case) and gathers by them, keyed by the integer codes of
    case and unit, so the work is near-linear in events.
    """
    ts = pl.col("ts")
    table, closures = _closing_rows(events)
    codes = table.get_column("code")
    cases = closures.get_column("code")
    bend = closures.get_column("bend")
    after_bend = bend + 1

    def rows_where(mask: pl.Expr) -> pl.Series:
        return table.select(pl.col("row").filter(mask)).to_series()

    def first_after(mask: pl.Expr) -> pl.Series:
        return _search(rows_where(mask), after_bend, codes, cases, after=True)

    def last_upto(mask: pl.Expr, rows: pl.Series) -> pl.Series:
        return _search(rows_where(mask), rows, codes, cases, after=False)

    hard = _kind_in({EventKind.ADMISSION, EventKind.CASE_CLOSED, EventKind.DEATH})
    planned = pl.col("planned")
    units = table.get_column("ucode")
    after_in_case = codes.gather(after_bend.clip(upper_bound=table.height - 1)) == cases
    nxt_row = _where(after_in_case & (after_bend < table.height), after_bend)
    la = last_upto(pl.col("appointment"), bend)
    closures = closures.with_columns(
        next_hard=first_after(hard),
        next_any=first_after(planned),
        **{f"next_{n}": first_after(planned & pl.col(f"serves_{n}")) for n in _SERVED_NEEDS},
        nxt_unit=units.gather(nxt_row),
        nxt_handover=table.get_column("handover").gather(nxt_row).fill_null(False),
        unit_b=units.gather(bend),
        la=la,
        lau=units.gather(la),
        rl=(rl := last_upto(pl.col("eligible"), bend)),
        rl_ts=table.get_column("ts").gather(rl),
        rl_bend=table.get_column("bend").gather(rl),
    )
    runs = _runs_of_appointments(table)
    closures = closures.with_columns(
        opened=_opened(table, closures), la_pd=_run_context(runs, la)["pd"]
    ).with_columns(
        p1=pl.when(pl.col("lau") != pl.col("ucode")).then(pl.col("la")).otherwise("la_pd")
    )
    p1 = closures.get_column("p1").cast(pl.Int64)
    at_p1 = _run_context(runs, p1)
    closures = closures.with_columns(
        p1=p1,
        p1_pd=at_p1["pd"],
        p1_pdu=at_p1["pdu"],
        p1_alt=at_p1["alt"],
        y1=units.gather(p1),
    )
    referrals = (
        table.select("code", "ucode", "row", "ts", "bend", "eligible")
        .filter(pl.col("eligible"))
        .select("code", y1="ucode", r1=pl.col("row").cast(pl.Int64), r1_ts="ts", r1_bend="bend")
    )
    closures = (
        closures.sort("p1", nulls_last=True)
        .join_asof(
            referrals,
            left_on="p1",
            right_on="r1",
            by=["code", "y1"],
            strategy="backward",
            check_sortedness=False,  # sorted by the key, hence within each group too
        )
        .sort("row")
    )
    p2 = pl.when(pl.col("p1_pdu") == pl.col("ucode")).then("p1_alt").otherwise("p1_pd")
    within = per_journey.FOLLOW_BAD
    latest = (
        pl.col("rl").is_not_null()
        & (days_between(pl.col("rl_ts"), ts) <= within)
        & (pl.col("p1").is_null() | (pl.col("rl_bend") >= pl.col("p1")))
    )
    at_y1 = (
        pl.col("p1").is_not_null()
        & pl.col("r1").is_not_null()
        & (days_between(pl.col("r1_ts"), ts) <= within)
        & (p2.is_null() | (pl.col("r1_bend") >= p2))
    )
    pending = pl.col("nxt_handover") & (pl.col("unit_b") == pl.col("ucode")) & ~pl.col("opened")
    serves = [f"serves_{n}" for n in _SERVED_NEEDS]
    by_need = [pl.when(pl.col(f"serves_{n}")).then(pl.col(f"next_{n}")) for n in _SERVED_NEEDS]
    planned_at = (
        pl.when(pl.any_horizontal(*serves)).then(pl.min_horizontal(*by_need)).otherwise("next_any")
    )
    closures = closures.with_columns(
        unheld=(pending | latest.fill_null(False) | at_y1.fill_null(False)),
        planned_at=planned_at,
        j=pl.min_horizontal(pl.col("next_hard"), planned_at),
    )
    j = closures.get_column("j")
    closures = closures.with_columns(
        ts_j=table.get_column("ts").gather(j), kind_j=table.get_column("kind").gather(j)
    )
    gap = days_between(ts, pl.col("ts_j"))
    found = (pl.col("planned_at") == pl.col("j")).fill_null(False) | (
        (pl.col("kind_j") == EventKind.ADMISSION.value) & (gap <= 1.0)
    ).fill_null(False)
    to_end = days_between(ts, pl.col("end_ts"))
    follow = (
        pl.when(pl.col("j").is_null())
        .then(
            pl.when(pl.col("has_death") | (to_end >= per_journey.FOLLOW_BAD))
            .then(0.0)
            .otherwise(None)
        )
        .when(found)
        .then(
            _linear(
                pl.max_horizontal(pl.lit(0.0), gap), per_journey.FOLLOW_GOOD, per_journey.FOLLOW_BAD
            )
        )
        .otherwise(0.0)
    )
    value = (
        pl.when(pl.col("unheld"))
        .then(0.0)
        .when(_kind_is(EventKind.DISCHARGE))
        .then(follow)
        .otherwise(None)
    )
    out = (
        closures.select("case", value=value)
        .group_by("case")
        .agg(
            follow_up_sum=pl.col("value").sum(),
            follow_ups=pl.col("value").is_not_null().sum(),
        )
    )
    return out.lazy()


def _one_chunk(table: CaseTable) -> CaseTable:
    """``table``, computed and held in one chunk, whatever the threads and input chunks.

    Polars computes some float arithmetic differently in a chunk of one row than in a
    longer one (a division by a constant did, which is why divisions go through
    :func:`careflow.population._arith.divided`), and the chunks of the facts follow those
    of the tables joined to them. With every table in one chunk, the
    facts' chunks depend on the events alone (their per-case aggregation still leaves a
    few one-row chunks at the end).
    """

    def one(events: pl.LazyFrame) -> pl.LazyFrame:
        return table(events).collect(engine=IN_MEMORY).rechunk().lazy()

    return one


_TABLES: Final[dict[str, CaseTable]] = {
    "follow_up": _one_chunk(_follow_up),
    "treated_covered": _one_chunk(_covered("treated", "treated_covered")),
    "everyday_covered": _one_chunk(_covered("help_everyday", "everyday_covered")),
    "both_covered": _one_chunk(_both_covered),
    "unit_squares": _one_chunk(_unit_squares),
    "waits": _one_chunk(_waits),
    "loops": _one_chunk(_loops),
}


def case_facts(
    events: pl.LazyFrame,
    indicators: Iterable[BulkIndicator],
    *,
    recorded_completely: frozenset[Aspect] = frozenset(),
) -> pl.LazyFrame:
    """One row per case (sorted by case) with the facts the indicators need.

    ``recorded_completely`` is the log's declaration (its mapping's, as
    :attr:`careflow.model.Journey.recorded_completely` per journey) of the aspects it
    records completely; each is the fact ``complete_<aspect>``.
    """
    needed: dict[str, Callable[[], pl.Expr]] = {"n_events": _FACTS["n_events"]}
    tables: dict[str, None] = {}
    for ind in indicators:
        needed.update(ind.facts)
        tables.update(dict.fromkeys(ind.tables))
    flagged = flagged_events(events)
    if tables:
        flagged = flagged.collect(engine=IN_MEMORY).lazy()  # read once by the facts and every table
    facts = flagged.group_by("case", maintain_order=True).agg(
        [make().alias(name) for name, make in needed.items()]
    )
    declared = {Aspect(a) for a in recorded_completely}
    facts = facts.with_columns(pl.lit(a in declared).alias(f"complete_{a.value}") for a in _ASPECTS)
    for name in tables:
        table = _TABLES[name](flagged)
        facts = facts.join(table, on="case", how="left", maintain_order="left")
    return facts
