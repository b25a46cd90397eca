"""Gap findings: concrete, located problems in a journey, each tied to the målbilder it hurts."""

from __future__ import annotations

import enum

import attrs

__all__ = ["Finding", "Severity"]


class Severity(enum.IntEnum):
    """How much a finding hurts: ranked high to low."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


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
    """

    code: str
    severity: Severity
    targets: tuple[int, ...]
    refs: tuple[str, ...]
    text_sv: str
    text_en: str

    def text(self, lang: str = "sv") -> str:
        """The sentence in ``lang`` ("sv" or "en")."""
        return self.text_sv if lang == "sv" else self.text_en
