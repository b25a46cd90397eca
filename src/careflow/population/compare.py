"""Follow-up over time: compare two populations per group, and tell change from noise.

Two populations (two periods of one log, or two extracts: before and after a change) are
aggregated with the same grouping and published with the same privacy rules
(:func:`careflow.population.privacy.suppress`). Per group present in both, each measure is
compared with a two-sample test on the published sums:

- a **mean** (each målbild, ``overall``, the mean wait) with Welch's t-test from ``n``,
  the sum and the sum of squares of each side (:func:`welch_test`);
- a **share** (journeys with a finding, cold or unknown handovers) with the two-proportion
  z-test, pooled under the hypothesis of no difference (:func:`proportion_test`).

Each test is two-sided at level ``alpha`` (default 0.05, 95 %). With hundreds of groups
and measures some differences pass any single test by chance, so the p-values of one
comparison are corrected together: by default with Holm's step-down method, which keeps
the chance that *any* flagged difference of the table is noise below ``alpha`` whatever
the dependence between the tests (overlapping groups share journeys; ``overall`` rests on
the målbilder). ``correction="bh"`` (Benjamini-Hochberg) instead bounds the expected share
of false flags among the flagged (more power for screening, valid under positive
dependence); ``"none"`` leaves each test alone.

Groups with fewer than ``min_count`` journeys on either side are never compared (they
are suppressed in the published aggregates), and a measure whose count was suppressed on
either side is listed as such, not tested.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import polars as pl

from careflow.contracts import POPULATION_COMPARE_VERSION, POPULATION_DIFFERENCE_FIELDS
from careflow.errors import CareflowError
from careflow.population.aggregate import TOTAL, Aggregates, _period_expr
from careflow.population.privacy import DEFAULT_MIN_COUNT, suppress
from careflow.population.scores import ScoreTable

__all__ = [
    "CORRECTIONS",
    "DEFAULT_ALPHA",
    "ComparisonError",
    "Difference",
    "PopulationComparison",
    "Published",
    "SkippedGroup",
    "TestResult",
    "adjust",
    "compare_aggregates",
    "comparison_csv",
    "comparison_json",
    "proportion_test",
    "published",
    "read_population_json",
    "restrict_to_period",
    "t_two_sided",
    "welch_test",
]

#: Significance level of each two-sided test (before the correction for many tests).
DEFAULT_ALPHA: Final = 0.05
#: Corrections for many comparisons: Holm (default), Benjamini-Hochberg, none.
CORRECTIONS: Final = ("holm", "bh", "none")
_Moments = tuple[int, float, float]
#: Above these degrees of freedom the t distribution is the normal one to well under 1e-6.
_NORMAL_DF: Final = 1e7


class ComparisonError(CareflowError, ValueError):
    """Two populations cannot be compared (different groupings, an unreadable file)."""


# -- the statistics ------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=True)
class TestResult:
    """One two-sample test: the statistic, its degrees of freedom and the two-sided p-value.

    ``statistic`` and ``df`` are None when the standard error is zero (both sides constant):
    ``p`` is then 1 if the values are equal and 0 if they differ. ``df`` is None for the
    z-test.
    """

    __test__ = False  # not a pytest test class

    statistic: float | None
    df: float | None
    p: float


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((a - 1.0 + m2) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_two_sided(t: float, df: float) -> float:
    """The two-sided p-value P(|T| >= |t|) of Student's t with ``df`` degrees of freedom.

    Computed as the regularised incomplete beta function I_{df/(df+t²)}(df/2, 1/2); above
    10⁷ degrees of freedom the normal distribution is used.

    Examples
    --------
    >>> round(t_two_sided(2.228138851986, 10), 6)
    0.05
    >>> round(t_two_sided(1.0, 1), 6)  # Cauchy: 1 - 2/π·atan(1)
    0.5
    """
    if df > _NORMAL_DF:
        return math.erfc(abs(t) / math.sqrt(2.0))
    return min(1.0, _betainc(df / 2.0, 0.5, df / (df + t * t)))


def _variance(n: int, total: float, sumsq: float) -> float:
    """The sample variance (n - 1 in the denominator) from a count, a sum and a sum of squares."""
    return max(0.0, (sumsq - total * total / n) / (n - 1))


def welch_test(a: tuple[int, float, float], b: tuple[int, float, float]) -> TestResult:
    """Welch's t-test of the means of two samples given as ``(n, sum, sum of squares)``.

    t = (mean_b − mean_a) / √(s²_a/n_a + s²_b/n_b) with the Welch-Satterthwaite degrees
    of freedom; both samples need at least two values.

    Examples
    --------
    >>> r = welch_test((4, 10.0, 30.0), (4, 14.0, 54.0))  # 1,2,3,4 against 2,3,4,5
    >>> round(r.statistic, 6), r.df, round(r.p, 6)
    (1.095445, 6.0, 0.315334)
    """
    (n_a, s_a, q_a), (n_b, s_b, q_b) = a, b
    va, vb = _variance(n_a, s_a, q_a) / n_a, _variance(n_b, s_b, q_b) / n_b
    diff = s_b / n_b - s_a / n_a
    se2 = va + vb
    if se2 <= 0.0:
        return TestResult(statistic=None, df=None, p=1.0 if diff == 0 else 0.0)
    t = diff / math.sqrt(se2)
    df = se2 * se2 / (va * va / (n_a - 1) + vb * vb / (n_b - 1))
    return TestResult(statistic=t, df=df, p=t_two_sided(t, df))


def proportion_test(a: tuple[int, int], b: tuple[int, int]) -> TestResult:
    """The two-proportion z-test of ``(successes, trials)`` on each side (pooled, two-sided).

    Examples
    --------
    >>> r = proportion_test((30, 100), (45, 100))
    >>> round(r.statistic, 6), round(r.p, 6)
    (2.19089, 0.02846)
    """
    (x_a, n_a), (x_b, n_b) = a, b
    pooled = (x_a + x_b) / (n_a + n_b)
    se2 = pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)
    diff = x_b / n_b - x_a / n_a
    if se2 <= 0.0:
        return TestResult(statistic=None, df=None, p=1.0 if diff == 0 else 0.0)
    z = diff / math.sqrt(se2)
    return TestResult(statistic=z, df=None, p=math.erfc(abs(z) / math.sqrt(2.0)))


def adjust(p: Sequence[float], correction: str) -> list[float]:
    """P-values adjusted for testing them together: ``holm``, ``bh`` or ``none``.

    A test is significant at level α when its adjusted p-value is at most α.

    Examples
    --------
    >>> adjust([0.01, 0.04, 0.03, 0.005], "holm")
    [0.03, 0.06, 0.06, 0.02]
    >>> [round(v, 12) for v in adjust([0.01, 0.04, 0.03, 0.005], "bh")]
    [0.02, 0.04, 0.04, 0.02]
    """
    if correction not in CORRECTIONS:
        raise ComparisonError(f"unknown correction {correction!r}; expected one of holm, bh, none")
    m = len(p)
    if correction == "none" or not m:
        return list(p)
    order = sorted(range(m), key=lambda i: (p[i], i))
    out = [0.0] * m
    if correction == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p[i]))
            out[i] = running
    else:
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, m / (rank + 1) * p[i])
            out[i] = running
    return out


# -- the published sides -------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=True)
class Published:
    """One side of a comparison: aggregates as published (suppressed cells are null).

    ``rows`` are the table's rows (the ``(all)`` row last); ``measures`` the score
    measures with a sum of squares, ``findings`` the finding codes; ``source`` names where
    they came from (a file, a period).
    """

    rows: tuple[dict[str, Any], ...]
    by: str
    keys: tuple[str, ...]
    period: str | None
    min_count: int
    measures: tuple[str, ...]
    findings: tuple[str, ...]
    source: str


def published(
    agg: Aggregates,
    min_count: int = DEFAULT_MIN_COUNT,
    *,
    period: str | None = None,
    source: str = "",
) -> Published:
    """``agg`` suppressed with ``min_count`` (:func:`~careflow.population.privacy.suppress`)."""
    table = suppress(agg, min_count).table
    return Published(
        rows=tuple(table.iter_rows(named=True)),
        by=agg.by,
        keys=agg.keys,
        period=period,
        min_count=min_count,
        measures=agg.measures,
        findings=agg.findings,
        source=source,
    )


def read_population_json(path: str | Path) -> Published:
    """Read the JSON that ``careflow population -o out.json`` wrote.

    Raises
    ------
    ComparisonError
        When the file is not such JSON, or was written without sums of squares (by a
        careflow before they existed): then it cannot tell change from noise.
    """
    name = str(path)
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ComparisonError(f"not JSON: {exc}", file=name) from None
    need = ("schema_version", "by", "keys", "min_count", "groups")
    if not isinstance(data, dict) or any(k not in data for k in need):
        raise ComparisonError(
            "not the JSON of `careflow population` (needs " + ", ".join(need) + ")", file=name
        )
    if not str(data["schema_version"]).startswith("1."):
        raise ComparisonError(
            f"population JSON version {data['schema_version']} is not 1.x", file=name
        )
    groups = data["groups"]
    if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):
        raise ComparisonError("the population JSON holds no groups", file=name, path="groups")
    columns = list(groups[0])
    if not any(c.endswith("_sumsq") for c in columns):
        raise ComparisonError(
            "the population JSON has no sums of squares (_sumsq), written by an older "
            "careflow; run `careflow population` again to compare it",
            file=name,
            path="groups",
        )
    measures = tuple(
        c.removesuffix("_sumsq") for c in columns if c.endswith("_sumsq") and c != "waits_sumsq"
    )
    findings = tuple(c.removeprefix("with_") for c in columns if c.startswith("with_"))
    return Published(
        rows=tuple(groups),
        by=str(data["by"]),
        keys=tuple(str(k) for k in data["keys"]),
        period=data.get("period"),
        min_count=int(data["min_count"]),
        measures=measures,
        findings=findings,
        source=name,
    )


def restrict_to_period(
    events: pl.DataFrame, scores: ScoreTable, period: str, value: str
) -> tuple[pl.DataFrame, ScoreTable]:
    """The events and scores of the journeys that started in period ``value``.

    A journey's period is that of its first event, as for ``--by period``: e.g. ``2024-Q1``
    with ``period="quarter"``, ``2024-03`` with ``"month"``, ``2024`` with ``"year"``.
    """
    starts = events.lazy().group_by("case").agg(start_ts=pl.col("ts").first())
    chosen = (
        starts.filter(_period_expr(period) == value).select("case").collect().get_column("case")
    )
    keep = pl.col("case").is_in(chosen.implode())
    return events.filter(keep), attrs.evolve(scores, table=scores.table.filter(keep))


# -- the comparison ------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=True)
class Difference:
    """One measure of one group in A and in B, and whether the change exceeds the noise.

    ``measure`` is the name of the derived column (``target_7_mean``, ``overall_mean``,
    ``waits_mean``, ``share_<code>``, ``share_cold_or_unknown``); ``test`` is ``welch``
    or ``proportion``. ``n_a``/``n_b`` count what the measure is over (journeys where it
    was assessable, journeys, handovers, waits). ``status`` is ``compared``,
    ``suppressed`` (a count was suppressed, or is below the minimum, on a side),
    ``not assessable`` (nothing to measure on a side) or ``too few`` (a mean with fewer
    than two values on a side); only ``compared`` rows have p-values and count in the
    correction.
    """

    group: tuple[str | None, ...]
    measure: str
    test: str
    n_a: int | None
    n_b: int | None
    a: float | None
    b: float | None
    difference: float | None
    statistic: float | None
    df: float | None
    p: float | None
    p_adjusted: float | None
    significant: bool | None
    status: str

    def to_dict(self, keys: Sequence[str]) -> dict[str, Any]:
        """The difference as JSON-ready data, its group under the key column names."""
        data: dict[str, Any] = {"group": dict(zip(keys, self.group, strict=True))}
        for field in attrs.fields(Difference):
            if field.name != "group":
                data[field.name] = getattr(self, field.name)
        return data


@attrs.frozen(kw_only=True, slots=True)
class SkippedGroup:
    """A group that was not compared, and why (too few journeys, or on one side only).

    ``sides`` names where (``A``, ``B`` or ``A and B``); ``small`` is True for too few
    journeys there, False for a group found only there.
    """

    group: tuple[str | None, ...]
    reason: str
    sides: str
    small: bool


@attrs.frozen(kw_only=True, slots=True)
class PopulationComparison:
    """Two populations compared per group and measure (:func:`compare_aggregates`)."""

    a: str
    b: str
    by: str
    keys: tuple[str, ...]
    period: str | None
    min_count: int
    alpha: float
    correction: str
    differences: tuple[Difference, ...]
    skipped: tuple[SkippedGroup, ...]

    @property
    def tested(self) -> int:
        """How many differences were tested (the size of the family corrected for)."""
        return sum(1 for d in self.differences if d.status == "compared")

    @property
    def significant(self) -> tuple[Difference, ...]:
        """The differences larger than the noise, after the correction."""
        return tuple(d for d in self.differences if d.significant)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready data (``careflow schema --kind population-compare``)."""
        return {
            "schema_version": POPULATION_COMPARE_VERSION,
            "a": self.a,
            "b": self.b,
            "by": self.by,
            "keys": list(self.keys),
            "period": self.period,
            "min_count": self.min_count,
            "alpha": self.alpha,
            "correction": self.correction,
            "tests": {
                "mean": "Welch's t-test, two-sided, from n, sum and sum of squares",
                "share": "two-proportion z-test, pooled, two-sided",
            },
            "tested": self.tested,
            "significant": len(self.significant),
            "differences": [d.to_dict(self.keys) for d in self.differences],
            "not_compared": [
                {"group": dict(zip(self.keys, s.group, strict=True)), "reason": s.reason}
                for s in self.skipped
            ],
        }


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _moments(row: Mapping[str, Any], cols: tuple[str, str, str], k: int) -> _Moments | None:
    """``(n, sum, sum of squares)`` of a row, or None when one is suppressed or below ``k``."""
    n, total, sumsq = _count(row.get(cols[0])), _number(row.get(cols[1])), _number(row.get(cols[2]))
    if n is None or total is None or sumsq is None or n < k:
        return None
    return n, total, sumsq


