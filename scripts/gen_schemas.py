"""Write every JSON Schema careflow ships (src/careflow/schemas/KIND.schema.json) from the code.

Run after changing the journey format, a mapping file's keys or a JSON output:
``.venv/bin/python scripts/gen_schemas.py``. tests/test_contracts.py fails while a shipped
file differs from what the code says.
"""

from __future__ import annotations

import json
from pathlib import Path

from careflow.contracts import SCHEMA_KINDS, output_schema

SCHEMAS = Path(__file__).resolve().parent.parent / "src" / "careflow" / "schemas"


def main() -> None:
    """Write each schema in sorted key order of its kind, two-space indented, UTF-8."""
    for kind in sorted(SCHEMA_KINDS):
        path = SCHEMAS / f"{kind}.schema.json"
        text = json.dumps(output_schema(kind), ensure_ascii=False, indent=2) + "\n"
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
