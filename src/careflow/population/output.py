"""Write published population aggregates: CSV, JSON (with a schema) or Parquet.

Only suppressed tables (:class:`~careflow.population.privacy.Suppressed`) are written, so
no output skips the privacy rules; case ids are never part of them. The HTML report and
the population actor network (:func:`write_visual`) read published tables too
(:class:`~careflow.population.report.ReportTables`).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any, Final

from careflow.population.aggregate import Aggregates
from careflow.population.privacy import Suppressed
from careflow.population.report import ReportTables
from careflow.render.output import render_bytes
from careflow.render.population import population_network, population_report

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "VISUAL_FORMATS",
    "population_json",
    "population_schema",
    "write_population",
    "write_visual",
]

#: Version of the population JSON contract.
SCHEMA_VERSION: Final = "1.0"
#: Output formats by file suffix.
FORMATS: Final = {".csv": "csv", ".json": "json", ".parquet": "parquet"}
#: The report (``.html``) and the population actor network (the rest) by file suffix.
VISUAL_FORMATS: Final = {
    ".html": "html",
    ".svg": "svg",
    ".dot": "dot",
    ".gv": "dot",
    ".png": "png",
    ".pdf": "pdf",
}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def population_json(
    agg: Aggregates, published: Suppressed, *, not_computed: dict[str, str], period: str
) -> dict[str, Any]:
    """The published aggregates as JSON-ready data (see :func:`population_schema`)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "by": agg.by,
        "keys": list(agg.keys),
        "period": period,
        "partition": agg.partition,
        "min_count": published.min_count,
        "not_computed": dict(sorted(not_computed.items())),
        "groups": [
            {k: _clean(v) for k, v in row.items()} for row in published.table.iter_rows(named=True)
        ],
        "suppressed": [
            {"group": list(c.group), "column": c.column, "reason": c.reason, "detail": c.detail}
            for c in published.cells
        ],
    }


def write_population(
    path: Path,
    agg: Aggregates,
    published: Suppressed,
    *,
    not_computed: dict[str, str],
    period: str,
) -> bytes:
    """The bytes of the output for ``path``'s suffix (the caller writes them atomically)."""
    kind = FORMATS[path.suffix.lower()]
    if kind == "json":
        data = population_json(agg, published, not_computed=not_computed, period=period)
        text = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False)
        return (text + "\n").encode("utf-8")
    buffer = io.BytesIO()
    if kind == "csv":
        published.table.write_csv(buffer, float_precision=6)
    else:
        published.table.write_parquet(buffer)
    return buffer.getvalue()


def write_visual(path: Path, tables: ReportTables, *, lang: str) -> bytes:
    """The population report (``.html``) or actor network (``.svg`` ...) for ``path``'s suffix.

    The caller writes the bytes atomically. Needs Graphviz's ``dot`` for all but ``.dot``
    (:class:`~careflow.errors.RenderError` without it).
    """
    kind = VISUAL_FORMATS[path.suffix.lower()]
    if kind == "html":
        return population_report(tables, lang=lang).encode("utf-8")
    return render_bytes(population_network(tables.units, tables.boundary, lang=lang), kind)


def population_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``careflow population -o out.json``."""
    count = {"type": ["integer", "null"], "minimum": 0}
    number = {"type": ["number", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://careflow.invalid/schema/population-1.json",
        "title": "careflow population aggregates",
        "type": "object",
        "required": ["schema_version", "by", "keys", "min_count", "groups", "suppressed"],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "by": {"type": "string"},
            "keys": {"type": "array", "items": {"type": "string"}},
            "period": {"enum": ["month", "quarter", "year"]},
            "partition": {
                "type": "boolean",
                "description": "Whether the groups partition the journeys (counts add up to "
                "the (all) row).",
            },
            "min_count": {"type": "integer", "minimum": 1},
            "not_computed": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Columns not computed in bulk, with the reason.",
            },
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["journeys"],
                    "properties": {"journeys": count},
                    "patternProperties": {
                        "^(journeys|events|handovers.*|waits_n|waits_bin\\d+|with_.*|.*_n|"
                        ".*_bin\\d+|deaths|deaths_within_30d_of_discharge)$": count,
                        "^(.*_sum|.*_sumsq|.*_mean|.*_median|share_.*|.*_per_1000)$": number,
                    },
                    "description": "One object per group, the (all) row last; null is a "
                    "suppressed or undefined value.",
                },
            },
            "suppressed": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["group", "column", "reason", "detail"],
                    "additionalProperties": False,
                    "properties": {
                        "group": {"type": "array", "items": {"type": ["string", "null"]}},
                        "column": {"type": "string"},
                        "reason": {"enum": ["primary", "secondary"]},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    }