def _mean_row(
    measure: str, cols: tuple[str, str, str], ra: Mapping[str, Any], rb: Mapping[str, Any], k: int
) -> dict[str, Any]:
    n_a, n_b = _count(ra.get(cols[0])), _count(rb.get(cols[0]))
    row: dict[str, Any] = {"measure": measure, "test": "welch", "n_a": n_a, "n_b": n_b}
    if n_a == 0 or n_b == 0:
        return {**row, "status": "not assessable"}
    side_a, side_b = _moments(ra, cols, k), _moments(rb, cols, k)
    if side_a is None or side_b is None:
        return {**row, "status": "suppressed"}
    mean_a, mean_b = side_a[1] / side_a[0], side_b[1] / side_b[0]
    row.update(a=mean_a, b=mean_b, difference=mean_b - mean_a)
    if side_a[0] < 2 or side_b[0] < 2:
        return {**row, "status": "too few"}
    return {**row, "status": "compared", "result": welch_test(side_a, side_b)}


def _proportion(
    row: Mapping[str, Any], x_cols: Sequence[str], n_col: str, k: int
) -> tuple[int, int] | None:
    """``(successes, trials)`` of a row, or None when one is suppressed or below ``k``."""
    counts = [_count(row.get(c)) for c in (*x_cols, n_col)]
    known = [c for c in counts if c is not None and not 0 < c < k]
    if len(known) < len(counts):
        return None
    return sum(known[:-1]), known[-1]


