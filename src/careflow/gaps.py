"""Gap findings: concrete, located problems in a journey, each tied to the målbilder it hurts.

A score says how far a journey is from a målbild; a finding says where and why. Each
detector in :data:`DETECTORS` looks for one kind of problem and returns findings that
point at the ids of the events, transitions, contacts, plans or network members
involved, with a sentence in Swedish and English. :func:`find_gaps` runs them all and
ranks the result: high severity first, then by where in the journey the problem starts.

The thresholds are the ones the scoring uses (see :mod:`careflow.scoring.indicators`)
so a finding and the indicator it explains never disagree; :class:`Thresholds` lets an
analyst change them. ``docs/findings.md`` documents every code.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import attrs

from careflow._per_journey import per_journey
from careflow.graph import (
    BOUNDARY,
    Crossing,
    Episode,
    boundary_crossings,
    contact_gaps,
    day_of,
    episodes,
    loops,
)
from careflow.i18n import word
from careflow.labels import label
from careflow.model import (
    COMPULSORY,
    Aspect,
    DeathCause,
    Direction,
    Event,
    EventKind,
    Information,
    Initiator,
    Journey,
    Principal,
    Reason,
    ServiceKind,
    TransitionKind,
    timestamp_of,
)
from careflow.scoring import indicators as ind
from careflow.scoring import rules
from careflow.scoring.facts import APPOINTMENT_KINDS, MOVE_KINDS

__all__ = [
    "DETECTORS",
    "HIGH_DETECTORS",
    "LET_GO_KINDS",
    "Finding",
    "Findings",
    "Severity",
    "Thresholds",
    "find_gaps",
    "findings_to_dicts",
]


class Severity(enum.IntEnum):
    """How much a finding hurts: ranked high to low."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        """The lower-case name used in JSON: ``high``, ``medium`` or ``low``."""
        return self.name.lower()


@attrs.frozen(kw_only=True, slots=True)
class Finding:
    """One located problem.

    Parameters
    ----------
    code
        A stable identifier of the kind of problem, e.g. ``ping_pong``.
    severity
        How much it hurts.
    targets
        Ids of the målbilder it hurts.
    refs
        Ids of the events, transitions, contacts, plans or network members it points at.
    text_sv, text_en
        One sentence saying what happened, in Swedish and in English.
    need
        The life domain the finding is about (e.g. ``mental_health``), if one.
    direction
        The condition a service demanded be treated first (``substance_use`` or
        ``mental_health``), if the finding is about such a demand.
    principals
        The principals (huvudmän) involved, in the order the person met them.
    days
        The length in days the finding is about (a wait, a gap, days held by nobody).
    demands
        For ping-pong: each (actor id, condition demanded first) met along the circle.
    """

    code: str
    severity: Severity
    targets: tuple[int, ...]
    refs: tuple[str, ...]
    text_sv: str
    text_en: str
    need: str | None = None
    direction: str | None = None
    principals: tuple[str, ...] = ()
    days: float | None = None
    demands: tuple[tuple[str, str], ...] = ()

    def text(self, lang: str = "sv") -> str:
        """The sentence in ``lang`` ("sv" or "en")."""
        return self.text_sv if lang == "sv" else self.text_en

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON data."""
        return {
            "code": self.code,
            "severity": self.severity.label,
            "targets": list(self.targets),
            "refs": list(self.refs),
            "text_sv": self.text_sv,
            "text_en": self.text_en,
            "need": self.need,
            "direction": self.direction,
            "principals": list(self.principals),
            "days": None if self.days is None else round(self.days, 1),
            "demands": [{"actor": a, "first": d} for a, d in self.demands],
        }


class Findings(list[Finding]):
    """The ranked findings of a journey: a plain list that also shows itself in a notebook.

    :func:`find_gaps` returns one. Everything a list does works as before (indexing,
    slicing, ``len``, comparing with a list); in Jupyter it displays as a ranked table
    (see :mod:`careflow.display`).
    """

    __slots__ = ()

    def to_dicts(self) -> list[dict[str, Any]]:
        """The findings as plain JSON data, in rank order."""
        return findings_to_dicts(self)

    def _repr_html_(self) -> str:
        from careflow.display import findings_html  # noqa: PLC0415 - only when shown

        return findings_html(self)


@attrs.frozen(kw_only=True, slots=True)
class Thresholds:
    """The limits the detectors use, in days or counts.

    The defaults match the scoring's thresholds: a wait is long past the point where
    ``wait_to_appointment`` starts to fall (14 days) and high at its floor (90 days), a
    missing SIP counts from ``SIP_GOOD`` (30 days), a late one and a missing follow-up
    from where their indicators reach 0, and so on. See ``docs/findings.md``.
    """

    wait_days: float = 30.0
    wait_high_days: float = ind.WAIT_BAD
    follow_up_days: float = ind.FOLLOW_BAD
    contact_gap_days: float = 90.0
    sip_after_days: float = ind.SIP_GOOD
    late_sip_days: float = ind.SIP_BAD
    many_contacts: int = ind.MANY_CONTACTS
    several_services: int = ind.SEVERAL_SERVICES
    drop_out_days: float = 30.0
    held_days: float = 0.0


