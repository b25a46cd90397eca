"""Hypothesis strategies shared by the test suite.

Two families:

* :func:`journeys` builds valid :class:`careflow.Journey` objects with every part of the
  model in play (actors of all principals, contacts, network members with and without
  consent, plans, episodes, experience, transitions of every kind);
* :func:`broken_documents` takes a valid journey document and breaks it in one of the
  ways people break files (missing key, unknown key, wrong type, dangling reference,
  duplicate id, impossible date, backwards transition, reversed period).

Event timestamps within a journey are distinct, so reordering a file cannot change the
timeline (ties are ordered by kind and then by file position, see docs/journey-format.md).

Some journeys end in a death (issue 12): it comes on or after the last day any event
starts or ends, so nothing follows it, and ``observed_until`` may lie after it.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import strategies as st

from careflow import model as m

__all__ = ["BREAKAGES", "border_journeys", "broken_documents", "journeys", "text"]

BASE = dt.date(2023, 1, 1)

#: Printable text including characters that must survive every output format.
text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"),
        blacklist_characters="\x7f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")

_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_"
ids = st.text(alphabet=_ID_CHARS, min_size=1, max_size=8)


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


#: Every kind but a death, which only ever comes last (see :func:`journeys`).
LIVING_KINDS = [k for k in m.EventKind if k is not m.EventKind.DEATH]


@st.composite
def deaths(draw: st.DrawFn, *, day: int, actors: list[str]) -> m.Event:
    """A death ``day`` days after :data:`BASE` at one of ``actors``; cause, certainty optional."""
    return m.Event(
        id="death",
        date=BASE + dt.timedelta(days=day),
        actor=draw(st.sampled_from(actors)),
        kind=m.EventKind.DEATH,
        cause=draw(_opt(st.sampled_from(m.DeathCause))),
        certainty=draw(_opt(st.sampled_from(m.Certainty))),
    )


@st.composite
def journeys(
    draw: st.DrawFn,
    *,
    min_events: int = 1,
    max_events: int = 30,
    max_actors: int = 8,
    death: bool | None = None,
) -> m.Journey:
    """A valid journey with every part of the model in play.

    ``death``: ``True`` always ends the journey in a death, ``False`` never, ``None``
    sometimes.
    """
    n_actors = draw(st.integers(1, max_actors))
    actors = [
        m.Actor(
            id=f"a{i}",
            name=draw(text),
            principal=draw(st.sampled_from(m.Principal)),
            service=draw(st.sampled_from(m.ServiceKind)),
            law=draw(_opt(st.sampled_from(m.Law))),
        )
        for i in range(n_actors)
    ]
    actor_ids = [a.id for a in actors]
    contacts = [
        m.ContactPerson(
            id=f"c{i}",
            role=draw(st.sampled_from(m.ContactRole)),
            name=draw(_opt(text)),
            actor=draw(_opt(st.sampled_from(actor_ids))),
            start=BASE + dt.timedelta(days=draw(st.integers(0, 100))),
            end=draw(_opt(st.just(BASE + dt.timedelta(days=draw(st.integers(100, 900)))))),
        )
        for i in range(draw(st.integers(0, 5)))
    ]
    network = [
        m.NetworkMember(
            id=f"n{i}",
            relation=draw(st.sampled_from(m.NetworkRelation)),
            name=draw(_opt(text)),
            consent=draw(_opt(st.booleans())),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    people = [m.PERSON] + [c.id for c in contacts] + [n.id for n in network]
    needs = tuple(draw(st.lists(st.sampled_from(m.Need), unique=True, max_size=7)))
    plans = [
        m.Plan(
            id=f"p{i}",
            kind=draw(st.sampled_from(m.PlanKind)),
            date=BASE + dt.timedelta(days=draw(st.integers(0, 600))),
            responsible=draw(_opt(st.sampled_from(m.Principal))),
            actors=tuple(draw(st.lists(st.sampled_from(actor_ids), unique=True, max_size=3))),
            participants=tuple(draw(st.lists(st.sampled_from(people), unique=True, max_size=4))),
            domains=tuple(draw(st.lists(st.sampled_from(m.Need), unique=True, max_size=4))),
        )
        for i in range(draw(st.integers(0, 2)))
    ]
    plan_ids = [p.id for p in plans]
    days = sorted(
        draw(st.lists(st.integers(0, 700), min_size=min_events, max_size=max_events, unique=True))
    )
    events = []
    last_day = 0
    for i, day in enumerate(days):
        kind = draw(st.sampled_from(LIVING_KINDS))
        start = BASE + dt.timedelta(days=day)
        length = draw(_opt(st.integers(0, 120)))
        last_day = max(last_day, day + (length or 0))
        events.append(
            m.Event(
                id=f"e{i}",
                date=start,
                actor=draw(st.sampled_from(actor_ids)),
                kind=kind,
                end=None if length is None else start + dt.timedelta(days=length),
                channel=draw(_opt(st.sampled_from(m.Channel))),
                initiated_by=draw(_opt(st.sampled_from(m.Initiator))),
                participants=tuple(
                    draw(st.lists(st.sampled_from(people), unique=True, max_size=3))
                ),
                addresses=tuple(draw(st.lists(st.sampled_from(m.Need), unique=True, max_size=2))),
                reason_code=draw(_opt(st.sampled_from(m.Reason))),
                demanded_first=draw(_opt(st.sampled_from(m.Direction))),
                plan=draw(_opt(st.sampled_from(plan_ids))) if plan_ids else None,
                experience=draw(
                    _opt(
                        st.builds(
                            m.Experience,
                            listened=_opt(st.booleans()),
                            understood=_opt(st.booleans()),
                            respected=_opt(st.booleans()),
                            involved=_opt(st.booleans()),
                        )
                    )
                ),
                guideline=draw(_opt(st.booleans())),
                shared_decision=draw(_opt(st.booleans())),
                informed=draw(_opt(st.booleans())),
                legal_basis=(
                    draw(_opt(st.sampled_from(m.LegalBasis)))
                    if kind in m.LEGAL_BASIS_KINDS
                    else None
                ),
            )
        )
    observed_until = None
    if death is True or (death is None and draw(st.booleans())):
        day = last_day + draw(st.integers(0, 60))
        events.append(draw(deaths(day=day, actors=actor_ids)))
        if draw(st.booleans()):
            observed_until = BASE + dt.timedelta(days=day + draw(st.integers(0, 400)))
    pairs = [(i, j) for i in range(len(events)) for j in range(i + 1, min(len(events), i + 4))]
    chosen = (
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(events))) if pairs else []
    )
    transitions = [
        m.Transition(
            id=f"t{k}",
            source=events[i].id,
            target=events[j].id,
            kind=draw(st.sampled_from(m.TransitionKind)),
            information=draw(st.sampled_from(m.Information)),
            warm=draw(_opt(st.booleans())),
            legal_basis=draw(_opt(st.sampled_from(m.LegalBasis))),
        )
        for k, (i, j) in enumerate(sorted(chosen))
    ]
    return m.Journey(
        id=draw(ids),
        person=m.Person(id="P-" + draw(ids), alias=draw(_opt(text)), needs=needs),
        actors=actors,
        events=events,
        transitions=transitions,
        contacts=contacts,
        network=network,
        plans=plans,
        title=draw(_opt(text)),
        observed_until=observed_until,
        recorded_completely=draw(st.frozensets(st.sampled_from(m.Aspect))),
    )


#: The services of the border land, with their principals (for :func:`border_journeys`).
_BORDER_SERVICES = (
    ("region", m.ServiceKind.PSYCHIATRIC_EMERGENCY),
    ("region", m.ServiceKind.PSYCHIATRIC_OUTPATIENT),
    ("region", m.ServiceKind.PSYCHIATRIC_INPATIENT),
    ("region", m.ServiceKind.ADDICTION_MEDICINE),
    ("region", m.ServiceKind.EMERGENCY_CARE),
    ("region", m.ServiceKind.PRIMARY_CARE),
    ("kommun", m.ServiceKind.SOCIAL_SERVICES),
    ("kommun", m.ServiceKind.HOUSING_SUPPORT),
    ("informal", m.ServiceKind.OTHER),
)
_BORDER_KINDS = (
    m.EventKind.REFERRAL,
    m.EventKind.REJECTION,
    m.EventKind.REDIRECTION,
    m.EventKind.ASSESSMENT,
    m.EventKind.CONTACT,
    m.EventKind.FIRST_CONTACT,
    m.EventKind.TREATMENT,
    m.EventKind.ADMISSION,
    m.EventKind.DISCHARGE,
    m.EventKind.CASE_CLOSED,
    m.EventKind.CRISIS,
    m.EventKind.DROP_OUT,
    m.EventKind.PLAN_MEETING,
    m.EventKind.HELP_SEEKING,
)
_BORDER_REASONS = (
    m.Reason.OTHER_CONDITION,
    m.Reason.OTHER_AREA,
    m.Reason.NOT_RESPONSIBLE,
    m.Reason.REFERRED_ON,
    m.Reason.UNREACHABLE,
    m.Reason.COMPLETED,
    m.Reason.PERSON_DECLINED,
)


@st.composite
def border_journeys(draw: st.DrawFn, *, max_events: int = 14) -> m.Journey:
    """A journey shaped like the border land's: rejections, moves, discharges, closures.

    Region and kommun services the person meets again and again, rejections with the
    reasons that send people on, discharges and closures with onward referrals, steps
    the person or a relative takes, completeness declarations, and relatives who push in.
    """
    services = draw(
        st.lists(st.sampled_from(_BORDER_SERVICES), min_size=2, max_size=5, unique=True)
    )
    actors = [
        m.Actor(id=f"a{i}", name=f"A{i}", principal=principal, service=service)
        for i, (principal, service) in enumerate(services)
    ]
    contacts = [
        m.ContactPerson(
            id=f"c{i}",
            role=draw(st.sampled_from([m.ContactRole.STAFF, m.ContactRole.STAFF, *m.ContactRole])),
            actor=draw(st.sampled_from([a.id for a in actors])),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    network = [
        m.NetworkMember(id=f"n{i}", relation="parent", consent=draw(_opt(st.booleans())))
        for i in range(draw(st.integers(0, 2)))
    ]
    people = [m.PERSON] + [c.id for c in contacts] + [n.id for n in network]
    plans = [
        m.Plan(
            id=f"p{i}",
            kind=draw(st.sampled_from(m.PlanKind)),
            date=BASE + dt.timedelta(days=draw(st.integers(0, 400))),
            participants=tuple(draw(st.lists(st.sampled_from(people), unique=True, max_size=3))),
        )
        for i in range(draw(st.integers(0, 1)))
    ]
    days = sorted(draw(st.lists(st.integers(0, 400), min_size=2, max_size=max_events, unique=True)))
    events = []
    for i, day in enumerate(days):
        kind = draw(st.sampled_from(_BORDER_KINDS))
        turned = kind in (m.EventKind.REJECTION, m.EventKind.REDIRECTION)
        closing = kind in (m.EventKind.DISCHARGE, m.EventKind.CASE_CLOSED)
        events.append(
            m.Event(
                id=f"e{i}",
                date=BASE + dt.timedelta(days=day),
                actor=draw(st.sampled_from([a.id for a in actors])),
                kind=kind,
                end=(
                    BASE + dt.timedelta(days=day + draw(st.integers(0, 60)))
                    if kind in (m.EventKind.TREATMENT, m.EventKind.ADMISSION)
                    and draw(st.booleans())
                    else None
                ),
                initiated_by=draw(_opt(st.sampled_from(m.Initiator))),
                participants=tuple(
                    draw(st.lists(st.sampled_from(people), unique=True, max_size=2))
                ),
                reason_code=draw(_opt(st.sampled_from(_BORDER_REASONS)))
                if turned or closing
                else None,
                demanded_first=draw(_opt(st.sampled_from(m.Direction))) if turned else None,
                addresses=tuple(draw(st.lists(st.sampled_from(m.Need), unique=True, max_size=2))),
            )
        )
    pairs = [(i, j) for i in range(len(events)) for j in range(i + 1, min(len(events), i + 4))]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(events)))
    transitions = [
        m.Transition(
            id=f"t{k}",
            source=events[i].id,
            target=events[j].id,
            kind=draw(st.sampled_from(m.TransitionKind)),
            information=draw(st.sampled_from(m.Information)),
            warm=draw(_opt(st.booleans())),
        )
        for k, (i, j) in enumerate(sorted(chosen))
    ]
    return m.Journey(
        id="border",
        person=m.Person(
            id="p",
            needs=tuple(draw(st.lists(st.sampled_from(m.Need), unique=True, max_size=4))),
        ),
        actors=actors,
        events=events,
        transitions=transitions,
        contacts=contacts,
        network=network,
        plans=plans,
        observed_until=draw(_opt(st.just(BASE + dt.timedelta(days=days[-1] + 60)))),
        recorded_completely=draw(st.frozensets(st.sampled_from(m.Aspect))),
    )


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _break_missing(doc: dict[str, Any]) -> None:
    del doc["events"][0]["actor"]


def _break_unknown_key(doc: dict[str, Any]) -> None:
    doc["events"][0]["colour"] = "red"


def _break_type(doc: dict[str, Any]) -> None:
    doc["events"][0]["participants"] = {"a": 1}


def _break_dangling(doc: dict[str, Any]) -> None:
    doc["events"][0]["actor"] = "nowhere"


def _break_duplicate(doc: dict[str, Any]) -> None:
    doc["events"].append(copy.deepcopy(doc["events"][0]))


def _break_date(doc: dict[str, Any]) -> None:
    doc["events"][0]["date"] = "2023-02-30"


def _break_enum(doc: dict[str, Any]) -> None:
    doc["events"][0]["kind"] = "teleportation"


def _break_period(doc: dict[str, Any]) -> None:
    event = doc["events"][-1]
    event["end"] = "1999-01-01"


def _break_after_death(doc: dict[str, Any]) -> None:
    # every generated event starts on or after BASE, so each one follows this death
    doc["events"] = [e for e in doc["events"] if e["kind"] != "death"] or doc["events"][:1]
    doc["transitions"] = []
    doc["events"].append(
        {"id": "dead", "date": "2022-12-31", "actor": doc["events"][0]["actor"], "kind": "death"}
    )


def _break_top(doc: dict[str, Any]) -> None:
    doc.clear()
    doc["id"] = ["not", "text"]


#: Each way to break a document, by name.
BREAKAGES = {
    "missing_key": _break_missing,
    "unknown_key": _break_unknown_key,
    "wrong_type": _break_type,
    "dangling_reference": _break_dangling,
    "duplicate_id": _break_duplicate,
    "impossible_date": _break_date,
    "unknown_enum": _break_enum,
    "reversed_period": _break_period,
    "event_after_death": _break_after_death,
    "wrong_top": _break_top,
}


@st.composite
def broken_documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A journey document (plain data) broken in one named way."""
    from careflow.io import journey_to_dict

    journey = draw(journeys(min_events=1, max_events=5))
    doc = journey_to_dict(journey)
    name = draw(st.sampled_from(sorted(BREAKAGES)))
    BREAKAGES[name](doc)
    return name, doc


