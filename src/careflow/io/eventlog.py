"""Read event logs (CSV, Parquet, XES): one row per event, one journey per case.

The process-mining layout: a case id, a timestamp, an activity, the unit (resource) and
its principal, and optionally the kind of event, the contact type, a diagnosis code, and
(issue 12) a death's cause and its certainty and an episode's legal basis.
Column names are found by themselves for careflow's own names, the names of the shared
benchmark log and pm4py's/Disco's (``case:concept:name``, ``Case ID``, ``time:timestamp``,
``Complete Timestamp``, ``concept:name``, ``org:resource``, ``org:group``), compared
without regard to case, spaces, ``_`` and ``-``; anything else is named with
:class:`EventLogColumns` or a mapping file (:mod:`careflow.io.mapping`). A column plays
at most one role: naming the unit column never makes another column the principal.

Files are read as they come: CSV with ``,`` ``;`` tab or ``|`` (sniffed), UTF-8 with or
without a BOM, or Windows-1252 when the bytes are not UTF-8 (reported, never silent),
quoted newlines; timestamps in ISO forms or ``YYYY/MM/DD HH:MM:SS[.fff]``, other forms
with an explicit format; offsets converted to the analysis time zone (default
``Europe/Stockholm``) so a date stays the date the person lived it. Missing values
(empty, ``NA``, ``NaN``, ``null``, pandas/pyarrow nulls) follow a policy per role:
error, skip the row, or unknown, each counted in the :class:`LogReport`.

Rows may come in any order. Within a case, events are ordered by this rule, so a
shuffled log gives exactly the same journeys as a sorted one:

1. the timestamp (a plain date counts as midnight);
2. the kind of event, in :data:`careflow.model.KIND_RANK` order;
3. the activity, then the unit, then the contact type, then the cause, certainty and
   legal basis cells, then every other column of the row as text, compared as strings.

Events get the ids ``e1``, ``e2``, ... in that order, actors an id made from the unit's
name. Where the unit changes from one event to the next, a ``handover`` transition with
unknown information links them, except a move within one stay (``same_stay_hours``).

See ``docs/event-logs.md`` and ``docs/your-data.md``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import sys
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

import attrs

from careflow.errors import CareflowError, JourneyFileError
from careflow.io.journey_file import _MAX_YEAR, _MIN_YEAR, MAX_ERRORS
from careflow.io.mapping import (
    DEFAULT_DIAGNOSES,
    ROLES,
    DiagnosisRule,
    LogMapping,
    MissingPolicy,
    normalise_code,
)
from careflow.labels import LABELS
from careflow.model import (
    KIND_RANK,
    LEGAL_BASIS_KINDS,
    Actor,
    Certainty,
    Channel,
    DeathCause,
    Event,
    EventKind,
    Journey,
    LegalBasis,
    Person,
    Principal,
    ServiceKind,
    Transition,
    TransitionKind,
    order_time,
)

__all__ = [
    "CSV_SUFFIXES",
    "DEFAULT_TIMEZONE",
    "MAX_CELL_CHARS",
    "MAX_LOG_BYTES",
    "MAX_LOG_ROWS",
    "PARQUET_SUFFIXES",
    "XES_SUFFIXES",
    "CaseLimit",
    "CaseTooLargeError",
    "EventLogColumns",
    "LogRead",
    "LogReport",
    "UnmappedValue",
    "journeys_from_rows",
    "read_event_log",
    "read_event_log_report",
    "survey_event_log",
    "zone",
]

#: Largest log read by default, in bytes (for XES and ``-``, after decompression).
MAX_LOG_BYTES: Final = 1024 * 1024 * 1024
#: Most rows read by default (each becomes an event held in memory); blank lines in a
#: CSV are counted separately against the same limit.
MAX_LOG_ROWS: Final = 2_000_000
#: How a row-limit message says to raise the limit, in Python and on the command line.
_ROW_LIMIT: Final = "the row limit (max_rows; --max-rows N on the command line)"
#: Longest text in one cell of a Parquet file or a row in memory (CSV cells are held
#: to Python's csv field limit, 131,072 characters).
MAX_CELL_CHARS: Final = 100_000
#: The analysis time zone when none is given.
DEFAULT_TIMEZONE: Final = "Europe/Stockholm"

CSV_SUFFIXES: Final = frozenset({".csv", ".tsv"})
PARQUET_SUFFIXES: Final = frozenset({".parquet", ".pq"})
XES_SUFFIXES: Final = frozenset({".xes", ".xes.gz"})

#: Column names recognised without configuration, per role, in order of preference
#: (compared case-, space-, ``_``- and ``-``-insensitively).
KNOWN_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "case": ("case_id", "case:concept:name", "case", "journey", "löpnr", "lopnr", "löpnummer"),
    "timestamp": (
        "timestamp",
        "time:timestamp",
        "complete timestamp",
        "time",
        "date",
        "datum",
        "tidpunkt",
    ),
    "activity": ("activity", "concept:name", "aktivitet"),
    "unit": ("unit", "org:resource", "actor", "resource", "enhet", "vårdenhet", "vardenhet"),
    "principal": ("principal", "org:group", "huvudman"),
    "kind": ("kind", "event_kind"),
    "channel": ("contact_type", "channel", "kontakttyp"),
    "diagnosis": ("diagnosis", "diagnos", "diagnoskod", "icd10"),
    "cause": (
        "cause",
        "death_cause",
        "cause_of_death",
        "dödsorsak",
        "dodsorsak",
        "underliggande dödsorsak",
        "ulorsak",
    ),
    "certainty": ("certainty", "cause_certainty"),
    "legal_basis": (
        "legal_basis",
        "lagrum",
        "psykiatrisk vårdform",
        "pvard",
        "vårdform",
        "vardform",
    ),
}

_PRINCIPALS: Final[Mapping[str, Principal]] = {
    **{p.value: p for p in Principal},
    "landsting": Principal.REGION,
    "municipality": Principal.KOMMUN,
    "stat": Principal.STATE,
    "staten": Principal.STATE,
    "privat": Principal.PRIVATE,
    "civil society": Principal.CIVIL_SOCIETY,
    "civilsamhället": Principal.CIVIL_SOCIETY,
    "ideell": Principal.CIVIL_SOCIETY,
    "informell": Principal.INFORMAL,
    "annan": Principal.OTHER,
    "övrig": Principal.OTHER,
}

_CHANNELS: Final[Mapping[str, Channel | None]] = {
    **{c.value: c for c in Channel},
    "visit": Channel.IN_PERSON,
    "besök": Channel.IN_PERSON,
    "telefon": Channel.PHONE,
    "video": Channel.DIGITAL,
    "digitalt": Channel.DIGITAL,
    "home_visit": Channel.OUTREACH,
    "hembesök": Channel.OUTREACH,
    "uppsökande": Channel.OUTREACH,
    # a planning meeting is a kind of meeting, not a channel; the kind is not guessed
    "planning": None,
}

_KINDS: Final[Mapping[str, EventKind]] = {
    **{k.value: k for k in EventKind},
    **{pair[0].casefold(): EventKind(v) for v, pair in LABELS[EventKind].items()},
    **{pair[1].casefold(): EventKind(v) for v, pair in LABELS[EventKind].items()},
}


_NOT_FOUND: Final = object()


def _labelled(vocab: type[Any]) -> dict[str, Any]:
    """A vocabulary's values and their Swedish and English labels, case-folded, to members."""
    return {
        **{member.value.casefold(): member for member in vocab},
        **{pair[0].casefold(): vocab(v) for v, pair in LABELS[vocab].items()},
        **{pair[1].casefold(): vocab(v) for v, pair in LABELS[vocab].items()},
    }


class _Builtin(Mapping[str, Any]):
    """What a role reads without a mapping rule: known words (any case), then a rule.

    ``hint`` names the role in messages; iterating gives ``shown``, the words a message
    offers (each of which is a key), not every spelling that is read.
    """

    def __init__(
        self,
        words: Mapping[str, Any],
        rule: Callable[[str], Any],
        *,
        shown: Sequence[str],
        hint: str,
    ) -> None:
        self.words = {k.casefold(): v for k, v in words.items()}
        self.rule = rule
        self.shown = tuple(shown)
        self.hint = hint

    def __getitem__(self, key: str) -> Any:
        folded = key.casefold()
        found = self.words.get(folded, _NOT_FOUND)
        if found is _NOT_FOUND:
            found = self.rule(folded)
        if found is _NOT_FOUND:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.shown)

    def __len__(self) -> int:
        return len(self.shown)