Detector = Callable[[Journey, Thresholds], list[Finding]]


def _d(days: float) -> str:
    return f"{days:.0f}"


def _bare(journey: Journey) -> bool:
    """Whether the journey records no kinds of event (every event a contact: a bare log)."""
    return all(e.kind is EventKind.CONTACT for e in journey.events)


#: Services that make up one stay (emergency, ward): moving between them within hours is
#: one episode of care, not a handover between services.
_STAY_SERVICES: Final = frozenset(
    {
        ServiceKind.PSYCHIATRIC_EMERGENCY,
        ServiceKind.PSYCHIATRIC_INPATIENT,
        ServiceKind.EMERGENCY_CARE,
        ServiceKind.SOMATIC_CARE,
        ServiceKind.AMBULANCE,
    }
)
#: Hours within which two units of one stay are one episode of care.
STAY_HOURS: Final = 12.0


def _one_stay(journey: Journey, source: str, target: str) -> bool:
    a, b = journey.event(source), journey.event(target)
    hours = (b.timestamp - a.timestamp).total_seconds() / 3600.0
    stay = {journey.actor_of(a).service, journey.actor_of(b).service} <= _STAY_SERVICES
    return hours <= STAY_HOURS and (stay or b.kind is EventKind.ADMISSION)


def cold_handovers(journey: Journey, th: Thresholds) -> list[Finding]:
    """``cold_handover``: a handover between services without company or information.

    Across the region–kommun boundary: high when it was both cold (not accompanied, no
    joint meeting) and carried no information, medium when only one of the two holds.
    Between two services of one principal (psychiatry and addiction care are separate
    services inside the region), or between other principals: medium. Not within one
    unit, nor between units of one stay a few hours (:data:`STAY_HOURS`) apart. A
    handover whose warmth and information are both unrecorded is not judged.
    """
    del th
    crossings = boundary_crossings(journey)
    return _cold_crossings(crossings) + _cold_within(journey, {c.transition.id for c in crossings})


def _cold_crossing_handovers(journey: Journey, th: Thresholds) -> list[Finding]:
    """The part of :func:`cold_handovers` that can raise a high finding: the crossings."""
    del th
    return _cold_crossings(boundary_crossings(journey))


def _cold_crossings(crossings: list[Crossing]) -> list[Finding]:
    """The ``cold_handover`` findings at region-kommun crossings, high and medium."""
    out = []
    for crossing in crossings:
        tr = crossing.transition
        cold = tr.warm is False
        no_info = tr.information is Information.NONE
        thin = tr.information is Information.PARTIAL
        if not (cold or no_info):
            continue
        severity = Severity.HIGH if cold and no_info else Severity.MEDIUM
        a, b = crossing.source.value, crossing.target.value
        if cold and (no_info or thin):
            sv, en = (
                "kall överlämning utan full information",
                "cold handover without full information",
            )
        elif cold:
            sv, en = "kall överlämning", "cold handover"
        else:
            sv, en = "överlämning utan information", "handover without information"
        out.append(
            Finding(
                code="cold_handover",
                severity=severity,
                targets=(4,),
                refs=(tr.id, tr.source, tr.target),
                text_sv=f"{sv.capitalize()} från {a} till {b} ({tr.id}).",
                text_en=f"{en.capitalize()} from {a} to {b} ({tr.id}).",
                principals=(a, b),
            )
        )
    return out


def _cold_within(journey: Journey, crossing_ids: set[str]) -> list[Finding]:
    """The ``cold_handover`` findings between other services: medium only."""
    out = []
    for tr in journey.transitions:
        if tr.id in crossing_ids or tr.kind not in _HANDING_ON:
            continue
        cold, no_info = tr.warm is False, tr.information is Information.NONE
        if not (cold or no_info):
            continue
        src, dst = journey.event(tr.source), journey.event(tr.target)
        if src.actor == dst.actor or _one_stay(journey, tr.source, tr.target):
            continue
        giver, taker = journey.actor_of(src), journey.actor_of(dst)
        what_sv = "kall överlämning" if cold else "överlämning utan information"
        what_en = "cold handover" if cold else "handover without information"
        out.append(
            Finding(
                code="cold_handover",
                severity=Severity.MEDIUM,
                targets=(4,),
                refs=(tr.id, tr.source, tr.target),
                text_sv=f"{what_sv.capitalize()} från {giver.name} till {taker.name} ({tr.id}).",
                text_en=f"{what_en.capitalize()} from {giver.name} to {taker.name} ({tr.id}).",
                principals=tuple(dict.fromkeys((giver.principal.value, taker.principal.value))),
            )
        )
    return out


_HANDING_ON: Final = frozenset(
    {TransitionKind.REFERRAL, TransitionKind.HANDOVER, TransitionKind.RETURN}
)
_FIRST_SV: Final = {
    Direction.SUBSTANCE_USE: "nykter först",
    Direction.MENTAL_HEALTH: "psykiatrin först",
}
_FIRST_EN: Final = {
    Direction.SUBSTANCE_USE: "sobriety first",
    Direction.MENTAL_HEALTH: "psychiatry first",
}


