"""Additive aggregates of a scored population per group: the meso and macro picture.

Every stored number is a count or a sum, so tables of disjoint parts (periods, extracts,
partitions of a big log) combine by adding them (:func:`combine`); means, medians, shares
and distributions are derived from those sums and from histograms over fixed bins
(:data:`SCORE_BINS`, :data:`WAIT_BINS`). A median is read from the histogram (linear
within its bin), so it combines too; it is exact to the bin width.

Each mean also keeps its sum of squares (``<m>_sumsq``, ``waits_sumsq``), so its variance
and standard error follow from the sums too (:mod:`.compare` tests differences with them).

Groupings (``by``):

``unit``
    every unit a journey met (a journey counts once per unit it visited; handovers and
    waits count at the unit they arrive at);
``principal`` (also ``kommun`` or ``region``)
    region, kommun, other, ...: the principals a journey met;
``boundary``
    each handover's pair ``from_unit``/``from_principal`` → ``to_unit``/``to_principal``
    (a journey counts once per pair it made);
``period``
    the month, quarter or year the journey started in (each journey in one period);
any other column of the log
    the value at the journey's first event (each journey in one group).

Groups from ``period`` or a column partition the journeys: with the ``(all)`` row their
counts add up, which the privacy rules take into account (:mod:`.privacy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Final

import attrs
import polars as pl

from careflow.errors import CareflowError
from careflow.model import EventKind
from careflow.population._engine import IN_MEMORY
from careflow.population._sums import group_sums
from careflow.population.scores import ScoreTable
from careflow.scoring.facts import APPOINTMENT_KINDS

__all__ = [
    "DEATHS",
    "PERIODS",
    "SCORE_BINS",
    "TOTAL",
    "WAIT_BINS",
    "Aggregates",
    "AggregationError",
    "aggregate",
    "combine",
]

#: Upper edges of the score histogram's bins (the last is closed: 1.0 falls in it).
SCORE_BINS: Final = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Upper edges of the wait histogram's bins in days (the last bin is open).
WAIT_BINS: Final = (1.0, 7.0, 14.0, 30.0, 60.0, 90.0, 180.0, 365.0, float("inf"))
#: How a period is written: month ``2024-03``, quarter ``2024-Q1``, year ``2024``.
PERIODS: Final = ("month", "quarter", "year")
#: The group value of the row over all journeys.
TOTAL: Final = "(all)"
_KNOWN: Final = ("unit", "principal", "kommun", "region", "boundary", "period")
#: Death counts (issue 12) by the per-case column they add up.
DEATHS: Final = {
    "deaths": "died",
    "deaths_within_30d_of_discharge": "died_within_30d_of_discharge",
}


class AggregationError(CareflowError, ValueError):
    """An aggregation was asked for something the population does not have."""


@attrs.frozen(kw_only=True, slots=True)
class Aggregates:
    """Aggregates per group, additive columns and derived ones.

    ``table`` has the ``keys`` columns (the ``(all)`` row last), the additive counts and
    sums, and the derived means, medians and shares. ``partition`` says whether the groups
    partition the journeys (then their counts add up to the ``(all)`` row).
    ``measures`` are the score measures (målbilder, ``overall``, indicators),
    ``findings`` the finding codes.
    """

    table: pl.DataFrame
    by: str
    keys: tuple[str, ...]
    partition: bool
    measures: tuple[str, ...]
    binned: tuple[str, ...]
    findings: tuple[str, ...]

    @property
    def additive(self) -> list[str]:
        """The stored columns that add up across disjoint parts."""
        return additive_columns(self.measures, self.binned, self.findings)


def additive_columns(
    measures: Sequence[str], binned: Sequence[str], findings: Sequence[str]
) -> list[str]:
    """Names of the additive columns for these measures and finding codes."""
    cols = ["journeys", "events"]
    for m in measures:
        cols += [f"{m}_n", f"{m}_sum", f"{m}_sumsq"]
        if m in binned:
            cols += [f"{m}_bin{i}" for i in range(len(SCORE_BINS))]
    cols += [f"with_{code}" for code in findings]
    cols += list(DEATHS)
    cols += ["handovers", "handovers_boundary", "handovers_cold", "handovers_unknown"]
    cols += ["waits_n", "waits_sum", "waits_sumsq"]
    cols += [f"waits_bin{i}" for i in range(len(WAIT_BINS))]
    return cols


def _period_expr(period: str) -> pl.Expr:
    ts = pl.col("start_ts")
    if period == "month":
        return ts.dt.strftime("%Y-%m")
    if period == "year":
        return ts.dt.strftime("%Y")
    return ts.dt.strftime("%Y") + "-Q" + ts.dt.quarter().cast(pl.String)


def _handovers(events: pl.LazyFrame) -> pl.LazyFrame:
    """One row per handover: where the per-journey reader puts a handover transition.

    That is the events table's ``handover`` column: a change of unit between consecutive
    events of a case, except to a death (the unit that records a death takes over
    nothing) and, with a mapping's ``same_stay_hours``, a move within one stay. The units
    stay the events' enum (grouped as small integers, in text order); the aggregates
    write them as text.
    """
    appointment = pl.col("kind").is_in(sorted(k.value for k in APPOINTMENT_KINDS))
    return (
        events.with_columns(
            from_unit=pl.col("unit").shift(1),
            from_principal=pl.col("principal").shift(1),
            gap=pl.col("day") - pl.col("day").shift(1),
        )
        .filter(pl.col("handover"))
        .select(
            "case",
            "from_unit",
            "from_principal",
            to_unit=pl.col("unit"),
            to_principal=pl.col("principal"),
            wait=pl.when(appointment & (pl.col("kind") != EventKind.CONTACT.value)).then("gap"),
            boundary=(pl.col("from_principal") != pl.col("principal"))
            & pl.col("from_principal").is_in(["region", "kommun"])
            & pl.col("principal").is_in(["region", "kommun"]),
        )
    )


def aggregate(
    events: pl.DataFrame, scores: ScoreTable, by: str, *, period: str = "quarter"
) -> Aggregates:
    """Aggregate per-case ``scores`` of ``events`` per group of ``by``.

    Raises
    ------
    AggregationError
        When ``by`` is neither a known grouping nor a column of the log, or ``period``
        is not one of :data:`PERIODS`.
    """
    if period not in PERIODS:
        raise AggregationError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    lazy = events.lazy()
    per_case = scores.table.lazy().join(
        lazy.group_by("case").agg(start_ts=pl.col("ts").first()), on="case", how="left"
    )
    # read by the groups and by the total: computed once
    handovers = _handovers(lazy).collect().lazy()
    partition = False
    if by == "unit":
        keys: tuple[str, ...] = ("unit",)
        members = lazy.select("case", "unit")
        hand = handovers.with_columns(unit=pl.col("to_unit"))
    elif by in {"principal", "kommun", "region"}:
        keys = ("principal",)
        members = lazy.select("case", "principal")
        hand = handovers.with_columns(principal=pl.col("to_principal"))
    elif by == "boundary":
        keys = ("from_unit", "from_principal", "to_unit", "to_principal")
        members = handovers.select("case", *keys)
        hand = handovers
    else:
        partition = True
        if by == "period":
            keys = ("period",)
            members = per_case.select("case", period=_period_expr(period))
        else:
            if by not in events.columns or by in {"case", "pos", "day", "rank", "is_date"}:
                known = ", ".join(_KNOWN)
                raise AggregationError(
                    f"cannot group by {by!r}: it is neither one of {known} nor a column of the log"
                )
            keys = (by,)
            members = lazy.group_by("case").agg(pl.col(by).first().cast(pl.String))
        hand = handovers.join(members, on="case", how="left")
    measures = [*scores.target_columns, "overall", *scores.indicator_ids]
    binned = [*scores.target_columns, "overall"]
    findings = scores.finding_codes
    # each journey's terms (counts, fixed-point values and squares, bin flags), once per
    # journey, not once per group it counts in; a group's column is the sum of its
    # journeys' terms, exact in 64-bit integers up to _FIXED_JOURNEYS journeys
    fixed = scores.table.height <= _FIXED_JOURNEYS
    terms = (
        per_case.with_columns(_bin(pl.col(m)).alias(m + _BIN) for m in binned)
        .select("case", *_summands(measures, binned, findings, fixed=fixed))
        .collect(engine=IN_MEMORY)
    )
    summed = [c for c in terms.columns if c != "case"]
    groups = _group_sums(terms, members, keys, fixed=fixed)
    moves = hand.group_by(*keys).agg(_handover_aggs())
    table = (
        groups.lazy()
        .join(moves, on=list(keys), how="left", nulls_equal=True)
        .sort(list(keys), nulls_last=True)
    )
    total = (
        terms.lazy()
        .select(_added(summed, fixed=fixed))
        .join(handovers.select(_handover_aggs()), how="cross")
        .with_columns([pl.lit(TOTAL).alias(k) for k in keys[:1]])
    )
    for k in keys[1:]:
        total = total.with_columns(pl.lit(None, dtype=pl.String).alias(k))
    out = pl.concat(
        [
            table.with_columns(pl.col(k).cast(pl.String) for k in keys),
            total.select(table.collect_schema().names()),
        ],
        how="vertical_relaxed",
    ).collect()
    if fixed:
        out = _fixed_floats(out, measures)
    count_cols = [c for c in out.columns if c not in keys]
    out = out.with_columns(pl.col(c).fill_null(0) for c in count_cols)
    agg = Aggregates(
        table=out,
        by=by,
        keys=keys,
        partition=partition,
        measures=tuple(measures),
        binned=tuple(binned),
        findings=tuple(findings),
    )
    return attrs.evolve(agg, table=derive(agg))


#: Fixed-point type float sums are added in: exact integer sums, whatever the order of
#: their terms (threads, joins), so the same log gives the same bytes.
_EXACT: Final = pl.Decimal(38, 12)


def _decimal(value: pl.Expr) -> pl.Expr:
    """``value`` rounded to 1e-12, as :data:`_EXACT` (whose sums are exact)."""
    return value.cast(pl.Float64).cast(_EXACT)


def _exact_sum(value: pl.Expr) -> pl.Expr:
    """The sum of ``value``, each term rounded to 1e-12 and added exactly, as a float."""
    return _decimal(value).sum().cast(pl.Float64)


#: Most journeys whose scores (each in [0, 1]) are added in 64-bit fixed point: their
#: sums stay below 2**63 at 1e-12. Beyond, the sums are added in :data:`_EXACT`.
_FIXED_JOURNEYS: Final = 9_000_000
_UNITS: Final = 10**12
_FIXED_SCALE: Final = float(_UNITS)
_BIN: Final = "__bin"


def _fixed_point(value: pl.Expr) -> pl.Expr:
    """``value`` in units of 1e-12, rounded to the nearest as :data:`_EXACT` rounds it."""
    return (value.cast(pl.Float64) * _FIXED_SCALE).round(mode="half_to_even").cast(pl.Int64)


def _bin(value: pl.Expr) -> pl.Expr:
    """The :data:`SCORE_BINS` bin ``value`` falls in (``[lo, hi)``, the last closed).

    The number of inner edges at or below the value; null outside ``[0, 1]``.
    """
    inside = (value >= 0.0) & (value <= SCORE_BINS[-1])
    edges = pl.sum_horizontal(*[(value >= hi).cast(pl.Int8) for hi in SCORE_BINS[:-1]])
    return pl.when(inside).then(edges).cast(pl.Int8)


def _fixed_floats(table: pl.DataFrame, measures: Iterable[str]) -> pl.DataFrame:
    """The fixed-point sums as floats, each the float nearest the exact sum.

    As :data:`_EXACT` sums give them (a float cannot hold every sum of 1e-12 units, and
    dividing by 1e12 in floats would round twice). One conversion per group and sum.
    """
    names = [f"{m}{suffix}" for m in measures for suffix in ("_sum", "_sumsq")]
    return table.with_columns(
        pl.Series(
            name,
            [None if i is None else float(Fraction(i, _UNITS)) for i in table.get_column(name)],
            dtype=pl.Float64,
        )
        for name in names
    )


def _summands(
    measures: Iterable[str], binned: Iterable[str], findings: Iterable[str], *, fixed: bool
) -> list[pl.Expr]:
    """Per journey, the term each additive column adds up (never null).

    ``journeys`` counts 1 per journey; ``<m>_n`` 1 where the measure has a value;
    ``<m>_sum`` and ``<m>_sumsq`` the value and its square (in fixed point, else as
    :data:`_EXACT` decimals), 0 where it has none; ``<m>_bin<i>`` 1 where the value falls
    in bin ``i`` (its ``_BIN`` column); ``with_<code>`` 1 where the journey has the
    finding; the deaths their 0 or 1.
    """
    binned = set(binned)
    terms = [pl.lit(1, dtype=pl.Int64).alias("journeys"), pl.col("events").cast(pl.Int64)]
    for m in measures:
        value = pl.col(m)
        terms.append(value.is_not_null().cast(pl.Int64).alias(f"{m}_n"))
        if fixed:
            total, square = _fixed_point(value), _fixed_point(value * value)
        else:
            total, square = _decimal(value), _decimal(value * value)
        terms += [total.fill_null(0).alias(f"{m}_sum"), square.fill_null(0).alias(f"{m}_sumsq")]
        if m in binned:
            bins = pl.col(m + _BIN)
            terms += [
                (bins == i).fill_null(value=False).cast(pl.Int64).alias(f"{m}_bin{i}")
                for i in range(len(SCORE_BINS))
            ]
    terms += [
        (pl.col(f"finding_{c}") > 0).fill_null(value=False).cast(pl.Int64).alias(f"with_{c}")
        for c in findings
    ]
    terms += [pl.col(case).cast(pl.Int64).fill_null(0).alias(name) for name, case in DEATHS.items()]
    return terms


def _added(columns: Iterable[str], *, fixed: bool) -> list[pl.Expr]:
    """The sums of the summands (decimal sums as floats, fixed-point ones stay integers)."""
    decimal = () if fixed else ("_sum", "_sumsq")
    return [
        pl.col(c).sum().cast(pl.Float64) if c.endswith(decimal) else pl.col(c).sum()
        for c in columns
    ]


#: Densest membership at which a group's sums are a matrix product (:mod:`._sums`) rather
#: than a join and a group_by: when the groups times the journeys are at most this many
#: times the memberships. Measured per 83k-journey part (347 limb columns): the product
#: costs about 19 ns per group and journey, the join and group_by about 1 µs per
#: membership, so the product wins up to about 50; 32 leaves a margin.
_DENSE: Final = 32
#: Most groups in one product (its membership block is groups x 16,384 floats).
_DENSE_GROUPS: Final = 256


def _group_sums(
    terms: pl.DataFrame, members: pl.LazyFrame, keys: Sequence[str], *, fixed: bool
) -> pl.DataFrame:
    """Per group of ``keys``, the sums of the journeys' ``terms``, sorted by the keys.

    ``members`` holds the journeys (``case``) of each group, maybe more than once.
    Fixed-point terms are added as a matrix product when the membership is dense (every
    unit or principal a journey met); other groupings, and decimal terms, by a join and a
    group_by. Both give the same integers.
    """
    columns = [c for c in terms.columns if c != "case"]
    member = members.collect()
    groups = member.lazy().select(keys).unique().sort(list(keys), nulls_last=True).collect()
    dense = groups.height * terms.height <= _DENSE * member.height
    if fixed and dense and 0 < groups.height <= _DENSE_GROUPS:
        pairs = (
            member.lazy()
            .join(groups.lazy().with_row_index("_group"), on=list(keys), nulls_equal=True)
            .join(terms.lazy().select("case").with_row_index("_row"), on="case")
            .select("_group", "_row")
            .collect(engine=IN_MEMORY)
        )
        sums = group_sums(
            [terms.get_column(c).to_numpy() for c in columns],
            pairs.get_column("_group").cast(pl.Int64).to_numpy(),
            pairs.get_column("_row").cast(pl.Int64).to_numpy(),
            groups.height,
        )
        return groups.with_columns(
            pl.Series(c, sums[:, j], dtype=pl.Int64) for j, c in enumerate(columns)
        )
    return (
        member.lazy()
        .unique()
        .join(terms.lazy(), on="case")
        .group_by(*keys)
        .agg(_added(columns, fixed=fixed))
        .sort(list(keys), nulls_last=True)
        .collect()
    )


def _handover_aggs() -> list[pl.Expr]:
    wait = pl.col("wait")
    aggs = [
        pl.len().cast(pl.Int64).alias("handovers"),
        pl.col("boundary").sum().cast(pl.Int64).alias("handovers_boundary"),
        # an event log records neither warmth nor information: every handover is unknown
        pl.lit(0, dtype=pl.Int64).alias("handovers_cold"),
        pl.len().cast(pl.Int64).alias("handovers_unknown"),
        wait.count().cast(pl.Int64).alias("waits_n"),
        _exact_sum(wait).alias("waits_sum"),
        _exact_sum(wait * wait).alias("waits_sumsq"),
    ]
    lo = 0.0
    for i, hi in enumerate(WAIT_BINS):
        aggs.append(((wait >= lo) & (wait < hi)).sum().cast(pl.Int64).alias(f"waits_bin{i}"))
        lo = hi
    return aggs


def _median_from_bins(counts: Sequence[int], edges: Sequence[float]) -> float | None:
    """The median read from a histogram, linear within the bin that holds it."""
    n = sum(counts)
    if not n:
        return None
    half = n / 2
    before, lo = 0, 0.0
    for count, hi in zip(counts, edges, strict=True):
        if count and before + count >= half:
            if hi == float("inf"):
                return lo
            return lo + (half - before) / count * (hi - lo)
        before += count
        lo = hi
    return lo


def derive(agg: Aggregates) -> pl.DataFrame:
    """The table with its derived columns (re)computed from the additive ones.

    ``<m>_mean`` = sum / n; ``<m>_median`` from the histogram; ``share_<code>`` =
    journeys with the finding / journeys; ``deaths_per_1000`` and
    ``deaths_within_30d_of_discharge_per_1000`` = deaths per 1,000 journeys;
    ``share_cold_or_unknown`` = (cold + unknown
    handovers) / handovers; ``waits_mean`` and ``waits_median`` in days.
    """
    table = agg.table.select([c for c in agg.table.columns if c in agg.keys or c in agg.additive])
    derived: list[pl.Expr] = []
    for m in agg.measures:
        derived.append(
            pl.when(pl.col(f"{m}_n") > 0)
            .then(pl.col(f"{m}_sum") / pl.col(f"{m}_n"))
            .alias(f"{m}_mean")
        )
    derived += [
        (pl.col(f"with_{c}") / pl.col("journeys")).alias(f"share_{c}") for c in agg.findings
    ]
    derived += [
        (pl.col(name) * 1000 / pl.col("journeys")).alias(f"{name}_per_1000") for name in DEATHS
    ]
    derived.append(
        pl.when(pl.col("handovers") > 0)
        .then((pl.col("handovers_cold") + pl.col("handovers_unknown")) / pl.col("handovers"))
        .alias("share_cold_or_unknown")
    )
    derived.append(
        pl.when(pl.col("waits_n") > 0)
        .then(pl.col("waits_sum") / pl.col("waits_n"))
        .alias("waits_mean")
    )
    table = table.with_columns(derived)
    medians: dict[str, list[float | None]] = {}
    for m in agg.binned:
        bins = [f"{m}_bin{i}" for i in range(len(SCORE_BINS))]
        medians[f"{m}_median"] = [
            _median_from_bins(row, SCORE_BINS) for row in table.select(bins).iter_rows()
        ]
    wait_bins = [f"waits_bin{i}" for i in range(len(WAIT_BINS))]
    medians["waits_median"] = [
        _median_from_bins(row, WAIT_BINS) for row in table.select(wait_bins).iter_rows()
    ]
    return table.with_columns(
        pl.Series(name, values, dtype=pl.Float64) for name, values in medians.items()
    )


def combine(parts: Sequence[Aggregates]) -> Aggregates:
    """Add aggregates of disjoint parts (e.g. two extracts, or a log split by case).

    Raises
    ------
    AggregationError
        When the parts were grouped differently or measure different things.
    """
    if not parts:
        raise AggregationError("nothing to combine")
    first = parts[0]
    for part in parts[1:]:
        if (part.by, part.keys, part.measures, part.findings) != (
            first.by,
            first.keys,
            first.measures,
            first.findings,
        ):
            raise AggregationError("the parts were aggregated differently; cannot combine them")
    additive = first.additive
    stacked = pl.concat([p.table.select([*first.keys, *additive]) for p in parts])
    summed = stacked.group_by(list(first.keys)).agg(pl.col(c).sum() for c in additive)
    is_total = pl.col(first.keys[0]) == TOTAL
    ordered = pl.concat(
        [
            summed.filter(~is_total).sort(list(first.keys), nulls_last=True),
            summed.filter(is_total),
        ]
    )
    agg = attrs.evolve(first, table=ordered)
    return attrs.evolve(agg, table=derive(agg))
