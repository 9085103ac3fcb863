"""The one engine factory: every table of ours (crew, accounts, reports, simulation runs, the
operating record) lives in one database (``db.url``) opened through :func:`make_engine`.

SQLite (the default) runs in WAL mode with ``synchronous=FULL``: a commit returns only after
the write-ahead log is on disk, so an acknowledged write survives ``kill -9`` of the process
(and a power cut). Writers take the write lock when they begin (``BEGIN IMMEDIATE``), so two
writers never deadlock upgrading a read lock; readers are never blocked by the writer. Waiting
for the lock is bounded by ``busy_timeout``.

PostgreSQL (``postgresql+asyncpg://``) commits durably by default; connecting, each statement
and waiting for a pooled connection are bounded. Migrations: :mod:`storage.migrations`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

#: Execution option marking a connection that will write (SQLite: ``BEGIN IMMEDIATE``).
WRITE_OPTION = "storage_write"

#: Bound on every wait for the database (lock, connect, one statement, a pooled connection):
#: a request that cannot be served in a few seconds fails fast (the API answers 503 with
#: Retry-After) instead of hanging for a minute on a stopped or frozen server.
DEFAULT_TIMEOUT_S = 5.0


def make_engine(
    url: str,
    *,
    busy_timeout_s: float = DEFAULT_TIMEOUT_S,
    statement_timeout_s: float | None = None,
    echo: bool = False,
) -> AsyncEngine:
    """An async engine for ``url`` with our durability settings and timeouts.

    SQLite waits at most ``busy_timeout_s`` for another writer (another process may hold the
    lock). PostgreSQL: connecting, one statement and a pooled connection are each bounded by
    ``statement_timeout_s`` (default: ``busy_timeout_s``).
    """
    u = make_url(url)
    kw: dict[str, Any] = {"echo": echo, "pool_timeout": busy_timeout_s}
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        memory = db in ("", ":memory:") or db.startswith("file::memory:")
        if memory:
            kw["poolclass"] = StaticPool  # one connection, or each would see its own database
        else:
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(u, **kw)
        _sqlite_events(engine, busy_timeout_ms=round(busy_timeout_s * 1000), wal=not memory)
        return engine
    if u.get_backend_name() == "postgresql":
        kw["pool_pre_ping"] = True
        if u.get_driver_name() == "asyncpg":
            # asyncpg's defaults: 60 s to connect, statements unbounded (a SIGSTOPped server
            # hung crew writes for 58–75 s). The timeouts raise, the API maps them to 503.
            kw["connect_args"] = {
                "timeout": busy_timeout_s,
                "command_timeout": statement_timeout_s or busy_timeout_s,
            }
    return create_async_engine(u, **kw)


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool) whose transactions take the write lock when they begin."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _sqlite_events(engine: AsyncEngine, *, busy_timeout_ms: int, wal: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            if wal:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
