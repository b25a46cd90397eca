"""JSON Schemas (draft 2020-12) of everything careflow reads or writes as JSON.

One policy for unknown keys holds for every schema here and in ``docs/json.md``:

- **Input** (journey files, mapping files) is strict: an unknown key is an error, so a typo such as
  ``evnets`` is caught. Its schema sets ``additionalProperties: false``.
- **Output** (profile, gaps, compare, validate) may gain keys in a minor version
  (``schema_version`` ``1.0`` → ``1.1``). Its schemas name every key careflow writes but
  allow others, and a consumer must ignore keys it does not know and check only the
  major version.

The same schemas ship as files in ``careflow/schemas/KIND.schema.json`` and are printed
by ``careflow schema --kind KIND``.

Examples
--------
>>> sorted(SCHEMA_KINDS)
['compare', 'gaps', 'journey', 'mapping', 'population-compare', 'profile', 'validate']
>>> output_schema("gaps")["title"]
'careflow gaps'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from careflow.io import journey_schema
from careflow.io.mapping import mapping_schema
from careflow.scoring import profile_schema

__all__ = [
    "POPULATION_COMPARE_VERSION",
    "POPULATION_DIFFERENCE_FIELDS",
    "SCHEMA_KINDS",
    "compare_schema",
    "finding_schema",
    "gaps_schema",
    "output_schema",
    "population_compare_schema",
    "validate_schema",
]

_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
_TEXT: Final = {"type": "string"}
_SCORE: Final = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_DELTA: Final = {"type": ["number", "null"], "minimum": -1, "maximum": 1}
_VERSION: Final = {"type": "string", "pattern": r"^1\.[0-9]+$"}
#: Version of the JSON that ``careflow population compare -o out.json`` writes.
POPULATION_COMPARE_VERSION: Final = "1.0"
#: The fields of one difference of ``careflow population compare``, in output order.
POPULATION_DIFFERENCE_FIELDS: Final = (
    "group",
    "measure",
    "test",
    "n_a",
    "n_b",
    "a",
    "b",
    "difference",
    "statistic",
    "df",
    "p",
    "p_adjusted",
    "significant",
    "status",
)


def _head(kind: str, description: str) -> dict[str, Any]:
    return {
        "$schema": _DRAFT,
        "$id": f"https://careflow.invalid/schema/{kind}-1.json",
        "title": f"careflow {kind}",
        "description": description + " Consumers must ignore keys they do not know.",
        "type": "object",
    }


def finding_schema() -> dict[str, Any]:
    """One finding as :meth:`careflow.gaps.Finding.to_dict` writes it."""
    return {
        "type": "object",
        "required": ["code", "severity", "targets", "refs", "text_sv", "text_en"],
        "properties": {
            "code": _TEXT,
            "severity": {"enum": ["high", "medium", "low"]},
            "targets": {"type": "array", "items": {"type": "integer"}},
            "refs": {"type": "array", "items": _TEXT},
            "text_sv": _TEXT,
            "text_en": _TEXT,
        },
    }


def gaps_schema() -> dict[str, Any]:
    """One line of ``careflow gaps --format json``: a journey's ranked findings."""
    return {
        **_head("gaps", "The gap findings of one journey, high severity first."),
        "required": ["schema_version", "journey", "findings"],
        "properties": {
            "schema_version": _VERSION,
            "journey": _TEXT,
            "findings": {"type": "array", "items": finding_schema()},
        },
    }


def compare_schema() -> dict[str, Any]:
    """The output of ``careflow compare --format json`` (:meth:`Comparison.to_dict`)."""
    findings = {"type": "array", "items": finding_schema()}
    return {
        **_head("compare", "Today's journey (as_is) against a proposed one (to_be)."),
        "required": ["schema_version", "as_is", "to_be", "overall", "targets", "findings"],
        "properties": {
            "schema_version": _VERSION,
            "as_is": _TEXT,
            "to_be": _TEXT,
            "overall": {
                "type": "object",
                "required": ["before", "after", "delta"],
                "properties": {"before": _SCORE, "after": _SCORE, "delta": _DELTA},
            },
            "targets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name_sv", "name_en", "before", "after", "delta"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name_sv": _TEXT,
                        "name_en": _TEXT,
                        "before": _SCORE,
                        "after": _SCORE,
                        "delta": _DELTA,
                    },
                },
            },
            "findings": {
                "type": "object",
                "required": ["resolved", "new", "kept"],
                "properties": {"resolved": findings, "new": findings, "kept": findings},
            },
        },
    }


