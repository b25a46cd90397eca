"""The journey model: attrs classes for one person's path through care and social services.

Pure data: no I/O, no networkx, no graphviz, no click. A :class:`Journey` checks its own
invariants when it is built (unique ids, references that resolve, transitions that never
run backwards in time, periods that end after they start) and raises
:class:`~careflow.errors.JourneyValidationError` naming the path of the offending field,
e.g. ``transitions[2].target``.

Vocabularies that are closed are :class:`enum.StrEnum` classes whose values are the words
used in journey files. Swedish words stay Swedish where English would blur them
(``kommun``, ``sip``, ``fast_vardkontakt``); docs/glossary.md lists them all.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from careflow.errors import JourneyValidationError

__all__ = [
    "COMPULSORY",
    "PERSON",
    "Actor",
    "Aspect",
    "Certainty",
    "Channel",
    "ContactPerson",
    "ContactRole",
    "DeathCause",
    "Direction",
    "Event",
    "EventKind",
    "Experience",
    "Information",
    "Initiator",
    "Journey",
    "Law",
    "LegalBasis",
    "Need",
    "NetworkMember",
    "NetworkRelation",
    "Person",
    "Plan",
    "PlanKind",
    "Principal",
    "Reason",
    "ServiceKind",
    "Transition",
    "TransitionKind",
    "Vocabulary",
    "order_time",
    "timestamp_of",
]

#: The reserved participant id that stands for the person whose journey it is.
PERSON: Final = "person"

#: Characters no id or text may hold besides C0 controls: DEL and the C1 controls, the
#: bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, which
#: can make text display other than it reads) and unpaired surrogates (not encodable).
_UNSAFE: Final = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_ID_RE: Final = re.compile(
    rf"^[^\s\x00-\x1f{_UNSAFE}](?:[^\x00-\x1f{_UNSAFE}]{{0,198}}[^\s\x00-\x1f{_UNSAFE}])?$"
)
_NEED_RE: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_BAD_TEXT_RE: Final = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f{_UNSAFE}]")
#: Longest free text accepted in any text field (names, notes, reasons), in characters.
MAX_TEXT: Final = 10_000


class Vocabulary(enum.StrEnum):
    """Base of careflow's closed vocabularies: an unknown value is refused with the options."""

    @classmethod
    def _missing_(cls, value: object) -> Vocabulary:
        options = ", ".join(member.value for member in cls)
        raise JourneyValidationError(
            f"{value!r:.60} is not a valid {cls.__name__}; expected one of: {options}"
        )


class Principal(Vocabulary):
    """Who is responsible for a service (huvudman)."""

    REGION = "region"
    KOMMUN = "kommun"
    STATE = "state"
    PRIVATE = "private"
    CIVIL_SOCIETY = "civil_society"
    INFORMAL = "informal"
    OTHER = "other"


class Law(Vocabulary):
    """The legal basis a service acts under."""

    HSL = "HSL"
    SOL = "SoL"
    LVM = "LVM"
    LPT = "LPT"
    LSS = "LSS"
    LRV = "LRV"
    OTHER = "other"


class Need(Vocabulary):
    """Built-in life domains in which a person can have needs.

    Journeys may name further domains (any lower-case identifier); these are the ones
    careflow's indicators know about.
    """

    SUBSTANCE_USE = "substance_use"
    MENTAL_HEALTH = "mental_health"
    SOMATIC = "somatic"
    HOUSING = "housing"
    OCCUPATION = "occupation"
    ECONOMY = "economy"
    SOCIAL_RELATIONS = "social_relations"


