"""Health and Prometheus metrics: both anonymous (probes and scrapers have no account)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import RuntimeDep
from api.schemas.base import file_response
from api.schemas.ops import Healthz

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=Healthz, responses={503: {"model": Healthz}})
def healthz(rt: RuntimeDep, response: Response) -> dict[str, Any]:
    """Every dependency's state (``ok`` / ``degraded`` / ``down``) and the overall one.

    200 while the live board can be trusted, also when degraded but serving (database,
    history, InfluxDB, a PLC); 503 when it cannot (the broker is down), naming the dependency
    in ``untrusted_because``.
    """
    stale = [sv.id for sv in rt.state.substations.values() if sv.stale]
    report: dict[str, Any] = rt.health.report()
    body = {
        **report,
        "mqtt_connected": None if rt.ingest is None else rt.ingest.connected,
        "stale_substations": stale,
        "sinks": {s.name: dataclasses.asdict(s.stats()) for s in rt.sinks},
        "uptime_s": round((rt.clock() - rt.started_ms) / 1000, 1),
    }
    if not report["live_board"]:
        response.status_code = 503
    return body


@router.get(
    "/metrics",
    response_class=Response,
    responses=file_response(CONTENT_TYPE_LATEST, "Prometheus text exposition format"),
)
def metrics(rt: RuntimeDep) -> Response:
    """Prometheus metrics. Deliberately anonymous, like ``/healthz``: Prometheus scrapes it
    without credentials, and it holds counters and gauges only (no names, no crew data).
    Expose it to the monitoring network only (reverse proxy or firewall)."""
    return Response(generate_latest(rt.registry), media_type=CONTENT_TYPE_LATEST)
