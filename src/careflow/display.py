"""Rich display in notebooks: journeys, score profiles, findings and comparisons as HTML.

Jupyter (and any front end that honours ``_repr_html_``) shows a
:class:`~careflow.model.Journey` as a short summary with its journey map, a
:class:`~careflow.scoring.Profile` as a compact table with its gap profile, a
:class:`~careflow.gaps.Findings` list as a ranked table and a
:class:`~careflow.compare.Comparison` as a before/after table. The objects call the
functions here; call them yourself for another language or to save the HTML.

The HTML is a fragment (no ``<html>``, no script, no external resource), deterministic,
and every piece of text a person typed is escaped with :func:`html.escape`, as in the
HTML report. Bars are plain ``<div>`` elements with inline styles. Only the journey map
needs Graphviz's ``dot``; without it the journey shows its summary and says so. The
language is ``lang`` when given, else :func:`careflow.i18n.default_lang`.

Examples
--------
>>> import careflow
>>> journey = careflow.Journey(id="j<1>", person=careflow.Person(id="p"))
>>> html_text = journey_html(journey, lang="en", draw=False)
>>> "j&lt;1&gt;" in html_text and "<script" not in html_text
True
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from careflow.errors import CareflowError
from careflow.i18n import count, default_lang, normalize_lang, number

if TYPE_CHECKING:
    from careflow.compare import Comparison
    from careflow.gaps import Finding
    from careflow.model import Journey
    from careflow.scoring import Profile

__all__ = ["comparison_html", "findings_html", "journey_html", "journey_svg", "profile_html"]

_WORDS: Final = {
    "sv": {
        "person": "Person",
        "period": "Period",
        "principal": "Huvudman",
        "overall": "Totalt",
        "target": "Målbild",
        "score": "Poäng",
        "gap": "Gap",
        "gap_profile": "Gapprofil",
        "assessable": "Bedömbara",
        "na": "ej bedömbar",
        "severity": "Allvar",
        "finding": "Fynd",
        "code": "Kod",
        "refs": "Pekar på",
        "none": "Inga fynd.",
        "high": "hög",
        "medium": "medel",
        "low": "låg",
        "before": "Före",
        "after": "Efter",
        "change": "Ändring",
        "resolved": "Lösta fynd",
        "new": "Nya fynd",
        "kept": "Kvarstående fynd",
        "no_dot": "Resekartan kräver Graphviz program dot, som inte är installerat.",
        "map": "Resekarta",
    },
    "en": {
        "person": "Person",
        "period": "Period",
        "principal": "Principal",
        "overall": "Overall",
        "target": "Target",
        "score": "Score",
        "gap": "Gap",
        "gap_profile": "Gap profile",
        "assessable": "Assessable",
        "na": "not assessable",
        "severity": "Severity",
        "finding": "Finding",
        "code": "Code",
        "refs": "Points at",
        "none": "No findings.",
        "high": "high",
        "medium": "medium",
        "low": "low",
        "before": "Before",
        "after": "After",
        "change": "Change",
        "resolved": "Findings resolved",
        "new": "New findings",
        "kept": "Findings kept",
        "no_dot": "The journey map needs Graphviz's dot program, which is not installed.",
        "map": "Journey map",
    },
}

_STYLE: Final = (
    "<style>"
    ".careflow table{border-collapse:collapse;font-size:13px}"
    ".careflow th,.careflow td{padding:2px 8px;text-align:left;vertical-align:top;"
    "border-bottom:1px solid #e2e8f0}"
    ".careflow .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    ".careflow .na{color:#718096;font-style:italic}"
    ".careflow .bar{color:#c53030;font-family:monospace}"
    ".careflow .rest{color:#cbd5e0;font-family:monospace}"
    ".careflow .sev{color:#fff;padding:0 6px;border-radius:3px;font-size:11px}"
    ".careflow .sev-3{background:#c53030}.careflow .sev-2{background:#dd6b20}"
    ".careflow .sev-1{background:#718096}"
    ".careflow .ids{font-family:monospace;font-size:11px;color:#4a5568}"
    "</style>"
)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _lang(lang: str | None) -> str:
    return default_lang() if lang is None else normalize_lang(lang)


def _num(value: float | None, lang: str, *, sign: bool = False) -> str:
    if value is None:
        return f'<span class="na">{_WORDS[lang]["na"]}</span>'
    return number(value, lang, sign=sign)


def _gap_bar(gap: float | None) -> str:
    """A bar of ten blocks, as many dark as the gap (1 = all), dots when not assessable.

    Text, not styled boxes, so it shows wherever the HTML does, even where a viewer
    strips styles (GitHub's notebook preview, an untrusted notebook).
    """
    if gap is None:
        return '<span class="na">··········</span>'
    full = round(max(0.0, min(1.0, gap)) * 10)
    return f'<span class="bar">{"█" * full}</span><span class="rest">{"░" * (10 - full)}</span>'


def _wrap(body: str) -> str:
    return f'<div class="careflow">{_STYLE}{body}</div>'


def journey_svg(journey: Journey, *, lang: str | None = None) -> str | None:
    """The journey map (findings marked) as SVG text, or None when ``dot`` is missing.

    Other failures of ``dot`` (a time-out on a huge journey) raise
    :class:`~careflow.errors.RenderError`.
    """
    from careflow.gaps import find_gaps  # noqa: PLC0415 - the map loads graphviz lazily
    from careflow.render import journey_map, render_bytes  # noqa: PLC0415
    from careflow.render.report import svg_fragment  # noqa: PLC0415

    if shutil.which("dot") is None:
        return None
    code = _lang(lang)
    graph = journey_map(journey, findings=find_gaps(journey), lang=code)
    return svg_fragment(render_bytes(graph, "svg"))


def journey_html(journey: Journey, *, lang: str | None = None, draw: bool = True) -> str:
    """A journey as HTML: who, when, how many of what, and (with ``draw``) its map."""
    from careflow.labels import label  # noqa: PLC0415 - labels are light, but only needed here

    code = _lang(lang)
    w = _WORDS[code]
    person = journey.person.alias or journey.person.id
    start, end = journey.start, journey.end
    period = f"{start:%Y-%m-%d} – {end:%Y-%m-%d}" if start and end else "–"
    counts = ", ".join(
        count(n, noun, code)
        for n, noun in (
            (len(journey.events), "event"),
            (len(journey.actors), "actor"),
            (len(journey.transitions), "transition"),
            (len(journey.contacts), "contact"),
            (len(journey.plans), "plan"),
        )
    )
    by_principal: dict[str, int] = {}
    for event in journey.events:
        name = label(journey.actor_of(event).principal, code)
        by_principal[name] = by_principal.get(name, 0) + 1
    parts = [
        f'<p><b>{_e(journey.title or journey.id)}</b> <span class="ids">{_e(journey.id)}'
        f"</span><br>{w['person']}: {_e(person)} · {w['period']}: {period} · {counts}</p>"
    ]
    if journey.description:
        parts.append(f"<p>{_e(journey.description)}</p>")
    if by_principal:
        parts.append(f'<table><tr><th>{w["principal"]}</th><th class="num">#</th></tr>')
        parts.extend(
            f'<tr><td>{_e(name)}</td><td class="num">{n}</td></tr>'
            for name, n in sorted(by_principal.items())
        )
        parts.append("</table>")
    if draw:
        parts.append(f"<p><b>{w['map']}</b></p>")
        try:
            svg = journey_svg(journey, lang=code)
        except CareflowError as exc:  # shown, not raised: a display must not fail
            parts.append(f'<p class="na">{_e(str(exc))}</p>')
        else:
            parts.append(svg if svg is not None else f'<p class="na">{w["no_dot"]}</p>')
    return _wrap("".join(parts))


def profile_html(profile: Profile, *, lang: str | None = None) -> str:
    """A score profile as a compact table: score, gap bar and assessable indicators."""
    code = _lang(lang)
    w = _WORDS[code]
    framework = profile.framework.name_sv if code == "sv" else profile.framework.name_en
    parts = [
        f"<p><b>{_e(profile.journey)}</b> · {_e(framework)} · {w['overall']}: "
        f"<b>{_num(profile.overall, code)}</b></p>",
        f'<table><tr><th></th><th>{w["target"]}</th><th class="num">{w["score"]}</th>'
        f'<th class="num">{w["gap"]}</th><th>{w["gap_profile"]}</th>'
        f'<th class="num">{w["assessable"]}</th></tr>',
    ]
    for t in profile.targets:
        n_ok = sum(1 for i in t.indicators if i.value is not None)
        parts.append(
            f'<tr><td class="num">{t.target.id}</td><td>{_e(t.target.name(code))}</td>'
            f'<td class="num">{_num(t.score, code)}</td><td class="num">{_num(t.gap, code)}'
            f"</td><td>{_gap_bar(t.gap)}</td>"
            f'<td class="num">{n_ok}/{len(t.indicators)}</td></tr>'
        )
    parts.append("</table>")
    return _wrap("".join(parts))


def _findings_rows(findings: Sequence[Finding], lang: str) -> str:
    w = _WORDS[lang]
    if not findings:
        return f"<p>{w['none']}</p>"
    rows = [
        f'<table><tr><th class="num">#</th><th>{w["severity"]}</th><th>{w["finding"]}</th>'
        f"<th>{w['target']}</th><th>{w['refs']}</th></tr>"
    ]
    for i, finding in enumerate(findings, 1):
        rows.append(
            f'<tr><td class="num">{i}</td><td><span class="sev sev-{int(finding.severity)}">'
            f"{w[finding.severity.label]}</span></td><td>{_e(finding.text(lang))}<br>"
            f'<span class="ids">{_e(finding.code)}</span></td>'
            f"<td>{', '.join(str(t) for t in finding.targets)}</td>"
            f'<td class="ids">{_e(", ".join(finding.refs))}</td></tr>'
        )
    rows.append("</table>")
    return "".join(rows)


def findings_html(findings: Sequence[Finding], *, lang: str | None = None) -> str:
    """Findings as a ranked table: severity, sentence and code, målbilder, refs."""
    code = _lang(lang)
    head = f"<p><b>{count(len(findings), 'finding', code)}</b></p>"
    return _wrap(head + _findings_rows(findings, code))


def comparison_html(comparison: Comparison, *, lang: str | None = None) -> str:
    """A comparison: per-target before, after and change, then the findings that moved."""
    code = _lang(lang)
    w = _WORDS[code]
    parts = [
        f"<p><b>{_e(comparison.as_is.journey)} → {_e(comparison.to_be.journey)}</b></p>",
        f'<table><tr><th></th><th>{w["target"]}</th><th class="num">{w["before"]}</th>'
        f'<th class="num">{w["after"]}</th><th class="num">{w["change"]}</th></tr>',
    ]
    for t in comparison.targets:
        name = t.name_sv if code == "sv" else t.name_en
        parts.append(
            f'<tr><td class="num">{t.id}</td><td>{_e(name)}</td>'
            f'<td class="num">{_num(t.before, code)}</td><td class="num">{_num(t.after, code)}'
            f'</td><td class="num">{_num(t.delta, code, sign=True)}</td></tr>'
        )
    parts.append(
        f"<tr><td></td><td><b>{w['overall']}</b></td>"
        f'<td class="num">{_num(comparison.as_is.overall, code)}</td>'
        f'<td class="num">{_num(comparison.to_be.overall, code)}</td>'
        f'<td class="num">{_num(comparison.overall_delta, code, sign=True)}</td></tr></table>'
    )
    for key, items in (("resolved", comparison.resolved), ("new", comparison.new)):
        parts.append(f"<p><b>{w[key]}</b>: {len(items)}</p>")
        if items:
            parts.append(_findings_rows(items, code))
    return _wrap("".join(parts))