class ServiceKind(Vocabulary):
    """The kind of service an actor provides (see docs/glossary.md for Swedish names)."""

    # region
    PRIMARY_CARE = "primary_care"  # vårdcentral
    PSYCHIATRIC_OUTPATIENT = "psychiatric_outpatient"  # psykiatrisk öppenvård
    PSYCHIATRIC_EMERGENCY = "psychiatric_emergency"  # psykiatrisk akutmottagning
    PSYCHIATRIC_INPATIENT = "psychiatric_inpatient"  # heldygnsvård
    ADDICTION_MEDICINE = "addiction_medicine"  # beroendemottagning
    OPIOID_SUBSTITUTION = "opioid_substitution"  # LARO
    EMERGENCY_CARE = "emergency_care"  # somatisk akutmottagning
    SOMATIC_CARE = "somatic_care"
    AMBULANCE = "ambulance"
    INTEGRATED_TEAM = "integrated_team"  # joint region-kommun team, ACT, case management
    # kommun
    SOCIAL_SERVICES = "social_services"  # socialtjänstens vuxenenhet / missbruksenhet
    HOUSING_SUPPORT = "housing_support"  # boendestöd
    SUPPORTED_HOUSING = "supported_housing"  # stödboende, HVB, Bostad först
    EMPLOYMENT_SUPPORT = "employment_support"  # arbetsmarknadsenhet, IPS
    FINANCIAL_AID = "financial_aid"  # ekonomiskt bistånd
    RELATIVE_SUPPORT = "relative_support"  # anhörigstöd
    # state
    COMPULSORY_CARE = "compulsory_care"  # SiS, LVM-hem
    POLICE = "police"
    PRISON_PROBATION = "prison_probation"  # Kriminalvården
    EMPLOYMENT_SERVICE = "employment_service"  # Arbetsförmedlingen
    SOCIAL_INSURANCE = "social_insurance"  # Försäkringskassan
    # civil society
    USER_ORGANISATION = "user_organisation"  # RSMH, Attention, Brukarföreningen
    PEER_SUPPORT = "peer_support"
    OTHER = "other"


class EventKind(Vocabulary):
    """What happened at a touchpoint."""

    NEED_SIGNAL = "need_signal"
    HELP_SEEKING = "help_seeking"
    CONTACT_ATTEMPT = "contact_attempt"
    FIRST_CONTACT = "first_contact"
    CONTACT = "contact"
    ASSESSMENT = "assessment"
    TREATMENT = "treatment"
    SUPPORT = "support"
    REFERRAL = "referral"
    REJECTION = "rejection"
    REDIRECTION = "redirection"
    CRISIS = "crisis"
    ADMISSION = "admission"
    DISCHARGE = "discharge"
    PLAN_MEETING = "plan_meeting"
    DROP_OUT = "drop_out"
    CASE_CLOSED = "case_closed"
    DEATH = "death"  # issue 12: ends observation; last in KIND_RANK, so last on its day


#: Tie-break rank when two events share a timestamp: the order in which such things
#: happen in one sitting (a signal before the contact it leads to, a discharge last).
KIND_RANK: Final[Mapping[EventKind, int]] = {kind: rank for rank, kind in enumerate(EventKind)}


