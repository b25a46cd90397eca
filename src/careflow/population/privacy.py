"""Privacy for population outputs: pseudonymous case ids, and small-cell suppression."""

from __future__ import annotations

import calendar
import re
from typing import Final

import polars as pl

from careflow.errors import JourneyFileError

__all__ = ["check_pseudonymous", "is_personal_id"]

_PNR_RE: Final = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})[-+]?(\d{4})$")
_PNR_PATTERN: Final = r"^(\d{2})?\d{6}[-+]?\d{4}$"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def is_personal_id(value: str) -> bool:
    """Whether ``value`` is a Swedish personnummer or samordningsnummer.

    10 or 12 digits (``YYMMDD-NNNC``, ``YYYYMMDDNNNC``, optionally with ``-`` or ``+``
    before the last four), a real date (the day plus 60 for a samordningsnummer) and a
    valid Luhn check digit over the ten-digit form.

    Examples
    --------
    >>> is_personal_id("19121212-1212"), is_personal_id("121212-1212")
    (True, True)
    >>> is_personal_id("121272-1219"), is_personal_id("121212-1213")
    (True, False)
    >>> is_personal_id("case-00017")
    False
    """
    match = _PNR_RE.match(value.strip())
    if match is None:
        return False
    century, yy, mm, dd, tail = match.groups()
    month, day = int(mm), int(dd)
    if day > 60:
        day -= 60
    if not 1 <= month <= 12 or day < 1:
        return False
    years = [int(century + yy)] if century else [1900 + int(yy), 2000 + int(yy)]
    if not any(day <= calendar.monthrange(y, month)[1] for y in years):
        return False
    return _luhn_ok(yy + mm + dd + tail)


def check_pseudonymous(cases: pl.Series, *, file: str | None, column: str) -> None:
    """Refuse case ids that look like personnummer or samordningsnummer.

    Raises
    ------
    JourneyFileError
        Saying how many case ids look personal (never which), and asking for
        pseudonymous ids.
    """
    candidates = cases.filter(cases.str.contains(_PNR_PATTERN))
    personal = sum(1 for v in candidates.to_list() if is_personal_id(v))
    if personal:
        raise JourneyFileError(
            f"{personal:,} case id(s) look like Swedish personnummer or samordningsnummer "
            "(a date, a serial number and a valid check digit); replace them with "
            "pseudonymous ids before population scoring, or, only in a closed environment "
            "that may hold them, pass --allow-personal-ids (allow_personal_ids=True)",
            file=file,
            path=column,
        )
