"""Write the JSON Schemas of the ICD's MQTT payloads (docs/schemas/) from telemetry.schemas.

The pydantic models are the truth; these files are what a field supplier reads. Run after
changing a model: ``uv run python scripts/icd_schemas.py``. A test fails while they differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from telemetry.schemas import payload_schemas

OUT = Path(__file__).resolve().parent.parent / "docs" / "schemas"


def render() -> dict[str, str]:
    """File name → its text, as committed."""
    return {
        f"{name}.schema.json": json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in payload_schemas().items()
    }


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote docs/schemas/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
