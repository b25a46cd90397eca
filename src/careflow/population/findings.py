"""Bulk counts of findings per case, each beside the detector of :mod:`careflow.gaps` it mirrors.

:data:`BULK_FINDINGS` maps a finding code to the detector and to polars expressions over
a case's sorted events (same thresholds, :class:`careflow.gaps.Thresholds` defaults):
per-case facts, the count of that code's findings, and, for a code that can be of high
severity, the målbilder a high finding of that case is tied to.
:func:`careflow.scoring.score_journey` caps such a målbild at
:data:`careflow.scoring.profile.HIGH_FINDING_CAP`, and so does the bulk path.

A journey read from an event log (:func:`careflow.read_event_log`) holds events with a
time, a unit (its principal and service), a kind, a contact type, a need from a
diagnosis, a legal basis and a death's cause; each change of unit is a ``handover``
transition with unknown warmth and information. It holds no reasons, no ``demanded
first``, no initiators, no event ``end``, no contact persons, no plans, no network.
Codes whose detector reads only those count 0 per journey and in bulk (:data:`ZERO`
says why, code by code). One code, ``compulsory_care_ended``, is counted by its own
detector on the journey of each case with an event under a compulsory law, built from
the case's events as the per-journey reader builds it
(:mod:`careflow.population.journeys`), and is 0 for every other case: its cost grows
with the cases that have compulsory care (:data:`PER_JOURNEY`).
:data:`FINDINGS_NOT_IN_BULK` lists the codes without a bulk count, with the reason
(none now; the mechanism stays for new detectors). ``tests/test_population.py`` checks
every count and every capped målbild against :func:`careflow.gaps.find_gaps` and
:func:`careflow.scoring.score_journey`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

import attrs
import polars as pl

from careflow import gaps
from careflow.model import COMPULSORY, Aspect, Channel, EventKind, Principal, ServiceKind
from careflow.population._arith import days_between
from careflow.population._engine import IN_MEMORY
from careflow.population._window import last_in_case, next_where
from careflow.population.journeys import count_per_journey
from careflow.scoring.facts import APPOINTMENT_KINDS, HELP_KINDS, SERVICE_ADDRESSES
from careflow.scoring.rules import CONDITIONS, EMERGENCY_SERVICES

__all__ = [
    "BULK_FINDINGS",
    "FINDINGS_NOT_IN_BULK",
    "FROM_INDICATORS",
    "HIGH_FINDING_TARGETS",
    "PER_JOURNEY",
    "ZERO",
    "BulkFinding",
    "bulk_findings",
    "death_columns",
    "finding_table",
]

_TH: Final = gaps.Thresholds()
_COMPULSORY: Final = sorted(b.value for b in COMPULSORY)


def _counted(code: str) -> str:
    """The per-case column a code counted per journey is joined under."""
    return f"_counted_{code}"


_COMPULSORY_ENDED: Final = _counted("compulsory_care_ended")
_DEATH: Final = EventKind.DEATH.value


def _kinds(kinds: Iterable[EventKind]) -> list[str]:
    return sorted(k.value for k in kinds)


def _kind_in(kinds: Iterable[EventKind]) -> pl.Expr:
    return pl.col("kind").is_in(_kinds(kinds))


@attrs.frozen(kw_only=True, slots=True)
class BulkFinding:
    """A finding code's bulk count, beside the detector it mirrors.

    ``facts`` maps a fact name to a per-case aggregation over the events prepared by
    :func:`finding_table`; ``count`` computes the number of findings of the code from the
    facts; ``high`` maps a målbild id to an expression that is true when a high-severity
    finding of this code tied to that målbild is present (empty for codes that are never
    high on a journey from an event log). ``per_journey`` (see :data:`PER_JOURNEY`) marks
    a code counted by its detector on the journeys of the cases it selects.
    """

    code: str
    detector: gaps.Detector
    facts: Mapping[str, Callable[[], pl.Expr]]
    count: Callable[[], pl.Expr]
    high: Mapping[int, Callable[[], pl.Expr]] = attrs.field(factory=dict)
    #: When set, the detector runs on the journey of each case with an event where this
    #: holds (:func:`careflow.population.journeys.count_per_journey`) and its count is
    #: joined per case as ``_counted_<code>`` (0 for every other case).
    per_journey: Callable[[], pl.Expr] | None = None


def _zero() -> pl.Expr:
    return pl.lit(0, dtype=pl.UInt32)


def _n(flag: str) -> Callable[[], pl.Expr]:
    """A fact: how many events of the case have the per-event flag ``flag``."""
    return lambda: pl.col(flag).sum().cast(pl.UInt32)


def _any(flag: str) -> Callable[[], pl.Expr]:
    return lambda: pl.col(flag).any()


def _fact(name: str) -> Callable[[], pl.Expr]:
    return lambda: pl.col(name)


#: Codes that cannot fire on a journey read from an event log, with the reason.
ZERO: Final[dict[str, str]] = {
    "sober_first": "reads reason_code other_condition or demanded_first; a log has neither",
    "late_sip": "needs a joint plan (SIP); a log has no plans",
    "cold_handover": (
        "needs a transition recorded cold (warm: false) or without information; a log's "
        "handovers have unknown warmth and information"
    ),
    "sanction": "reads reason_code sanction; a log has no reasons",
    "network_not_involved": "reads the network; a log has none",
    "network_consent_unknown": "reads the network; a log has none",
}

# -- per-event columns ------------------------------------------------------------------------

_LET_GO: Final = _kinds(gaps.LET_GO_KINDS)
_FOLLOW_UP: Final = _kinds(
    {
        EventKind.FIRST_CONTACT,
        EventKind.CONTACT,
        EventKind.ASSESSMENT,
        EventKind.TREATMENT,
        EventKind.SUPPORT,
        EventKind.PLAN_MEETING,
    }
)
_NOT_OUTREACH: Final = _kinds(
    {
        EventKind.REJECTION,
        EventKind.REDIRECTION,
        EventKind.CRISIS,
        EventKind.CASE_CLOSED,
        EventKind.DROP_OUT,
        EventKind.DISCHARGE,
        EventKind.DEATH,
    }
)
_INFORMAL: Final = Principal.INFORMAL.value


# Events are sorted by case, so per-case values are global passes (shifts, fills, running
# sums) that stop at a case's first or last event; a fill that may find nothing in its
# case stops at a sentinel put on the case's last event, which then reads as null.
_NEVER: Final = dt.datetime(1, 1, 1)
_NO: Final = -1
_LAST: Final = pl.col("_last")


def _sentinel(value: object) -> pl.Expr:
    return pl.lit(value, dtype=pl.Datetime("us") if isinstance(value, dt.datetime) else pl.Int64)


def _unsentinel(expr: pl.Expr, value: object) -> pl.Expr:
    return pl.when(expr == _sentinel(value)).then(None).otherwise(expr)


def _next_where(flag: pl.Expr, value: pl.Expr, none: object = _NEVER) -> pl.Expr:
    """``value`` at the next event of the case at or after this one where ``flag`` holds."""
    return next_where(flag, value, _sentinel(none), last=_LAST)


def _at_next_run(column: str, none: object = _NEVER) -> pl.Expr:
    """``column``'s value at the first event of the case after this one with a later time.

    (A death starts a run of its own.) ``column`` must be "the next event at or after
    this one with some property" (null when none), so a null at one start of a run of
    equal times stays null at the later ones.
    """
    starts = pl.when(pl.col("_new_run")).then(pl.col(column)).shift(-1)
    filled = pl.when(_LAST).then(_sentinel(none)).otherwise(starts).backward_fill()
    return _unsentinel(filled, none)


def _case_any(flag: pl.Expr) -> pl.Expr:
    """Whether ``flag`` holds at any event of the case, on every event of the case."""
    n = flag.fill_null(False).cast(pl.UInt32)
    upto = n.cum_sum()
    through = pl.when(_LAST).then(upto).backward_fill()
    before = pl.when(pl.col("pos") == 0).then(upto - n).forward_fill()
    return through > before


def _case_last(value: pl.Expr) -> pl.Expr:
    """``value`` at the case's last event, on every event of the case (never null)."""
    return pl.when(_LAST).then(value).backward_fill()


