"""Arithmetic of the bulk path done as Python does it, to the last bit, in any chunking.

Polars divides a column of more than one row by a constant through the constant's
reciprocal, which gives another last bit than the quotient for about a third of values,
and a one-row column by the quotient itself. The per-journey code divides; so the bulk
path divides by a column, which polars does row by row, exactly, however the table is
cut into chunks (a part of a log or the whole of it gives the same bits).
"""

from __future__ import annotations

import polars as pl

__all__ = ["days_between", "divided"]

_US_PER_SECOND = 1e6
_SECONDS_PER_DAY = 86_400.0


def divided(value: pl.Expr, by: float) -> pl.Expr:
    """``value / by`` for each row, the quotient Python gives (``value`` finite or null)."""
    return value / (value * 0.0 + by)


def days_between(first: pl.Expr, second: pl.Expr) -> pl.Expr:
    """``(second - first).total_seconds() / 86400`` as Python computes it (microseconds)."""
    seconds = divided((second - first).dt.total_microseconds().cast(pl.Float64), _US_PER_SECOND)
    return divided(seconds, _SECONDS_PER_DAY)
