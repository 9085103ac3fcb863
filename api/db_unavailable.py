"""One place that turns "the database cannot answer now" into 503 with ``Retry-After``.

A stopped PostgreSQL (connection refused), a frozen one (the engine's connect and statement
timeouts, :func:`crew.store.engine.make_engine`) and a SQLite database locked by another
process (``busy_timeout``) all surface as exceptions from deep inside a route. Without this
they were 500s, or — before the engine timeouts — a minute's hang. Every route gets the same
mapping here instead of each catching them, and the database's health learns of it at once
(``/healthz`` shows ``database: down`` until its probe succeeds again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

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


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def install(app: FastAPI, on_unavailable: Callable[[Request, BaseException], None]) -> None:
    """Map database unavailability to 503 with Retry-After; ``on_unavailable`` is told."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        if not _is_unavailable(exc):
            log.error("request failed", path=request.url.path, error=repr(exc)[:300])
            return JSONResponse({"detail": "internal error"}, status_code=500)
        on_unavailable(request, exc)
        return JSONResponse(
            {
                "detail": "database unavailable, nothing was changed: retry later",
                "error": type(exc).__name__,
            },
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    for cls in (*UNAVAILABLE, sa_exc.DBAPIError):
        h: Callable[[Request, Exception], Awaitable[JSONResponse]] = handler
        app.add_exception_handler(cls, h)
