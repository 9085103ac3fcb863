"""The one-table stores (situation reports, simulation runs, the operating record) migrate with
Alembic: the migrations make exactly the tables the code maps, run both ways, and adopt a table
an earlier release made with ``create_all`` with its rows kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection

from reports.migrations import STREAM as REPORTS
from reports.store import ReportStore
from reports.store import metadata as reports_metadata
from services.migrations import STREAM as OPS
from services.ops_record import OpsRecordStore
from services.ops_record import metadata as ops_metadata
from storage.engine import make_engine, writer
from storage.migrations import MigrationStream, SchemaMismatch, downgrade, migrate
from storage.table_store import TableStore
from telemetry.alarm_journal import AlarmJournalStore
from telemetry.alarm_journal import metadata as journal_metadata
from telemetry.migrations import STREAM as JOURNAL
from whatif.migrations import STREAM as WHATIF
from whatif.store import RunStore
from whatif.store import metadata as whatif_metadata


@dataclass(frozen=True)
class Case:
    stream: MigrationStream
    metadata: MetaData
    store: type[TableStore]
    head: str

    @property
    def table(self) -> str:
        (name,) = self.metadata.tables
        return name


CASES = [
    Case(REPORTS, reports_metadata, ReportStore, "r0001"),
    Case(WHATIF, whatif_metadata, RunStore, "w0001"),
    Case(OPS, ops_metadata, OpsRecordStore, "o0001"),
]
#: tables no release made with ``create_all`` (nothing to adopt): the first test only
NEW = [Case(JOURNAL, journal_metadata, AlarmJournalStore, "a0001")]


@pytest.fixture(params=CASES, ids=lambda c: c.table)
def case(request: pytest.FixtureRequest) -> Case:
    c: Case = request.param
    return c


@pytest.fixture(params=[*CASES, *NEW], ids=lambda c: c.table)
def any_case(request: pytest.FixtureRequest) -> Case:
    c: Case = request.param
    return c


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _diff(conn: Connection, case: Case) -> list[Any]:
    ctx = MigrationContext.configure(
        conn,
        opts={
            "version_table": case.stream.version_table,
            "compare_type": True,
            "include_name": lambda name, type_, _p: type_ != "table" or name == case.table,
        },
    )
    return list(compare_metadata(ctx, case.metadata))


async def _version(conn: Any, case: Case) -> list[Any]:
    q = text(f"SELECT version_num FROM {case.stream.version_table}")
    return list((await conn.execute(q)).all())


async def test_migrations_make_exactly_the_mapped_table_and_run_both_ways(
    db_url: str, any_case: Case
) -> None:
    case = any_case
    engine = make_engine(db_url)
    try:
        await migrate(engine, case.stream)
        await migrate(engine, case.stream)  # a second start finds nothing to do
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == {case.table, case.stream.version_table}
            assert await conn.run_sync(_diff, case) == [], "migration and table disagree"
            assert await _version(conn, case) == [(case.head,)]
        await downgrade(engine, case.stream, "base")
        async with engine.connect() as conn:
            assert case.table not in await conn.run_sync(_tables)
        await migrate(engine, case.stream)
        async with engine.connect() as conn:
            assert case.table in await conn.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_a_table_made_by_create_all_is_adopted_with_its_rows(db_url: str, case: Case) -> None:
    """What release 0abac3c left behind: the table made on first use, no version table."""
    engine = make_engine(db_url)
    try:
        async with writer(engine).begin() as conn:
            await conn.run_sync(case.metadata.create_all)
        async with engine.connect() as conn:
            assert case.stream.version_table not in await conn.run_sync(_tables)
        table = case.metadata.tables[case.table]
        row = _row(case)
        async with writer(engine).begin() as conn:
            await conn.execute(table.insert().values(**row))
    finally:
        await engine.dispose()

    async with case.store(db_url) as store:
        async with store.engine.connect() as conn:
            assert await _version(conn, case) == [(case.head,)]
            assert await conn.run_sync(_diff, case) == []
            got = (await conn.execute(table.select())).mappings().all()
    assert [dict(r) for r in got] == [row]


async def test_a_table_of_that_name_with_other_columns_is_refused_by_name(
    db_url: str, case: Case
) -> None:
    engine = make_engine(db_url)
    try:
        async with writer(engine).begin() as conn:
            await conn.execute(text(f"CREATE TABLE {case.table} (id INTEGER, other TEXT)"))
    finally:
        await engine.dispose()
    with pytest.raises(SchemaMismatch, match=rf"{case.table} .*unknown \[.*'other'\]"):
        async with case.store(db_url):
            pass
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:  # nothing half-done: the migration rolled back
            assert case.stream.version_table not in await conn.run_sync(_tables)
            cols = await conn.run_sync(lambda c: inspect(c).get_columns(case.table))
            assert [c["name"] for c in cols] == ["id", "other"]
    finally:
        await engine.dispose()


def _row(case: Case) -> dict[str, Any]:
    """One full row of the case's table (every column given, so it reads back equal)."""
    if case.stream is REPORTS:
        return {
            "id": "rep1",
            "kind": "manual",
            "slot_ms": None,
            "at_ms": 1_764_000_000_000,
            "since_ms": 1_763_990_000_000,
            "created_by": "dd01",
            "title": "Báo cáo tình hình",
            "summary": {"trips_run": 21},
            "content": "{}",
            "html": "<p>ok</p>",
            "pdf": b"%PDF-1.7 ...",
            "webhook_status": "off",
            "webhook_attempts": 0,
            "webhook_error": "",
            "webhook_ms": None,
        }
    if case.stream is WHATIF:
        return {
            "id": "run1",
            "scenario": "wave-2022",
            "spec": {"days": 30},
            "days": 30,
            "replications": 20,
            "seed": 7,
            "status": "done",
            "submitted_by": "planner",
            "created_ms": 1_764_000_000_000,
            "started_ms": 1_764_000_001_000,
            "finished_ms": 1_764_000_009_000,
            "done": 20,
            "error": "",
            "result": '{"ok": true}',
        }
    return {"name": "alarm_ids", "version": 1, "saved_ms": 1_764_000_000_000, "body": {"n": 3}}
