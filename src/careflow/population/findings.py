"""Bulk counts of findings per case, each beside the detector of :mod:`careflow.gaps` it mirrors.

:data:`BULK_FINDINGS` maps a finding code to the detector and to an expression counting
that code's findings in a case's sorted events (same thresholds, :class:`Thresholds`
defaults). Codes whose detector reads what an event log cannot hold (reasons, contact
persons, plans, needs, network, the warmth of a handover) count 0 per journey and in bulk.
:data:`FINDINGS_NOT_IN_BULK` lists the codes without a bulk count, with the reason.
``tests/test_population.py`` checks the counts against :func:`careflow.gaps.find_gaps`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import attrs
import polars as pl

from careflow import gaps
from careflow.model import EventKind
from careflow.scoring.facts import APPOINTMENT_KINDS

__all__ = ["BULK_FINDINGS", "FINDINGS_NOT_IN_BULK", "BulkFinding"]

_TH: Final = gaps.Thresholds()
_US_PER_DAY: Final = 86_400_000_000


@attrs.frozen(kw_only=True, slots=True)
class BulkFinding:
    """A finding code's bulk count: the detector it mirrors and a per-case count."""

    code: str
    detector: gaps.Detector
    count: Callable[[], pl.Expr]


def _bare() -> pl.Expr:
    return (pl.col("kind") == EventKind.CONTACT.value).all()


def _days_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """Days between two timestamps as ``timedelta.total_seconds() / 86400`` gives them."""
    return (later - earlier).dt.total_microseconds().cast(pl.Float64) / 1e6 / 86_400.0


def _long_wait() -> pl.Expr:
    appointment = pl.col("kind").is_in(sorted(k.value for k in APPOINTMENT_KINDS))
    wait = _days_between(pl.col("ts"), pl.col("ts").shift(1))
    hits = (pl.col("handover") & appointment & (wait > _TH.wait_days)).sum()
    return pl.when(_bare()).then(0).otherwise(hits)


def _no_contact_after_discharge() -> pl.Expr:
    discharge = pl.col("kind") == EventKind.DISCHARGE.value
    days = _days_between(pl.col("next_ts"), pl.col("ts"))
    return (discharge & pl.col("next_ts").is_not_null() & (days > _TH.follow_up_days)).sum()


def _dropped_out() -> pl.Expr:
    drop = pl.col("kind") == EventKind.DROP_OUT.value
    days = _days_between(pl.col("next_ts"), pl.col("ts"))
    return (drop & (pl.col("next_ts").is_null() | (days > _TH.drop_out_days))).sum()


def _no_sip() -> pl.Expr:
    boundary = pl.col("principal").is_in(["region", "kommun"])
    first_region = pl.col("ts").filter(pl.col("principal") == "region").first()
    first_kommun = pl.col("ts").filter(pl.col("principal") == "kommun").first()
    both = pl.max_horizontal(first_region, first_kommun)
    until = pl.col("ts").filter(boundary).last()
    overlap = _days_between(until, both)
    fires = first_region.is_not_null() & first_kommun.is_not_null() & ~_bare()
    return (fires & (overlap >= _TH.sip_after_days)).cast(pl.UInt32)


def _zero() -> pl.Expr:
    return pl.lit(0, dtype=pl.UInt32)


def _entry(
    code: str, detector: gaps.Detector, count: Callable[[], pl.Expr]
) -> tuple[str, BulkFinding]:
    return code, BulkFinding(code=code, detector=detector, count=count)


#: Finding codes with a bulk count, in the order of :data:`careflow.gaps.DETECTORS`.
BULK_FINDINGS: Final[dict[str, BulkFinding]] = dict(
    (
        _entry("sober_first", gaps.sober_first, _zero),
        _entry("no_sip", gaps.no_sip, _no_sip),
        _entry("late_sip", gaps.no_sip, _zero),
        _entry("no_coordinator", gaps.no_coordinator, _zero),
        _entry("cold_handover", gaps.cold_handovers, _zero),
        _entry("sanction", gaps.sanctions, _zero),
        _entry("no_contact_after_discharge", gaps.discharge_gaps, _no_contact_after_discharge),
        _entry("long_wait", gaps.long_waits, _long_wait),
        _entry("long_contact_gap", gaps.long_contact_gaps, _zero),
        _entry("dropped_out", gaps.drop_outs, _dropped_out),
        _entry("unaddressed_need", gaps.unaddressed_needs, _zero),
        _entry("network_not_involved", gaps.network_left_out, _zero),
        _entry("network_consent_unknown", gaps.network_left_out, _zero),
    )
)

#: Finding codes without a bulk count, with the reason.
FINDINGS_NOT_IN_BULK: Final[dict[str, str]] = {
    "ping_pong": "the referral-loop chain (careflow.graph.loops) has no verified bulk form yet",
    "rejection_without_referral": (
        "compares event dates of mixed date and datetime type; no verified bulk form yet"
    ),
}


def finding_event_columns() -> list[pl.Expr]:
    """Per-event columns the finding counts read (besides those of the indicators)."""
    next_ts = pl.col("ts").shift(-1).over("case")
    return [
        pl.when(next_ts > pl.col("ts"))
        .then(next_ts)
        .otherwise(None)
        .backward_fill()
        .over("case")
        .alias("next_ts"),
    ]