# -- hostile inputs ------------------------------------------------------------------------

#: Characters that must never reach a journey: C0/C1 controls, bidi overrides and
#: isolates, unpaired surrogates, DEL.
UNSAFE_CHARS = "\x00\x1b\x7f\x85\x9b\u202a\u202e\u2066\u2069\ud800\udfff"

#: Plain YAML scalars that the YAML 1.1 resolver turns into surprising values.
YAML_TRAPS = (
    ".Inf",
    "-.inf",
    ".NaN",
    "1:20.5",
    "1:20",
    "0x1F",
    "0o17",
    "017",
    "1_000.5",
    "1e400",
    "1.0e+400",
    "9" * 5000,
    "!!python/object:os.system x",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "&a [1, *a]",
    "*nowhere",
    '"\\ud800"',
    '"\\u202e"',
    '"\\x85x"',
    '"\\e[31m"',
    "~",
    "[]",
    "{}",
    "yes",
    "2024-13-45",
    "9999-12-31T23:59:59",
    "10000-01-01",
)

#: Values a program (or a JSON file) may put anywhere in a document.
hostile_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**40, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.sampled_from(UNSAFE_CHARS + "ab =+-@"), max_size=6),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["", " x", "x ", "=HYPERLINK(1)", "a" * 300]),
)


