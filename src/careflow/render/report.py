"""One self-contained HTML page that an analyst mails to a unit leader.

It holds the journey map, the gap profile, the scores with their explanations, and the
ranked findings.

The page fetches nothing: styles are inline, diagrams are inline SVG, there is no script.
Every piece of user text is escaped with :func:`html.escape`. The page holds no time
stamp, so the same journey gives the same bytes. Like everything in :mod:`careflow.render`
it returns text and writes no file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Final

from careflow.__about__ import __version__
from careflow.gaps import Finding, Severity
from careflow.i18n import count
from careflow.labels import label
from careflow.model import Journey
from careflow.render.actor_map import actor_map
from careflow.render.journey_map import journey_map
from careflow.render.output import render_bytes
from careflow.render.profile_chart import profile_chart
from careflow.scoring import Profile

__all__ = ["report_html", "svg_fragment"]

_CSS: Final = """
body{font-family:Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1200px;color:#1a202c;
line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;
border-bottom:2px solid #e2e8f0;padding-bottom:.2rem}
.meta{color:#4a5568}.figure{overflow-x:auto;border:1px solid #e2e8f0;padding:.5rem;
background:#fff}.figure svg{max-width:none;height:auto}
table.scores{border-collapse:collapse;width:100%}table.scores td,table.scores th{
border-bottom:1px solid #edf2f7;padding:.3rem .5rem;vertical-align:top;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.na{color:#718096;font-style:italic}.ind td{font-size:.9rem;color:#2d3748}
.sev{display:inline-block;min-width:4.5rem;padding:0 .4rem;border-radius:.25rem;
color:#fff;font-size:.8rem;text-align:center}.sev-3{background:#c53030}.sev-2{background:#dd6b20}
.sev-1{background:#718096}.ids{font-family:monospace;font-size:.85rem;color:#4a5568}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #e2e8f0;border-radius:.4rem;
padding:.6rem 1rem;min-width:9rem}.card b{font-size:1.4rem;display:block}
footer{margin-top:3rem;color:#718096;font-size:.8rem}
.death{border-left:4px solid #1a202c;padding:.3rem .8rem;font-weight:bold}
"""

_WORDS: Final = {
    "sv": {
        "title": "Rapport: vårdförlopp och gap mot målbilderna",
        "person": "Person (pseudonym)",
        "period": "Period",
        "overall": "Totalt",
        "findings": "Fynd",
        "high": "hög",
        "medium": "medel",
        "low": "låg",
        "profile": "Gapprofil",
        "scores": "Poäng och förklaringar",
        "target": "Målbild",
        "score": "Poäng",
        "gap": "Gap",
        "indicator": "Indikator",
        "value": "Värde",
        "why": "Förklaring",
        "evidence": "Belägg",
        "na": "ej bedömbar",
        "map": "Resekarta",
        "actors": "Aktörsnätverk",
        "none": "Inga fynd.",
        "raised": "höjde",
        "lowered": "sänkte",
        "footer": "Skapad av careflow {version}. Sidan hämtar ingenting från nätet.",
        "death": "Resan slutade med att personen dog {date}",
    },
    "en": {
        "title": "Report: care journey and gaps against the target images",
        "person": "Person (pseudonym)",
        "period": "Period",
        "overall": "Overall",
        "findings": "Findings",
        "high": "high",
        "medium": "medium",
        "low": "low",
        "profile": "Gap profile",
        "scores": "Scores and explanations",
        "target": "Target",
        "score": "Score",
        "gap": "Gap",
        "indicator": "Indicator",
        "value": "Value",
        "why": "Explanation",
        "evidence": "Evidence",
        "na": "not assessable",
        "map": "Journey map",
        "actors": "Actor network",
        "none": "No findings.",
        "raised": "raised",
        "lowered": "lowered",
        "footer": "Made by careflow {version}. This page fetches nothing from the network.",
        "death": "The journey ended in the person's death on {date}",
    },
}

_SEVERITY_WORD: Final = {Severity.HIGH: "high", Severity.MEDIUM: "medium", Severity.LOW: "low"}
_PROLOGUE: Final = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


def svg_fragment(svg: bytes) -> str:
    """An SVG document from Graphviz as a fragment to place inline in HTML.

    The XML declaration, DOCTYPE and leading comments are dropped; the rest is kept
    as Graphviz wrote it (its text is already escaped for XML).
    """
    text = svg.decode("utf-8")
    return _PROLOGUE.sub("", text, count=1).strip()


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _num(value: float | None, lang: str) -> str:
    if value is None:
        return f'<span class="na">{_WORDS[lang]["na"]}</span>'
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang == "sv" else text


def _weight(weight: float, lang: str) -> str:
    text = f"{weight:g}"
    return text.replace(".", ",") if lang == "sv" else text


def _basis_sentence(profile: Profile, lang: str) -> str:
    """How many målbilder the overall score rests on, and why it is not given if it is not."""
    n, of = profile.overall_basis, len(profile.targets)
    if lang == "sv":
        text = f"Totalen bygger på {n} av {of} målbilder som gick att bedöma."
        reason = profile.overall_reason_sv
    else:
        text = f"The overall score rests on {n} of {of} targets that could be assessed."
        reason = profile.overall_reason_en
    return text if reason is None else f"{text} {reason}"


def _death_line(journey: Journey, findings: Sequence[Finding], lang: str) -> str:
    """One line at the top when the journey ends in a death (issue 12), else ``""``.

    The date, then the ``death_after_contact`` finding's sentence when there is one (it
    names the cause), else the cause and its certainty when known.
    """
    death = journey.death
    if death is None:
        return ""
    text = _WORDS[lang]["death"].format(date=f"{death.date:%Y-%m-%d}")
    after = next((f for f in findings if f.code == "death_after_contact"), None)
    if after is not None:
        text += ". " + after.text(lang)  # the finding names the cause itself
    else:
        if death.cause is not None:
            cause = label(death.cause, lang).lower()
            if death.certainty is not None:
                cause += f", {label(death.certainty, lang)}"
            text += f" ({cause})"
        text += "."
    return f'<p class="death">{_e(text)}</p>'


def report_html(
    journey: Journey,
    profile: Profile,
    findings: Sequence[Finding],
    *,
    lang: str = "sv",
) -> str:
    """The whole report page as HTML text (UTF-8, self-contained, deterministic).

    Needs Graphviz's ``dot`` for the diagrams (:class:`~careflow.errors.RenderError`
    without it).
    """
    if lang not in _WORDS:
        raise ValueError(f"lang must be 'sv' or 'en', not {lang!r}")
    w = _WORDS[lang]
    profile_svg = svg_fragment(render_bytes(profile_chart(profile, lang=lang), "svg"))
    map_svg = svg_fragment(render_bytes(journey_map(journey, findings=findings, lang=lang), "svg"))
    actors_svg = svg_fragment(render_bytes(actor_map(journey, lang=lang), "svg"))
    title = journey.title or journey.id
    start, end = journey.start, journey.end
    period = f"{start:%Y-%m-%d} – {end:%Y-%m-%d}" if start and end else "–"
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    person = journey.person.alias or journey.person.id

    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{_e(w['title'])}: {_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(w["title"])} · {_e(w["person"])}: {_e(person)} · '
        f"{_e(w['period'])}: {period} · {count(len(journey.events), 'event', lang)}</p>",
    ]
    death_line = _death_line(journey, findings, lang)
    if death_line:
        parts.append(death_line)
    if journey.description:
        parts.append(f"<p>{_e(journey.description)}</p>")
    parts.append('<div class="cards">')
    parts.append(f'<div class="card">{w["overall"]}<b>{_num(profile.overall, lang)}</b></div>')
    for severity in (Severity.HIGH, Severity.MEDIUM, Severity.LOW):
        word = w[_SEVERITY_WORD[severity]]
        parts.append(f'<div class="card">{w["findings"]} ({word})<b>{counts[severity]}</b></div>')
    parts.append("</div>")
    parts.append(f"<p>{_e(_basis_sentence(profile, lang))}</p>")

    parts.append(f'<h2>{w["profile"]}</h2><div class="figure">{profile_svg}</div>')

    parts.append(f"<h2>{w['findings']}</h2>")
    if findings:
        parts.append("<ol>")
        for finding in findings:
            sev = int(finding.severity)
            targets = ", ".join(str(t) for t in finding.targets)
            parts.append(
                f'<li><span class="sev sev-{sev}">{w[_SEVERITY_WORD[finding.severity]]}</span> '
                f'{_e(finding.text(lang))} <span class="ids">[{_e(finding.code)}; '
                f"{w['target'].lower()} {targets}; {_e(', '.join(finding.refs))}]</span></li>"
            )
        parts.append("</ol>")
    else:
        parts.append(f"<p>{w['none']}</p>")

    parts.append(f'<h2>{w["scores"]}</h2><table class="scores">')
    parts.append(
        f'<tr><th>{w["target"]}</th><th class="num">{w["score"]}</th>'
        f'<th class="num">{w["gap"]}</th><th>{w["why"]}</th></tr>'
    )
    for score in profile.targets:
        parts.append(
            f"<tr><td><b>{score.target.id}. {_e(score.target.name(lang))}</b></td>"
            f'<td class="num"><b>{_num(score.score, lang)}</b></td>'
            f'<td class="num">{_num(score.gap, lang)}</td><td></td></tr>'
        )
        for ind in score.indicators:
            name = ind.name_sv if lang == "sv" else ind.name_en
            evidence = []
            if ind.result.raised:
                evidence.append(f"{w['raised']}: {', '.join(ind.result.raised)}")
            if ind.result.lowered:
                evidence.append(f"{w['lowered']}: {', '.join(ind.result.lowered)}")
            ev = f'<br><span class="ids">{_e("; ".join(evidence))}</span>' if evidence else ""
            parts.append(
                f'<tr class="ind"><td>&nbsp;&nbsp;{_e(name)} <span class="ids">({_e(ind.id)}, '
                f"×{_weight(ind.weight, lang)})</span></td>"
                f'<td class="num">{_num(ind.value, lang)}</td><td></td>'
                f"<td>{_e(ind.result.explanation(lang))}{ev}</td></tr>"
            )
    parts.append("</table>")

    parts.append(f'<h2>{w["map"]}</h2><div class="figure">{map_svg}</div>')
    parts.append(f'<h2>{w["actors"]}</h2><div class="figure">{actors_svg}</div>')
    parts.append(f"<footer>{_e(w['footer'].format(version=__version__))}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
