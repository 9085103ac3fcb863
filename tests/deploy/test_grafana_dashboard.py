"""deploy/grafana/metro-ops.json queries only metrics a running metro-ops exposes, and shows
every metro_* metric it exposes.

The app runs for real (runtime, uvicorn, a real mosquitto); its ``/metrics`` is scraped over
HTTP and parsed with prometheus_client's own parser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from services.runtime import build_runtime
from services.settings import Settings
from tests.api.test_serve import serving
from tests.fixtures.mosquitto import Broker

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "metro-ops.json"
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": ("",),
}


def dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            exprs.append(var["definition"])
    return exprs


async def test_dashboard_metrics_exist_on_a_running_app(mosquitto: Broker, tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "mqtt": {"url": mosquitto.url, "client_id": "grafana-test"},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
        }
    )
    async with serving(build_runtime(settings)) as http:
        r = await http.get("/metrics")
    assert r.status_code == 200
    families = {f.name: f.type for f in text_string_to_metric_families(r.text)}
    exposed = {
        name + suffix for name, kind in families.items() for suffix in _SUFFIXES.get(kind, ("",))
    }
    queried = {m for e in dashboard_exprs() for m in re.findall(r"\bmetro_[a-z0-9_]+\b", e)}
    assert queried, "the dashboard queries nothing"
    assert not queried - exposed, f"not on /metrics: {sorted(queried - exposed)}"
    # (the classic text format lists each counter's and histogram's *_created as a gauge)
    ours = {n for n in families if n.startswith("metro_") and not n.endswith("_created")}
    shown = {n for n in ours if any(q.startswith(n) for q in queried)}
    assert shown == ours, f"no panel for: {sorted(ours - shown)}"


def test_dashboard_is_importable_json() -> None:
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] == "metro-ops" and dash["panels"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for p in dash["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24
        for t in p.get("targets", []):
            assert t["expr"].count("(") == t["expr"].count(")"), t["expr"]