def _position_columns() -> list[pl.Expr]:
    return [last_in_case().alias("_last")]


def _base_columns() -> list[pl.Expr]:
    prev_ts = pl.when(pl.col("pos") > 0).then(pl.col("ts").shift(1))
    death = pl.col("kind") == _DEATH
    return [
        prev_ts.alias("_prev_ts"),
        ((pl.col("pos") == 0) | (pl.col("ts") != prev_ts) | death).alias("_new_run"),
        # the next case's first event is no handover
        pl.col("handover").shift(-1).fill_null(False).alias("_source"),
        (~pl.col("kind").is_in([_DEATH, EventKind.NEED_SIGNAL.value]))
        .and_(pl.col("principal") != _INFORMAL)
        .alias("_service_contact"),
        _case_any(pl.col("kind") != EventKind.CONTACT.value).alias("_kinds"),
        # the latest time: the last event's, or the one before a death by date
        _case_last(pl.max_horizontal(pl.col("ts"), prev_ts)).alias("_end"),
        _unsentinel(
            _case_last(pl.when(death).then(pl.col("ts")).otherwise(_sentinel(_NEVER))), _NEVER
        ).alias("_death_ts"),
        _kind_in(APPOINTMENT_KINDS).alias("_appointment"),
    ]


def _address_sets(services: Iterable[str]) -> list[frozenset[str]]:
    """The distinct life-domain sets the given services work on (sorted, for determinism)."""
    sets = {SERVICE_ADDRESSES[ServiceKind(s)] for s in services}
    return sorted(sets, key=lambda s: ",".join(sorted(s)))