#: ICD-10 underlying causes of death (as Dödsorsaksregistret gives them) read without a
#: mapping, by the first three characters: (first, last, cause). Mental and behavioural
#: disorders (F, incl. substance use), accidents other than drug poisoning (V01-X39,
#: X45-X59) and other undetermined intent (Y15-Y34) are left to the mapping.
CAUSE_CODES: Final[tuple[tuple[str, str, DeathCause], ...]] = (
    ("A00", "E99", DeathCause.SOMATIC),
    ("G00", "Q99", DeathCause.SOMATIC),
    ("R95", "R99", DeathCause.UNKNOWN),
    ("X40", "X44", DeathCause.OVERDOSE),  # accidental poisoning by drugs
    ("X60", "X84", DeathCause.SUICIDE),  # intentional self-harm
    ("X85", "Y09", DeathCause.VIOLENCE),  # assault
    ("Y10", "Y14", DeathCause.OVERDOSE),  # poisoning by drugs, undetermined intent
)
_ICD_RE: Final = re.compile(r"[A-Z][0-9]{2}[0-9A-Z]*")


def _cause_code(text: str) -> Any:
    code = normalise_code(text)
    if _ICD_RE.fullmatch(code):
        head = code[:3]
        for first, last, cause in CAUSE_CODES:
            if first <= head <= last:
                return cause
    return _NOT_FOUND


_LAW_RE: Final = re.compile(r"\b(lvm|lpt|lrv|lvu|öpt|örv)\b")
_VOLUNTARY_RE: Final = re.compile(r"\b(frivillig\w*|hsl|sol)\b")
_LAW_WORDS: Final = {"öpt": LegalBasis.LPT, "örv": LegalBasis.LRV}


def _law_named(text: str) -> Any:
    """The one compulsory law a value names (``Tvångsvård enligt LPT``, ``ÖPT``), else none."""
    laws = {_LAW_WORDS.get(m, None) or LegalBasis(m.upper()) for m in _LAW_RE.findall(text)}
    if len(laws) == 1:
        return laws.pop()
    if not laws and _VOLUNTARY_RE.search(text):
        return LegalBasis.NONE
    return _NOT_FOUND


_CAUSES: Final = _Builtin(
    {**_labelled(DeathCause), "självmord": DeathCause.SUICIDE, "okänd": DeathCause.UNKNOWN},
    _cause_code,
    shown=[*(c.value for c in DeathCause), "överdos", "suicid", "självmord", "våld", "okänd"],
    hint="cause of death, nor an ICD-10 code careflow reads (A00-E99 and G00-Q99 somatic, "
    "R95-R99 unknown, X40-X44 and Y10-Y14 overdose, X60-X84 suicide, X85-Y09 violence)",
)
_CERTAINTIES: Final = _Builtin(
    _labelled(Certainty),
    lambda _text: _NOT_FOUND,
    shown=[*(c.value for c in Certainty), *(pair[0] for pair in LABELS[Certainty].values())],
    hint="certainty",
)
_LEGAL_BASES: Final = _Builtin(
    {
        **_labelled(LegalBasis),
        # the form of care (inpatient, outpatient) says nothing about the law
        **dict.fromkeys(("sluten vård", "slutenvård", "öppen vård", "öppenvård"), None),
    },
    _law_named,
    shown=[*(b.value for b in LegalBasis), "frivillig", "sluten vård", "öppen vård"],
    hint="legal basis, nor does it name one law (LVM, LPT, LRV, LVU, ÖPT or ÖRV; frivillig, "
    "HSL or SoL: none)",
)

#: Cell values that mean "missing", compared without regard to case.
MISSING_TEXT: Final = frozenset({"", "na", "n/a", "#n/a", "nan", "nat", "null", "none", "<na>"})
#: The unit of a row whose unit is missing under the ``unknown`` policy.
UNKNOWN_UNIT: Final = "unknown"


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.casefold())


@attrs.frozen(kw_only=True, slots=True)
class EventLogColumns:
    """Which column of the log plays which role.

    ``None`` means find it by its known names; ``""`` means the log has no such column.
    ``case`` and ``timestamp`` are required, and one of ``unit`` and ``activity`` (a log
    without a unit column takes the activity as the unit). The others are optional:
    without a principal every unit is ``other`` (unless a mapping says otherwise);
    without a kind every event is a ``contact``, unless its activity is itself an event
    kind or a mapping maps it. ``cause`` and ``certainty`` are read on a death's row,
    ``legal_basis`` on an admission's, treatment's or support's (issue 12).
    """

    case: str | None = None
    timestamp: str | None = None
    activity: str | None = None
    unit: str | None = None
    principal: str | None = None
    kind: str | None = None
    channel: str | None = None
    diagnosis: str | None = None
    cause: str | None = None
    certainty: str | None = None
    legal_basis: str | None = None

    def resolve(self, header: Sequence[str], *, file: str | None) -> dict[str, str]:
        """Map each role to a column of ``header``; JourneyFileError if one is missing."""
        found = _resolve(header, self, None, file=file)
        return {role: header[i] for role, i in found.items()}


def _listing(header: Sequence[str]) -> str:
    shown = ", ".join(repr(h[:40]) for h in header[:20])
    return shown + (f" and {len(header) - 20} more" if len(header) > 20 else "")


def _resolve(
    header: Sequence[str],
    columns: EventLogColumns | None,
    mapping: LogMapping | None,
    *,
    file: str | None,
) -> dict[str, int]:
    exact: dict[str, int] = {}
    loose: dict[str, int] = {}
    for i, name in enumerate(header):
        exact.setdefault(name, i)
        loose.setdefault(_norm(name), i)
    explicit: dict[str, tuple[tuple[str, ...], bool]] = {}
    if mapping is not None:
        for role, names in mapping.columns.items():
            explicit[role] = (names, role in mapping.column_lists)
    if columns is not None:
        for role in ROLES:
            chosen = getattr(columns, role)
            if chosen is not None:
                explicit[role] = ((chosen,) if chosen else (), False)
    found: dict[str, int] = {}
    used: set[int] = set()
    for role in ROLES:
        if role not in explicit:
            continue
        names, optional = explicit[role]
        if not names:
            continue
        index = next(
            (
                exact.get(n, loose.get(_norm(n)))
                for n in names
                if exact.get(n, loose.get(_norm(n))) is not None
            ),
            None,
        )
        if index is None:
            if optional:
                continue
            raise JourneyFileError(
                f"the {role} column {names[0]!r} is not in the header; the columns are "
                f"{_listing(header)}",
                file=file,
                line=1,
            )
        found[role] = index
        used.add(index)
    for role in ROLES:
        if role in explicit:
            continue
        for name in KNOWN_COLUMNS[role]:
            index = loose.get(_norm(name))
            if index is not None and index not in used:
                found[role] = index
                used.add(index)
                break
    missing = [r for r in ("case", "timestamp") if r not in found]
    if "unit" not in found and "activity" not in found:
        missing.append("unit (or activity)")
    if missing:
        hints = "; ".join(
            f"{r.split()[0]}: {', '.join(KNOWN_COLUMNS[r.split()[0]])}" for r in missing
        )
        raise JourneyFileError(
            f"no {' and no '.join(missing)} column; the columns are {_listing(header)}. "
            f"Expected one of the known names ({hints}), or name the columns in a mapping "
            "file (--mapping) or with EventLogColumns",
            file=file,
            line=1,
        )
    return found


# -- reports ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=True)
class UnmappedValue:
    """A value no rule of the mapping matched: how many events hold it, in how many cases."""

    role: str
    value: str
    events: int
    cases: int


