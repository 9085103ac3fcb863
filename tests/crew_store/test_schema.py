"""Migrations make exactly the tables the code maps; SQLite runs in WAL with full sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from crew.migrations import STREAM
from crew.store import CrewStore
from crew.store.tables import Base
from storage.engine import make_engine
from storage.migrations import downgrade, migrate

CREW_TABLES = {
    "crew_meta",
    "crew_staff",
    "crew_group",
    "crew_cohort",
    "crew_status_event",
    "crew_test_result",
    "crew_audit",
    "crew_work",
    "crew_alembic_version",
}


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(
        conn, opts={"version_table": "crew_alembic_version", "compare_type": True}
    )
    return list(compare_metadata(ctx, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_migrations_match_the_mapped_tables_and_run_both_ways(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate(engine, STREAM)
        await migrate(engine, STREAM)  # a second start finds nothing to do
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == CREW_TABLES
            assert await conn.run_sync(_diff) == [], "migration and tables.py disagree"
            rev = (await conn.execute(text("SELECT version_num FROM crew_alembic_version"))).all()
            assert rev == [("c0002",)]
        await downgrade(engine, STREAM, "c0001")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == CREW_TABLES - {"crew_work"}
        await downgrade(engine, STREAM, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"crew_alembic_version"}
        await migrate(engine, STREAM)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == CREW_TABLES
    finally:
        await engine.dispose()


async def test_sqlite_is_wal_with_full_sync_and_created_where_asked(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "metro.db"
    async with CrewStore(f"sqlite+aiosqlite:///{path}") as store:
        async with store.engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
            sync = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
            timeout = (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one()
    assert path.exists()
    assert (mode, sync) == ("wal", 2), "2 is FULL: a commit waits for the log on disk"
    assert timeout > 0
