"""Combine indicators into target scores and a profile, and the profile's JSON contract.

This module sits above :mod:`careflow.gaps`: a target's score is capped while a
high-severity finding is tied to it, and the findings are built from the same shared
judgements (:mod:`careflow.scoring.rules`) and thresholds (:mod:`careflow.scoring.indicators`)
as the indicators. :mod:`careflow.gaps` never imports this module, and ``careflow.scoring``
loads it only when one of its names is first used, so the imports form no cycle.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

import attrs

from careflow.errors import FrameworkError
from careflow.gaps import HIGH_DETECTORS, Severity, find_gaps
from careflow.model import Journey
from careflow.scoring.facts import Facts
from careflow.scoring.indicators import INDICATORS, Indicator, IndicatorResult
from careflow.targets import Framework, Target, builtin_framework

__all__ = [
    "SCHEMA_VERSION",
    "Profile",
    "ScoredIndicator",
    "TargetScore",
    "profile_schema",
    "score_journey",
    "score_journeys",
]

#: Version of the profile JSON contract. Additions bump the minor, changes the major.
SCHEMA_VERSION: Final = "1.1"
_DIGITS: Final = 4
#: The most a target scores while a high-severity finding is tied to it: a målbild with
#: an open serious problem is at best half met, whatever its other indicators say.
HIGH_FINDING_CAP: Final = 0.5


@attrs.frozen(kw_only=True, slots=True)
class ScoredIndicator:
    """An indicator result as used by one target, with its weight."""

    result: IndicatorResult
    weight: float
    name_sv: str
    name_en: str

    @property
    def id(self) -> str:
        """The indicator's id."""
        return self.result.id

    @property
    def value(self) -> float | None:
        """The indicator's value, or ``None`` when not assessable."""
        return self.result.value


@attrs.frozen(kw_only=True, slots=True)
class TargetScore:
    """How close the journey comes to one target: the weighted mean of its indicators.

    ``capped_by`` lists the codes of the high-severity findings tied to the target; while
    there is one, the score is at most :data:`HIGH_FINDING_CAP`.
    """

    target: Target
    score: float | None
    indicators: tuple[ScoredIndicator, ...]
    capped_by: tuple[str, ...] = ()

    @property
    def gap(self) -> float | None:
        """1 − score, or ``None`` when not assessable."""
        return None if self.score is None else 1.0 - self.score

    @property
    def assessable(self) -> bool:
        """Whether any of the target's indicators was assessable."""
        return self.score is not None


@attrs.frozen(kw_only=True, slots=True)
class Profile:
    """A journey scored against a framework: one :class:`TargetScore` per target.

    ``overall`` is the mean of the assessable target scores, ``overall_basis`` how many
    targets it rests on; it is ``None``, with the reason in ``overall_reason_sv`` and
    ``overall_reason_en``, when fewer than half of the targets are assessable.
    """

    journey: str
    framework: Framework
    targets: tuple[TargetScore, ...]
    overall: float | None
    overall_basis: int = 0
    overall_reason_sv: str | None = None
    overall_reason_en: str | None = None

    def target(self, target_id: int) -> TargetScore:
        """The score of the target with this id."""
        for score in self.targets:
            if score.target.id == target_id:
                return score
        raise KeyError(target_id)

    def to_dict(self) -> dict[str, Any]:
        """The profile as JSON-ready data, per the documented contract (docs/json.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "journey": self.journey,
            "framework": {
                "id": self.framework.id,
                "name_sv": self.framework.name_sv,
                "name_en": self.framework.name_en,
            },
            "overall": _round(self.overall),
            "overall_basis": {"assessable": self.overall_basis, "targets": len(self.targets)},
            "overall_reason": self.overall_reason_en,
            "overall_reason_sv": self.overall_reason_sv,
            "targets": [_target_dict(t) for t in self.targets],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The profile as JSON text (deterministic: same profile, same bytes)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """In IPython's plain text: one line, not every indicator (``repr`` is unchanged)."""
        overall = "not assessable" if self.overall is None else f"{self.overall:.2f}"
        printer.text(f"<Profile {self.journey!r} ({self.framework.id}): overall {overall}>")

    def _repr_html_(self) -> str:
        """In a notebook: a table of scores with the gap profile (see :mod:`careflow.display`)."""
        from careflow.display import profile_html  # noqa: PLC0415 - only when shown

        return profile_html(self)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def _target_dict(score: TargetScore) -> dict[str, Any]:
    t = score.target
    return {
        "id": t.id,
        "key": t.key,
        "name_sv": t.name_sv,
        "name_en": t.name_en,
        "score": _round(score.score),
        "gap": _round(score.gap),
        "indicators": [
            {
                "id": s.id,
                "name_sv": s.name_sv,
                "name_en": s.name_en,
                "weight": s.weight,
                "value": _round(s.value),
                "reason": None if s.result.assessable else s.result.explanation_en,
                "reason_sv": None if s.result.assessable else s.result.explanation_sv,
                "explanation_sv": s.result.explanation_sv,
                "explanation_en": s.result.explanation_en,
                "evidence": {
                    "raised": list(s.result.raised),
                    "lowered": list(s.result.lowered),
                    "failed": list(s.result.failed),
                },
            }
            for s in score.indicators
        ],
        "capped_by": list(score.capped_by),
    }