@attrs.frozen(kw_only=True, slots=True)
class LogReport:
    """What reading a log did: format, encoding, columns, and every row a policy touched.

    ``ignored`` counts, per role, the rows whose value was not kept because the event
    cannot carry it: a ``cause`` or ``certainty`` on an event that is not a death, a
    ``legal_basis`` on one that is not an admission, treatment or support.
    """

    file: str | None
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    columns: Mapping[str, str] = attrs.field(factory=dict)
    rows: int = 0
    events: int = 0
    cases: int = 0
    skipped: Mapping[str, int] = attrs.field(factory=dict)
    unknown: Mapping[str, int] = attrs.field(factory=dict)
    unmapped: tuple[UnmappedValue, ...] = ()
    recorded_completely: frozenset[str] = frozenset()
    ignored: Mapping[str, int] = attrs.field(factory=dict)

    def lines(self) -> list[str]:
        """The report as short lines for people (what the CLI prints)."""
        name = self.file or "rows"
        head = f"read {name} as {self.format}"
        if self.encoding:
            head += f", {self.encoding}"
        if self.delimiter:
            head += f", delimiter {_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}"
        out = [head + f": {self.rows:,} rows, {self.events:,} events, {self.cases:,} cases"]
        cols = ", ".join(f"{role}={col!r}" for role, col in self.columns.items())
        out.append(f"  columns: {cols}")
        for role, n in self.skipped.items():
            out.append(f"  {n:,} rows skipped: {role} missing (policy skip)")
        for role, n in self.unknown.items():
            out.append(f"  {n:,} rows with {role} missing, kept as unknown (policy unknown)")
        for role, n in self.ignored.items():
            out.append(f"  {n:,} rows with a {role} on {_CARRIERS[role]}: not kept")
        for u in self.unmapped:
            out.append(
                f"  unmapped {u.role} {u.value!r:.60}: {u.events:,} events in {u.cases:,} cases"
            )
        return out


#: What may carry each role that only some events can (issue 12), as the report says it.
_CARRIERS: Final = {
    "cause": "an event that is not a death",
    "certainty": "an event that is not a death",
    "legal_basis": "an event that is not an admission, treatment or support",
}
_DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@attrs.frozen(kw_only=True, slots=True)
class LogRead:
    """Journeys read from a log, and the report of how."""

    journeys: list[Journey]
    report: LogReport


@attrs.frozen(kw_only=True, slots=True)
class CaseLimit:
    """Stop reading as soon as one case has more than ``events`` events.

    For a command that will use one case and refuse it when it is too large (drawing a
    journey map): the refusal comes while the log is streamed, at the row that crosses
    the limit, instead of after the whole log has been read and every journey built.
    With ``case``, only that case is counted; without, every case.
    """

    events: int
    case: str | None = None


class CaseTooLargeError(JourneyFileError):
    """A case has more events than a :class:`CaseLimit` allows; reading stopped there.

    ``case`` is the case id and ``limit`` the limit it crossed; the location (file, line
    or row) is the row that crossed it. Rows after it were not read, so errors in them
    are not reported.
    """

    def __init__(
        self,
        *,
        case: str,
        limit: int,
        file: str | None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(
            f"case {case!r:.60} has more than {limit:,} events; reading stopped here",
            file=file,
            line=line,
            path=path,
        )
        self.case = case
        self.limit = limit


# -- time --------------------------------------------------------------------------------------


def zone(name: str, *, fail: Callable[[str], Exception] | None = None) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Stockholm``), or a clear error."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        message = f"{name!r:.60} is not a time zone; expected an IANA name such as Europe/Stockholm"
        raise (fail(message) if fail else JourneyFileError(message)) from None


_TS_RE: Final = re.compile(
    r"(\d{4})([-/])(\d{2})\2(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_DAY_MONTH_RE: Final = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(\D.*)?")
_TIME_DIRECTIVES: Final = ("%H", "%I", "%M", "%S", "%X", "%c", "%T", "%R", "%p")


class _Clock:
    """Turns timestamp cells into local naive dates/datetimes, and checks zone mixing."""

    def __init__(self, tz: zoneinfo.ZoneInfo, fmt: str | None) -> None:
        self.tz = tz
        self.fmt = fmt
        self.fmt_has_time = fmt is not None and any(d in fmt for d in _TIME_DIRECTIVES)
        self.offsets: dict[str, dt.tzinfo] = {}
        self.zoned: tuple[int, str] | None = None
        self.naive: tuple[int, str] | None = None

    def _mark(self, zoned: bool, where: _Where, text: str, column: str) -> None:
        if zoned:
            if self.zoned is None:
                self.zoned = (where.line, text)
        elif self.naive is None:
            self.naive = (where.line, text)
        if self.zoned is not None and self.naive is not None:
            (zl, zt), (nl, nt) = self.zoned, self.naive
            unit = where.unit
            raise where.error(
                f"the log mixes time stamps with and without a time zone: {unit} {zl} has "
                f"{zt!r:.40} (with an offset) and {unit} {nl} has {nt!r:.40} (without); the "
                "order of such events cannot be known. Give every time stamp an offset, or none",
                column,
            )

    def local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(self.tz).replace(tzinfo=None)

    def parse(self, value: Any, where: _Where, column: str) -> dt.date:
        if type(value) is str:
            return self._text(value, where, column)
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                self._mark(True, where, value.isoformat(), column)
                return _in_range(self.local(value), where, column)
            self._mark(False, where, value.isoformat(), column)
            return _in_range(value, where, column)
        if isinstance(value, dt.date):
            return _in_range(value, where, column)
        if not isinstance(value, str):
            raise where.error(f"expected a time stamp, got {type(value).__name__}", column)
        return self._text(value, where, column)

    def _text(self, text: str, where: _Where, column: str) -> dt.date:
        if self.fmt is not None:
            return self._formatted(text, where, column)
        m = _TS_RE.fullmatch(text)
        if m is None:
            if _DAY_MONTH_RE.fullmatch(text):
                raise where.error(
                    f"{text!r:.40} is ambiguous: careflow does not guess whether the day or the "
                    "month comes first; give the format with --timestamp-format (or "
                    "timestamp_format in the mapping), e.g. %d/%m/%Y %H:%M",
                    column,
                )
            raise where.error(
                f"{text!r:.40} is not a date; expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]] "
                "(an offset such as +01:00 or Z is converted to the analysis time zone) or "
                "YYYY/MM/DD HH:MM:SS[.fff]; for other forms give --timestamp-format",
                column,
            )
        y, _sep, mo, d, h, mi, s, frac, off = m.groups()
        year = int(y)
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise where.error(
                f"{text!r:.40} has the year {year}; expected a year from {_MIN_YEAR} to "
                f"{_MAX_YEAR}",
                column,
            )
        try:
            if h is None:
                return dt.date(year, int(mo), int(d))
            micro = int((frac or "0")[:6].ljust(6, "0"))
            stamp = dt.datetime(year, int(mo), int(d), int(h), int(mi), int(s or 0), micro)
        except ValueError as exc:
            raise where.error(f"{text!r:.40} is not a real date or time ({exc})", column) from None
        if off is None:
            if self.naive is None or self.zoned is not None:
                self._mark(False, where, text, column)
            return stamp
        if self.zoned is None or self.naive is not None:
            self._mark(True, where, text, column)
        tzinfo = self.offsets.get(off)
        if tzinfo is None:
            if off == "Z":
                tzinfo = dt.UTC
            else:
                sign = -1 if off[0] == "-" else 1
                digits = off[1:].replace(":", "")
                hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
                if hours > 23 or minutes > 59:
                    raise where.error(f"{text!r:.40} has an impossible offset {off}", column)
                tzinfo = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
            self.offsets[off] = tzinfo
        return _in_range(self.local(stamp.replace(tzinfo=tzinfo)), where, column)

    def _formatted(self, text: str, where: _Where, column: str) -> dt.date:
        assert self.fmt is not None
        try:
            stamp = dt.datetime.strptime(text, self.fmt)
        except ValueError:
            raise where.error(
                f"{text!r:.40} does not have the timestamp format {self.fmt!r}", column
            ) from None
        if stamp.tzinfo is not None:
            self._mark(True, where, text, column)
            return _in_range(self.local(stamp), where, column)
        if not self.fmt_has_time:
            return _in_range(stamp.date(), where, column)
        self._mark(False, where, text, column)
        return _in_range(stamp, where, column)