def ping_pong(journey: Journey, th: Thresholds) -> list[Finding]:
    """``ping_pong``: referred on and back again with no treatment starting in between.

    Not judged when no event has a kind other than ``contact`` (a bare event log): then
    nothing tells whether treatment started.
    """
    del th
    if _bare(journey):
        return []
    out = []
    for loop in loops(journey):
        met = [journey.actor(a) for a in loop.actors]
        names = " → ".join(a.name for a in met)
        demands: dict[str, Direction] = {}
        for event_id in loop.events:
            event = journey.event(event_id)
            first = rules.demanded_first(journey, event)
            if first is not None:
                demands.setdefault(event.actor, first)
        said_sv = "; ".join(f"{journey.actor(a).name}: {_FIRST_SV[d]}" for a, d in demands.items())
        said_en = "; ".join(f"{journey.actor(a).name}: {_FIRST_EN[d]}" for a, d in demands.items())
        opposite = len(set(demands.values())) == 2
        extra_sv = f" ({said_sv})" if demands else ""
        extra_en = f" ({said_en})" if demands else ""
        principals = tuple(dict.fromkeys(a.principal.value for a in met))
        out.append(
            Finding(
                code="ping_pong",
                severity=Severity.HIGH,
                targets=(5, 4),
                refs=loop.transitions + loop.events,
                text_sv=f"Skickad runt utan att behandling startade: {names}{extra_sv}.",
                text_en=f"Sent round with no treatment starting: {names}{extra_en}.",
                direction=None if opposite or not demands else next(iter(demands.values())),
                principals=principals,
                demands=tuple((a, d.value) for a, d in demands.items()),
            )
        )
    return out


def _by_reason(journey: Journey, reason: Reason) -> list[tuple[str, str, str]]:
    """(event id, actor name, date) of the events with ``reason``, in time order."""
    return [
        (e.id, journey.actor_of(e).name, f"{e.date:%Y-%m-%d}")
        for e in journey.timeline
        if e.reason_code is reason
    ]


def sober_first(journey: Journey, th: Thresholds) -> list[Finding]:
    """``sober_first``: turned away or postponed because of the other condition.

    An event with ``reason_code: other_condition`` or a ``demanded_first``; the finding
    names the condition demanded first when it is recorded or follows from the service.
    """
    del th
    out = []
    for event in rules.other_condition_events(journey):
        actor, day = journey.actor_of(event).name, f"{event.date:%Y-%m-%d}"
        first = rules.demanded_first(journey, event)
        said_sv = f": {_FIRST_SV[first]}" if first is not None else ""
        said_en = f": {_FIRST_EN[first]}" if first is not None else ""
        out.append(
            Finding(
                code="sober_first",
                severity=Severity.HIGH,
                targets=(5,),
                refs=(event.id,),
                text_sv=f"{actor} avvisade för det andra tillståndet{said_sv} ({event.id}, {day}).",
                text_en=f"{actor} turned the person away for the other condition{said_en} "
                f"({event.id}, {day}).",
                direction=None if first is None else first.value,
                principals=(journey.actor_of(event).principal.value,),
            )
        )
    return out


def sanctions(journey: Journey, th: Thresholds) -> list[Finding]:
    """``sanction``: support withdrawn as a sanction, e.g. evicted for a relapse."""
    del th
    return [
        Finding(
            code="sanction",
            severity=Severity.HIGH,
            targets=(5, 8),
            refs=(event,),
            text_sv=f"{actor} stängde ute personen som sanktion ({event}, {day}).",
            text_en=f"{actor} shut the person out as a sanction ({event}, {day}).",
        )
        for event, actor, day in _by_reason(journey, Reason.SANCTION)
    ]


def no_sip(journey: Journey, th: Thresholds) -> list[Finding]:
    """``no_sip`` and ``late_sip``: region and kommun both active, no joint plan, or a late one.

    Both are active from the first day each has had an event; the overlap runs to the
    end of observation (``observed_until``, else the last date seen), as the
    ``joint_plan`` indicator counts it. A journey with no plans and no kinds of
    event (a bare event log) is not judged. ``no_sip`` (high) when the overlap is
    at least ``sip_after_days`` with no SIP or other joint plan; ``late_sip`` (medium)
    when the first joint plan came more than ``late_sip_days`` after both were active.
    """
    shared = per_journey(journey)
    first: dict[str, str] = {}
    for event, actor in zip(shared.timeline, shared.actors, strict=True):
        principal = actor.principal
        if principal in BOUNDARY and principal.value not in first:
            first[principal.value] = event.id
            if len(first) == len(BOUNDARY):
                break
    until = shared.end
    if len(first) < 2 or until is None:
        return []
    if not journey.plans and _bare(journey) and not journey.complete(Aspect.PLANS):
        return []
    both = max((journey.event(e) for e in first.values()), key=lambda e: e.timestamp)
    overlap = max(0.0, (until - both.timestamp).total_seconds() / 86_400.0)
    joint = sorted((p for p in journey.plans if p.joint), key=lambda p: (p.date, p.id))
    refs = tuple(first[p.value] for p in sorted(BOUNDARY))
    if not joint:
        if overlap < th.sip_after_days:
            return []
        return [
            Finding(
                code="no_sip",
                severity=Severity.HIGH,
                targets=(4,),
                refs=refs,
                text_sv=f"Ingen SIP trots att region och kommun båda var inblandade i "
                f"{_d(overlap)} dagar.",
                text_en=f"No SIP although region and kommun were both involved for "
                f"{_d(overlap)} days.",
                principals=("region", "kommun"),
                days=overlap,
            )
        ]
    plan = joint[0]
    delay = max(0.0, (timestamp_of(plan.date) - both.timestamp).total_seconds() / 86_400.0)
    if delay < th.late_sip_days:
        return []
    return [
        Finding(
            code="late_sip",
            severity=Severity.MEDIUM,
            targets=(4,),
            refs=(plan.id, *refs),
            text_sv=f"Första SIP ({plan.id}) kom {_d(delay)} dagar efter att båda huvudmännen "
            f"var inblandade.",
            text_en=f"The first SIP ({plan.id}) came {_d(delay)} days after both principals "
            f"were involved.",
            principals=("region", "kommun"),
            days=delay,
        )
    ]


