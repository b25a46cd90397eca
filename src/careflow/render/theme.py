"""Colours and words shared by careflow's diagrams. Nothing here comes from user data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

from careflow.model import EventKind, Information, Principal

__all__ = [
    "FONT",
    "KIND_GROUPS",
    "LANES",
    "LANE_OF",
    "QUALITY",
    "SEVERITY_COLOURS",
    "SOBER",
    "KindGroup",
    "quality",
]

FONT: Final = "Helvetica"


@attrs.frozen(slots=True)
class KindGroup:
    """Event kinds that mean the same for the person, drawn alike."""

    name_sv: str
    name_en: str
    fill: str
    border: str
    kinds: frozenset[EventKind]


#: Event kinds grouped by what they mean for the person, each with fill and border colour
#: and the group's (Swedish, English) name for the legend.
KIND_GROUPS: Final[tuple[KindGroup, ...]] = (
    KindGroup(
        "Söker hjälp",
        "Seeking help",
        "#fefcbf",
        "#b7791f",
        frozenset({EventKind.NEED_SIGNAL, EventKind.HELP_SEEKING, EventKind.CONTACT_ATTEMPT}),
    ),
    KindGroup(
        "Kontakt och bedömning",
        "Contact and assessment",
        "#ebf8ff",
        "#2b6cb0",
        frozenset({EventKind.FIRST_CONTACT, EventKind.CONTACT, EventKind.ASSESSMENT}),
    ),
    KindGroup(
        "Behandling och stöd",
        "Treatment and support",
        "#c6f6d5",
        "#2f855a",
        frozenset({EventKind.TREATMENT, EventKind.SUPPORT}),
    ),
    KindGroup("Remiss", "Referral", "#e9d8fd", "#6b46c1", frozenset({EventKind.REFERRAL})),
    KindGroup(
        "Avvisning och avbrott",
        "Rejection and drop-out",
        "#fed7d7",
        "#c53030",
        frozenset({EventKind.REJECTION, EventKind.REDIRECTION, EventKind.DROP_OUT}),
    ),
    KindGroup(
        "Kris och slutenvård",
        "Crisis and inpatient care",
        "#feebc8",
        "#c05621",
        frozenset({EventKind.CRISIS, EventKind.ADMISSION, EventKind.DISCHARGE}),
    ),
    KindGroup(
        "Planering (SIP)",
        "Planning (SIP)",
        "#b2f5ea",
        "#285e61",
        frozenset({EventKind.PLAN_MEETING}),
    ),
    KindGroup("Avslut", "Closed", "#edf2f7", "#4a5568", frozenset({EventKind.CASE_CLOSED})),
    # issue 12: drawn soberly, black on white; the legend shows it only when a death is drawn
    KindGroup("Död", "Death", "#ffffff", "#000000", frozenset({EventKind.DEATH})),
)

#: The colour of a death and of compulsory-care bands: neutral, never an alarm colour.
SOBER: Final = "#1a202c"

#: The swimlanes top to bottom: key, Swedish and English name.
LANES: Final = (
    ("person", "Personen och nätverket", "The person and network"),
    ("region", "Region (hälso- och sjukvård)", "Region (health care)"),
    ("kommun", "Kommun (socialtjänst)", "Municipality (social services)"),
    ("other", "Andra aktörer", "Other actors"),
)

#: Which lane an actor's principal puts its events in.
LANE_OF: Final[Mapping[Principal, str]] = {
    Principal.INFORMAL: "person",
    Principal.REGION: "region",
    Principal.KOMMUN: "kommun",
    Principal.STATE: "other",
    Principal.PRIVATE: "other",
    Principal.CIVIL_SOCIETY: "other",
    Principal.OTHER: "other",
}

#: Handover quality → (colour, Swedish, English) for edges and the legend.
QUALITY: Final = {
    "good": ("#2f855a", "varm, full information", "warm, full information"),
    "partial": ("#dd6b20", "delvis: kall eller ofullständig", "partial: cold or incomplete"),
    "bad": ("#c53030", "kall och utan information", "cold and without information"),
    "unknown": ("#718096", "okänd kvalitet", "quality unknown"),
}

#: Finding severity (3 high .. 1 low) → colour.
SEVERITY_COLOURS: Final = {3: "#c53030", 2: "#dd6b20", 1: "#718096"}


def quality(warm: bool | None, information: Information) -> str:
    """The quality class of a handover: ``good``, ``partial``, ``bad`` or ``unknown``.

    Examples
    --------
    >>> quality(True, Information.FULL), quality(False, Information.NONE)
    ('good', 'bad')
    >>> quality(None, Information.UNKNOWN), quality(False, Information.FULL)
    ('unknown', 'partial')
    """
    if warm is None and information is Information.UNKNOWN:
        return "unknown"
    if warm is not False and information is Information.FULL:
        return "good"
    if warm is not True and information is Information.NONE:
        return "bad"
    return "partial"
