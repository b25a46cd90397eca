"""The gap profile: each target's score against the goal (1.0), the gap visible at a glance.

Drawn as one Graphviz node holding an HTML-like table (a bar chart made of table cells),
so it goes through the same DOT → SVG/PNG/PDF path as the other diagrams and stays
byte-for-byte deterministic. One profile gives one bar per target; two or more are
overlaid as bars side by side (e.g. today's journey and a proposed one), each in its own
colour, with a legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import graphviz

from careflow.render._text import cell
from careflow.scoring import Profile

__all__ = ["BAR_WIDTH", "SERIES_COLOURS", "profile_chart"]

#: Width of a full bar (score 1.0) in points.
BAR_WIDTH: Final = 240
#: Bar colours for the first, second, ... profile; the gap is drawn in a pale red.
SERIES_COLOURS: Final = ("#2b6cb0", "#2f855a", "#805ad5", "#b7791f")
_GAP_COLOUR: Final = "#fed7d7"
_NA_COLOUR: Final = "#e2e8f0"
_FONT: Final = "Helvetica"
_MAX_NAME: Final = 70

_WORDS: Final = {
    "sv": {
        "title": "Gapprofil",
        "na": "ej bedömbar",
        "overall": "Totalt",
        "goal": "målet = 1,0; rött = gapet",
    },
    "en": {
        "title": "Gap profile",
        "na": "not assessable",
        "overall": "Overall",
        "goal": "goal = 1.0; red = the gap",
    },
}


def _esc(text: str, limit: int = _MAX_NAME) -> str:
    return cell(text, limit)


def _number(value: float, lang: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang == "sv" else text


def _bar(value: float | None, colour: str, lang: str) -> str:
    if value is None:
        return (
            f'<TD WIDTH="{BAR_WIDTH}" HEIGHT="14" FIXEDSIZE="TRUE" BGCOLOR="{_NA_COLOUR}">'
            f'<FONT POINT-SIZE="9">{_WORDS[lang]["na"]}</FONT></TD><TD></TD>'
        )
    filled = round(value * BAR_WIDTH)
    cells = []
    if filled > 0:
        cells.append(f'<TD WIDTH="{filled}" HEIGHT="14" FIXEDSIZE="TRUE" BGCOLOR="{colour}"></TD>')
    if filled < BAR_WIDTH:
        cells.append(
            f'<TD WIDTH="{BAR_WIDTH - filled}" HEIGHT="14" FIXEDSIZE="TRUE" '
            f'BGCOLOR="{_GAP_COLOUR}"></TD>'
        )
    inner = "".join(cells)
    bar = (
        f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{inner}</TR></TABLE>'
    )
    return f'<TD WIDTH="{BAR_WIDTH}">{bar}</TD><TD ALIGN="RIGHT">{_number(value, lang)}</TD>'


def profile_chart(
    profiles: Profile | Sequence[Profile],
    *,
    lang: str = "sv",
    series: Sequence[str] | None = None,
) -> graphviz.Digraph:
    """Build the gap-profile chart of one profile, or several overlaid.

    Parameters
    ----------
    profiles
        One profile, or several scored against the same framework (compared target by
        target, in the framework's order).
    lang
        "sv" or "en": target names and words.
    series
        Names for the profiles in the legend (default: their journey ids).

    Returns
    -------
    graphviz.Digraph
        Render it with :func:`careflow.render.render_bytes`.
    """
    if lang not in _WORDS:
        raise ValueError(f"lang must be 'sv' or 'en', not {lang!r}")
    items = [profiles] if isinstance(profiles, Profile) else list(profiles)
    if not items:
        raise ValueError("profile_chart needs at least one profile")
    names = list(series) if series is not None else [p.journey for p in items]
    words = _WORDS[lang]
    framework = items[0].framework
    title = f"{words['title']}: {framework.name_sv if lang == 'sv' else framework.name_en}"
    rows = [
        f'<TR><TD COLSPAN="4" ALIGN="LEFT"><B>{_esc(title, 100)}</B></TD></TR>',
        f'<TR><TD COLSPAN="4" ALIGN="LEFT"><FONT POINT-SIZE="9">{words["goal"]}</FONT></TD></TR>',
    ]
    if len(items) > 1:
        legend = "".join(
            f'<FONT COLOR="{SERIES_COLOURS[i % len(SERIES_COLOURS)]}">■</FONT> {_esc(n, 40)}  '
            for i, n in enumerate(names)
        )
        rows.append(f'<TR><TD COLSPAN="4" ALIGN="LEFT">{legend}</TD></TR>')
    for index, target in enumerate(framework.targets):
        name = _esc(f"{target.id}. {target.name(lang)}")
        for i, profile in enumerate(items):
            score = profile.targets[index].score if index < len(profile.targets) else None
            colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            label = f'<TD ALIGN="LEFT" ROWSPAN="{len(items)}">{name}</TD>' if i == 0 else ""
            rows.append(f"<TR>{label}{_bar(score, colour, lang)}</TR>")
    for i, profile in enumerate(items):
        label = (
            f'<TD ALIGN="LEFT" ROWSPAN="{len(items)}"><B>{words["overall"]}</B></TD>'
            if i == 0
            else ""
        )
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        rows.append(f"<TR>{label}{_bar(profile.overall, colour, lang)}</TR>")
    table = (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">'
        + "".join(rows)
        + "</TABLE>"
    )
    graph = graphviz.Digraph(name="gap_profile")
    graph.attr(charset="UTF-8", fontname=_FONT, bgcolor="white", pad="0.2")
    graph.attr("node", shape="plain", fontname=_FONT, fontsize="11")
    graph.node("profile", label=f"<{table}>")
    return graph