def no_coordinator(journey: Journey, th: Thresholds) -> list[Finding]:
    """``no_coordinator``: several services or many contact persons, and nobody coordinating.

    Fires (high) when no contact holds a coordinating role (coordinator, fast vårdkontakt,
    case manager or SIP lead) and the person met ``several_services`` services or
    ``many_contacts`` contact persons. Judged when contact persons are recorded, or
    declared recorded completely (``recorded_completely: [contacts]``: none listed means
    nobody was assigned); see :func:`careflow.scoring.rules.coordination_gap`.
    """
    gap = rules.coordination_gap(journey, th.many_contacts, th.several_services)
    if gap is None:
        return []
    n_c, n_s = len(gap.contacts), len(gap.services)
    return [
        Finding(
            code="no_coordinator",
            severity=Severity.HIGH,
            targets=(9, 4),
            refs=gap.contacts + gap.services,
            text_sv=f"{n_s} {'verksamhet' if n_s == 1 else 'verksamheter'} och {n_c} "
            f"{'kontaktperson' if n_c == 1 else 'olika kontaktpersoner'} men ingen samordnare "
            "eller fast vårdkontakt.",
            text_en=f"{n_s} {'service' if n_s == 1 else 'services'} and {n_c} "
            f"{'contact person' if n_c == 1 else 'different contact persons'} but no "
            "coordinator or named contact.",
            principals=gap.principals,
        )
    ]


def long_waits(journey: Journey, th: Thresholds) -> list[Finding]:
    """``long_wait``: a referral or request that took long to lead to an appointment.

    Medium above ``wait_days``, high at ``wait_high_days`` or more. Not judged in a
    journey without kinds of event, whose unit changes are not requests.
    """
    if _bare(journey):
        return []
    shared = per_journey(journey)
    order, stamps = shared.order, shared.stamps
    out = []
    for tr in journey.transitions:
        if tr.kind is TransitionKind.RETURN:
            continue
        target = order[tr.target]
        if shared.timeline[target].kind not in APPOINTMENT_KINDS:
            continue
        days = (stamps[target] - stamps[order[tr.source]]).total_seconds() / 86_400.0
        if days <= th.wait_days:
            continue
        actor = shared.actors[target].name
        out.append(
            Finding(
                code="long_wait",
                severity=Severity.HIGH if days >= th.wait_high_days else Severity.MEDIUM,
                targets=(2,),
                refs=(tr.id, tr.source, tr.target),
                text_sv=f"{_d(days)} dagars väntan på {actor} ({tr.id}).",
                text_en=f"{_d(days)} days' wait for {actor} ({tr.id}).",
                days=days,
            )
        )
    return out


def _closed(journey: Journey) -> str | None:
    """The id of the event that closed the journey's last case, if it ended that way."""
    timeline = journey.timeline
    if timeline and timeline[-1].kind is EventKind.CASE_CLOSED:
        return timeline[-1].id
    return None


def discharge_gaps(journey: Journey, th: Thresholds) -> list[Finding]:
    """``no_contact_after_discharge``: no planned follow-up within ``follow_up_days``.

    Follow-up is a planned contact by a service working on the condition (see
    :func:`careflow.scoring.rules.discharge_follow_ups`); a return to an emergency
    service, a crisis, a readmission or a closure is not, and is cited as evidence that
    follow-up failed. A discharge with nothing after it is judged once observation
    extends ``follow_up_days`` past it.
    """
    out = []
    for fu in rules.discharge_follow_ups(journey, th.follow_up_days):
        if not fu.failed:
            continue
        actor = journey.actor_of(journey.event(fu.discharge))
        nxt = (fu.follow_up,) if fu.follow_up is not None else ()
        if fu.follow_up is not None:
            sv = f"Ingen planerad uppföljning på {_d(fu.days)} dagar"
            en = f"No planned follow-up for {_d(fu.days)} days"
        else:
            sv = f"Ingen planerad uppföljning alls ({_d(fu.days)} dagar)"
            en = f"No planned follow-up at all ({_d(fu.days)} days)"
        # the death that ended the search is named as such, not as what came instead
        death = journey.death
        died = death is not None and death.id in fu.instead
        instead = [i for i in fu.instead if not (died and death is not None and i == death.id)]
        if instead:
            sv += f"; i stället {', '.join(instead)}"
            en += f"; instead {', '.join(instead)}"
        if died and death is not None:
            sv += f"; personen dog ({death.id})"
            en += f"; the person died ({death.id})"
        out.append(
            Finding(
                code="no_contact_after_discharge",
                severity=Severity.HIGH,
                targets=(4,),
                refs=(fu.discharge, *nxt, *fu.instead),
                text_sv=f"{sv} efter utskrivning från {actor.name} ({fu.discharge}).",
                text_en=f"{en} after discharge from {actor.name} ({fu.discharge}).",
                principals=(actor.principal.value,),
                days=fu.days,
            )
        )
    return out


