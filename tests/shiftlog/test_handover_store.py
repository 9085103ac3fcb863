"""Handover tables and the control-room shift calendar.

Proves, on both databases: migration s0002 makes exactly the mapped handover and timetable
decision tables and the ``follow_up`` column, and goes back to s0001 with the log's rows and
its append-only triggers intact; the shift calendar finds the shift on at a moment (the night
shift across midnight) and the shifts ended in a window; operators opening the same shift's
handover at once all get the one handover.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from line.clock import HANOI
from shiftlog import Category, NewEntry, ShiftLogStore
from shiftlog.handover import Draft, Item, Section
from shiftlog.handover_store import HandoverStore, metadata
from shiftlog.migrations import STREAM
from shiftlog.shifts import Shift, ShiftCalendar, ShiftSpec
from shiftlog.timetable import timetable_decision
from storage.engine import make_engine, writer
from storage.migrations import downgrade, migrate

NEW_TABLES = {"handover", "handover_ack", timetable_decision.name}


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(
        conn,
        opts={
            "version_table": STREAM.version_table,
            "compare_type": True,
            "include_name": lambda name, type_, _p: type_ != "table" or name in NEW_TABLES,
        },
    )
    return list(compare_metadata(ctx, metadata))


def _columns(conn: Connection) -> tuple[set[str], set[str]]:
    insp = inspect(conn)
    return set(insp.get_table_names()), {c["name"] for c in insp.get_columns("shift_log")}


async def test_migration_s0002_both_ways(db_url: str) -> None:
    async with ShiftLogStore(db_url) as store:
        await store.append(NewEntry("dd01", Category.OPERATIONS, "trước", follow_up=True))
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == [], "migration and tables disagree"
            tables, cols = await conn.run_sync(_columns)
        assert NEW_TABLES <= tables and "follow_up" in cols
        await downgrade(engine, STREAM, "s0001")
        async with engine.connect() as conn:
            tables, cols = await conn.run_sync(_columns)
            kept = (await conn.execute(text("SELECT text FROM shift_log"))).scalars().all()
        assert not NEW_TABLES & tables and "follow_up" not in cols
        assert kept == ["trước"]
        with pytest.raises(DBAPIError, match="append-only"):
            async with writer(engine).begin() as conn:
                await conn.execute(text("DELETE FROM shift_log"))
        await migrate(engine, STREAM)
    finally:
        await engine.dispose()
    async with ShiftLogStore(db_url) as store:
        assert [e.text for e in await store.open_items()] == []  # old rows: not flagged
        flagged = await store.append(NewEntry("dd01", Category.OPERATIONS, "mở", follow_up=True))
        assert [e.id for e in await store.open_items()] == [flagged.id]


def ms(text_: str) -> int:
    return int(datetime.fromisoformat(text_).replace(tzinfo=HANOI).timestamp() * 1000)


def test_shift_calendar() -> None:
    cal = ShiftCalendar(
        [
            ShiftSpec("occ_day", time(6), time(14)),
            ShiftSpec("occ_late", time(14), time(22)),
            ShiftSpec("occ_night", time(22), time(6)),
        ]
    )
    night = cal.at(ms("2026-05-29T02:00"))
    assert (night.id, night.start_ms, night.end_ms) == (
        "occ_night",
        ms("2026-05-28T22:00"),
        ms("2026-05-29T06:00"),
    )
    assert cal.at(ms("2026-05-28T14:00")).id == "occ_late"  # a boundary belongs to the next
    ended = cal.ended(ms("2026-05-28T05:00"), ms("2026-05-28T23:00"))
    assert [(s.id, s.end_ms) for s in ended] == [
        ("occ_late", ms("2026-05-28T22:00")),
        ("occ_day", ms("2026-05-28T14:00")),
        ("occ_night", ms("2026-05-28T06:00")),
    ]


async def test_two_operators_opening_at_once_get_the_same_handover(db_url: str) -> None:
    shift = Shift("occ_day", ms("2026-05-28T06:00"), ms("2026-05-28T14:00"))
    draft = Draft("ca êm", (Item("alarm:1", Section.ALARMS, "P1 #1", "P1 #1", True),))
    async with ShiftLogStore(db_url) as log:
        store = HandoverStore(log)
        got = await asyncio.gather(
            *(store.open(shift, user, draft, ms("2026-05-28T13:40")) for user in ("a", "b", "c"))
        )
    assert len({h.id for h, _ in got}) == 1
    assert sorted(made for _, made in got) == [False, False, True]
    assert got[0][0].items[0].must_ack