def _share_row(
    measure: str,
    x_cols: Sequence[str],
    n_col: str,
    *,
    rows: tuple[Mapping[str, Any], Mapping[str, Any]],
    k: int,
) -> dict[str, Any]:
    ra, rb = rows
    n_a, n_b = _count(ra.get(n_col)), _count(rb.get(n_col))
    row: dict[str, Any] = {"measure": measure, "test": "proportion", "n_a": n_a, "n_b": n_b}
    if n_a == 0 or n_b == 0:
        return {**row, "status": "not assessable"}
    side_a, side_b = _proportion(ra, x_cols, n_col, k), _proportion(rb, x_cols, n_col, k)
    if side_a is None or side_b is None:
        return {**row, "status": "suppressed"}
    share_a, share_b = side_a[0] / side_a[1], side_b[0] / side_b[1]
    row.update(a=share_a, b=share_b, difference=share_b - share_a)
    return {**row, "status": "compared", "result": proportion_test(side_a, side_b)}


def _measure_rows(
    ra: Mapping[str, Any],
    rb: Mapping[str, Any],
    measures: Sequence[str],
    findings: Sequence[str],
    k: int,
) -> list[dict[str, Any]]:
    rows = [
        _mean_row(f"{m}_mean", (f"{m}_n", f"{m}_sum", f"{m}_sumsq"), ra, rb, k) for m in measures
    ]
    rows.append(_mean_row("waits_mean", ("waits_n", "waits_sum", "waits_sumsq"), ra, rb, k))
    pair = (ra, rb)
    rows += [_share_row(f"share_{c}", [f"with_{c}"], "journeys", rows=pair, k=k) for c in findings]
    cold = ["handovers_cold", "handovers_unknown"]
    rows.append(_share_row("share_cold_or_unknown", cold, "handovers", rows=pair, k=k))
    return rows