def closed_before_opened(journey: Journey, th: Thresholds) -> list[Finding]:
    """``closed_before_opened``: closed or discharged before the next service opened.

    A case closed, or a discharge, while the referral or handover onward had not yet led
    to a first contact at the receiving service, leaving the person held by nobody for
    more than ``held_days`` (0: any day counts); a warm handover is a receiving service
    that already met the person. Referrals with no recorded destination count within
    ``follow_up_days`` before the closure (see
    :func:`careflow.scoring.rules.held_by_nobody`). Cites
    the closure, the pending transition and the first later contact, if any.
    """
    out = []
    for gap in rules.held_by_nobody(journey, th.held_days, th.follow_up_days):
        closure = journey.event(gap.closure)
        actor = journey.actor_of(closure).name
        refs = tuple(r for r in (gap.closure, gap.pending, gap.first_contact) if r is not None)
        discharged = closure.kind is EventKind.DISCHARGE
        did_sv = "skrev ut personen" if discharged else "avslutade ärendet"
        did_en = "discharged the person" if discharged else "closed the case"
        if gap.first_contact is not None:
            where = journey.actor_of(journey.event(gap.first_contact)).name
            sv = f"första kontakten hos {where} kom {_d(gap.days)} dagar senare"
            en = f"the first contact at {where} came {_d(gap.days)} days later"
        else:
            sv = (
                f"nästa verksamhet hade inte öppnat när observationen slutade "
                f"({_d(gap.days)} dagar senare)"
            )
            en = (
                f"the next service had not opened when observation ended "
                f"({_d(gap.days)} days later)"
            )
        out.append(
            Finding(
                code="closed_before_opened",
                severity=Severity.HIGH,
                targets=(4, 9),
                refs=refs,
                text_sv=f"{actor} {did_sv} ({gap.closure}) innan nästa verksamhet tagit emot; "
                f"{sv}: ingen höll i personen.",
                text_en=f"{actor} {did_en} ({gap.closure}) before the next service had opened; "
                f"{en}: nobody held the person.",
                principals=gap.principals,
                days=gap.days,
            )
        )
    return out


def long_contact_gaps(journey: Journey, th: Thresholds) -> list[Finding]:
    """``long_contact_gap``: a period of ``contact_gap_days`` or more with no contact at all.

    Only while needs are open: not after the journey's case was closed, and not when a
    gap after a discharge was already reported by ``no_contact_after_discharge``.
    """
    if not journey.person.needs:
        return []
    closed = _closed(journey)
    reported = {f.refs[0] for f in discharge_gaps(journey, th)}
    out = []
    for gap in contact_gaps(journey, min_days=th.contact_gap_days):
        if gap.after is not None and (gap.after in reported or gap.after == closed):
            continue
        refs = tuple(r for r in (gap.after, gap.before) if r is not None)
        out.append(
            Finding(
                code="long_contact_gap",
                severity=Severity.MEDIUM,
                targets=(4,),
                refs=refs,
                text_sv=f"{_d(gap.days)} dagar utan någon kontakt från {gap.start:%Y-%m-%d}.",
                text_en=f"{_d(gap.days)} days with no contact from {gap.start:%Y-%m-%d}.",
                days=gap.days,
            )
        )
    return out


def network_left_out(journey: Journey, th: Thresholds) -> list[Finding]:
    """``network_not_involved`` and ``network_consent_unknown``.

    A network member the person consented to involve whom no service invited into a
    meeting, a plan or an event (medium), and a member who made contact on their own and
    was not invited afterwards (medium: pushing in is not being involved); a member
    whose consent was never asked (low). A member the person declined to involve is
    never a finding: that choice is respected.
    """
    del th
    invitations = rules.network_invitations(journey)
    out = []
    for member in journey.network:
        label = member.name or member.relation.value
        pushed = invitations.pushed_in.get(member.id)
        if member.consent is not False and pushed is not None:
            out.append(
                Finding(
                    code="network_not_involved",
                    severity=Severity.MEDIUM,
                    targets=(10,),
                    refs=(member.id, pushed),
                    text_sv=f"{label} ({member.id}) tog själv kontakt ({pushed}) men bjöds "
                    "aldrig in.",
                    text_en=f"{label} ({member.id}) made contact on their own ({pushed}) but "
                    "was never invited in.",
                )
            )
        elif member.consent is True and member.id not in invitations.invited:
            out.append(
                Finding(
                    code="network_not_involved",
                    severity=Severity.MEDIUM,
                    targets=(10,),
                    refs=(member.id,),
                    text_sv=f"{label} ({member.id}) fick vara med enligt personen men "
                    "involverades aldrig.",
                    text_en=f"{label} ({member.id}) was never involved although the person "
                    "consented.",
                )
            )
        if member.consent is None:
            out.append(
                Finding(
                    code="network_consent_unknown",
                    severity=Severity.LOW,
                    targets=(10,),
                    refs=(member.id,),
                    text_sv=f"Ingen frågade personen om {label} ({member.id}) fick involveras.",
                    text_en=f"Nobody asked the person whether {label} ({member.id}) could "
                    "be involved.",
                )
            )
    return out


