"""Read and write journey files (YAML or JSON), and the JSON Schema that describes them.

Everything is driven by :mod:`careflow.io.spec`. Reading goes bytes → text → plain data
(:mod:`careflow.io._document`) → model, and every problem becomes one
:class:`~careflow.errors.JourneyFileError` naming the file, the line where known and the
path in the document. Writing is deterministic: keys in spec order, collections in the
journey's order, defaults left out.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs
import yaml

from careflow.errors import CareflowError, JourneyFileError
from careflow.io._document import MAX_BYTES, Document, decode_text, parse_document
from careflow.io.output import write_output
from careflow.io.spec import FORMAT_VERSION, JOURNEY, SECTIONS, FieldSpec, Section
from careflow.model import Journey

__all__ = [
    "dump_journey",
    "dumps_journey",
    "journey_from_dict",
    "journey_schema",
    "journey_to_dict",
    "load_journey",
    "loads_journey",
]

_DATE_RE: Final = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$"
)
_MIN_YEAR: Final = 1900
_MAX_YEAR: Final = 2100


def _format_of(path: str | os.PathLike[str], fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("yaml", "json"):
            raise ValueError(f"format must be 'yaml' or 'json', not {fmt!r}")
        return fmt
    suffix = Path(path).suffix.lower()
    return "json" if suffix == ".json" else "yaml"


def load_journey(
    path: str | os.PathLike[str], *, fmt: str | None = None, max_bytes: int = MAX_BYTES
) -> Journey:
    """Load a journey from a YAML or JSON file.

    Parameters
    ----------
    path
        The file. ``.json`` is read as JSON, anything else as YAML (JSON is YAML too).
    fmt
        ``"yaml"`` or ``"json"`` to override the guess from the suffix.
    max_bytes
        Refuse files larger than this (default 4 MiB) with a clear error.

    Raises
    ------
    JourneyFileError
        The file cannot be read, parsed, or turned into a valid journey; the message names
        the file, the line where known, the path in the document and what was expected.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise JourneyFileError("no such file", file=name) from None
    except IsADirectoryError:
        raise JourneyFileError("this is a folder; expected a journey file", file=name) from None
    except OSError as exc:
        raise JourneyFileError(f"cannot read the file: {exc.strerror}", file=name) from None
    if len(data) > max_bytes:
        raise JourneyFileError(
            f"the file is larger than {max_bytes:,} bytes, the limit for a journey file; "
            "split it, or load event logs with careflow.read_event_log",
            file=name,
        )
    return loads_journey(decode_text(data, name), fmt=_format_of(path, fmt), file=name)


#: At most this many errors of one journey file are collected (the first is raised, the
#: others are in its :attr:`~careflow.errors.CareflowError.more`).
MAX_ERRORS: Final = 20


def loads_journey(text: str, *, fmt: str = "yaml", file: str | None = None) -> Journey:
    """Load a journey from YAML or JSON text; ``file`` only names it in errors."""
    doc = parse_document(text, file=file, fmt=fmt)
    return _Reader(doc).journey()


def journey_from_dict(data: Mapping[str, Any]) -> Journey:
    """Build a journey from plain data shaped like a journey file."""
    return _Reader(Document(data=data, lines={}, raw={}, file=None)).journey()


# -- reading ------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Skip(Exception):  # noqa: N818 - a signal, not an error shown to anyone
    """A part of the document had errors, already recorded: skip it, go on with the rest."""


class _Full(Exception):  # noqa: N818
    """:data:`MAX_ERRORS` errors are recorded: stop reading."""


