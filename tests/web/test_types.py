"""The web client's typedefs are the API's response models: ``web/js/types.js`` is generated
from the OpenAPI description, and every type the client names exists there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB_JS = ROOT / "web" / "js"


def test_committed_typedefs_match_the_response_models() -> None:
    r = subprocess.run(
        [sys.executable, "scripts/jsdoc_types.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_type_the_client_imports_is_generated() -> None:
    defined = set(re.findall(r"@typedef \{.*\} (\w+)$", (WEB_JS / "types.js").read_text(), re.M))
    assert {"Board", "Alarm", "BoardFrame", "CrewSummary", "Coverage"} <= defined
    used: dict[str, set[str]] = {}
    for js in WEB_JS.glob("*.js"):
        for name in re.findall(r'import\("\./types\.js"\)\.(\w+)', js.read_text()):
            used.setdefault(name, set()).add(js.name)
    assert used, "the client names no generated type"
    missing = {n: files for n, files in used.items() if n not in defined}
    assert not missing, f"types the client names that the API does not describe: {missing}"
