"""One entry point that loads journeys from any supported file, chosen by suffix."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

import attrs

from careflow.errors import JourneyFileError
from careflow.io._document import MAX_BYTES, decode_text
from careflow.io.eventlog import (
    MAX_LOG_ROWS,
    CaseLimit,
    LogReport,
    log_format,
    read_event_log_report,
)
from careflow.io.journey_file import load_journey, loads_journey
from careflow.io.mapping import LogMapping
from careflow.model import Journey

__all__ = [
    "EVENT_LOG_SUFFIXES",
    "INPUT_FORMATS",
    "JOURNEY_SUFFIXES",
    "ReadSettings",
    "is_event_log",
    "load_journeys",
    "load_journeys_report",
]

#: Suffixes read as journey files.
JOURNEY_SUFFIXES: Final = frozenset({".yaml", ".yml", ".json"})
#: Suffixes read as event logs (one journey per case).
EVENT_LOG_SUFFIXES: Final = frozenset({".csv", ".tsv", ".parquet", ".pq", ".xes", ".xes.gz"})
#: What ``input_format`` may name (for ``-``, standard input).
INPUT_FORMATS: Final = ("csv", "json", "yaml")


@attrs.frozen(kw_only=True, slots=True)
class ReadSettings:
    """How to read inputs: a mapping, time zone, timestamp format, encoding, input format.

    ``max_rows`` is the most rows an event log may have
    (:data:`careflow.io.eventlog.MAX_LOG_ROWS` by default; ``--max-rows`` in the CLI).
    """

    mapping: LogMapping | None = None
    timezone: str | None = None
    timestamp_format: str | None = None
    encoding: str | None = None
    input_format: str | None = None
    max_rows: int = MAX_LOG_ROWS


def is_event_log(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is read as an event log (by its suffix)."""
    return log_format(os.fspath(path)) is not None


def load_journeys(
    path: str | os.PathLike[str], settings: ReadSettings | None = None
) -> list[Journey]:
    """Load every journey in ``path``: one from a journey file, one per case from a log."""
    return load_journeys_report(path, settings)[0]


def load_journeys_report(
    path: str | os.PathLike[str],
    settings: ReadSettings | None = None,
    *,
    case_limit: CaseLimit | None = None,
) -> tuple[list[Journey], LogReport | None]:
    """Like :func:`load_journeys`, with the log's report (None for a journey file).

    ``-`` reads standard input in ``settings.input_format`` (csv, json or yaml). A name
    with no known suffix is refused with a message listing what careflow reads. For an
    event log, ``case_limit`` stops the reading early with
    :class:`~careflow.io.eventlog.CaseTooLargeError` (a journey file is small enough to
    read whole).
    """
    settings = settings or ReadSettings()
    name = os.fspath(path)
    fmt = settings.input_format
    if name == "-":
        if fmt is None:
            raise JourneyFileError(
                "standard input needs --input-format csv, json or yaml", file="<stdin>"
            )
        if fmt in {"json", "yaml"}:
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise JourneyFileError(
                    f"standard input has more than {MAX_BYTES:,} bytes, the limit for a journey",
                    file="<stdin>",
                )
            return [loads_journey(decode_text(data, "<stdin>"), fmt=fmt, file="<stdin>")], None
    elif Path(name).suffix.lower() in JOURNEY_SUFFIXES and fmt in {None, "json", "yaml"}:
        return [load_journey(path, fmt=fmt)], None
    result = read_event_log_report(
        path,
        mapping=settings.mapping,
        timezone=settings.timezone,
        timestamp_format=settings.timestamp_format,
        encoding=settings.encoding,
        input_format=fmt,
        max_rows=settings.max_rows,
        case_limit=case_limit,
    )
    return result.journeys, result.report
