"""Per-case window expressions over events sorted by case, without regrouping.

The events table is sorted by case, with ``pos`` the event's place in its case (0 at
its first event). A value "within the case" is then a global pass (a shift, a running
sum, a fill) that stops at a case's first or last event: what ``.over("case")`` gives,
without regrouping every row (a non-aggregating window over a log of millions of rows
is tens of times slower). A fill that may find nothing in its case stops at a sentinel
put on the case's last event, which then reads as null.
"""

from __future__ import annotations

import polars as pl

__all__ = ["cum_sum_in_case", "last_in_case", "next_in_case", "next_where"]


def last_in_case() -> pl.Expr:
    """The event is its case's last (the next row starts another case, or there is none)."""
    return (pl.col("pos").shift(-1) == 0).fill_null(True)


def next_in_case(x: pl.Expr) -> pl.Expr:
    """``x`` of the case's next event (null at its last): ``x.shift(-1).over("case")``."""
    return pl.when(last_in_case()).then(None).otherwise(x.shift(-1))


def cum_sum_in_case(flag: pl.Expr) -> pl.Expr:
    """The running count of ``flag`` within the case: ``flag.cum_sum().over("case")``."""
    total = flag.cast(pl.UInt32).cum_sum()
    before = pl.when(pl.col("pos") == 0).then(total - flag.cast(pl.UInt32)).forward_fill()
    return total - before


def next_where(
    flag: pl.Expr, value: pl.Expr, sentinel: pl.Expr, *, last: pl.Expr | None = None
) -> pl.Expr:
    """``value`` at the case's next event at or after this one where ``flag`` holds.

    Null when there is none. ``sentinel`` is a value ``value`` never takes; ``last`` is a
    precomputed :func:`last_in_case` column, if there is one.
    """
    end = last_in_case() if last is None else last
    filled = pl.when(flag).then(value).when(end).then(sentinel).backward_fill()
    return pl.when(filled == sentinel).then(None).otherwise(filled)
