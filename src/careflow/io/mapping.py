"""Mapping files: how one source's event log becomes journeys.

An analyst writes a mapping once per source (a region's patient-administrative extract, a
kommun's case system, a public log): which column plays which role, which unit belongs to
which principal and service, which activity is which kind of event, which contact type is
which channel, which diagnosis codes mean which needs, which values say a death's cause and
its certainty and an episode's legal basis (LVM, LPT, LRV, LVU or none), what the source
records completely, and thresholds where the source's rhythm differs. ``careflow mapping
init LOG`` drafts one; ``careflow schema --kind mapping`` prints its JSON Schema. See
``docs/your-data.md``.

Value maps are lists of rules tried in order; the first that matches wins. A rule matches
a value exactly (``match``, compared without regard to case and surrounding space) or by
a regular expression (``pattern``, matched against the whole value, ignoring case). A map
written as a plain object (``{"ER Triage": assessment}``) is a list of exact rules.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Generic, TypeVar

import attrs

from careflow.errors import JourneyFileError
from careflow.io._document import Document, decode_text, parse_document
from careflow.model import (
    Certainty,
    Channel,
    DeathCause,
    EventKind,
    LegalBasis,
    Need,
    Principal,
    ServiceKind,
)

__all__ = [
    "ASPECTS",
    "DEFAULT_DIAGNOSES",
    "MISSING_DEFAULTS",
    "ROLES",
    "DiagnosisRule",
    "LogMapping",
    "MissingPolicy",
    "Rule",
    "UnitRule",
    "load_mapping",
    "loads_mapping",
    "mapping_schema",
]

#: The roles a column can play, in the order they are reported.
ROLES: Final = (
    "case",
    "timestamp",
    "activity",
    "unit",
    "principal",
    "kind",
    "channel",
    "diagnosis",
    "cause",
    "certainty",
    "legal_basis",
)

#: The aspects a source may declare it records completely (issue 7's ``Aspect`` values).
ASPECTS: Final = ("contacts", "network", "plans", "needs")

#: Largest mapping file read, in bytes.
MAX_MAPPING_BYTES: Final = 1024 * 1024
_MAX_PATTERN: Final = 500


class MissingPolicy(enum.StrEnum):
    """What to do with a row whose cell for a role is missing (empty, ``NA``, ``NaN``...)."""

    ERROR = "error"  # stop with a located error
    SKIP = "skip"  # leave the row out, and count it
    UNKNOWN = "unknown"  # keep the row with the value unknown, and count it


#: The policy per role when the mapping does not say.
MISSING_DEFAULTS: Final[Mapping[str, MissingPolicy]] = {
    "case": MissingPolicy.ERROR,
    "timestamp": MissingPolicy.ERROR,
    "activity": MissingPolicy.UNKNOWN,
    "unit": MissingPolicy.ERROR,
    "principal": MissingPolicy.UNKNOWN,
    "kind": MissingPolicy.UNKNOWN,
    "channel": MissingPolicy.UNKNOWN,
    "diagnosis": MissingPolicy.UNKNOWN,
    # issue 12: only where they apply (a death's row; an episode's row), see eventlog.py
    "cause": MissingPolicy.UNKNOWN,
    "certainty": MissingPolicy.UNKNOWN,
    "legal_basis": MissingPolicy.UNKNOWN,
}
#: Roles without which an event has no meaning: ``unknown`` is not allowed for them.
_NO_UNKNOWN: Final = frozenset({"case", "timestamp"})

T = TypeVar("T")


@attrs.frozen(kw_only=True, slots=True)
class Rule(Generic[T]):
    """One value-map rule: an exact value or a pattern, and what it maps to."""

    match: str | None = None
    pattern: re.Pattern[str] | None = None
    value: T

    def matches(self, text: str) -> bool:
        """Whether ``text`` (stripped) is this rule's value or fits its pattern."""
        if self.match is not None:
            return text.casefold() == self.match.casefold().strip()
        return self.pattern is not None and self.pattern.fullmatch(text) is not None


