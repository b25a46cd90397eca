"""Diagrams and the report: golden DOT, parsed SVG, hostile text, and a missing dot."""

from __future__ import annotations

import datetime as dt
import html
import html.parser
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

import careflow
from careflow.cli import main
from careflow.errors import RenderError
from careflow.gaps import find_gaps
from careflow.io import journey_from_dict
from careflow.labels import LABELS, label
from careflow.render import actor_map, format_for_path, journey_map, profile_chart, render_bytes
from careflow.render.report import report_html
from careflow.scoring import score_journey
from tests.conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
NAMES = ("fragmented", "coordinated", "in_between")
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
SVG_NS = "{http://www.w3.org/2000/svg}"


def _example(name: str) -> careflow.Journey:
    return careflow.load_journey(EXAMPLES / f"{name}.yaml")


def _check_golden(path: Path, text: str) -> None:
    """Compare with the golden file; CAREFLOW_UPDATE_GOLDEN=1 rewrites it on purpose."""
    if os.environ.get("CAREFLOW_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with CAREFLOW_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_journey_map_dot_matches_golden(name: str, lang: str) -> None:
    """The journey map's DOT text for each example is exactly the reviewed golden file."""
    journey = _example(name)
    dot = render_bytes(journey_map(journey, findings=find_gaps(journey), lang=lang), "dot")
    _check_golden(GOLDEN / f"{name}.journey.{lang}.dot", dot.decode("utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_actor_and_profile_dot_match_golden(name: str) -> None:
    """The actor network and the gap profile DOT are stable too."""
    journey = _example(name)
    _check_golden(GOLDEN / f"{name}.actors.dot", actor_map(journey).source)
    _check_golden(GOLDEN / f"{name}.profile.dot", profile_chart(score_journey(journey)).source)


def _svg_text(svg: bytes) -> tuple[ET.Element, str]:
    root = ET.fromstring(svg)  # noqa: S314 - our own dot output, parsed to be checked
    return root, "\n".join("".join(el.itertext()) for el in root.iter(f"{SVG_NS}text"))


@needs_dot
@pytest.mark.parametrize("name", NAMES)
def test_journey_map_svg_shows_every_event_and_finding(name: str) -> None:
    """Parsing the SVG finds a node for every event, its id in the text, and every finding."""
    journey = _example(name)
    findings = find_gaps(journey)
    svg = render_bytes(journey_map(journey, findings=findings, lang="en"), "svg")
    root, text = _svg_text(svg)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    for i, event in enumerate(journey.timeline):
        assert f"e{i}" in ids
        assert event.id in text
    for number, finding in enumerate(findings, start=1):
        assert f"#{number} " in text
        assert finding.text_en[:40] in " ".join(text.split())


@needs_dot
def test_same_input_same_svg_bytes() -> None:
    """Rendering twice gives the same SVG bytes."""
    journey = _example("fragmented")
    first = render_bytes(journey_map(journey, findings=find_gaps(journey)), "svg")
    second = render_bytes(journey_map(journey, findings=find_gaps(journey)), "svg")
    assert first == second


@needs_dot
@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_png_and_pdf(fmt: str, magic: bytes) -> None:
    """PNG and PDF come out with their file signatures."""
    data = render_bytes(actor_map(_example("in_between")), fmt)
    assert data.startswith(magic)


def test_many_journeys_draw_only_the_strongest_links_and_say_so() -> None:
    """A busy meso network keeps its strongest edges and counts the rest in the caption."""
    journeys = [_example(n) for n in NAMES]
    everything = actor_map(journeys, lang="en")
    edges = [line for line in everything.body if " -> " in line]
    assert len(edges) > 3
    assert "strongest" not in everything.source
    pruned = actor_map(journeys, lang="en", max_edges=3)
    kept = [line for line in pruned.body if " -> " in line]
    assert len(kept) == 3
    assert f"showing the 3 strongest of {len(edges)} links" in pruned.source
    assert "3 journeys" in pruned.source
    with pytest.raises(ValueError, match="at least 1"):
        actor_map(journeys, max_edges=0)


def _sixty_events() -> careflow.Journey:
    """The fragmented journey lived again 620 and 1240 days later: 60 events."""
    base = _example("fragmented")
    events, moves = list(base.events), list(base.transitions)
    for copy, days in ((1, 620), (2, 1240)):
        kept = base.events if copy == 1 else base.events[:10]
        ids = {e.id for e in kept}

        shift = dt.timedelta(days=days)
        events += [
            attrs.evolve(
                e,
                id=f"{e.id}-{copy}",
                date=e.date + shift,
                end=None if e.end is None else e.end + shift,
            )
            for e in kept
        ]
        moves += [
            attrs.evolve(
                t, id=f"{t.id}-{copy}", source=f"{t.source}-{copy}", target=f"{t.target}-{copy}"
            )
            for t in base.transitions
            if t.source in ids and t.target in ids
        ]
    return attrs.evolve(base, events=tuple(events), transitions=tuple(moves), observed_until=None)


def _boxes(svg: bytes) -> dict[str, tuple[float, float, float, float]]:
    """The bounding box of each event node's outline in an SVG, by node id."""
    out = {}
    ns = {"svg": "http://www.w3.org/2000/svg"}
    for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):  # noqa: S314 - our own SVG
        if group.get("class") != "node" or not re.fullmatch(r"e\d+", group.get("id", "")):
            continue
        outline = group.find("svg:path", ns)
        assert outline is not None
        nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", outline.get("d", ""))]
        xs, ys = nums[0::2], nums[1::2]
        out[str(group.get("id"))] = (min(xs), min(ys), max(xs), max(ys))
    return out


@needs_dot
def test_sixty_events_render_without_overlap() -> None:
    """At 60 events no two event boxes of the journey map overlap."""
    journey = _sixty_events()
    assert len(journey.events) == 60
    boxes = _boxes(render_bytes(journey_map(journey, findings=find_gaps(journey)), "svg"))
    assert len(boxes) == 60
    items = sorted(boxes.values())
    for i, (ax0, ay0, ax1, ay1) in enumerate(items):
        for bx0, by0, bx1, by1 in items[i + 1 :]:
            if bx0 >= ax1:
                break
            assert by0 >= ay1 or ay0 >= by1, ((ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1))


def test_format_for_path() -> None:
    """The format comes from the suffix; an unknown suffix is a clear error."""
    assert format_for_path("a/b.SVG") == "svg"
    assert format_for_path("x.gv") == "dot"
    with pytest.raises(careflow.CareflowError, match=r"\.jpg"):
        format_for_path("x.jpg")


def test_missing_dot_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without Graphviz's dot, SVG says how to install it; DOT still works."""
    monkeypatch.setenv("PATH", str(tmp_path))
    graph = actor_map(_example("in_between"))
    assert render_bytes(graph, "dot").startswith(b"digraph")
    with pytest.raises(RenderError, match="apt-get install -y graphviz"):
        render_bytes(graph, "svg")
    out = tmp_path / "map.svg"
    result = CliRunner().invoke(main, ["render", str(EXAMPLES / "in_between.yaml"), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "graphviz" in result.output.lower()
    assert not out.exists()


# --- hostile text -------------------------------------------------------------------------

HOSTILE = [
    '"><script>alert(1)</script>',
    '<<B>raw</B>> ]; node [URL="javascript:alert(1)"] {',
    "back\\slash \\N \\G \\L and } { braces",
    "line one\nline two\r\nthree",
    "RTL text עברית والعربية (bidi overrides are refused at load)",
    "emoji 🧨👩‍⚕️ & ampersand &amp; &#x3C;",
    "x" * 3000,
]


def _hostile_journey() -> careflow.Journey:
    h = HOSTILE
    data: dict[str, Any] = {
        "careflow": 1,
        "id": 'j"<x>',
        "title": h[0],
        "description": h[1],
        "person": {"id": "p<1>", "alias": h[2], "needs": ["housing", "substance_use"]},
        "actors": [
            {"id": 'a"1', "name": h[0], "principal": "region", "service": "psychiatric_outpatient"},
            {"id": "a<2>", "name": h[1], "principal": "kommun", "service": "social_services"},
            {"id": "a{3}", "name": h[4], "principal": "informal"},
            {"id": "a\\4", "name": h[5], "principal": "other"},
        ],
        "contacts": [
            {"id": 'c"1', "role": "staff", "name": h[2], "actor": 'a"1'},
            {"id": "c<2>", "role": "coordinator", "name": h[5]},
        ],
        "network": [{"id": "n&1", "relation": "parent", "name": h[4], "consent": True}],
        "plans": [
            {
                "id": "p&lan",
                "kind": "sip",
                "date": "2024-03-01",
                "note": h[3],
                "participants": ["person", "c<2>"],
            },
        ],
        "events": [
            {
                "id": 'e"1',
                "date": "2024-01-01",
                "actor": 'a"1',
                "kind": "rejection",
                "reason_code": "other_condition",
                "reason": h[1],
                "note": h[6],
                "participants": ["person", 'c"1'],
            },
            {
                "id": "e<2>",
                "date": "2024-02-01",
                "actor": "a<2>",
                "kind": "assessment",
                "note": h[3],
                "participants": ["person", "c<2>"],
            },
            {
                "id": "e{3}",
                "date": "2024-04-01",
                "actor": "a{3}",
                "kind": "help_seeking",
                "note": h[4],
            },
            {"id": "e\\4", "date": "2024-08-01", "actor": "a\\4", "kind": "contact", "note": h[5]},
        ],
        "transitions": [
            {
                "id": "t<1>",
                "from": 'e"1',
                "to": "e<2>",
                "warm": False,
                "information": "none",
                "note": h[0],
            },
            {"id": 't"2', "from": "e<2>", "to": "e\\4", "note": h[2]},
        ],
    }
    return journey_from_dict(data)


def _graphs(journey: careflow.Journey) -> list[Any]:
    return [
        journey_map(journey, findings=find_gaps(journey)),
        actor_map(journey),
        profile_chart(score_journey(journey)),
    ]


def test_hostile_text_stays_inside_labels_in_dot() -> None:
    """No user text becomes DOT syntax: no URL, href or stray attribute appears."""
    journey = _hostile_journey()
    for graph in _graphs(journey):
        source = graph.source
        assert 'URL="' not in source
        assert "href" not in source.lower()
        assert "<script>" not in source
        assert "<<B>raw" not in source
        assert all(m == "&" for m in re.findall(r"URL=(.)", source))
        for line in source.splitlines():
            assert "line two" not in line or "line one line two" in line


@needs_dot
def test_hostile_text_renders_to_valid_svg_shown_literally() -> None:
    """Dot accepts the DOT; the SVG parses, holds no script or link, and shows the text."""
    journey = _hostile_journey()
    svg = render_bytes(journey_map(journey, findings=find_gaps(journey)), "svg")
    root, text = _svg_text(svg)
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert "script" not in tags
    assert "a" not in tags
    assert "foreignObject" not in tags
    for el in root.iter():
        for name in el.attrib:
            assert not name.lower().startswith("on")
            assert "href" not in name.lower()
    flat = " ".join(text.split())
    assert '"><script>alert(1)</script>' in flat
    assert 'e"1' in flat
    assert "back\\slash" in flat
    for graph in _graphs(journey)[1:]:
        ET.fromstring(render_bytes(graph, "svg"))  # noqa: S314 - parses: valid XML


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@needs_dot
def test_hostile_text_in_the_html_report_is_shown_literally() -> None:
    """The report holds no script, no link, no handler; the hostile text shows as text."""
    journey = _hostile_journey()
    page = report_html(journey, score_journey(journey), find_gaps(journey), lang="en")
    parser = _Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert "script" not in names
    assert "iframe" not in names
    assert "link" not in names
    for _, attributes in parser.tags:
        for key, value in attributes:
            assert not key.startswith("on")
            assert key not in {"href", "src", "xlink:href"}
            assert "javascript:" not in (value or "")
    text = " ".join(" ".join(parser.text).split())
    assert '"><script>alert(1)</script>' in text
    assert "<<B>raw</B>>" in text


@needs_dot
@pytest.mark.parametrize("name", NAMES)
def test_report_is_self_contained_and_deterministic(name: str) -> None:
    """The report has every part, fetches nothing, and is the same twice."""
    journey = _example(name)
    profile = score_journey(journey)
    findings = find_gaps(journey)
    page = report_html(journey, profile, findings, lang="sv")
    assert page == report_html(journey, profile, findings, lang="sv")
    assert page.count("<svg") == 3
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    for target in profile.targets:
        assert target.target.name_sv in page
    for finding in findings:
        assert finding.text_sv.replace("&", "&amp;")[:30] in page.replace("&#x27;", "'")


def test_every_vocabulary_value_has_both_labels() -> None:
    """No enum member reaches a diagram unlabelled, in Swedish or English."""
    for enum_type, table in LABELS.items():
        assert set(table) == {m.value for m in enum_type}
        for member in enum_type:
            assert label(member, "sv")
            assert label(member, "en")
    with pytest.raises(ValueError, match="lang"):
        label(careflow.EventKind.CONTACT, "de")


# -- death and compulsory care (issue 12) ---------------------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_death_story_journey_map_dot_matches_golden(lang: str) -> None:
    """The journey map of the death and LVM story is exactly the reviewed golden file."""
    journey = _example("lvm_ended")
    dot = render_bytes(journey_map(journey, findings=find_gaps(journey), lang=lang), "dot")
    _check_golden(GOLDEN / f"lvm_ended.journey.{lang}.dot", dot.decode("utf-8"))


def test_a_death_is_drawn_soberly_and_keyed_only_where_there_is_one() -> None:
    """The death's box is black on white with no alarm colour; its legend key only beside it."""
    journey = _example("lvm_ended")
    source = journey_map(journey, findings=find_gaps(journey), lang="sv").source
    (node,) = [line for line in source.splitlines() if "e7 [" in line]
    assert ">Död<" in node
    assert 'COLOR="#1a202c"' in node
    assert "#c53030" not in node
    assert "Överdos · trolig" in node
    ranked = [f.code for f in find_gaps(journey)]
    number = ranked.index("death_after_contact") + 1
    assert re.search(rf"! (#\d+, )*#{number}\b", node), "the death carries its finding's number"
    assert 'COLOR="#000000" BORDER="1"><FONT POINT-SIZE="9">Död</FONT>' in source  # the key
    other = _example("fragmented")
    assert "Död" not in journey_map(other, findings=find_gaps(other), lang="sv").source


def test_compulsory_care_is_drawn_as_a_labelled_band() -> None:
    """The LVM episode is one band from its first to its last day, labelled with the law."""
    journey = _example("lvm_ended")
    source = journey_map(journey, lang="en").source
    assert source.count("id=band") == 1
    (band,) = [line for line in source.splitlines() if "id=band0" in line]
    assert band.strip().startswith("b0s -> b0e")
    assert "LVM 2025-02-03 – 2025-04-14" in band
    assert "Compulsory care" in source
    assert "Compulsory care" not in journey_map(_example("fragmented"), lang="en").source


@needs_dot
def test_report_says_the_death_in_one_line_at_the_top() -> None:
    """One line before the first section names the death, its cause and the finding."""
    journey = _example("lvm_ended")
    findings = find_gaps(journey)
    page = report_html(journey, score_journey(journey), findings, lang="en")
    top = page[: page.index("<h2>")]
    assert top.count('<p class="death">') == 1
    line = top[top.index('<p class="death">') :].split("</p>")[0]
    assert "death on 2025-04-23. The person died (overdose, probable) 6 days after" in line
    assert line.count("overdose") == 1
    alone = report_html(journey, score_journey(journey), [], lang="en")
    assert "death on 2025-04-23 (overdose, probable).</p>" in alone
    other = _example("fragmented")
    body = report_html(other, score_journey(other), find_gaps(other), lang="en")
    assert 'class="death"' not in body.split("</style>")[1]


@needs_dot
def test_report_says_in_words_what_the_overall_rests_on() -> None:
    """The report states how many målbilder the overall rests on, and why it is missing.

    A journey that gives evidence for only a few målbilder (a bare event-log journey) gets
    no overall score, and the report says so in a sentence instead of printing a number.
    """
    full = _example("fragmented")
    profile = score_journey(full)
    page = report_html(full, profile, find_gaps(full), lang="en")
    assert f"rests on {profile.overall_basis} of 10 targets" in page
    sparse = journey_from_dict(
        {
            "id": "bare",
            "person": {"id": "p"},
            "actors": [{"id": "a", "name": "A", "principal": "region"}],
            "events": [{"id": "e1", "date": "2024-01-02", "actor": "a", "kind": "contact"}],
        }
    )
    thin = score_journey(sparse)
    assert thin.overall is None
    page_sv = report_html(sparse, thin, find_gaps(sparse), lang="sv")
    assert f"Totalen bygger på {thin.overall_basis} av 10 målbilder" in page_sv
    assert html.escape(thin.overall_reason_sv or "") in page_sv
