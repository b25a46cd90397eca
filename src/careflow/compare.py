"""Compare today's journey (as-is) with a proposed one (to-be): what would change.

Scores are compared target by target. Findings are matched by their ``code`` (the kind
of problem), since the two journeys have their own ids: a code found fewer times in the
proposed journey counts as resolved that many times, one found more often as new.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs

from careflow.gaps import Finding, find_gaps, findings_to_dicts
from careflow.model import Journey
from careflow.scoring import Profile, score_journey
from careflow.targets import Framework

__all__ = ["Comparison", "TargetChange", "compare_journeys"]


@attrs.frozen(kw_only=True, slots=True)
class TargetChange:
    """One target's score before and after."""

    id: int
    name_sv: str
    name_en: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        """After − before, or ``None`` when either is not assessable."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@attrs.frozen(kw_only=True, slots=True)
class Comparison:
    """What a proposed journey changes against today's."""

    as_is: Profile
    to_be: Profile
    targets: tuple[TargetChange, ...]
    resolved: tuple[Finding, ...]
    new: tuple[Finding, ...]
    kept: tuple[Finding, ...]

    @property
    def overall_delta(self) -> float | None:
        """Change of the overall score, or ``None`` when either is not assessable."""
        if self.as_is.overall is None or self.to_be.overall is None:
            return None
        return self.to_be.overall - self.as_is.overall

    def _repr_html_(self) -> str:
        """In a notebook: before, after and change per target, and the findings that moved."""
        from careflow.display import comparison_html  # noqa: PLC0415 - only when shown

        return comparison_html(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: per-target change, and the findings resolved, new and kept."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "schema_version": "1.0",
            "as_is": self.as_is.journey,
            "to_be": self.to_be.journey,
            "overall": {
                "before": r(self.as_is.overall),
                "after": r(self.to_be.overall),
                "delta": r(self.overall_delta),
            },
            "targets": [
                {
                    "id": t.id,
                    "name_sv": t.name_sv,
                    "name_en": t.name_en,
                    "before": r(t.before),
                    "after": r(t.after),
                    "delta": r(t.delta),
                }
                for t in self.targets
            ],
            "findings": {
                "resolved": findings_to_dicts(self.resolved),
                "new": findings_to_dicts(self.new),
                "kept": findings_to_dicts(self.kept),
            },
        }


def _diff(
    before: list[Finding], after: list[Finding]
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    remaining = Counter(f.code for f in after)
    resolved, kept = [], []
    for finding in before:
        if remaining[finding.code] > 0:
            remaining[finding.code] -= 1
            kept.append(finding)
        else:
            resolved.append(finding)
    matched = Counter(f.code for f in before)
    new = []
    for finding in after:
        if matched[finding.code] > 0:
            matched[finding.code] -= 1
        else:
            new.append(finding)
    return resolved, new, kept


def compare_journeys(
    as_is: Journey, to_be: Journey, framework: Framework | None = None
) -> Comparison:
    """Score and find gaps in both journeys and say what the proposal changes."""
    before, after = score_journey(as_is, framework), score_journey(to_be, framework)
    changes = tuple(
        TargetChange(
            id=b.target.id,
            name_sv=b.target.name_sv,
            name_en=b.target.name_en,
            before=b.score,
            after=a.score,
        )
        for b, a in zip(before.targets, after.targets, strict=True)
    )
    resolved, new, kept = _diff(find_gaps(as_is), find_gaps(to_be))
    return Comparison(
        as_is=before,
        to_be=after,
        targets=changes,
        resolved=tuple(resolved),
        new=tuple(new),
        kept=tuple(kept),
    )
