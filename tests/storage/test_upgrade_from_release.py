"""A database made by the previous release (0abac3c) upgrades at today's start-up: every row
kept, today's tables exactly, and the server serves its records — on SQLite and PostgreSQL.

The fixtures in ``release_0abac3c/`` are that release's databases, made by its own code
(``make_db.py``: its demo, driven over HTTP): crew, accounts, a situation report, a what-if
run and the operating record; ``metro.sql`` is the SQLite database as ``sqlite3 .dump`` wrote
it, ``metro.pg.sql`` the PostgreSQL one as ``pg_dump`` wrote it, each with its manifest (ids
and the admin's API token, a test credential of that throwaway database). The reports,
simulation-run and operating-record tables were made by ``create_all`` and have no version
table: their migration streams must adopt them.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection

from accounts.migrations import STREAM as ACCOUNTS
from accounts.tables import SecurityBase
from crew.migrations import STREAM as CREW
from crew.store.tables import Base as CrewBase
from reports.migrations import STREAM as REPORTS
from reports.store import metadata as reports_metadata
from services.migrations import STREAM as OPS
from services.ops_record import metadata as ops_metadata
from storage.engine import make_engine
from storage.migrations import MigrationStream, migrate
from tests.fixtures.metro_server import MetroServer
from tests.fixtures.mosquitto import Broker
from tests.fixtures.postgres import PgCluster
from whatif.migrations import STREAM as WHATIF
from whatif.store import metadata as whatif_metadata

RELEASE = Path(__file__).parent / "release_0abac3c"

STREAMS: list[tuple[MigrationStream, MetaData, str]] = [
    (CREW, CrewBase.metadata, "c0002"),
    (ACCOUNTS, SecurityBase.metadata, "s0002"),
    (REPORTS, reports_metadata, "r0001"),
    (WHATIF, whatif_metadata, "w0001"),
    (OPS, ops_metadata, "o0001"),
]
VERSION_TABLES = {s.version_table for s, _, _ in STREAMS}
NEW_VERSION_TABLES = {REPORTS.version_table, WHATIF.version_table, OPS.version_table}
ALWAYS_EMPTY = {"audit_prune_permit"}  # holds a row only inside a pruning transaction
_db_numbers = itertools.count(1)


@dataclass(frozen=True)
class Table:
    columns: list[str]
    key: list[str]  # the primary key's columns
    rows: set[tuple[Any, ...]]

    def keys(self) -> set[tuple[Any, ...]]:
        at = [self.columns.index(k) for k in self.key]
        return {tuple(r[i] for i in at) for r in self.rows}

    def row(self, **match: Any) -> dict[str, Any]:
        found = [dict(zip(self.columns, r, strict=True)) for r in self.rows]
        (one,) = [r for r in found if all(r[k] == v for k, v in match.items())]
        return one


@dataclass(frozen=True)
class Release:
    url: str  # the database, as the async engine opens it
    server_url: str  # as METRO_DB_URL would be written
    manifest: dict[str, Any]


@pytest.fixture(params=["sqlite", "postgresql"])
def release(request: pytest.FixtureRequest, tmp_path: Path) -> Release:
    if request.param == "sqlite":
        db = tmp_path / "release.db"
        with sqlite3.connect(db) as conn:
            conn.executescript((RELEASE / "metro.sql").read_text())
        conn.close()
        manifest = json.loads((RELEASE / "manifest.json").read_text())
        return Release(f"sqlite+aiosqlite:///{db}", f"sqlite:///{db}", manifest)
    cluster: PgCluster = request.getfixturevalue("postgres_cluster")
    name = f"release_{os.getpid()}_{next(_db_numbers)}"
    cluster.create_database(name)
    cluster.psql(name, (RELEASE / "metro.pg.sql").read_text())
    manifest = json.loads((RELEASE / "manifest.pg.json").read_text())
    url = cluster.url(name)
    return Release(url, url, manifest)


def _hashable(value: Any) -> Any:
    """JSON columns (decoded by the PostgreSQL driver) as canonical text, to compare rows."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def _read(conn: Connection) -> dict[str, Table]:
    insp = inspect(conn)
    out = {}
    for name in insp.get_table_names():
        result = conn.execute(text(f'SELECT * FROM "{name}"'))  # raw values: JSON as stored
        key = insp.get_pk_constraint(name)["constrained_columns"]
        rows = {tuple(_hashable(v) for v in r) for r in result}
        out[name] = Table(list(result.keys()), key, rows)
    return out