_Plan = list[tuple[Target, list[tuple[Indicator, float]]]]
_LAST_PLAN: list[tuple[Framework, _Plan]] = []


def _plan(framework: Framework) -> _Plan:
    """The framework resolved to indicator functions, checked once and kept for the next call.

    Scoring many journeys against one framework then checks and resolves it once.
    """
    if _LAST_PLAN and _LAST_PLAN[0][0] is framework:
        return _LAST_PLAN[0][1]
    _check_framework(framework)
    plan = [
        (target, [(INDICATORS[ref.id], ref.weight) for ref in target.indicators])
        for target in framework.targets
    ]
    _LAST_PLAN[:] = [(framework, plan)]
    return plan


def _check_framework(framework: Framework) -> None:
    unknown = sorted(framework.indicator_ids() - INDICATORS.keys())
    if unknown:
        raise FrameworkError(
            f"framework {framework.id!r} uses indicators careflow does not know: "
            f"{', '.join(unknown)}; known are: {', '.join(INDICATORS)}"
        )


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """The weighted mean of the values that are not ``None``, or ``None`` if all are.

    Examples
    --------
    >>> weighted_mean([(1.0, 2), (None, 5), (0.0, 1)])
    0.6666666666666666
    >>> weighted_mean([(None, 1)]) is None
    True
    """
    total = weight_sum = 0.0
    for value, weight in pairs:
        if value is not None:
            total += value * weight
            weight_sum += weight
    return total / weight_sum if weight_sum else None


def score_journey(journey: Journey, framework: Framework | None = None) -> Profile:
    """Score ``journey`` against ``framework`` (default: the ten målbilder).

    Each indicator is computed once, even when several targets use it. A target's score
    is the weighted mean of its assessable indicators, or ``None`` when none is, and at
    most :data:`HIGH_FINDING_CAP` while a high-severity gap finding
    (:func:`careflow.gaps.find_gaps`) is tied to it, so a score never contradicts a
    finding. The overall score is the plain mean of the assessable targets, or ``None``
    when fewer than half of them are assessable.

    Raises
    ------
    TypeError
        ``journey`` is not a :class:`~careflow.model.Journey` or ``framework`` is neither
        ``None`` nor a :class:`~careflow.targets.Framework` (a programming error, so not a
        :class:`~careflow.errors.CareflowError`).
    FrameworkError
        The framework uses indicators careflow does not know.
    """
    if not isinstance(journey, Journey):
        raise TypeError(f"score_journey expects a careflow Journey, not {type(journey).__name__}")
    if framework is not None and not isinstance(framework, Framework):
        raise TypeError(
            f"score_journey expects a careflow Framework or None, not {type(framework).__name__}"
        )
    framework = framework or _default()
    plan = _plan(framework)
    facts = Facts(journey)
    serious: dict[int, list[str]] = {}
    # only the detectors that can raise a high finding: the others cannot cap a score
    for finding in find_gaps(journey, detectors=HIGH_DETECTORS):
        if finding.severity is Severity.HIGH:
            for target_id in finding.targets:
                codes = serious.setdefault(target_id, [])
                if finding.code not in codes:
                    codes.append(finding.code)
    cache: dict[str, IndicatorResult] = {}
    targets = []
    overall_sum, overall_n = 0.0, 0
    for target, refs in plan:
        scored = []
        total = weight_sum = 0.0
        for ind, weight in refs:
            result = cache.get(ind.id)
            if result is None:
                result = cache[ind.id] = ind.function(facts)
            scored.append(
                ScoredIndicator(
                    result=result, weight=weight, name_sv=ind.name_sv, name_en=ind.name_en
                )
            )
            if result.value is not None:
                total += result.value * weight
                weight_sum += weight
        score = total / weight_sum if weight_sum else None
        capped_by = tuple(serious.get(target.id, ()))
        if score is not None and capped_by:
            score = min(score, HIGH_FINDING_CAP)
        if score is not None:
            overall_sum += score
            overall_n += 1
        targets.append(
            TargetScore(target=target, score=score, indicators=tuple(scored), capped_by=capped_by)
        )
    n = len(targets)
    overall: float | None = overall_sum / overall_n if overall_n else None
    reason_sv = reason_en = None
    if 2 * overall_n < n:
        overall = None
        reason_sv = (
            f"Bara {overall_n} av {n} målbilder går att bedöma; totalen kräver minst hälften."
        )
        reason_en = f"Only {overall_n} of {n} targets are assessable; the overall needs half."
    return Profile(
        journey=journey.id,
        framework=framework,
        targets=tuple(targets),
        overall=overall,
        overall_basis=overall_n,
        overall_reason_sv=reason_sv,
        overall_reason_en=reason_en,
    )


