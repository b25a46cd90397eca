"""The indicators: one small pure function each, from journey facts to a value and evidence.

Every indicator returns an :class:`IndicatorResult`: a value in [0, 1] (1 is what the
målbild asks for), or ``None`` with the reason it is not assessable, plus the ids of the
events, transitions, contacts, plans and network members that raised or lowered it and
one line of explanation in Swedish and English. docs/targets/ gives each formula, its
thresholds and its source; the constants below are those thresholds.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable, Sequence
from typing import Final

import attrs

from careflow.continuity import coc
from careflow.graph import BOUNDARY, boundary_crossings, loops, staff_sequence
from careflow.i18n import words
from careflow.model import (
    PERSON,
    Aspect,
    Channel,
    EventKind,
    Information,
    Need,
    Principal,
    ServiceKind,
    TransitionKind,
    timestamp_of,
)
from careflow.scoring import rules
from careflow.scoring.facts import (
    APPOINTMENT_KINDS,
    HELP_KINDS,
    MOVE_KINDS,
    SEEKING_KINDS,
    Facts,
    coverage,
    day_number,
    linear,
)

__all__ = [
    "INDICATORS",
    "Indicator",
    "IndicatorResult",
]

# Thresholds, in days unless said otherwise (see docs/targets/ for sources).
#: Målbild 1: help within a week is early; the vårdgaranti's outer limit is 90 days.
HELP_GOOD, HELP_BAD = 7.0, 90.0
#: Målbild 2: an appointment within two weeks; 90 days is the vårdgaranti's limit.
WAIT_GOOD, WAIT_BAD = 14.0, 90.0
#: Målbild 4: a SIP "without delay" — within 30 days of both principals being active.
SIP_GOOD, SIP_BAD = 30.0, 180.0
#: Målbild 4: follow-up within 7 days after discharge (HEDIS FUH-7); a month is a failure.
FOLLOW_GOOD, FOLLOW_BAD = 7.0, 30.0
#: Målbild 9: distinct contact persons a year: 3 is a small team, 12 a new face a month.
CONTACTS_GOOD, CONTACTS_BAD = 3.0, 12.0
#: Målbild 9: nobody coordinating matters once the person met this many contact persons...
MANY_CONTACTS: Final = 4
#: ... or this many services (units other than the person's own network).
SEVERAL_SERVICES: Final = 2
_YEAR: Final = 365.25
_INFO_SCORE: Final = {Information.FULL: 1.0, Information.PARTIAL: 0.5, Information.NONE: 0.0}
_ALT_CHANNELS: Final = ("phone", "digital", "outreach")
_EVERYDAY_EXCLUDED: Final = frozenset({Need.SUBSTANCE_USE.value, Need.MENTAL_HEALTH.value})
_BOTH_CONDITIONS: Final = _EVERYDAY_EXCLUDED  # substance use and mental health
_PEER_SERVICES: Final = frozenset({ServiceKind.PEER_SUPPORT, ServiceKind.USER_ORGANISATION})
_DEATH: Final = EventKind.DEATH


@attrs.frozen(kw_only=True, slots=True)
class IndicatorResult:
    """The value of one indicator for one journey, with its evidence.

    ``value`` is in [0, 1], or ``None`` when the journey holds no data for it; then
    ``reason_sv``/``reason_en`` say why. ``raised`` and ``lowered`` are the ids that
    pushed the value up or down; ``failed`` the ids judged failing outright (the items
    at the indicator's floor), which are exactly those the matching gap finding cites.
    """

    id: str
    value: float | None
    explanation_sv: str
    explanation_en: str
    raised: tuple[str, ...] = ()
    lowered: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    @property
    def assessable(self) -> bool:
        """Whether the journey held data enough to compute the indicator."""
        return self.value is not None

    def explanation(self, lang: str = "sv") -> str:
        """The one-line explanation (or, when not assessable, the reason) in ``lang``."""
        return self.explanation_sv if lang == "sv" else self.explanation_en


IndicatorFunction = Callable[[Facts], IndicatorResult]


@attrs.frozen(kw_only=True, slots=True)
class Indicator:
    """A registered indicator: its id, names, the målbild it was made for, the function."""

    id: str
    target: int
    name_sv: str
    name_en: str
    function: IndicatorFunction

    def __call__(self, facts: Facts) -> IndicatorResult:
        """Compute the indicator for one journey's facts."""
        return self.function(facts)


def _na(ind: str, sv: str, en: str) -> IndicatorResult:
    return IndicatorResult(id=ind, value=None, explanation_sv=sv, explanation_en=en)


def _ok(  # noqa: PLR0917 - one call shape shared by every indicator
    ind: str,
    value: float,
    sv: str,
    en: str,
    raised: Sequence[str] = (),
    lowered: Sequence[str] = (),
    failed: Sequence[str] = (),
) -> IndicatorResult:
    return IndicatorResult(
        id=ind,
        value=min(1.0, max(0.0, value)),
        explanation_sv=sv,
        explanation_en=en,
        raised=tuple(dict.fromkeys(raised)) if raised else (),
        lowered=tuple(dict.fromkeys(lowered)) if lowered else (),
        failed=tuple(dict.fromkeys(failed)) if failed else (),
    )


def _no_kinds(ind: str) -> IndicatorResult:
    return _na(
        ind,
        "Händelsernas typ är inte registrerad (bara kontakter).",
        "Event kinds are not recorded (contacts only).",
    )


def _d(days: float) -> str:
    return f"{days:.0f}"


# -- målbild 1: early help ----------------------------------------------------------------


def time_to_help(f: Facts) -> IndicatorResult:
    """Days from the first need signal or help-seeking to the first help given.

    value = 1 at ≤ 7 days, 0 at ≥ 90 days, linear between; 0 when no help came in 90
    days of observation, or before the person died; not assessable without a signal, or
    with no help yet and less than 90 days observed.
    """
    ind = "time_to_help"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    tl = f.timeline
    signal = next((i for i, e in enumerate(tl) if e.kind in SEEKING_KINDS), None)
    if signal is None:
        return _na(
            ind,
            "Ingen behovssignal eller hjälpsökande registrerad.",
            "No need signal or help-seeking recorded.",
        )
    help_at = next((i for i in range(signal, len(tl)) if tl[i].kind in HELP_KINDS), None)
    if help_at is None:
        waited = f.end - f.day[signal]
        if f.journey.death is not None:  # issue 12: the death ended the wait, help never came
            return _ok(
                ind,
                0.0,
                f"Personen dog {_d(waited)} dagar efter första signalen utan att ha fått hjälp.",
                f"The person died {_d(waited)} days after the first signal without getting help.",
                lowered=[tl[signal].id, f.journey.death.id],
            )
        if waited < HELP_BAD:
            return _na(
                ind,
                f"Ingen hjälp ännu, men bara {_d(waited)} dagar observerade.",
                f"No help yet, but only {_d(waited)} days observed.",
            )
        return _ok(
            ind,
            0.0,
            f"Ingen hjälp på {_d(waited)} dagar efter första signalen.",
            f"No help in {_d(waited)} days after the first signal.",
            lowered=[tl[signal].id],
        )
    days = f.day[help_at] - f.day[signal]
    value = linear(days, HELP_GOOD, HELP_BAD)
    ids = [tl[signal].id, tl[help_at].id]
    return _ok(
        ind,
        value,
        f"{_d(days)} dagar från första signal till första hjälp.",
        f"{_d(days)} days from the first signal to the first help.",
        raised=ids if value >= 0.5 else (),
        lowered=ids if value < 0.5 else (),
    )


def unanswered_seeking(f: Facts) -> IndicatorResult:
    """Help-seeking that led nowhere before the first help: value = 1 / (1 + k)."""
    ind = "unanswered_seeking"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    tl = f.timeline
    signal = next((i for i, e in enumerate(tl) if e.kind in SEEKING_KINDS), None)
    if signal is None:
        return _na(
            ind,
            "Ingen behovssignal eller hjälpsökande registrerad.",
            "No need signal or help-seeking recorded.",
        )
    stop = next((i for i in range(signal, len(tl)) if tl[i].kind in HELP_KINDS), len(tl))
    unanswered = [
        tl[i].id
        for i in range(signal + 1, stop)
        if tl[i].kind in SEEKING_KINDS or tl[i].kind in (EventKind.REJECTION, EventKind.REDIRECTION)
    ]
    k = len(unanswered)
    return _ok(
        ind,
        1 / (1 + k),
        f"{k} försök att få hjälp utan svar före första hjälpen.",
        f"{k} attempts to get help went unanswered before the first help.",
        raised=[tl[signal].id] if k == 0 else (),
        lowered=unanswered,
    )


# -- målbild 2: easy to find and reach ----------------------------------------------------


def wait_to_appointment(f: Facts) -> IndicatorResult:
    """Wait from a referral or request to the appointment it led to.

    value = mean of the scores of the median and the worst wait, each 1 at ≤ 14 days and
    0 at ≥ 90 days. A referral the person was still waiting on when they died (a referral
    event no transition leaves, with no appointment at another actor since) counts as a
    wait of at least 90 days: the appointment never came. Not assessable without a
    transition that ends in an appointment or such a referral, or when event kinds are
    not recorded.
    """
    ind = "wait_to_appointment"
    if not f.kinds_recorded:
        return _no_kinds(ind)  # a bare log's unit changes are not requests with a wait
    waits: list[tuple[float, str]] = []
    for tr in f.journey.transitions:
        if tr.kind is TransitionKind.RETURN:
            continue
        target = f.index[tr.target]
        if f.timeline[target].kind not in APPOINTMENT_KINDS:
            continue
        waits.append((f.day[target] - f.day[f.index[tr.source]], tr.id))
    died_waiting = _open_at_death(f)
    died = {ref for _, ref in died_waiting}
    waits += [(max(WAIT_BAD, days), ref) for days, ref in died_waiting]
    if not waits:
        return _na(
            ind,
            "Ingen remiss eller förfrågan som ledde till en tid.",
            "No referral or request that led to an appointment.",
        )
    days = [w for w, _ in waits]
    median, worst = statistics.median(days), max(days)
    value = (linear(median, WAIT_GOOD, WAIT_BAD) + linear(worst, WAIT_GOOD, WAIT_BAD)) / 2
    died_sv = f"; {len(died_waiting)} remiss(er) obesvarade vid dödsfallet" if died_waiting else ""
    died_en = f"; {len(died_waiting)} referral(s) unanswered at the death" if died_waiting else ""
    return _ok(
        ind,
        value,
        f"Väntan median {_d(median)} dagar, längst {_d(worst)} dagar{died_sv}.",
        f"Wait median {_d(median)} days, longest {_d(worst)} days{died_en}.",
        raised=[t for w, t in waits if w <= WAIT_GOOD],
        lowered=[t for w, t in waits if w > WAIT_GOOD],
        # only the waits a long_wait finding cites: a referral the person died waiting on
        # lowers the score, and death_after_contact is the finding that speaks of it
        failed=[t for w, t in waits if w >= WAIT_BAD and t not in died],
    )


def _open_at_death(f: Facts) -> list[tuple[float, str]]:
    """Referrals still open when the person died (issue 12).

    A referral event that no transition leaves, with no appointment at another actor
    between it and the death; each as (days from the referral to the death, its id). The
    death ended observation of a wait that had not ended.
    """
    if f.journey.death is None:
        return []
    tl = f.timeline
    answered = {t.source for t in f.journey.transitions}
    out = []
    for i, e in enumerate(tl):
        if e.kind is not EventKind.REFERRAL or e.id in answered:
            continue
        if any(x.kind in APPOINTMENT_KINDS and x.actor != e.actor for x in tl[i + 1 :]):
            continue
        out.append((max(0.0, f.day[-1] - f.day[i]), e.id))
    return out


def redirections(f: Facts) -> IndicatorResult:
    """Rejections, redirections and returns ("hänvisad") in the journey: 1 / (1 + k)."""
    ind = "redirections"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    hits = [e.id for e in f.timeline if e.kind in (EventKind.REJECTION, EventKind.REDIRECTION)]
    hits += [t.id for t in f.journey.transitions if t.kind is TransitionKind.RETURN]
    k = len(hits)
    return _ok(
        ind,
        1 / (1 + k),
        f"{k} avvisningar, hänvisningar eller återsändningar.",
        f"{k} rejections, redirections or returns.",
        lowered=hits,
    )


def entry_points(f: Facts) -> IndicatorResult:
    """Distinct places the person tried before one responded: value = 1 / k.

    0 when no one responded at all; not assessable when no help-seeking is recorded.
    """
    ind = "entry_points"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    tl = f.timeline
    responded = next(
        (
            i
            for i, e in enumerate(tl)
            if e.kind in APPOINTMENT_KINDS and e.kind is not EventKind.CONTACT
        ),
        None,
    )
    stop = len(tl) if responded is None else responded
    tried = [
        i
        for i in range(stop)
        if tl[i].kind in SEEKING_KINDS or tl[i].kind in (EventKind.REJECTION, EventKind.REDIRECTION)
    ]
    if not tried:
        return _na(
            ind,
            "Inget hjälpsökande registrerat före första svaret.",
            "No help-seeking recorded before the first response.",
        )
    places = list(dict.fromkeys(tl[i].actor for i in tried))
    if responded is None:
        return _ok(
            ind,
            0.0,
            f"Personen sökte hjälp på {len(places)} ställen utan svar.",
            f"The person sought help at {len(places)} places without a response.",
            lowered=[tl[i].id for i in tried],
        )
    if tl[responded].actor not in places:
        places.append(tl[responded].actor)
    k = len(places)
    return _ok(
        ind,
        1 / k,
        f"{k} ställen prövades innan någon svarade.",
        f"{k} places were tried before one responded.",
        raised=[tl[responded].id],
        lowered=[tl[i].id for i in tried] if k > 1 else (),
    )


def channels(f: Facts) -> IndicatorResult:
    """Share of the alternative channels (phone, digital, outreach) the journey used."""
    ind = "channels"
    used: dict[str, list[str]] = {}  # keyed by the channel itself: a str enum
    any_recorded = False
    for e in f.timeline:
        if e.channel is not None:
            any_recorded = True
            used.setdefault(e.channel, []).append(e.id)
    if not any_recorded:
        return _na(ind, "Ingen kontaktväg registrerad.", "No channel recorded.")
    alt = tuple(c for c in _ALT_CHANNELS if c in used)
    raised = [used[c][0] for c in alt]
    sv, en = _channel_words(alt)
    return _ok(
        ind,
        len(alt) / len(_ALT_CHANNELS),
        f"Kontaktvägar utöver besök: {sv}.",
        f"Channels besides visits: {en}.",
        raised=raised,
    )


@functools.cache
def _channel_words(alt: tuple[str, ...]) -> tuple[str, str]:
    """The alternative channels used, in words in Swedish and English (one of eight sets)."""
    return (
        words(map(Channel, alt), "sv") or "inga",
        words(map(Channel, alt), "en") or "none",
    )


# -- målbild 3: treatment and choice ------------------------------------------------------


def guideline_treatment_time(f: Facts) -> IndicatorResult:
    """Share of the journey's time with active treatment that guidelines recommend.

    Treatment and admission episodes count unless marked ``guideline: false``.
    """
    ind = "guideline_treatment_time"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    if f.span < 1:
        return _na(ind, "Resan är kortare än en dag.", "The journey is shorter than a day.")
    kinds = frozenset({EventKind.TREATMENT, EventKind.ADMISSION})
    idx = [i for i, e in enumerate(f.timeline) if e.kind in kinds and e.guideline is not False]
    share = coverage(((f.day[i], f.episode_end[i]) for i in idx), f.start, f.end)
    off = [e.id for e in f.timeline if e.kind in kinds and e.guideline is False]
    return _ok(
        ind,
        share,
        f"Behandling enligt riktlinjer {share:.0%} av tiden.",
        f"Guideline treatment {share:.0%} of the time.",
        raised=[f.timeline[i].id for i in idx],
        lowered=off,
    )


def shared_decisions(f: Facts) -> IndicatorResult:
    """Share of recorded decisions where the person's choice or a shared decision was noted."""
    ind = "shared_decisions"
    yes = [e.id for e in f.timeline if e.shared_decision is True]
    no = [e.id for e in f.timeline if e.shared_decision is False]
    if not yes and not no:
        return _na(ind, "Inga beslut med val registrerade.", "No decisions with choice recorded.")
    n = len(yes) + len(no)
    return _ok(
        ind,
        len(yes) / n,
        f"Delat beslut i {len(yes)} av {n} beslut.",
        f"Shared decision in {len(yes)} of {n} decisions.",
        raised=yes,
        lowered=no,
    )


def treatment_completion(f: Facts) -> IndicatorResult:
    """Treatments not ended by drop-out or sanction: 1 − k / n (n treatment episodes)."""
    ind = "treatment_completion"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    treatments = [e.id for e in f.timeline if e.kind is EventKind.TREATMENT]
    ended = [
        e.id
        for e in f.timeline
        if e.kind is EventKind.DROP_OUT
        or (e.reason_code is not None and e.reason_code.value == "sanction")
    ]
    if not treatments and not ended:
        return _na(ind, "Ingen behandling registrerad.", "No treatment recorded.")
    n, k = max(len(treatments), 1), len(ended)
    return _ok(
        ind,
        1 - min(1.0, k / n),
        f"{k} avbrott eller sanktioner på {len(treatments)} behandlingar.",
        f"{k} drop-outs or sanctions over {len(treatments)} treatments.",
        raised=treatments if not ended else (),
        lowered=ended,
    )


# -- målbild 4: care that hangs together --------------------------------------------------


def information_transfer(f: Facts) -> IndicatorResult:
    """Informational continuity: mean over handovers of full 1, partial 0.5, none 0.

    Handovers are referrals, handovers and returns between two different actors; those
    with unknown information are left out.
    """
    ind = "information_transfer"
    scored: list[tuple[float, str]] = []
    for tr in f.journey.transitions:
        if tr.kind not in MOVE_KINDS or tr.information is Information.UNKNOWN:
            continue
        if f.timeline[f.index[tr.source]].actor == f.timeline[f.index[tr.target]].actor:
            continue
        scored.append((_INFO_SCORE[tr.information], tr.id))
    if not scored:
        return _na(
            ind,
            "Ingen överlämning med känd informationsöverföring.",
            "No handover with known information transfer.",
        )
    value = sum(s for s, _ in scored) / len(scored)
    full = sum(1 for s, _ in scored if s == 1.0)
    return _ok(
        ind,
        value,
        f"Full information i {full} av {len(scored)} överlämningar.",
        f"Full information in {full} of {len(scored)} handovers.",
        raised=[t for s, t in scored if s == 1.0],
        lowered=[t for s, t in scored if s < 1.0],
    )


def joint_plan(f: Facts) -> IndicatorResult:
    """Management continuity: a SIP or joint plan soon after region and kommun are both active.

    Delay = days from the day both principals have had an event to the first joint plan
    (0 if the plan came first); value 1 at ≤ 30 days, 0 at ≥ 180 days, and 0 with no
    joint plan once 30 days have passed. Not assessable if the two were never both active,
    or if the journey records neither plans nor kinds of event (a bare event log).
    """
    ind = "joint_plan"
    first: dict[str, int] = {}  # keyed by the principal itself, a str enum equal to its value
    for i, p in enumerate(f.principal):
        if p in BOUNDARY and p not in first:
            first[p] = i
            if len(first) == len(BOUNDARY):
                break
    if len(first) < 2:
        orphan = [n for n in rules.known_needs(f.journey) if n in rules.KOMMUN_NEEDS]
        if orphan and Principal.KOMMUN.value not in first and f.span >= SIP_GOOD:
            return _ok(
                ind,
                0.0,
                f"Kommunen var aldrig inblandad trots behov av {', '.join(orphan)}.",
                f"The kommun was never involved despite needs in {', '.join(orphan)}.",
            )
        return _na(
            ind,
            "Region och kommun var inte båda inblandade.",
            "Region and kommun were not both involved.",
        )
    both_idx = max(first.values())
    both = f.day[both_idx]
    joint = sorted((p for p in f.journey.plans if p.joint), key=lambda p: (p.date, p.id))
    plans_known = f.journey.plans or f.journey.complete(Aspect.PLANS)
    if not plans_known and not f.kinds_recorded:
        return _na(
            ind,
            "Planer och planeringsmöten är inte registrerade (bara kontakter).",
            "Plans and planning meetings are not recorded (contacts only).",
        )
    if not joint:
        waited = f.end - both
        if waited < SIP_GOOD:
            return _na(
                ind,
                f"Ingen SIP ännu, men bara {_d(waited)} dagar med båda huvudmännen.",
                f"No SIP yet, but only {_d(waited)} days with both principals.",
            )
        return _ok(
            ind,
            0.0,
            f"Ingen SIP på {_d(waited)} dagar med både region och kommun.",
            f"No SIP in {_d(waited)} days with both region and kommun.",
            lowered=[f.timeline[i].id for i in sorted(first.values())],
            failed=[f.timeline[i].id for i in sorted(first.values())],
        )
    plan = joint[0]
    firsts = [f.timeline[i].id for i in sorted(first.values())]
    delay = max(0.0, day_number(timestamp_of(plan.date)) - both)
    value = linear(delay, SIP_GOOD, SIP_BAD)
    return _ok(
        ind,
        value,
        f"SIP {_d(delay)} dagar efter att båda huvudmännen var inblandade.",
        f"SIP {_d(delay)} days after both principals were involved.",
        raised=[plan.id] if value >= 0.5 else (),
        lowered=[plan.id, *firsts] if value < 0.5 else (),
        failed=[plan.id, *firsts] if value == 0.0 else (),
    )


def warm_boundary_handovers(f: Facts) -> IndicatorResult:
    """Region-kommun crossings that were warm and informed.

    A cold crossing (no information, or the person sent on alone) scores 0; otherwise the
    mean of the known parts: information (full 1, partial 0.5) and warmth (warm 1).
    Crossings with neither part known are left out.
    """
    ind = "warm_boundary_handovers"
    scored: list[tuple[float, str]] = []
    for crossing in boundary_crossings(f.journey):
        tr = crossing.transition
        if crossing.cold:
            scored.append((0.0, tr.id))
            continue
        parts = []
        if tr.information is not Information.UNKNOWN:
            parts.append(_INFO_SCORE[tr.information])
        if tr.warm is not None:
            parts.append(1.0)
        if parts:
            scored.append((sum(parts) / len(parts), tr.id))
    if not scored:
        return _na(
            ind,
            "Ingen övergång mellan region och kommun med känd kvalitet.",
            "No region-kommun crossing of known quality.",
        )
    value = sum(s for s, _ in scored) / len(scored)
    cold = sum(1 for s, _ in scored if s == 0.0)
    return _ok(
        ind,
        value,
        f"{cold} av {len(scored)} övergångar region–kommun var kalla.",
        f"{cold} of {len(scored)} region-kommun crossings were cold.",
        raised=[t for s, t in scored if s >= 0.75],
        lowered=[t for s, t in scored if s < 0.75],
        failed=[t for s, t in scored if s == 0.0],
    )


def discharge_follow_up(f: Facts) -> IndicatorResult:
    """Planned follow-up after each discharge and closure: 1 at ≤ 7 days, 0 at ≥ 30 days.

    Follow-up is a planned contact by a service working on the condition; a return to an
    emergency service, a crisis, a readmission or a closure is not (a readmission or
    closure before follow-up makes the discharge 0). A discharge with nothing after it
    counts 0 once observation extends 30 days past it, and is left out before that. See
    :func:`careflow.scoring.rules.discharge_follow_ups`. A discharge or case closure
    made while the way onward had not opened (nobody held the person, see
    :func:`careflow.scoring.rules.held_by_nobody`) counts 0 too.
    A death before any follow-up scores 0, however soon it came: a failed follow-up.
    """
    ind = "discharge_follow_up"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    unheld = {u.closure: u.days for u in rules.held_by_nobody(f.journey, 0.0, FOLLOW_BAD)}
    scored: dict[str, tuple[float, float]] = {}
    failed: list[str] = []
    for fu in rules.discharge_follow_ups(f.journey, FOLLOW_BAD):
        if fu.discharge in unheld:
            continue
        if not fu.judged:
            continue
        value = 0.0 if fu.failed else linear(fu.days, FOLLOW_GOOD, FOLLOW_BAD)
        scored[fu.discharge] = (value, fu.days)
        if fu.failed:
            failed.append(fu.discharge)
    for closure, days in unheld.items():
        scored[closure] = (0.0, days)
        failed.append(closure)
    if not scored:
        return _na(
            ind,
            "Ingen utskrivning eller avslut att följa upp.",
            "No discharge or closure to follow up.",
        )
    order = {e.id: i for i, e in enumerate(f.timeline)}
    items = sorted(scored.items(), key=lambda item: order[item[0]])
    value = sum(v for _, (v, _) in items) / len(items)
    worst = max(d for _, (_, d) in items)
    return _ok(
        ind,
        value,
        f"{len(items)} utskrivningar och avslut, {len(failed)} utan planerad uppföljning "
        f"eller mottagare; längst {_d(worst)} dagar.",
        f"{len(items)} discharges and closures, {len(failed)} without planned follow-up "
        f"or anyone taking over; longest {_d(worst)} days.",
        raised=[i for i, (v, _) in items if v >= 0.5],
        lowered=[i for i, (v, _) in items if v < 0.5],
        failed=sorted(failed, key=order.__getitem__),
    )


def unit_continuity(f: Facts) -> IndicatorResult:
    """Continuity of care over units: the COC index over the actors of the timeline."""
    ind = "unit_continuity"
    actors = [e.actor for e in f.timeline if e.kind is not _DEATH]  # a death is no contact
    value = coc(actors)
    if value is None:
        return _na(ind, "Färre än två kontakter.", "Fewer than two contacts.")
    units = len(set(actors))
    return _ok(
        ind, value, f"COC {value:.2f} över {units} enheter.", f"COC {value:.2f} over {units} units."
    )


# -- målbild 5: not shut out --------------------------------------------------------------


def other_condition_rejections(f: Facts) -> IndicatorResult:
    """Rejections or postponements for the other condition ("sober first"): 1 / (1 + k).

    An event counts with ``reason_code: other_condition`` or a ``demanded_first``. Half
    that while a known condition was never treated: no rejection is then no evidence of
    inclusion.
    """
    ind = "other_condition_rejections"
    if not f.kinds_recorded:
        return _no_kinds(ind)
    hits = [e.id for e in rules.other_condition_events(f.journey)]
    k = len(hits)
    value, sv, en = 1 / (1 + k), "", ""
    untreated = _absence_is_no_evidence(f)
    if untreated is not None:
        value, (sv, en) = value / 2, untreated
    return _ok(
        ind,
        value,
        f'{k} avvisningar för det andra tillståndet ("nykter först").{sv}',
        f'{k} rejections for the other condition ("sober first").{en}',
        lowered=hits,
        failed=hits,
    )


def _absence_is_no_evidence(f: Facts) -> tuple[str, str] | None:
    """Why no rejection and no loop is no evidence of inclusion, if it is not.

    When a condition the services knew of was never treated, the person was not shut
    out, but not let in either: the indicator then counts half.
    """
    untreated = [n for n, _ in rules.untreated_conditions(f.journey) if n in rules.CONDITIONS]
    if not untreated:
        return None
    return (
        f" {', '.join(untreated)} behandlades aldrig: att ingen avvisade är inget belägg för "
        "att personen fick hjälp.",
        f" {', '.join(untreated)} was never treated: nobody turning the person away is no "
        "evidence that they were let in.",
    )


def ping_pong(f: Facts) -> IndicatorResult:
    """Referral loops that returned untreated (see :func:`careflow.graph.loops`): 1 / (1 + k).

    Rejections are moves too. Half that while a known condition was never treated; with
    no moves at all it is 1 (nobody was sent round), or 0.5 when a known condition was
    never treated.
    """
    ind = "ping_pong"
    if not f.kinds_recorded:
        return _no_kinds(ind)  # without kinds, "no treatment in between" cannot be told
    found = loops(f.journey)
    ids = [t for loop in found for t in (*loop.transitions, *loop.events)]
    value, sv, en = 1 / (1 + len(found)), "", ""
    untreated = _absence_is_no_evidence(f)
    if untreated is not None:
        value, (sv, en) = value / 2, untreated
    return _ok(
        ind,
        value,
        f"{len(found)} remissrundor utan att behandling startade.{sv}",
        f"{len(found)} referral loops with no treatment started.{en}",
        lowered=ids,
        failed=ids,
    )


def both_conditions_treated(f: Facts) -> IndicatorResult:
    """Share of the journey's time with help for substance use and mental health at once."""
    ind = "both_conditions_treated"
    needs = set(f.journey.person.needs)
    if not {Need.SUBSTANCE_USE.value, Need.MENTAL_HEALTH.value} <= needs:
        return _na(
            ind,
            "Personens behov omfattar inte både beroende och psykisk ohälsa.",
            "The person's needs do not include both substance use and mental health.",
        )
    if not f.kinds_recorded:
        return _no_kinds(ind)
    if f.span < 1:
        return _na(ind, "Resan är kortare än en dag.", "The journey is shorter than a day.")
    su = f.episodes(HELP_KINDS, Need.SUBSTANCE_USE.value)
    mh = f.episodes(HELP_KINDS, Need.MENTAL_HEALTH.value)
    share = coverage(_overlap(su, mh), f.start, f.end)
    both = [
        e.id
        for i, e in enumerate(f.timeline)
        if e.kind in HELP_KINDS and f.addresses[i] >= _BOTH_CONDITIONS
    ]
    return _ok(
        ind,
        share,
        f"Hjälp med båda tillstånden samtidigt {share:.0%} av tiden.",
        f"Help with both conditions at once {share:.0%} of the time.",
        raised=both,
    )


def _merged(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The union of ``intervals`` as disjoint intervals in order (touching ones joined)."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _overlap(
    xs: list[tuple[float, float]], ys: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Where an interval of ``xs`` and one of ``ys`` overlap, in linear time after sorting.

    The same time, to the last bit of every end, as all the pairwise overlaps of positive
    length: both cover the one set of points, and :func:`coverage` joins touching parts.
    """
    xs, ys = _merged(xs), _merged(ys)
    out = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        (a, b), (c, d) = xs[i], ys[j]
        if min(b, d) > max(a, c):
            out.append((max(a, c), min(b, d)))
        if b < d:
            i += 1
        else:
            j += 1
    return out


# -- målbild 6: respect -------------------------------------------------------------------


def respect(f: Facts) -> IndicatorResult:
    """Share of "yes" among the person's answers on being listened to, understood, respected."""
    ind = "respect"
    yes: list[str] = []
    no: list[str] = []
    for e in f.timeline:
        if e.experience is None:
            continue
        for answer in (e.experience.listened, e.experience.understood, e.experience.respected):
            if answer is True:
                yes.append(e.id)
            elif answer is False:
                no.append(e.id)
    n = len(yes) + len(no)
    if not n:
        return _na(
            ind,
            "Personens upplevelse är inte registrerad.",
            "The person's experience is not recorded.",
        )
    return _ok(
        ind,
        len(yes) / n,
        f"{len(yes)} av {n} svar: lyssnad på, förstådd, respekterad.",
        f"{len(yes)} of {n} answers: listened to, understood, respected.",
        raised=yes,
        lowered=no,
    )


def involvement(f: Facts) -> IndicatorResult:
    """Share of "yes" among the person's answers on being involved in decisions."""
    ind = "involvement"
    yes = [e.id for e in f.timeline if e.experience is not None and e.experience.involved is True]
    no = [e.id for e in f.timeline if e.experience is not None and e.experience.involved is False]
    n = len(yes) + len(no)
    if not n:
        return _na(
            ind,
            "Personen har inte fått svara på delaktighet.",
            "The person was not asked about involvement.",
        )
    return _ok(
        ind,
        len(yes) / n,
        f"Delaktig i beslut vid {len(yes)} av {n} tillfällen.",
        f"Involved in decisions at {len(yes)} of {n} touchpoints.",
        raised=yes,
        lowered=no,
    )


# -- målbild 7: empowerment ---------------------------------------------------------------


def plan_participation(f: Facts) -> IndicatorResult:
    """Share of plans and plan meetings the person took part in."""
    ind = "plan_participation"
    return _plan_share(
        f,
        ind,
        lambda who: PERSON in who,
        (
            "Personen var med i {yes} av {n} planer och möten.",
            "The person took part in {yes} of {n} plans and meetings.",
        ),
    )


def _plan_share(
    f: Facts, ind: str, present: Callable[[tuple[str, ...]], bool], text: tuple[str, str]
) -> IndicatorResult:
    """Share of plans and plan meetings whose participants satisfy ``present``."""
    items = [(p.id, present(p.participants)) for p in f.journey.plans]
    items += [
        (e.id, present(e.participants)) for e in f.timeline if e.kind is EventKind.PLAN_MEETING
    ]
    if not items:
        return _na(
            ind, "Ingen plan eller planeringsmöte registrerat.", "No plan or plan meeting recorded."
        )
    yes = [i for i, ok in items if ok]
    return _ok(
        ind,
        len(yes) / len(items),
        text[0].format(yes=len(yes), n=len(items)),
        text[1].format(yes=len(yes), n=len(items)),
        raised=yes,
        lowered=[i for i, ok in items if not ok],
    )


def informed(f: Facts) -> IndicatorResult:
    """Share of touchpoints with information recorded where the person got it."""
    ind = "informed"
    yes = [e.id for e in f.timeline if e.informed is True]
    no = [e.id for e in f.timeline if e.informed is False]
    n = len(yes) + len(no)
    if not n:
        return _na(
            ind,
            "Information till personen är inte registrerad.",
            "Information to the person is not recorded.",
        )
    return _ok(
        ind,
        len(yes) / n,
        f"Fick information vid {len(yes)} av {n} tillfällen.",
        f"Got information at {len(yes)} of {n} touchpoints.",
        raised=yes,
        lowered=no,
    )


def peer_support(f: Facts) -> IndicatorResult:
    """1 when the person met peer support or a user organisation, else 0."""
    ind = "peer_support"
    if not f.services_recorded:
        return _na(
            ind, "Tjänsternas typ är inte registrerad.", "Kinds of service are not recorded."
        )
    peers = {n.id for n in f.journey.network if n.relation.value == "peer_supporter"}
    hits = [
        e.id
        for e in f.timeline
        if f.journey.actor_of(e).service in _PEER_SERVICES or peers.intersection(e.participants)
    ]
    if hits:
        return _ok(
            ind,
            1.0,
            f"Kontakt med brukarstöd eller brukarorganisation ({len(hits)} gånger).",
            f"Contact with peer support or a user organisation ({len(hits)} times).",
            raised=hits,
        )
    return _ok(
        ind,
        0.0,
        "Ingen kontakt med brukarstöd eller brukarorganisation.",
        "No contact with peer support or a user organisation.",
    )


# -- målbild 8: everyday life -------------------------------------------------------------


def _everyday_needs(f: Facts) -> list[str]:
    return [n for n in rules.known_needs(f.journey) if n not in _EVERYDAY_EXCLUDED]


def life_domains_addressed(f: Facts) -> IndicatorResult:
    """Share of everyday needs (housing, occupation, economy, ...) a service acted on.

    A need counts 1 when a treatment or support event addressed it, 0.5 when only a plan
    covered it, 0 otherwise. Not assessable when the person has no such needs.
    """
    ind = "life_domains_addressed"
    needs = _everyday_needs(f)
    if not needs:
        return _na(
            ind, "Inga behov i vardagslivet registrerade.", "No everyday-life needs recorded."
        )
    raised: list[str] = []
    lowered: list[str] = []
    total = 0.0
    acted_on: list[str] = []
    for need in needs:
        acts = [
            e.id
            for i, e in enumerate(f.timeline)
            if e.kind in HELP_KINDS and need in f.addresses[i]
        ]
        plans = [p.id for p in f.journey.plans if need in p.domains]
        if acts:
            total += 1.0
            raised += acts[:1]
            acted_on.append(need)
        elif plans:
            total += 0.5
            lowered += plans
    missing = [n for n in needs if n not in acted_on]
    return _ok(
        ind,
        total / len(needs),
        f"Insatser för {len(acted_on)} av {len(needs)} vardagsbehov"
        + (f"; saknas: {words(missing, 'sv')}." if missing else "."),
        f"Services acted on {len(acted_on)} of {len(needs)} everyday needs"
        + (f"; missing: {words(missing, 'en')}." if missing else "."),
        raised=raised,
        lowered=lowered,
    )


def everyday_support_time(f: Facts) -> IndicatorResult:
    """Share of the journey's time with support active for an everyday need."""
    ind = "everyday_support_time"
    needs = set(_everyday_needs(f))
    if not needs:
        return _na(
            ind, "Inga behov i vardagslivet registrerade.", "No everyday-life needs recorded."
        )
    if not f.kinds_recorded:
        return _no_kinds(ind)
    if f.span < 1:
        return _na(ind, "Resan är kortare än en dag.", "The journey is shorter than a day.")
    idx = [i for i, e in enumerate(f.timeline) if e.kind in HELP_KINDS and needs & f.addresses[i]]
    share = coverage(((f.day[i], f.episode_end[i]) for i in idx), f.start, f.end)
    return _ok(
        ind,
        share,
        f"Stöd i vardagen {share:.0%} av tiden.",
        f"Everyday support {share:.0%} of the time.",
        raised=[f.timeline[i].id for i in idx],
    )


# -- målbild 9: one trusted person --------------------------------------------------------


def coordinator_span(f: Facts) -> IndicatorResult:
    """Share of the journey the longest-serving coordinating contact covered.

    Coordinating roles: coordinator, fast vårdkontakt, case manager, SIP lead. A missing
    start is the first event they took part in (else the journey's start); a missing end
    is the end of observation. 0 when nobody coordinates although the person met several
    services or many contact persons (:func:`careflow.scoring.rules.coordination_gap`),
    also when contacts are declared recorded completely and none is listed.
    """
    ind = "coordinator_span"
    journey = f.journey
    if not journey.contacts and not journey.complete(Aspect.CONTACTS):
        return _na(ind, "Inga kontaktpersoner registrerade.", "No contact persons recorded.")
    if not f.coordinators:
        gap = rules.coordination_gap(journey, MANY_CONTACTS, SEVERAL_SERVICES)
        if gap is None:
            return _na(
                ind,
                "Personen mötte en verksamhet och få kontaktpersoner; ingen behövde samordna.",
                "The person met one service and few contact persons; nothing to coordinate.",
            )
        ids = gap.contacts + gap.services
        return _ok(
            ind,
            0.0,
            f"Ingen samordnare trots {len(gap.services)} verksamheter och "
            f"{len(journey.contacts)} kontaktpersoner.",
            f"No coordinator despite {len(gap.services)} services and "
            f"{len(journey.contacts)} contact persons.",
            lowered=ids,
            failed=ids,
        )
    if f.span <= 0:
        return _na(ind, "Resan har ingen längd i tid.", "The journey has no length in time.")
    best, best_id = -1.0, ""
    for contact in journey.contacts:
        if contact.id not in f.coordinators:
            continue
        met = f.contact_days.get(contact.id)
        lo = (
            day_number(timestamp_of(contact.start))
            if contact.start
            else (min(met) if met else f.start)
        )
        hi = day_number(timestamp_of(contact.end)) + 1 if contact.end else f.end
        share = coverage([(lo, hi)], f.start, f.end)
        if share > best:
            best, best_id = share, contact.id
    return _ok(
        ind,
        best,
        f"Samordnaren följde {best:.0%} av resan.",
        f"The coordinator followed {best:.0%} of the journey.",
        raised=[best_id] if best >= 0.5 else (),
        lowered=[best_id] if best < 0.5 else (),
    )


def contacts_per_year(f: Facts) -> IndicatorResult:
    """Distinct contact persons per year: 1 at ≤ 3 a year, 0 at ≥ 12.

    Journeys under a year count as a year. With contacts declared recorded completely,
    none listed is 0 a year (no stream of new faces; a missing coordinator is judged by
    ``coordinator_span``).
    """
    ind = "contacts_per_year"
    contacts = f.journey.contacts
    if not contacts and not f.journey.complete(Aspect.CONTACTS):
        return _na(ind, "Inga kontaktpersoner registrerade.", "No contact persons recorded.")
    years = max(1.0, f.span / _YEAR)
    rate = len(contacts) / years
    value = linear(rate, CONTACTS_GOOD, CONTACTS_BAD)
    ids = [c.id for c in contacts]
    return _ok(
        ind,
        value,
        f"{len(contacts)} kontaktpersoner, {rate:.1f} per år.",
        f"{len(contacts)} contact persons, {rate:.1f} a year.",
        raised=ids if value >= 0.5 else (),
        lowered=ids if value < 0.5 else (),
    )


def relational_continuity(f: Facts) -> IndicatorResult:
    """Relational continuity: the COC index over the contact person met at each event."""
    ind = "relational_continuity"
    seq = staff_sequence(f.journey)
    value = coc([who for _, who in seq])
    if value is None:
        return _na(
            ind,
            "Färre än två möten med en namngiven kontaktperson.",
            "Fewer than two meetings with a named contact person.",
        )
    people = len({who for _, who in seq})
    return _ok(
        ind,
        value,
        f"COC {value:.2f} över {len(seq)} möten med {people} personer.",
        f"COC {value:.2f} over {len(seq)} meetings with {people} people.",
    )


def coordinator_at_handovers(f: Facts) -> IndicatorResult:
    """Share of handovers between actors where a coordinating contact took part."""
    ind = "coordinator_at_handovers"
    if not f.journey.contacts and not f.journey.complete(Aspect.CONTACTS):
        return _na(ind, "Inga kontaktpersoner registrerade.", "No contact persons recorded.")
    coordinators = set(f.coordinators)
    with_c: list[str] = []
    without: list[str] = []
    for tr in f.journey.transitions:
        src, dst = f.timeline[f.index[tr.source]], f.timeline[f.index[tr.target]]
        if src.actor == dst.actor:
            continue
        present = coordinators.intersection(src.participants) or coordinators.intersection(
            dst.participants
        )
        (with_c if present else without).append(tr.id)
    n = len(with_c) + len(without)
    if not n:
        return _na(ind, "Inga överlämningar mellan enheter.", "No handovers between units.")
    return _ok(
        ind,
        len(with_c) / n,
        f"Samordnaren var med vid {len(with_c)} av {n} överlämningar.",
        f"The coordinator took part in {len(with_c)} of {n} handovers.",
        raised=with_c,
        lowered=without,
    )


# -- målbild 10: network ------------------------------------------------------------------


def _network_state(f: Facts, ind: str) -> IndicatorResult | None:
    network = f.journey.network
    if not network and f.journey.complete(Aspect.NETWORK):
        return _na(
            ind,
            "Personen har inget nätverk att involvera (helt registrerat).",
            "The person has no network to involve (recorded completely).",
        )
    if not network:
        return _na(ind, "Inget nätverk registrerat.", "No network recorded.")
    if all(n.consent is False for n in network):
        return _na(
            ind,
            "Personen har avböjt att nätverket involveras; det respekteras.",
            "The person declined involving their network; that is respected.",
        )
    return None


def network_consent_asked(f: Facts) -> IndicatorResult:
    """Share of network members for whom the person's consent was asked."""
    ind = "network_consent_asked"
    state = _network_state(f, ind)
    if state is not None:
        return state
    network = f.journey.network
    asked = [n.id for n in network if n.consent is not None]
    return _ok(
        ind,
        len(asked) / len(network),
        f"Samtycke efterfrågat för {len(asked)} av {len(network)} närstående.",
        f"Consent asked for {len(asked)} of {len(network)} network members.",
        raised=asked,
        lowered=[n.id for n in network if n.consent is None],
    )


def network_involved(f: Facts) -> IndicatorResult:
    """Share of consenting network members who took part in an event or a plan."""
    ind = "network_involved"
    state = _network_state(f, ind)
    if state is not None:
        return state
    invitations = rules.network_invitations(f.journey)
    members = [
        n.id
        for n in f.journey.network
        if n.consent is True or (n.consent is None and n.id in invitations.pushed_in)
    ]
    if not members:
        return _na(ind, "Ingen närstående med samtycke.", "No network member with consent.")
    yes = [n for n in members if n in invitations.invited and n not in invitations.pushed_in]
    no = [n for n in members if n not in yes]
    pushed = [n for n in no if n in invitations.pushed_in]
    return _ok(
        ind,
        len(yes) / len(members),
        f"{len(yes)} av {len(members)} närstående bjöds in av verksamheterna"
        + (f"; {len(pushed)} fick själva tränga sig in." if pushed else "."),
        f"{len(yes)} of {len(members)} network members were invited in by the services"
        + (f"; {len(pushed)} had to push their way in." if pushed else "."),
        raised=yes,
        lowered=no,
        failed=no,
    )


def network_at_plans(f: Facts) -> IndicatorResult:
    """Share of plans and plan meetings where a consenting network member took part."""
    ind = "network_at_plans"
    state = _network_state(f, ind)
    if state is not None:
        return state
    consenting = {n.id for n in f.journey.network if n.consent is True}
    if not consenting:
        return _na(ind, "Ingen närstående med samtycke.", "No network member with consent.")
    return _plan_share(
        f,
        ind,
        lambda who: bool(consenting.intersection(who)),
        (
            "Nätverket med i {yes} av {n} planer och möten.",
            "The network took part in {yes} of {n} plans and meetings.",
        ),
    )


def relative_support(f: Facts) -> IndicatorResult:
    """Share of consenting network members offered support of their own (anhörigstöd).

    Support counts when the member took part in an event at an anhörigstöd service, or
    in a support event without the person (support given to the relative).
    """
    ind = "relative_support"
    state = _network_state(f, ind)
    if state is not None:
        return state
    consenting = [n.id for n in f.journey.network if n.consent is True]
    if not consenting:
        return _na(ind, "Ingen närstående med samtycke.", "No network member with consent.")
    supported: dict[str, str] = {}
    for e in f.timeline:
        to_relative = f.journey.actor_of(e).service is ServiceKind.RELATIVE_SUPPORT or (
            e.kind is EventKind.SUPPORT and PERSON not in e.participants
        )
        if to_relative:
            for who in e.participants:
                supported.setdefault(who, e.id)
    yes = [n for n in consenting if n in supported]
    return _ok(
        ind,
        len(yes) / len(consenting),
        f"{len(yes)} av {len(consenting)} närstående fick eget stöd.",
        f"{len(yes)} of {len(consenting)} network members got support of their own.",
        raised=[supported[n] for n in yes],
        lowered=[n for n in consenting if n not in supported],
    )


def _register(target: int, sv: str, en: str, fn: IndicatorFunction) -> Indicator:
    return Indicator(id=fn.__name__, target=target, name_sv=sv, name_en=en, function=fn)


#: Every indicator careflow knows, by id, in målbild order.
INDICATORS: Final[dict[str, Indicator]] = {
    i.id: i
    for i in (
        _register(1, "Tid till första hjälp", "Time to first help", time_to_help),
        _register(1, "Hjälpsökande utan svar", "Help-seeking unanswered", unanswered_seeking),
        _register(2, "Väntan till första tid", "Wait to appointment", wait_to_appointment),
        _register(2, "Avvisningar och hänvisningar", "Rejections and redirections", redirections),
        _register(2, "Ingångar prövade", "Entry points tried", entry_points),
        _register(2, "Kontaktvägar", "Channels", channels),
        _register(
            3, "Behandling enligt riktlinjer", "Guideline treatment time", guideline_treatment_time
        ),
        _register(3, "Delade beslut", "Shared decisions", shared_decisions),
        _register(3, "Fullföljd behandling", "Treatment completion", treatment_completion),
        _register(4, "Informationsöverföring", "Information transfer", information_transfer),
        _register(4, "Gemensam plan (SIP)", "Joint plan (SIP)", joint_plan),
        _register(
            4,
            "Varma övergångar region–kommun",
            "Warm region-kommun handovers",
            warm_boundary_handovers,
        ),
        _register(
            4,
            "Uppföljning efter utskrivning och avslut",
            "Follow-up after discharge or closure",
            discharge_follow_up,
        ),
        _register(4, "Kontinuitet över enheter", "Continuity over units", unit_continuity),
        _register(
            5,
            "Avvisning för andra tillståndet",
            "Other-condition rejections",
            other_condition_rejections,
        ),
        _register(5, "Remissrundor (ping-pong)", "Referral loops (ping-pong)", ping_pong),
        _register(
            5, "Båda tillstånden behandlas", "Both conditions treated", both_conditions_treated
        ),
        _register(6, "Lyssnad på och respekterad", "Listened to and respected", respect),
        _register(6, "Delaktig i beslut", "Involved in decisions", involvement),
        _register(7, "Delaktig i planen", "Took part in the plan", plan_participation),
        _register(7, "Fick information", "Got information", informed),
        _register(7, "Brukarstöd", "Peer support", peer_support),
        _register(
            8, "Vardagsbehov som fick insatser", "Everyday needs acted on", life_domains_addressed
        ),
        _register(8, "Tid med vardagsstöd", "Time with everyday support", everyday_support_time),
        _register(9, "Samordnare genom resan", "Coordinator throughout", coordinator_span),
        _register(9, "Kontaktpersoner per år", "Contact persons a year", contacts_per_year),
        _register(9, "Relationell kontinuitet", "Relational continuity", relational_continuity),
        _register(
            9, "Samordnare vid överlämning", "Coordinator at handovers", coordinator_at_handovers
        ),
        _register(10, "Samtycke efterfrågat", "Consent asked", network_consent_asked),
        _register(10, "Nätverket involverat", "Network involved", network_involved),
        _register(10, "Nätverket med i planen", "Network at plans", network_at_plans),
        _register(10, "Stöd till närstående", "Support to relatives", relative_support),
    )
}
