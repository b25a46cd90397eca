"""The population report and the population actor network, from published aggregates only.

:func:`population_report` writes one self-contained HTML page in the style of the journey
report (:mod:`careflow.render.report`): inline styles, inline SVG, no script, nothing
fetched, every piece of text escaped, no time stamp (the same tables give the same bytes),
Swedish or English words and a decimal comma in Swedish. Its sections: the målbild
profile of the whole population, the boundary heatmaps (handover volume and the share
cold or unknown per unit pair), the distribution of each målbild per group (small
multiples), the trend per period, the most common findings per unit, and the population
actor network (:func:`population_network`, drawn by Graphviz).

Both read only :class:`careflow.population.report.ReportTables` (published, suppressed
tables): a suppressed cell shows as ``–``, never as its value, and no case id is ever in
them. This module does not import polars; the tables carry it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import graphviz

from careflow.__about__ import __version__
from careflow.i18n import number
from careflow.labels import check_lang
from careflow.model import Principal
from careflow.render._text import cell
from careflow.render.actor_map import network_digraph
from careflow.render.output import render_bytes
from careflow.render.report import svg_fragment
from careflow.render.theme import FONT, LANE_OF, LANES, QUALITY

if TYPE_CHECKING:
    from careflow.population.report import Published, ReportTables

__all__ = ["MAX_EDGES", "MAX_PANELS", "population_network", "population_report"]

#: Most groups drawn as small multiples (the ones with most journeys; the page says so).
MAX_PANELS: Final = 24
#: Most handover pairs drawn in the population network (the largest; the caption says so).
MAX_EDGES: Final = 60
#: Most units in a heatmap axis (those in most handover pairs).
MAX_UNITS: Final = 40
_DASH: Final = "–"
_BINS: Final = 10
_LABEL: Final = 34
_SERIES: Final = ("#2b6cb0", "#2f855a", "#805ad5", "#b7791f", "#c53030", "#319795", "#d53f8c")

_CSS: Final = """
body{font-family:Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1200px;color:#1a202c;
line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;
border-bottom:2px solid #e2e8f0;padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
.meta{color:#4a5568}.figure{overflow-x:auto;border:1px solid #e2e8f0;padding:.5rem;
background:#fff}.figure svg{max-width:none;height:auto}
table.t{border-collapse:collapse}table.t td,table.t th{border-bottom:1px solid #edf2f7;
padding:.25rem .5rem;vertical-align:middle;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.na{color:#718096;font-style:italic}.ids{font-family:monospace;font-size:.85rem;color:#4a5568}
.sup{color:#c53030;font-weight:bold}.note{border-left:4px solid #dd6b20;padding:.3rem .8rem;
background:#fffaf0}.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #e2e8f0;
border-radius:.4rem;padding:.6rem 1rem;min-width:9rem}.card b{font-size:1.4rem;display:block}
.panels{display:flex;flex-wrap:wrap;gap:.4rem}
footer{margin-top:3rem;color:#718096;font-size:.8rem}
"""

_WORDS: Final = {
    "sv": {
        "title": "Populationsrapport: vårdförlopp mot målbilderna",
        "journeys": "Förlopp",
        "groupings": "Grupperingar",
        "min_count": "Minsta antal",
        "framework": "Målbilder",
        "privacy": "Integritet",
        "privacy_text": (
            "Sidan visar bara publicerade aggregat, aldrig ett enskilt förlopp eller ett "
            "ärende-id. Varje gruppering ({groupings}) undertrycktes för sig med minsta "
            "antal {k}: celler med färre än {k} förlopp eller händelser, och celler som "
            "annars skulle gå att räkna fram ur summorna, visas som {dash}. En cell i "
            "raden för hela populationen visas bara om ingen gruppering undertryckte den, "
            "och överlämningar visas bara per par av enheter. Flera grupperingar av samma "
            "population kan ändå tillsammans säga mer än var och en; publicera inte "
            "korstabeller av dem utöver denna sida."
        ),
        "suppressed_count": "{n} celler undertryckta i grupperingen {by}",
        "legend_sup": "{dash} = undertryckt (färre än {k}, eller skulle avslöja en sådan cell)",
        "legend_na": "ej bedömbar = inget förlopp gick att bedöma",
        "profile": "Målbildsprofil för hela populationen",
        "target": "Målbild",
        "n": "Bedömbara",
        "mean": "Medel",
        "median": "Median",
        "distribution": "Fördelning (0–1)",
        "overall": "Totalt",
        "na": "ej bedömbar",
        "not_bulk": "ej bedömbar i bulk",
        "heatmap": "Gränser: överlämningar mellan enheter",
        "heat_volume": "Antal överlämningar (från rad till kolumn)",
        "heat_cold": "Andel kalla eller okända överlämningar",
        "heat_note": (
            "Enheterna står i ordning efter huvudman. En händelselogg anger varken värme "
            "eller information, så varje överlämning ur en logg räknas som okänd."
        ),
        "from": "från",
        "to": "till",
        "multiples": "Fördelning per grupp: {by}",
        "panels_shown": "Visar de {n} grupperna med flest förlopp av {m}.",
        "no_binned": "Ingen målbild gick att bedöma i bulk för någon grupp.",
        "trend": "Trend per period ({period})",
        "period": "Period",
        "findings": "Vanligaste fynden per enhet",
        "unit": "Enhet",
        "top": "Vanligaste fynden (andel förlopp)",
        "no_findings": "inga publicerade fynd",
        "network": "Aktörsnätverk för populationen",
        "not_computed": "Inte beräknat i bulk",
        "column": "Kolumn",
        "why": "Varför",
        "month": "månad",
        "quarter": "kvartal",
        "year": "år",
        "footer": "Skapad av careflow {version}. Sidan hämtar ingenting från nätet.",
        "all": "hela populationen",
    },
    "en": {
        "title": "Population report: care journeys against the target images",
        "journeys": "Journeys",
        "groupings": "Groupings",
        "min_count": "Minimum count",
        "framework": "Targets",
        "privacy": "Privacy",
        "privacy_text": (
            "This page shows only published aggregates, never a single journey or a case "
            "id. Each grouping ({groupings}) was suppressed on its own with minimum count "
            "{k}: cells with fewer than {k} journeys or events, and cells that could "
            "otherwise be recomputed from the totals, show as {dash}. A cell of the row "
            "for the whole population is shown only when no grouping suppressed it, and "
            "handovers are shown only per pair of units. Several groupings of one "
            "population may still together tell more than each alone; do not publish "
            "cross-tabulations of them beyond this page."
        ),
        "suppressed_count": "{n} cells suppressed in the grouping {by}",
        "legend_sup": "{dash} = suppressed (fewer than {k}, or would reveal such a cell)",
        "legend_na": "not assessable = no journey could be assessed",
        "profile": "Target profile of the whole population",
        "target": "Target",
        "n": "Assessable",
        "mean": "Mean",
        "median": "Median",
        "distribution": "Distribution (0–1)",
        "overall": "Overall",
        "na": "not assessable",
        "not_bulk": "not assessable in bulk",
        "heatmap": "Boundaries: handovers between units",
        "heat_volume": "Number of handovers (from row to column)",
        "heat_cold": "Share of handovers cold or unknown",
        "heat_note": (
            "Units are ordered by principal. An event log records neither warmth nor "
            "information, so every handover from a log counts as unknown."
        ),
        "from": "from",
        "to": "to",
        "multiples": "Distribution per group: {by}",
        "panels_shown": "Showing the {n} groups with most journeys of {m}.",
        "no_binned": "No target could be assessed in bulk for any group.",
        "trend": "Trend per period ({period})",
        "period": "Period",
        "findings": "Most common findings per unit",
        "unit": "Unit",
        "top": "Most common findings (share of journeys)",
        "no_findings": "no published findings",
        "network": "Actor network of the population",
        "not_computed": "Not computed in bulk",
        "column": "Column",
        "why": "Why",
        "month": "month",
        "quarter": "quarter",
        "year": "year",
        "footer": "Made by careflow {version}. This page fetches nothing from the network.",
        "all": "the whole population",
    },
}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _int(value: int, lang: str) -> str:
    """A count with thousands separated: ``1 234`` in Swedish, ``1,234`` in English."""
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if lang == "sv" else text


def _compact(value: int, lang: str) -> str:
    """A count in at most four characters: ``987``, ``1,2k`` (Swedish) or ``1.2k``, ``12k``."""
    if value < 1000:
        return str(value)
    if value < 10000:
        return number(value / 1000, lang, digits=1) + "k"
    return f"{value / 1000:.0f}k"


def _short(text: str) -> str:
    """``text`` cut to :data:`_LABEL` characters, with an ellipsis when cut."""
    return text if len(text) <= _LABEL else text[: _LABEL - 1] + "…"


def _pct(value: float, lang: str) -> str:
    text = f"{100 * value:.0f}"
    return f"{text}\u00a0%" if lang == "sv" else f"{text}%"


def _f(x: float) -> str:
    """A coordinate for SVG: two decimals, so the bytes do not depend on float noise."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _mix(lo: str, hi: str, t: float) -> str:
    """The colour ``t`` (0..1) of the way from ``lo`` to ``hi`` (``#rrggbb``)."""
    t = min(1.0, max(0.0, t))
    a = [int(lo[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(hi[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def _svg(width: float, height: float, body: Sequence[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" font-family="{FONT}">'
        f"<title>{_e(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, text: str, *, size: float = 10, anchor: str = "start", **kw: str
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in sorted(kw.items()))
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" text-anchor="{anchor}"{extra}>'
        f"{_e(text)}</text>"
    )


def _rect(  # noqa: PLR0917 - the four numbers of a rectangle, and its fill
    x: float, y: float, w: float, h: float, fill: str, tip: str | None = None
) -> str:
    body = f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(h)}" fill="{fill}"'
    if tip is None:
        return body + "/>"
    return body + f"><title>{_e(tip)}</title></rect>"


def _measure_name(column: str, tables: ReportTables, lang: str) -> str:
    if column == "overall":
        return _WORDS[lang]["overall"]
    if column.startswith("target_"):
        tid = column.removeprefix("target_")
        for t in tables.framework.targets:
            if str(t.id) == tid:
                return f"{t.id}. {t.name(lang)}"
    return column


def _histogram(
    row: Mapping[str, Any], m: str, width: float, height: float, colour: str
) -> list[str]:
    """Bars of one histogram scaled to its tallest bin; a suppressed (null) bin is a ``–``."""
    counts = [row.get(f"{m}_bin{i}") for i in range(_BINS)]
    known = [c for c in counts if c is not None]
    top = max(known, default=0) or 1
    step = width / _BINS
    out = [f'<line x1="0" y1="{_f(height)}" x2="{_f(width)}" y2="{_f(height)}" stroke="#a0aec0"/>']
    for i, c in enumerate(counts):
        x = i * step
        lo, hi = i / _BINS, (i + 1) / _BINS
        rng = f"[{lo:.1f}, {hi:.1f}{']' if i == _BINS - 1 else ')'}"
        if c is None:
            out.append(_rect(x + 1, height - 10, step - 2, 10, "#edf2f7", f"{rng}: {_DASH}"))
            out.append(
                _text(x + step / 2, height - 2, _DASH, size=8, anchor="middle", fill="#c53030")
            )
            continue
        h = (height - 2) * c / top
        out.append(_rect(x + 1, height - h, step - 2, h, colour, f"{rng}: {c}"))
    return out


# -- sections ------------------------------------------------------------------------------


def _header(tables: ReportTables, lang: str) -> list[str]:
    w = _WORDS[lang]
    total = tables.total()
    journeys = total.get("journeys")
    groupings = ", ".join(p.by for p in tables.groupings)
    framework = tables.framework.name_sv if lang == "sv" else tables.framework.name_en
    parts = [
        f"<h1>{_e(w['title'])}</h1>",
        f'<p class="meta">{_e(w["framework"])}: {_e(framework)} · {_e(w["groupings"])}: '
        f"{_e(groupings)} · {_e(w['period'])}: {_e(w[tables.period])} · "
        f"{_e(w['min_count'])}: {tables.min_count}</p>",
        '<div class="cards">',
        f'<div class="card">{_e(w["journeys"])}<b>'
        f"{_DASH if journeys is None else _int(journeys, lang)}</b></div>",
        "</div>",
        f"<h2>{_e(w['privacy'])}</h2>",
        '<p class="note">'
        + _e(w["privacy_text"].format(groupings=groupings, k=tables.min_count, dash=_DASH))
        + "</p><ul>",
    ]
    for p in tables.groupings:
        parts.append(
            f"<li>{_e(w['suppressed_count'].format(n=_int(len(p.cells), lang), by=p.by))}</li>"
        )
    parts.append("</ul>")
    parts.append(
        f'<p class="meta"><span class="sup">{_DASH}</span> '
        f"{_e(w['legend_sup'].format(dash='', k=tables.min_count).strip())} · "
        f"{_e(w['legend_na'])}</p>"
    )
    return parts


def _cell_value(value: float | None, suppressed: bool, lang: str, *, digits: int = 2) -> str:
    if suppressed:
        return f'<span class="sup">{_DASH}</span>'
    if value is None:
        return f'<span class="na">{_e(_WORDS[lang]["na"])}</span>'
    return _e(number(value, lang, digits=digits))


def _profile(tables: ReportTables, lang: str) -> list[str]:
    w = _WORDS[lang]
    total = tables.total()
    p = tables.groups
    parts = [
        f'<h2>{_e(w["profile"])}</h2><table class="t">',
        f'<tr><th>{_e(w["target"])}</th><th class="num">{_e(w["n"])}</th>'
        f'<th class="num">{_e(w["mean"])}</th><th></th><th class="num">{_e(w["median"])}</th>'
        f"<th>{_e(w['distribution'])}</th></tr>",
    ]
    for m in p.binned:
        name = _e(_measure_name(m, tables, lang))
        if m in tables.not_computed:
            parts.append(
                f'<tr><td>{name}</td><td colspan="5"><span class="na">'
                f"{_e(w['not_bulk'])}</span>: {_e(tables.not_computed[m])}</td></tr>"
            )
            continue
        n = total.get(f"{m}_n")
        mean = total.get(f"{m}_mean")
        hide_mean = mean is None and n is None
        bar_w = 160.0
        bar = [_rect(0, 4, bar_w, 10, "#fed7d7")]
        if mean is not None:
            bar.append(_rect(0, 4, bar_w * mean, 10, "#2b6cb0"))
        hidden_bins = [total.get(f"{m}_bin{i}") is None for i in range(_BINS)]
        hist = _histogram(total, m, 150, 30, "#2b6cb0")
        title = _measure_name(m, tables, lang)
        n_text = f'<span class="sup">{_DASH}</span>' if n is None else _int(n, lang)
        parts.append(
            f"<tr><td>{name}</td>"
            f'<td class="num">{n_text}</td>'
            f'<td class="num">{_cell_value(mean, hide_mean, lang)}</td>'
            f"<td>{_svg(bar_w, 18, bar, title)}</td>"
            f'<td class="num">{_cell_value(total.get(f"{m}_median"), any(hidden_bins), lang)}</td>'
            f"<td>{_svg(150, 32, hist, title)}</td></tr>"
        )
    parts.append("</table>")
    return parts


def _unit_order(boundary: Published) -> tuple[list[str], dict[str, str]]:
    """Units of the handover pairs, ordered by principal then name, and each's principal."""
    principal: dict[str, str] = {}
    volume: dict[str, int] = {}
    for row in boundary.rows():
        for side in ("from", "to"):
            unit = row[f"{side}_unit"]
            if unit is None:
                continue
            principal.setdefault(unit, row[f"{side}_principal"] or "other")
            volume[unit] = volume.get(unit, 0) + 1
    lanes = [key for key, _sv, _en in LANES]
    chosen = sorted(volume, key=lambda u: (-volume[u], u))[:MAX_UNITS]
    order = sorted(chosen, key=lambda u: (lanes.index(_lane(principal[u])), principal[u], u))
    return order, principal


def _lane(principal: str) -> str:
    try:
        return LANE_OF[Principal(principal)]
    except ValueError:
        return "other"


def _heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    values: Mapping[tuple[str, str], tuple[float | None, bool]],
    *,
    colour: tuple[str, str],
    scale: float,
    log: bool,
    label: str,
    fmt: Callable[[float], str],
    brief: Callable[[float], str],
    title: str,
) -> str:
    """A grid of cells coloured by value; absent pairs blank, suppressed ones a red ``–``."""
    longest = min(_LABEL, max((len(x) for x in [*rows, *cols]), default=1))
    size, left, top = 24.0, 12 + 5.2 * longest, 14 + 4.6 * longest
    body: list[str] = []
    for j, c in enumerate(cols):
        x = left + j * size + size / 2
        body.append(
            f'<text font-size="9" transform="translate({_f(x + 3)},{_f(top - 4)}) rotate(-60)">'
            f"{cell(c, _LABEL)}</text>"
        )
    for i, r in enumerate(rows):
        y = top + i * size
        body.append(_text(left - 4, y + size / 2 + 3, _short(r), size=9, anchor="end"))
        for j, c in enumerate(cols):
            x = left + j * size
            if (r, c) not in values:
                body.append(
                    f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(size)}" height="{_f(size)}" '
                    'fill="none" stroke="#edf2f7"/>'
                )
                continue
            value, hidden = values[(r, c)]
            tip = f"{r} → {c}: {_DASH if hidden or value is None else fmt(value)}"
            if hidden or value is None:
                body.append(_rect(x, y, size, size, "#f7fafc", tip))
                body.append(
                    _text(
                        x + size / 2,
                        y + size / 2 + 3,
                        _DASH,
                        size=9,
                        anchor="middle",
                        fill="#c53030",
                    )
                )
                continue
            t = (math.log1p(value) / math.log1p(scale) if log else value / scale) if scale else 0.0
            body.append(_rect(x, y, size, size, _mix(colour[0], colour[1], t), tip))
            ink = "#ffffff" if t > 0.6 else "#1a202c"
            body.append(
                _text(
                    x + size / 2, y + size / 2 + 3, brief(value), size=7, anchor="middle", fill=ink
                )
            )
    width = left + len(cols) * size + 10 + 2.7 * longest
    height = top + len(rows) * size + 22
    body.append(_text(left, height - 6, label, size=10))
    return _svg(width, height, body, title)


def _boundaries(tables: ReportTables, lang: str) -> list[str]:
    w = _WORDS[lang]
    b = tables.boundary
    order, principal = _unit_order(b)
    labels = {u: f"{u} ({principal[u]})" for u in order}
    volume: dict[tuple[str, str], tuple[float | None, bool]] = {}
    cold: dict[tuple[str, str], tuple[float | None, bool]] = {}
    for row in b.rows():
        f, t = row["from_unit"], row["to_unit"]
        if f not in labels or t not in labels:
            continue
        group = b.group(row)
        key = (labels[f], labels[t])
        n = row.get("handovers")
        volume[key] = (None if n is None else float(n), b.suppressed(group, "handovers"))
        share = row.get("share_cold_or_unknown")
        cold[key] = (share, b.suppressed(group, "share_cold_or_unknown"))
    axis = [labels[u] for u in order]
    top = max((v for v, h in volume.values() if v is not None and not h), default=0.0)
    parts = [f"<h2>{_e(w['heatmap'])}</h2>", f"<p>{_e(w['heat_note'])}</p>"]
    vol_svg = _heatmap(
        axis,
        axis,
        volume,
        colour=("#ebf8ff", "#2b6cb0"),
        scale=top,
        log=True,
        label=w["heat_volume"],
        fmt=lambda v: _int(int(v), lang),
        brief=lambda v: _compact(int(v), lang),
        title=w["heat_volume"],
    )
    cold_svg = _heatmap(
        axis,
        axis,
        cold,
        colour=("#fff5f5", "#c53030"),
        scale=1.0,
        log=False,
        label=w["heat_cold"],
        fmt=lambda v: _pct(v, lang),
        brief=lambda v: f"{100 * v:.0f}",
        title=w["heat_cold"],
    )
    parts.append(f'<h3>{_e(w["heat_volume"])}</h3><div class="figure">{vol_svg}</div>')
    parts.append(f'<h3>{_e(w["heat_cold"])}</h3><div class="figure">{cold_svg}</div>')
    return parts


def _group_label(p: Published, row: Mapping[str, Any]) -> str:
    if p.by == "boundary":
        return f"{row['from_unit']} → {row['to_unit']}"
    return " / ".join(str(row[k]) for k in p.keys if row[k] is not None)


def _multiples(tables: ReportTables, lang: str) -> list[str]:
    w = _WORDS[lang]
    p = tables.groups
    parts = [f"<h2>{_e(w['multiples'].format(by=p.by))}</h2>"]
    rows = p.rows()
    ranked = sorted(rows, key=lambda r: (-(r["journeys"] or 0), _group_label(p, r)))[:MAX_PANELS]
    shown = sorted(ranked, key=lambda r: _group_label(p, r))
    if len(shown) < len(rows):
        parts.append(f"<p>{_e(w['panels_shown'].format(n=len(shown), m=len(rows)))}</p>")
    any_binned = False
    for m in p.binned:
        name = _measure_name(m, tables, lang)
        if m in tables.not_computed:
            parts.append(
                f'<h3>{_e(name)}</h3><p><span class="na">{_e(w["not_bulk"])}</span>: '
                f"{_e(tables.not_computed[m])}</p>"
            )
            continue
        any_binned = True
        parts.append(f'<h3>{_e(name)}</h3><div class="panels">')
        for row in shown:
            n = row.get(f"{m}_n")
            label = _group_label(p, row)
            n_text = _DASH if n is None else _int(n, lang)
            bars = "".join(_histogram(row, m, 120, 40, "#2b6cb0"))
            body = [
                f'<g transform="translate(4,16)">{bars}</g>',
                _text(4, 11, f"{label[:22]} · n={n_text}", size=8.5),
            ]
            parts.append(f'<div class="figure">{_svg(128, 60, body, f"{name}: {label}")}</div>')
        parts.append("</div>")
    if not any_binned:
        parts.append(f"<p>{_e(w['no_binned'])}</p>")
    return parts


def _trend(tables: ReportTables, lang: str) -> list[str]:
    w = _WORDS[lang]
    p = tables.periods
    rows = p.rows()
    measures = [m for m in p.binned if m not in tables.not_computed]
    parts = [f"<h2>{_e(w['trend'].format(period=w[tables.period]))}</h2>"]
    left, top, width, height = 40.0, 14.0, max(300.0, 36.0 * len(rows)), 160.0
    body = [
        f'<line x1="{_f(left)}" y1="{_f(top + height)}" x2="{_f(left + width)}" '
        f'y2="{_f(top + height)}" stroke="#a0aec0"/>'
    ]
    for tick in (0.0, 0.5, 1.0):
        y = top + height * (1 - tick)
        body.append(_text(left - 4, y + 3, number(tick, lang, digits=1), size=9, anchor="end"))
        body.append(
            f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + width)}" y2="{_f(y)}" '
            'stroke="#edf2f7"/>'
        )
    step = width / max(1, len(rows))
    for i, row in enumerate(rows):
        x = left + step * (i + 0.5)
        body.append(
            f'<text font-size="9" transform="translate({_f(x)},{_f(top + height + 12)}) '
            f'rotate(40)">{_e(str(row["period"]))}</text>'
        )
    for k, m in enumerate(measures):
        colour = _SERIES[k % len(_SERIES)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, row in enumerate(rows):
            mean = row.get(f"{m}_mean")
            if mean is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x, y = left + step * (i + 0.5), top + height * (1 - mean)
            segment.append(f"{_f(x)},{_f(y)}")
            tip = f"{_measure_name(m, tables, lang)} {row['period']}: {number(mean, lang)}"
            body.append(
                f'<circle cx="{_f(x)}" cy="{_f(y)}" r="2.5" fill="{colour}">'
                f"<title>{_e(tip)}</title></circle>"
            )
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                body.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" '
                    'stroke-width="1.5"/>'
                )
        body.append(_rect(left + width + 10, top + 14 * k, 10, 10, colour))
        body.append(
            _text(left + width + 24, top + 14 * k + 9, _measure_name(m, tables, lang)[:40], size=9)
        )
    svg = _svg(
        left + width + 260, top + height + 60, body, w["trend"].format(period=w[tables.period])
    )
    parts.append(f'<div class="figure">{svg}</div>')
    head = "".join(f'<th class="num">{_e(_measure_name(m, tables, lang))}</th>' for m in measures)
    parts.append(
        f'<table class="t"><tr><th>{_e(w["period"])}</th><th class="num">{_e(w["journeys"])}</th>'
        f"{head}</tr>"
    )
    for row in rows:
        group = p.group(row)
        journeys = row.get("journeys")
        cells = "".join(
            '<td class="num">'
            + _cell_value(row.get(f"{m}_mean"), p.suppressed(group, f"{m}_mean"), lang)
            + "</td>"
            for m in measures
        )
        jtext = f'<span class="sup">{_DASH}</span>' if journeys is None else _int(journeys, lang)
        parts.append(
            f'<tr><td>{_e(str(row["period"]))}</td><td class="num">{jtext}</td>{cells}</tr>'
        )
    parts.append("</table>")
    return parts


def _findings(tables: ReportTables, lang: str) -> list[str]:
    w = _WORDS[lang]
    p = tables.units
    parts = [
        f'<h2>{_e(w["findings"])}</h2><table class="t">',
        f'<tr><th>{_e(w["unit"])}</th><th class="num">{_e(w["journeys"])}</th>'
        f"<th>{_e(w['top'])}</th></tr>",
    ]
    for row in p.rows():
        group = p.group(row)
        journeys = row.get("journeys")
        shares = [
            (row[f"share_{c}"], c)
            for c in p.findings
            if row.get(f"share_{c}") is not None and row[f"share_{c}"] > 0
        ]
        hidden = sum(1 for c in p.findings if p.suppressed(group, f"share_{c}"))
        top = sorted(shares, key=lambda sc: (-sc[0], sc[1]))[:3]
        items = [
            _svg(60, 10, [_rect(0, 1, 60, 8, "#edf2f7"), _rect(0, 1, 60 * s, 8, "#c53030")], c)
            + f' <span class="ids">{_e(c)}</span> {_e(_pct(s, lang))}'
            for s, c in top
        ]
        if not items:
            items.append(f'<span class="na">{_e(w["no_findings"])}</span>')
        if hidden:
            items.append(f'<span class="sup">{_DASH}</span>\u00a0×{hidden}')
        jtext = f'<span class="sup">{_DASH}</span>' if journeys is None else _int(journeys, lang)
        parts.append(
            f'<tr><td>{_e(str(row["unit"]))}</td><td class="num">{jtext}</td>'
            f"<td>{'<br>'.join(items)}</td></tr>"
        )
    parts.append("</table>")
    return parts


def _not_computed(tables: ReportTables, lang: str) -> list[str]:
    w = _WORDS[lang]
    if not tables.not_computed:
        return []
    parts = [
        f'<h2>{_e(w["not_computed"])}</h2><table class="t">',
        f"<tr><th>{_e(w['column'])}</th><th>{_e(w['why'])}</th></tr>",
    ]
    for column, why in tables.not_computed.items():
        parts.append(f'<tr><td class="ids">{_e(column)}</td><td>{_e(why)}</td></tr>')
    parts.append("</table>")
    return parts


def population_report(tables: ReportTables, *, lang: str = "sv") -> str:
    """The population report as one HTML page (UTF-8, self-contained, deterministic).

    Parameters
    ----------
    tables
        The published tables, from :func:`careflow.population.report.report_tables`.
    lang
        ``"sv"`` or ``"en"``: words, and a decimal comma in Swedish.

    Returns
    -------
    str
        The page. It holds no script, fetches nothing, and shows a suppressed cell as
        ``–``. The network needs Graphviz's ``dot``
        (:class:`~careflow.errors.RenderError` without it).
    """
    lang = check_lang(lang)
    w = _WORDS[lang]
    network = svg_fragment(
        render_bytes(population_network(tables.units, tables.boundary, lang=lang), "svg")
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{_e(w['title'])}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    parts += _header(tables, lang)
    parts += _profile(tables, lang)
    parts += _boundaries(tables, lang)
    parts += _multiples(tables, lang)
    parts += _trend(tables, lang)
    parts += _findings(tables, lang)
    parts.append(f'<h2>{_e(w["network"])}</h2><div class="figure">{network}</div>')
    parts += _not_computed(tables, lang)
    parts.append(f"<footer>{_e(w['footer'].format(version=__version__))}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- the population actor network ----------------------------------------------------------

_NET_WORDS: Final = {
    "sv": {
        "title": "Aktörsnätverk för populationen",
        "caption": (
            "nod = enhet (antal förlopp); pil = överlämningar mellan två enheter, bredd = "
            "antal; dubbel linje = över gränsen region–kommun; {dash} = undertryckt"
        ),
        "shown": "visar de {n} största av {m} paren",
        "journeys": "förlopp",
    },
    "en": {
        "title": "Actor network of the population",
        "caption": (
            "node = unit (journeys); arrow = handovers between two units, width = number; "
            "double line = across the region–kommun boundary; {dash} = suppressed"
        ),
        "shown": "showing the {n} largest of {m} pairs",
        "journeys": "journeys",
    },
}


def population_network(
    units: Published, boundary: Published, *, lang: str = "sv", max_edges: int = MAX_EDGES
) -> graphviz.Digraph:
    """The actor network of a population, drawn from published aggregates.

    Parameters
    ----------
    units
        The published ``unit`` grouping: one node per unit, labelled with its journeys.
    boundary
        The published ``boundary`` grouping: one edge per handover pair, as wide as its
        handovers (log scale), a double line when it crosses the region–kommun boundary,
        redder as more of its handovers are known to be cold (grey when all are
        unknown). A suppressed pair is a dashed grey edge labelled ``–``.
    lang
        ``"sv"`` or ``"en"``.
    max_edges
        Draw at most this many pairs, those with most handovers (suppressed last, ties
        by name); the caption says how many were left out.

    Returns
    -------
    graphviz.Digraph
        Render it with :func:`careflow.render.render_bytes`.
    """
    lang = check_lang(lang)
    if max_edges < 1:
        raise ValueError(f"max_edges must be at least 1, not {max_edges}")
    w = _NET_WORDS[lang]
    pairs = boundary.rows()
    ranked = sorted(
        pairs,
        key=lambda r: (
            r["handovers"] is None,
            -(r["handovers"] or 0),
            r["from_unit"],
            r["to_unit"],
            r["from_principal"] or "",
            r["to_principal"] or "",
        ),
    )
    kept = ranked[:max_edges]
    principal: dict[str, str] = {}
    for row in pairs:
        principal.setdefault(row["from_unit"], row["from_principal"] or "other")
        principal.setdefault(row["to_unit"], row["to_principal"] or "other")
    journeys = {row["unit"]: row["journeys"] for row in units.rows()}
    names = sorted(set(journeys) | {r["from_unit"] for r in kept} | {r["to_unit"] for r in kept})
    node_of = {name: f"u{i}" for i, name in enumerate(names)}
    caption = w["caption"].format(dash=_DASH)
    if len(kept) < len(pairs):
        caption += "<BR/>" + w["shown"].format(n=len(kept), m=len(pairs))
    g = network_digraph("population_network", w["title"], caption)
    for key, name_sv, name_en in LANES:
        members = [u for u in names if _lane(principal.get(u, "other")) == key]
        if not members:
            continue
        with g.subgraph(name=f"cluster_{key}") as box:
            box.attr(
                label=f"<<B>{name_sv if lang == 'sv' else name_en}</B>>",
                style="rounded",
                color="#cbd5e0",
            )
            for unit in members:
                n = journeys.get(unit)
                text = _DASH if n is None else _int(n, lang)
                box.node(
                    node_of[unit],
                    label=(
                        f"<<B>{cell(unit, 40)}</B><BR/>"
                        f'<FONT POINT-SIZE="8">{text} {w["journeys"]}</FONT>>'
                    ),
                    fillcolor="#ffffff",
                    color="#4a5568",
                    id=node_of[unit],
                )
    strongest = max((r["handovers"] for r in kept if r["handovers"] is not None), default=1)
    scale = min(1.0, 3.0 / math.log2(strongest)) if strongest > 1 else 1.0
    for i, row in enumerate(kept):
        a, b = node_of[row["from_unit"]], node_of[row["to_unit"]]
        crossing = (
            row["from_principal"] != row["to_principal"]
            and row["from_principal"] in {"region", "kommun"}
            and row["to_principal"] in {"region", "kommun"}
        )
        n = row["handovers"]
        cold = row.get("handovers_cold")
        grey = QUALITY["unknown"][0]
        if n is None:
            colour, text, width, style = grey, _DASH, "1", "dashed"
        else:
            # all unknown (every handover of an event log) stays grey; known cold ones redden
            known = cold is not None and row.get("handovers_unknown") != n
            colour = _mix(grey, QUALITY["bad"][0], cold / n) if known and n else grey
            text, style = _int(n, lang), "solid"
            width = f"{1 + 1.5 * math.log2(max(1, n)) * scale:.2f}"
        g.edge(
            a,
            b,
            label=text,
            color=f"{colour}:#ffffff:{colour}" if crossing else colour,
            fontcolor=colour,
            penwidth=width,
            style=style,
            id=f"e{i}",
        )
    return g