@attrs.frozen(kw_only=True, slots=True)
class UnitRule:
    """A unit rule: which principal and service the matching units belong to."""

    match: str | None = None
    pattern: re.Pattern[str] | None = None
    principal: Principal | None = None
    service: ServiceKind | None = None

    def matches(self, text: str) -> bool:
        """Whether ``text`` (stripped) is this rule's value or fits its pattern."""
        if self.match is not None:
            return text.casefold() == self.match.casefold().strip()
        return self.pattern is not None and self.pattern.fullmatch(text) is not None


_CODE_RE: Final = re.compile(r"^[A-Z][0-9]{1,2}[0-9A-Z]*$")


@attrs.frozen(kw_only=True, slots=True)
class DiagnosisRule:
    """Diagnosis codes from ``first`` to ``last`` (ICD-10 prefixes) mean ``need``.

    A code matches when its first characters, with dots and spaces removed and in upper
    case (``F10.2``, ``f102`` and ``F102`` alike, as ICD-10-SE writes them), fall between
    the two prefixes: ``F10``–``F19`` covers ``F10`` to ``F19.9``.
    """

    first: str
    last: str
    need: str

    def matches(self, code: str) -> bool:
        """Whether the normalised ``code`` falls in this rule's range."""
        width = len(self.first)
        head = code[:width]
        return len(head) == width and self.first <= head <= self.last


#: Used when a diagnosis column is mapped and the mapping lists no rules of its own.
DEFAULT_DIAGNOSES: Final = (
    DiagnosisRule(first="F10", last="F19", need=Need.SUBSTANCE_USE.value),
    DiagnosisRule(first="F20", last="F48", need=Need.MENTAL_HEALTH.value),
)


def normalise_code(text: str) -> str:
    """A diagnosis code as the rules compare it: upper case, no dots or spaces."""
    return text.upper().replace(".", "").replace(" ", "")


@attrs.frozen(kw_only=True, slots=True)
class LogMapping:
    """A parsed mapping file (see the module docstring and ``docs/your-data.md``).

    ``columns`` maps a role to the column names that may play it, first present wins;
    an empty tuple means the log has no such column (do not look for one by name). A
    role in ``column_lists`` was given as a list: when none of its names is present,
    the log has no such column; a single name that is absent is an error.
    ``recorded_completely`` is kept for journeys built from the log (issue 7's
    ``Journey.recorded_completely``). ``same_stay_hours``: a move between two units of
    the same principal within this many hours of the previous event is part of one stay
    and makes no handover transition.
    """

    source: str | None = None
    file: str | None = None
    columns: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    column_lists: frozenset[str] = frozenset()
    missing_values: frozenset[str] = frozenset()
    missing: Mapping[str, MissingPolicy] = attrs.field(factory=dict)
    timestamp_format: str | None = None
    timezone: str | None = None
    encoding: str | None = None
    units: tuple[UnitRule, ...] = ()
    principals: tuple[Rule[Principal], ...] = ()
    activities: tuple[Rule[EventKind], ...] = ()
    contact_types: tuple[Rule[Channel | None], ...] = ()
    diagnoses: tuple[DiagnosisRule, ...] = ()
    causes: tuple[Rule[DeathCause | None], ...] = ()
    certainties: tuple[Rule[Certainty | None], ...] = ()
    legal_bases: tuple[Rule[LegalBasis | None], ...] = ()
    recorded_completely: frozenset[str] = frozenset()
    same_stay_hours: float | None = None

    def policy(self, role: str) -> MissingPolicy:
        """The missing-value policy for ``role``."""
        return self.missing.get(role, MISSING_DEFAULTS[role])


# -- reading -------------------------------------------------------------------------------