def _works_on(condition: frozenset[str]) -> pl.Expr:
    """Whether an event's service works on one of ``condition`` (always, when it is empty)."""
    if not condition:
        return pl.lit(True)
    serving = [s.value for s, domains in SERVICE_ADDRESSES.items() if domains & condition]
    return pl.col("service").is_in(sorted(serving))


def _discharge_ends(conditions: Sequence[frozenset[str]]) -> list[pl.Expr]:
    """Per condition ``k``, where the search for follow-up from each event would end.

    ``_end_ts_k`` and ``_end_code_k``: the time and kind (0 planned follow-up, 1
    admission, 2 closure or death) of the next event at or after this one that ends the
    search for follow-up after a discharge from a service working on condition ``k``.
    """
    stop = pl.col("kind").is_in([EventKind.ADMISSION.value, EventKind.CASE_CLOSED.value, _DEATH])
    followable = (
        pl.col("kind").is_in(_FOLLOW_UP)
        & ~pl.col("service").is_in(sorted(s.value for s in EMERGENCY_SERVICES))
        & (pl.col("principal") != _INFORMAL)
    )
    out = []
    for k, condition in enumerate(conditions):
        planned = followable & _works_on(condition)
        term = stop | planned
        code = (
            pl.when(planned)
            .then(0)
            .when(pl.col("kind") == EventKind.ADMISSION.value)
            .then(1)
            .otherwise(2)
            .cast(pl.Int64)
        )
        out.append(_next_where(term, pl.col("ts")).alias(f"_end_ts_{k}"))
        out.append(_next_where(term, code, _NO).alias(f"_end_code_{k}"))
    return out


def _discharge_columns(conditions: Sequence[frozenset[str]]) -> list[pl.Expr]:
    """``_ncad``: the discharge failed (:func:`careflow.scoring.rules.discharge_follow_ups`).

    For a discharge, the search starts at the first event with a later time (or the
    death) and ends at the first admission, closure, death or planned follow-up (a
    follow-up kind at a service that is not an emergency service, not the person's own
    network, working on a condition the discharging service works on). An admission
    within a day, or a follow-up within ``follow_up_days``, is follow-up; anything else
    that ends the search is a failure; no end at all fails once ``follow_up_days`` are
    observed.
    """
    discharge = pl.col("kind") == EventKind.DISCHARGE.value
    failed: pl.Expr = pl.lit(False)
    for k, condition in enumerate(conditions):
        at_ts = _at_next_run(f"_end_ts_{k}")
        at_code = _at_next_run(f"_end_code_{k}", _NO)
        gap = days_between(pl.col("ts"), at_ts)
        to_end = days_between(pl.col("ts"), pl.col("_end"))
        this = (
            pl.when(at_ts.is_null())
            .then(to_end >= _TH.follow_up_days)
            .when(at_code == 0)
            .then(gap >= _TH.follow_up_days)
            .when((at_code == 1) & (gap <= 1.0))
            .then(gap >= _TH.follow_up_days)
            .otherwise(True)
        )
        mine = pl.col("service").is_in(
            sorted(s.value for s, d in SERVICE_ADDRESSES.items() if d == condition)
        )
        failed = pl.when(discharge & mine).then(this).otherwise(failed)
    return [(discharge & failed).alias("_ncad")]


_TURNED_AWAY: Final = _kinds({EventKind.REJECTION, EventKind.REDIRECTION})


