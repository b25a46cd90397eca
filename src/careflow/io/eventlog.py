"""Read event logs (CSV, Parquet): one row per event, one journey per case.

The process-mining layout: a case id, a timestamp, an activity, the unit (resource) and
its principal, and optionally the kind of event and the contact type. Column names are
found by themselves for careflow's own names, the names of the shared benchmark log
(``case_id``, ``timestamp``, ``activity``, ``unit``, ``principal``, ``contact_type``) and
pm4py's (``case:concept:name``, ``time:timestamp``, ``concept:name``, ``org:resource``,
``org:group``); anything else is named with :class:`EventLogColumns`.

Rows may come in any order. Within a case, events are ordered by this rule, so a
shuffled log gives exactly the same journeys as a sorted one:

1. the timestamp (a plain date counts as midnight);
2. the kind of event, in :data:`careflow.model.KIND_RANK` order (a need signal before
   the contact it leads to, a discharge after the treatment it ends);
3. the activity, then the unit, then the contact type, then every other column of the
   row as text, compared as strings.

Rows equal in all of these are identical events, so their order cannot matter. Events
get the ids ``e1``, ``e2``, ... in that order, actors an id made from the unit's name.
Where the unit changes from one event to the next, a ``handover`` transition with
unknown information links them: the log says the person moved on, not how.

See ``docs/event-logs.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from careflow.errors import CareflowError, JourneyFileError
from careflow.io.journey_file import _MAX_YEAR, _MIN_YEAR, _parse_date
from careflow.labels import LABELS
from careflow.model import (
    KIND_RANK,
    Actor,
    Channel,
    Event,
    EventKind,
    Journey,
    Person,
    Principal,
    Transition,
    TransitionKind,
    order_time,
)

__all__ = [
    "MAX_LOG_BYTES",
    "MAX_LOG_ROWS",
    "EventLogColumns",
    "journeys_from_rows",
    "read_event_log",
]

#: Largest CSV read by default, in bytes.
MAX_LOG_BYTES: Final = 1024 * 1024 * 1024
#: Most rows read by default (each becomes an event held in memory).
MAX_LOG_ROWS: Final = 2_000_000

#: Column names recognised without configuration, per role, in order of preference.
KNOWN_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "case": ("case_id", "case:concept:name", "case", "journey"),
    "timestamp": ("timestamp", "time:timestamp", "time", "date"),
    "activity": ("activity", "concept:name"),
    "unit": ("unit", "org:resource", "actor", "resource"),
    "principal": ("principal", "org:group", "huvudman"),
    "kind": ("kind", "event_kind"),
    "channel": ("contact_type", "channel"),
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
    "": None,
}

_KINDS: Final[Mapping[str, EventKind]] = {
    **{k.value: k for k in EventKind},
    **{pair[0].casefold(): EventKind(v) for v, pair in LABELS[EventKind].items()},
    **{pair[1].casefold(): EventKind(v) for v, pair in LABELS[EventKind].items()},
}


@attrs.frozen(kw_only=True, slots=True)
class EventLogColumns:
    """Which column of the log plays which role; ``None`` means find it by name.

    ``case`` and ``timestamp`` are required, and one of ``unit`` and ``activity`` (a log
    without a unit column takes the activity as the unit). ``principal``, ``kind`` and
    ``channel`` are optional: without a principal every unit is ``other``; without a
    kind every event is a ``contact``, unless its activity is itself an event kind.
    """

    case: str | None = None
    timestamp: str | None = None
    activity: str | None = None
    unit: str | None = None
    principal: str | None = None
    kind: str | None = None
    channel: str | None = None

    def resolve(self, header: Sequence[str], *, file: str | None) -> dict[str, str]:
        """Map each role to a column of ``header``; JourneyFileError if one is missing."""
        present = set(header)
        found: dict[str, str] = {}
        for role, names in KNOWN_COLUMNS.items():
            chosen: str | None = getattr(self, role)
            if chosen is not None:
                if chosen not in present:
                    raise JourneyFileError(
                        f"the {role} column {chosen!r} is not in the header; the columns are "
                        f"{_listing(header)}",
                        file=file,
                        line=1,
                    )
                found[role] = chosen
                continue
            match = next((n for n in names if n in present), None)
            if match is not None:
                found[role] = match
        missing = [r for r in ("case", "timestamp") if r not in found]
        if "unit" not in found and "activity" not in found:
            missing.append("unit (or activity)")
        if missing:
            hints = "; ".join(
                f"{r.split()[0]}: {', '.join(KNOWN_COLUMNS[r.split()[0]])}" for r in missing
            )
            raise JourneyFileError(
                f"no {' and no '.join(missing)} column; the columns are {_listing(header)}. "
                f"Expected one of the known names ({hints}) or name the columns with "
                "EventLogColumns",
                file=file,
                line=1,
            )
        return found


def _listing(header: Sequence[str]) -> str:
    shown = ", ".join(repr(h[:40]) for h in header[:20])
    return shown + (f" and {len(header) - 20} more" if len(header) > 20 else "")


@attrs.frozen(slots=True)
class _Row:
    """One parsed row: its sort key, where it came from, and the event's raw parts."""

    key: tuple[Any, ...]
    line: int
    when: dt.date
    kind: EventKind
    unit: str
    principal: Principal
    channel: Channel | None
    activity: str