def _in_range(value: dt.date, where: _Where, column: str) -> dt.date:
    if not _MIN_YEAR <= value.year <= _MAX_YEAR:
        raise where.error(
            f"{value.isoformat()} has the year {value.year}; expected a year from {_MIN_YEAR} "
            f"to {_MAX_YEAR}",
            column,
        )
    return value


# -- public entry points -----------------------------------------------------------------------


def _path_name(path: Any, function: str) -> str:
    """The text of ``path``; TypeError (a programming error) when it is not a text path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{function} expects a path (str or os.PathLike), not {type(path).__name__}"
        )
    name = os.fspath(path)
    if not isinstance(name, str):
        raise TypeError(f"{function} expects a text path, not {type(name).__name__}")
    return name


def read_event_log(
    path: str | os.PathLike[str],
    *,
    columns: EventLogColumns | None = None,
    mapping: LogMapping | None = None,
    timezone: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    max_bytes: int = MAX_LOG_BYTES,
    max_rows: int = MAX_LOG_ROWS,
) -> list[Journey]:
    """Read an event log into one journey per case, sorted by case id.

    Parameters
    ----------
    path
        A CSV file (``.csv``, ``.tsv``: delimiter, encoding and header names found by
        themselves), a Parquet file (``.parquet``, ``.pq``; needs the ``parquet`` extra),
        an XES file (``.xes``, ``.xes.gz``), or ``-`` for standard input (CSV, with
        ``input_format="csv"``).
    columns
        Column names where they differ from the known ones.
    mapping
        A mapping file's content (:func:`careflow.io.mapping.load_mapping`): columns,
        value maps, missing-value policies, time zone, thresholds.
    timezone
        The analysis time zone (default the mapping's, else ``Europe/Stockholm``): time
        stamps with an offset are converted to it.
    timestamp_format
        A :func:`~datetime.datetime.strptime` format for time stamps in another form.
    encoding
        Read the CSV in this encoding instead of detecting UTF-8 or Windows-1252.
    input_format
        ``csv``, ``parquet`` or ``xes`` when the suffix does not say (needed for ``-``).
    max_bytes, max_rows
        Limits that turn a runaway file into a clear error instead of a hang, checked
        while reading.

    Raises
    ------
    JourneyFileError
        Naming the file, the line (CSV), row (Parquet) or event (XES) and the column, and
        what was expected.
    TypeError
        ``path`` is not a text path (``str`` or :class:`os.PathLike`): a programming error,
        not bad data.
    """
    return read_event_log_report(
        _path_name(path, "read_event_log"),
        columns=columns,
        mapping=mapping,
        timezone=timezone,
        timestamp_format=timestamp_format,
        encoding=encoding,
        input_format=input_format,
        max_bytes=max_bytes,
        max_rows=max_rows,
    ).journeys


def log_format(name: str, input_format: str | None = None) -> str | None:
    """``csv``, ``parquet`` or ``xes`` for a log's name (or the given format); else None."""
    if input_format is not None:
        return input_format if input_format in {"csv", "parquet", "xes"} else None
    lower = name.lower()
    if lower.endswith(".xes.gz") or lower.endswith(".xes"):
        return "xes"
    suffix = Path(lower).suffix
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    return None


def read_event_log_report(
    path: str | os.PathLike[str],
    *,
    columns: EventLogColumns | None = None,
    mapping: LogMapping | None = None,
    timezone: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    max_bytes: int = MAX_LOG_BYTES,
    max_rows: int = MAX_LOG_ROWS,
    case_limit: CaseLimit | None = None,
) -> LogRead:
    """Like :func:`read_event_log`, and also report how the log was read.

    With ``case_limit``, reading stops with :class:`CaseTooLargeError` at the first row
    that gives a case (or the named case) more events than the limit.
    """
    source = _open_source(
        _path_name(path, "read_event_log_report"),
        mapping=mapping,
        encoding=encoding,
        input_format=input_format,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )
    try:
        builder = _Builder(
            source,
            columns=columns,
            mapping=mapping,
            timezone=timezone,
            timestamp_format=timestamp_format,
            case_limit=case_limit,
        )
        return builder.run()
    finally:
        source.close()


def journeys_from_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: EventLogColumns | None = None,
    mapping: LogMapping | None = None,
    source: str | None = None,
    timezone: str | None = None,
    timestamp_format: str | None = None,
    max_rows: int = MAX_LOG_ROWS,
) -> list[Journey]:
    """Build journeys from rows already in memory (e.g. ``DataFrame.to_dict("records")``).

    Values may be text, numbers, ``None``/NaN/pandas ``NA`` (missing), or for the time
    stamp :class:`datetime.date` or :class:`datetime.datetime` (an aware one is converted
    to the analysis time zone). The header is the keys of the first row; a key missing
    from a later row is a missing value. Errors name ``source`` and the row number (from
    1).

    Raises
    ------
    JourneyFileError
        For any row that cannot be read, including a row that is not a mapping.
    TypeError
        ``rows`` is not an iterable of rows: a number, ``None``, a text, a single mapping
        or a DataFrame itself (pass ``df.to_dict("records")``). A programming error, not
        bad data.
    """
    if (
        isinstance(rows, (str, bytes, bytearray, Mapping))
        or not isinstance(rows, Iterable)
        or hasattr(rows, "to_dict")
    ):
        hint = ""
        if hasattr(rows, "to_dict"):
            hint = '; for a DataFrame pass df.to_dict("records")'
        elif isinstance(rows, Mapping):
            hint = "; for one row pass [row]"
        raise TypeError(
            "journeys_from_rows expects an iterable of rows, each a mapping from column to "
            f"value, not {type(rows).__name__}{hint}"
        )
    materialised: list[Mapping[str, Any]] = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise JourneyFileError(
                f"row {i} is a {type(row).__name__}; expected a mapping from column to value",
                file=source,
            )
        if i > max_rows:
            raise JourneyFileError(
                f"more than {max_rows:,} rows; split them or raise {_ROW_LIMIT}", file=source
            )
        materialised.append(row)
    header: list[str] = [str(k) for k in materialised[0]] if materialised else []

    def numbered() -> Iterator[tuple[int, Sequence[Any]]]:
        for i, row in enumerate(materialised, start=1):
            yield i, [row.get(h) for h in header]

    src = _Source(
        file=source, format="rows", header=header, rows=numbered(), unit="row", check_cells=True
    )
    return (
        _Builder(
            src,
            columns=columns,
            mapping=mapping,
            timezone=timezone,
            timestamp_format=timestamp_format,
        )
        .run()
        .journeys
    )


# -- sources -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=True)
class _Source:
    file: str | None
    format: str
    header: list[str]
    rows: Iterator[tuple[int, Sequence[Any]]]
    unit: str = "line"
    encoding: str | None = None
    delimiter: str | None = None
    check_cells: bool = False
    close: Callable[[], None] = lambda: None


def _open_source(
    path: str | os.PathLike[str],
    *,
    mapping: LogMapping | None,
    encoding: str | None,
    input_format: str | None,
    max_bytes: int,
    max_rows: int,
) -> _Source:
    name = os.fspath(path)
    fmt = log_format(name, input_format)
    if fmt is None:
        raise JourneyFileError(
            "careflow reads event logs as CSV (.csv, .tsv), Parquet (.parquet, .pq) and XES "
            "(.xes, .xes.gz), and journeys as YAML or JSON (.yaml, .yml, .json); this name "
            "has none of those suffixes"
            + (" (for standard input, say which with --input-format)" if name == "-" else ""),
            file=name,
        )
    opener: Callable[[], IO[bytes]]
    if name == "-" and fmt == "parquet":
        raise JourneyFileError(
            "Parquet cannot be read from standard input; name the file", file=name
        )
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise JourneyFileError(
                f"standard input has more than {max_bytes:,} bytes; split it or raise max_bytes",
                file=name,
            )

        def opener() -> IO[bytes]:
            return io.BytesIO(data)

    else:

        def opener() -> IO[bytes]:
            try:
                return open(name, "rb")
            except FileNotFoundError:
                raise JourneyFileError("no such file", file=name) from None
            except IsADirectoryError:
                raise JourneyFileError(
                    "this is a folder; expected an event log", file=name
                ) from None
            except OSError as exc:
                raise JourneyFileError(
                    f"cannot read the file ({exc.strerror or exc})", file=name
                ) from None

    if fmt == "parquet":
        return _parquet_source(name, max_bytes=max_bytes, max_rows=max_rows)
    if fmt == "xes":
        from careflow.io._xes import xes_rows  # noqa: PLC0415 - defusedxml loaded on use

        with opener() as fh:
            keys, dict_rows = xes_rows(
                fh,
                file=name,
                compressed=name.lower().endswith(".gz"),
                max_bytes=max_bytes,
                max_rows=max_rows,
            )

        def numbered() -> Iterator[tuple[int, Sequence[Any]]]:
            for i, row in enumerate(dict_rows, start=1):
                yield i, [row.get(k) for k in keys]

        return _Source(file=name, format="XES", header=keys, rows=numbered(), unit="event")
    forced = encoding or (mapping.encoding if mapping else None)
    return _csv_source(opener, name, encoding=forced, max_bytes=max_bytes, max_rows=max_rows)


