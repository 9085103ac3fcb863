"""A database made by the previous release (0abac3c) upgrades at today's start-up: every row
kept, today's tables exactly, and the server serves its records.

The fixture ``release_0abac3c/metro.sql`` is that release's SQLite database as ``sqlite3
.dump`` wrote it, made by its own code (``release_0abac3c/make_db.py``: its demo, driven over
HTTP): crew, accounts, a situation report, a what-if run and the operating record. Its
reports, simulation-run and operating-record tables were made by ``create_all`` and have no
version table: their migration streams must adopt them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
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
from whatif.migrations import STREAM as WHATIF
from whatif.store import metadata as whatif_metadata

RELEASE = Path(__file__).parent / "release_0abac3c"
MANIFEST: dict[str, Any] = json.loads((RELEASE / "manifest.json").read_text())

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


def _load(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.executescript((RELEASE / "metro.sql").read_text())
    conn.close()


def _rows(db: Path) -> dict[str, set[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: set(conn.execute(f'SELECT * FROM "{n}"')) for n in names}
    finally:
        conn.close()


def _primary_key(conn: sqlite3.Connection, table: str) -> list[int]:
    info = list(conn.execute(f'PRAGMA table_info("{table}")'))
    return [cid for cid, _name, _type, _nn, _dflt, pk in sorted(info, key=lambda r: r[5]) if pk]


def _keys_of(rows: dict[str, set[tuple[Any, ...]]], db: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Each table's rows by primary key."""
    conn = sqlite3.connect(db)
    try:
        pks = {t: _primary_key(conn, t) for t in rows}
    finally:
        conn.close()
    return {t: {tuple(r[i] for i in pks[t]) for r in rs} for t, rs in rows.items()}


def _keys(db: Path) -> dict[str, set[tuple[Any, ...]]]:
    return _keys_of(_rows(db), db)


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
    tmp_path: Path,
) -> None:
    db = tmp_path / "metro.db"
    _load(db)
    before = _rows(db)
    assert not NEW_VERSION_TABLES & set(before), "the release had no streams for these tables"
    empty = {t for t, rows in before.items() if not rows}
    assert empty == ALWAYS_EMPTY, "the fixture has rows in every table"

    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        for stream, _, _ in STREAMS:
            await migrate(engine, stream)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == [], "the upgraded tables are not today's"
    finally:
        await engine.dispose()

    after = _rows(db)
    assert set(after) == set(before) | NEW_VERSION_TABLES
    for table, rows in before.items():
        if table not in VERSION_TABLES:
            assert after[table] == rows, f"{table} changed in the upgrade"
    heads = {s.version_table: {(head,)} for s, _, head in STREAMS}
    assert {t: after[t] for t in VERSION_TABLES} == heads


def test_todays_server_starts_on_the_release_database_and_serves_its_records(
    tmp_path: Path, make_metro_server: Callable[..., MetroServer], mosquitto: Broker
) -> None:
    db = tmp_path / "release.db"
    _load(db)
    before = _rows(db)
    server = make_metro_server(DB_URL=f"sqlite:///{db}", MQTT_URL=mosquitto.url)
    # the admin's API token issued by the release's `users token`: accounts kept and readable
    auth = {"Authorization": f"Bearer {MANIFEST['token']}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as c:
        me = c.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["user"] == "admin", me.text

        staff = c.get("/api/crew/staff")
        assert staff.status_code == 200, staff.text
        assert len(staff.json()) == MANIFEST["staff"]
        cohorts = c.get("/api/crew/cohorts").json()
        assert "REL-3OS" in json.dumps(cohorts)

        report_id = MANIFEST["report"]
        listed = c.get("/api/reports").json()
        assert report_id in json.dumps(listed)
        pdf = c.get(f"/api/reports/{report_id}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        (stored_pdf,) = (r[10] for r in before["situation_reports"] if r[0] == report_id)
        assert pdf.content == stored_pdf, "the report reads back exactly as the release stored it"

        run = c.get(f"/api/simulations/{MANIFEST['run']}")
        assert run.status_code == 200, run.text
        assert run.json()["status"] == "done" and run.json().get("result"), run.text[:300]

        alarms = c.get("/api/alarms", params={"history": 100, "include_shelved": True}).json()
        every = [*alarms["alarms"], *alarms.get("history", [])]
        acked = [a for a in every if a["id"] == MANIFEST["acked_alarm"]]
        assert acked and acked[0]["acked_by"] == "operator", every[:3]

        audit = c.get("/api/audit")
        assert audit.status_code == 200, audit.text
        assert "report.make" in audit.text and "simulation.run" in audit.text
    server.stop()

    after = _keys(db)
    assert NEW_VERSION_TABLES <= set(after)
    # The running server updates some rows by design (a token's last use, the operating record,
    # the crew revision, expired sessions purged): every other row is still there by its key.
    for table, keys in _keys_of(before, db).items():
        if table not in VERSION_TABLES | {"auth_session"}:
            assert keys <= after[table], f"rows of {table} lost"
