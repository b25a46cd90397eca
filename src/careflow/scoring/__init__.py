"""Scoring journeys against target frameworks: indicators, target scores, profiles.

The facts and the indicators load at once; the profile (:mod:`careflow.scoring.profile`,
which caps scores by the gap findings of :mod:`careflow.gaps`) loads on first use, so
:mod:`careflow.gaps` can build on the indicators' thresholds without an import cycle.
Every lazily loaded name is also imported under ``TYPE_CHECKING`` for type checkers.
"""

from typing import TYPE_CHECKING

from careflow.scoring.facts import SERVICE_ADDRESSES, Facts
from careflow.scoring.indicators import INDICATORS, Indicator, IndicatorResult

if TYPE_CHECKING:
    from careflow.scoring.profile import (
        SCHEMA_VERSION,
        Profile,
        ScoredIndicator,
        TargetScore,
        profile_schema,
        score_journey,
        score_journeys,
        weighted_mean,
    )

if not TYPE_CHECKING:  # a type checker sees the imports above, never this fallback

    def __getattr__(name: str) -> object:
        """Load the profile's names on first use (the others are loaded at once)."""
        if name not in __all__:
            raise AttributeError(f"module 'careflow.scoring' has no attribute {name!r}")
        import importlib  # noqa: PLC0415 - only when a lazy name is first used

        value = getattr(importlib.import_module("careflow.scoring.profile"), name)
        globals()[name] = value
        return value


__all__ = [
    "INDICATORS",
    "SCHEMA_VERSION",
    "SERVICE_ADDRESSES",
    "Facts",
    "Indicator",
    "IndicatorResult",
    "Profile",
    "ScoredIndicator",
    "TargetScore",
    "profile_schema",
    "score_journey",
    "score_journeys",
    "weighted_mean",
]


def __dir__() -> list[str]:
    """The public names, the lazy ones included."""
    return sorted(__all__)
