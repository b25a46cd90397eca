"""Rich display in notebooks: journeys, profiles, findings and comparisons as escaped HTML."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import careflow
from careflow.display import (
    comparison_html,
    findings_html,
    journey_html,
    journey_svg,
    profile_html,
)
from careflow.errors import RenderError
from careflow.gaps import Findings, find_gaps
from careflow.scoring import score_journey
from tests.conftest import EXAMPLES
from tests.test_render import HOSTILE, _hostile_journey, _Tags, needs_dot


def _example(name: str) -> careflow.Journey:
    return careflow.load_journey(EXAMPLES / f"{name}.yaml")


def _check_safe(fragment: str) -> str:
    """Parse the fragment, check it runs and fetches nothing, and return its text."""
    parser = _Tags()
    parser.feed(fragment)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "iframe", "link", "img", "object", "embed", "html", "body"}
    for _, attributes in parser.tags:
        for key, value in attributes:
            assert not key.startswith("on")
            assert key not in {"href", "src", "xlink:href"}
            assert "javascript:" not in (value or "")
    assert "http://" not in fragment.replace("http://www.w3.org", "")
    assert "https://" not in fragment
    return " ".join(" ".join(parser.text).split())


def test_hostile_text_in_every_display_is_escaped_and_shown_literally() -> None:
    """Journey, profile, findings and comparison HTML escape what people typed."""
    journey = _hostile_journey()
    text = _check_safe(journey_html(journey, lang="en", draw=False))
    assert HOSTILE[0] in text  # the title, shown as text, not as markup
    assert "<<B>raw</B>> ]" in text  # the description
    profile = score_journey(journey)
    _check_safe(profile_html(profile, lang="en"))
    findings = find_gaps(journey)
    assert findings, "the hostile journey has a rejection, so it has findings"
    text = _check_safe(findings_html(findings, lang="en"))
    assert 'e"1' in text
    comparison = careflow.compare_journeys(journey, _example("coordinated"))
    text = _check_safe(comparison_html(comparison, lang="en"))
    assert 'j"<x> → coordinated' in text


@needs_dot
def test_journey_displays_its_map_and_a_summary() -> None:
    """In a notebook a journey is its summary plus the journey map as inline SVG."""
    journey = _example("fragmented")
    fragment = journey._repr_html_()
    assert fragment.count("<svg") == 1
    assert "<?xml" not in fragment
    assert "<!DOCTYPE" not in fragment
    text = _check_safe(journey_html(journey, lang="sv"))
    assert f"{len(journey.events)} händelser" in text
    assert f"{len(journey.actors)} aktörer" in text
    hostile = journey_svg(_hostile_journey(), lang="en")
    assert hostile is not None
    assert "<script" not in hostile


def test_journey_without_dot_shows_its_summary_and_says_why_no_map(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With no dot on PATH the display still works and says the map needs Graphviz."""
    monkeypatch.setenv("PATH", str(tmp_path))
    journey = _example("coordinated")
    assert journey_svg(journey) is None
    fragment = journey_html(journey, lang="en")
    assert "<svg" not in fragment
    assert "needs Graphviz's dot" in fragment
    assert journey.id in fragment


def test_a_failing_dot_shows_its_message_instead_of_the_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When dot fails (here: a time-out), the journey still displays and says why."""
    import shutil

    def fail(graph: object, fmt: str) -> bytes:
        raise RenderError("Graphviz's dot took over 60 s to draw SVG <huge>")

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr("careflow.render.render_bytes", fail)
    fragment = journey_html(_example("coordinated"), lang="en")
    assert "took over 60 s to draw SVG &lt;huge&gt;" in fragment
    assert "<svg" not in fragment


@pytest.mark.parametrize("name", ["fragmented", "coordinated", "in_between"])
def test_profile_table_has_every_target_with_local_decimals(name: str) -> None:
    """A profile shows each target's name, score and gap bar; sv uses a decimal comma."""
    profile = score_journey(_example(name))
    sv = profile_html(profile, lang="sv")
    en = profile_html(profile, lang="en")
    assert sv == profile_html(profile, lang="sv")  # deterministic
    for target in profile.targets:
        assert target.target.name_sv in sv
        assert target.target.name_en in en
        if target.score is not None:
            assert f"{target.score:.2f}".replace(".", ",") in sv
            assert f"{target.score:.2f}" in en
    bars = re.findall(r'<span class="bar">(█*)</span><span class="rest">(░*)</span>', en)
    expected = [round(t.gap * 10) for t in profile.targets if t.gap is not None]
    assert [len(full) for full, _ in bars] == expected
    assert all(len(full) + len(rest) == 10 for full, rest in bars)
    assert not re.search(r">\d+\.\d\d<", sv), "a Swedish table shows no decimal point"


def test_findings_are_a_list_that_displays_as_a_ranked_table() -> None:
    """find_gaps returns a Findings list: list-compatible, rows in rank order."""
    journey = _example("fragmented")
    findings = find_gaps(journey)
    assert isinstance(findings, Findings)
    assert isinstance(findings, list)
    assert findings == list(findings)
    assert findings[:2] == [findings[0], findings[1]]
    assert findings.to_dicts() == [f.to_dict() for f in findings]
    fragment = findings_html(findings, lang="en")
    assert findings._repr_html_() == findings_html(findings)  # the notebook's display
    rows = re.findall(r'<tr><td class="num">(\d+)</td>', fragment)
    assert rows == [str(i) for i in range(1, len(findings) + 1)]
    codes = re.findall(r'<br><span class="ids">([^<]*)</span>', fragment)
    assert codes == [f.code for f in findings]
    assert f"{len(findings)} findings" in fragment
    assert "No findings." in findings_html(Findings(), lang="en")
    assert "0 fynd" in findings_html(Findings(), lang="sv")


def test_comparison_shows_change_per_target_and_moved_findings() -> None:
    """A comparison shows before, after and signed change, and the findings resolved."""
    comparison = careflow.compare_journeys(_example("fragmented"), _example("coordinated"))
    en = comparison_html(comparison, lang="en")
    sv = comparison_html(comparison, lang="sv")
    assert comparison._repr_html_() == comparison_html(comparison)
    for change in comparison.targets:
        assert change.name_en in en
        if change.delta is not None:
            assert f"{change.delta:+.2f}" in en
            assert f"{change.delta:+.2f}".replace(".", ",") in sv
    assert f"Findings resolved</b>: {len(comparison.resolved)}" in en
    for finding in comparison.resolved:
        assert finding.code in en


def test_display_language_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without lang, the display speaks CAREFLOW_LANG, else the locale's language."""
    profile = score_journey(_example("coordinated"))
    monkeypatch.delenv("CAREFLOW_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    assert "Målbild" in profile._repr_html_()
    monkeypatch.setenv("CAREFLOW_LANG", "EN")
    assert "Target" in profile._repr_html_()
    with pytest.raises(ValueError, match="sv or en"):
        profile_html(profile, lang="de")


def test_showing_a_journey_does_not_load_graphviz_until_displayed() -> None:
    """Importing careflow (and careflow.model) loads no graphviz; displaying does."""
    code = (
        "import sys, careflow; "
        "print(','.join(m for m in ('networkx', 'graphviz', 'click') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
