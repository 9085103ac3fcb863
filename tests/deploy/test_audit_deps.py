"""scripts/audit_deps.py reads pip-audit's report honestly: a vulnerability fails, an
unreachable vulnerability database is a loud skip (an error when AUDIT_REQUIRED), and a clean
audit says how many packages it really checked. The reports are in pip-audit's JSON format."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_deps.py"


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while being defined
    spec.loader.exec_module(mod)
    return mod


CLEAN = {"name": "orjson", "version": "3.11.0", "vulns": []}
SKIP = {"name": "simpy", "skip_reason": "Dependency not found on PyPI and could not be audited"}
VULN = {
    "name": "jinja2",
    "version": "3.1.2",
    "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": []}],
}


def test_a_vulnerability_fails(audit: ModuleType) -> None:
    v = audit.verdict({"dependencies": [CLEAN, VULN], "fixes": []}, required=False)
    assert v.exit_code == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in v.message


def test_nothing_audited_is_a_loud_skip_or_an_error_when_required(audit: ModuleType) -> None:
    report = {"dependencies": [SKIP, {**SKIP, "name": "aiomqtt"}], "fixes": []}
    v = audit.verdict(report, required=False)
    assert v.exit_code == 0 and v.message.startswith("AUDIT SKIPPED") and v.audited == 0
    assert "2 packages" in v.message
    assert audit.verdict(report, required=True).exit_code == 1
    down = audit.verdict(None, required=False, why="ConnectionError: api.osv.dev")
    assert down.exit_code == 0 and "api.osv.dev" in down.message
    assert audit.verdict(None, required=True, why="x").exit_code == 1


def test_a_clean_audit_counts_what_it_checked(audit: ModuleType) -> None:
    v = audit.verdict({"dependencies": [CLEAN, CLEAN, SKIP], "fixes": []}, required=True)
    assert v.exit_code == 0 and v.audited == 2
    assert "2 locked packages audited" in v.message and "NOT audited (1): simpy" in v.message
