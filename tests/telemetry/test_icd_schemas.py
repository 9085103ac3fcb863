"""The ICD's JSON Schemas (docs/schemas/) are the ones the payload models generate, and the
ICD's own example payload is one the pipeline accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.icd_schemas import OUT, render
from telemetry.schemas import TrainTelemetry

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_schemas_match_the_models() -> None:
    expected = render()
    committed = {p.name: p.read_text(encoding="utf-8") for p in OUT.glob("*.schema.json")}
    assert set(committed) == set(expected), "run: uv run python scripts/icd_schemas.py"
    for name, text in expected.items():
        assert committed[name] == text, f"{name} is stale: run uv run python scripts/icd_schemas.py"


def test_schemas_state_the_icd_limits() -> None:
    schema = json.loads((OUT / "train-telemetry.schema.json").read_text(encoding="utf-8"))
    props = schema["properties"]
    assert set(schema["required"]) >= {"v", "ts", "train", "seq", "pos_m", "track", "driver"}
    assert props["seq"]["exclusiveMaximum"] == 2**31  # seq wraps at 2^31 (docs/icd.md)
    assert props["doors"]["enum"] == ["closed", "open", "fault"]
    assert props["load_pct"]["maximum"] == 150


def test_the_icd_example_payload_is_accepted() -> None:
    icd = (DOCS / "icd.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", icd, re.S)
    assert block is not None
    msg = TrainTelemetry.model_validate_json(block.group(1))
    assert (msg.train, msg.track, msg.faults) == ("T07", 1, ("TRC-012",))