def unaddressed_needs(journey: Journey, th: Thresholds) -> list[Finding]:
    """``unaddressed_need``: a known need that no treatment or support acted on.

    Known needs are the person's and those the services named on the way (see
    :func:`careflow.scoring.rules.known_needs`). An event addresses the needs it names,
    or else those its service usually works on. An untreated substance use or mental
    health need is high (målbild 3 and 5); an everyday need medium (målbild 8), and also
    målbild 4 when it is the kommun's responsibility (housing, occupation, economy) and
    the kommun was never involved.
    """
    del th
    planned = {d for p in journey.plans for d in p.domains}
    kommun = any(journey.actor_of(e).principal is Principal.KOMMUN for e in journey.events)
    out = []
    for need, declared in rules.untreated_conditions(journey):
        condition = need in rules.CONDITIONS
        in_plan = need in planned
        notes_sv, notes_en = [], []
        if in_plan:
            notes_sv.append("bara i en plan")
            notes_en.append("only in a plan")
        if not declared:
            notes_sv.append("känt av verksamheterna")
            notes_en.append("known to the services")
        orphan = need in rules.KOMMUN_NEEDS and not kommun
        if orphan:
            notes_sv.append("kommunen var aldrig inblandad")
            notes_en.append("the kommun was never involved")
        note_sv = f" ({'; '.join(notes_sv)})" if notes_sv else ""
        note_en = f" ({'; '.join(notes_en)})" if notes_en else ""
        targets = (3, 5) if condition else ((8, 4) if orphan else (8,))
        out.append(
            Finding(
                code="unaddressed_need",
                severity=Severity.HIGH if condition else Severity.MEDIUM,
                targets=targets,
                refs=tuple(p.id for p in journey.plans if need in p.domains),
                text_sv=f"Ingen insats för behovet {word(need, 'sv')}{note_sv}.",
                text_en=f"No service acted on the need {word(need, 'en')}{note_en}.",
                need=need,
                principals=("kommun",) if orphan else (),
            )
        )
    return out


_TURNED_AWAY: Final = frozenset({EventKind.REJECTION, EventKind.REDIRECTION})


def rejections_without_referral(journey: Journey, th: Thresholds) -> list[Finding]:
    """``rejection_without_referral``: turned away with nobody passing the person on.

    A rejection or redirection that is not the source of a referral or handover, and that
    is not followed by a referral event from the same actor on the same day.
    """
    del th
    passed_on = {
        t.source
        for t in journey.transitions
        if t.kind in {TransitionKind.REFERRAL, TransitionKind.HANDOVER}
    }
    referral_days = {(e.actor, e.date) for e in journey.events if e.kind is EventKind.REFERRAL}
    out = []
    for event in journey.timeline:
        if event.kind not in _TURNED_AWAY or event.id in passed_on:
            continue
        if (event.actor, event.date) in referral_days:
            continue
        if event.reason_code in {Reason.PERSON_DECLINED, Reason.COMPLETED}:
            continue
        actor = journey.actor_of(event).name
        out.append(
            Finding(
                code="rejection_without_referral",
                severity=Severity.MEDIUM,
                targets=(2, 5),
                refs=(event.id,),
                text_sv=f"{actor} avvisade utan att lotsa vidare ({event.id}).",
                text_en=f"{actor} turned the person away without passing them on ({event.id}).",
            )
        )
    return out


def drop_outs(journey: Journey, th: Thresholds) -> list[Finding]:
    """``dropped_out``: the person dropped out and no service reached out soon after.

    Reaching out is a service contacting the person within ``drop_out_days``: an event
    the service initiated, or by outreach, that is not a rejection, a crisis visit or a
    closure (see :func:`careflow.scoring.rules.outreach_after`); the person's own visit
    elsewhere is not outreach.
    """
    out = []
    for event in journey.timeline:
        if event.kind is not EventKind.DROP_OUT:
            continue
        if rules.outreach_after(journey, event, th.drop_out_days) is not None:
            continue
        actor = journey.actor_of(event).name
        out.append(
            Finding(
                code="dropped_out",
                severity=Severity.MEDIUM,
                targets=(3, 9),
                refs=(event.id,),
                text_sv=f"Avbröt hos {actor} ({event.id}) och ingen sökte upp personen.",
                text_en=f"Dropped out of {actor} ({event.id}) and nobody reached out.",
            )
        )
    return out


# -- death and compulsory care (issue 12) -------------------------------------------------

