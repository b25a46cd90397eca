"""The actor network: where handovers happen and where they break.

Actors are grouped by principal (one box each for the region, the kommun and the rest),
sized by nothing but labelled with their service and number of events. An edge is drawn
for every pair of actors the person moved between, as wide as the number of transitions
(on a log scale), coloured by the handovers' quality on average (see
:func:`careflow.render.theme.quality`), and drawn as a double line when it crosses the
region–kommun boundary. Given many journeys (an event log of one unit's cases) it is the
meso view of which boundaries leak.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

import graphviz

from careflow.graph import actor_network
from careflow.i18n import count
from careflow.labels import check_lang, label
from careflow.model import Journey
from careflow.render._text import cell
from careflow.render.theme import FONT, LANE_OF, LANES, QUALITY

__all__ = ["actor_map"]

_WORDS: Final = {
    "sv": {
        "title": "Aktörsnätverk",
        "cold": "kalla",
        "none": "utan info",
        "crossing": "dubbel linje = över gränsen region–kommun; bredd = antal övergångar",
        "journeys": "resor",
        "shown": "visar de {n} starkaste av {m} kopplingarna ({k} av {t} övergångar)",
    },
    "en": {
        "title": "Actor network",
        "cold": "cold",
        "none": "no info",
        "crossing": "double line = across the region–kommun boundary; width = transitions",
        "journeys": "journeys",
        "shown": "showing the {n} strongest of {m} links ({k} of {t} transitions)",
    },
}


def _edge_quality(data: dict[str, object]) -> str:
    weight = int(str(data["weight"]))
    warm, cold = int(str(data["warm"])), int(str(data["cold"]))
    full, none = int(str(data["info_full"])), int(str(data["info_none"]))
    partial = int(str(data["info_partial"]))
    if warm + cold + full + none + partial == 0:
        return "unknown"
    if warm == weight and full == weight:
        return "good"
    if (cold + none) / (2 * weight) >= 0.5:
        return "bad"
    return "partial"


#: Most edges drawn by default: beyond this a network is a hairball, not a view.
MAX_EDGES: Final = 60


def actor_map(
    journeys: Journey | Iterable[Journey], *, lang: str = "sv", max_edges: int = MAX_EDGES
) -> graphviz.Digraph:
    """Build the actor network of one journey or of many together.

    Parameters
    ----------
    journeys
        One journey, or many (the cases of an event log) drawn as one network.
    lang
        ``"sv"`` or ``"en"``.
    max_edges
        Draw at most this many edges, the strongest (most transitions; ties by actor
        id). The caption says how many links and transitions were left out.

    Returns
    -------
    graphviz.Digraph
        Render it with :func:`careflow.render.render_bytes`.
    """
    lang = check_lang(lang)
    w = _WORDS[lang]
    items = [journeys] if isinstance(journeys, Journey) else list(journeys)
    net = actor_network(items)
    title = items[0].title or items[0].id if len(items) == 1 else f"{len(items)} {w['journeys']}"
    if max_edges < 1:
        raise ValueError(f"max_edges must be at least 1, not {max_edges}")
    ranked = sorted(net.edges, key=lambda e: (-int(net.edges[e]["weight"]), e))
    kept = sorted(ranked[:max_edges])
    caption = w["crossing"]
    if len(kept) < len(ranked):
        total = sum(int(net.edges[e]["weight"]) for e in ranked)
        shown = sum(int(net.edges[e]["weight"]) for e in kept)
        caption += "<BR/>" + w["shown"].format(n=len(kept), m=len(ranked), k=shown, t=total)
    g = network_digraph("actor_map", f"{w['title']}: {cell(title, 80)}", caption)

    ids = sorted(net.nodes)
    node_of = {actor: f"a{i}" for i, actor in enumerate(ids)}
    for key, name_sv, name_en in LANES:
        members = [a for a in ids if LANE_OF[net.nodes[a]["principal"]] == key]
        if not members:
            continue
        with g.subgraph(name=f"cluster_{key}") as box:
            box.attr(
                label=f"<<B>{name_sv if lang == 'sv' else name_en}</B>>",
                style="rounded",
                color="#cbd5e0",
            )
            for actor in members:
                data = net.nodes[actor]
                box.node(
                    node_of[actor],
                    label=(
                        f"<<B>{cell(str(data['name']), 40)}</B><BR/>"
                        f'<FONT POINT-SIZE="8">{cell(label(data["service"], lang))} · '
                        f"{count(int(data['events']), 'event', lang)}</FONT>>"
                    ),
                    fillcolor="#ffffff",
                    color="#4a5568",
                    id=node_of[actor],
                )
    # widths grow with log2(transitions), capped at 5.5 so a busy network stays legible
    strongest = max((int(net.edges[e]["weight"]) for e in kept), default=1)
    scale = min(1.0, 3.0 / math.log2(strongest)) if strongest > 1 else 1.0
    for a, b in kept:
        data = net.edges[a, b]
        cls = _edge_quality(data)
        colour = QUALITY[cls][0]
        weight = int(data["weight"])
        text = str(weight)
        if data["cold"]:
            text += f" · {data['cold']} {w['cold']}"
        if data["info_none"]:
            text += f" · {data['info_none']} {w['none']}"
        g.edge(
            node_of[a],
            node_of[b],
            label=text,
            color=f"{colour}:#ffffff:{colour}" if data["crossing"] else colour,
            fontcolor=colour,
            penwidth=f"{1 + 1.5 * math.log2(weight) * scale:.2f}",
            id=f"{node_of[a]}_{node_of[b]}",
        )
    return g


def network_digraph(name: str, title: str, caption: str) -> graphviz.Digraph:
    """An empty left-to-right network graph with the title and caption of the actor maps.

    ``title`` and ``caption`` are graphviz HTML-label text, already escaped.
    """
    g = graphviz.Digraph(name=name)
    g.attr(
        rankdir="LR",
        fontname=FONT,
        labelloc="t",
        labeljust="l",
        nodesep="0.3",
        ranksep="0.9",
        bgcolor="white",
        label=(
            f'<<FONT POINT-SIZE="14"><B>{title}</B></FONT><BR/>'
            f'<FONT POINT-SIZE="9">{caption}</FONT>>'
        ),
        newrank="true",  # dense networks in clusters otherwise trip dot's init_rank
    )
    g.attr("node", fontname=FONT, fontsize="10", shape="box", style="rounded,filled")
    g.attr("edge", fontname=FONT, fontsize="9")
    return g
