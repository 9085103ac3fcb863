"""Passenger feeds over HTTP: GTFS static and GTFS-Realtime. Public: no sign-in.

* ``GET /gtfs/static.zip`` — the timetable in force from today for ``gtfs.valid_days`` days;
* ``GET /gtfs-rt/vehicle-positions``, ``/gtfs-rt/trip-updates``, ``/gtfs-rt/alerts`` — protocol
  buffers (``application/x-protobuf``), or JSON with ``?format=json`` for debugging.

Everything served here is already public information (where trains are, what runs); nothing
from the crew record or the control room's own wording leaves through it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from google.transit import gtfs_realtime_pb2 as rt_pb

from api.deps import RuntimeDep
from api.schemas.base import file_response
from feeds.geo import NoCoordinates
from feeds.live import LiveSnapshot, live_snapshot
from feeds.realtime import (
    FeedContext,
    as_json,
    service_alerts,
    trip_updates,
    vehicle_positions,
)
from feeds.static import build_static_feed, feed_zip
from line.clock import HANOI
from services.runtime import Runtime

router = APIRouter(tags=["passenger feeds"])

PROTOBUF = "application/x-protobuf"
#: Not pydantic models: the shapes are the GTFS and GTFS-Realtime standards (gtfs.org).
GTFS_ZIP = file_response("application/zip", "the GTFS static feed (zip of CSV files)")
GTFS_RT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "a GTFS-Realtime FeedMessage: protobuf, or ?format=json its JSON mapping",
        "content": {PROTOBUF: {}, "application/json": {}},
    }
}
Format = Literal["pb", "json"]


def _local_date(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(HANOI).date()


def _context(rt: Runtime) -> tuple[FeedContext, LiveSnapshot]:
    snap = live_snapshot(rt.state, rt.alarms, rt.clock())
    plan, _t = rt.state.plan_for(snap.field_ms)
    cancelled = rt.cancellations.cancelled_trips(plan.service_date) if rt.cancellations else set()
    timetable = rt.line.timetable(rt.settings.state.timetable)
    return FeedContext(rt.line, timetable, plan, frozenset(cancelled)), snap


def _feed(
    rt: Runtime, build: Callable[[FeedContext, LiveSnapshot], rt_pb.FeedMessage], fmt: Format
) -> Response:
    try:
        ctx, snap = _context(rt)
        msg = build(ctx, snap)
    except NoCoordinates as exc:
        raise HTTPException(503, str(exc)) from exc
    if fmt == "json":
        return JSONResponse(as_json(msg))
    # feeds change every second: consumers poll, caches must not serve an old position
    return Response(
        msg.SerializeToString(), media_type=PROTOBUF, headers={"Cache-Control": "no-cache"}
    )


@router.get("/gtfs/static.zip", response_class=Response, responses=GTFS_ZIP)
def gtfs_static(rt: RuntimeDep, request: Request) -> Response:
    """The GTFS static feed of the line (zip of CSV files)."""
    timetable = rt.line.timetable(rt.settings.state.timetable)
    try:
        tables = build_static_feed(
            rt.line,
            timetable,
            start=_local_date(rt.clock()),
            days=rt.settings.gtfs.valid_days,
            info=rt.settings.gtfs,
        )
    except NoCoordinates as exc:
        raise HTTPException(503, str(exc)) from exc
    body = feed_zip(tables)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="gtfs-{rt.line.id}.zip"'
    return Response(body, media_type="application/zip", headers=headers)


@router.get("/gtfs-rt/vehicle-positions", response_class=Response, responses=GTFS_RT)
def gtfs_rt_vehicle_positions(rt: RuntimeDep, format: Format = "pb") -> Response:
    """GTFS-Realtime VehiclePositions of the trains in passenger service."""
    return _feed(rt, vehicle_positions, format)


@router.get("/gtfs-rt/trip-updates", response_class=Response, responses=GTFS_RT)
def gtfs_rt_trip_updates(rt: RuntimeDep, format: Format = "pb") -> Response:
    """GTFS-Realtime TripUpdates: delays of running trips, cancelled trips."""
    return _feed(rt, trip_updates, format)


@router.get("/gtfs-rt/alerts", response_class=Response, responses=GTFS_RT)
def gtfs_rt_alerts(rt: RuntimeDep, format: Format = "pb") -> Response:
    """GTFS-Realtime Alerts for passengers, in Vietnamese and English."""
    return _feed(rt, service_alerts, format)
