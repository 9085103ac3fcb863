"""The FastAPI app factory. Its lifespan owns every long-lived task and stops them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from api.routes import audit, auth, board, crew, gtfs, history, ops, web, ws
from api.routes import reports as report_routes
from api.routes import simulations as simulation_routes
from api.runtime import Runtime, run_runtime
from api.security_headers import SecurityHeaders


def create_app(runtime: Runtime) -> FastAPI:
    """An app over an already built runtime (see :func:`api.runtime.build_runtime`)."""

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

    app = FastAPI(
        title="metro-ops",
        description="Hanoi Metro Line 2A operations monitor",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(ops.router)
    app.include_router(board.router)
    app.include_router(ws.router)
    app.include_router(history.router)
    app.include_router(crew.router)
    app.include_router(simulation_routes.router)  # what-if runs (planners)
    app.include_router(auth.router)
    app.include_router(audit.router)
    app.include_router(gtfs.router)  # public passenger feeds (GTFS, GTFS-Realtime)
    app.include_router(report_routes.router)  # situation reports (HTML/PDF)
    web.mount_web(app)  # the control-room UI: pages, /static, /api/line
    app.add_middleware(SecurityHeaders)  # CSP, nosniff, frame/referrer policy, HSTS on https
    return app