class Channel(Vocabulary):
    """How a touchpoint took place."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    DIGITAL = "digital"
    OUTREACH = "outreach"


class Initiator(Vocabulary):
    """Who took the initiative to a touchpoint."""

    PERSON = "person"
    NETWORK = "network"
    SERVICE = "service"


class Reason(Vocabulary):
    """Coded reason for a rejection, redirection, drop-out or closure."""

    OTHER_CONDITION = "other_condition"  # "sober first", or refused for the psychiatric condition
    NOT_RESPONSIBLE = "not_responsible"  # "not ours": another principal or unit should act
    CAPACITY = "capacity"  # no room, queue
    CRITERIA = "criteria"  # does not meet the unit's criteria
    SANCTION = "sanction"  # treatment ended as a sanction (e.g. a positive test)
    PERSON_DECLINED = "person_declined"  # the person's own choice
    UNREACHABLE = "unreachable"  # the service could not reach the person
    COMPLETED = "completed"  # the intervention reached its goal
    MOVED = "moved"  # the person moved away from the service's area
    NO_NEED = "no_need"  # the service judged there was no need (any more)
    OTHER_AREA = "other_area"  # another area's or kommun's responsibility
    REFERRED_ON = "referred_on"  # closed because the person was referred to another service
    OTHER = "other"


class Direction(Vocabulary):
    """Which condition a service demanded be treated first ("sober first" or the reverse)."""

    SUBSTANCE_USE = "substance_use"  # "get sober first", "addiction care first"
    MENTAL_HEALTH = "mental_health"  # "psychiatry first"


class Aspect(Vocabulary):
    """Parts of a journey that can be declared recorded completely (absence means absence)."""

    CONTACTS = "contacts"  # contact persons: no coordinating contact listed means none existed
    NETWORK = "network"  # the person's network: nobody listed means nobody there
    PLANS = "plans"  # plans: no SIP listed means no SIP was made
    NEEDS = "needs"  # the person's needs: a domain not listed is not a need


class TransitionKind(Vocabulary):
    """How the person got from one touchpoint to the next."""

    REFERRAL = "referral"
    HANDOVER = "handover"
    SELF_REFERRAL = "self_referral"
    RETURN = "return"


class Information(Vocabulary):
    """How much information followed the person across a transition."""

    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"
    UNKNOWN = "unknown"


class ContactRole(Vocabulary):
    """The role a contact person holds towards the person."""

    COORDINATOR = "coordinator"
    FAST_VARDKONTAKT = "fast_vardkontakt"
    CASE_MANAGER = "case_manager"
    SIP_LEAD = "sip_lead"
    STAFF = "staff"


#: Roles that make a contact person a coordinator who follows the person (målbild 9).
COORDINATING_ROLES: Final = frozenset(
    {
        ContactRole.COORDINATOR,
        ContactRole.FAST_VARDKONTAKT,
        ContactRole.CASE_MANAGER,
        ContactRole.SIP_LEAD,
    }
)


class NetworkRelation(Vocabulary):
    """How a network member relates to the person."""

    PARENT = "parent"
    PARTNER = "partner"
    CHILD = "child"
    SIBLING = "sibling"
    RELATIVE = "relative"
    FRIEND = "friend"
    PEER_SUPPORTER = "peer_supporter"
    OTHER = "other"


class PlanKind(Vocabulary):
    """Kinds of care and support plans."""

    SIP = "sip"  # samordnad individuell plan (HSL 16 kap 4 §, SoL)
    VARDPLAN = "vardplan"  # the region's care plan
    GENOMFORANDEPLAN = "genomforandeplan"  # social services' implementation plan
    SAMORDNAD_VARDPLAN = "samordnad_vardplan"  # LPT compulsory outpatient care plan
    OTHER = "other"


#: Plans that span both principals (management continuity, målbild 4).
JOINT_PLAN_KINDS: Final = frozenset({PlanKind.SIP, PlanKind.SAMORDNAD_VARDPLAN})


# -- death and compulsory care (issue 12) -------------------------------------------------


class DeathCause(Vocabulary):
    """What a death was caused by, in the categories public case stories use."""

    OVERDOSE = "overdose"
    SUICIDE = "suicide"
    SOMATIC = "somatic"
    VIOLENCE = "violence"
    UNKNOWN = "unknown"


class Certainty(Vocabulary):
    """How certain the source is of what it says (here: a death's cause)."""

    CONFIRMED = "confirmed"
    PROBABLE = "probable"
    SUSPECTED = "suspected"


class LegalBasis(Vocabulary):
    """The law an episode of care was given under: a compulsory law, or ``none`` (voluntary)."""

    LVM = "LVM"  # compulsory care for substance use (kommun applies, SiS carries out)
    LPT = "LPT"  # compulsory psychiatric care (region)
    LRV = "LRV"  # forensic psychiatric care (region)
    LVU = "LVU"  # compulsory care of young people (kommun applies, SiS or HVB)
    NONE = "none"  # voluntary: no compulsory law


#: The legal bases that make an episode compulsory care.
COMPULSORY: Final = frozenset({LegalBasis.LVM, LegalBasis.LPT, LegalBasis.LRV, LegalBasis.LVU})
#: Event kinds that may carry a ``legal_basis``: the episodes of care.
LEGAL_BASIS_KINDS: Final = frozenset({EventKind.ADMISSION, EventKind.TREATMENT, EventKind.SUPPORT})


def timestamp_of(value: dt.date) -> dt.datetime:
    """Return ``value`` as a naive datetime (a plain date becomes midnight)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def order_time(value: dt.date, kind: EventKind) -> dt.datetime:
    """The time an event sorts by: its timestamp, but a death known by date only sorts last.

    A register often gives a death's date without a time while care contacts carry one;
    the death then happened some time that day, after everything else recorded on it.

    Examples
    --------
    >>> order_time(dt.date(2025, 3, 1), EventKind.DEATH)
    datetime.datetime(2025, 3, 1, 23, 59, 59, 999999)
    >>> order_time(dt.date(2025, 3, 1), EventKind.DISCHARGE)
    datetime.datetime(2025, 3, 1, 0, 0)
    """
    if kind is EventKind.DEATH and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, 23, 59, 59, 999_999)
    return timestamp_of(value)


def _later_than(value: dt.date, limit: dt.date) -> bool:
    """Whether ``value`` is after ``limit``: by the clock when both have a time, else by date."""
    if isinstance(value, dt.datetime) and isinstance(limit, dt.datetime):
        return value > limit
    return timestamp_of(value).date() > timestamp_of(limit).date()


# -- validators ---------------------------------------------------------------------------


def _check_id(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise JourneyValidationError(
            f"expected an id: 1 to 200 characters, no control characters, bidirectional "
            f"overrides or unpaired surrogates, and no leading or trailing space; "
            f"got {value!r:.80}",
            path=attribute.name,
        )


def _check_text(_inst: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise JourneyValidationError(
            f"expected text, got {type(value).__name__}", path=attribute.name
        )
    if len(value) > MAX_TEXT:
        raise JourneyValidationError(
            f"text is {len(value)} characters long; at most {MAX_TEXT} are accepted",
            path=attribute.name,
        )
    if _BAD_TEXT_RE.search(value):
        raise JourneyValidationError(
            f"text holds {_unsafe_name(value)}; only tab and line breaks are accepted",
            path=attribute.name,
        )


def text_problem(value: str, *, line_breaks: bool = True) -> str | None:
    """What makes ``value`` unfit as careflow text, or None when it is fine.

    Refused: C0 controls (tab and line breaks too unless ``line_breaks``), DEL and C1
    controls, bidirectional embeddings, overrides and isolates, unpaired surrogates.
    Frameworks use the same rules as journeys.
    """
    if not line_breaks and any(c in value for c in "\t\n\r"):
        return "a tab or line break"
    if _BAD_TEXT_RE.search(value):
        return _unsafe_name(value)
    return None


def _unsafe_name(value: str) -> str:
    """Describe the first character of ``value`` that text may not hold."""
    match = _BAD_TEXT_RE.search(value)
    char = match.group() if match else ""
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate (U+{ord(char):04X}), which is not valid Unicode text"
    if "\u202a" <= char <= "\u2069":
        return f"a bidirectional override (U+{ord(char):04X}), which can hide what text says"
    return f"a control character (U+{ord(char):04X})"


def _check_date(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, dt.date):
        raise JourneyValidationError(
            f"expected a date, got {type(value).__name__}", path=attribute.name
        )
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise JourneyValidationError(
            "expected a naive local date-time; convert time zones before building the model",
            path=attribute.name,
        )


def _check_needs(_inst: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for i, need in enumerate(value):
        if not isinstance(need, str) or not _NEED_RE.match(need):
            raise JourneyValidationError(
                "expected a life domain: a lower-case identifier such as 'housing'; "
                f"got {need!r:.80}",
                path=f"{attribute.name}[{i}]",
            )
    if len(set(value)) != len(value):
        raise JourneyValidationError("a life domain is listed twice", path=attribute.name)


def _check_ids(_inst: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _ID_RE.match(item):
            raise JourneyValidationError(
                f"expected an id, got {item!r:.80}", path=f"{attribute.name}[{i}]"
            )
    if len(set(value)) != len(value):
        raise JourneyValidationError("an id is listed twice", path=attribute.name)


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _str_tuple(value: Iterable[Any]) -> tuple[str, ...]:
    """Ids and life domains as plain strings (a :class:`Need` member becomes its value)."""
    if isinstance(value, str):
        return (str(value),)
    return tuple(str(v) if isinstance(v, enum.Enum) else v for v in value)


def _optional_channel(value: str | None) -> Channel | None:
    return None if value is None else Channel(value)


def _optional_initiator(value: str | None) -> Initiator | None:
    return None if value is None else Initiator(value)


def _optional_law(value: str | None) -> Law | None:
    return None if value is None else Law(value)


def _optional_principal(value: str | None) -> Principal | None:
    return None if value is None else Principal(value)


def _optional_reason(value: str | None) -> Reason | None:
    return None if value is None else Reason(value)


def _optional_cause(value: str | None) -> DeathCause | None:
    return None if value is None else DeathCause(value)


def _optional_certainty(value: str | None) -> Certainty | None:
    return None if value is None else Certainty(value)


def _optional_legal_basis(value: str | None) -> LegalBasis | None:
    return None if value is None else LegalBasis(value)


def _optional_direction(value: str | None) -> Direction | None:
    return None if value is None else Direction(value)


def _aspects(value: Iterable[Any]) -> frozenset[Aspect]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(Aspect(v) for v in value)


_OPT_BOOL: Final = attrs.validators.optional(attrs.validators.instance_of(bool))


def _check_period(start: dt.date | None, end: dt.date | None, path: str) -> None:
    if start is not None and end is not None and timestamp_of(end) < timestamp_of(start):
        raise JourneyValidationError(
            f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})",
            path=path,
        )


# -- classes ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=True)
class Person:
    """The person whose journey it is, by a pseudonymous id only.

    Parameters
    ----------
    id
        A pseudonym: never a personal identity number or a name.
    alias
        An optional invented first name for readable diagrams.
    needs
        Life domains where the person has needs (see :class:`Need`; others allowed).
    """

    id: str = attrs.field(validator=_check_id)
    alias: str | None = attrs.field(default=None, validator=_check_text)
    needs: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_check_needs)


@attrs.frozen(kw_only=True, slots=True)
class Actor:
    """A service or unit the person meets, with its principal (huvudman)."""

    id: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_check_text)
    principal: Principal = attrs.field(converter=Principal)
    service: ServiceKind = attrs.field(default=ServiceKind.OTHER, converter=ServiceKind)
    law: Law | None = attrs.field(default=None, converter=_optional_law)


@attrs.frozen(kw_only=True, slots=True)
class ContactPerson:
    """A named professional contact, with the role held and when it was held."""

    id: str = attrs.field(validator=_check_id)
    role: ContactRole = attrs.field(default=ContactRole.STAFF, converter=ContactRole)
    name: str | None = attrs.field(default=None, validator=_check_text)
    actor: str | None = attrs.field(default=None, validator=attrs.validators.optional(_check_id))
    start: dt.date | None = attrs.field(default=None, validator=_check_date)
    end: dt.date | None = attrs.field(default=None, validator=_check_date)

    def __attrs_post_init__(self) -> None:
        _check_period(self.start, self.end, "end")

    @property
    def coordinating(self) -> bool:
        """Whether the role is one that follows the person (coordinator, fast vårdkontakt...)."""
        return self.role in COORDINATING_ROLES


@attrs.frozen(kw_only=True, slots=True)
class NetworkMember:
    """A relative, friend or peer supporter in the person's own network.

    ``consent`` is the person's consent to involving this member: ``True`` consented,
    ``False`` declined (respected, never penalised), ``None`` never asked or not recorded.
    """

    id: str = attrs.field(validator=_check_id)
    relation: NetworkRelation = attrs.field(converter=NetworkRelation)
    name: str | None = attrs.field(default=None, validator=_check_text)
    consent: bool | None = attrs.field(default=None, validator=_OPT_BOOL)


@attrs.frozen(kw_only=True, slots=True)
class Plan:
    """A care or support plan: SIP, vårdplan, genomförandeplan or samordnad vårdplan."""

    id: str = attrs.field(validator=_check_id)
    kind: PlanKind = attrs.field(converter=PlanKind)
    date: dt.date = attrs.field(validator=_check_date)
    end: dt.date | None = attrs.field(default=None, validator=_check_date)
    responsible: Principal | None = attrs.field(default=None, converter=_optional_principal)
    actors: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_check_ids)
    participants: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_check_ids
    )
    domains: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_check_needs)
    lead: str | None = attrs.field(default=None, validator=attrs.validators.optional(_check_id))
    note: str | None = attrs.field(default=None, validator=_check_text)

    def __attrs_post_init__(self) -> None:
        _check_period(self.date, self.end, "end")

    @property
    def joint(self) -> bool:
        """Whether the plan spans region and kommun by its kind (SIP, samordnad vårdplan)."""
        return self.kind in JOINT_PLAN_KINDS


@attrs.frozen(kw_only=True, slots=True)
class Experience:
    """What the person reported about a touchpoint; ``None`` means not asked or not said."""

    listened: bool | None = attrs.field(default=None, validator=_OPT_BOOL)
    understood: bool | None = attrs.field(default=None, validator=_OPT_BOOL)
    respected: bool | None = attrs.field(default=None, validator=_OPT_BOOL)
    involved: bool | None = attrs.field(default=None, validator=_OPT_BOOL)

    def answers(self) -> tuple[bool, ...]:
        """The answers given, in field order, leaving out the unanswered ones."""
        return tuple(
            v
            for v in (self.listened, self.understood, self.respected, self.involved)
            if v is not None
        )


@attrs.frozen(kw_only=True, slots=True)
class Event:
    """A touchpoint: something that happened to the person at one actor on one date.

    Parameters
    ----------
    id
        Stable id from the data.
    date
        A date, or a date-time when the time of day is known (naive, local time).
    actor
        Id of the :class:`Actor` where it happened.
    kind
        What happened (:class:`EventKind`).
    end
        For episodes (a treatment, an admission, support over time): when it ended.
    addresses
        Life domains the touchpoint worked on; empty means "what the actor's service
        usually addresses" (see :data:`careflow.scoring` docs).
    reason_code, reason
        Why, for a rejection, redirection, drop-out or closure: a code and free text.
    demanded_first
        On a rejection, redirection or postponement: the condition the service demanded
        be treated first (:class:`Direction`).
    plan
        Id of the :class:`Plan` a plan meeting drew up or followed up.
    guideline
        Whether a treatment is one the national guidelines recommend.
    shared_decision
        Whether the person's choice or a shared decision was recorded.
    informed
        Whether the person received information about their situation and options.
    legal_basis
        For an admission, treatment or support episode: the law it was given under
        (:class:`LegalBasis`; a compulsory law or ``none``).
    cause, certainty
        For a death: the cause category and how certain the source is of it.
    """

    id: str = attrs.field(validator=_check_id)
    date: dt.date = attrs.field(validator=_check_date)
    actor: str = attrs.field(validator=_check_id)
    kind: EventKind = attrs.field(converter=EventKind)
    end: dt.date | None = attrs.field(default=None, validator=_check_date)
    channel: Channel | None = attrs.field(default=None, converter=_optional_channel)
    initiated_by: Initiator | None = attrs.field(default=None, converter=_optional_initiator)
    participants: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_check_ids
    )
    addresses: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_check_needs
    )
    reason_code: Reason | None = attrs.field(default=None, converter=_optional_reason)
    reason: str | None = attrs.field(default=None, validator=_check_text)
    demanded_first: Direction | None = attrs.field(default=None, converter=_optional_direction)
    plan: str | None = attrs.field(default=None, validator=attrs.validators.optional(_check_id))
    experience: Experience | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Experience))
    )
    guideline: bool | None = attrs.field(default=None, validator=_OPT_BOOL)
    shared_decision: bool | None = attrs.field(default=None, validator=_OPT_BOOL)
    informed: bool | None = attrs.field(default=None, validator=_OPT_BOOL)
    # issue 12: compulsory care and death
    legal_basis: LegalBasis | None = attrs.field(default=None, converter=_optional_legal_basis)
    cause: DeathCause | None = attrs.field(default=None, converter=_optional_cause)
    certainty: Certainty | None = attrs.field(default=None, converter=_optional_certainty)
    note: str | None = attrs.field(default=None, validator=_check_text)

    def __attrs_post_init__(self) -> None:
        _check_period(self.date, self.end, "end")
        _check_death_and_law(self)

    @property
    def compulsory(self) -> bool:
        """Whether the event is an episode of compulsory care (LVM, LPT, LRV or LVU)."""
        return self.legal_basis in COMPULSORY

    @property
    def timestamp(self) -> dt.datetime:
        """The event's start as a naive datetime (midnight when only a date is known)."""
        return timestamp_of(self.date)


@attrs.frozen(kw_only=True, slots=True)
class Transition:
    """How the person moved from one touchpoint to another."""

    id: str = attrs.field(validator=_check_id)
    source: str = attrs.field(validator=_check_id)
    target: str = attrs.field(validator=_check_id)
    kind: TransitionKind = attrs.field(default=TransitionKind.REFERRAL, converter=TransitionKind)
    information: Information = attrs.field(default=Information.UNKNOWN, converter=Information)
    warm: bool | None = attrs.field(default=None, validator=_OPT_BOOL)
    # issue 12: the law the person was moved under (e.g. from LVM care to LPT care)
    legal_basis: LegalBasis | None = attrs.field(default=None, converter=_optional_legal_basis)
    note: str | None = attrs.field(default=None, validator=_check_text)


def _check_death_and_law(event: Event) -> None:
    """A death has no end; cause and certainty belong to a death; a law to an episode."""
    death = event.kind is EventKind.DEATH
    if death and event.end is not None:
        raise JourneyValidationError("a death has no end; leave 'end' out", path="end")
    for name in ("cause", "certainty"):
        if not death and getattr(event, name) is not None:
            raise JourneyValidationError(
                f"{name!r} describes a death; this event is a {event.kind.value}", path=name
            )
    if event.legal_basis is not None and event.kind not in LEGAL_BASIS_KINDS:
        raise JourneyValidationError(
            "a legal basis belongs to an episode of care (admission, treatment or support); "
            f"this event is a {event.kind.value}",
            path="legal_basis",
        )


def _chronological_key(event: Event, position: int) -> tuple[dt.datetime, int, int]:
    return (order_time(event.date, event.kind), KIND_RANK[event.kind], position)


@attrs.frozen(kw_only=True, slots=True)
class Journey:
    """One person's journey: who they met, what happened, and how they moved between.

    The collections keep the order they were given in (so a file round-trips as written);
    :attr:`timeline` is the chronological order every analysis uses. Ties in time are
    broken by the kind of event (:data:`KIND_RANK`: a need signal before the contact it
    leads to, a discharge after the treatment it ends) and then by the given order.

    ``recorded_completely`` names the parts recorded in full (:class:`Aspect`): for those,
    absence means absence (no coordinating contact listed: there was none). Empty means
    "not declared", where an empty part means "not recorded".

    Building a journey checks that every id is unique across all its collections, that
    every reference resolves to the right kind of thing, and that no transition runs
    backwards in time.
    """

    id: str = attrs.field(validator=_check_id)
    person: Person = attrs.field(validator=attrs.validators.instance_of(Person))
    actors: tuple[Actor, ...] = attrs.field(default=(), converter=_tuple)
    events: tuple[Event, ...] = attrs.field(default=(), converter=_tuple)
    transitions: tuple[Transition, ...] = attrs.field(default=(), converter=_tuple)
    contacts: tuple[ContactPerson, ...] = attrs.field(default=(), converter=_tuple)
    network: tuple[NetworkMember, ...] = attrs.field(default=(), converter=_tuple)
    plans: tuple[Plan, ...] = attrs.field(default=(), converter=_tuple)
    title: str | None = attrs.field(default=None, validator=_check_text)
    description: str | None = attrs.field(default=None, validator=_check_text)
    observed_until: dt.date | None = attrs.field(default=None, validator=_check_date)
    recorded_completely: frozenset[Aspect] = attrs.field(default=frozenset(), converter=_aspects)

    _actor_index: dict[str, Actor] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _event_index: dict[str, Event] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _timeline: tuple[Event, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        _validate_collections(self)
        actors = {a.id: a for a in self.actors}
        events = {e.id: e for e in self.events}
        _validate_references(self, actors, events)
        timeline = tuple(
            e
            for _, e in sorted(
                ((_chronological_key(e, i), e) for i, e in enumerate(self.events)),
                key=lambda p: p[0],
            )
        )
        object.__setattr__(self, "_actor_index", actors)
        object.__setattr__(self, "_event_index", events)
        object.__setattr__(self, "_timeline", timeline)

    # -- lookups ------------------------------------------------------------------------

    @property
    def timeline(self) -> tuple[Event, ...]:
        """The events in chronological order (ties: kind rank, then given order)."""
        return self._timeline

    def actor(self, actor_id: str) -> Actor:
        """The actor with this id (``KeyError`` if there is none)."""
        return self._actor_index[actor_id]

    def event(self, event_id: str) -> Event:
        """The event with this id (``KeyError`` if there is none)."""
        return self._event_index[event_id]

    def actor_of(self, event: Event) -> Actor:
        """The actor where ``event`` took place."""
        return self._actor_index[event.actor]

    def complete(self, aspect: Aspect) -> bool:
        """Whether ``aspect`` was declared recorded completely."""
        return aspect in self.recorded_completely

    @property
    def start(self) -> dt.datetime | None:
        """When the first event happened, or ``None`` for a journey without events."""
        return self._timeline[0].timestamp if self._timeline else None

    @property
    def death(self) -> Event | None:
        """The person's death, if the journey ends in one (it is then last in the timeline)."""
        if self._timeline and self._timeline[-1].kind is EventKind.DEATH:
            return self._timeline[-1]
        return None

    @property
    def end(self) -> dt.datetime | None:
        """When observation ends: the death, else :attr:`observed_until`, else the last date seen.

        A death ends observation even when ``observed_until`` is later (the records were read
        then, and nothing can follow a death).
        """
        if self.death is not None:
            # the death's time, or the last time recorded on its day when it has none
            return max(e.timestamp for e in self._timeline)
        if self.observed_until is not None:
            return timestamp_of(self.observed_until)
        if not self._timeline:
            return None
        return max(timestamp_of(e.end or e.date) for e in self._timeline)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """In IPython's plain text: one line, not every field (``repr`` is unchanged)."""
        printer.text(
            f"<Journey {self.id!r}: {len(self.events)} events, {len(self.actors)} actors, "
            f"{len(self.transitions)} transitions>"
        )

    def _repr_html_(self) -> str:
        """In a notebook: a summary and the journey map (see :mod:`careflow.display`)."""
        from careflow.display import journey_html  # noqa: PLC0415 - graphviz only when shown

        return journey_html(self)


def _validate_collections(journey: Journey) -> None:
    kinds: tuple[tuple[str, tuple[Any, ...], type[Any]], ...] = (
        ("actors", journey.actors, Actor),
        ("events", journey.events, Event),
        ("transitions", journey.transitions, Transition),
        ("contacts", journey.contacts, ContactPerson),
        ("network", journey.network, NetworkMember),
        ("plans", journey.plans, Plan),
    )
    seen: dict[str, str] = {journey.person.id: "person.id", PERSON: "the reserved id 'person'"}
    for name, items, cls in kinds:
        for i, item in enumerate(items):
            path = f"{name}[{i}]"
            if not isinstance(item, cls):
                raise JourneyValidationError(
                    f"expected {cls.__name__}, got {type(item).__name__}", path=path
                )
            if item.id in seen:
                raise JourneyValidationError(
                    f"duplicate id {item.id!r}: already used by {seen[item.id]}", path=f"{path}.id"
                )
            seen[item.id] = path


def _validate_references(
    journey: Journey, actors: Mapping[str, Actor], events: Mapping[str, Event]
) -> None:
    contacts = {c.id for c in journey.contacts}
    network = {n.id for n in journey.network}
    plans = {p.id for p in journey.plans}
    people = contacts | network | {PERSON}

    def missing(kind: str, ref: str, path: str) -> JourneyValidationError:
        return JourneyValidationError(f"refers to {kind} {ref!r}, which is not defined", path=path)

    for i, event in enumerate(journey.events):
        if event.actor not in actors:
            raise missing("actor", event.actor, f"events[{i}].actor")
        for j, who in enumerate(event.participants):
            if who not in people:
                raise JourneyValidationError(
                    f"participant {who!r} is neither 'person', a contact nor a network member",
                    path=f"events[{i}].participants[{j}]",
                )
        if event.plan is not None and event.plan not in plans:
            raise missing("plan", event.plan, f"events[{i}].plan")
    for i, tr in enumerate(journey.transitions):
        for end in ("source", "target"):
            ref = getattr(tr, end)
            if ref not in events:
                raise missing("event", ref, f"transitions[{i}].{end}")
        if tr.source == tr.target:
            raise JourneyValidationError(
                "a transition must join two different events", path=f"transitions[{i}]"
            )
        src, dst = events[tr.source], events[tr.target]
        if dst.timestamp < src.timestamp:
            raise JourneyValidationError(
                f"runs backwards in time: from {tr.source!r} on {src.date.isoformat()} "
                f"to {tr.target!r} on {dst.date.isoformat()}",
                path=f"transitions[{i}]",
            )
    for i, contact in enumerate(journey.contacts):
        if contact.actor is not None and contact.actor not in actors:
            raise missing("actor", contact.actor, f"contacts[{i}].actor")
    for i, plan in enumerate(journey.plans):
        for j, ref in enumerate(plan.actors):
            if ref not in actors:
                raise missing("actor", ref, f"plans[{i}].actors[{j}]")
        for j, who in enumerate(plan.participants):
            if who not in people:
                raise JourneyValidationError(
                    f"participant {who!r} is neither 'person', a contact nor a network member",
                    path=f"plans[{i}].participants[{j}]",
                )
        if plan.lead is not None and plan.lead not in contacts:
            raise missing("contact", plan.lead, f"plans[{i}].lead")
    _validate_death(journey)
    if journey.observed_until is not None and journey.events:
        last = max(e.timestamp for e in journey.events)
        if timestamp_of(journey.observed_until) < timestamp_of(last.date()):
            raise JourneyValidationError(
                f"observation ends ({journey.observed_until.isoformat()}) before the last event "
                f"({last.date().isoformat()})",
                path="observed_until",
            )


def _validate_death(journey: Journey) -> None:
    """Nothing follows a death: one death at most, no event starts or ends after it."""
    deaths = [i for i, e in enumerate(journey.events) if e.kind is EventKind.DEATH]
    if not deaths:
        return
    if len(deaths) > 1:
        raise JourneyValidationError(
            f"a journey ends in one death at most; events[{deaths[0]}] is one already",
            path=f"events[{deaths[1]}].kind",
        )
    death = journey.events[deaths[0]]
    when = death.date.isoformat()
    for i, event in enumerate(journey.events):
        if i == deaths[0]:
            continue
        for name in ("date", "end"):
            value = getattr(event, name)
            if value is not None and _later_than(value, death.date):
                raise JourneyValidationError(
                    f"{value.isoformat()} is after the person's death ({death.id!r} on {when}); "
                    "a death ends observation, so nothing can follow it",
                    path=f"events[{i}].{name}",
                )
    for i, tr in enumerate(journey.transitions):
        if tr.source == death.id:
            raise JourneyValidationError(
                f"a transition cannot leave the person's death ({death.id!r})",
                path=f"transitions[{i}].source",
            )
