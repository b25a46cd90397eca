"""Read an event log as one sorted columnar table of events, the bulk path's only input.

The columns play the roles :class:`careflow.io.eventlog.EventLogColumns` finds, with the
same vocabularies (kinds, principals, contact types) and the same tie rule, so the events
of a case stand in exactly the order :func:`careflow.read_event_log` gives them:

1. the timestamp (a plain date counts as midnight);
2. the kind of event, in :data:`careflow.model.KIND_RANK` order;
3. the activity, then the unit, then the contact type, then every other column of the
   row as text, in the order of the header.

No :class:`~careflow.model.Journey` is built. The result has one row per event with the
columns ``case``, ``ts`` (naive local datetime in the analysis time zone, as the
per-journey reader gives it), ``is_date`` (the cell was a plain date),
``kind``, ``rank``, ``activity``, ``unit``, ``principal``, ``service`` (the unit's
:class:`careflow.model.ServiceKind`; ``other`` unless a mapping says), ``channel``, ``day`` (the day
count of :func:`careflow.scoring.facts.day_number`), ``need`` (the need a diagnosis names,
as the per-journey reader reads it into :attr:`careflow.model.Person.needs`), ``legal_basis``
(on admissions, treatments and support), ``cause`` and ``certainty`` (on a death),
``pos`` (the event's 0-based place in its case) and ``handover`` (the unit changed from the
previous event and the event is not a death: where the per-journey reader puts a
``handover`` transition), plus every other column of the log under its own name, as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from careflow.errors import JourneyFileError
from careflow.io.eventlog import (
    _CAUSES,
    _CERTAINTIES,
    _CHANNELS,
    _KINDS,
    _LEGAL_BASES,
    _PRINCIPALS,
    DEFAULT_TIMEZONE,
    MAX_LOG_BYTES,
    MISSING_TEXT,
    EventLogColumns,
    _Clock,
    _Where,
    zone,
)
from careflow.io.mapping import DEFAULT_DIAGNOSES, normalise_code
from careflow.model import KIND_RANK, LEGAL_BASIS_KINDS, EventKind, Principal, ServiceKind
from careflow.population.privacy import check_pseudonymous

__all__ = ["EVENT_COLUMNS", "check_size", "read_events", "sort_events"]

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
#: The roles of :class:`careflow.io.eventlog.EventLogColumns` the bulk path reads.
_CONSUMED: Final = (
    "case",
    "timestamp",
    "activity",
    "unit",
    "principal",
    "channel",
    "kind",
    "diagnosis",
    "cause",
    "certainty",
    "legal_basis",
)
#: Roles whose column is also kept as text under its own name (``--by diagnosis``).
_KEPT: Final = frozenset({"diagnosis"})
#: Roles whose cell text breaks ties after the contact type, in the per-journey order.
_TIE_ROLES: Final = ("cause", "certainty", "legal_basis")
_TIE_COLUMNS: Final = tuple(f"_{role}_text" for role in _TIE_ROLES)
#: Ordinal (days from 0001-01-01, day 1) of 1970-01-01.
_EPOCH_ORDINAL: Final = 719_163
_RESERVED: Final = frozenset(
    {*EVENT_COLUMNS, "pos", "handover", "_channel_text", "_order", *_TIE_COLUMNS}
)
_DATE_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}$"
_STAMP_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


def read_events(
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    columns: EventLogColumns | None = None,
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
        When a column is missing, a value is not in careflow's vocabulary, a unit has two
        principals in one case, or the case ids look like personal identity numbers.
    """
    numbers: pl.Series | None = None
    if isinstance(source, pl.DataFrame):
        frame = source
        if row_numbers is not None:
            numbers = frame.get_column(row_numbers)
            frame = frame.drop(row_numbers)
    else:
        file = os.fspath(source)
        frame = _read_file(file, max_bytes=max_bytes)
    if frame.width == 0 or frame.height == 0:
        raise JourneyFileError("the event log has no rows", file=file)
    header = [str(c) for c in frame.columns]
    roles = (columns or EventLogColumns()).resolve(header, file=file)
    try:
        events = _normalise(frame, roles, header, file=file)
    except JourneyFileError as exc:
        raise _in_file_rows(exc, numbers) from None
    if not allow_personal_ids:
        check_pseudonymous(events.get_column("case").unique(), file=file, column=roles["case"])
    # a role's own column (diagnosis...) stays groupable, but is no tie key per journey
    role_columns = [roles[r] for r in _CONSUMED if r in roles and roles[r] in events.columns]
    ordered = sort_events(events, not_keys=role_columns)
    _check_deaths(ordered, file=file)
    return ordered


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
        return pl.read_csv(file, infer_schema=False, encoding="utf8-lossy")
    except OSError as exc:
        raise JourneyFileError(f"cannot read the file ({exc})", file=file) from None
    except pl.exceptions.PolarsError as exc:
        raise JourneyFileError(
            f"not a readable event log ({type(exc).__name__}: {str(exc)[:200]})", file=file
        ) from None


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