def _next_columns() -> list[pl.Expr]:
    """The next blocker of ``death_after_contact`` and the next outreach, per event."""
    let_go = pl.col("kind").is_in(_LET_GO)
    outreach = (pl.col("channel") == Channel.OUTREACH.value) & ~pl.col("kind").is_in(_NOT_OUTREACH)
    return [
        _next_where(pl.col("_service_contact") & ~let_go, pl.col("pos").cast(pl.Int64), _NO)
        .is_not_null()
        .alias("_blocked"),
        _next_where(outreach, pl.col("ts")).alias("_outreach"),
    ]


def _event_columns(needs: Sequence[str]) -> list[pl.Expr]:
    """Per-event flags of the simple detectors (after :func:`_next_columns`)."""
    kr = pl.col("_kinds")
    handover = pl.col("handover")
    wait = days_between(pl.col("_prev_ts"), pl.col("ts"))
    long_wait = kr & handover & pl.col("_appointment") & (wait > _TH.wait_days)
    let_go = pl.col("kind").is_in(_LET_GO)
    to_death = pl.max_horizontal(pl.lit(0.0), days_between(pl.col("ts"), pl.col("_death_ts")))
    reached = _at_next_run("_outreach")
    help_ = _kind_in(HELP_KINDS)
    untreated: pl.Expr = pl.lit(False)
    for need in needs:
        acted = _case_any(help_ & _works_on(frozenset({need})))
        untreated = pl.when(pl.col("need") == need).then(~acted).otherwise(untreated)
    return [
        long_wait.alias("_long_wait"),
        (long_wait & (wait >= _TH.wait_high_days)).alias("_long_wait_high"),
        (
            pl.col("_service_contact")
            & let_go
            & ~pl.col("_blocked")  # a let-go event is no blocker: "at or after" is "after"
            & pl.col("_death_ts").is_not_null()
            & (to_death <= _TH.follow_up_days)
        ).alias("_death_after"),
        (
            (pl.col("kind") == EventKind.DROP_OUT.value)
            & ~(reached.is_not_null() & (days_between(pl.col("ts"), reached) <= _TH.drop_out_days))
        ).alias("_dropped"),
        (pl.col("need").is_not_null() & untreated).alias("_untreated"),
    ]


def _rejections(events: pl.LazyFrame) -> pl.LazyFrame:
    """Per case, rejections and redirections nobody passed on (``_rejected``).

    Not the source of a handover, and no referral at the same unit at the same date (or
    date and time: a date and a date-time are never the same ``date``).
    """
    keys = ["case", "unit", "is_date", "ts"]
    referrals = events.filter(pl.col("kind") == EventKind.REFERRAL.value).select(keys).unique()
    turned = events.filter(pl.col("kind").is_in(_TURNED_AWAY) & ~pl.col("_source"))
    alone = turned.select(keys).join(referrals, on=keys, how="anti", nulls_equal=True)
    return alone.group_by("case").agg(pl.len().cast(pl.UInt32).alias("_rejected"))


def _gap_columns() -> list[pl.Expr]:
    """``_gap``: a contact gap (:func:`careflow.graph.contact_gaps`) long enough to report.

    A log's events have no ``end`` and observation ends at the last event, so a gap lies
    between two consecutive events; it is not reported after a failed discharge, and
    only while the person has needs.
    """
    has_need = _case_any(pl.col("need").is_not_null())
    after_failed = pl.when(pl.col("pos") > 0).then(pl.col("_ncad").shift(1)).fill_null(False)
    return [
        (
            has_need
            & (pl.col("ts") > pl.col("_prev_ts"))
            & (days_between(pl.col("_prev_ts"), pl.col("ts")) > _TH.contact_gap_days)
            & ~after_failed
        ).alias("_gap")
    ]


def _closure_columns() -> list[pl.Expr]:
    return [pl.col("unit").shift(-1).alias("_next_unit")]


def _run_columns() -> list[pl.Expr]:
    """What each run of equal times ends with: its last unit and the handover after it.

    Events are sorted by case and every case's last event ends a run, so filling back
    from the ends of runs never crosses into another case.
    """
    ends = pl.col("_new_run").shift(-1).fill_null(True)
    # the next unit matters only where a handover follows, which never leaves the case
    nxt = pl.when(pl.col("_source")).then(pl.col("_next_unit")).otherwise(pl.col("unit"))
    return [
        ends.alias("_run_end"),
        pl.when(ends).then(pl.col("unit")).backward_fill().alias("_run_last_unit"),
        pl.when(ends).then(pl.col("_source")).backward_fill().alias("_run_hands_on"),
        pl.when(ends).then(nxt).backward_fill().alias("_run_next_unit"),
    ]


