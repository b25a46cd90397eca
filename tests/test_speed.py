"""Scoring stays cheap: shared work is done once per journey (counted, never timed).

``bench/bench_score.py`` measures the speed; these tests guard the structure that makes
it: one build of the shared per-journey facts and one loop search however many
indicators and detectors ask, and a high-finding cap that runs only the detectors that
can raise a high finding yet caps exactly as the full ranking of findings does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

import careflow
from careflow import _per_journey, gaps, graph
from careflow.gaps import DETECTORS, HIGH_DETECTORS, Severity, Thresholds, find_gaps
from careflow.scoring import score_journey
from tests.conftest import EXAMPLES, ROOT
from tests.strategies import border_journeys, journeys

STORIES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
FILES = [p for p in STORIES if not p.name.endswith(".expect.yaml")] + sorted(
    EXAMPLES.glob("*.yaml")
)


def _high(journey: careflow.Journey) -> list[tuple[str, tuple[int, ...], tuple[str, ...]]]:
    """The high findings of the full ranking, as (code, targets, refs)."""
    return [(f.code, f.targets, f.refs) for f in find_gaps(journey) if f.severity is Severity.HIGH]


def _high_only(journey: careflow.Journey) -> list[tuple[str, tuple[int, ...], tuple[str, ...]]]:
    """The high findings when only :data:`HIGH_DETECTORS` run, as (code, targets, refs)."""
    return [
        (f.code, f.targets, f.refs)
        for f in find_gaps(journey, detectors=HIGH_DETECTORS)
        if f.severity is Severity.HIGH
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda p: Path(p).stem)
def test_shared_facts_are_built_once_per_scored_journey(path: Path) -> None:
    """Scoring builds the shared facts once; its findings afterwards build none anew."""
    journey = careflow.load_journey(path)
    before = _per_journey.builds()
    score_journey(journey)
    assert _per_journey.builds() == before + 1
    find_gaps(journey)
    assert _per_journey.builds() == before + 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: Path(p).stem)
def test_loops_are_searched_once_per_scored_journey(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ping-pong indicator and detector share one loop search of the journey."""
    calls: list[str] = []
    search = graph._loops

    def counted(journey: careflow.Journey) -> list[graph.Loop]:
        calls.append(journey.id)
        return search(journey)

    monkeypatch.setattr(graph, "_loops", counted)
    journey = careflow.load_journey(path)
    score_journey(journey)
    find_gaps(journey)
    assert len(calls) <= 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: Path(p).stem)
def test_high_detectors_give_the_high_findings_in_rank_order_for_stories(path: Path) -> None:
    """For every story and example, the cap's detectors give the full high ranking."""
    journey = careflow.load_journey(path)
    assert _high_only(journey) == _high(journey)


@settings(max_examples=80)
@given(journeys() | border_journeys())
def test_high_detectors_give_the_high_findings_in_rank_order(journey: careflow.Journey) -> None:
    """Over generated journeys, the cap's detectors give exactly the full high ranking."""
    assert _high_only(journey) == _high(journey)


@settings(max_examples=80)
@given(journeys() | border_journeys())
def test_detectors_left_out_of_the_cap_never_raise_a_high_finding(
    journey: careflow.Journey,
) -> None:
    """The detectors the cap skips raise medium and low findings only.

    Of ``cold_handovers`` the cap runs the part at region-kommun crossings, which holds
    all its high findings.
    """
    th = Thresholds()
    for detector in DETECTORS:
        if detector in HIGH_DETECTORS:
            continue
        found = detector(journey, th)
        if detector is gaps.cold_handovers:
            part = gaps._cold_crossing_handovers(journey, th)
            assert part == found[: len(part)]
            found = found[len(part) :]
        assert all(f.severity is not Severity.HIGH for f in found), detector.__name__