def _lookup(
    values: pl.Series,
    table: Mapping[str, Any],
    *,
    file: str | None,
    column: str,
    what: str,
    missing_ok: bool = False,
) -> pl.Series:
    """Map stripped text through a vocabulary table, naming the first unknown value."""
    uniques = values.unique().to_list()
    mapping: dict[str, str | None] = {}
    for text in uniques:
        key = str(text).casefold().strip()
        if missing_ok and key in MISSING_TEXT:
            mapping[str(text)] = None  # a missing cell: no value, as the per-journey reader
            continue
        if key not in table:
            row = int(values.eq(text).arg_true()[0]) + 1
            known = ", ".join(sorted(k for k in table if k))
            raise JourneyFileError(
                f"{text!r:.60} is not a {what}; expected one of {known}",
                file=file,
                path=f"row {row}, {column}",
            )
        found = table[key]
        mapping[str(text)] = None if found is None else str(found.value)
    return values.replace_strict(mapping, default=None, return_dtype=pl.String)


def _required(values: pl.Series, *, file: str | None, column: str) -> None:
    empty = values.eq("")
    if empty.any():
        row = int(empty.arg_true()[0]) + 1
        raise JourneyFileError(
            "the cell is empty; expected a value", file=file, path=f"row {row}, {column}"
        )


def _normalise(
    frame: pl.DataFrame, roles: Mapping[str, str], header: list[str], *, file: str | None
) -> pl.DataFrame:
    case = _text(frame, roles["case"])
    _required(case, file=file, column=roles["case"])
    activity = _text(frame, roles["activity"]) if "activity" in roles else None
    unit_col = roles.get("unit", roles.get("activity", ""))
    unit = _text(frame, unit_col)
    _required(unit, file=file, column=unit_col)
    height = frame.height
    if "principal" in roles:
        principal_text = _text(frame, roles["principal"])
        _required(principal_text, file=file, column=roles["principal"])
        principal = _lookup(
            principal_text, _PRINCIPALS, file=file, column=roles["principal"], what="principal"
        )
    else:
        principal = pl.repeat(Principal.OTHER.value, height, eager=True, dtype=pl.String)
    if "channel" in roles:
        channel_text = _text(frame, roles["channel"])
        channel = _lookup(
            channel_text,
            _CHANNELS,
            file=file,
            column=roles["channel"],
            what="contact type",
            missing_ok=True,
        )
    else:
        channel_text = pl.repeat("", height, eager=True, dtype=pl.String)
        channel = pl.repeat(None, height, eager=True, dtype=pl.String)
    if "kind" in roles:
        kind_text = _text(frame, roles["kind"])
        _required(kind_text, file=file, column=roles["kind"])
        kind = _lookup(kind_text, _KINDS, file=file, column=roles["kind"], what="kind of event")
    elif activity is not None:
        kinds = {
            v: _KINDS.get(str(v).casefold(), EventKind.CONTACT).value for v in activity.unique()
        }
        kind = activity.replace_strict(kinds, return_dtype=pl.String)
    else:
        kind = pl.repeat(EventKind.CONTACT.value, height, eager=True, dtype=pl.String)
    ts, is_date = _timestamps(frame, roles["timestamp"], file=file)
    ranks = {k.value: r for k, r in KIND_RANK.items()}
    out = pl.DataFrame(
        {
            "case": case,
            "ts": ts,
            "is_date": is_date,
            "kind": kind,
            "rank": kind.replace_strict(ranks, return_dtype=pl.Int16),
            "activity": activity if activity is not None else pl.repeat("", height, eager=True),
            "unit": unit,
            "principal": principal,
            # the per-journey reader: a unit's service comes from a mapping, else "other"
            "service": pl.repeat(ServiceKind.OTHER.value, height, eager=True, dtype=pl.String),
            "channel": channel,
            "_channel_text": channel_text,
        }
    )
    out = out.with_columns(
        need=_needs(frame, roles),
        legal_basis=_attribute(frame, roles, "legal_basis", kind, LEGAL_BASIS_KINDS, file=file),
        cause=_attribute(frame, roles, "cause", kind, {EventKind.DEATH}, file=file),
        certainty=_attribute(frame, roles, "certainty", kind, {EventKind.DEATH}, file=file),
    )
    out = out.with_columns(_tie_texts(frame, roles))
    # columns without a role stay columns of their own
    consumed = {roles[r] for r in _CONSUMED if r in roles and r not in _KEPT}
    others = [h for h in header if h not in consumed]
    extra: dict[str, pl.Series] = {}
    for name in others:
        series = frame.get_column(name)
        if series.dtype != pl.String:
            series = _as_python_text(series)
        taken = name in _RESERVED or name in extra
        extra[f"log:{name}" if taken else name] = series.fill_null("")
    out = out.with_columns(**extra) if extra else out
    _check_principals(out, file=file, column=roles.get("principal", "principal"))
    seconds = (
        pl.col("ts").dt.hour().cast(pl.Int64) * 3600
        + pl.col("ts").dt.minute().cast(pl.Int64) * 60
        + pl.col("ts").dt.second().cast(pl.Int64)
    ).cast(pl.Float64) + pl.col("ts").dt.microsecond().cast(pl.Float64) / 1e6
    ordinal = pl.col("ts").dt.date().cast(pl.Int64) + _EPOCH_ORDINAL
    return out.with_columns(day=ordinal.cast(pl.Float64) + seconds / 86_400.0)