_CLOSURES: Final = [EventKind.CASE_CLOSED.value, EventKind.DISCHARGE.value]


def _pending_handover() -> list[pl.Expr]:
    """``_pending_tr``: a closure whose handover onward had not led to a first contact.

    (:func:`careflow.scoring.rules._pending_transition`.) The only handover that can
    leave the closing unit at or before the closure and arrive after it goes from the
    last event with the closure's time to the next event; it is pending when that last
    event is at the closing unit, the next one at another unit, and the receiving unit
    had no appointment at the closure's time.
    """
    opened = pl.col("_appointment") & (pl.col("unit") == pl.col("_run_next_unit"))
    # how many of the run's events are such appointments: running totals at its two ends
    upto = opened.cast(pl.UInt32).cum_sum()
    before = pl.when(pl.col("_new_run")).then(upto - opened.cast(pl.UInt32)).forward_fill()
    through = pl.when(pl.col("_run_end")).then(upto).backward_fill()
    return [
        (
            pl.col("kind").is_in(_CLOSURES)
            & pl.col("_run_hands_on")
            & (pl.col("unit") == pl.col("_run_last_unit"))
            & (through == before)
        ).alias("_pending_tr")
    ]


def _running_counts(appointments: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    """Per ``by`` group and time, how many appointments came up to that time."""
    return (
        appointments.group_by(*by, "ts")
        .agg(n=pl.len())
        .sort("ts")
        .with_columns(pl.col("n").cum_sum().over(by).alias("_until"))
        .select(*by, "ts", "_until")
    )


def _appointments_until(
    pairs: pl.LazyFrame, counts: pl.LazyFrame, at: str, unit: str | None, name: str
) -> pl.LazyFrame:
    """``pairs`` with ``name``: the case's appointments (at ``unit``, if given) up to ``at``."""
    by = ["case"] if unit is None else ["case", "unit"]
    right = counts.rename({"ts": at, "_until": name})
    left = pairs if unit is None else pairs.with_columns(pl.col(unit).alias("unit"))
    joined = left.sort(at).join_asof(
        right, on=at, by=by, strategy="backward", check_sortedness=False
    )
    joined = joined.with_columns(pl.col(name).fill_null(0))
    return joined if unit is None else joined.drop("unit")


def _pending_referrals(events: pl.LazyFrame) -> pl.LazyFrame:
    """Closures with a pending referral of no recorded destination, per case and position.

    (:func:`careflow.scoring.rules._pending_referral`.) A referral from which no handover
    leaves, made at most ``follow_up_days`` before the closure (up to the closure's
    time), with no appointment after the referral's time and up to the closure's at a
    unit other than the referral's and the closure's. Closures are paired only with the
    referrals of their own case within that window; appointments are counted from
    running totals (as-of joins), so the work grows with those pairs.
    """
    closures = events.filter(pl.col("kind").is_in(_CLOSURES)).select(
        "case", "pos", pl.col("ts").alias("ts_c"), pl.col("unit").alias("unit_c")
    )
    referrals = events.filter(
        (pl.col("kind") == EventKind.REFERRAL.value) & ~pl.col("_source")
    ).select("case", pl.col("ts").alias("ts_r"), pl.col("unit").alias("unit_r"))
    within = days_between(pl.col("ts_r"), pl.col("ts_c"))
    pairs = closures.join(referrals, on="case").filter(
        (pl.col("ts_r") <= pl.col("ts_c")) & (within <= _TH.follow_up_days)
    )
    pairs = pairs.collect(engine=IN_MEMORY).lazy()
    appointments = (
        events.filter(pl.col("_appointment"))
        .select("case", "unit", "ts")
        .join(pairs.select("case").unique(), on="case", how="semi")
    )
    per_case = _running_counts(appointments, ["case"]).collect(engine=IN_MEMORY).lazy()
    per_unit = _running_counts(appointments, ["case", "unit"]).collect(engine=IN_MEMORY).lazy()
    for at in ("ts_c", "ts_r"):
        pairs = _appointments_until(pairs, per_case, at, None, f"all_{at}")
        for unit in ("unit_c", "unit_r"):
            pairs = _appointments_until(pairs, per_unit, at, unit, f"{unit}_{at}")
    at_closing = pl.col("unit_c_ts_c") - pl.col("unit_c_ts_r")
    third = (
        (pl.col("all_ts_c") - pl.col("all_ts_r"))
        - (pl.col("unit_r_ts_c") - pl.col("unit_r_ts_r"))
        - pl.when(pl.col("unit_c") != pl.col("unit_r")).then(at_closing).otherwise(0)
    )
    return pairs.group_by("case", "pos").agg((third == 0).any().alias("_pending_ref"))


# -- per-case facts and counts ----------------------------------------------------------------


def _no_sip_facts() -> dict[str, Callable[[], pl.Expr]]:
    def first(principal: Principal) -> Callable[[], pl.Expr]:
        return lambda: pl.col("ts").filter(pl.col("principal") == principal.value).first()

    return {
        "_region_ts": first(Principal.REGION),
        "_kommun_ts": first(Principal.KOMMUN),
        "_end": lambda: pl.col("ts").max(),
        "_kinds": lambda: pl.col("_kinds").first(),
    }


def _no_sip(plans_complete: bool) -> Callable[[], pl.Expr]:
    def count() -> pl.Expr:
        both = pl.max_horizontal("_region_ts", "_kommun_ts")
        overlap = pl.max_horizontal(pl.lit(0.0), days_between(both, pl.col("_end")))
        judged = pl.col("_kinds") | pl.lit(plans_complete)
        fires = (
            pl.col("_region_ts").is_not_null()
            & pl.col("_kommun_ts").is_not_null()
            & judged
            & (overlap >= _TH.sip_after_days)
        )
        return fires.cast(pl.UInt32)

    return count


def _no_coordinator(contacts_complete: bool) -> Callable[[], pl.Expr]:
    def count() -> pl.Expr:
        if not contacts_complete:  # nobody named, nothing declared: not judged
            return _zero()
        needed = (pl.col("_services") >= _TH.several_services) | pl.lit(_TH.many_contacts <= 0)
        return needed.cast(pl.UInt32)

    return count


def _positive(name: str) -> Callable[[], pl.Expr]:
    return lambda: pl.col(name) > 0


def _entry(finding: BulkFinding) -> tuple[str, BulkFinding]:
    return finding.code, finding


def bulk_findings(recorded_completely: frozenset[Aspect] = frozenset()) -> dict[str, BulkFinding]:
    """The bulk counts, for journeys whose source declares ``recorded_completely``."""
    contacts = Aspect.CONTACTS in recorded_completely
    plans = Aspect.PLANS in recorded_completely
    zero = {code: BulkFinding(code=code, detector=_ZERO_DETECTORS[code], facts={}, count=_zero)
            for code in ZERO}  # fmt: skip
    return dict(
        (
            _entry(
                BulkFinding(
                    code="death_after_contact",
                    detector=gaps.death_after_contact,
                    facts={"_death_after": _any("_death_after")},
                    count=lambda: pl.col("_death_after").cast(pl.UInt32),
                    high={4: _fact("_death_after")},
                )
            ),
            _entry(
                BulkFinding(
                    code="compulsory_care_ended",
                    detector=gaps.compulsory_care_ended,
                    facts={},  # counted per journey, joined per case (PER_JOURNEY)
                    count=_fact(_COMPULSORY_ENDED),
                    high={4: _positive(_COMPULSORY_ENDED), 9: _positive(_COMPULSORY_ENDED)},
                    per_journey=lambda: pl.col("legal_basis").is_in(_COMPULSORY),
                )
            ),
            _entry(zero["sober_first"]),
            _entry(
                BulkFinding(
                    code="no_sip",
                    detector=gaps.no_sip,
                    facts=_no_sip_facts(),
                    count=_no_sip(plans),
                    high={4: lambda: _no_sip(plans)() > 0},
                )
            ),
            _entry(zero["late_sip"]),
            _entry(
                BulkFinding(
                    code="no_coordinator",
                    detector=gaps.no_coordinator,
                    # without contacts recorded completely nothing is judged: no fact
                    facts={
                        "_services": lambda: (
                            pl.col("unit").filter(pl.col("principal") != _INFORMAL).n_unique()
                        )
                    }
                    if contacts
                    else {},
                    count=_no_coordinator(contacts),
                    high={
                        9: lambda: _no_coordinator(contacts)() > 0,
                        4: lambda: _no_coordinator(contacts)() > 0,
                    },
                )
            ),
            _entry(zero["cold_handover"]),
            _entry(zero["sanction"]),
            _entry(
                BulkFinding(
                    code="no_contact_after_discharge",
                    detector=gaps.discharge_gaps,
                    facts={"_ncad": _n("_ncad")},
                    count=_fact("_ncad"),
                    high={4: _positive("_ncad")},
                )
            ),
            _entry(
                BulkFinding(
                    code="closed_before_opened",
                    detector=gaps.closed_before_opened,
                    facts={"_unheld": _n("_unheld")},
                    count=_fact("_unheld"),
                    high={4: _positive("_unheld"), 9: _positive("_unheld")},
                )
            ),
            _entry(
                BulkFinding(
                    code="long_wait",
                    detector=gaps.long_waits,
                    facts={
                        "_long_wait": _n("_long_wait"),
                        "_long_wait_high": _any("_long_wait_high"),
                    },
                    count=_fact("_long_wait"),
                    high={2: _fact("_long_wait_high")},
                )
            ),
            _entry(
                BulkFinding(
                    code="long_contact_gap",
                    detector=gaps.long_contact_gaps,
                    facts={"_gap": _n("_gap")},
                    count=_fact("_gap"),
                )
            ),
            _entry(
                BulkFinding(
                    code="rejection_without_referral",
                    detector=gaps.rejections_without_referral,
                    facts={},  # counted by _rejections, joined per case
                    count=_fact("_rejected"),
                )
            ),
            _entry(
                BulkFinding(
                    code="dropped_out",
                    detector=gaps.drop_outs,
                    facts={"_dropped": _n("_dropped")},
                    count=_fact("_dropped"),
                )
            ),
            _entry(
                BulkFinding(
                    code="unaddressed_need",
                    detector=gaps.unaddressed_needs,
                    facts={
                        "_untreated": lambda: (
                            pl.col("need").filter(pl.col("_untreated")).n_unique().cast(pl.UInt32)
                        ),
                        "_untreated_condition": lambda: (
                            pl.col("need")
                            .filter(pl.col("_untreated"))
                            .is_in(list(CONDITIONS))
                            .any()
                        ),
                    },
                    count=_fact("_untreated"),
                    high={3: _fact("_untreated_condition"), 5: _fact("_untreated_condition")},
                )
            ),
            _entry(zero["network_not_involved"]),
            _entry(zero["network_consent_unknown"]),
        )
    )


_ZERO_DETECTORS: Final[dict[str, gaps.Detector]] = {
    "sober_first": gaps.sober_first,
    "late_sip": gaps.no_sip,
    "cold_handover": gaps.cold_handovers,
    "sanction": gaps.sanctions,
    "network_not_involved": gaps.network_left_out,
    "network_consent_unknown": gaps.network_left_out,
}

#: Finding codes with a bulk count (with nothing declared recorded completely).
BULK_FINDINGS: Final[dict[str, BulkFinding]] = bulk_findings()

#: Finding codes without a bulk count, with the reason (none: every code is counted).
FINDINGS_NOT_IN_BULK: Final[dict[str, str]] = {}

#: Finding codes counted by their own detector on the journey of each case that may have
#: one (:func:`careflow.population.journeys.count_per_journey`), with which cases and why.
PER_JOURNEY: Final[dict[str, str]] = {
    "compulsory_care_ended": (
        "careflow.gaps.compulsory_care_ended on the journey built from the case's events, "
        "for each case with an event under a compulsory law (LVM, LPT, LRV, LVU); 0 for "
        "every other case, where the detector finds nothing. It compares each ended "
        "compulsory episode with the episodes at other services under way that day and "
        "what followed: its cost grows with the events of the cases with compulsory care"
    ),
}

#: Finding codes counted from an indicator's facts (in :func:`careflow.population.score_events`),
#: with how: the referral-loop chain is computed once, for the ``ping_pong`` indicator.
FROM_INDICATORS: Final[dict[str, str]] = {
    "ping_pong": (
        "one finding per referral loop (careflow.graph.loops), always high and tied to "
        "målbild 5 and 4; not judged when no event has a kind other than contact: the "
        "loop count of the bulk ping_pong indicator"
    ),
}

#: The målbilder a finding of each code may be tied to with high severity on any journey
#: (read from :mod:`careflow.gaps`).
HIGH_FINDING_TARGETS: Final[dict[str, tuple[int, ...]]] = {
    "cold_handover": (4,),
    "ping_pong": (5, 4),
    "sober_first": (5,),
    "sanction": (5, 8),
    "no_sip": (4,),
    "no_coordinator": (9, 4),
    "long_wait": (2,),
    "no_contact_after_discharge": (4,),
    "closed_before_opened": (4, 9),
    "unaddressed_need": (3, 5, 8, 4),
    "death_after_contact": (4,),
    "compulsory_care_ended": (4, 9),
}


def death_columns() -> dict[str, Callable[[], pl.Expr]]:
    """Per-case death measures (issue 12): ``died`` and ``died_within_30d_of_discharge``.

    ``died`` is 1 when the case ends in a death. ``died_within_30d_of_discharge`` is 1
    when a discharge came before the death and at most ``follow_up_days`` (30) days
    before it (days as :func:`careflow.gaps.death_after_contact` counts them: never below
    0), whatever happened in between.
    """
    discharge = pl.col("kind") == EventKind.DISCHARGE.value
    to_death = pl.max_horizontal(pl.lit(0.0), days_between(pl.col("ts"), pl.col("_death_ts")))
    return {
        "died": lambda: (pl.col("kind") == _DEATH).any().cast(pl.UInt8),
        "died_within_30d_of_discharge": lambda: (
            (discharge & pl.col("_death_ts").is_not_null() & (to_death <= _TH.follow_up_days))
            .any()
            .cast(pl.UInt8)
        ),
    }


def finding_table(
    events: pl.DataFrame, recorded_completely: frozenset[Aspect] = frozenset()
) -> tuple[pl.LazyFrame, dict[str, BulkFinding]]:
    """Per case: ``finding_<code>`` counts, ``high_<målbild>`` flags, ``died`` columns.

    ``high_<id>`` is true when a high-severity finding tied to målbild ``id`` (of a code
    in the returned registry) is present. Returns the lazy table (sorted by case) and the
    registry used.
    """
    registry = bulk_findings(recorded_completely)
    discharge_services = (
        events.lazy()
        .filter(pl.col("kind") == EventKind.DISCHARGE.value)
        .select(pl.col("service").cast(pl.String).unique())
        .collect(engine=IN_MEMORY)
        .get_column("service")
        .to_list()
    )
    needs = sorted(events.get_column("need").drop_nulls().unique().cast(pl.String).to_list())
    conditions = _address_sets(discharge_services)
    lazy = (
        events.lazy()
        .with_columns(_position_columns())
        .with_columns(_base_columns())
        .with_columns(_discharge_ends(conditions) + _next_columns())
        .with_columns(_discharge_columns(conditions) + _event_columns(needs))
        .with_columns(_gap_columns() + _closure_columns())
        .with_columns(_run_columns())
        .with_columns(_pending_handover())
    )
    prepared = lazy.collect(engine=IN_MEMORY).lazy()  # read three times below: computed once
    pending = _pending_referrals(prepared)
    lazy = prepared.join(pending, on=["case", "pos"], how="left", maintain_order="left")
    lazy = lazy.with_columns(
        (pl.col("_pending_tr") | pl.col("_pending_ref").fill_null(False)).alias("_unheld")
    )
    facts: dict[str, Callable[[], pl.Expr]] = {}
    for finding in registry.values():
        facts.update(finding.facts)
    facts.update(death_columns())
    per_case = (
        lazy.group_by("case", maintain_order=True)
        .agg([make().alias(name) for name, make in facts.items()])
        .join(_rejections(prepared), on="case", how="left", maintain_order="left")
        .with_columns(pl.col("_rejected").fill_null(0))
    )
    for finding in registry.values():
        if finding.per_journey is None:
            continue
        name = _counted(finding.code)
        counted = count_per_journey(
            events,
            finding.detector,
            finding.per_journey(),
            name=name,
            recorded_completely=recorded_completely,
            thresholds=_TH,
        )
        per_case = per_case.join(
            counted.lazy(), on="case", how="left", maintain_order="left"
        ).with_columns(pl.col(name).fill_null(0))
    targets = sorted({t for f in registry.values() for t in f.high})
    highs = []
    for target in targets:
        flag: pl.Expr = pl.lit(False)
        for finding in registry.values():
            if target in finding.high:
                flag = flag | finding.high[target]().fill_null(False)
        highs.append(flag.alias(f"high_{target}"))
    counts = [f.count().cast(pl.UInt32).alias(f"finding_{c}") for c, f in registry.items()]
    table = per_case.with_columns(counts + highs).select(
        "case",
        *[f"finding_{c}" for c in registry],
        *[f"high_{t}" for t in targets],
        "died",
        "died_within_30d_of_discharge",
    )
    return table, registry