#: Events by which a service lets go of the person: a death soon after one, with no contact
#: in between, is ``death_after_contact``.
LET_GO_KINDS: Final = frozenset(
    {
        EventKind.DISCHARGE,
        EventKind.REJECTION,
        EventKind.REDIRECTION,
        EventKind.CASE_CLOSED,
        EventKind.DROP_OUT,
    }
)
_LET_GO_WORDS: Final = {
    EventKind.DISCHARGE: ("utskrivning från", "discharge from"),
    EventKind.REJECTION: ("avvisning från", "rejection by"),
    EventKind.REDIRECTION: ("hänvisning från", "redirection by"),
    EventKind.CASE_CLOSED: ("avslutat ärende hos", "case closed at"),
    EventKind.DROP_OUT: ("avbrott hos", "drop-out from"),
}
_NOT_CONTACT: Final = frozenset({EventKind.DEATH, EventKind.NEED_SIGNAL})


def _service_contact(journey: Journey, event: Event) -> bool:
    """Whether ``event`` is a contact with a service (not the death, a signal or the network)."""
    return (
        event.kind not in _NOT_CONTACT
        and journey.actor_of(event).principal is not Principal.INFORMAL
    )


def _between(first: Event, second: Event) -> float:
    """Days from ``first`` to ``second``, never below 0 (a death without a time of day)."""
    return max(0.0, (second.timestamp - first.timestamp).total_seconds() / 86_400.0)


def _cause(death: Event, lang: str) -> str:
    """The cause and certainty in brackets, e.g. ``" (overdose, probable)"``, or ``""``."""
    if death.cause is None or death.cause is DeathCause.UNKNOWN:
        return ""
    words = [label(death.cause, lang).lower()]
    if death.certainty is not None:
        words.append(label(death.certainty, lang))
    return f" ({', '.join(words)})"


def death_after_contact(journey: Journey, th: Thresholds) -> list[Finding]:
    """``death_after_contact``: the person died soon after a service let go, with no contact.

    Walking back from the death, the service events met before any other contact with a
    service are discharges, rejections, redirections, closed cases or drop-outs
    (:data:`LET_GO_KINDS`); those within ``follow_up_days`` of the death are cited, the
    nearest named. Events at the person's own network and need signals are not contact.
    """
    death = journey.death
    if death is None:
        return []
    let_go: list[Event] = []
    for event in reversed(journey.timeline[:-1]):
        if not _service_contact(journey, event):
            continue
        if event.kind not in LET_GO_KINDS:
            break
        if _between(event, death) <= th.follow_up_days:
            let_go.append(event)
    if not let_go:
        return []
    nearest = let_go[0]
    days = _between(nearest, death)
    sv, en = _LET_GO_WORDS[nearest.kind]
    actor = journey.actor_of(nearest).name
    return [
        Finding(
            code="death_after_contact",
            severity=Severity.HIGH,
            targets=(4,),
            refs=(*(e.id for e in reversed(let_go)), death.id),
            text_sv=f"Personen dog{_cause(death, 'sv')} {_d(days)} dagar efter {sv} {actor} "
            f"({nearest.id}), utan kontakt med någon verksamhet däremellan.",
            text_en=f"The person died{_cause(death, 'en')} {_d(days)} days after {en} {actor} "
            f"({nearest.id}), with no contact with any service in between.",
        )
    ]


def _followed_up(
    journey: Journey, ended: Episode, other: Episode, end: dt.date, th: Thresholds
) -> bool:
    """Whether compulsory care that ended while the person was in ``other`` was carried on.

    Carried on: a transition under a compulsory law leaves the ended episode; or a move
    (referral, handover, return) leaves either service for an event after the end day at
    any service but the other one; or a third service that did not let go of the person
    reached out (an event the person did not initiate) after the end day and no later than
    ``follow_up_days`` after the other episode ended. What happened on the end day itself
    is how the person came into the other service's care, not a follow-up.
    """
    first, second = ended.event.actor, other.event.actor
    start = day_of(ended.event.date)
    other_last = other.last or end
    for tr in journey.transitions:
        src, dst = journey.event(tr.source), journey.event(tr.target)
        src_day, dst_day = day_of(src.date), day_of(dst.date)
        if src.actor == first and start <= src_day <= end and tr.legal_basis in COMPULSORY:
            return True
        if tr.kind not in MOVE_KINDS or src.actor not in (first, second):
            continue
        if start <= src_day <= other_last and dst.actor != second and dst_day > end:
            return True
    horizon = other_last + dt.timedelta(days=th.follow_up_days)
    for event in journey.timeline:
        day = day_of(event.date)
        if event.actor in (first, second) or not end < day <= horizon:
            continue
        if (
            _service_contact(journey, event)
            and event.kind not in LET_GO_KINDS
            and event.initiated_by is not Initiator.PERSON
        ):
            return True
    return False


