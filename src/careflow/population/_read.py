"""Read an event log as one sorted columnar table of events, the bulk path's only input.

The columns play the roles :class:`careflow.io.eventlog.EventLogColumns` finds, with the
same vocabularies (kinds, principals, contact types) and the same tie rule, so the events
of a case stand in exactly the order :func:`careflow.read_event_log` gives them:

1. the timestamp (a plain date counts as midnight);
2. the kind of event, in :data:`careflow.model.KIND_RANK` order;
3. the activity, then the unit, then the contact type, then every other column of the
   row as text, in the order of the header.

With a mapping file (:class:`careflow.io.mapping.LogMapping`), the log is read as the
per-journey reader reads it with that mapping: its value functions are called once per
distinct value of a column (see :class:`_Normaliser`), its missing-value policies skip
rows or keep them as unknown, and ``same_stay_hours`` keeps moves within one stay from
being handovers. :func:`read_events_report` also gives the reader's
:class:`careflow.io.eventlog.LogReport`.

No :class:`~careflow.model.Journey` is built. The result has one row per event with the
columns ``case``, ``ts`` (naive local datetime in the analysis time zone, as the
per-journey reader gives it), ``is_date`` (the cell was a plain date),
``kind``, ``rank``, ``activity``, ``unit``, ``principal``, ``service`` (the unit's
:class:`careflow.model.ServiceKind`; ``other`` unless a mapping says), ``channel`` (these four
as enums of careflow's vocabularies, :data:`VOCABULARY_TYPES`), ``day`` (the day
count of :func:`careflow.scoring.facts.day_number`), ``need`` (the need a diagnosis names,
as the per-journey reader reads it into :attr:`careflow.model.Person.needs`), ``legal_basis``
(on admissions, treatments and support), ``cause`` and ``certainty`` (on a death),
``pos`` (the event's 0-based place in its case) and ``handover`` (the unit changed from the
previous event and the event is not a death: where the per-journey reader puts a
``handover`` transition), plus every other column of the log under its own name, as text.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import polars as pl

from careflow.errors import JourneyFileError
from careflow.io.eventlog import (
    _CHANNELS,
    _KINDS,
    _NOT_FOUND,
    _PRINCIPALS,
    MAX_LOG_BYTES,
    UNKNOWN_UNIT,
    EventLogColumns,
    LogReport,
    UnmappedValue,
    _Builder,
    _sniff,
    _Source,
    _Where,
)
from careflow.io.journey_file import _MAX_YEAR, _MIN_YEAR
from careflow.io.mapping import ROLES, LogMapping, MissingPolicy
from careflow.model import KIND_RANK, Channel, EventKind, Principal, ServiceKind
from careflow.population._arith import divided
from careflow.population.privacy import check_pseudonymous

__all__ = [
    "EVENT_COLUMNS",
    "VOCABULARY_TYPES",
    "EventsRead",
    "check_size",
    "read_events",
    "read_events_report",
    "separator",
    "sort_events",
]

#: The columns every events table has, besides the log's other columns.
EVENT_COLUMNS: Final = (
    "case",
    "ts",
    "is_date",
    "kind",
    "rank",
    "activity",
    "unit",
    "principal",
    "service",
    "channel",
    "day",
    "need",
    "legal_basis",
    "cause",
    "certainty",
)
#: The columns whose values come from careflow's vocabularies, as enums of those values
#: in text order: comparing one with a value compares small integers, and sorting or
#: grouping by one keeps the order of the text.
VOCABULARY_TYPES: Final = {
    "kind": pl.Enum(sorted(k.value for k in EventKind)),
    "principal": pl.Enum(sorted(p.value for p in Principal)),
    "service": pl.Enum(sorted(s.value for s in ServiceKind)),
    "channel": pl.Enum(sorted(c.value for c in Channel)),
}
#: Each kind's rank (:data:`careflow.model.KIND_RANK`) by its code in ``VOCABULARY_TYPES["kind"]``.
_RANK_OF_CODE: Final = pl.Series(
    [KIND_RANK[EventKind(k)] for k in VOCABULARY_TYPES["kind"].categories], dtype=pl.Int16
)
#: Roles whose column is also kept as text under its own name (``--by diagnosis``).
_KEPT: Final = frozenset({"diagnosis"})
#: Roles whose cell text breaks ties after the contact type, in the per-journey order.
_TIE_ROLES: Final = ("cause", "certainty", "legal_basis")
_TIE_COLUMNS: Final = tuple(f"_{role}_text" for role in _TIE_ROLES)
#: More than the ranks of the kinds of event (:data:`careflow.model.KIND_RANK`): a
#: time in microseconds times this, plus the rank, orders by time then rank.
_RANKS: Final = 32
#: Microseconds in a day.
_US_PER_DAY: Final = 86_400_000_000
#: Ordinal (days from 0001-01-01, day 1) of 1970-01-01.
_EPOCH_ORDINAL: Final = 719_163
_RESERVED: Final = frozenset(
    {*EVENT_COLUMNS, "pos", "handover", "_channel_text", "_order", *_TIE_COLUMNS}
)
_DATE_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}$"
_STAMP_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


@attrs.frozen(kw_only=True, slots=True)
class EventsRead:
    """Sorted events read from a log, and the report of how (as the per-journey reader's).

    ``report`` is a :class:`careflow.io.eventlog.LogReport`: rows read, events kept, cases,
    the rows each missing-value policy skipped or kept as unknown, the values no mapping
    rule matched (with their events and cases), the values not kept because the event
    cannot carry them, and the mapping's ``recorded_completely``.
    """

    events: pl.DataFrame
    report: LogReport

    @property
    def recorded_completely(self) -> frozenset[str]:
        """What the source records completely, as its mapping declares (issue 7)."""
        return self.report.recorded_completely


def read_events(
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    columns: EventLogColumns | None = None,
    mapping: LogMapping | None = None,
    max_bytes: int = MAX_LOG_BYTES,
    allow_personal_ids: bool = False,
    file: str | None = None,
    row_numbers: str | None = None,
) -> pl.DataFrame:
    """Read a CSV or Parquet event log (or a polars table) into sorted events.

    There is no row limit: the table is columnar. ``max_bytes`` still bounds a CSV file.
    The whole log is held in memory; :func:`careflow.population.pipeline.run_population`
    reads a big log part by part.

    Parameters
    ----------
    source
        A ``.csv``, ``.parquet`` or ``.pq`` file, or a :class:`polars.DataFrame` with the
        log's columns.
    columns
        Column names where they differ from the known ones.
    mapping
        A mapping file's content (:func:`careflow.io.mapping.load_mapping`), applied as
        :func:`careflow.read_event_log` applies it: columns, unit, activity, contact type,
        diagnosis, cause, certainty and legal-basis rules, missing values and their
        policies, time zone and timestamp format, ``same_stay_hours``. Its encoding is
        not used (a CSV is read as UTF-8).
    max_bytes
        Largest CSV file read.
    allow_personal_ids
        Accept case ids that look like Swedish personnummer or samordningsnummer (only
        for closed environments; see ``docs/population.md``).
    file
        The file a :class:`polars.DataFrame` ``source`` was read from, named in errors.
    row_numbers
        A column of a :class:`polars.DataFrame` ``source`` holding each row's 1-based row
        number in the file it came from (a part of a log): errors name those rows. The
        column is not a column of the log.

    Raises
    ------
    JourneyFileError
        When a column is missing, a value is not in careflow's vocabulary (and no mapping
        is given), a missing value's policy is ``error``, a unit has two principals in one
        case, or the case ids look like personal identity numbers; naming the file, the
        row and the column.
    """
    return read_events_report(
        source,
        columns=columns,
        mapping=mapping,
        max_bytes=max_bytes,
        allow_personal_ids=allow_personal_ids,
        file=file,
        row_numbers=row_numbers,
    ).events


def read_events_report(
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    columns: EventLogColumns | None = None,
    mapping: LogMapping | None = None,
    max_bytes: int = MAX_LOG_BYTES,
    allow_personal_ids: bool = False,
    file: str | None = None,
    row_numbers: str | None = None,
) -> EventsRead:
    """Like :func:`read_events`, and also report how the log was read (see :class:`EventsRead`).

    ``file`` names the file a table ``source`` came from (for messages); ``row_numbers``
    names a column of it holding each row's number in that file, used in messages
    instead of the row's place in the table (a part of a log, see
    :mod:`careflow.population.pipeline`).
    """
    numbers: pl.Series | None = None
    if isinstance(source, pl.DataFrame):
        frame, fmt = source, "table" if file is None else _format_of(file)
        if row_numbers is not None:
            numbers = frame.get_column(row_numbers)
            frame = frame.drop(row_numbers)
    else:
        file = os.fspath(source)
        frame = _read_file(file, max_bytes=max_bytes)
        fmt = _format_of(file)
    if frame.width == 0 or frame.height == 0:
        raise JourneyFileError("the event log has no rows", file=file)
    header = [str(c) for c in frame.columns]
    # the per-journey reader's own value functions, for a source of these columns
    reader = _Source(
        file=file, format=fmt, header=header, rows=iter(()), unit="row", check_cells=file is None
    )
    builder = _Builder(
        reader, columns=columns, mapping=mapping, timezone=None, timestamp_format=None
    )
    roles = dict(builder.names)
    normaliser = _Normaliser(frame, builder, file=file)
    try:
        events = _normalise(frame, normaliser, header)
    except JourneyFileError as exc:
        raise _in_file_rows(exc, numbers) from None
    if not allow_personal_ids:
        check_pseudonymous(events.get_column("case").unique(), file=file, column=roles["case"])
    # a role's own column (diagnosis...) stays groupable, but is no tie key per journey
    role_columns = [roles[r] for r in ROLES if r in roles and roles[r] in events.columns]
    ordered = sort_events(
        events,
        not_keys=role_columns,
        same_stay_hours=mapping.same_stay_hours if mapping is not None else None,
    )
    _check_deaths(ordered, file=file)
    unmapped = tuple(u for role in ROLES for u in normaliser.unmapped.get(role, ()))
    report = LogReport(
        file=file,
        format=fmt,
        columns=roles,
        rows=frame.height,
        events=ordered.height,
        cases=ordered.get_column("case").n_unique(),
        skipped=normaliser.skipped,
        unknown=normaliser.unknown,
        unmapped=unmapped,
        recorded_completely=mapping.recorded_completely if mapping is not None else frozenset(),
        ignored=normaliser.ignored,
    )
    return EventsRead(events=ordered, report=report)


def _normalise(frame: pl.DataFrame, normaliser: _Normaliser, header: list[str]) -> pl.DataFrame:
    """The events of the rows the reader keeps, in log order, with the log's other columns."""
    out = normaliser.run()
    roles = normaliser.b.names
    # columns without a role stay columns of their own
    consumed = {roles[r] for r in ROLES if r in roles and r not in _KEPT}
    others = [h for h in header if h not in consumed]
    extra: dict[str, pl.Series] = {}
    for name in others:
        series = frame.get_column(name)
        if series.dtype != pl.String:
            series = _as_python_text(series)
        taken = name in _RESERVED or name in extra
        extra[f"log:{name}" if taken else name] = series.fill_null("")
    out = out.with_columns(**extra) if extra else out
    out = out.filter(normaliser.alive)
    if out.height == 0:
        raise JourneyFileError(
            "every row of the event log was skipped (see the missing-value policies)",
            file=normaliser.file,
        )
    _check_principals(out, file=normaliser.file, column=roles.get("principal", "principal"))
    # day_number's arithmetic: whole seconds of the day, plus microseconds, over a day
    micros = pl.col("ts").cast(pl.Int64)
    days = micros // _US_PER_DAY  # floor: days since 1970-01-01, before it too
    of_day = micros - days * _US_PER_DAY
    fraction = divided((of_day % 1_000_000).cast(pl.Float64), 1e6)
    seconds = (of_day // 1_000_000).cast(pl.Float64) + fraction
    ordinal = days + _EPOCH_ORDINAL
    coded = [pl.col(c).cast(dtype) for c, dtype in VOCABULARY_TYPES.items()]
    return out.with_columns(*coded, day=ordinal.cast(pl.Float64) + divided(seconds, 86_400.0))


_ROW_PATH: Final = re.compile(r"^row (\d+)(,.*)?$", re.DOTALL)


def _in_file_rows(error: JourneyFileError, numbers: pl.Series | None) -> JourneyFileError:
    """The error with its row (of the frame read) replaced by the row of the file.

    The readers below number the rows of the frame they get (``row N, column``); a part of
    a log carries each row's number in the whole file.
    """
    match = _ROW_PATH.match(error.path or "") if numbers is not None else None
    if match is None or numbers is None:
        return error
    row = int(match.group(1))
    if not 1 <= row <= len(numbers):
        return error
    return JourneyFileError(
        error.message,
        file=error.file,
        line=error.line,
        path=f"row {numbers[row - 1]}{match.group(2) or ''}",
    )


def _check_deaths(events: pl.DataFrame, *, file: str | None) -> None:
    """Nothing follows a death, as :class:`careflow.model.Journey` checks per journey.

    A case has one death at most, and no event after it: by the clock when both have a
    time, else by the date.
    """
    death = pl.col("kind") == EventKind.DEATH.value
    dead = events.lazy().filter(death).select("case").unique()
    if dead.select(pl.len()).collect().item() == 0:
        return  # most logs: no death, nothing to check
    # only the cases with a death (few), in the events' order
    per_case = (
        events.lazy()
        .join(dead, on="case", how="semi", maintain_order="left")
        .with_columns(
            deaths=death.sum().over("case"),
            death_ts=pl.col("ts").filter(death).first().over("case"),
            death_is_date=pl.col("is_date").filter(death).first().over("case"),
        )
    )
    later = (
        pl.when(~pl.col("is_date") & ~pl.col("death_is_date"))
        .then(pl.col("ts") > pl.col("death_ts"))
        .otherwise(pl.col("ts").dt.date() > pl.col("death_ts").dt.date())
    )
    bad = (
        per_case.filter((pl.col("deaths") > 1) | (~death & later.fill_null(False)))
        .select("case", "deaths")
        .head(1)
        .collect()
    )
    if bad.height:
        case, deaths = bad.item(0, "case"), bad.item(0, "deaths")
        problem = (
            "a journey ends in one death at most"
            if deaths > 1
            else "an event is after the person's death; a death ends observation, so nothing "
            "can follow it"
        )
        raise JourneyFileError(f"case {case!r:.40} cannot be a journey: {problem}", file=file)


def check_size(file: str, *, max_bytes: int) -> None:
    """Refuse a CSV log larger than ``max_bytes`` (:class:`JourneyFileError`)."""
    size = os.path.getsize(file)
    if size > max_bytes:
        raise JourneyFileError(
            f"the event log is {size:,} bytes, more than the limit of {max_bytes:,}; "
            "split it or raise max_bytes",
            file=file,
        )


def _read_file(file: str, *, max_bytes: int) -> pl.DataFrame:
    suffix = Path(file).suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pl.read_parquet(file)
        check_size(file, max_bytes=max_bytes)
        return pl.read_csv(
            file, infer_schema=False, encoding="utf8-lossy", separator=separator(file)
        )
    except OSError as exc:
        raise JourneyFileError(f"cannot read the file ({exc})", file=file) from None
    except pl.exceptions.PolarsError as exc:
        raise JourneyFileError(
            f"not a readable event log ({type(exc).__name__}: {str(exc)[:200]})", file=file
        ) from None


def _format_of(file: str) -> str:
    """The format a log file is read as, by its suffix (as the report names it)."""
    return "Parquet" if Path(file).suffix.lower() in {".parquet", ".pq"} else "CSV"


def separator(file: str) -> str:
    """The delimiter the per-journey reader finds (, ; tab |), from the file's first lines."""
    with open(file, "rb") as fh:
        sample = fh.read(65536).decode("utf-8", errors="replace")
    return _sniff(sample.removeprefix("\ufeff"))


def _text(frame: pl.DataFrame, column: str) -> pl.Series:
    """The column as stripped text, as the per-journey reader sees a cell (null is "")."""
    series = frame.get_column(column)
    if series.dtype != pl.String:
        series = _as_python_text(series)
    return series.fill_null("").str.strip_chars()


def _as_python_text(series: pl.Series) -> pl.Series:
    """Text of each value as Python's ``str`` gives it (the reader's rule for non-text)."""
    uniques = series.unique().drop_nulls()
    mapping = {v: str(v) for v in uniques.to_list()}
    return series.replace_strict(mapping, default=None, return_dtype=pl.String)


def _mapped(texts: pl.Series, mapping: Mapping[str, str | None]) -> pl.Series:
    """``texts`` with each value replaced by its ``mapping`` (null stays null).

    ``mapping`` holds every value of ``texts``. Two common mappings need no lookup per
    row: every value its own (a log in careflow's words), and one outcome for every value
    (no unit rules: no principal and no service from them).
    """
    if texts.dtype == pl.String and all(k == v for k, v in mapping.items()):
        return texts
    outcomes = set(mapping.values())
    if len(outcomes) == 1:
        (value,) = outcomes
        same = pl.repeat(value, len(texts), eager=True, dtype=pl.String).alias(texts.name)
        if value is None or not texts.null_count():
            return same
        return pl.select(pl.when(texts.is_not_null()).then(same)).to_series()
    return texts.replace_strict(mapping, default=None, return_dtype=pl.String)


def _first_rows(series: pl.Series) -> pl.DataFrame:
    """Each distinct value of ``series`` (``v``) with its first row (``row``, from 1).

    In the order of first appearance, so work done per value meets the values in the
    order the per-journey reader meets the rows.
    """
    return (
        pl.DataFrame({"v": series})
        .with_row_index("row", offset=1)
        .group_by("v", maintain_order=True)
        .agg(pl.col("row").first())
    )


class _Outcome(enum.Enum):
    """What a per-journey value function made of one distinct value."""

    OK = enum.auto()
    UNMAPPED = enum.auto()  # no rule or known word: noted with a mapping, else an error


_Found = tuple[_Outcome, str | None]


class _Normaliser:
    """Apply the per-journey reader's own rules to a columnar log, role by role.

    The per-journey reader (:class:`careflow.io.eventlog._Builder`) parses a row role by
    role, in this order: case, timestamp, activity, unit (and its mapping rule),
    principal, contact type, kind, diagnosis, then cause, certainty and legal basis. Its
    value functions are called here once per distinct value of a column, and the column
    is mapped with ``replace_strict``; what they decide per row (a missing value's policy,
    an unmapped value noted in the report, a refused value) is decided for the rows still
    read at that step (``alive``: not skipped by an earlier role's ``skip`` policy), as
    the reader decides it row by row. Errors are collected and the one of the earliest
    row (then the earliest role) is raised, as the reader's first error.
    """

    def __init__(self, frame: pl.DataFrame, builder: _Builder, *, file: str | None) -> None:
        self.frame = frame
        self.b = builder
        self.file = file
        self.height = frame.height
        self.alive = pl.repeat(True, self.height, eager=True, dtype=pl.Boolean)
        self.stage = 0
        self.errors: list[tuple[int, int, Callable[[], JourneyFileError]]] = []
        self.skipped: dict[str, int] = {}
        self.unknown: dict[str, int] = {}
        self.ignored: dict[str, int] = {}
        self.unmapped: dict[str, list[UnmappedValue]] = {}
        self.case = pl.repeat("", self.height, eager=True, dtype=pl.String)

    # -- helpers ---------------------------------------------------------------------------

    def where(self, row: int) -> _Where:
        return _Where(self.file, row, "row")

    def fail(self, mask: pl.Series, make: Callable[[int], JourneyFileError]) -> None:
        """Note the error ``make`` gives for the first row of ``mask`` (if any)."""
        if mask.any():
            row = int(mask.arg_true()[0]) + 1
            self.errors.append((row, self.stage, lambda: make(row)))

    def cells(self, role: str, *, tokens: bool = True) -> pl.Series:
        """The role's column as the reader's ``cell`` reads it: text, or null if missing."""
        column = self.b.names[role]
        series = self.frame.get_column(column)
        if series.dtype == pl.String:  # the cell is its own key: no first rows needed
            keys = series
            pairs = [(v, v) for v in series.unique().to_list()]
        else:
            keys = _as_python_text(series)
            firsts = _first_rows(keys)
            raws = series.gather(firsts.get_column("row") - 1).to_list()
            pairs = list(zip(firsts["v"].to_list(), raws, strict=True))
        mapping: dict[str, str | None] = {}
        null_text: str | None = None
        for key, raw in pairs:
            try:  # where is only read for an error, and an error is located below
                text = self.b.cell(raw, self.where(0), column, tokens=tokens)
            except JourneyFileError:  # the reader refuses such a cell on any row
                same = keys.is_null() if key is None else keys.eq(key).fill_null(False)
                self.fail(self.alive & same, lambda r: self.refused_cell(series[r - 1], r, column))
                text = None
            if key is None:
                null_text = text
            else:
                mapping[key] = text
        out = _mapped(keys, mapping)
        return out if null_text is None else out.fill_null(null_text)

    def refused_cell(self, value: Any, row: int, column: str) -> JourneyFileError:
        """The reader's error for a cell it cannot read at all (an infinite number...)."""
        try:
            self.b.cell(value, self.where(row), column)
        except JourneyFileError as exc:
            return exc
        return self.where(row).error("the cell cannot be read", column)  # pragma: no cover

    def absent(self, role: str, missing: pl.Series, applicable: pl.Series | None = None) -> None:
        """Apply ``role``'s missing-value policy to the live rows where it is ``missing``."""
        hit = self.alive & missing.fill_null(True)
        if applicable is not None:
            hit = hit & applicable
        n = int(hit.sum())
        if not n:
            return
        policy = self.b.policy[role]
        if policy is MissingPolicy.ERROR:

            def make(row: int) -> JourneyFileError:
                try:
                    self.b.absent(role, self.where(row))
                except JourneyFileError as exc:
                    return exc
                raise AssertionError(role)  # pragma: no cover - the policy is error

            self.fail(hit, make)
        elif policy is MissingPolicy.SKIP:
            self.skipped[role] = self.skipped.get(role, 0) + n
            self.alive = self.alive & ~hit
        else:
            self.unknown[role] = self.unknown.get(role, 0) + n

    def values(
        self,
        role: str,
        texts: pl.Series,
        applicable: pl.Series,
        found: Callable[[str], _Found],
        refuse: Callable[[str, _Where], JourneyFileError] | None = None,
    ) -> pl.Series:
        """Map each distinct text by ``found``; count unmapped values; note refused ones.

        ``texts`` is null where the cell is missing (the policy was applied already) and
        the result is null there too.
        """
        mapping: dict[str, str | None] = {}
        unmapped: list[str] = []
        refused: list[str] = []
        for text in texts.drop_nulls().unique(maintain_order=True).to_list():
            outcome, value = found(text)
            mapping[text] = value
            if outcome is _Outcome.UNMAPPED:
                (refused if refuse is not None else unmapped).append(text)
        live = self.alive & applicable & texts.is_not_null()
        if refuse is not None:
            for text in refused:
                self.fail(live & texts.eq(text), self.refusal(refuse, text))
        if unmapped:
            chosen = live & texts.is_in(unmapped)
            counts = (
                pl.DataFrame({"value": texts.filter(chosen), "case": self.case.filter(chosen)})
                .group_by("value")
                .agg(events=pl.len(), cases=pl.col("case").n_unique())
                .sort(["events", "value"], descending=[True, False])
            )
            self.unmapped.setdefault(role, []).extend(
                UnmappedValue(role=role, value=v, events=e, cases=c)
                for v, e, c in counts.iter_rows()
            )
        return _mapped(texts, mapping)

    def refusal(
        self, refuse: Callable[[str, _Where], JourneyFileError], text: str
    ) -> Callable[[int], JourneyFileError]:
        """The reader's error for ``text`` at a given row."""
        return lambda row: refuse(text, self.where(row))

    def lookup(  # noqa: PLR0917 - the reader's lookup, with the rows it applies to
        self,
        role: str,
        texts: pl.Series,
        applicable: pl.Series,
        rules: Sequence[Any],
        builtin: Mapping[str, Any],
        what: str,
    ) -> pl.Series:
        """The reader's ``lookup``: rules, then built-in words; unmapped or refused."""

        def found(text: str) -> _Found:
            value = self.b.find(role, text, rules, builtin)
            if value is _NOT_FOUND:
                return _Outcome.UNMAPPED, None
            return _Outcome.OK, None if value is None else str(value.value)

        refuse = None
        if self.b.mapping is None:

            def refuse(text: str, where: _Where) -> JourneyFileError:
                return self.b.unknown_value(role, text, builtin, where, what)

        return self.values(role, texts, applicable, found, refuse)

    def raise_first(self) -> None:
        if self.errors:
            *_, make = min(self.errors, key=lambda e: (e[0], e[1]))
            raise make()

    # -- the roles, in the reader's order --------------------------------------------------

    def run(self) -> pl.DataFrame:  # noqa: PLR0915 - one step per role, as the reader
        b, height = self.b, self.height
        everywhere = pl.repeat(True, height, eager=True, dtype=pl.Boolean)
        empty = pl.repeat("", height, eager=True, dtype=pl.String)
        nothing = pl.repeat(None, height, eager=True, dtype=pl.String)
        mapping = b.mapping
        # 1. case (``missing`` tokens are case ids too: only an empty cell is missing)
        self.stage = 1
        case = _text(self.frame, b.names["case"])
        self.absent("case", case.eq(""))
        self.case = case
        # 2. timestamp
        self.stage = 2
        ts, is_date = self.timestamps(b.names["timestamp"])
        # 3. activity
        self.stage = 3
        if "activity" in b.names:
            activity_cell = self.cells("activity")
            self.absent("activity", activity_cell.is_null())
            activity = activity_cell.fill_null("")
        else:
            activity = empty
        # 4. unit, and what the mapping's unit rules say of it
        self.stage = 4
        if "unit" in b.names:
            unit_cell = self.cells("unit")
            self.absent("unit", unit_cell.is_null())
        else:
            unit_cell = pl.select(
                pl.when(activity.eq("")).then(None).otherwise(activity)
            ).to_series()
            self.absent("activity", unit_cell.is_null())
        unit = unit_cell.fill_null(UNKNOWN_UNIT)
        rule_principal = self.values(
            "unit",
            unit,
            everywhere,
            lambda t: _unit_found(b, t, 0),
        )
        service = _mapped(
            unit, {t: _unit_found(b, t, 1)[1] for t in unit.unique().to_list()}
        ).fill_null(ServiceKind.OTHER.value)
        # 5. principal: the column is read only where no unit rule gave one
        self.stage = 5
        principal = rule_principal
        if "principal" in b.names:
            open_ = rule_principal.is_null()
            text = self.cells("principal")
            self.absent("principal", text.is_null(), open_)
            found = self.lookup(
                "principal",
                text,
                open_,
                mapping.principals if mapping else (),
                _PRINCIPALS,
                "principal",
            )
            principal = pl.select(pl.coalesce(rule_principal, found)).to_series()
        principal = principal.fill_null(Principal.OTHER.value)
        # 6. contact type
        self.stage = 6
        if "channel" in b.names:
            channel_cell = self.cells("channel")
            self.absent("channel", channel_cell.is_null())
            channel = self.lookup(
                "channel",
                channel_cell,
                everywhere,
                mapping.contact_types if mapping else (),
                _CHANNELS,
                "contact type",
            )
            channel_text = channel_cell.fill_null("")
        else:
            channel, channel_text = nothing, empty
        # 7. kind
        self.stage = 7
        if "kind" in b.names:
            kind_cell = self.cells("kind")
            self.absent("kind", kind_cell.is_null())
            kind = self.lookup("kind", kind_cell, everywhere, (), _KINDS, "kind of event")
        elif "activity" in b.names:
            rules = bool(mapping and mapping.activities)

            def kind_found(text: str) -> _Found:
                found = b.activity_kind(text)
                if found is None:
                    return (_Outcome.UNMAPPED if rules else _Outcome.OK), None
                return _Outcome.OK, found.value

            named = pl.select(pl.when(activity.eq("")).then(None).otherwise(activity)).to_series()
            kind = self.values("activity", named, everywhere, kind_found)
        else:
            kind = nothing
        # an enum from here: the steps below compare it as a small integer
        kind = kind.fill_null(EventKind.CONTACT.value).cast(VOCABULARY_TYPES["kind"])
        # 8. diagnosis: the need it names
        self.stage = 8
        if "diagnosis" in b.names:
            diagnosis = self.cells("diagnosis")
            self.absent("diagnosis", diagnosis.is_null())
            rules = bool(mapping and mapping.diagnoses)

            def need_found(text: str) -> _Found:
                need = b.diagnosis_need(text)
                if need is None:
                    return (_Outcome.UNMAPPED if rules else _Outcome.OK), None
                return _Outcome.OK, need

            need = self.values("diagnosis", diagnosis, everywhere, need_found)
        else:
            need = nothing
        # 9. a death's cause and certainty, an episode's legal basis
        self.stage = 9
        attributes: dict[str, pl.Series] = {}
        for role, carriers, rules_of, builtin in b.attribute_roles:
            if role not in b.names:
                attributes[role] = nothing
                attributes[f"_{role}_text"] = empty
                continue
            tokens = role != "legal_basis" or not b.none_is_voluntary
            text = self.cells(role, tokens=tokens)
            if not tokens:
                gone = {t: None for t in text.drop_nulls().unique().to_list()
                        if t.casefold() in b.missing_but_none}  # fmt: skip
                if gone:
                    text = pl.select(
                        pl.when(text.is_in(list(gone))).then(None).otherwise(text)
                    ).to_series()
            carried = kind.is_in(sorted(k.value for k in carriers))
            stray = int((self.alive & ~carried & text.is_not_null()).sum())
            if stray:
                self.ignored[role] = self.ignored.get(role, 0) + stray
            self.absent(role, text.is_null(), carried)
            value = self.lookup(role, text, carried, rules_of, builtin, builtin.hint)
            attributes[role] = pl.select(pl.when(carried).then(value)).to_series()
            attributes[f"_{role}_text"] = text.fill_null("")
        self.raise_first()
        return pl.DataFrame(
            {
                "case": case,
                "ts": ts,
                "is_date": is_date,
                "kind": kind,
                "rank": _RANK_OF_CODE.gather(kind.to_physical()),
                "activity": activity,
                "unit": unit,
                "principal": principal,
                "service": service,
                "channel": channel,
                "_channel_text": channel_text,
                "need": need,
                "legal_basis": attributes["legal_basis"],
                "cause": attributes["cause"],
                "certainty": attributes["certainty"],
                **{c: attributes[c] for c in _TIE_COLUMNS},
            }
        )

    def timestamps(self, column: str) -> tuple[pl.Series, pl.Series]:
        """The timestamp column as naive datetimes (µs), and whether each was a plain date.

        Times are in the analysis time zone; only the live rows are parsed (the others
        read as a dummy date).
        """
        series = self.frame.get_column(column)
        dtype = series.dtype
        clock = self.b.clock
        if isinstance(dtype, pl.Datetime):
            self.absent("timestamp", series.is_null())
            if dtype.time_zone is not None:
                tz = str(clock.tz)
                series = series.dt.convert_time_zone(tz).dt.replace_time_zone(None)
            ts = series.dt.cast_time_unit("us")
            is_date = pl.repeat(False, len(ts), eager=True)
        elif dtype == pl.Date:
            self.absent("timestamp", series.is_null())
            ts = series.cast(pl.Datetime("us"))
            is_date = pl.repeat(True, len(ts), eager=True)
        else:
            text = _text(self.frame, column)
            missing = _missing(text, self.b)
            self.absent("timestamp", missing)
            live = self.alive & ~missing
            text = pl.select(pl.when(live).then(text).otherwise(pl.lit(_DUMMY_DATE))).to_series()
            if clock.fmt is None:
                is_date = text.str.contains(_DATE_PATTERN)
                plain = is_date | text.str.contains(_STAMP_PATTERN)
                parsed = (
                    pl.DataFrame({"t": text})
                    .with_columns(
                        d=pl.col("t").str.to_datetime("%Y-%m-%d", strict=False, time_unit="us"),
                        s=pl.col("t")
                        .str.replace("T", " ", literal=True)
                        .str.to_datetime(strict=False, time_unit="us"),
                    )
                    .select(pl.coalesce("d", "s"))
                    .to_series()
                )
                ts = pl.select(pl.when(plain).then(parsed).otherwise(None)).to_series()
                rest = ~plain | ts.is_null()
            else:  # a strptime format: every cell as the reader parses it
                is_date = pl.repeat(False, len(text), eager=True)
                ts = pl.repeat(None, len(text), eager=True, dtype=pl.Datetime("us"))
                rest = pl.repeat(True, len(text), eager=True)
            if rest.any():
                ts, is_date = self.python_timestamps(text, ts, is_date, rest, column)
        bad = self.alive & ((ts.dt.year() < _MIN_YEAR) | (ts.dt.year() > _MAX_YEAR)).fill_null(
            False
        )

        def make(row: int) -> JourneyFileError:
            when = ts[row - 1]
            return self.where(row).error(
                f"{when.isoformat()} has the year {when.year}; expected a year from "
                f"{_MIN_YEAR} to {_MAX_YEAR}",
                column,
            )

        self.fail(bad, make)
        return ts.alias("ts"), is_date.alias("is_date")

    def python_timestamps(
        self, text: pl.Series, ts: pl.Series, is_date: pl.Series, rest: pl.Series, column: str
    ) -> tuple[pl.Series, pl.Series]:
        """Parse the cells the fast path could not with the per-journey reader's own clock.

        The distinct cells are met in the order of their first row, as the reader meets
        them (its clock remembers the first cell with and without a time zone).
        """
        values: dict[str, dt.datetime] = {}
        dates: dict[str, bool] = {}
        firsts = _first_rows(text.filter(rest))
        rows = pl.Series(range(1, len(text) + 1)).filter(rest)
        for cell, index in zip(firsts["v"].to_list(), firsts["row"].to_list(), strict=True):
            row = int(rows[index - 1])
            try:
                when = self.b.clock.parse(cell, self.where(row), column)
            except JourneyFileError as exc:
                self.errors.append((row, self.stage, _raised(exc)))
                break  # the reader's clock would not go on from here either
            dates[cell] = not isinstance(when, dt.datetime)
            values[cell] = (
                when
                if isinstance(when, dt.datetime)
                else dt.datetime(when.year, when.month, when.day)
            )
        fixed = text.replace_strict(values, default=None, return_dtype=pl.Datetime("us"))
        flag = text.replace_strict(dates, default=None, return_dtype=pl.Boolean)
        ts = pl.select(pl.coalesce(fixed, ts)).to_series()
        is_date = pl.select(pl.coalesce(flag, is_date)).to_series()
        return ts, is_date


#: What a cell skipped or missing reads as while the live rows are parsed.
_DUMMY_DATE: Final = "2000-01-01"


def _raised(exc: JourneyFileError) -> Callable[[], JourneyFileError]:
    return lambda: exc


def _missing(text: pl.Series, builder: _Builder) -> pl.Series:
    """Where the stripped text is a missing value by the reader's tokens (empty, ``NA``...)."""
    short = text.filter(text.str.len_chars() <= builder.missing_len).unique().to_list()
    gone = [t for t in short if not t or t.casefold() in builder.missing]
    return text.is_in(gone)


def _unit_found(builder: _Builder, text: str, part: int) -> _Found:
    """A unit rule's principal (``part`` 0) or service (1); unmapped when no rule matched."""
    rule = builder.unit_rule(text)
    value = rule[part]
    if rule == (None, None) and builder.report_units:
        return _Outcome.UNMAPPED, None
    return _Outcome.OK, None if value is None else value.value


def _check_principals(events: pl.DataFrame, *, file: str | None, column: str) -> None:
    """A unit has one principal within a case (checked per case only when not log-wide)."""
    per_unit = events.lazy().group_by("unit").agg(n=pl.col("principal").n_unique())
    if per_unit.select(pl.col("n").max()).collect().item() <= 1:
        return  # one principal per unit across the whole log, so within every case too
    clash = (
        events.lazy()
        .group_by("case", "unit")
        .agg(pl.col("principal").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
        .sort("case", "unit")
        .head(1)
        .collect()
    )
    if clash.height:
        case, unit = clash.item(0, "case"), clash.item(0, "unit")
        raise JourneyFileError(
            f"unit {unit!r:.60} has more than one principal in case {case!r:.40}; expected "
            "one principal per unit",
            file=file,
            path=column,
        )


def _tie_order(events: pl.DataFrame, tie_keys: Sequence[str]) -> pl.Series:
    """The rows' order: by case, order time and kind rank, then by ``tie_keys`` (text).

    The time and the rank make one integer (times lie within the years the reader
    accepts), so the table is sorted by two integer keys in two stable passes (that
    integer, then the case's code). Rows that share case, time and rank are few: only
    they are sorted again by every key (text compares by code point, as Python compares
    strings; enums are in text order) and put back in their places.
    """
    first = ["case", "_order", "rank"]
    moment = pl.col("_order").cast(pl.Int64) * _RANKS + pl.col("rank").cast(pl.Int64)
    keys = events.select(pl.col("case").to_physical().alias("code"), moment.alias("moment"))
    order = keys.select(pl.arg_sort_by("moment", maintain_order=True)).to_series()
    by_case = keys.get_column("code").gather(order).to_frame()
    order = order.gather(by_case.select(pl.arg_sort_by("code", maintain_order=True)).to_series())
    sorted_keys = keys.gather(order)
    same = pl.all_horizontal(pl.col(k) == pl.col(k).shift(1) for k in keys.columns)
    tie = same.fill_null(False)
    places = sorted_keys.select(pl.arg_where(tie | tie.shift(-1).fill_null(False))).to_series()
    if places.is_empty():
        return order
    tied = order.gather(places)
    rows = events.select(*first, *tie_keys).gather(tied)
    # a key with one value in these rows breaks no tie (a column the log lacks)
    varying = [k for k in tie_keys if rows.get_column(k).n_unique() > 1]
    again = rows.select(pl.arg_sort_by([*first, *varying], maintain_order=True)).to_series()
    return order.scatter(places, tied.gather(again))


def sort_events(
    events: pl.DataFrame, *, not_keys: Iterable[str] = (), same_stay_hours: float | None = None
) -> pl.DataFrame:
    """Sort by case, then by the tie rule; add ``pos`` and ``handover``.

    Every column besides the known ones is a tie key, in order, except ``not_keys``.
    ``handover`` is where the per-journey reader puts a handover transition: the unit
    changed from the previous event, the event is not a death, and (with
    ``same_stay_hours``, a mapping's threshold) it is not a move between two units of
    one principal within that many hours of the previous event (one stay).

    The case column carries polars' sorted flag (its codes are in text order, and the
    rows in the order of their codes): grouping and windows by case then cut the table
    into slices instead of hashing every row, which made scoring about a tenth cheaper.
    """
    fixed = set(EVENT_COLUMNS) | {"_channel_text", "pos", "handover", *_TIE_COLUMNS, *not_keys}
    others = [c for c in events.columns if c not in fixed]
    ties = [c for c in _TIE_COLUMNS if c in events.columns]
    # the case, activity and unit as enums whose order is the text's (code point) order:
    # the bulk path compares and groups them as small integers
    coded = events.with_columns(
        pl.col(n).cast(pl.Enum(events.get_column(n).unique().sort()))
        for n in ("case", "activity", "unit")
    )
    # careflow.model.order_time: a death known by date only sorts last on its day
    last = pl.col("ts") + pl.duration(days=1) - pl.duration(microseconds=1)
    death_by_date = (pl.col("kind") == EventKind.DEATH.value) & pl.col("is_date")
    coded = coded.with_columns(_order=pl.when(death_by_date).then(last).otherwise(pl.col("ts")))
    order = _tie_order(coded, ["activity", "unit", "_channel_text", *ties, *others])
    # the tie keys' text is not kept: only the kept columns are put in order
    spent = ["_channel_text", *ties] + ([] if same_stay_hours is not None else ["_order"])
    ordered = coded.drop(spent).gather(order)
    # the event's place in its case: rows since the case's first row (the table is sorted)
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    first = pl.col("case") != pl.col("case").shift(1)
    pos = row - pl.when(first.fill_null(True)).then(row).otherwise(None).forward_fill()
    changed = (pl.col("pos") > 0) & (pl.col("unit") != pl.col("unit").shift(1))
    handover = changed & (pl.col("kind") != EventKind.DEATH.value)
    if same_stay_hours is not None:
        # careflow.io.eventlog._Builder.same_stay: by the order times of the two events
        stay = (pl.col("principal") == pl.col("principal").shift(1)) & (
            pl.col("_order") - pl.col("_order").shift(1)
            <= pl.lit(dt.timedelta(hours=same_stay_hours))
        )
        handover = handover & ~stay
    return (
        ordered.with_columns(pos=pos)
        .with_columns(handover=handover, case=pl.col("case").set_sorted())
        .drop("_order", strict=False)
    )