_UTF8_BOM: Final = codecs.BOM_UTF8


def _line_of(opener: Callable[[], IO[bytes]], offset: int) -> int:
    """The 1-based line holding byte ``offset``."""
    lines, seen = 1, 0
    with opener() as fh:
        while seen < offset:
            chunk = fh.read(min(1 << 20, offset - seen))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            seen += len(chunk)
    return lines


def _detect_encoding(
    opener: Callable[[], IO[bytes]], file: str, *, forced: str | None, max_bytes: int
) -> tuple[str, str]:
    """Scan the bytes once (size, NUL, UTF-8 validity); return (codec, what to report)."""
    if forced is not None:
        try:
            codecs.lookup(forced)
        except LookupError:
            raise JourneyFileError(
                f"{forced!r:.40} is not an encoding Python knows; e.g. utf-8, cp1252, latin-1",
                file=file,
            ) from None
    decoder = codecs.getincrementaldecoder("utf-8")()
    total, bad_at, start = 0, -1, b""
    with opener() as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            if not start:
                start = chunk[:3]
            if total + len(chunk) > max_bytes:
                raise JourneyFileError(
                    f"the event log is more than the limit of {max_bytes:,} bytes; split it or "
                    "raise max_bytes",
                    file=file,
                )
            if b"\x00" in chunk:
                raise JourneyFileError(
                    "this is a binary file, not text; expected a CSV event log with a header "
                    "row (or a .parquet or .xes file)",
                    file=file,
                )
            if bad_at < 0 and forced is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad_at = total + exc.start
            total += len(chunk)
        if bad_at < 0 and forced is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad_at = total - 1
    if total == 0:
        raise JourneyFileError("the event log is empty; expected a header row", file=file)
    if forced is not None:
        return forced, f"{forced} (as told)"
    if bad_at < 0:
        return ("utf-8-sig", "UTF-8 with BOM") if start == _UTF8_BOM else ("utf-8", "UTF-8")
    line = _line_of(opener, bad_at)
    cp = codecs.getincrementaldecoder("cp1252")()
    seen = 0
    with opener() as fh:
        while chunk := fh.read(1 << 20):
            try:
                cp.decode(chunk)
            except UnicodeDecodeError as exc:
                raise JourneyFileError(
                    f"the file is neither UTF-8 (byte {bad_at} is not) nor Windows-1252 (byte "
                    f"{seen + exc.start} is not); save it as UTF-8, or name its encoding with "
                    "--encoding",
                    file=file,
                    line=line,
                ) from None
            seen += len(chunk)
    return "cp1252", f"Windows-1252 (not UTF-8: byte {bad_at} on line {line})"


def _sniff(sample: str) -> str:
    """The delimiter among , ; tab | that splits the first lines most, consistently."""
    best, best_n = ",", 1
    lines = sample.splitlines(keepends=True)
    if len(sample) >= 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    text = "".join(lines[:100])
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        n = len(rows[0])
        rest = rows[1:]
        if n < 2 or (rest and sum(len(r) == n for r in rest) < 0.8 * len(rest)):
            continue
        if n > best_n:
            best, best_n = delimiter, n
    return best