def compulsory_care_ended(journey: Journey, th: Thresholds) -> list[Finding]:
    """``compulsory_care_ended``: compulsory care let go while another service held the person.

    A compulsory episode (``legal_basis`` LVM, LPT, LRV or LVU) ended on a day when an
    episode of care at another service (not the person's own network) was under way, that
    other episode was not itself compulsory, and nothing carried the care on (see
    :func:`_followed_up`). The most serious form of a case closed before it was opened.
    """
    if not any(e.compulsory for e in journey.events):
        return []
    found = episodes(journey)
    out = []
    seen: set[tuple[str, dt.date]] = set()
    for ended in found:
        end = ended.last
        if not ended.event.compulsory or end is None:
            continue
        actor = journey.actor_of(ended.event)
        if (actor.id, end) in seen:
            continue
        holding = [
            o
            for o in found
            if o.event.actor != actor.id
            and journey.actor_of(o.event).principal is not Principal.INFORMAL
            and day_of(o.event.date) <= end
            and (o.last is None or o.last >= end)
        ]
        if not holding or any(o.event.compulsory for o in holding):
            continue
        other = holding[0]
        if _followed_up(journey, ended, other, end, th):
            continue
        seen.add((actor.id, end))
        law = ended.event.legal_basis.value if ended.event.legal_basis else ""
        name = journey.actor_of(other.event).name
        refs = (ended.event.id, *((ended.ender.id,) if ended.ender else ()), other.event.id)
        out.append(
            Finding(
                code="compulsory_care_ended",
                severity=Severity.HIGH,
                targets=(4, 9),
                refs=refs,
                text_sv=f"Vården enligt {law} vid {actor.name} ({ended.event.id}) avslutades "
                f"{end:%Y-%m-%d} medan personen vårdades vid {name} ({other.event.id}), utan "
                "överlämning som förde vården vidare och utan planerad uppföljning.",
                text_en=f"Compulsory care under {law} at {actor.name} ({ended.event.id}) ended "
                f"on {end:%Y-%m-%d} while the person was in the care of {name} "
                f"({other.event.id}), with no handover to carry it on and no planned follow-up.",
            )
        )
    return out


#: Every detector, in the order their findings are listed at equal severity and time.
DETECTORS: Final[tuple[Detector, ...]] = (
    death_after_contact,
    compulsory_care_ended,
    sober_first,
    ping_pong,
    no_sip,
    no_coordinator,
    cold_handovers,
    sanctions,
    discharge_gaps,
    closed_before_opened,
    long_waits,
    long_contact_gaps,
    rejections_without_referral,
    drop_outs,
    unaddressed_needs,
    network_left_out,
)
#: The detectors that can raise a high-severity finding, in :data:`DETECTORS` order: the
#: others (:func:`long_contact_gaps`, :func:`rejections_without_referral`,
#: :func:`drop_outs`, :func:`network_left_out`) raise medium and low findings only, and of
#: :func:`cold_handovers` only the part at region-kommun crossings can raise a high one.
#: Run alone they give the high findings in the order :func:`find_gaps` ranks them, which
#: is all the high-finding cap of :func:`careflow.scoring.score_journey` needs.
HIGH_DETECTORS: Final[tuple[Detector, ...]] = tuple(
    _cold_crossing_handovers if d is cold_handovers else d
    for d in DETECTORS
    if d not in {long_contact_gaps, rejections_without_referral, drop_outs, network_left_out}
)


def find_gaps(
    journey: Journey,
    *,
    thresholds: Thresholds | None = None,
    detectors: Sequence[Detector] = DETECTORS,
) -> Findings:
    """All findings of a journey, high severity first, as a :class:`Findings` list.

    Within a severity, findings are ordered by the earliest event they point at, then by
    detector order, then by their refs, so the ranking is stable.

    Examples
    --------
    >>> import datetime as dt
    >>> from careflow.model import Actor, Event, Journey, Person
    >>> j = Journey(id="j", person=Person(id="p"),
    ...     actors=[Actor(id="psy", name="Psykiatrin", principal="region")],
    ...     events=[Event(id="e1", date=dt.date(2024, 1, 1), actor="psy", kind="rejection",
    ...                   reason_code="other_condition")])
    >>> [(f.code, f.severity.label, f.need) for f in find_gaps(j)]  # doctest: +NORMALIZE_WHITESPACE
    [('sober_first', 'high', None), ('unaddressed_need', 'high', 'substance_use'),
     ('unaddressed_need', 'high', 'mental_health'), ('rejection_without_referral', 'medium', None)]

    (Turning the person away for the other condition shows the service knew of both
    conditions; neither was treated.)

    A ``journey`` that is not a :class:`~careflow.model.Journey`, or ``thresholds`` that
    are not :class:`Thresholds`, raise ``TypeError`` (a programming error, not bad data).
    """
    if not isinstance(journey, Journey):
        raise TypeError(f"find_gaps expects a careflow Journey, not {type(journey).__name__}")
    if thresholds is not None and not isinstance(thresholds, Thresholds):
        raise TypeError(
            f"find_gaps expects careflow Thresholds or None, not {type(thresholds).__name__}"
        )
    th = thresholds or Thresholds()
    order = per_journey(journey).order
    found: list[tuple[int, int, int, tuple[str, ...], Finding]] = []
    for rank, detector in enumerate(detectors):
        for finding in detector(journey, th):
            first = min((order[r] for r in finding.refs if r in order), default=len(order))
            found.append((-int(finding.severity), first, rank, finding.refs, finding))
    found.sort(key=lambda item: item[:4])
    return Findings(item[-1] for item in found)


def findings_to_dicts(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Findings as plain JSON data, in the order given."""
    return [f.to_dict() for f in findings]
