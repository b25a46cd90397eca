"""Score every case of an event log at once: indicators, målbild scores, finding counts.

:func:`score_events` turns the sorted events of :func:`read_events` into one row per case
(sorted by case id, as :func:`careflow.read_event_log` sorts its journeys):

- ``case`` and ``events``;
- one column per indicator of :data:`careflow.population.indicators.BULK`, named by its id
  (null: not assessable);
- ``target_<id>`` per målbild of the framework: the weighted mean of its assessable
  indicators, combined exactly as :func:`careflow.score_journey` does, then at most
  :data:`careflow.scoring.profile.HIGH_FINDING_CAP` when a high-severity finding tied to
  it is present (from the bulk finding counts), and ``overall``, the plain mean of the
  assessable målbild scores (null when fewer than half are assessable). A målbild that
  uses an indicator without a bulk expression is not computed (null), nor is one that a
  high finding without a bulk count may cap
  (:data:`careflow.population.findings.HIGH_FINDING_TARGETS`; none now), and then
  neither is ``overall``; the table's :attr:`ScoreTable.not_computed` says which and why.
  Målbild 4 and 9 are capped by ``compulsory_care_ended`` too, a finding counted with its
  own detector on the journey of each case with compulsory care
  (:data:`careflow.population.findings.PER_JOURNEY`);
- ``finding_<code>``: how many findings of each code the case has;
- ``died`` and ``died_within_30d_of_discharge`` (0 or 1, see
  :func:`careflow.population.findings.death_columns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import attrs
import polars as pl

from careflow.errors import FrameworkError
from careflow.model import Aspect
from careflow.population._engine import IN_MEMORY
from careflow.population.findings import (
    FINDINGS_NOT_IN_BULK,
    HIGH_FINDING_TARGETS,
    finding_table,
)
from careflow.population.indicators import BULK, NOT_IN_BULK, case_facts
from careflow.scoring import INDICATORS
from careflow.scoring.profile import HIGH_FINDING_CAP
from careflow.targets import Framework, builtin_framework

__all__ = ["ScoreTable", "score_events"]

_FINDING: Final = "finding_"


@attrs.frozen(kw_only=True, slots=True)
class ScoreTable:
    """Per-case scores of a population, with what the bulk path did not compute.

    ``table`` has one row per case; ``not_computed`` maps each column that is absent or
    null by construction (an indicator, a målbild, ``overall`` or a finding code) to the
    reason.
    """

    table: pl.DataFrame
    framework: Framework
    not_computed: dict[str, str]

    @property
    def indicator_ids(self) -> list[str]:
        """The indicator columns, in målbild order."""
        return [i for i in BULK if i in self.table.columns]

    @property
    def target_columns(self) -> list[str]:
        """The målbild score columns, ``target_1`` ... in framework order."""
        return [f"target_{t.id}" for t in self.framework.targets]

    @property
    def finding_codes(self) -> list[str]:
        """The finding codes counted."""
        return [c.removeprefix(_FINDING) for c in self.table.columns if c.startswith(_FINDING)]


def score_events(
    events: pl.DataFrame,
    framework: Framework | None = None,
    *,
    recorded_completely: frozenset[Aspect] = frozenset(),
) -> ScoreTable:
    """Score every case of sorted ``events`` (from :func:`read_events`) against ``framework``.

    ``recorded_completely`` is what the log's source records completely (a mapping's
    ``recorded_completely``, as :func:`careflow.read_event_log` gives it to every journey):
    with ``contacts`` declared, nobody named means nobody coordinated.

    Raises
    ------
    FrameworkError
        When the framework uses indicators careflow does not know.
    """
    framework = framework or builtin_framework()
    unknown = sorted(framework.indicator_ids() - INDICATORS.keys())
    if unknown:
        raise FrameworkError(
            f"framework {framework.id!r} uses indicators careflow does not know: "
            f"{', '.join(unknown)}"
        )
    used = [i for i in BULK if i in framework.indicator_ids()]
    lazy = events.lazy()
    # the ping_pong finding counts the loops the ping_pong indicator finds (one chain rule)
    needed = [BULK[i] for i in dict.fromkeys([*used, "ping_pong"])]
    # one chunk: polars computes some float arithmetic differently in one-row chunks, so
    # the same case could get other last bits in a part of the log than in the whole
    facts = (
        case_facts(lazy, needed, recorded_completely=recorded_completely)
        .collect(engine=IN_MEMORY)
        .rechunk()
    )
    findings, registry = finding_table(events, recorded_completely)
    loops = pl.when(pl.col("kinds_recorded")).then(pl.col("loops").fill_null(0)).otherwise(0)
    values = (
        facts.lazy()
        .select(
            "case",
            pl.col("n_events").alias("events"),
            *[BULK[i].value().alias(i) for i in used],
            loops.cast(pl.UInt32).alias(_FINDING + "ping_pong"),
        )
        .join(findings, on="case", how="left", maintain_order="left")
    )
    findings_schema = findings.collect_schema().names()
    pinged = (pl.col(_FINDING + "ping_pong") > 0).fill_null(False)
    values = values.with_columns(
        (pl.col(f"high_{t}") | pinged if f"high_{t}" in findings_schema else pinged).alias(
            f"high_{t}"
        )
        for t in HIGH_FINDING_TARGETS["ping_pong"]
    )
    high_targets = {t for f in registry.values() for t in f.high} | set(
        HIGH_FINDING_TARGETS["ping_pong"]
    )
    not_computed = {i: f"no bulk expression: {why}" for i, why in NOT_IN_BULK.items()}
    targets = []
    for target in framework.targets:
        column = f"target_{target.id}"
        missing = [r.id for r in target.indicators if r.id not in BULK]
        # a high finding not counted in bulk may cap this målbild per journey, so its
        # bulk score would be wrong: not computed
        uncounted = [
            c for c in FINDINGS_NOT_IN_BULK if target.id in HIGH_FINDING_TARGETS.get(c, ())
        ]
        if missing:
            not_computed[column] = f"uses {', '.join(missing)}, which has no bulk expression"
            targets.append(pl.lit(None, dtype=pl.Float64).alias(column))
        elif uncounted:
            not_computed[column] = (
                f"a high-severity {', '.join(uncounted)} finding caps it at "
                f"{HIGH_FINDING_CAP} per journey, and that finding is not counted in bulk"
            )
            targets.append(pl.lit(None, dtype=pl.Float64).alias(column))
        else:
            mean = _weighted_mean([(r.id, r.weight) for r in target.indicators], column)
            if target.id in high_targets:
                # score_journey: at most HIGH_FINDING_CAP while a tied high finding is open
                capped = pl.col(f"high_{target.id}") & mean.is_not_null()
                cap = pl.min_horizontal(mean, HIGH_FINDING_CAP)
                mean = pl.when(capped).then(cap).otherwise(mean).alias(column)
            targets.append(mean)
    scored = values.with_columns(targets)
    target_cols = [f"target_{t.id}" for t in framework.targets]
    if any(c in not_computed for c in target_cols):
        not_computed["overall"] = "a målbild score is not computed in bulk"
        overall = pl.lit(None, dtype=pl.Float64)
    else:
        overall = _plain_mean(target_cols)
    scored = scored.with_columns(overall.alias("overall"))
    for code, why in FINDINGS_NOT_IN_BULK.items():
        not_computed[_FINDING + code] = f"no bulk count: {why}"
    columns = [c for c in scored.collect_schema().names() if not c.startswith("high_")]
    table = scored.select(columns).collect(engine=IN_MEMORY)
    return ScoreTable(table=table, framework=framework, not_computed=not_computed)


def _weighted_mean(refs: Sequence[tuple[str, float]], name: str) -> pl.Expr:
    """:func:`careflow.scoring.profile.score_journey`'s sum, term by term in the same order."""
    total: pl.Expr = pl.lit(0.0)
    weights: pl.Expr = pl.lit(0.0)
    for ind, weight in refs:
        present = pl.col(ind).is_not_null()
        total = total + pl.when(present).then(pl.col(ind) * weight).otherwise(0.0)
        weights = weights + pl.when(present).then(pl.lit(weight)).otherwise(0.0)
    return pl.when(weights > 0).then(total / weights).otherwise(None).alias(name)


def _plain_mean(columns: Sequence[str]) -> pl.Expr:
    total: pl.Expr = pl.lit(0.0)
    count: pl.Expr = pl.lit(0)
    for column in columns:
        present = pl.col(column).is_not_null()
        total = total + pl.when(present).then(pl.col(column)).otherwise(0.0)
        count = count + present.cast(pl.Int64)
    # score_journey: no overall when fewer than half of the målbilder are assessable
    enough = (2 * count >= len(columns)) & (count > 0)
    return pl.when(enough).then(total / count.cast(pl.Float64)).otherwise(None)
