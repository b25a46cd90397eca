"""Swedish and English labels for every vocabulary word careflow shows to people.

Diagrams, tables and the report say "Remiss" or "Referral", never ``referral``. A test
checks that every member of every vocabulary has a label in both languages, so a new
enum member cannot reach a diagram unlabelled.

Examples
--------
>>> from careflow.model import EventKind
>>> label(EventKind.REJECTION, "sv"), label(EventKind.REJECTION, "en")
('Avvisning', 'Rejection')
>>> label("housing", "sv"), label("own_domain", "en")
('Boende', 'own_domain')
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final, Literal

from careflow.model import (
    Aspect,
    Certainty,
    Channel,
    ContactRole,
    DeathCause,
    Direction,
    EventKind,
    Information,
    Initiator,
    Law,
    LegalBasis,
    Need,
    NetworkRelation,
    PlanKind,
    Principal,
    Reason,
    ServiceKind,
    TransitionKind,
)

__all__ = ["LABELS", "LANGUAGES", "Lang", "check_lang", "label"]

Lang = Literal["sv", "en"]
#: The languages careflow speaks.
LANGUAGES: Final = ("sv", "en")

_Pair = tuple[str, str]

#: (Swedish, English) for each vocabulary value.
LABELS: Final[Mapping[type[enum.StrEnum], Mapping[str, _Pair]]] = {
    Principal: {
        "region": ("Region", "Region"),
        "kommun": ("Kommun", "Municipality"),
        "state": ("Staten", "State"),
        "private": ("Privat", "Private"),
        "civil_society": ("Civilsamhället", "Civil society"),
        "informal": ("Personen och nätverket", "The person and network"),
        "other": ("Annan", "Other"),
    },
    Law: {
        "HSL": ("HSL", "Health and Medical Services Act (HSL)"),
        "SoL": ("SoL", "Social Services Act (SoL)"),
        "LVM": ("LVM", "Care of Abusers Act (LVM)"),
        "LPT": ("LPT", "Compulsory Psychiatric Care Act (LPT)"),
        "LSS": ("LSS", "Support for Persons with Impairments Act (LSS)"),
        "LRV": ("LRV", "Forensic Psychiatric Care Act (LRV)"),
        "other": ("Annan lag", "Other law"),
    },
    Need: {
        "substance_use": ("Beroende", "Substance use"),
        "mental_health": ("Psykisk hälsa", "Mental health"),
        "somatic": ("Somatisk hälsa", "Physical health"),
        "housing": ("Boende", "Housing"),
        "occupation": ("Sysselsättning", "Occupation"),
        "economy": ("Ekonomi", "Economy"),
        "social_relations": ("Relationer", "Social relations"),
    },
    ServiceKind: {
        "primary_care": ("Vårdcentral", "Primary care"),
        "psychiatric_outpatient": ("Psykiatrisk öppenvård", "Psychiatric outpatient care"),
        "psychiatric_emergency": ("Psykiatrisk akut", "Psychiatric emergency"),
        "psychiatric_inpatient": ("Psykiatrisk heldygnsvård", "Psychiatric inpatient care"),
        "addiction_medicine": ("Beroendevård", "Addiction medicine"),
        "opioid_substitution": ("LARO", "Opioid substitution"),
        "emergency_care": ("Akutmottagning", "Emergency department"),
        "somatic_care": ("Somatisk vård", "Somatic care"),
        "ambulance": ("Ambulans", "Ambulance"),
        "integrated_team": ("Integrerat team", "Integrated team"),
        "social_services": ("Socialtjänst", "Social services"),
        "housing_support": ("Boendestöd", "Housing support"),
        "supported_housing": ("Stödboende", "Supported housing"),
        "employment_support": ("Arbetsstöd (IPS)", "Employment support (IPS)"),
        "financial_aid": ("Ekonomiskt bistånd", "Financial aid"),
        "relative_support": ("Anhörigstöd", "Support for relatives"),
        "compulsory_care": ("Tvångsvård (SiS)", "Compulsory care (SiS)"),
        "police": ("Polis", "Police"),
        "prison_probation": ("Kriminalvården", "Prison and probation"),
        "employment_service": ("Arbetsförmedlingen", "Employment service"),
        "social_insurance": ("Försäkringskassan", "Social insurance"),
        "user_organisation": ("Brukarorganisation", "User organisation"),
        "peer_support": ("Kamratstöd", "Peer support"),
        "other": ("Annan verksamhet", "Other service"),
    },
    EventKind: {
        "need_signal": ("Behov märks", "Need noticed"),
        "help_seeking": ("Söker hjälp", "Seeks help"),
        "contact_attempt": ("Kontaktförsök", "Contact attempt"),
        "first_contact": ("Första kontakt", "First contact"),
        "contact": ("Kontakt", "Contact"),
        "assessment": ("Bedömning", "Assessment"),
        "treatment": ("Behandling", "Treatment"),
        "support": ("Stöd", "Support"),
        "referral": ("Remiss", "Referral"),
        "rejection": ("Avvisning", "Rejection"),
        "redirection": ("Hänvisning", "Redirection"),
        "crisis": ("Kris", "Crisis"),
        "admission": ("Inskrivning", "Admission"),
        "discharge": ("Utskrivning", "Discharge"),
        "plan_meeting": ("Planeringsmöte", "Planning meeting"),
        "drop_out": ("Avbrott", "Drop-out"),
        "case_closed": ("Avslutat ärende", "Case closed"),
        "death": ("Död", "Death"),
    },
    Channel: {
        "in_person": ("Besök", "In person"),
        "phone": ("Telefon", "Phone"),
        "digital": ("Digitalt", "Digital"),
        "outreach": ("Uppsökande", "Outreach"),
    },
    Initiator: {
        "person": ("Personen", "The person"),
        "network": ("Nätverket", "The network"),
        "service": ("Verksamheten", "The service"),
    },
    Reason: {
        "other_condition": ("Det andra tillståndet (”nykter först”)", "The other condition"),
        "not_responsible": ("Inte vårt ansvar", "Not our responsibility"),
        "capacity": ("Ingen plats", "No capacity"),
        "criteria": ("Uppfyller inte kriterierna", "Criteria not met"),
        "sanction": ("Sanktion", "Sanction"),
        "person_declined": ("Personen avböjde", "The person declined"),
        "unreachable": ("Gick inte att nå", "Unreachable"),
        "completed": ("Klart", "Completed"),
        "moved": ("Flyttat", "Moved away"),
        "no_need": ("Inget behov", "No need"),
        "other_area": ("Annat områdes eller kommuns ansvar", "Another area's responsibility"),
        "referred_on": ("Remitterad vidare", "Referred on"),
        "other": ("Annat skäl", "Other reason"),
    },
    Direction: {
        "substance_use": ("Beroendet först (”nykter först”)", "Substance use first"),
        "mental_health": ("Psykiatrin först", "Mental health first"),
    },
    Aspect: {
        "contacts": ("Kontaktpersoner", "Contact persons"),
        "network": ("Nätverk", "Network"),
        "plans": ("Planer", "Plans"),
        "needs": ("Behov", "Needs"),
    },
    TransitionKind: {
        "referral": ("Remiss", "Referral"),
        "handover": ("Överlämning", "Handover"),
        "self_referral": ("Egenremiss", "Self-referral"),
        "return": ("Tillbaka", "Return"),
    },
    Information: {
        "none": ("Ingen information", "No information"),
        "partial": ("Delvis information", "Partial information"),
        "full": ("Full information", "Full information"),
        "unknown": ("Information okänd", "Information unknown"),
    },
    ContactRole: {
        "coordinator": ("Samordnare", "Coordinator"),
        "fast_vardkontakt": ("Fast vårdkontakt", "Named care contact"),
        "case_manager": ("Case manager", "Case manager"),
        "sip_lead": ("SIP-ansvarig", "SIP lead"),
        "staff": ("Personal", "Staff"),
    },
    NetworkRelation: {
        "parent": ("Förälder", "Parent"),
        "partner": ("Partner", "Partner"),
        "child": ("Barn", "Child"),
        "sibling": ("Syskon", "Sibling"),
        "relative": ("Släkting", "Relative"),
        "friend": ("Vän", "Friend"),
        "peer_supporter": ("Kamratstödjare", "Peer supporter"),
        "other": ("Annan", "Other"),
    },
    PlanKind: {
        "sip": ("SIP", "SIP (coordinated individual plan)"),
        "vardplan": ("Vårdplan", "Care plan"),
        "genomforandeplan": ("Genomförandeplan", "Implementation plan"),
        "samordnad_vardplan": ("Samordnad vårdplan", "Coordinated care plan"),
        "other": ("Annan plan", "Other plan"),
    },
    # issue 12: death and compulsory care
    DeathCause: {
        "overdose": ("Överdos", "Overdose"),
        "suicide": ("Suicid", "Suicide"),
        "somatic": ("Kroppslig sjukdom", "Physical illness"),
        "violence": ("Våld", "Violence"),
        "unknown": ("Okänd orsak", "Cause unknown"),
    },
    Certainty: {
        "confirmed": ("bekräftad", "confirmed"),
        "probable": ("trolig", "probable"),
        "suspected": ("misstänkt", "suspected"),
    },
    LegalBasis: {
        "LVM": ("LVM", "Care of Abusers Act (LVM)"),
        "LPT": ("LPT", "Compulsory Psychiatric Care Act (LPT)"),
        "LRV": ("LRV", "Forensic Psychiatric Care Act (LRV)"),
        "LVU": ("LVU", "Care of Young Persons Act (LVU)"),
        "none": ("Frivillig", "Voluntary"),
    },
}

_NEEDS: Final = LABELS[Need]


def check_lang(lang: str) -> Lang:
    """``lang`` if careflow speaks it, else ValueError naming the choices."""
    if lang == "sv":
        return "sv"
    if lang == "en":
        return "en"
    raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")


def label(value: enum.StrEnum | str, lang: str = "sv") -> str:
    """The word for a vocabulary value in ``lang``.

    A plain string is read as a need (journeys may name needs careflow does not know;
    those are shown as written).
    """
    index = 0 if check_lang(lang) == "sv" else 1
    if isinstance(value, enum.StrEnum):
        return LABELS[type(value)][value.value][index]
    pair = _NEEDS.get(value)
    return pair[index] if pair else value