def _containers(data: Any) -> list[Any]:
    """Every dict and list inside ``data``, ``data`` itself first."""
    out = [data]
    for item in data.values() if isinstance(data, dict) else data:
        if isinstance(item, (dict, list)):
            out.extend(_containers(item))
    return out


@st.composite
def hostile_documents(draw: st.DrawFn, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid document (a journey unless ``base`` is given) with one place made hostile."""
    from careflow.io import journey_to_dict

    doc = copy.deepcopy(base) if base is not None else journey_to_dict(draw(journeys(max_events=4)))
    container = draw(st.sampled_from(_containers(doc)))
    value = draw(hostile_values)
    if isinstance(container, dict):
        key = draw(st.sampled_from(sorted(container)) | st.text(max_size=4)) if container else "x"
        container[key] = value
    elif container:
        container[draw(st.integers(0, len(container) - 1))] = value
    else:
        container.append(value)
    return doc


@st.composite
def hostile_yaml(draw: st.DrawFn, base: str | None = None) -> str:
    """YAML text of a valid journey (or ``base``) with one value replaced by a YAML trap."""
    from careflow.io import dumps_journey

    text = base if base is not None else dumps_journey(draw(journeys(max_events=4)))
    lines = text.splitlines()
    slots = [i for i, line in enumerate(lines) if ": " in line]
    i = draw(st.sampled_from(slots))
    head = lines[i].split(": ", 1)[0]
    lines[i] = f"{head}: {draw(st.sampled_from(YAML_TRAPS))}"
    return "\n".join(lines) + "\n"


#: Rows for careflow.journeys_from_rows: known column names, hostile values.
hostile_rows: st.SearchStrategy[list[dict[str, Any]]] = st.lists(
    st.dictionaries(
        st.sampled_from(["case_id", "timestamp", "unit", "activity", "principal", "other"]),
        st.one_of(
            hostile_values,
            st.sampled_from(["C1", "2024-01-01", "2024-01-01T10:00", "psykiatri", "region"]),
            st.datetimes(),
            st.dates(),
        ),
        max_size=6,
    ),
    max_size=5,
)