def read_event_log(
    path: str | os.PathLike[str],
    *,
    columns: EventLogColumns | None = None,
    max_bytes: int = MAX_LOG_BYTES,
    max_rows: int = MAX_LOG_ROWS,
) -> list[Journey]:
    """Read a CSV or Parquet event log into one journey per case, sorted by case id.

    Parameters
    ----------
    path
        A ``.csv`` file (UTF-8, comma-separated, a header row) or a ``.parquet``/``.pq``
        file (needs the ``parquet`` extra: ``pip install 'careflow[parquet]'``).
    columns
        Column names where they differ from the known ones.
    max_bytes, max_rows
        Limits that turn a runaway file into a clear error instead of a hang.

    Raises
    ------
    JourneyFileError
        Naming the file, the line (CSV) or row (Parquet) and the column, and what was
        expected.
    """
    name = os.fspath(path)
    if Path(name).suffix.lower() in {".parquet", ".pq"}:
        header, rows = _parquet_rows(name, max_rows=max_rows)
    else:
        header, rows = _csv_rows(name, max_bytes=max_bytes, max_rows=max_rows)
    return _journeys(header, rows, columns or EventLogColumns(), file=name)


def journeys_from_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: EventLogColumns | None = None,
    source: str | None = None,
) -> list[Journey]:
    """Build journeys from rows already in memory (e.g. ``DataFrame.to_dict("records")``).

    Values may be text or, for the timestamp, :class:`datetime.date` or
    :class:`datetime.datetime`. Errors name ``source`` and the row number (from 1).
    """
    materialised = list(rows)
    header: list[str] = []
    for row in materialised[:1]:
        header = list(row)

    def numbered() -> Iterator[tuple[int, Mapping[str, Any]]]:
        yield from enumerate(materialised, start=1)

    return _journeys(header, numbered(), columns or EventLogColumns(), file=source, unit="row")


# -- reading the files ---------------------------------------------------------------------