class _Reader:
    """Reads a document into a journey, recording every error it meets (up to a limit).

    Reading goes on past an error in a value, an entry of a list or an unknown key, so one
    pass finds them all; a part with errors is skipped (:class:`_Skip`), and the journey's
    own cross-checks run only when every part was read. :meth:`journey` raises the first
    error with the others in its ``more``.
    """

    def __init__(self, doc: Document, *, limit: int = MAX_ERRORS) -> None:
        self.doc = doc
        self.limit = limit
        self.errors: list[CareflowError] = []

    def record(self, error: CareflowError) -> None:
        self.errors.append(error)
        if len(self.errors) >= self.limit:
            raise _Full

    def journey(self) -> Journey:
        try:
            journey = self._journey()
        except CareflowError as exc:
            self.errors.append(exc)
        except (_Skip, _Full):
            pass
        else:
            return journey
        first, *rest = self.errors
        first.more = tuple(rest)
        raise first

    def _journey(self) -> Journey:
        data = self.doc.data
        if not isinstance(data, dict):
            raise self.doc.error(
                f"expected a mapping with the journey's keys at the top, got {_describe(data)}", ""
            )
        version = data.get("careflow", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise self.doc.error(
                f"this is careflow format {version!r}; this version reads format {FORMAT_VERSION}",
                "careflow",
            )
        return self.section(JOURNEY, data, "")  # type: ignore[no-any-return]

    def section(self, section: Section, data: Any, path: str) -> Any:
        if not isinstance(data, dict):
            raise self.doc.error(
                f"expected a mapping ({section.description}), got {_describe(data)}", path
            )
        allowed = section.keys()
        before = len(self.errors)
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; expected one of: {', '.join(allowed)}"
                )
                self.record(self.doc.error(f"unknown key {key!r}{hint}", _join(path, str(key))))
        kwargs: dict[str, Any] = {}
        for spec in section.fields:
            where = _join(path, spec.key)
            if spec.key not in data or data[spec.key] is None:
                if spec.required:
                    self.record(
                        self.doc.error(
                            f"the key {spec.key!r} is required ({spec.description})", path
                        )
                    )
                continue
            if spec.kind == "version":
                continue
            try:
                kwargs[spec.attr] = self.value(spec, data[spec.key], where)
            except CareflowError as exc:
                self.record(exc)
            except _Skip:
                pass
        if len(self.errors) > before:
            raise _Skip
        try:
            return section.cls(**kwargs)
        except CareflowError as exc:
            sub = _join(path, _file_path(section, exc.path or ""))
            raise self.doc.error(exc.message, sub) from None

    def value(self, spec: FieldSpec, value: Any, path: str) -> Any:
        kind = spec.kind
        if kind == "id":
            return self.text(value, path, "an id")
        if kind == "text":
            return self.text(value, path, "text")
        if kind == "date":
            return self.date(value, path)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.doc.error(f"expected true or false, got {_describe(value)}", path)
            return value
        if kind == "enum":
            assert spec.enum is not None
            text = self.text(value, path, "a word")
            try:
                return spec.enum(text)
            except ValueError:
                options = [e.value for e in spec.enum]
                close = difflib.get_close_matches(text, options, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                expected = ", ".join(options)
                raise self.doc.error(
                    f"{text!r:.60} is not a valid {spec.key}{hint}; expected one of: {expected}",
                    path,
                ) from None
        if kind == "enums":
            items = value if isinstance(value, list) else [value]
            single = attrs.evolve(spec, kind="enum")
            return frozenset(
                self.value(single, item, f"{path}[{i}]") for i, item in enumerate(items)
            )
        if kind in ("ids", "needs"):
            what = "an id" if kind == "ids" else "a life domain"
            if not isinstance(value, list):
                return (self.text(value, path, what),)  # a single item may stand alone
            return tuple(self.text(v, f"{path}[{i}]", what) for i, v in enumerate(value))
        assert spec.section is not None
        section = SECTIONS[spec.section]
        if kind == "object":
            return self.section(section, value, path)
        if not isinstance(value, list):
            raise self.doc.error(
                f"expected a list of {section.name} entries, got {_describe(value)}", path
            )
        items = []
        failed = False
        for i, item in enumerate(value):
            try:
                items.append(self.section(section, item, f"{path}[{i}]"))
            except CareflowError as exc:
                self.record(exc)
                failed = True
            except _Skip:
                failed = True
        if failed:
            raise _Skip
        return tuple(items)

    def text(self, value: Any, path: str, what: str) -> str:
        if isinstance(value, str):
            return value
        raw = self.doc.raw.get(path)
        if raw is not None and not isinstance(value, (dict, list)):
            return raw  # a plain YAML scalar such as 2024 or no, taken as written
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise self.doc.error(f"expected {what}, got {_describe(value)}", path)

    def date(self, value: Any, path: str) -> dt.date:
        if isinstance(value, dt.date):
            return value  # from journey_from_dict with native dates
        if not isinstance(value, str):
            raise self.doc.error(f"expected a date (YYYY-MM-DD), got {_describe(value)}", path)
        return _parse_date(value, lambda msg: self.doc.error(msg, path))


def _parse_date(value: str, fail: Any) -> dt.date:
    match = _DATE_RE.match(value.strip())
    if not match:
        raise fail(
            f"{value!r:.40} is not a date; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] "
            "(local time, no time zone)"
        )
    y, mo, d, h, mi, s, frac = match.groups()
    year = int(y)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise fail(
            f"{value!r} has the year {year}; expected a year from {_MIN_YEAR} to {_MAX_YEAR}"
        )
    try:
        if h is None:
            return dt.date(year, int(mo), int(d))
        micro = int((frac or "0").ljust(6, "0"))
        return dt.datetime(year, int(mo), int(d), int(h), int(mi), int(s or 0), micro)
    except ValueError as exc:
        raise fail(f"{value!r} is not a real date or time ({exc})") from None


def _file_path(section: Section, attr_path: str) -> str:
    """Map a model attribute path (``transitions[2].source``) to file keys (``...from``)."""
    if not attr_path:
        return ""
    head, sep, rest = attr_path.partition(".")
    base, bracket, index = head.partition("[")
    spec = next((f for f in section.fields if f.attr == base), None)
    if spec is None:
        return attr_path
    if rest and spec.section is not None:
        rest = _file_path(SECTIONS[spec.section], rest)
    return spec.key + bracket + index + sep + rest


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"{type(value).__name__} {value!r:.60}"


# -- writing ------------------------------------------------------------------------------


def _format_date(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        spec = "seconds" if value.microsecond == 0 else "microseconds"
        text = value.isoformat(timespec=spec)
        return text[:-3] if text.endswith(":00") and spec == "seconds" else text
    return value.isoformat()


def _unstructure(section: Section, obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in section.fields:
        if spec.kind == "version":
            out[spec.key] = FORMAT_VERSION
            continue
        value = getattr(obj, spec.attr)
        if value is None or value in ((), frozenset()):
            continue
        if spec.kind == "date":
            out[spec.key] = _format_date(value)
        elif spec.kind == "enum":
            out[spec.key] = value.value
        elif spec.kind == "enums":
            assert spec.enum is not None
            out[spec.key] = [e.value for e in spec.enum if e in value]
        elif spec.kind in ("ids", "needs"):
            out[spec.key] = list(value)
        elif spec.kind == "object":
            assert spec.section is not None
            out[spec.key] = _unstructure(SECTIONS[spec.section], value)
        elif spec.kind == "list":
            assert spec.section is not None
            out[spec.key] = [_unstructure(SECTIONS[spec.section], v) for v in value]
        else:
            out[spec.key] = value
    return out


def journey_to_dict(journey: Journey) -> dict[str, Any]:
    """The journey as plain JSON-ready data, shaped like a journey file."""
    return _unstructure(JOURNEY, journey)


class _Dumper(yaml.SafeDumper):
    pass


_TIMESTAMP_TAG: Final = "tag:yaml.org,2002:timestamp"


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    resolve: Callable[..., str] = dumper.resolve
    if _DATE_RE.match(value) and resolve(yaml.ScalarNode, value, (True, False)) == _TIMESTAMP_TAG:
        # A date we wrote ourselves: plain, so the file reads 2024-01-03 and not '2024-01-03'.
        # The reader takes timestamps as their text, so this round-trips exactly.
        return dumper.represent_scalar(_TIMESTAMP_TAG, value)
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dumps_journey(journey: Journey, *, fmt: str = "yaml") -> str:
    """The journey as YAML or JSON text (deterministic, defaults left out)."""
    data = journey_to_dict(journey)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"format must be 'yaml' or 'json', not {fmt!r}")
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def dump_journey(journey: Journey, path: str | os.PathLike[str], *, fmt: str | None = None) -> None:
    """Write the journey to ``path`` (format from the suffix unless ``fmt`` is given).

    Written by :func:`careflow.io.output.write_output`: through a temporary file beside
    ``path`` that is renamed into place, so a failure never leaves a half-written file;
    a read-only file, a folder or a link to a file is refused with
    :class:`~careflow.errors.OutputError`.
    """
    text = dumps_journey(journey, fmt=_format_of(path, fmt))
    write_output(path, text.encode("utf-8"))


# -- schema -------------------------------------------------------------------------------

_SCHEMA_ID: Final = "https://careflow.invalid/schema/journey-1.json"


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    date = {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$",
    }
    kind = spec.kind
    out: dict[str, Any]
    if kind == "version":
        out = {"const": FORMAT_VERSION}
    elif kind in ("id", "text"):
        out = {"type": "string", "minLength": 1} if kind == "id" else {"type": "string"}
    elif kind == "date":
        out = dict(date)
    elif kind == "bool":
        out = {"type": "boolean"}
    elif kind == "enum":
        assert spec.enum is not None
        out = {"enum": [e.value for e in spec.enum]}
    elif kind == "enums":
        assert spec.enum is not None
        out = {
            "type": "array",
            "items": {"enum": [e.value for e in spec.enum]},
            "uniqueItems": True,
        }
    elif kind in ("ids", "needs"):
        item: dict[str, Any] = (
            {"type": "string", "minLength": 1}
            if kind == "ids"
            else {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"}
        )
        out = {"type": "array", "items": item, "uniqueItems": True}
    elif kind == "object":
        out = {"$ref": f"#/$defs/{spec.section}"}
    else:
        out = {"type": "array", "items": {"$ref": f"#/$defs/{spec.section}"}}
    out["description"] = spec.description
    return out


def _section_schema(section: Section) -> dict[str, Any]:
    return {
        "type": "object",
        "description": section.description,
        "properties": {f.key: _field_schema(f) for f in section.fields},
        "required": [f.key for f in section.fields if f.required],
        "additionalProperties": False,
    }


def journey_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of journey files, built from the format spec."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _SCHEMA_ID,
        "title": "careflow journey",
        **_section_schema(JOURNEY),
        "$defs": {
            name: _section_schema(section)
            for name, section in sorted(SECTIONS.items())
            if name != "journey"
        },
    }
    return schema
