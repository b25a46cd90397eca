"""The journey file format as data: one table drives reading, writing and the JSON Schema.

Each model class has a :class:`Section`: an ordered list of :class:`FieldSpec` saying the
key used in files, the model attribute it fills, the type of value, whether it is
required, and a one-line description (which also lands in the JSON Schema, so editors
show it while people type). Key order here is the order in written files.
"""

from __future__ import annotations

import enum
from typing import Final, Literal

import attrs

from careflow import model as m

__all__ = [
    "FORMAT_VERSION",
    "JOURNEY",
    "SECTIONS",
    "FieldSpec",
    "Kind",
    "Section",
]

#: Version of the journey file format written in the ``careflow`` key.
FORMAT_VERSION: Final = 1

Kind = Literal[
    "id", "text", "date", "enum", "enums", "bool", "ids", "needs", "object", "list", "version"
]


@attrs.frozen(kw_only=True, slots=True)
class FieldSpec:
    """One key of a journey file section."""

    key: str
    attr: str
    kind: Kind
    description: str
    required: bool = False
    enum: type[enum.StrEnum] | None = None
    section: str | None = None  # for kind "object" and "list": the section of the items


@attrs.frozen(kw_only=True, slots=True)
class Section:
    """How one model class is written in a file."""

    name: str
    cls: type
    description: str
    fields: tuple[FieldSpec, ...]

    def keys(self) -> tuple[str, ...]:
        """The keys this section accepts, in file order."""
        return tuple(f.key for f in self.fields)


def _f(key: str, kind: Kind, description: str, **kw: object) -> FieldSpec:
    attr = kw.pop("attr", key)
    return FieldSpec(key=key, attr=str(attr), kind=kind, description=description, **kw)  # type: ignore[arg-type]


_ID = "Stable id from the data, unique within the journey."
_NOTE = "Free text, shown as written."

PERSON = Section(
    name="person",
    cls=m.Person,
    description="The person whose journey it is, by pseudonym only: never a name or personnummer.",
    fields=(
        _f("id", "id", "A pseudonymous id.", required=True),
        _f("alias", "text", "An invented first name for readable diagrams."),
        _f(
            "needs",
            "needs",
            "Life domains where the person has needs (substance_use, mental_health, "
            "somatic, housing, occupation, economy, social_relations, or your own).",
        ),
    ),
)

ACTOR = Section(
    name="actor",
    cls=m.Actor,
    description="A service or unit the person meets.",
    fields=(
        _f("id", "id", _ID, required=True),
        _f("name", "text", "The unit's name as people say it.", required=True),
        _f(
            "principal",
            "enum",
            "Huvudman: who is responsible for the service.",
            required=True,
            enum=m.Principal,
        ),
        _f("service", "enum", "The kind of service (default: other).", enum=m.ServiceKind),
        _f("law", "enum", "Legal basis the service acts under.", enum=m.Law),
    ),
)

CONTACT = Section(
    name="contact",
    cls=m.ContactPerson,
    description="A professional contact person and the role they held, and when.",
    fields=(
        _f("id", "id", _ID, required=True),
        _f(
            "role",
            "enum",
            "coordinator, fast_vardkontakt, case_manager, sip_lead or staff (default).",
            enum=m.ContactRole,
        ),
        _f("name", "text", "A role label or pseudonym, e.g. 'kurator A'."),
        _f("actor", "id", "Id of the actor the contact works at."),
        _f("start", "date", "When they took up the role."),
        _f("end", "date", "When they left it."),
    ),
)

NETWORK = Section(
    name="network_member",
    cls=m.NetworkMember,
    description="A relative, friend or peer supporter in the person's own network.",
    fields=(
        _f("id", "id", _ID, required=True),
        _f(
            "relation",
            "enum",
            "How they relate to the person.",
            required=True,
            enum=m.NetworkRelation,
        ),
        _f("name", "text", "A role label or pseudonym, e.g. 'mamma'."),
        _f(
            "consent",
            "bool",
            "The person's consent to involving them: true, false (declined; "
            "respected, never penalised) or absent (not asked).",
        ),
    ),
)

PLAN = Section(
    name="plan",
    cls=m.Plan,
    description="A care or support plan: SIP, vårdplan, genomförandeplan, samordnad vårdplan.",
    fields=(
        _f("id", "id", _ID, required=True),
        _f("kind", "enum", "The kind of plan.", required=True, enum=m.PlanKind),
        _f("date", "date", "When the plan was drawn up.", required=True),
        _f("end", "date", "When the plan ended, if it did."),
        _f(
            "responsible", "enum", "The principal holding overall responsibility.", enum=m.Principal
        ),
        _f("actors", "ids", "Ids of the actors taking part in the plan."),
        _f("participants", "ids", "Who took part: 'person', contact ids, network member ids."),
        _f("domains", "needs", "Life domains the plan covers."),
        _f("lead", "id", "Id of the contact person leading the plan."),
        _f("note", "text", _NOTE),
    ),
)

