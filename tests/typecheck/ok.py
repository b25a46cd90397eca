"""A user's script: every public name used as documented must pass ``mypy --strict``.

Nothing here runs at import; tests/test_public_api.py checks this file with mypy.
"""

from __future__ import annotations

import datetime as dt

import careflow


def build_and_score() -> tuple[float | None, list[str], str, int, bool]:
    """Build a journey in code, score it, and read its findings, all typed."""
    journey = careflow.Journey(
        id="j1",
        person=careflow.Person(id="p1"),
        actors=[careflow.Actor(id="psy", name="Psykiatrin", principal=careflow.Principal.REGION)],
        events=[
            careflow.Event(
                id="e1", date=dt.date(2024, 1, 1), actor="psy", kind=careflow.EventKind.REJECTION
            )
        ],
    )
    profile: careflow.Profile = careflow.score_journey(journey)
    findings: careflow.Findings = careflow.find_gaps(journey)
    first: careflow.Finding | None = findings[0] if findings else None
    severity: careflow.Severity | None = first.severity if first else None
    framework: careflow.Framework = careflow.builtin_framework("malbilder")
    target: careflow.Target = framework.targets[0]
    comparison: careflow.Comparison = careflow.compare_journeys(journey, journey, framework)
    graph = careflow.render.journey_map(journey, findings=findings, lang="en")
    html: str = careflow.display.profile_html(profile, lang="en")
    schema: dict[str, object] = careflow.contracts.output_schema("gaps")
    codes = [f.code for f in findings]
    label = "none" if severity is None else severity.label
    drawn = graph is not None and bool(html) and bool(comparison.targets) and bool(schema)
    return profile.overall, codes, label, target.id, drawn
