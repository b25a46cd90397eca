"""The journey map: one swimlane per principal group, time flowing left to right.

Lanes, top to bottom: the person and their network, the region (health care), the
kommun (social services), other actors. Each distinct day of the journey is one column,
marked on a time axis at the top whose segments show long stretches ("+90 d"). Events
are coloured by what they mean for the person (seeking help, contact, treatment and
support, referral, rejection, crisis, planning, closing); transitions by handover
quality (warm with full information green, partial orange, cold without information
red, unknown grey; solid warm, dashed cold, dotted unrecorded). Findings are numbered:
each event or transition a finding points at carries its number (``! #2``), and the legend at
the top lists them with their sentence.

Node ids are generated (``d0`` days, ``e0`` events, ``n0`` network, ``p0`` plans); every
piece of user text is escaped into HTML-like labels (see :mod:`careflow.render._text`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Final

import graphviz

from careflow.errors import RenderError
from careflow.gaps import Finding
from careflow.graph import Episode, day_of, episodes
from careflow.labels import check_lang, label
from careflow.model import ContactRole, Event, EventKind, Journey, TransitionKind
from careflow.render._text import cell
from careflow.render.theme import (
    FONT,
    KIND_GROUPS,
    LANE_OF,
    LANES,
    QUALITY,
    SEVERITY_COLOURS,
    SOBER,
    quality,
)

__all__ = ["MAX_DRAWN_EVENTS", "check_drawable", "journey_map", "too_large_to_draw"]

#: Most events a journey map is drawn for. Graphviz's layout time grows steeply with the
#: events (bench/bench_render.py: 1,000 events 1.8 s, 1,500 3.1 s, 2,000 26 s, 3,000 over
#: 120 s), so a larger journey is refused at once instead of failing after minutes.
MAX_DRAWN_EVENTS: Final = 1000

_LONG_STRETCH: Final = 30  # days; longer axis segments are labelled
_CONSENT: Final[dict[str, dict[bool | None, str]]] = {
    "sv": {True: "samtycke: ja", False: "samtycke: nej", None: "samtycke: ej frågat"},
    "en": {True: "consent: yes", False: "consent: no", None: "consent: not asked"},
}
_SEVERITY: Final[dict[str, dict[int, str]]] = {
    "sv": {3: "hög", 2: "medel", 1: "låg"},
    "en": {3: "high", 2: "medium", 1: "low"},
}
_WORDS: Final[dict[str, dict[str, str]]] = {
    "sv": {
        "title": "Resekarta",
        "events": "Händelser",
        "handovers": "Överlämningar",
        "findings": "Brister",
        "style": "heldragen = varm, streckad = kall, prickad = ej angivet",
        "days": "d",
        "contact": "Kontakt",
        "participants": "Deltagare",
        "compulsory": "Tvångsvård",
        "band": "grått band = vårdtid enligt LVM, LPT, LRV eller LVU",
    },
    "en": {
        "title": "Journey map",
        "events": "Events",
        "handovers": "Handovers",
        "findings": "Findings",
        "style": "solid = warm, dashed = cold, dotted = not recorded",
        "days": "d",
        "contact": "Contact",
        "participants": "Participants",
        "compulsory": "Compulsory care",
        "band": "grey band = care under LVM, LPT, LRV or LVU",
    },
}


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _colours(event: Event) -> tuple[str, str]:
    for group in KIND_GROUPS:
        if event.kind in group.kinds:
            return group.fill, group.border
    return "#ffffff", "#4a5568"  # pragma: no cover - every kind is in a group


def _marks(numbers: Sequence[int]) -> str:
    return "! " + ", ".join(f"#{n}" for n in numbers)


def _event_label(
    journey: Journey, event: Event, numbers: Sequence[int], severity: int, lang: str
) -> str:
    if event.kind is EventKind.DEATH:
        return _death_label(journey, event, numbers, lang)
    fill, border = _colours(event)
    width = 1
    if numbers:
        border, width = SEVERITY_COLOURS[severity], 3
    actor = journey.actor_of(event)
    rows = [
        f'<TR><TD><FONT POINT-SIZE="8" COLOR="#4a5568">{event.date:%Y-%m-%d} · '
        f"{cell(event.id, 24)}</FONT></TD></TR>",
        f"<TR><TD><B>{cell(label(event.kind, lang))}</B></TD></TR>",
        f'<TR><TD><FONT POINT-SIZE="9">{cell(actor.name, 32)}</FONT></TD></TR>',
    ]
    if event.reason_code is not None:
        rows.append(
            f'<TR><TD><FONT POINT-SIZE="8"><I>{cell(label(event.reason_code, lang), 32)}'
            "</I></FONT></TD></TR>"
        )
    lead = _lead_contact(journey, event)
    if lead is not None:
        rows.append(
            f'<TR><TD><FONT POINT-SIZE="8">{_WORDS[lang]["contact"]}: {cell(lead, 28)}'
            "</FONT></TD></TR>"
        )
    if numbers:
        rows.append(
            f'<TR><TD BGCOLOR="{SEVERITY_COLOURS[severity]}"><FONT COLOR="#ffffff" '
            f'POINT-SIZE="9"><B>{_marks(numbers)}</B></FONT></TD></TR>'
        )
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" '
        f'BGCOLOR="{fill}" COLOR="{border}" STYLE="ROUNDED">{"".join(rows)}</TABLE>>'
    )


def _death_label(journey: Journey, event: Event, numbers: Sequence[int], lang: str) -> str:
    """A death, soberly: a square black-bordered box, black heading, no alarm colour."""
    rows = [
        f'<TR><TD><FONT POINT-SIZE="8" COLOR="#4a5568">{event.date:%Y-%m-%d} · '
        f"{cell(event.id, 24)}</FONT></TD></TR>",
        f'<TR><TD BGCOLOR="{SOBER}"><FONT COLOR="#ffffff"><B>{cell(label(event.kind, lang))}'
        "</B></FONT></TD></TR>",
        f'<TR><TD><FONT POINT-SIZE="9">{cell(journey.actor_of(event).name, 32)}</FONT></TD></TR>',
    ]
    if event.cause is not None:
        cause = label(event.cause, lang)
        if event.certainty is not None:
            cause += f" · {label(event.certainty, lang)}"
        rows.append(f'<TR><TD><FONT POINT-SIZE="8"><I>{cell(cause, 32)}</I></FONT></TD></TR>')
    if numbers:
        rows.append(
            f'<TR><TD><FONT COLOR="{SOBER}" POINT-SIZE="9"><B>{_marks(numbers)}</B></FONT>'
            "</TD></TR>"
        )
    return (
        '<<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
        f'BGCOLOR="#ffffff" COLOR="{SOBER}">{"".join(rows)}</TABLE>>'
    )


def _lead_contact(journey: Journey, event: Event) -> str | None:
    contacts = {c.id: c for c in journey.contacts}
    staff = [contacts[p] for p in event.participants if p in contacts]
    if not staff:
        return None
    lead = next((c for c in staff if c.role is not ContactRole.STAFF), staff[0])
    return lead.name or lead.id


def _legend(
    findings: Sequence[Finding],
    title: str,
    lang: str,
    *,
    death: bool = False,
    bands: bool = False,
) -> str:
    w = _WORDS[lang]
    index = 0 if lang == "sv" else 1
    kinds = "".join(
        f'<TD BGCOLOR="{group.fill}" COLOR="{group.border}" BORDER="1">'
        f'<FONT POINT-SIZE="9">{cell(group.name_sv if index == 0 else group.name_en)}</FONT></TD>'
        for group in KIND_GROUPS
        if death or EventKind.DEATH not in group.kinds  # a death's key only beside a death
    )
    edges = "".join(
        f'<TD><FONT POINT-SIZE="9" COLOR="{colour}"><B>━━</B> {cell(sv if index == 0 else en)}'
        "</FONT></TD>"
        for colour, sv, en in QUALITY.values()
    )
    rows = [
        f'<TR><TD ALIGN="LEFT" COLSPAN="2"><FONT POINT-SIZE="14"><B>{cell(title, 120)}</B>'
        "</FONT></TD></TR>",
        f'<TR><TD ALIGN="LEFT"><B>{w["events"]}</B></TD><TD ALIGN="LEFT"><TABLE BORDER="0" '
        f'CELLSPACING="2"><TR>{kinds}</TR></TABLE></TD></TR>',
        f'<TR><TD ALIGN="LEFT"><B>{w["handovers"]}</B></TD><TD ALIGN="LEFT"><TABLE BORDER="0" '
        f'CELLSPACING="2"><TR>{edges}<TD><FONT POINT-SIZE="9">{w["style"]}</FONT></TD></TR>'
        "</TABLE></TD></TR>",
    ]
    if bands:
        rows.append(
            f'<TR><TD ALIGN="LEFT"><B>{w["compulsory"]}</B></TD><TD ALIGN="LEFT">'
            f'<FONT POINT-SIZE="9">{w["band"]}</FONT></TD></TR>'
        )
    if findings:
        lines = []
        for number, finding in enumerate(findings, start=1):
            sev = int(finding.severity)
            lines.append(
                f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9"><B>'
                f'<FONT COLOR="{SEVERITY_COLOURS[sev]}">'
                f"#{number} {_SEVERITY[lang][sev]}</FONT></B> · {cell(finding.text(lang), 140)}"
                "</FONT></TD></TR>"
            )
        rows.append(
            f'<TR><TD ALIGN="LEFT" VALIGN="TOP"><B>{w["findings"]}</B></TD><TD ALIGN="LEFT">'
            f'<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="2">{"".join(lines)}</TABLE>'
            "</TD></TR>"
        )
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
        f"{''.join(rows)}</TABLE>>"
    )


def _numbered(findings: Sequence[Finding]) -> dict[str, list[tuple[int, int]]]:
    """For each referenced id, the (number, severity) of the findings that point at it."""
    out: dict[str, list[tuple[int, int]]] = {}
    for number, finding in enumerate(findings, start=1):
        for ref in dict.fromkeys(finding.refs):
            out.setdefault(ref, []).append((number, int(finding.severity)))
    return out


def check_drawable(journey: Journey) -> None:
    """Refuse, at once, a journey too large for its map to be laid out in seconds.

    Raises
    ------
    RenderError
        The journey has more than :data:`MAX_DRAWN_EVENTS` events; the message says what
        to do instead.
    """
    n = len(journey.events)
    if n > MAX_DRAWN_EVENTS:
        raise too_large_to_draw(journey.id, n)


def too_large_to_draw(
    journey_id: str,
    events: int,
    *,
    more_than: bool = False,
    file: str | None = None,
    line: int | None = None,
    path: str | None = None,
) -> RenderError:
    """The error for a journey of ``events`` events, more than a map is drawn for.

    ``more_than``: ``events`` is a lower bound (reading stopped there, see
    :class:`careflow.io.eventlog.CaseLimit`); ``file``, ``line`` and ``path`` say where.
    """
    has = f"more than {events:,}" if more_than else f"{events:,}"
    return RenderError(
        f"the journey {journey_id!r:.60} has {has} events; a journey map is drawn for at "
        f"most {MAX_DRAWN_EVENTS:,} (Graphviz needs minutes to lay out more). Draw its "
        "actor network instead (careflow render --kind actors), which summarises any "
        "number of events, read its scores and findings (careflow score, careflow gaps), "
        "or split the journey into periods of at most "
        f"{MAX_DRAWN_EVENTS:,} events and draw each",
        file=file,
        line=line,
        path=path,
    )


def journey_map(
    journey: Journey, *, findings: Iterable[Finding] = (), lang: str = "sv"
) -> graphviz.Digraph:
    """Build the journey map of ``journey`` with ``findings`` marked.

    Parameters
    ----------
    journey
        The journey to draw.
    findings
        Findings to number and mark, usually :func:`careflow.gaps.find_gaps` of it.
    lang
        "sv" or "en".

    Returns
    -------
    graphviz.Digraph
        Render it with :func:`careflow.render.render_bytes`. The DOT text is the same for
        the same journey and findings.

    Raises
    ------
    RenderError
        The journey has more than :data:`MAX_DRAWN_EVENTS` events (see
        :func:`check_drawable`).
    """
    check_drawable(journey)
    lang = check_lang(lang)
    findings = list(findings)
    w = _WORDS[lang]
    marks = _numbered(findings)
    timeline = journey.timeline

    bands = [ep for ep in episodes(journey) if ep.compulsory]
    band_ends = {ep.last for ep in bands if ep.last is not None}
    days = sorted(
        {_day(e.date) for e in timeline} | {_day(p.date) for p in journey.plans} | band_ends
    )
    column = {d: i for i, d in enumerate(days)}
    g = graphviz.Digraph(name="journey_map")
    g.attr(
        rankdir="LR",
        newrank="true",
        nodesep="0.12",
        ranksep="0.35",
        fontname=FONT,
        labelloc="t",
        labeljust="l",
        bgcolor="white",
    )
    title = f"{w['title']}: {journey.title or journey.id}"
    death = journey.death is not None
    g.attr(label=_legend(findings, title, lang, death=death, bands=bool(bands)))
    g.attr("node", fontname=FONT, fontsize="10", shape="plain")
    g.attr("edge", fontname=FONT, fontsize="8")

    # one cluster per lane, in lane order
    lane_events: dict[str, list[tuple[int, Event]]] = {key: [] for key, _, _ in LANES}
    for i, event in enumerate(timeline):
        lane_events[LANE_OF[journey.actor_of(event).principal]].append((i, event))
    rank_members: dict[int, list[str]] = {i: [f"d{i}"] for i in range(len(days))}
    first_col = 0
    for key, name_sv, name_en in reversed(LANES):  # dot stacks later clusters higher
        extra = key == "person" and (journey.network or journey.plans)
        if not lane_events[key] and not extra:
            continue
        with g.subgraph(name=f"cluster_{key}") as lane:
            lane.attr(
                label=f"<<B>{name_sv if lang == 'sv' else name_en}</B>>",
                style="rounded,filled",
                fillcolor="#f7fafc",
                color="#cbd5e0",
                fontsize="12",
                labeljust="l",
            )
            for i, event in lane_events[key]:
                refs = marks.get(event.id, [])
                numbers = [n for n, _ in refs]
                severity = max((s for _, s in refs), default=1)
                lane.node(
                    f"e{i}",
                    label=_event_label(journey, event, numbers, severity, lang),
                    id=f"e{i}",
                )
                rank_members[column[_day(event.date)]].append(f"e{i}")
            _bands(lane, journey, bands, key=key, column=column, rank_members=rank_members)
            if key == "person":
                _person_extras(
                    lane,
                    journey,
                    marks=marks,
                    column=column,
                    rank_members=rank_members,
                    first_col=first_col,
                    lang=lang,
                )

    _axis(g, days, lang)
    for i in range(len(days)):
        with g.subgraph() as rank:
            rank.attr(rank="same")
            for node in rank_members[i]:
                rank.node(node)

    _transitions(g, journey, marks, lang)
    return g


def _bands(
    lane: graphviz.Digraph,
    journey: Journey,
    bands: Sequence[Episode],
    *,
    key: str,
    column: dict[dt.date, int],
    rank_members: dict[int, list[str]],
) -> None:
    """Compulsory episodes in this lane as grey bands from their first to their last day.

    Each band is a thick line between two small points placed in the columns of the
    episode's first and last day (the journey's last column while it is still going),
    labelled with the law (its short name reads the same in both languages) and the dates.
    """
    last_col = max(column.values())
    for k, ep in enumerate(bands):
        if LANE_OF[journey.actor_of(ep.event).principal] != key:
            continue
        start = column[day_of(ep.event.date)]
        end = column[ep.last] if ep.last is not None else last_col
        for end_name, col in (("s", start), ("e", end)):
            lane.node(
                f"b{k}{end_name}",
                label="",
                shape="point",
                width="0.06",
                color=SOBER,
                id=f"b{k}{end_name}",
            )
            rank_members[col].append(f"b{k}{end_name}")
        law = ep.event.legal_basis.value if ep.event.legal_basis else ""
        until = f"{ep.last:%Y-%m-%d}" if ep.last is not None else "…"
        text = f"{law} {ep.event.date:%Y-%m-%d} – {until}"
        lane.edge(
            f"b{k}s",
            f"b{k}e",
            label=f"<<B>{cell(text, 40)}</B>>",
            arrowhead="none",
            penwidth="6",
            color="#a0aec0",
            fontcolor=SOBER,
            id=f"band{k}",
        )


def _axis(g: graphviz.Digraph, days: Sequence[dt.date], lang: str) -> None:
    """The time axis: one node per day, segments labelled where the stretch is long."""
    for i, day in enumerate(days):
        g.node(f"d{i}", label=f"<<B>{day:%Y-%m-%d}</B>>", shape="plaintext", fontsize="9")
    for i in range(1, len(days)):
        gap = (days[i] - days[i - 1]).days
        attrs = {"arrowhead": "none", "color": "#a0aec0", "penwidth": "2"}
        if gap > _LONG_STRETCH:
            attrs["label"] = f"+{gap} {_WORDS[lang]['days']}"
            attrs["fontcolor"] = "#c53030"
        g.edge(f"d{i - 1}", f"d{i}", **attrs)


def _transitions(
    g: graphviz.Digraph, journey: Journey, marks: dict[str, list[tuple[int, int]]], lang: str
) -> None:
    """One edge per transition, styled by handover quality, findings marked."""
    node_of = {e.id: f"e{i}" for i, e in enumerate(journey.timeline)}
    for tr in journey.transitions:
        cls = quality(tr.warm, tr.information)
        attrs = {
            "color": QUALITY[cls][0],
            "style": {True: "solid", False: "dashed", None: "dotted"}[tr.warm],
            "penwidth": "2.5" if cls in {"good", "bad"} else "1.5",
            "arrowhead": "onormal" if tr.kind is TransitionKind.SELF_REFERRAL else "normal",
            "id": f"t_{node_of[tr.source]}_{node_of[tr.target]}",
        }
        text = label(tr.kind, lang)
        refs = marks.get(tr.id, [])
        if refs:
            text += " " + _marks([n for n, _ in refs])
            attrs["fontcolor"] = SEVERITY_COLOURS[max(s for _, s in refs)]
        attrs["xlabel"] = f"<{cell(text, 40)}>"
        g.edge(node_of[tr.source], node_of[tr.target], **attrs)


def _warning(refs: list[tuple[int, int]], colour: str) -> tuple[str, str]:
    """The border colour and the "! #n" row of a node that findings point at."""
    if not refs:
        return colour, ""
    colour = SEVERITY_COLOURS[max(s for _, s in refs)]
    row = (
        f'<TR><TD BGCOLOR="{colour}"><FONT COLOR="#ffffff" POINT-SIZE="9"><B>'
        f"{_marks([n for n, _ in refs])}</B></FONT></TD></TR>"
    )
    return colour, row


def _person_extras(
    lane: graphviz.Digraph,
    journey: Journey,
    *,
    marks: dict[str, list[tuple[int, int]]],
    column: dict[dt.date, int],
    rank_members: dict[int, list[str]],
    first_col: int,
    lang: str,
) -> None:
    """The network members (at the first column) and the plans (at their date)."""
    for i, member in enumerate(journey.network):
        refs = marks.get(member.id, [])
        head = cell(member.name or member.id, 32)
        colour, warn = _warning(refs, "#4a5568")
        text = (
            f'<<TABLE BORDER="{3 if refs else 1}" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="2" BGCOLOR="#fffaf0" COLOR="{colour}" STYLE="ROUNDED">'
            f"<TR><TD><B>{head}</B></TD></TR>"
            f'<TR><TD><FONT POINT-SIZE="8">{cell(label(member.relation, lang))} · '
            f"{_CONSENT[lang][member.consent]}</FONT></TD></TR>{warn}</TABLE>>"
        )
        lane.node(f"n{i}", label=text, id=f"n{i}")
        rank_members[first_col].append(f"n{i}")
    for i, plan in enumerate(journey.plans):
        refs = marks.get(plan.id, [])
        colour, warn = _warning(refs, "#285e61")
        who = len(plan.participants)
        text = (
            f'<<TABLE BORDER="{3 if refs else 1}" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="2" BGCOLOR="#b2f5ea" COLOR="{colour}">'
            f'<TR><TD><FONT POINT-SIZE="8">{plan.date:%Y-%m-%d} · {cell(plan.id, 24)}'
            f"</FONT></TD></TR><TR><TD><B>{cell(label(plan.kind, lang), 32)}</B></TD></TR>"
            f'<TR><TD><FONT POINT-SIZE="8">{_WORDS[lang]["participants"]}: {who}</FONT></TD></TR>'
            f"{warn}</TABLE>>"
        )
        lane.node(f"p{i}", label=text, id=f"p{i}")
        rank_members[column[_day(plan.date)]].append(f"p{i}")