def validate_schema() -> dict[str, Any]:
    """One line of ``careflow validate --format json``: one input file and what was found."""
    error = {
        "type": "object",
        "required": ["message", "file", "line", "path"],
        "properties": {
            "message": _TEXT,
            "file": {"type": ["string", "null"]},
            "line": {"type": ["integer", "null"], "minimum": 1},
            "path": {"type": ["string", "null"]},
        },
    }
    journey = {
        "type": "object",
        "required": ["id", "events", "actors", "transitions", "contacts", "plans"],
        "properties": {
            "id": _TEXT,
            "events": {"type": "integer", "minimum": 0},
            "actors": {"type": "integer", "minimum": 0},
            "transitions": {"type": "integer", "minimum": 0},
            "contacts": {"type": "integer", "minimum": 0},
            "plans": {"type": "integer", "minimum": 0},
            "start": {"type": ["string", "null"]},
            "end": {"type": ["string", "null"]},
        },
    }
    return {
        **_head("validate", "One checked file: valid or not, its journeys, its errors."),
        "required": ["schema_version", "file", "valid", "journeys", "errors"],
        "properties": {
            "schema_version": _VERSION,
            "file": _TEXT,
            "valid": {"type": "boolean"},
            "journeys": {"type": "array", "items": journey},
            "errors": {"type": "array", "items": error},
        },
    }


def population_compare_schema() -> dict[str, Any]:
    """The output of ``careflow population compare -o out.json`` (two populations per group).

    Defined here, without polars, so ``careflow schema`` needs no population extra.
    """
    number = {"type": ["number", "null"]}
    count = {"type": ["integer", "null"], "minimum": 0}
    group = {"type": "object", "additionalProperties": {"type": ["string", "null"]}}
    difference = {
        "type": "object",
        "required": list(POPULATION_DIFFERENCE_FIELDS),
        "properties": {
            "group": group,
            "measure": _TEXT,
            "test": {"enum": ["welch", "proportion"]},
            "n_a": count,
            "n_b": count,
            "a": number,
            "b": number,
            "difference": number,
            "statistic": number,
            "df": {"type": ["number", "null"], "exclusiveMinimum": 0},
            "p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "p_adjusted": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "significant": {"type": ["boolean", "null"]},
            "status": {"enum": ["compared", "suppressed", "not assessable", "too few"]},
        },
    }
    return {
        **_head(
            "population-compare",
            "Two populations (A before, B after) per group and measure: the values, the "
            "difference B - A, a two-sided test and whether the difference exceeds the noise "
            "after the correction for many comparisons.",
        ),
        "required": [
            "schema_version",
            "a",
            "b",
            "by",
            "keys",
            "min_count",
            "alpha",
            "correction",
            "tested",
            "significant",
            "differences",
            "not_compared",
        ],
        "properties": {
            "schema_version": _VERSION,
            "a": _TEXT,
            "b": _TEXT,
            "by": _TEXT,
            "keys": {"type": "array", "items": _TEXT},
            "period": {"enum": ["month", "quarter", "year", None]},
            "min_count": {"type": "integer", "minimum": 1},
            "alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "correction": {"enum": ["holm", "bh", "none"]},
            "tests": {"type": "object", "additionalProperties": _TEXT},
            "tested": {"type": "integer", "minimum": 0},
            "significant": {"type": "integer", "minimum": 0},
            "differences": {"type": "array", "items": difference},
            "not_compared": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["group", "reason"],
                    "properties": {"group": group, "reason": _TEXT},
                },
            },
        },
    }


#: Each kind ``careflow schema --kind`` knows, and the function that builds its schema.
SCHEMA_KINDS: Final[dict[str, Callable[[], dict[str, Any]]]] = {
    "journey": journey_schema,
    "profile": profile_schema,
    "gaps": gaps_schema,
    "compare": compare_schema,
    "validate": validate_schema,
    "mapping": mapping_schema,
    "population-compare": population_compare_schema,
}


def output_schema(kind: str) -> dict[str, Any]:
    """The schema of ``kind`` (one of :data:`SCHEMA_KINDS`); KeyError for another."""
    return SCHEMA_KINDS[kind]()