def score_journeys(
    journeys: Iterable[Journey], framework: Framework | None = None
) -> Iterable[Profile]:
    """Score many journeys lazily, checking the framework once."""
    framework = framework or _default()
    _check_framework(framework)
    for journey in journeys:
        yield score_journey(journey, framework)


_DEFAULT: list[Framework] = []


def _default() -> Framework:
    if not _DEFAULT:
        _DEFAULT.append(builtin_framework())
    return _DEFAULT[0]


def profile_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a profile as :meth:`Profile.to_dict` writes it.

    Like every output schema it allows keys it does not name: output may gain keys in a
    minor version, and consumers ignore keys they do not know (docs/json.md).
    """
    number = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
    text = {"type": "string"}
    indicator = {
        "type": "object",
        "required": [
            "id",
            "value",
            "reason",
            "evidence",
            "weight",
            "explanation_sv",
            "explanation_en",
        ],
        "properties": {
            "id": text,
            "name_sv": text,
            "name_en": text,
            "weight": {"type": "number", "exclusiveMinimum": 0},
            "value": number,
            "reason": {"type": ["string", "null"], "description": "Why not assessable (English)."},
            "reason_sv": {
                "type": ["string", "null"],
                "description": "Why not assessable (Swedish).",
            },
            "explanation_sv": text,
            "explanation_en": text,
            "evidence": {
                "type": "object",
                "required": ["raised", "lowered"],
                "properties": {
                    "raised": {"type": "array", "items": text},
                    "lowered": {"type": "array", "items": text},
                    "failed": {
                        "type": "array",
                        "items": text,
                        "description": "Ids judged failing outright: those the matching "
                        "gap finding cites.",
                    },
                },
            },
        },
    }
    target = {
        "type": "object",
        "required": ["id", "name_sv", "name_en", "score", "gap", "indicators"],
        "properties": {
            "id": {"type": "integer"},
            "key": text,
            "name_sv": text,
            "name_en": text,
            "score": number,
            "gap": number,
            "indicators": {"type": "array", "items": indicator},
            "capped_by": {
                "type": "array",
                "items": text,
                "description": "Codes of the high-severity findings tied to the target; "
                f"while any is open the score is at most {HIGH_FINDING_CAP}.",
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://careflow.invalid/schema/profile-1.json",
        "title": "careflow profile",
        "type": "object",
        "required": ["schema_version", "journey", "overall", "targets"],
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "journey": text,
            "framework": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": text, "name_sv": text, "name_en": text},
            },
            "overall": number,
            "overall_basis": {
                "type": "object",
                "required": ["assessable", "targets"],
                "properties": {
                    "assessable": {"type": "integer", "minimum": 0},
                    "targets": {"type": "integer", "minimum": 0},
                },
                "description": "How many targets the overall rests on, of how many.",
            },
            "overall_reason": {
                "type": ["string", "null"],
                "description": "Why the overall is not given (English); null when it is.",
            },
            "overall_reason_sv": {"type": ["string", "null"]},
            "targets": {"type": "array", "items": target},
        },
    }