def _csv_source(  # noqa: PLR0915
    opener: Callable[[], IO[bytes]],
    file: str,
    *,
    encoding: str | None,
    max_bytes: int,
    max_rows: int,
) -> _Source:
    codec, label = _detect_encoding(opener, file, forced=encoding, max_bytes=max_bytes)
    with io.TextIOWrapper(opener(), encoding=codec, newline="") as fh:
        try:
            sample = fh.read(65536)
        except (UnicodeDecodeError, LookupError) as exc:
            raise JourneyFileError(
                f"cannot decode the file as {codec} ({exc})", file=file
            ) from None
    if not sample.strip():
        raise JourneyFileError("the event log is empty; expected a header row", file=file)
    delimiter = _sniff(sample)
    fh = io.TextIOWrapper(opener(), encoding=codec, newline="")
    reader = csv.reader(fh, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        fh.close()
        raise JourneyFileError(f"the header is not valid CSV ({exc})", file=file, line=1) from None
    except UnicodeDecodeError as exc:
        fh.close()
        raise JourneyFileError(f"cannot decode the file as {codec} ({exc})", file=file) from None
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        fh.close()
        raise JourneyFileError(
            f"the header names {_listing(dupes)} more than once", file=file, line=1
        )

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        count = blanks = 0
        width = len(header)
        line = reader.line_num + 1
        with fh:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise JourneyFileError(
                        f"not valid CSV ({exc})", file=file, line=reader.line_num
                    ) from None
                except UnicodeDecodeError as exc:
                    raise JourneyFileError(
                        f"cannot decode the file as {codec} ({exc})", file=file, line=line
                    ) from None
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    blanks += 1
                    if blanks > max_rows:
                        raise JourneyFileError(
                            f"the event log has more than {max_rows:,} blank lines; it is not "
                            f"an event log, or raise {_ROW_LIMIT}",
                            file=file,
                            line=reader.line_num,
                        )
                    line = reader.line_num + 1
                    continue
                count += 1
                if count > max_rows:
                    raise JourneyFileError(
                        f"the event log has more than {max_rows:,} rows; split it or raise "
                        f"{_ROW_LIMIT}",
                        file=file,
                        line=line,
                    )
                if len(cells) != width:
                    raise JourneyFileError(
                        f"the row has {len(cells)} cells; expected {width}, one per column "
                        f"of the header (the delimiter is "
                        f"{_DELIMITER_NAMES.get(delimiter, delimiter)})",
                        file=file,
                        line=line,
                    )
                yield line, cells
                line = reader.line_num + 1

    return _Source(
        file=file,
        format="CSV",
        header=header,
        rows=rows(),
        encoding=label,
        delimiter=delimiter,
        close=fh.close,
    )


def _parquet_source(file: str, *, max_bytes: int, max_rows: int) -> _Source:
    try:
        import pyarrow as pa  # noqa: PLC0415 - an optional extra, loaded on use
        import pyarrow.compute as pc  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:
        raise JourneyFileError(
            "reading Parquet needs pyarrow; install it with: pip install 'careflow[parquet]' "
            "(or convert the log to CSV)",
            file=file,
        ) from None
    try:
        handle = pq.ParquetFile(file)
        meta = handle.metadata
        rows_total = meta.num_rows
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        header = [str(n) for n in handle.schema_arrow.names]
    except FileNotFoundError:
        raise JourneyFileError("no such file", file=file) from None
    except OSError as exc:
        raise JourneyFileError(f"cannot read the file ({str(exc)[:200]})", file=file) from None
    except (pa.ArrowException, ValueError, TypeError, IndexError) as exc:
        raise JourneyFileError(
            f"not a readable Parquet file ({type(exc).__name__}: {str(exc)[:200]})", file=file
        ) from None
    if rows_total > max_rows:
        raise JourneyFileError(
            f"the event log has {rows_total:,} rows, more than {max_rows:,}; split it or "
            f"raise {_ROW_LIMIT}",
            file=file,
        )
    if size > max_bytes:
        raise JourneyFileError(
            f"the event log holds {size:,} bytes when decompressed, more than the limit of "
            f"{max_bytes:,}; split it or raise max_bytes",
            file=file,
        )
    if len(set(header)) != len(header):
        raise JourneyFileError("the file names a column more than once", file=file)

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        n = 0
        seen_bytes = 0
        try:
            for batch in handle.iter_batches(batch_size=65536):
                seen_bytes += batch.nbytes
                if seen_bytes > max_bytes or n + batch.num_rows > max_rows:
                    raise JourneyFileError(
                        "the event log holds more rows or bytes than the limits when "
                        "decompressed (more than its metadata says); refused",
                        file=file,
                    )
                columns = []
                for column in batch.columns:
                    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                        longest = pc.max(pc.utf8_length(column)).as_py()
                        if longest is not None and longest > MAX_CELL_CHARS:
                            raise JourneyFileError(
                                f"a cell holds {longest:,} characters, more than "
                                f"{MAX_CELL_CHARS:,}; refused",
                                file=file,
                            )
                    columns.append(column.to_pylist())
                for values in zip(*columns, strict=True):
                    n += 1
                    yield n, values
        except JourneyFileError:
            raise
        except (pa.ArrowException, ValueError, OverflowError, OSError) as exc:
            raise JourneyFileError(
                f"not a readable Parquet file ({type(exc).__name__}: {str(exc)[:200]})",
                file=file,
                path=f"row {n + 1}",
            ) from None

    return _Source(file=file, format="Parquet", header=header, rows=rows(), unit="row")


# -- from rows to journeys -----------------------------------------------------------------


@attrs.frozen(slots=True)
class _Where:
    file: str | None
    line: int
    unit: str

    def error(self, message: str, column: str) -> JourneyFileError:
        if self.unit == "line":
            return JourneyFileError(message, file=self.file, line=self.line, path=column)
        return JourneyFileError(message, file=self.file, path=f"{self.unit} {self.line}, {column}")


@attrs.frozen(slots=True)
class _Row:
    """One parsed row: its sort key, where it came from, and the event's raw parts."""

    key: tuple[Any, ...]
    line: int
    when: dt.date
    kind: EventKind
    unit: str
    principal: Principal
    service: ServiceKind
    channel: Channel | None
    activity: str
    need: str | None
    cause: DeathCause | None = None
    certainty: Certainty | None = None
    legal_basis: LegalBasis | None = None


class _SkipRowError(Exception):
    """The row is left out under a ``skip`` policy."""


class _Builder:
    """Parses rows with the columns, mapping and clock of one log, and builds journeys."""

    def __init__(
        self,
        source: _Source,
        *,
        columns: EventLogColumns | None,
        mapping: LogMapping | None,
        timezone: str | None,
        timestamp_format: str | None,
        case_limit: CaseLimit | None = None,
    ) -> None:
        self.source = source
        self.case_limit = case_limit
        self.file = source.file
        self.mapping = mapping
        tz_name = timezone or (mapping.timezone if mapping else None) or DEFAULT_TIMEZONE
        fmt = timestamp_format or (mapping.timestamp_format if mapping else None)
        self.clock = _Clock(zone(tz_name, fail=lambda m: JourneyFileError(m, file=self.file)), fmt)
        if not source.header:
            raise JourneyFileError("the event log has no rows", file=self.file)
        self.cols = _resolve(source.header, columns, mapping, file=self.file)
        self.names = {role: source.header[i] for role, i in self.cols.items()}
        self.others = [i for i in range(len(source.header)) if i not in self.cols.values()]
        self.missing = MISSING_TEXT | (mapping.missing_values if mapping else frozenset())
        self.missing_len = max(len(m) for m in self.missing)
        self.policy = {
            role: (mapping.policy(role) if mapping else LogMapping().policy(role)) for role in ROLES
        }
        self.skipped: dict[str, int] = {}
        self.unknown: dict[str, int] = {}
        self.unmapped: dict[str, dict[str, list[Any]]] = {}
        self.unit_cache: dict[str, tuple[Principal | None, ServiceKind | None]] = {}
        self.value_cache: dict[str, dict[str, Any]] = {
            "principal": {},
            "activity": {},
            "channel": {},
            "kind": {},
            "diagnosis": {},
            "cause": {},
            "certainty": {},
            "legal_basis": {},
        }
        self.ignored: dict[str, int] = {}
        death = frozenset({EventKind.DEATH})
        self.attribute_roles: tuple[tuple[str, frozenset[EventKind], Sequence[Any], _Builtin], ...]
        m = mapping or LogMapping()
        self.none_is_voluntary = "none" not in m.missing_values
        self.missing_but_none = self.missing - {"none"}
        self.attribute_roles = (
            ("cause", death, m.causes, _CAUSES),
            ("certainty", death, m.certainties, _CERTAINTIES),
            ("legal_basis", LEGAL_BASIS_KINDS, m.legal_bases, _LEGAL_BASES),
        )
        self.diagnoses: tuple[DiagnosisRule, ...] = (
            (mapping.diagnoses or DEFAULT_DIAGNOSES) if mapping else DEFAULT_DIAGNOSES
        )
        self.stay = (
            dt.timedelta(hours=mapping.same_stay_hours)
            if mapping and mapping.same_stay_hours is not None
            else None
        )
        self.rows_read = 0
        self.report_units = bool(mapping and mapping.units)

    # -- cells ------------------------------------------------------------------------------

    def cell(self, value: Any, where: _Where, column: str, *, tokens: bool = True) -> str | None:
        """The text of a cell, or None when it is missing (``tokens``: ``NA`` etc. too)."""
        if type(value) is str and not self.source.check_cells:  # the hot path: CSV, XES
            text = value.strip()
            if not text or (
                tokens and len(text) <= self.missing_len and text.casefold() in self.missing
            ):
                return None
            return text
        if value is None:
            return None
        if isinstance(value, str):
            text = value.strip()
        elif isinstance(value, float):
            if math.isnan(value):
                return None
            if math.isinf(value):
                raise where.error(f"{value} is not a finite number; expected a value", column)
            text = repr(value) if not value.is_integer() else str(value)
        elif isinstance(value, bool):
            text = str(value)
        elif isinstance(value, int):
            if value.bit_length() > 256:
                raise where.error("the number has too many digits; expected a value", column)
            text = str(value)
        elif type(value).__name__ in {"NAType", "NaTType"}:
            return None
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            raise where.error(f"expected text, got {type(value).__name__}", column)
        if not text or (
            tokens and len(text) <= self.missing_len and text.casefold() in self.missing
        ):
            return None
        if self.source.check_cells:
            if len(text) > MAX_CELL_CHARS:
                raise where.error(
                    f"the cell holds {len(text):,} characters, more than {MAX_CELL_CHARS:,}",
                    column,
                )
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise where.error(
                    f"the text holds a lone surrogate (character {exc.start + 1}), which is not "
                    "text any file can hold; expected valid Unicode",
                    column,
                ) from None
        return text

    def absent(self, role: str, where: _Where) -> None:
        """Apply the policy for a missing ``role``: raise, skip, or count as unknown."""
        policy = self.policy[role]
        column = self.names.get(role, role)
        if policy is MissingPolicy.ERROR:
            raise where.error(
                f"the cell is empty or missing; expected a value (the {role} policy is error; "
                "a mapping can say skip or unknown)",
                column,
            )
        if policy is MissingPolicy.SKIP:
            self.skipped[role] = self.skipped.get(role, 0) + 1
            raise _SkipRowError
        self.unknown[role] = self.unknown.get(role, 0) + 1

    def note_unmapped(self, role: str, value: str, case: str) -> None:
        entry = self.unmapped.setdefault(role, {}).setdefault(value, [0, set()])
        entry[0] += 1
        entry[1].add(case)

    def find(self, role: str, text: str, rules: Sequence[Any], builtin: Mapping[str, Any]) -> Any:
        """The value ``text`` has for ``role``, or ``_NOT_FOUND``.

        The first matching rule wins, else the built-in words; nothing is noted.
        """
        cache = self.value_cache[role]
        found = cache.get(text, _NOT_FOUND)
        if found is _NOT_FOUND:
            stripped = text.strip()
            found = next((r.value for r in rules if r.matches(stripped)), _NOT_FOUND)
            if found is _NOT_FOUND:
                found = builtin.get(stripped.casefold(), _NOT_FOUND)
            cache[text] = found
        return found

    def unknown_value(
        self, role: str, text: str, builtin: Mapping[str, Any], where: _Where, what: str
    ) -> JourneyFileError:
        """The error for a value careflow does not know when no mapping is given."""
        known = ", ".join(sorted(k for k in builtin if k))
        return where.error(
            f"{text!r:.60} is not a {what}; expected one of {known}, or map it in a mapping file",
            self.names[role],
        )

    def lookup(  # noqa: PLR0917 - one call site per role, each spelled out
        self,
        role: str,
        text: str,
        rules: Sequence[Any],
        builtin: Mapping[str, Any],
        where: _Where,
        case: str,
        what: str,
    ) -> Any:
        found = self.find(role, text, rules, builtin)
        if found is _NOT_FOUND:
            if self.mapping is None:
                raise self.unknown_value(role, text, builtin, where, what)
            self.note_unmapped(role, text, case)
            return None
        return found

    def unit_rule(self, text: str) -> tuple[Principal | None, ServiceKind | None]:
        """The principal and service the mapping's first matching unit rule gives."""
        cached = self.unit_cache.get(text)
        if cached is None:
            rule = next(
                (r for r in (self.mapping.units if self.mapping else ()) if r.matches(text)),
                None,
            )
            cached = (rule.principal, rule.service) if rule else (None, None)
            self.unit_cache[text] = cached
        return cached

    def unit_of(self, text: str, case: str) -> tuple[Principal | None, ServiceKind | None]:
        cached = self.unit_rule(text)
        if self.report_units and cached[0] is None and cached[1] is None:
            self.note_unmapped("unit", text, case)
        return cached

    def activity_kind(self, activity: str) -> EventKind | None:
        """The kind an activity names: by the mapping's rules, else by a kind's name."""
        cache = self.value_cache["activity"]
        found = cache.get(activity, _NOT_FOUND)
        if found is _NOT_FOUND:
            rules = self.mapping.activities if self.mapping else ()
            found = next((r.value for r in rules if r.matches(activity)), None)
            if found is None:
                found = _KINDS.get(activity.casefold())
            cache[activity] = found
        kind: EventKind | None = found
        return kind

    def kind_of(self, activity: str, case: str) -> EventKind | None:
        """:meth:`activity_kind`, noting the activity as unmapped when rules do not say."""
        kind = self.activity_kind(activity)
        if kind is None and self.mapping is not None and self.mapping.activities:
            self.note_unmapped("activity", activity, case)
        return kind

    def diagnosis_need(self, text: str) -> str | None:
        """The need a diagnosis code names by the diagnosis rules, or None."""
        cache = self.value_cache["diagnosis"]
        if text not in cache:
            code = normalise_code(text)
            cache[text] = next((r.need for r in self.diagnoses if r.matches(code)), None)
        need: str | None = cache[text]
        return need

    def need_of(self, text: str, case: str) -> str | None:
        need = self.diagnosis_need(text)
        if need is None and self.mapping is not None and self.mapping.diagnoses:
            self.note_unmapped("diagnosis", text, case)
        return need

    # -- rows -------------------------------------------------------------------------------

    def parse(self, line: int, cells: Sequence[Any]) -> tuple[str, _Row] | None:  # noqa: PLR0915
        where = _Where(self.file, line, self.source.unit)
        cols, names, mapping = self.cols, self.names, self.mapping
        try:
            case = self.cell(cells[cols["case"]], where, names["case"], tokens=False)
            if case is None:
                self.absent("case", where)
                return None
            raw_when = cells[cols["timestamp"]]
            when_text = (
                raw_when
                if isinstance(raw_when, dt.date)
                else self.cell(raw_when, where, names["timestamp"])
            )
            if when_text is None:
                self.absent("timestamp", where)
                return None
            when = self.clock.parse(when_text, where, names["timestamp"])
            activity = ""
            if "activity" in cols:
                text = self.cell(cells[cols["activity"]], where, names["activity"])
                if text is None:
                    self.absent("activity", where)
                else:
                    activity = text
            if "unit" in cols:
                unit_text = self.cell(cells[cols["unit"]], where, names["unit"])
                if unit_text is None:
                    self.absent("unit", where)
                    unit_text = UNKNOWN_UNIT
            elif activity:
                unit_text = activity
            else:
                self.absent("activity", where)
                unit_text = UNKNOWN_UNIT
            rule_principal, service = self.unit_of(unit_text, case)
            principal = rule_principal or Principal.OTHER
            if "principal" in cols and rule_principal is None:
                text = self.cell(cells[cols["principal"]], where, names["principal"])
                if text is None:
                    self.absent("principal", where)
                else:
                    found = self.lookup(
                        "principal",
                        text,
                        mapping.principals if mapping else (),
                        _PRINCIPALS,
                        where,
                        case,
                        "principal",
                    )
                    principal = found or Principal.OTHER
            channel_text = ""
            channel: Channel | None = None
            if "channel" in cols:
                text = self.cell(cells[cols["channel"]], where, names["channel"])
                if text is None:
                    self.absent("channel", where)
                else:
                    channel_text = text
                    channel = self.lookup(
                        "channel",
                        text,
                        mapping.contact_types if mapping else (),
                        _CHANNELS,
                        where,
                        case,
                        "contact type",
                    )
            kind: EventKind | None = None
            if "kind" in cols:
                text = self.cell(cells[cols["kind"]], where, names["kind"])
                if text is None:
                    self.absent("kind", where)
                else:
                    kind = self.lookup("kind", text, (), _KINDS, where, case, "kind of event")
            elif activity:
                kind = self.kind_of(activity, case)
            if kind is None:
                kind = EventKind.CONTACT
            need = None
            if "diagnosis" in cols:
                text = self.cell(cells[cols["diagnosis"]], where, names["diagnosis"])
                if text is None:
                    self.absent("diagnosis", where)
                else:
                    need = self.need_of(text, case)
            (cause, certainty, legal_basis), texts = self.attributes(cells, where, case, kind)
        except _SkipRowError:
            return None
        rest = tuple("" if cells[i] is None else str(cells[i]) for i in self.others)
        # order_time: as timestamp_of, but a death known by date only sorts last on its day
        key = (
            order_time(when, kind),
            KIND_RANK[kind],
            activity,
            unit_text,
            channel_text,
            texts,
            rest,
        )
        return case, _Row(
            key,
            line,
            when,
            kind,
            unit_text,
            principal,
            service or ServiceKind.OTHER,
            channel,
            activity,
            need,
            cause,
            certainty,
            legal_basis,
        )

    def attributes(
        self, cells: Sequence[Any], where: _Where, case: str, kind: EventKind
    ) -> tuple[tuple[Any, ...], tuple[str, ...]]:
        """A death's cause and certainty and an episode's legal basis, and their cells' text.

        Read only on events that can carry them; a value on any other event is not kept,
        and counted in the report's ``ignored``. A missing value follows the role's policy
        only where the event can carry it (most rows of a log leave these cells empty). A
        legal basis ``none`` (voluntary) is a value, not a missing one, unless the mapping
        lists ``none`` among its missing values.
        """
        values: list[Any] = []
        texts: list[str] = []
        for role, carriers, rules, builtin in self.attribute_roles:
            value: Any = None
            text: str | None = None
            if role in self.cols:
                tokens = role != "legal_basis" or not self.none_is_voluntary
                text = self.cell(cells[self.cols[role]], where, self.names[role], tokens=tokens)
                if not tokens and text is not None and text.casefold() in self.missing_but_none:
                    text = None
                if kind not in carriers:
                    if text is not None:
                        self.ignored[role] = self.ignored.get(role, 0) + 1
                elif text is None:
                    self.absent(role, where)
                else:
                    value = self.lookup(role, text, rules, builtin, where, case, builtin.hint)
            values.append(value)
            texts.append(text or "")
        return tuple(values), tuple(texts)

    def run(self) -> LogRead:
        cases: dict[str, list[_Row]] = {}
        errors: list[JourneyFileError] = []
        limit = self.case_limit
        most = limit.events if limit is not None else -1
        only = limit.case if limit is not None else None
        too_large: tuple[str, int] | None = None
        try:
            for line, cells in self.source.rows:
                self.rows_read += 1
                try:
                    parsed = self.parse(line, cells)
                except JourneyFileError as exc:  # go on: report every bad row, up to the limit
                    errors.append(exc)
                    if len(errors) >= MAX_ERRORS:
                        break
                    continue
                if parsed is not None:
                    rows = cases.setdefault(parsed[0], [])
                    rows.append(parsed[1])
                    if len(rows) == most + 1 and (only is None or only == parsed[0]):
                        too_large = (parsed[0], line)
                        break
        except JourneyFileError as exc:  # the file itself stops being readable here
            errors.append(exc)
        if too_large is not None:
            case, line = too_large
            by_line = self.source.unit == "line"
            raise CaseTooLargeError(
                case=case,
                limit=most,
                file=self.file,
                line=line if by_line else None,
                path=None if by_line else f"{self.source.unit} {line}",
            )
        if errors:
            first, *rest = errors
            first.more = tuple(rest)
            raise first
        if not cases:
            if self.rows_read:
                raise JourneyFileError(
                    "every row of the event log was skipped (see the missing-value policies)",
                    file=self.file,
                )
            raise JourneyFileError("the event log has a header but no rows", file=self.file)
        journeys = [self.journey(case, cases[case]) for case in sorted(cases)]
        unmapped = tuple(
            UnmappedValue(role=role, value=value, events=entry[0], cases=len(entry[1]))
            for role in ROLES
            for value, entry in sorted(
                self.unmapped.get(role, {}).items(), key=lambda kv: (-kv[1][0], kv[0])
            )
        )
        report = LogReport(
            file=self.file,
            format=self.source.format,
            encoding=self.source.encoding,
            delimiter=self.source.delimiter,
            columns=dict(self.names),
            rows=self.rows_read,
            events=sum(len(j.events) for j in journeys),
            cases=len(journeys),
            skipped=dict(self.skipped),
            unknown=dict(self.unknown),
            unmapped=unmapped,
            recorded_completely=(self.mapping.recorded_completely if self.mapping else frozenset()),
            ignored=dict(self.ignored),
        )
        return LogRead(journeys=journeys, report=report)

    # -- journeys ---------------------------------------------------------------------------

    def journey(self, case: str, rows: list[_Row]) -> Journey:
        unit_col = self.names.get("unit", self.names.get("activity", ""))
        rows.sort(key=lambda r: r.key)
        actors: dict[str, Actor] = {}
        ids: dict[str, str] = {}
        used: set[str] = set()
        events: list[Event] = []
        transitions: list[Transition] = []
        needs: dict[str, None] = {}
        previous: _Row | None = None
        try:
            for i, row in enumerate(rows, start=1):
                where = _Where(self.file, row.line, self.source.unit)
                if row.unit not in ids:
                    actor_id = _unit_actor_id(row.unit, used)
                    ids[row.unit] = actor_id
                    try:
                        actors[row.unit] = Actor(
                            id=actor_id, name=row.unit, principal=row.principal, service=row.service
                        )
                    except CareflowError as exc:
                        raise where.error(exc.message, unit_col) from None
                elif actors[row.unit].principal is not row.principal:
                    raise where.error(
                        f"unit {row.unit!r:.60} is {row.principal.value} here but "
                        f"{actors[row.unit].principal.value} earlier in case {case!r:.40}; "
                        "expected one principal per unit",
                        self.names.get("principal", "principal"),
                    )
                if row.need is not None:
                    needs.setdefault(row.need, None)
                try:
                    event = _log_event(
                        i,
                        row.when,
                        ids[row.unit],
                        unit=row.unit,
                        activity=row.activity,
                        kind=row.kind,
                        channel=row.channel,
                        legal_basis=row.legal_basis,
                        cause=row.cause,
                        certainty=row.certainty,
                    )
                except CareflowError as exc:
                    raise where.error(exc.message, self.names.get("activity", "")) from None
                # a death is not a handover to the unit that recorded it (issue 12)
                if (
                    events
                    and events[-1].actor != event.actor
                    and event.kind is not EventKind.DEATH
                    and not self.same_stay(previous, row)
                ):
                    transitions.append(_handover(transitions, events[-1], event))
                events.append(event)
                previous = row
            return Journey(
                id=case,
                person=Person(id=case, needs=tuple(needs)),
                actors=tuple(actors.values()),
                events=tuple(events),
                transitions=tuple(transitions),
                # what the source records completely, as its mapping declares (issue 7)
                recorded_completely=(
                    self.mapping.recorded_completely if self.mapping else frozenset()
                ),
            )
        except JourneyFileError:
            raise
        except CareflowError as exc:
            line = rows[0].line
            raise JourneyFileError(
                f"case {case!r:.40} cannot be a journey: {exc}",
                file=self.file,
                line=line if self.source.unit == "line" else None,
            ) from None

    def same_stay(self, previous: _Row | None, row: _Row) -> bool:
        """Whether a unit change from ``previous`` to ``row`` is a move within one stay."""
        if self.stay is None or previous is None or previous.principal is not row.principal:
            return False
        gap: dt.timedelta = row.key[0] - previous.key[0]
        return gap <= self.stay


def _unit_actor_id(unit: str, used: set[str]) -> str:
    """A unit's actor id: its name's slug, ``-2``, ``-3``... when taken; added to ``used``.

    How a journey read from a log names its actors (units in order of first appearance),
    shared by :mod:`careflow.population.journeys`.
    """
    base = _slug(unit)
    actor_id, n = base, 1
    while actor_id in used:
        n += 1
        actor_id = f"{base}-{n}"
    used.add(actor_id)
    return actor_id


def _log_event(
    index: int,
    when: dt.date,
    actor: str,
    *,
    unit: str,
    activity: str | None,
    kind: Any,
    channel: Any,
    legal_basis: Any,
    cause: Any,
    certainty: Any,
) -> Event:
    """Event ``e<index>`` of a journey read from a log (shared by :mod:`careflow.population`).

    The activity is kept as the event's note when it says more than the unit's name.
    """
    return Event(
        id=f"e{index}",
        date=when,
        actor=actor,
        kind=kind,
        channel=channel,
        note=activity if activity and activity != unit else None,
        legal_basis=legal_basis,
        cause=cause,
        certainty=certainty,
    )


def _handover(transitions: Sequence[Transition], source: Event, target: Event) -> Transition:
    """The next ``handover`` transition of a journey read from a log (``t1``, ``t2``...)."""
    return Transition(
        id=f"t{len(transitions) + 1}",
        source=source.id,
        target=target.id,
        kind=TransitionKind.HANDOVER,
    )


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:60].strip("-") or "unit"


