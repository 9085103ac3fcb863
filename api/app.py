"""The FastAPI app factory. Its lifespan owns every long-lived task and stops them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api import db_unavailable, openapi
from api.body_guard import BodyGuard
from api.crew_errors import crew_store_refused
from api.lang import lang_of
from api.routes import (
    alarm_performance,
    audit,
    auth,
    board,
    crew,
    gtfs,
    history,
    marey,
    ops,
    web,
    ws,
)
from api.routes import handover as handover_routes
from api.routes import incidents as incident_routes
from api.routes import replay as replay_routes
from api.routes import reports as report_routes
from api.routes import shiftlog as shiftlog_routes
from api.routes import simulations as simulation_routes
from api.routes import sweeps as sweep_routes
from api.routes import timetable as timetable_routes
from api.security_headers import SecurityHeaders
from api.validation_text import localised
from crew.store.errors import StoreError
from services.runtime import Runtime, run_runtime


def _tell_db_health(request: Request, exc: BaseException) -> None:
    rt: Runtime = request.state.runtime
    rt.db_health.failed(exc)


def create_app(runtime: Runtime) -> FastAPI:
    """An app over an already built runtime (see :func:`services.runtime.build_runtime`)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Runtime]]:
        ready = asyncio.Event()
        task = asyncio.create_task(run_runtime(runtime, ready), name="runtime")
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:  # failed while starting: surface the error
            waiter.cancel()
            await task
        try:
            yield {"runtime": runtime}
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # No /docs or /redoc: FastAPI serves them from a CDN with an inline script, which the
    # CSP would have to allow. The API's description stays at /openapi.json.
    app = FastAPI(
        title="metro-ops",
        description="Hanoi Metro Line 2A operations monitor",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    openapi.install(app)  # with the /ws/board frames
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StoreError, crew_store_refused)
    app.include_router(ops.router)
    app.include_router(board.router)
    app.include_router(ws.router)
    app.include_router(history.router)
    app.include_router(replay_routes.router)  # a past moment, from history only
    app.include_router(marey.router)  # time-distance graph, headway regularity
    app.include_router(crew.router)
    # sweeps first: /api/simulations/sweeps must not be read as a run id
    app.include_router(sweep_routes.router)  # sensitivity sweeps (planners)
    app.include_router(simulation_routes.router)  # what-if runs (planners)
    app.include_router(auth.router)
    app.include_router(audit.router)
    app.include_router(gtfs.router)  # public passenger feeds (GTFS, GTFS-Realtime)
    app.include_router(report_routes.router)  # situation reports (HTML/PDF)
    app.include_router(shiftlog_routes.router)  # the shift log
    app.include_router(incident_routes.router)  # incidents and their timelines
    app.include_router(handover_routes.router)  # shift handovers
    app.include_router(timetable_routes.router)  # degraded-timetable decisions
    app.include_router(alarm_performance.router)  # alarm system performance (ISA-18.2)
    web.mount_web(app)  # the control-room UI: pages, /static, /api/line
    http = runtime.settings.http
    app.add_middleware(
        BodyGuard,  # bodies bounded and strict JSON, before sign-in and parsing
        max_bytes=http.max_body_bytes,
        upload_bytes=http.max_upload_bytes,
        upload_paths=UPLOAD_PATHS,
    )
    db_unavailable.install(app, _tell_db_health)

    def write_timed_out(scope: Any) -> None:
        runtime.db_health.failed(TimeoutError("a crew write was not done in time"))

    app.add_middleware(
        db_unavailable.WriteDeadline,
        # the engine bounds each wait to db.timeout_s; the whole write gets a second more
        deadline_s=runtime.settings.db.timeout_s + 1,
        on_timeout=write_timed_out,
    )
    app.add_middleware(SecurityHeaders)  # CSP, nosniff, frame/referrer policy, HSTS on https
    return app


#: Routes taking a file upload: they get ``http.max_upload_bytes`` instead of the JSON limit.
UPLOAD_PATHS = ("/api/crew/roster.csv",)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field and why, in the request's language — without the values
    sent: they may be passwords (sign-in) or megabytes, and are the client's own anyway."""
    assert isinstance(exc, RequestValidationError)
    errors = [{k: v for k, v in e.items() if k not in ("input", "url")} for e in exc.errors()]
    detail = localised(errors, lang_of(request))
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)