async def _tables(url: str) -> dict[str, Table]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_read)
    finally:
        await engine.dispose()


def _diff(conn: Connection) -> list[Any]:
    out: list[Any] = []
    for stream, metadata, _ in STREAMS:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "version_table": stream.version_table,
                "compare_type": True,
                "include_name": lambda name, type_, _p, md=metadata: (
                    type_ != "table" or name in md.tables
                ),
            },
        )
        out += compare_metadata(ctx, metadata)
    return out


async def test_release_database_migrates_with_every_row_kept_to_todays_tables(
    release: Release,
) -> None:
    before = await _tables(release.url)
    assert not NEW_VERSION_TABLES & set(before), "the release had no streams for these tables"
    empty = {t for t, table in before.items() if not table.rows}
    assert empty == ALWAYS_EMPTY, "the fixture has rows in every table"

    engine = make_engine(release.url)
    try:
        for stream, _, _ in STREAMS:
            await migrate(engine, stream)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == [], "the upgraded tables are not today's"
    finally:
        await engine.dispose()

    after = await _tables(release.url)
    assert set(after) == set(before) | NEW_VERSION_TABLES
    for name, table in before.items():
        if name not in VERSION_TABLES:
            assert after[name].rows == table.rows, f"{name} changed in the upgrade"
    heads = {s.version_table: {(head,)} for s, _, head in STREAMS}
    assert {t: after[t].rows for t in VERSION_TABLES} == heads


async def test_todays_server_starts_on_the_release_database_and_serves_its_records(
    release: Release, make_metro_server: Callable[..., MetroServer], mosquitto: Broker
) -> None:
    made = release.manifest
    before = await _tables(release.url)
    server = make_metro_server(DB_URL=release.server_url, MQTT_URL=mosquitto.url)
    # the admin's API token issued by the release's `users token`: accounts kept and readable
    auth = {"Authorization": f"Bearer {made['token']}"}
    async with httpx.AsyncClient(base_url=server.url, headers=auth, timeout=30) as c:
        me = await c.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["user"] == "admin", me.text

        staff = await c.get("/api/crew/staff")
        assert staff.status_code == 200, staff.text
        assert len(staff.json()) == made["staff"]
        assert "REL-3OS" in (await c.get("/api/crew/cohorts")).text

        report_id = made["report"]
        assert report_id in (await c.get("/api/reports")).text
        pdf = await c.get(f"/api/reports/{report_id}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        stored = before["situation_reports"].row(id=report_id)["pdf"]
        assert pdf.content == stored, "the report reads back exactly as the release stored it"

        run = await c.get(f"/api/simulations/{made['run']}")
        assert run.status_code == 200, run.text
        assert run.json()["status"] == "done" and run.json().get("result"), run.text[:300]

        got = await c.get("/api/alarms", params={"history": 100, "include_shelved": True})
        every = [*got.json()["alarms"], *got.json().get("history", [])]
        acked = [a for a in every if a["id"] == made["acked_alarm"]]
        assert acked and acked[0]["acked_by"] == "operator", every[:3]

        audit = await c.get("/api/audit")
        assert audit.status_code == 200, audit.text
        assert "report.make" in audit.text and "simulation.run" in audit.text
    server.stop()

    after = await _tables(release.url)
    assert NEW_VERSION_TABLES <= set(after)
    # The running server updates some rows by design (a token's last use, the operating record,
    # the crew revision, expired sessions purged): every other row is still there by its key.
    for name, table in before.items():
        if name not in VERSION_TABLES | {"auth_session"}:
            assert table.keys() <= after[name].keys(), f"rows of {name} lost"
