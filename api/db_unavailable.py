"""One place that turns "the database cannot answer now" into 503 with ``Retry-After``.

A stopped PostgreSQL (connection refused), a frozen one (the engine's connect and statement
timeouts, :func:`storage.engine.make_engine`) and a SQLite database locked by another
process (``busy_timeout``) all surface as exceptions from deep inside a route. Without this
they were 500s, or — before the engine timeouts — a minute's hang. Every route gets the same
mapping here instead of each catching them, and the database's health learns of it at once
(``/healthz`` shows ``database: down`` until its probe succeeds again).

Each wait is bounded by the engine, but one request may wait several times (its write, then
the audit record of the failure, a reconnect between): :class:`WriteDeadline` bounds a whole
crew write too, so its answer comes within ``deadline_s`` whatever the database does. A write
cut short is rolled back by the database; the crew API's idempotent ids (``event_id``, …) make
the client's retry safe either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

RETRY_AFTER_S = 5

#: Failures meaning "not now" rather than "wrong": connection refused or lost, locked,
#: timed out (asyncpg's timeouts are TimeoutError; SQLAlchemy's pool has its own).
UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    TimeoutError,
    ConnectionError,
)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def install(app: FastAPI, on_unavailable: Callable[[Request, BaseException], None]) -> None:
    """Map database unavailability to 503 with Retry-After; ``on_unavailable`` is told."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        if not is_unavailable(exc):
            log.error("request failed", path=request.url.path, error=repr(exc)[:300])
            return JSONResponse({"detail": "internal error"}, status_code=500)
        # asyncpg's connect errors (refused, timed out) come through unwrapped as plain
        # ConnectionError/TimeoutError: in the API's request paths the database is the
        # dependency that waits that way
        on_unavailable(request, exc)
        return unavailable_response(type(exc).__name__)

    for cls in (*UNAVAILABLE, sa_exc.DBAPIError):
        h: Callable[[Request, Exception], Awaitable[JSONResponse]] = handler
        app.add_exception_handler(cls, h)


def unavailable_response(error: str, what: str = "database") -> JSONResponse:
    return JSONResponse(
        {"detail": f"{what} unavailable, nothing was changed: retry later", "error": error},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


class WriteDeadline:
    """ASGI middleware: a write under ``prefixes`` not answered within ``deadline_s`` gets
    503 with Retry-After (reads are not bounded here: a coverage solve may take a while)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        deadline_s: float,
        prefixes: tuple[str, ...] = ("/api/crew",),
        on_timeout: Callable[[Scope], None] | None = None,
    ) -> None:
        self.app = app
        self.deadline_s = deadline_s
        self.prefixes = prefixes
        self.on_timeout = on_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        started = closed = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if closed:  # answered 503 already: whatever the request still says is dropped
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        # The request runs in a task of its own: a thread blocked in SQLite (busy_timeout) or
        # a cleanup waiting behind it cannot be interrupted by a cancellation, and the answer
        # must not wait for them. Cancelled, the task ends in the background.
        task = asyncio.ensure_future(self.app(scope, receive, tracked))
        done, _ = await asyncio.wait({task}, timeout=self.deadline_s)
        if task in done or started:
            await task
            return
        closed = True
        task.cancel()
        task.add_done_callback(_retrieve)
        log.warning("write not done in time: 503", path=scope["path"], s=self.deadline_s)
        if self.on_timeout is not None:
            self.on_timeout(scope)
        await unavailable_response("deadline")(scope, receive, send)


def _retrieve(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # expected (cancelled or the database's error): not "never retrieved"