EXPERIENCE = Section(
    name="experience",
    cls=m.Experience,
    description="What the person reported about the touchpoint (leave out what was not asked).",
    fields=(
        _f("listened", "bool", "I was listened to."),
        _f("understood", "bool", "I was understood."),
        _f("respected", "bool", "I was treated with respect."),
        _f("involved", "bool", "I was involved in decisions."),
    ),
)

EVENT = Section(
    name="event",
    cls=m.Event,
    description="A touchpoint: something that happened at one actor on one date.",
    fields=(
        _f("id", "id", _ID, required=True),
        _f("date", "date", "YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] local time.", required=True),
        _f("actor", "id", "Id of the actor where it happened.", required=True),
        _f("kind", "enum", "What happened.", required=True, enum=m.EventKind),
        _f("end", "date", "For an episode (treatment, admission, support): when it ended."),
        _f("channel", "enum", "How it took place.", enum=m.Channel),
        _f("initiated_by", "enum", "Who took the initiative.", enum=m.Initiator),
        _f("participants", "ids", "Who took part: 'person', contact ids, network member ids."),
        _f(
            "addresses",
            "needs",
            "Life domains it worked on (default: what the service usually addresses).",
        ),
        _f(
            "reason_code",
            "enum",
            "Why, for a rejection, redirection, drop-out or closure.",
            enum=m.Reason,
        ),
        _f("reason", "text", "The reason in words, as given."),
        _f(
            "demanded_first",
            "enum",
            "On a rejection or postponement: the condition the service demanded be treated "
            "first (substance_use or mental_health).",
            enum=m.Direction,
        ),
        _f("plan", "id", "Id of the plan a plan meeting drew up or followed up."),
        _f("experience", "object", "The person's reported experience.", section="experience"),
        _f("guideline", "bool", "A treatment the national guidelines recommend."),
        _f("shared_decision", "bool", "The person's choice or a shared decision was recorded."),
        _f("informed", "bool", "The person got information about their situation and options."),
        # issue 12: compulsory care and death
        _f(
            "legal_basis",
            "enum",
            "For an admission, treatment or support episode: the law it was given under "
            "(LVM, LPT, LRV, LVU) or none (voluntary).",
            enum=m.LegalBasis,
        ),
        _f("cause", "enum", "For a death: what it was caused by.", enum=m.DeathCause),
        _f(
            "certainty",
            "enum",
            "For a death: how certain the source is of the cause.",
            enum=m.Certainty,
        ),
        _f("note", "text", _NOTE),
    ),
)

TRANSITION = Section(
    name="transition",
    cls=m.Transition,
    description="How the person moved from one event to a later one.",
    fields=(
        _f("id", "id", _ID, required=True),
        _f("from", "id", "Id of the earlier event.", required=True, attr="source"),
        _f("to", "id", "Id of the later event.", required=True, attr="target"),
        _f(
            "kind",
            "enum",
            "referral (default), handover, self_referral or return.",
            enum=m.TransitionKind,
        ),
        _f(
            "information",
            "enum",
            "Information that followed the person (default: unknown).",
            enum=m.Information,
        ),
        _f("warm", "bool", "Warm: accompanied or a joint meeting; false: sent on alone."),
        _f(
            "legal_basis",
            "enum",
            "The law the person was moved under (e.g. from LVM care into LPT care).",
            enum=m.LegalBasis,
        ),
        _f("note", "text", _NOTE),
    ),
)

JOURNEY = Section(
    name="journey",
    cls=m.Journey,
    description="One person's journey through care and social services (careflow format 1).",
    fields=(
        _f("careflow", "version", "The format version: 1.", attr=""),
        _f("id", "id", "The journey's id.", required=True),
        _f("title", "text", "A short title."),
        _f("description", "text", "What the journey is and where it comes from."),
        _f("observed_until", "date", "When observation ended (default: the last date seen)."),
        _f(
            "recorded_completely",
            "enums",
            "Parts recorded in full, where absence means absence: contacts, network, plans, "
            "needs (default: none declared).",
            enum=m.Aspect,
        ),
        _f("person", "object", "The person.", required=True, section="person"),
        _f("actors", "list", "Services and units met.", section="actor"),
        _f("contacts", "list", "Contact persons.", section="contact"),
        _f("network", "list", "The person's own network.", section="network_member"),
        _f("plans", "list", "Care and support plans.", section="plan"),
        _f("events", "list", "Touchpoints, in any order.", section="event"),
        _f("transitions", "list", "Moves between touchpoints.", section="transition"),
    ),
)

#: Every section by name.
SECTIONS: Final = {
    s.name: s
    for s in (PERSON, ACTOR, CONTACT, NETWORK, PLAN, EXPERIENCE, EVENT, TRANSITION, JOURNEY)
}
