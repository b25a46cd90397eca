"""Stream the events of an XES file (IEEE 1849), plain or gzip-compressed.

The file is parsed with :mod:`defusedxml`'s ``iterparse`` over the standard library's
expat, with document type declarations, entity declarations and external references all
refused: an XES file needs none of them, and they are what entity-expansion ("billion
laughs") and external-entity (XXE) attacks use. Elements are cleared as soon as a trace
is read, so memory holds one trace at a time, never the whole document.

Each event becomes a row: its own attributes under their keys (``concept:name``,
``time:timestamp``, ``org:resource`` ...) and its trace's attributes under ``case:`` and
their key (``case:concept:name`` ...), as pm4py names them. Attributes nested inside
other attributes (lists, containers) and the log's global attributes are not read.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from typing import IO, Any, Final

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from careflow.errors import JourneyFileError
from careflow.io.eventlog import _ROW_LIMIT

__all__ = ["xes_rows"]

_ATTRIBUTES: Final = frozenset({"string", "date", "int", "float", "boolean", "id"})


class _Counted:
    """A binary stream that refuses to give more than ``limit`` bytes (a zip bomb guard)."""

    def __init__(self, raw: IO[bytes], limit: int, file: str) -> None:
        self.raw, self.limit, self.file, self.seen = raw, limit, file, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(65536 if size is None or size < 0 else min(size, 65536))
        self.seen += len(chunk)
        if self.seen > self.limit:
            raise JourneyFileError(
                f"the XES data is more than {self.limit:,} bytes (after decompression); split "
                "it or raise max_bytes",
                file=self.file,
            )
        return chunk


def _local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def xes_rows(
    raw: IO[bytes], *, file: str, compressed: bool, max_bytes: int, max_rows: int
) -> tuple[list[str], list[dict[str, str]]]:
    """Read every event of the XES stream ``raw`` into a row; return the keys and the rows."""
    stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    counted = _Counted(stream, max_bytes, file)
    rows: list[dict[str, str]] = []
    keys: dict[str, None] = {}
    try:
        for row in _events(counted, file=file):
            rows.append(row)
            if len(rows) > max_rows:
                raise JourneyFileError(
                    f"the event log has more than {max_rows:,} events; split it or raise "
                    f"{_ROW_LIMIT}",
                    file=file,
                )
            for key in row:
                keys.setdefault(key, None)
    except DefusedXmlException as exc:
        raise JourneyFileError(
            f"the XES file declares {type(exc).__name__.replace('Forbidden', '').lower()} "
            "content (a DTD, an entity or an external reference), which careflow refuses: an XES "
            "file needs none, and they are the means of XML attacks",
            file=file,
        ) from None
    except ParseError as exc:
        line = getattr(exc, "position", (None, None))[0]
        raise JourneyFileError(
            f"not well-formed XML ({str(exc)[:160]})", file=file, line=line
        ) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise JourneyFileError(
            f"cannot read the compressed XES file ({type(exc).__name__}: {str(exc)[:120]})",
            file=file,
        ) from None
    if not rows:
        raise JourneyFileError("the XES file has no events", file=file)
    return list(keys), rows


def _events(source: _Counted, *, file: str) -> Iterator[dict[str, str]]:
    stack: list[str] = []
    root: Any = None
    trace_attrs: dict[str, str] = {}
    trace_events: list[dict[str, str]] = []
    event: dict[str, str] = {}
    parser = iterparse(
        source,
        events=("start", "end"),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    for what, elem in parser:
        if what == "start":
            tag = _local(elem.tag)
            if root is None:
                root = elem
                if tag != "log":
                    raise JourneyFileError(
                        f"the root element is <{tag[:40]}>; expected <log> (an XES file)",
                        file=file,
                    )
            stack.append(tag)
            if stack == ["log", "trace"]:
                trace_attrs, trace_events = {}, []
            elif stack == ["log", "trace", "event"]:
                event = {}
            continue
        tag = stack.pop()
        depth = len(stack)
        if tag in _ATTRIBUTES and depth in (2, 3) and stack[1] == "trace":
            key, value = elem.get("key"), elem.get("value")
            if key is not None and value is not None:
                if depth == 3 and stack[2] == "event":
                    event[key] = value
                elif depth == 2:
                    trace_attrs[f"case:{key}"] = value
        elif tag == "event" and depth == 2:
            trace_events.append(event)
            elem.clear()
        elif tag == "trace" and depth == 1:
            for row in trace_events:
                yield {**trace_attrs, **row}
            elem.clear()
            root.clear()
