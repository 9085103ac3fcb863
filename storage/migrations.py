"""Alembic migration streams: one per package that owns tables, all in the one database.

Each package keeps its scripts beside its tables (``crew/migrations``, ``accounts/migrations``,
``reports/migrations``, ``whatif/migrations``, ``shiftlog/migrations``,
``incidents/migrations``, ``services/migrations``, ``services/alarm_migrations``,
``telemetry/migrations``) and records its revision in its own version table, so a package's
tables migrate when its store opens, without knowing the other packages (the layers stay
one-way: a stream's ``env.py`` imports its own package's tables only).

:func:`migrate` runs in one transaction; on PostgreSQL under an advisory lock per stream, so
replicas starting together migrate once, and on SQLite under the write lock (``BEGIN
IMMEDIATE``).
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import DEFAULT_TIMEOUT_S, make_engine, writer

if TYPE_CHECKING:
    from alembic.config import Config


@dataclass(frozen=True, slots=True)
class MigrationStream:
    """One package's Alembic scripts (``scripts`` holds ``env.py`` and ``versions/``)."""

    scripts: Path
    version_table: str

    @property
    def lock_key(self) -> int:
        """The PostgreSQL advisory lock that serialises this stream's migrations."""
        return zlib.crc32(f"metro-ops:{self.version_table}".encode())


def alembic_config(stream: MigrationStream, url: str | None = None) -> Config:
    """An Alembic config for ``stream`` (no ini file needed)."""
    from alembic.config import Config  # imported when needed: it takes a while

    cfg = Config()
    cfg.set_main_option("script_location", str(stream.scripts))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def migrate(engine: AsyncEngine, stream: MigrationStream, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` of ``stream`` on ``engine``, in one transaction."""
    quiet_alembic()
    from alembic import command

    def _upgrade(conn: Connection) -> None:
        cfg = alembic_config(stream)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with writer(engine).begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": stream.lock_key})
        await conn.run_sync(_upgrade)


async def open_migrated(
    url: str, stream: MigrationStream, *, busy_timeout_s: float = DEFAULT_TIMEOUT_S
) -> AsyncEngine:
    """An engine for ``url`` with ``stream`` migrated to head; disposed again if that fails."""
    engine = make_engine(url, busy_timeout_s=busy_timeout_s)
    try:
        await migrate(engine, stream)
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def downgrade(engine: AsyncEngine, stream: MigrationStream, revision: str) -> None:
    """``alembic downgrade <revision>`` of ``stream`` (``"base"`` drops every table of it)."""
    quiet_alembic()
    from alembic import command

    def _down(conn: Connection) -> None:
        cfg = alembic_config(stream)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with writer(engine).begin() as conn:
        await conn.run_sync(_down)


def quiet_alembic() -> None:
    """Alembic logs its plugin set-up at INFO on every start: keep it to warnings unless the
    application configured the ``alembic`` logger itself."""
    logger = logging.getLogger("alembic")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


class SchemaMismatch(RuntimeError):
    """A table a first revision would adopt exists with columns it does not expect."""


def adopt_existing(conn: Connection, table: str, columns: set[str]) -> bool:
    """Whether ``table`` already exists with exactly ``columns`` (so a first revision keeps it).

    Releases up to 0abac3c created the reports, simulation-run and operating-record tables with
    ``create_all`` on first use, before they had a migration stream: the first revision of such a
    stream adopts the table as it is (its rows kept) instead of creating it. A table of that name
    with other columns is not ours to guess about: :class:`SchemaMismatch`, naming them.
    """
    insp = inspect(conn)
    if not insp.has_table(table):
        return False
    found = {c["name"] for c in insp.get_columns(table)}
    if found != columns:
        raise SchemaMismatch(
            f"table {table} exists with other columns than expected "
            f"(missing {sorted(columns - found)}, unknown {sorted(found - columns)}): "
            "not migrating it"
        )
    return True