def _csv_rows(
    file: str, *, max_bytes: int, max_rows: int
) -> tuple[list[str], Iterator[tuple[int, Mapping[str, Any]]]]:
    try:
        size = os.path.getsize(file)
        if size > max_bytes:
            raise JourneyFileError(
                f"the event log is {size:,} bytes, more than the limit of {max_bytes:,}; "
                "split it or raise max_bytes",
                file=file,
            )
        with open(file, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise JourneyFileError(f"cannot read the file ({exc.strerror or exc})", file=file) from None
    if b"\x00" in data:
        raise JourneyFileError(
            "this is a binary file, not text; expected a UTF-8 CSV event log with a header row "
            "(or a .parquet file)",
            file=file,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise JourneyFileError(
            f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8",
            file=file,
            line=line,
        ) from None
    del data
    if not text.strip():
        raise JourneyFileError("the event log is empty; expected a header row", file=file)
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise JourneyFileError(f"the header is not valid CSV ({exc})", file=file, line=1) from None
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise JourneyFileError(
            f"the header names {_listing(dupes)} more than once", file=file, line=1
        )

    def rows() -> Iterator[tuple[int, Mapping[str, Any]]]:
        count = 0
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise JourneyFileError(
                    f"not valid CSV ({exc})", file=file, line=reader.line_num
                ) from None
            if not cells or cells == [""]:
                line = reader.line_num + 1
                continue
            count += 1
            if count > max_rows:
                raise JourneyFileError(
                    f"the event log has more than {max_rows:,} rows; split it or raise max_rows",
                    file=file,
                    line=line,
                )
            if len(cells) != len(header):
                raise JourneyFileError(
                    f"the row has {len(cells)} cells; expected {len(header)}, one per column "
                    "of the header",
                    file=file,
                    line=line,
                )
            yield line, dict(zip(header, cells, strict=True))
            line = reader.line_num + 1

    return header, rows()


def _parquet_rows(
    file: str, *, max_rows: int
) -> tuple[list[str], Iterator[tuple[int, Mapping[str, Any]]]]:
    try:
        import pyarrow as pa  # noqa: PLC0415 - an optional extra, loaded on use
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:
        raise JourneyFileError(
            "reading Parquet needs pyarrow; install it with: pip install 'careflow[parquet]' "
            "(or convert the log to CSV)",
            file=file,
        ) from None
    try:
        table = pq.read_table(file)
    except OSError as exc:
        raise JourneyFileError(f"cannot read the file ({exc})", file=file) from None
    except (pa.ArrowException, ValueError) as exc:
        raise JourneyFileError(
            f"not a readable Parquet file ({type(exc).__name__}: {str(exc)[:200]})", file=file
        ) from None
    if table.num_rows > max_rows:
        raise JourneyFileError(
            f"the event log has {table.num_rows:,} rows, more than {max_rows:,}; split it or "
            "raise max_rows",
            file=file,
        )
    header = [str(n) for n in table.column_names]
    data = {n: table.column(n).to_pylist() for n in header}

    def rows() -> Iterator[tuple[int, Mapping[str, Any]]]:
        for i in range(table.num_rows):
            yield i + 1, {n: data[n][i] for n in header}

    return header, rows()


# -- from rows to journeys -----------------------------------------------------------------


def _journeys(
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    columns: EventLogColumns,
    *,
    file: str | None,
    unit: str = "line",
) -> list[Journey]:
    if not header:
        raise JourneyFileError("the event log has no rows", file=file)
    cols = columns.resolve(header, file=file)
    others = [h for h in header if h not in cols.values()]
    cases: dict[str, list[_Row]] = {}
    for line, row in rows:
        where = _Where(file=file, line=line, unit=unit)
        case = _text(row[cols["case"]], where, cols["case"], required=True)
        cases.setdefault(case, []).append(_parse_row(row, cols, others, where))
    if not cases:
        raise JourneyFileError("the event log has a header but no rows", file=file)
    return [_journey(case, cases[case], cols, where_file=file, unit=unit) for case in sorted(cases)]


@attrs.frozen(slots=True)
class _Where:
    file: str | None
    line: int
    unit: str

    def error(self, message: str, column: str) -> JourneyFileError:
        if self.unit == "line":
            return JourneyFileError(message, file=self.file, line=self.line, path=column)
        return JourneyFileError(message, file=self.file, path=f"row {self.line}, {column}")


def _text(value: Any, where: _Where, column: str, *, required: bool = False) -> str:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool | int | float):
        text = str(value)
    else:
        raise where.error(f"expected text, got {type(value).__name__}", column)
    if required and not text:
        raise where.error("the cell is empty; expected a value", column)
    return text


def _when(value: Any, where: _Where, column: str) -> dt.date:
    if isinstance(value, dt.datetime):
        stamp: dt.datetime = value
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
        return _in_range(stamp, where, column)
    if isinstance(value, dt.date):
        return _in_range(value, where, column)
    text = _text(value, where, column, required=True)
    try:
        return _parse_date(text, lambda msg: where.error(msg, column))
    except JourneyFileError:
        aware = _aware(text)
        if aware is None:
            raise
        return aware


def _in_range(value: dt.date, where: _Where, column: str) -> dt.date:
    if not _MIN_YEAR <= value.year <= _MAX_YEAR:
        raise where.error(
            f"{value.isoformat()} has the year {value.year}; expected a year from {_MIN_YEAR} "
            f"to {_MAX_YEAR}",
            column,
        )
    return value


_ZONE_RE: Final = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def _aware(text: str) -> dt.datetime | None:
    """A timestamp with a time zone (``Z`` or ``+01:00``), as naive UTC; else None."""
    if not _ZONE_RE.search(text):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None or not _MIN_YEAR <= value.year <= _MAX_YEAR:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _lookup(table: Mapping[str, Any], text: str, where: _Where, column: str, what: str) -> Any:
    key = text.casefold().strip()
    if key in table:
        return table[key]
    known = ", ".join(sorted(k for k in table if k))
    raise where.error(f"{text!r:.60} is not a {what}; expected one of {known}", column)


def _parse_row(
    row: Mapping[str, Any], cols: Mapping[str, str], others: Sequence[str], where: _Where
) -> _Row:
    when = _when(row[cols["timestamp"]], where, cols["timestamp"])
    activity = _text(row[cols["activity"]], where, cols["activity"]) if "activity" in cols else ""
    unit_col = cols.get("unit", cols.get("activity", ""))
    unit = _text(row[unit_col], where, unit_col, required=True)
    principal = Principal.OTHER
    if "principal" in cols:
        text = _text(row[cols["principal"]], where, cols["principal"], required=True)
        principal = _lookup(_PRINCIPALS, text, where, cols["principal"], "principal")
    channel_text = ""
    channel: Channel | None = None
    if "channel" in cols:
        channel_text = _text(row[cols["channel"]], where, cols["channel"])
        channel = _lookup(_CHANNELS, channel_text, where, cols["channel"], "contact type")
    if "kind" in cols:
        kind_text = _text(row[cols["kind"]], where, cols["kind"], required=True)
        kind = _lookup(_KINDS, kind_text, where, cols["kind"], "kind of event")
    else:
        kind = _KINDS.get(activity.casefold(), EventKind.CONTACT)
    rest = tuple("" if row[c] is None else str(row[c]) for c in others)
    # order_time: as timestamp_of, but a death known by date only sorts last on its day
    key = (order_time(when, kind), KIND_RANK[kind], activity, unit, channel_text, rest)
    return _Row(key, where.line, when, kind, unit, principal, channel, activity)


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:60].strip("-") or "unit"


