"""Scoring journeys against target frameworks: indicators, target scores, profiles."""

from careflow.scoring.facts import SERVICE_ADDRESSES, Facts
from careflow.scoring.indicators import INDICATORS, Indicator, IndicatorResult
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
