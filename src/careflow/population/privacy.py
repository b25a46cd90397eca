"""Privacy for population outputs: pseudonymous case ids, and small-cell suppression."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Final

import attrs
import polars as pl

from careflow.errors import JourneyFileError
from careflow.population.aggregate import DEATHS, SCORE_BINS, WAIT_BINS, Aggregates

__all__ = [
    "DEFAULT_MIN_COUNT",
    "Suppressed",
    "SuppressedCell",
    "check_pseudonymous",
    "constraints",
    "determined",
    "is_personal_id",
    "suppress",
]

_PNR_RE: Final = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})[-+]?(\d{4})$")
_PNR_PATTERN: Final = r"^(\d{2})?\d{6}[-+]?\d{4}$"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def is_personal_id(value: str) -> bool:
    """Whether ``value`` is a Swedish personnummer or samordningsnummer.

    10 or 12 digits (``YYMMDD-NNNC``, ``YYYYMMDDNNNC``, optionally with ``-`` or ``+``
    before the last four), a real date (the day plus 60 for a samordningsnummer) and a
    valid Luhn check digit over the ten-digit form.

    Examples
    --------
    >>> is_personal_id("19121212-1212"), is_personal_id("121212-1212")
    (True, True)
    >>> is_personal_id("121272-1219"), is_personal_id("121212-1213")
    (True, False)
    >>> is_personal_id("case-00017")
    False
    """
    match = _PNR_RE.match(value.strip())
    if match is None:
        return False
    century, yy, mm, dd, tail = match.groups()
    month, day = int(mm), int(dd)
    if day > 60:
        day -= 60
    if not 1 <= month <= 12 or day < 1:
        return False
    years = [int(century + yy)] if century else [1900 + int(yy), 2000 + int(yy)]
    if not any(day <= calendar.monthrange(y, month)[1] for y in years):
        return False
    return _luhn_ok(yy + mm + dd + tail)


def check_pseudonymous(cases: pl.Series, *, file: str | None, column: str) -> None:
    """Refuse case ids that look like personnummer or samordningsnummer.

    Raises
    ------
    JourneyFileError
        Saying how many case ids look personal (never which), and asking for
        pseudonymous ids.
    """
    candidates = cases.filter(cases.str.contains(_PNR_PATTERN))
    personal = sum(1 for v in candidates.to_list() if is_personal_id(v))
    if personal:
        raise JourneyFileError(
            f"{personal:,} case id(s) look like Swedish personnummer or samordningsnummer "
            "(a date, a serial number and a valid check digit); replace them with "
            "pseudonymous ids before population scoring, or, only in a closed environment "
            "that may hold them, pass --allow-personal-ids (allow_personal_ids=True)",
            file=file,
            path=column,
        )


# -- small-cell suppression ----------------------------------------------------------------

#: Smallest number of journeys (and of anything counted) a published cell may hold.
DEFAULT_MIN_COUNT: Final = 5


@attrs.frozen(kw_only=True, slots=True)
class SuppressedCell:
    """One cell left out of a published table, and why.

    ``group`` is the row's key values, ``column`` the count column, ``reason`` one of
    ``primary`` (fewer than ``min_count``: the whole row when its journeys are too few),
    ``secondary`` (it would let a suppressed cell be recomputed from published totals).
    """

    group: tuple[str | None, ...]
    column: str
    reason: str
    detail: str


@attrs.frozen(kw_only=True, slots=True)
class Suppressed:
    """A table fit to publish: suppressed cells are null, and listed with the reason."""

    table: pl.DataFrame
    cells: tuple[SuppressedCell, ...]
    min_count: int


_Cell = tuple[int, str]


def constraints(agg: Aggregates) -> list[tuple[list[_Cell], _Cell]]:
    """The sums a reader can check in ``agg``'s table: (parts, whole) per equation.

    In every row, a histogram's bins add up to its ``_n``. Each handover (and the wait
    it led to) counts in exactly one group whatever the grouping (at the unit, principal
    or pair it arrives at, or in its journey's group), so the handover and wait counts of
    the group rows add up to the ``(all)`` row; when the groups partition the journeys,
    so does every other count column.
    """
    table = agg.table
    rows = list(range(table.height))
    out: list[tuple[list[_Cell], _Cell]] = []
    for r in rows:
        for m in agg.binned:
            out.append(([(r, f"{m}_bin{i}") for i in range(len(SCORE_BINS))], (r, f"{m}_n")))
        out.append(([(r, f"waits_bin{i}") for i in range(len(WAIT_BINS))], (r, "waits_n")))
    total = table.height - 1
    for column in count_columns(agg):
        if agg.partition or column in handover_columns(agg):
            out.append(([(r, column) for r in rows[:-1]], (total, column)))
    return out


def handover_columns(agg: Aggregates) -> list[str]:
    """The count columns that count handovers or waits (each in exactly one group)."""
    return [c for c in count_columns(agg) if c.startswith(("handovers", "waits_"))]


def count_columns(agg: Aggregates) -> list[str]:
    """The additive columns that count journeys, handovers or waits (not sums of values)."""
    return [c for c in agg.additive if not c.endswith(("_sum", "_sumsq")) and c != "events"]


def determined(unknown: set[_Cell], equations: list[tuple[list[_Cell], _Cell]]) -> set[_Cell]:
    """The unknown cells whose value the equations pin down, whatever the others are.

    Exact: each connected set of unknowns is reduced to row echelon form over the
    rationals; an unknown is determined when a reduced row holds it alone.
    """
    rows: list[dict[_Cell, Fraction]] = []
    for parts, whole in equations:
        row: dict[_Cell, Fraction] = {}
        for cell in parts:
            if cell in unknown:
                row[cell] = row.get(cell, Fraction(0)) + 1
        if whole in unknown:
            row[whole] = row.get(whole, Fraction(0)) - 1
        row = {c: v for c, v in row.items() if v}
        if row:
            rows.append(row)
    found: set[_Cell] = set()
    for component in _components(rows):
        found |= _pinned(component)
    return found


def _components(rows: list[dict[_Cell, Fraction]]) -> list[list[dict[_Cell, Fraction]]]:
    parent: dict[_Cell, _Cell] = {}

    def root(c: _Cell) -> _Cell:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for row in rows:
        cells = sorted(row)
        for other in cells[1:]:
            parent[root(other)] = root(cells[0])
    groups: dict[_Cell, list[dict[_Cell, Fraction]]] = {}
    for row in rows:
        groups.setdefault(root(min(row)), []).append(row)
    return [groups[k] for k in sorted(groups)]


def _pinned(rows: list[dict[_Cell, Fraction]]) -> set[_Cell]:
    columns = sorted({c for row in rows for c in row})
    work = [dict(row) for row in rows]
    reduced: list[dict[_Cell, Fraction]] = []
    for col in columns:
        pivot = next((r for r in work if r.get(col)), None)
        if pivot is None:
            continue
        work.remove(pivot)
        scale = pivot[col]
        pivot = {c: v / scale for c, v in pivot.items()}
        for other in [*work, *reduced]:
            factor = other.get(col)
            if factor:
                for c, v in pivot.items():
                    other[c] = other.get(c, Fraction(0)) - factor * v
                    if not other[c]:
                        del other[c]
        reduced.append(pivot)
    return {next(iter(row)) for row in reduced if len(row) == 1}


def suppress(agg: Aggregates, min_count: int = DEFAULT_MIN_COUNT) -> Suppressed:
    """Suppress the cells of ``agg`` that describe fewer than ``min_count`` journeys or things.

    Primary: a row with fewer than ``min_count`` journeys loses every count and sum; in
    the other rows, a count from 1 to ``min_count - 1`` is suppressed. Secondary: while a
    suppressed cell could be recomputed from the published cells and the sums of
    :func:`constraints` (checked exactly, see :func:`determined`), the smallest published
    non-zero count in one of its equations is suppressed too. Sums, means, medians and
    shares built on a suppressed count are left out with it.
    """
    table = agg.table
    counts = count_columns(agg)
    values = {(r, c): v for c in counts for r, v in enumerate(table.get_column(c).to_list())}
    hidden: dict[_Cell, tuple[str, str]] = {}
    journeys = table.get_column("journeys").to_list()
    for r, n in enumerate(journeys):
        if n < min_count:
            for c in counts:
                hidden[(r, c)] = ("primary", f"the group has fewer than {min_count} journeys")
    for cell, v in values.items():
        if cell not in hidden and 0 < v < min_count:
            hidden[cell] = ("primary", f"counts fewer than {min_count}")
    equations = constraints(agg)
    _cover_lone_unknowns(agg, equations, hidden, values)
    while pinned := determined(set(hidden), equations):
        cell = min(pinned)
        partner = _partner(cell, equations, hidden, values)
        if partner is None:  # every cell of its equations is hidden already
            break
        hidden[partner] = ("secondary", _why(agg, cell))
    return _publish(agg, hidden, min_count)


def _cover_lone_unknowns(
    agg: Aggregates,
    equations: list[tuple[list[_Cell], _Cell]],
    hidden: dict[_Cell, tuple[str, str]],
    values: Mapping[_Cell, int],
) -> None:
    """Until no equation has exactly one hidden cell, hide a partner in each that has.

    A cheap first pass: an equation with one unknown gives it away at once. The exact
    check in :func:`suppress` then catches what a combination of equations would reveal.
    """
    changed = True
    while changed:
        changed = False
        for parts, whole in equations:
            members = [*parts, whole]
            lone = [c for c in members if c in hidden]
            if len(lone) != 1:
                continue
            partner = _partner(lone[0], [(parts, whole)], hidden, values)
            if partner is not None:
                hidden[partner] = ("secondary", _why(agg, lone[0]))
                changed = True


def _partner(
    cell: _Cell,
    equations: list[tuple[list[_Cell], _Cell]],
    hidden: Mapping[_Cell, object],
    values: Mapping[_Cell, int],
) -> _Cell | None:
    options: list[tuple[int, int, _Cell]] = []
    for parts, whole in equations:
        members = [*parts, whole]
        if cell not in members:
            continue
        for other in members:
            if other != cell and other not in hidden:
                v = values.get(other, 0)
                options.append((0 if v > 0 else 1, v, other))
    return min(options)[2] if options else None


def _why(agg: Aggregates, cell: _Cell) -> str:
    keys = agg.table.select(agg.keys).row(cell[0])
    label = "/".join(str(k) for k in keys if k is not None)
    return f"protects {cell[1]} of {label}, which could otherwise be recomputed from totals"


def _dependants(agg: Aggregates, column: str) -> list[str]:
    """The sums and derived columns that would reveal ``column``."""
    if column == "journeys":
        per_1000 = [f"{name}_per_1000" for name in DEATHS]
        return ["events", *[f"share_{c}" for c in agg.findings], *per_1000]
    if column in DEATHS:
        return [f"{column}_per_1000"]
    if column.startswith("with_"):
        return [f"share_{column.removeprefix('with_')}"]
    if column in {"handovers", "handovers_cold", "handovers_unknown"}:
        return ["share_cold_or_unknown"]
    if column == "waits_n":
        return ["waits_sum", "waits_sumsq", "waits_mean"]
    if column.startswith("waits_bin"):
        return ["waits_median"]
    for m in agg.measures:
        if column == f"{m}_n":
            return [f"{m}_sum", f"{m}_sumsq", f"{m}_mean"]
        if column.startswith(f"{m}_bin"):
            return [f"{m}_median"]
    return []


def _publish(
    agg: Aggregates, hidden: Mapping[_Cell, tuple[str, str]], min_count: int
) -> Suppressed:
    table = agg.table
    present = set(table.columns)
    by_column: dict[str, set[int]] = {}
    for r, c in hidden:
        for column in (c, *_dependants(agg, c)):
            if column in present:
                by_column.setdefault(column, set()).add(r)
    index = pl.int_range(pl.len())
    published = table.with_columns(
        pl.when(index.is_in(sorted(rows))).then(None).otherwise(pl.col(column)).alias(column)
        for column, rows in by_column.items()
    )
    groups = table.select(agg.keys).rows()
    cells = tuple(
        SuppressedCell(
            group=groups[r],
            column=c,
            reason=reason,
            detail=detail,
        )
        for (r, c), (reason, detail) in sorted(hidden.items())
    )
    return Suppressed(table=published, cells=cells, min_count=min_count)