def _group_order(group: tuple[str | None, ...]) -> tuple[bool, tuple[tuple[bool, str], ...]]:
    return group[0] == TOTAL, tuple((v is None, v or "") for v in group)


def _default_measures(a: Published, b: Published) -> list[str]:
    both = [m for m in a.measures if m in b.measures]
    return [m for m in both if m == "overall" or m.startswith("target_")]


def compare_aggregates(
    a: Aggregates | Published,
    b: Aggregates | Published,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    alpha: float = DEFAULT_ALPHA,
    correction: str = "holm",
    measures: Sequence[str] | None = None,
) -> PopulationComparison:
    """Compare population ``a`` (before) with ``b`` (after) per group and measure.

    Parameters
    ----------
    a, b
        Aggregates (:func:`~careflow.population.aggregate.aggregate`), published here
        with ``min_count``, or already published sides (:func:`published`,
        :func:`read_population_json`). Both must be grouped alike.
    min_count
        Groups with fewer journeys on either side are not compared; counts below it
        (suppressed when published) are not tested.
    alpha
        Significance level of each two-sided test, after the correction.
    correction
        ``holm`` (family-wise error, any dependence), ``bh`` (Benjamini-Hochberg false
        discovery rate) or ``none``.
    measures
        Score measures whose means to compare (default: every målbild and ``overall``);
        the mean wait, the finding shares and the cold-or-unknown handover share are
        always compared.

    Returns
    -------
    PopulationComparison
        Per group (in key order, ``(all)`` last) and measure: the value in A and B, the
        difference B − A, the test and whether the difference is significant.

    Raises
    ------
    ComparisonError
        When the sides are grouped differently, or ``alpha``, ``min_count`` or
        ``correction`` are out of range.
    """
    if not 0.0 < alpha < 1.0:
        raise ComparisonError(f"alpha must lie between 0 and 1, not {alpha}")
    if min_count < 1:
        raise ComparisonError(f"min_count must be at least 1, not {min_count}")
    if correction not in CORRECTIONS:
        raise ComparisonError(f"unknown correction {correction!r}; expected one of holm, bh, none")
    side_a = a if isinstance(a, Published) else published(a, min_count, source="A")
    side_b = b if isinstance(b, Published) else published(b, min_count, source="B")
    if (side_a.by, side_a.keys) != (side_b.by, side_b.keys):
        raise ComparisonError(
            f"A is grouped by {side_a.by} and B by {side_b.by}; group both alike to compare them",
            file=side_b.source or None,
        )
    if side_a.by == "period" and side_a.period != side_b.period:
        raise ComparisonError(
            f"A has periods of a {side_a.period} and B of a {side_b.period}",
            file=side_b.source or None,
        )
    chosen = _default_measures(side_a, side_b) if measures is None else list(measures)
    findings = [c for c in side_a.findings if c in side_b.findings]
    rows_a = {tuple(r[k] for k in side_a.keys): r for r in side_a.rows}
    rows_b = {tuple(r[k] for k in side_b.keys): r for r in side_b.rows}
    raw: list[tuple[tuple[str | None, ...], dict[str, Any]]] = []
    skipped: list[SkippedGroup] = []
    for group in sorted({*rows_a, *rows_b}, key=_group_order):
        ra, rb = rows_a.get(group), rows_b.get(group)
        if ra is None or rb is None:
            side = "B" if ra is None else "A"
            skipped.append(
                SkippedGroup(group=group, reason=f"only in {side}", sides=side, small=False)
            )
            continue
        small = [
            side
            for side, row in (("A", ra), ("B", rb))
            if row.get("journeys") is None or row["journeys"] < min_count
        ]
        if small:
            where = " and ".join(small)
            reason = f"fewer than {min_count} journeys in {where} (suppressed)"
            skipped.append(SkippedGroup(group=group, reason=reason, sides=where, small=True))
            continue
        raw += [(group, row) for row in _measure_rows(ra, rb, chosen, findings, min_count)]
    results = [row["result"] for _, row in raw if row["status"] == "compared"]
    adjusted = iter(adjust([r.p for r in results], correction))
    differences = []
    for group, row in raw:
        result: TestResult | None = row.pop("result", None)
        p_adj = next(adjusted) if result is not None else None
        differences.append(
            Difference(
                group=group,
                measure=row["measure"],
                test=row["test"],
                n_a=row["n_a"],
                n_b=row["n_b"],
                a=row.get("a"),
                b=row.get("b"),
                difference=row.get("difference"),
                statistic=None if result is None else result.statistic,
                df=None if result is None else result.df,
                p=None if result is None else result.p,
                p_adjusted=p_adj,
                significant=None if p_adj is None else p_adj <= alpha,
                status=row["status"],
            )
        )
    return PopulationComparison(
        a=side_a.source,
        b=side_b.source,
        by=side_a.by,
        keys=side_a.keys,
        period=side_a.period if side_a.by == "period" else None,
        min_count=min_count,
        alpha=alpha,
        correction=correction,
        differences=tuple(differences),
        skipped=tuple(skipped),
    )


# -- output --------------------------------------------------------------------------------


def comparison_json(comparison: PopulationComparison) -> bytes:
    """The comparison as UTF-8 JSON (deterministic: same comparison, same bytes)."""
    text = json.dumps(comparison.to_dict(), ensure_ascii=False, indent=1, allow_nan=False)
    return (text + "\n").encode("utf-8")


#: Columns of the CSV after the group's key columns.
CSV_COLUMNS: Final = POPULATION_DIFFERENCE_FIELDS[1:]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def comparison_csv(comparison: PopulationComparison) -> bytes:
    """The comparison as CSV: one row per group and measure, then one per group not compared.

    A group not compared has an empty measure and its reason as the status.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*comparison.keys, *CSV_COLUMNS])
    for d in comparison.differences:
        values = [getattr(d, c) for c in CSV_COLUMNS]
        writer.writerow([*(_csv_value(v) for v in d.group), *(_csv_value(v) for v in values)])
    blank = [""] * (len(CSV_COLUMNS) - 1)
    for s in comparison.skipped:
        writer.writerow([*(_csv_value(v) for v in s.group), *blank, s.reason])
    return buffer.getvalue().encode("utf-8")