# -- surveying a log for a draft mapping ---------------------------------------------------


def survey_event_log(
    path: str | os.PathLike[str],
    *,
    columns: EventLogColumns | None = None,
    mapping: LogMapping | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    max_bytes: int = MAX_LOG_BYTES,
    max_rows: int = MAX_LOG_ROWS,
    max_values: int = 200,
) -> tuple[LogReport, dict[str, list[tuple[str, int]]]]:
    """The distinct values of each role's column with their counts, most frequent first.

    Reads the log without building journeys (so a log whose values are not yet mapped
    can be surveyed); at most ``max_values`` values per role are returned.
    """
    source = _open_source(
        _path_name(path, "survey_event_log"),
        mapping=mapping,
        encoding=encoding,
        input_format=input_format,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )
    try:
        if not source.header:
            raise JourneyFileError("the event log has no rows", file=source.file)
        cols = _resolve(source.header, columns, mapping, file=source.file)
        counts: dict[str, dict[str, int]] = {
            role: {} for role in cols if role not in {"case", "timestamp"}
        }
        cases: set[str] = set()
        rows = 0
        for _line, cells in source.rows:
            rows += 1
            case = cells[cols["case"]]
            cases.add(str(case))
            for role, table in counts.items():
                value = cells[cols[role]]
                text = "" if value is None else str(value).strip()
                table[text] = table.get(text, 0) + 1
    finally:
        source.close()
    report = LogReport(
        file=source.file,
        format=source.format,
        encoding=source.encoding,
        delimiter=source.delimiter,
        columns={role: source.header[i] for role, i in cols.items()},
        rows=rows,
        cases=len(cases),
    )
    values = {
        role: sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))[:max_values]
        for role, table in counts.items()
    }
    return report, values
