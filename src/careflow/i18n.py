"""Language and numbers for people: which language to speak, decimals, plural forms.

Machine output (JSON, CSV) always writes numbers with a decimal point. Human output
(tables, charts, the report, notebook displays) writes them the way the reader's language
does: ``0,75`` in Swedish, ``0.75`` in English, through :func:`number`. Counts of things
take the right plural form through :func:`count`.

When no language is given, :func:`default_lang` picks one from the environment:
``CAREFLOW_LANG`` first (``sv`` or ``en``, in any case), then the locale variables
``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` in POSIX order: Swedish when the first one that
is set starts with ``sv`` (``sv_SE.UTF-8``), English otherwise, and English when none is
set.

Examples
--------
>>> number(0.75, "sv"), number(0.75, "en"), number(None, "sv")
('0,75', '0.75', '–')
>>> number(-0.125, "sv", digits=3, sign=True)
'-0,125'
>>> count(1, "event", "sv"), count(2, "event", "sv"), count(2, "event", "en")
('1 händelse', '2 händelser', '2 events')
>>> default_lang({"LANG": "sv_SE.UTF-8"}), default_lang({"CAREFLOW_LANG": "EN", "LANG": "sv_SE"})
('sv', 'en')
>>> from careflow.model import Channel, Law
>>> words(["housing", Channel.PHONE, Law.HSL], "sv"), words(["housing", "my_own_need"], "en")
('boende, telefon, HSL', 'housing, my_own_need')
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Mapping
from typing import Final, Literal

from careflow.labels import label

__all__ = ["NOUNS", "count", "default_lang", "normalize_lang", "number", "word", "words"]

Lang = Literal["sv", "en"]

#: The locale variables read for a default language, in POSIX order of precedence.
LOCALE_VARIABLES: Final = ("LC_ALL", "LC_MESSAGES", "LANG")

#: Singular and plural of the nouns careflow counts: (sv one, sv many, en one, en many).
NOUNS: Final[Mapping[str, tuple[str, str, str, str]]] = {
    "event": ("händelse", "händelser", "event", "events"),
    "actor": ("aktör", "aktörer", "actor", "actors"),
    "transition": ("övergång", "övergångar", "transition", "transitions"),
    "contact": ("kontaktperson", "kontaktpersoner", "contact", "contacts"),
    "plan": ("plan", "planer", "plan", "plans"),
    "journey": ("förlopp", "förlopp", "journey", "journeys"),
    "finding": ("fynd", "fynd", "finding", "findings"),
    "error": ("fel", "fel", "error", "errors"),
    "day": ("dag", "dagar", "day", "days"),
    "indicator": ("indikator", "indikatorer", "indicator", "indicators"),
}


def normalize_lang(value: str) -> Lang:
    """``sv`` or ``en`` from any capitalisation of them, else ValueError naming the choices."""
    lowered = value.strip().lower()
    if lowered == "sv":
        return "sv"
    if lowered == "en":
        return "en"
    raise ValueError(f"lang must be sv or en, not {value!r}")


def default_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """The language to speak when none is given, from ``environ`` (default ``os.environ``).

    ``CAREFLOW_LANG`` wins when it says ``sv`` or ``en`` (another value is ignored);
    then the first locale variable that is set and not empty decides: Swedish when it
    starts with ``sv``, English otherwise. English when nothing is set.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("CAREFLOW_LANG", "").strip()
    if explicit.lower() in ("sv", "en"):
        return normalize_lang(explicit)
    for name in LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return "sv" if value.lower().startswith("sv") else "en"
    return "en"


def number(
    value: float | None, lang: str, *, digits: int = 2, sign: bool = False, none: str = "–"
) -> str:
    """``value`` with ``digits`` decimals, a decimal comma in Swedish, ``none`` for None.

    With ``sign``, a plus or minus sign always shows.
    """
    if value is None:
        return none
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    if lang == "sv":
        return text.replace(".", ",")
    return text


def count(n: int, noun: str, lang: str) -> str:
    """``n`` and the noun in the right number: "1 händelse", "2 händelser", "1 event"."""
    sv_one, sv_many, en_one, en_many = NOUNS[noun]
    if lang == "sv":
        return f"{n} {sv_one if n == 1 else sv_many}"
    return f"{n} {en_one if n == 1 else en_many}"


def word(value: enum.StrEnum | str, lang: str) -> str:
    """A vocabulary value as a word inside a sentence: its label, lower-cased.

    Acronyms stay as they are (``HSL``, ``SIP``); a need careflow does not know is shown as
    written. A plain string is read as a need, as :func:`careflow.labels.label` does.
    """
    text = label(value, lang)
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def words(values: Iterable[enum.StrEnum | str], lang: str) -> str:
    """Vocabulary values as words in a sentence, separated by commas."""
    return ", ".join(word(v, lang) for v in values)
