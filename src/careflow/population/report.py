"""The published tables behind the population report and the population actor network.

The report shows several groupings of one population at once: the whole population
(the ``(all)`` row), the groups of ``--by`` (small multiples), units (findings, network
nodes), handover pairs (heatmap, network edges) and start periods (trend). Each is
aggregated and suppressed here (:func:`report_tables`); the report and the network read
only these published tables (:class:`Published` keeps no unsuppressed value), never
the events or a case id.

Several groupings of one population in one page is the differencing risk that
``docs/population.md`` warns about. The rules followed here:

- each grouping is suppressed on its own with the same ``min_count`` (primary and
  secondary, as :func:`careflow.population.privacy.suppress` does);
- the ``(all)`` row holds the same true numbers in every grouping, so a cell of it is
  shown only when every grouping published it (:attr:`ReportTables.total_hidden`);
- handover counts are shown only per handover pair (never per unit, principal or in
  total), because handovers partition over pairs, units and principals alike;
- the page says which groupings and which ``min_count`` it used, and that no finer
  cross-tabulation of them was published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import polars as pl

from careflow.population.aggregate import (
    SCORE_BINS,
    TOTAL,
    Aggregates,
    AggregationError,
    aggregate,
)
from careflow.population.privacy import DEFAULT_MIN_COUNT, SuppressedCell, suppress
from careflow.population.scores import ScoreTable
from careflow.targets import Framework

__all__ = ["FIXED", "Published", "ReportTables", "publish", "publish_report", "report_tables"]

#: Groupings the report always needs, besides the one of ``by``.
FIXED: Final = ("unit", "boundary", "period")


def _bases(column: str, measures: Iterable[str]) -> tuple[str, ...]:
    """The count columns whose suppression takes ``column`` along (itself included)."""
    if column.startswith("share_") and column != "share_cold_or_unknown":
        return (column, f"with_{column.removeprefix('share_')}", "journeys")
    if column == "share_cold_or_unknown":
        return (column, "handovers", "handovers_cold", "handovers_unknown")
    if column in {"waits_mean", "waits_sum"}:
        return (column, "waits_n")
    for m in measures:
        if column in {f"{m}_mean", f"{m}_sum"}:
            return (column, f"{m}_n")
        if column == f"{m}_median":
            return (column, *[f"{m}_bin{i}" for i in range(len(SCORE_BINS))])
    if column == "events":
        return (column, "journeys")
    return (column,)


@attrs.frozen(kw_only=True, slots=True)
class Published:
    """One grouping as published: suppressed cells are null, and listed.

    ``table`` is the suppressed table (the ``(all)`` row last); ``cells`` the suppressed
    cells with the reason. No unsuppressed value of a suppressed cell is kept.
    """

    by: str
    keys: tuple[str, ...]
    partition: bool
    measures: tuple[str, ...]
    binned: tuple[str, ...]
    findings: tuple[str, ...]
    min_count: int
    table: pl.DataFrame
    cells: tuple[SuppressedCell, ...]
    hidden: Mapping[tuple[str | None, ...], frozenset[str]]

    def rows(self) -> list[dict[str, Any]]:
        """The group rows (without the ``(all)`` row), as dictionaries."""
        return self.table.head(self.table.height - 1).to_dicts()

    def total(self) -> dict[str, Any]:
        """The ``(all)`` row as a dictionary."""
        return self.table.tail(1).to_dicts()[0]

    def group(self, row: Mapping[str, Any]) -> tuple[str | None, ...]:
        """The key values of a row of :attr:`table`."""
        return tuple(row[k] for k in self.keys)

    def suppressed(self, group: tuple[str | None, ...], column: str) -> bool:
        """Whether ``column`` of ``group`` is left out by suppression (not merely undefined)."""
        hidden = self.hidden.get(group, frozenset())
        return any(b in hidden for b in _bases(column, self.measures))


def publish(agg: Aggregates, min_count: int = DEFAULT_MIN_COUNT) -> Published:
    """Suppress ``agg`` and keep only what may be published."""
    done = suppress(agg, min_count)
    hidden: dict[tuple[str | None, ...], set[str]] = {}
    for c in done.cells:
        hidden.setdefault(c.group, set()).add(c.column)
    return Published(
        by=agg.by,
        keys=agg.keys,
        partition=agg.partition,
        measures=agg.measures,
        binned=agg.binned,
        findings=agg.findings,
        min_count=min_count,
        table=done.table,
        cells=done.cells,
        hidden={k: frozenset(v) for k, v in hidden.items()},
    )


@attrs.frozen(kw_only=True, slots=True)
class ReportTables:
    """Everything the population report shows, published.

    ``groups`` is the grouping of ``by`` (small multiples), ``units``, ``boundary`` and
    ``periods`` the fixed ones. ``total_hidden`` names the columns of the ``(all)`` row
    suppressed in any of them (so hidden in the report). ``not_computed`` maps each
    column not computed in bulk to the reason (:attr:`ScoreTable.not_computed`).
    """

    groups: Published
    units: Published
    boundary: Published
    periods: Published
    period: str
    min_count: int
    framework: Framework
    not_computed: Mapping[str, str]
    total_hidden: frozenset[str]

    @property
    def groupings(self) -> tuple[Published, ...]:
        """Each distinct grouping used, in the order the report shows them."""
        seen: dict[str, Published] = {}
        for p in (self.groups, self.units, self.boundary, self.periods):
            seen.setdefault(p.by, p)
        return tuple(seen.values())

    def total(self) -> dict[str, Any]:
        """The ``(all)`` row, with every cell hidden in any grouping set to None."""
        row = self.groups.total()
        for column in list(row):
            if any(b in self.total_hidden for b in _bases(column, self.groups.measures)):
                row[column] = None
        return row


def report_tables(
    events: pl.DataFrame,
    scores: ScoreTable,
    *,
    by: str = "unit",
    period: str = "quarter",
    min_count: int = DEFAULT_MIN_COUNT,
) -> ReportTables:
    """Aggregate and suppress every grouping the population report shows.

    Parameters
    ----------
    events, scores
        From :func:`careflow.population.read_events` and
        :func:`careflow.population.score_events`.
    by
        The grouping of the small multiples (any ``--by`` of ``careflow population``).
    period
        ``month``, ``quarter`` or ``year``: the length of a period in the trend.
    min_count
        The smallest number of journeys (or counts) a published cell may hold.

    Raises
    ------
    careflow.population.aggregate.AggregationError
        When ``by`` is neither a known grouping nor a column, or ``period`` is unknown.
    """
    aggs = {name: aggregate(events, scores, name, period=period) for name in {by, *FIXED}}
    return publish_report(
        aggs,
        by=by,
        period=period,
        min_count=min_count,
        framework=scores.framework,
        not_computed=scores.not_computed,
    )


def publish_report(
    aggs: Mapping[str, Aggregates],
    *,
    by: str,
    period: str,
    min_count: int,
    framework: Framework,
    not_computed: Mapping[str, str],
) -> ReportTables:
    """Suppress aggregates made elsewhere (e.g. combined over partitions) for the report.

    ``aggs`` maps ``by`` and each of ``unit``, ``boundary`` and ``period`` to its
    aggregates (:func:`careflow.population.aggregate.aggregate` or
    :func:`~careflow.population.aggregate.combine`); :func:`report_tables` is this
    function over one events table.

    Raises
    ------
    careflow.population.aggregate.AggregationError
        When a grouping the report needs is missing.
    """
    missing = [name for name in (by, *FIXED) if name not in aggs]
    if missing:
        raise AggregationError(f"the report needs the groupings {', '.join(missing)} too")
    done = {name: publish(aggs[name], min_count) for name in sorted({by, *FIXED})}
    hidden: set[str] = set()
    for p in done.values():
        hidden |= p.hidden.get((TOTAL, *[None] * (len(p.keys) - 1)), frozenset())
    return ReportTables(
        groups=done[by],
        units=done["unit"],
        boundary=done["boundary"],
        periods=done["period"],
        period=period,
        min_count=min_count,
        framework=framework,
        not_computed=dict(sorted(not_computed.items())),
        total_hidden=frozenset(hidden),
    )