def load_mapping(path: str | os.PathLike[str]) -> LogMapping:
    """Read a mapping file (YAML, or JSON by its ``.json`` suffix).

    Raises
    ------
    JourneyFileError
        Naming the file, the line and the place in the document, and what was expected.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            data = fh.read(MAX_MAPPING_BYTES + 1)
    except FileNotFoundError:
        raise JourneyFileError("no such mapping file", file=name) from None
    except IsADirectoryError:
        raise JourneyFileError("this is a folder; expected a mapping file", file=name) from None
    except OSError as exc:
        raise JourneyFileError(f"cannot read the mapping: {exc.strerror}", file=name) from None
    if len(data) > MAX_MAPPING_BYTES:
        raise JourneyFileError(
            f"the mapping is larger than {MAX_MAPPING_BYTES:,} bytes; expected a small "
            "YAML or JSON file",
            file=name,
        )
    fmt = "json" if name.lower().endswith(".json") else "yaml"
    return loads_mapping(decode_text(data, name), fmt=fmt, file=name)


def loads_mapping(text: str, *, fmt: str = "yaml", file: str | None = None) -> LogMapping:
    """Read a mapping from YAML or JSON text; ``file`` only names it in errors."""
    if not text.strip():
        raise JourneyFileError("the mapping is empty; expected a mapping document", file=file)
    doc = parse_document(text, file=file, fmt=fmt)
    return _MappingReader(doc).read()


_TOP_KEYS: Final = (
    "version",
    "source",
    "columns",
    "missing_values",
    "missing",
    "timestamp_format",
    "timezone",
    "encoding",
    "units",
    "principals",
    "activities",
    "contact_types",
    "diagnoses",
    "causes",
    "certainties",
    "legal_bases",
    "recorded_completely",
    "thresholds",
)


#: The key of the target in a list rule, per value-map section.
_RULE_KEYS: Final = {
    "principals": "principal",
    "activities": "kind",
    "contact_types": "channel",
    "causes": "cause",
    "certainties": "certainty",
    "legal_bases": "legal_basis",
}


def _or(value: Any, default: Any) -> Any:
    """A section left empty in YAML (``units:`` with only comments) is an empty section."""
    return default if value is None else value


class _MappingReader:
    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def fail(self, message: str, path: str) -> JourneyFileError:
        return self.doc.error(message, path)

    def read(self) -> LogMapping:
        data = self.doc.data
        if not isinstance(data, dict):
            raise self.fail("expected a mapping document (keys such as columns, units)", "")
        self._keys(data, _TOP_KEYS, "")
        version = data.get("version", 1)
        if version != 1:
            raise self.fail(f"version {version!r:.20} is not known; expected 1", "version")
        missing_values = frozenset(
            v.strip().casefold()
            for v in self._texts(_or(data.get("missing_values"), []), "missing_values")
        )
        thresholds = _or(data.get("thresholds"), {})
        if not isinstance(thresholds, dict):
            raise self.fail("expected an object of thresholds", "thresholds")
        self._keys(thresholds, ("same_stay_hours",), "thresholds")
        stay = thresholds.get("same_stay_hours")
        if stay is not None and (
            isinstance(stay, bool) or not isinstance(stay, int | float) or not 0 <= stay <= 8760
        ):
            raise self.fail(
                "expected a number of hours from 0 to 8760", "thresholds.same_stay_hours"
            )
        aspects = self._texts(_or(data.get("recorded_completely"), []), "recorded_completely")
        for i, aspect in enumerate(aspects):
            if aspect not in ASPECTS:
                raise self.fail(
                    f"{aspect!r:.40} is not an aspect; expected one of {', '.join(ASPECTS)}",
                    f"recorded_completely[{i}]",
                )
        return LogMapping(
            source=self._opt_text(data, "source"),
            file=self.doc.file,
            columns=self._columns(_or(data.get("columns"), {})),
            column_lists=frozenset(
                role
                for role, names in _or(data.get("columns"), {}).items()
                if isinstance(names, list)
            ),
            missing_values=missing_values,
            missing=self._missing(_or(data.get("missing"), {})),
            timestamp_format=self._opt_text(data, "timestamp_format"),
            timezone=self._timezone(data),
            encoding=self._encoding(data),
            units=self._units(_or(data.get("units"), [])),
            principals=self._rules(_or(data.get("principals"), []), "principals", Principal),
            activities=self._rules(_or(data.get("activities"), []), "activities", EventKind),
            contact_types=self._rules(
                _or(data.get("contact_types"), []), "contact_types", Channel, allow_none=True
            ),
            diagnoses=self._diagnoses(_or(data.get("diagnoses"), [])),
            causes=self._rules(_or(data.get("causes"), []), "causes", DeathCause, allow_none=True),
            certainties=self._rules(
                _or(data.get("certainties"), []), "certainties", Certainty, allow_none=True
            ),
            legal_bases=self._rules(
                _or(data.get("legal_bases"), []), "legal_bases", LegalBasis, allow_none=True
            ),
            recorded_completely=frozenset(aspects),
            same_stay_hours=None if stay is None else float(stay),
        )

    # -- parts ---------------------------------------------------------------------------

    def _keys(self, data: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                raise self.fail(
                    f"unknown key {str(key)!r:.40}; expected one of {', '.join(allowed)}", where
                )

    def _opt_text(self, data: Mapping[str, Any], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > 1000:
            raise self.fail("expected a line of text", key)
        return value.strip()

    def _texts(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list):
            raise self.fail("expected a list of text values", path)
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail("expected text", f"{path}[{i}]")
            out.append(str(item))
        return out

    def _timezone(self, data: Mapping[str, Any]) -> str | None:
        name = self._opt_text(data, "timezone")
        if name is not None:
            from careflow.io.eventlog import zone  # noqa: PLC0415 - avoid an import cycle

            zone(name, fail=lambda msg: self.fail(msg, "timezone"))
        return name

    def _encoding(self, data: Mapping[str, Any]) -> str | None:
        name = self._opt_text(data, "encoding")
        if name is not None:
            import codecs  # noqa: PLC0415

            try:
                codecs.lookup(name)
            except LookupError:
                raise self.fail(
                    f"{name!r:.40} is not an encoding Python knows; e.g. utf-8, cp1252",
                    "encoding",
                ) from None
        return name

    def _columns(self, value: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            raise self.fail("expected an object from role to column name", "columns")
        self._keys(value, ROLES, "columns")
        out: dict[str, tuple[str, ...]] = {}
        for role, names in value.items():
            path = f"columns.{role}"
            if names is None:
                out[role] = ()
            elif isinstance(names, str) and names.strip():
                out[role] = (names,)
            elif isinstance(names, list) and names:
                out[role] = tuple(self._texts(names, path))
            else:
                raise self.fail(
                    "expected a column name, a list of names (the first present is used) or "
                    "null (the log has no such column)",
                    path,
                )
        return out

    def _missing(self, value: Any) -> dict[str, MissingPolicy]:
        if not isinstance(value, dict):
            raise self.fail("expected an object from role to error, skip or unknown", "missing")
        self._keys(value, ROLES, "missing")
        out = {}
        for role, policy in value.items():
            allowed = [
                p.value for p in MissingPolicy if not (role in _NO_UNKNOWN and p.value == "unknown")
            ]
            if policy not in allowed:
                raise self.fail(
                    f"{policy!r:.40} is not a policy for {role}; expected one of "
                    f"{', '.join(allowed)}",
                    f"missing.{role}",
                )
            out[role] = MissingPolicy(policy)
        return out

    def _target(self, value: Any, vocab: type[enum.StrEnum], path: str, *, allow_none: bool) -> Any:
        if value is None and allow_none:
            return None
        try:
            return vocab(value)
        except ValueError:
            known = ", ".join(v.value for v in vocab)
            extra = " or null" if allow_none else ""
            raise self.fail(f"{value!r:.40} is not one of {known}{extra}", path) from None

    def _matcher(
        self, item: Mapping[str, Any], path: str
    ) -> tuple[str | None, re.Pattern[str] | None]:
        has_match, has_pattern = "match" in item, "pattern" in item
        if has_match == has_pattern:
            raise self.fail("expected exactly one of match (a value) and pattern (a regex)", path)
        if has_match:
            match = item["match"]
            if isinstance(match, bool) or not isinstance(match, str | int | float):
                raise self.fail("expected the value as text", f"{path}.match")
            return str(match), None
        source = item["pattern"]
        if not isinstance(source, str) or not source or len(source) > _MAX_PATTERN:
            raise self.fail(
                f"expected a regular expression of 1 to {_MAX_PATTERN} characters",
                f"{path}.pattern",
            )
        try:
            return None, re.compile(source, re.IGNORECASE)
        except re.error as exc:
            raise self.fail(f"not a valid regular expression ({exc})", f"{path}.pattern") from None

    def _rules(
        self, value: Any, path: str, vocab: type[Any], *, allow_none: bool = False
    ) -> tuple[Rule[Any], ...]:
        key = _RULE_KEYS[path]
        if isinstance(value, dict):
            return tuple(
                Rule(
                    match=str(k),
                    value=self._target(v, vocab, f"{path}.{k}", allow_none=allow_none),
                )
                for k, v in value.items()
            )
        if not isinstance(value, list):
            raise self.fail(f"expected an object from value to {key}, or a list of rules", path)
        rules: list[Rule[Any]] = []
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            if not isinstance(item, dict):
                raise self.fail(f"expected a rule: match or pattern, and {key}", where)
            self._keys(item, ("match", "pattern", key), where)
            if key not in item:
                raise self.fail(f"the rule has no {key}", where)
            match, pattern = self._matcher(item, where)
            target = self._target(item[key], vocab, f"{where}.{key}", allow_none=allow_none)
            rules.append(Rule(match=match, pattern=pattern, value=target))
        return tuple(rules)

    def _units(self, value: Any) -> tuple[UnitRule, ...]:
        if not isinstance(value, list):
            raise self.fail("expected a list of unit rules", "units")
        rules = []
        for i, item in enumerate(value):
            where = f"units[{i}]"
            if not isinstance(item, dict):
                raise self.fail("expected a rule: match or pattern, principal, service", where)
            self._keys(item, ("match", "pattern", "principal", "service"), where)
            if "principal" not in item and "service" not in item:
                raise self.fail("the rule gives neither a principal nor a service", where)
            match, pattern = self._matcher(item, where)
            principal = (
                self._target(item["principal"], Principal, f"{where}.principal", allow_none=False)
                if "principal" in item
                else None
            )
            service = (
                self._target(item["service"], ServiceKind, f"{where}.service", allow_none=False)
                if "service" in item
                else None
            )
            rules.append(
                UnitRule(match=match, pattern=pattern, principal=principal, service=service)
            )
        return tuple(rules)

    def _diagnoses(self, value: Any) -> tuple[DiagnosisRule, ...]:
        if not isinstance(value, list):
            raise self.fail("expected a list of diagnosis rules", "diagnoses")
        rules = []
        for i, item in enumerate(value):
            where = f"diagnoses[{i}]"
            if not isinstance(item, dict):
                raise self.fail("expected a rule: codes (e.g. F10-F19) and need", where)
            self._keys(item, ("codes", "need"), where)
            codes, need = item.get("codes"), item.get("need")
            if not isinstance(codes, str):
                raise self.fail("expected codes such as F10-F19 or F32", f"{where}.codes")
            first, _, last = (normalise_code(c) for c in codes.partition("-"))
            last = last or first
            if (
                not (_CODE_RE.match(first) and _CODE_RE.match(last))
                or len(first) != len(last)
                or first > last
            ):
                raise self.fail(
                    f"{codes!r:.40} is not a code range; expected ICD-10 prefixes such as F10-F19 "
                    "or F32 (both ends of the same length, the first not after the last)",
                    f"{where}.codes",
                )
            if not isinstance(need, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", need):
                raise self.fail(
                    "expected a life domain: a lower-case identifier such as substance_use",
                    f"{where}.need",
                )
            rules.append(DiagnosisRule(first=first, last=last, need=need))
        return tuple(rules)


# -- the JSON Schema -----------------------------------------------------------------------


def _value_map(target: dict[str, Any], key: str) -> dict[str, Any]:
    rule = {
        "type": "object",
        "additionalProperties": False,
        "required": [key],
        "properties": {
            "match": {"type": ["string", "number"]},
            "pattern": {"type": "string", "minLength": 1, "maxLength": _MAX_PATTERN},
            key: target,
        },
        "oneOf": [{"required": ["match"]}, {"required": ["pattern"]}],
    }
    return {
        "oneOf": [
            {"type": "object", "additionalProperties": target},
            {"type": "array", "items": rule},
        ]
    }


def mapping_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of mapping files."""
    column = {
        "oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
            {"type": "null"},
        ]
    }
    policy = {"enum": [p.value for p in MissingPolicy]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://careflow.example/schemas/mapping.schema.json",
        "title": "careflow event-log mapping",
        "description": "How one source's event log becomes journeys; see docs/your-data.md.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1},
            "source": {"type": "string", "description": "Where the extract comes from."},
            "columns": {
                "type": "object",
                "additionalProperties": False,
                "properties": dict.fromkeys(ROLES, column),
                "description": "Column per role; a list tries each in turn; null: no such column.",
            },
            "missing_values": {
                "type": "array",
                "items": {"type": ["string", "number"]},
                "description": "More cell values meaning missing (besides empty, NA, NaN, null).",
            },
            "missing": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    role: ({"enum": ["error", "skip"]} if role in _NO_UNKNOWN else policy)
                    for role in ROLES
                },
            },
            "timestamp_format": {
                "type": "string",
                "description": "A strptime format, e.g. %d/%m/%Y %H:%M.",
            },
            "timezone": {"type": "string", "description": "An IANA zone, e.g. Europe/Stockholm."},
            "encoding": {"type": "string", "description": "Override the detected encoding."},
            "units": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "match": {"type": ["string", "number"]},
                        "pattern": {"type": "string", "minLength": 1, "maxLength": _MAX_PATTERN},
                        "principal": {"enum": [p.value for p in Principal]},
                        "service": {"enum": [s.value for s in ServiceKind]},
                    },
                    "oneOf": [{"required": ["match"]}, {"required": ["pattern"]}],
                    "anyOf": [{"required": ["principal"]}, {"required": ["service"]}],
                },
            },
            "principals": _value_map({"enum": [p.value for p in Principal]}, "principal"),
            "activities": _value_map({"enum": [k.value for k in EventKind]}, "kind"),
            "contact_types": _value_map({"enum": [*(c.value for c in Channel), None]}, "channel"),
            "causes": _value_map({"enum": [*(c.value for c in DeathCause), None]}, "cause"),
            "certainties": _value_map({"enum": [*(c.value for c in Certainty), None]}, "certainty"),
            "legal_bases": _value_map(
                {"enum": [*(b.value for b in LegalBasis), None]}, "legal_basis"
            ),
            "diagnoses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["codes", "need"],
                    "properties": {
                        "codes": {
                            "type": "string",
                            "pattern": "^[A-Za-z][0-9][0-9A-Za-z.]*(-[A-Za-z][0-9][0-9A-Za-z.]*)?$",
                        },
                        "need": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
                    },
                },
            },
            "recorded_completely": {
                "type": "array",
                "items": {"enum": list(ASPECTS)},
                "uniqueItems": True,
            },
            "thresholds": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "same_stay_hours": {"type": "number", "minimum": 0, "maximum": 8760}
                },
            },
        },
    }