def _tie_texts(frame: pl.DataFrame, roles: Mapping[str, str]) -> list[pl.Series]:
    """The cells the per-journey tie rule compares after the contact type ("" if missing)."""
    out = []
    for role in _TIE_ROLES:
        missing = MISSING_TEXT - {"none"} if role == "legal_basis" else MISSING_TEXT
        if role in roles:
            text = _text(frame, roles[role])
            gone = text.str.to_lowercase().is_in(sorted(missing))
            tie = pl.select(pl.when(gone).then(pl.lit("")).otherwise(text)).to_series()
        else:
            tie = pl.repeat("", frame.height, eager=True, dtype=pl.String)
        out.append(tie.alias(f"_{role}_text"))
    return out


def _needs(frame: pl.DataFrame, roles: Mapping[str, str]) -> pl.Series:
    """The need each row's diagnosis names, by the per-journey reader's rules (or null)."""
    if "diagnosis" not in roles:
        return pl.repeat(None, frame.height, eager=True, dtype=pl.String)
    text = _text(frame, roles["diagnosis"])
    mapping: dict[str, str | None] = {}
    for value in text.unique().to_list():
        if value.casefold() in MISSING_TEXT:
            mapping[value] = None
            continue
        code = normalise_code(value)
        need = next((r.need for r in DEFAULT_DIAGNOSES if r.matches(code)), None)
        mapping[value] = None if need is None else str(need)
    return text.replace_strict(mapping, default=None, return_dtype=pl.String)


def _attribute(
    frame: pl.DataFrame,
    roles: Mapping[str, str],
    role: str,
    kind: pl.Series,
    carriers: Iterable[EventKind],
    *,
    file: str | None,
) -> pl.Series:
    """A death's cause or certainty, an episode's legal basis: read on carrier rows only.

    As the per-journey reader: a value on any other row is not kept, a missing value
    (``NA``...; for the legal basis ``none`` is a value, voluntary) is null, and an
    unknown value is an error naming its row.
    """
    if role not in roles:
        return pl.repeat(None, frame.height, eager=True, dtype=pl.String)
    table = {"legal_basis": _LEGAL_BASES, "cause": _CAUSES, "certainty": _CERTAINTIES}[role]
    missing = MISSING_TEXT - {"none"} if role == "legal_basis" else MISSING_TEXT
    text = _text(frame, roles[role])
    carried = kind.is_in(sorted(k.value for k in carriers))
    mapping: dict[str, str | None] = {}
    for value in text.filter(carried).unique().to_list():
        if value.casefold() in missing:
            mapping[value] = None
            continue
        try:
            found = table[value]
        except KeyError:
            row = int((text.eq(value) & carried).arg_true()[0]) + 1
            raise JourneyFileError(
                f"{value!r:.60} is not a {table.hint}",
                file=file,
                path=f"row {row}, {roles[role]}",
            ) from None
        mapping[value] = None if found is None else str(found.value)
    values = text.replace_strict(mapping, default=None, return_dtype=pl.String)
    return pl.select(pl.when(carried).then(values).otherwise(None)).to_series()


