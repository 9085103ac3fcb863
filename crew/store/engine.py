"""Opening the crew database and bringing its schema to the latest migration.

SQLite (the default) runs in WAL mode with ``synchronous=FULL``: a commit returns only after
the write-ahead log is on disk, so an acknowledged write survives ``kill -9`` of the process
(and a power cut). Writers take the write lock when they begin (``BEGIN IMMEDIATE``), so two
writers never deadlock upgrading a read lock; readers are never blocked by the writer. Waiting
for the lock is bounded by ``busy_timeout``.

PostgreSQL (``postgresql+asyncpg://``) commits durably by default; migrations there hold an
advisory lock so two processes starting at once do not both migrate.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
#: Execution option marking a connection that will write (SQLite: ``BEGIN IMMEDIATE``).
WRITE_OPTION = "crew_write"
_PG_MIGRATE_LOCK = 0x6D6574726F  # "metro": any constant shared by all our processes


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
    """An async engine for ``url`` with the crew store's durability settings and timeouts.

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


def alembic_config(url: str | None = None, *, scripts: Path = MIGRATIONS) -> Config:
    """An Alembic config for a migration stream, the crew's by default (no ini file needed)."""
    from alembic.config import Config  # imported when needed: it takes a while

    cfg = Config()
    cfg.set_main_option("script_location", str(scripts))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def migrate(
    engine: AsyncEngine,
    revision: str = "head",
    *,
    scripts: Path = MIGRATIONS,
    lock_key: int = _PG_MIGRATE_LOCK,
) -> None:
    """``alembic upgrade <revision>`` of one stream on ``engine``, in one transaction; on
    PostgreSQL under an advisory lock so replicas starting together migrate once."""
    quiet_alembic()
    from alembic import command

    def _upgrade(conn: Connection) -> None:
        cfg = alembic_config(scripts=scripts)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with writer(engine).begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
        await conn.run_sync(_upgrade)


def quiet_alembic() -> None:
    """Alembic logs its plugin set-up at INFO on every start: keep it to warnings unless the
    application configured the ``alembic`` logger itself."""
    logger = logging.getLogger("alembic")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """``alembic downgrade <revision>`` (``"base"`` drops every crew table)."""

    from alembic import command

    def _down(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with writer(engine).begin() as conn:
        await conn.run_sync(_down)