def _journey(
    case: str,
    rows: list[_Row],
    cols: Mapping[str, str],
    *,
    where_file: str | None,
    unit: str,
) -> Journey:
    rows.sort(key=lambda r: r.key)
    actors: dict[str, Actor] = {}
    ids: dict[str, str] = {}
    used: set[str] = set()
    events: list[Event] = []
    transitions: list[Transition] = []
    try:
        for i, row in enumerate(rows, start=1):
            where = _Where(file=where_file, line=row.line, unit=unit)
            if row.unit not in ids:
                base = _slug(row.unit)
                actor_id, n = base, 1
                while actor_id in used:
                    n += 1
                    actor_id = f"{base}-{n}"
                used.add(actor_id)
                ids[row.unit] = actor_id
                try:
                    actors[row.unit] = Actor(id=actor_id, name=row.unit, principal=row.principal)
                except CareflowError as exc:
                    raise where.error(
                        exc.message, cols.get("unit", cols.get("activity", ""))
                    ) from None
            elif actors[row.unit].principal is not row.principal:
                raise where.error(
                    f"unit {row.unit!r:.60} is {row.principal.value} here but "
                    f"{actors[row.unit].principal.value} earlier in case {case!r:.40}; expected "
                    "one principal per unit",
                    "principal",
                )
            note = row.activity if row.activity and row.activity != row.unit else None
            try:
                event = Event(
                    id=f"e{i}",
                    date=row.when,
                    actor=ids[row.unit],
                    kind=row.kind,
                    channel=row.channel,
                    note=note,
                )
            except CareflowError as exc:
                raise where.error(exc.message, cols.get("activity", "")) from None
            # a death is not a handover to the unit that recorded it (issue 12)
            if events and events[-1].actor != event.actor and event.kind is not EventKind.DEATH:
                transitions.append(
                    Transition(
                        id=f"t{len(transitions) + 1}",
                        source=events[-1].id,
                        target=event.id,
                        kind=TransitionKind.HANDOVER,
                    )
                )
            events.append(event)
        return Journey(
            id=case,
            person=Person(id=case),
            actors=tuple(actors.values()),
            events=tuple(events),
            transitions=tuple(transitions),
        )
    except JourneyFileError:
        raise
    except CareflowError as exc:
        line = rows[0].line
        raise JourneyFileError(
            f"case {case!r:.40} cannot be a journey: {exc}",
            file=where_file,
            line=line if unit == "line" else None,
        ) from None