def _timestamps(
    frame: pl.DataFrame, column: str, *, file: str | None
) -> tuple[pl.Series, pl.Series]:
    """The timestamp column as naive UTC datetimes (µs) and whether each was a plain date."""
    series = frame.get_column(column)
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            series = series.dt.convert_time_zone(DEFAULT_TIMEZONE).dt.replace_time_zone(None)
        ts = series.dt.cast_time_unit("us")
        is_date = pl.repeat(False, len(ts), eager=True)
    elif dtype == pl.Date:
        ts = series.cast(pl.Datetime("us"))
        is_date = pl.repeat(True, len(ts), eager=True)
    else:
        text = _text(frame, column)
        _required(text, file=file, column=column)
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
        rest = text.filter(~plain | ts.is_null()).unique().to_list()
        if rest:
            ts, is_date = _python_timestamps(text, ts, is_date, rest, file=file, column=column)
    bad = (ts.dt.year() < 1900) | (ts.dt.year() > 2100)
    if bad.any():
        row = int(bad.arg_true()[0]) + 1
        year = ts[row - 1].year
        raise JourneyFileError(
            f"{ts[row - 1].isoformat()} has the year {year}; expected a year from 1900 to 2100",
            file=file,
            path=f"row {row}, {column}",
        )
    return ts.alias("ts"), is_date.alias("is_date")


def _python_timestamps(
    text: pl.Series,
    ts: pl.Series,
    is_date: pl.Series,
    rest: Iterable[str],
    *,
    file: str | None,
    column: str,
) -> tuple[pl.Series, pl.Series]:
    """Parse the cells the fast path could not with the per-journey reader's own rule."""
    import datetime as dt  # noqa: PLC0415 - only for the rare irregular cells

    values: dict[str, dt.datetime] = {}
    dates: dict[str, bool] = {}
    clock = _Clock(zone(DEFAULT_TIMEZONE), None)
    for cell in rest:
        row = int(text.eq(cell).arg_true()[0]) + 1
        when = clock.parse(cell, _Where(file=file, line=row, unit="row"), column)
        dates[cell] = not isinstance(when, dt.datetime)
        values[cell] = (
            when if isinstance(when, dt.datetime) else dt.datetime(when.year, when.month, when.day)
        )
    fixed = text.replace_strict(values, default=None, return_dtype=pl.Datetime("us"))
    flag = text.replace_strict(dates, default=None, return_dtype=pl.Boolean)
    ts = pl.select(pl.coalesce(fixed, ts)).to_series()
    is_date = pl.select(pl.coalesce(flag, is_date)).to_series()
    return ts, is_date


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


def sort_events(events: pl.DataFrame, *, not_keys: Iterable[str] = ()) -> pl.DataFrame:
    """Sort by case, then by the tie rule; add ``pos`` and ``handover``.

    Every column besides the known ones is a tie key, in order, except ``not_keys``.
    """
    fixed = set(EVENT_COLUMNS) | {"_channel_text", "pos", "handover", *_TIE_COLUMNS, *not_keys}
    others = [c for c in events.columns if c not in fixed]
    ties = [c for c in _TIE_COLUMNS if c in events.columns]
    text_keys = ["case", "activity", "unit", "_channel_text", *ties, *others]
    # each text key as an enum whose order is the text's (code point) order: sorting
    # enums compares small integers and gives the order Python's string comparison gives
    categories = {name: events.get_column(name).unique().sort() for name in text_keys}
    coded = events.with_columns(pl.col(n).cast(pl.Enum(c)) for n, c in categories.items())
    # careflow.model.order_time: a death known by date only sorts last on its day
    last = pl.col("ts") + pl.duration(days=1) - pl.duration(microseconds=1)
    death_by_date = (pl.col("kind") == EventKind.DEATH.value) & pl.col("is_date")
    coded = coded.with_columns(_order=pl.when(death_by_date).then(last).otherwise(pl.col("ts")))
    keys = ["case", "_order", "rank", "activity", "unit", "_channel_text", *ties, *others]
    # a key with one value in the whole table breaks no tie (a column the log lacks)
    constant = {c for c in text_keys[1:] if len(categories[c]) == 1}
    ordered = coded.sort([k for k in keys if k not in constant])
    # the event's place in its case: rows since the case's first row (the table is sorted)
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    first = pl.col("case") != pl.col("case").shift(1)
    pos = row - pl.when(first.fill_null(True)).then(row).otherwise(None).forward_fill()
    changed = (pl.col("pos") > 0) & (pl.col("unit") != pl.col("unit").shift(1))
    return (
        ordered.with_columns(pos=pos)
        .with_columns(handover=changed & (pl.col("kind") != EventKind.DEATH.value))
        .drop("_channel_text", "_order", *ties)
    )
