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

__all__ = ["BULK_FINDINGS", "FINDINGS_NOT_IN_BULK", "HIGH_FINDING_TARGETS", "BulkFinding"]


@attrs.frozen(kw_only=True, slots=True)
class BulkFinding:
    """A finding code's bulk count: the detector it mirrors and a per-case count."""

    code: str
    detector: gaps.Detector
    count: Callable[[], pl.Expr]


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
        _entry("late_sip", gaps.no_sip, _zero),
        _entry("no_coordinator", gaps.no_coordinator, _zero),
        _entry("cold_handover", gaps.cold_handovers, _zero),
        _entry("sanction", gaps.sanctions, _zero),
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
    "no_sip": (
        "issue 7 and 12 changed the rule (closed journeys, deaths); the old bulk count no "
        "longer matches"
    ),
    "no_contact_after_discharge": (
        "issue 7 added planned follow-ups and issue 12 deaths; the old bulk count no longer matches"
    ),
    "long_contact_gap": "issue 7 changed the rule; the old bulk count (always 0) no longer matches",
    "dropped_out": "issue 7 and 12 changed the rule; the old bulk count no longer matches",
    "unaddressed_need": (
        "issue 7 reads known needs (diagnoses) the bulk reader does not carry; no bulk form yet"
    ),
    "other_condition": "issue 7's rejection-as-move rules have no verified bulk form yet",
    "long_wait": (
        "issue 7 types a return to an earlier unit as no request; the bulk count does not "
        "know returns yet"
    ),
    "closed_before_opened": "new in issue 7; no verified bulk form yet",
    "death_after_contact": "new in issue 12; no verified bulk form yet",
    "compulsory_care_ended": "new in issue 12; no verified bulk form yet",
}

#: The målbilder a finding of each code may be tied to with high severity (read from
#: :mod:`careflow.gaps`). :func:`careflow.scoring.score_journey` caps such a målbild at
#: :data:`careflow.scoring.profile.HIGH_FINDING_CAP`; the bulk path has no per-finding
#: severity, so it does not score these målbilder.
HIGH_FINDING_TARGETS: Final[dict[str, tuple[int, ...]]] = {
    "cold_handover": (4,),
    "ping_pong": (5, 4),
    "sober_first": (5,),
    "sanction": (5, 8),
    "no_sip": (4,),
    "no_coordinator": (9, 4),
    "long_wait": (2,),
    "no_contact_after_discharge": (4,),
    "closed_before_opened": (4, 9),
    "unaddressed_need": (3, 5, 8, 4),
    "death_after_contact": (4,),
    "compulsory_care_ended": (4, 9),
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
