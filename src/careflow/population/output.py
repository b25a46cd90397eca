"""Write published population aggregates: CSV, JSON (with a schema) or Parquet.

Only suppressed tables (:class:`~careflow.population.privacy.Suppressed`) are written, so
no output skips the privacy rules; case ids are never part of them.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any, Final

from careflow.population.aggregate import Aggregates
from careflow.population.privacy import Suppressed

__all__ = ["FORMATS", "SCHEMA_VERSION", "population_json", "population_schema", "write_population"]

#: Version of the population JSON contract.
SCHEMA_VERSION: Final = "1.0"
#: Output formats by file suffix.
FORMATS: Final = {".csv": "csv", ".json": "json", ".parquet": "parquet"}


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
