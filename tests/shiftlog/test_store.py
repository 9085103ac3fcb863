"""The shift log store on both databases: SQLite and a private PostgreSQL cluster.

Proves: entries read back newest first with their links; the table refuses UPDATE and DELETE
(the store has neither); a correction points at an existing entry and is listed with it;
search finds Vietnamese text whatever its case, and English text of system entries; filters
by time and category; paging with ``before`` and polling with ``after``; a committed entry
survives the store being reopened.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from line.catalogue import Message
from shiftlog import SYSTEM_AUTHOR, Category, EntryNotFound, InvalidEntry, NewEntry, ShiftLogStore
from shiftlog.migrations import STREAM
from shiftlog.store import metadata
from storage.engine import make_engine, writer
from storage.migrations import downgrade, migrate
from tests.storage.test_table_migrations import Case, _diff, _tables


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000_000

    def __call__(self) -> int:
        self.now += 1000
        return self.now


def op(text_: str, **kw: object) -> NewEntry:
    return NewEntry(author="dd01", category=Category.OPERATIONS, text=text_, **kw)  # type: ignore[arg-type]


async def test_append_only_corrections_and_search(db_url: str) -> None:
    async with ShiftLogStore(db_url, clock=Clock()) as store:
        first = await store.append(op("Tàu T05 dừng ở ga Láng 3 phút", train="T05"))
        alarm = await store.append(
            NewEntry(
                author=SYSTEM_AUTHOR,
                category=Category.OPERATIONS,
                message=Message(
                    "log.alarm.raised",
                    {
                        "priority": 1,
                        "alarm_id": 7,
                        "text": Message("alarm.train.emergency_brake", {"train": "T03"}),
                    },
                ),
                train="T03",
                alarm_id=7,
            )
        )
        crew = await store.append(
            NewEntry(author="qd01", category=Category.CREW, text="Lái tàu D12 F1", staff_id="D12")
        )
        fix = await store.append(op("Sửa: dừng ở ga Thái Hà, không phải Láng", corrects=first.id))

        assert alarm.text == "Báo động P1 #7: Tàu T03: phanh khẩn cấp"
        assert alarm.text_en == "P1 alarm #7: Train T03: emergency brake"
        assert alarm.system and not first.system

        page = await store.page()
        assert [e.id for e in page.entries] == [fix.id, crew.id, alarm.id, first.id]
        assert page.corrections == {first.id: [fix.id]}
        assert page.entries[0].corrects == first.id and page.next_before is None

        # the correction alone on a page still brings the entry it corrects
        only_fix = await store.page(limit=1)
        assert [e.id for e in only_fix.entries] == [fix.id]
        assert only_fix.corrected[first.id].text == "Tàu T05 dừng ở ga Láng 3 phút"
        assert only_fix.next_before == fix.id
        older = await store.page(before=fix.id, limit=2)
        assert [e.id for e in older.entries] == [crew.id, alarm.id]
        assert [e.id for e in (await store.page(after=alarm.id)).entries] == [fix.id, crew.id]

        # search: any case, Vietnamese letters folded too; English of a system entry; links
        assert [e.id for e in (await store.page(q="TÀU T05")).entries] == [first.id]
        assert [e.id for e in (await store.page(q="emergency")).entries] == [alarm.id]
        assert [e.id for e in (await store.page(q="d12")).entries] == [crew.id]
        assert (await store.page(q="100%")).entries == []  # LIKE wildcards are literal
        cat = await store.page(category=Category.CREW)
        assert [e.id for e in cat.entries] == [crew.id]
        window = await store.page(since_ms=alarm.at_ms, until_ms=fix.at_ms)
        assert [e.id for e in window.entries] == [crew.id, alarm.id]

        with pytest.raises(EntryNotFound):
            await store.append(op("fixes nothing", corrects=999))
        with pytest.raises(InvalidEntry):
            await store.append(op("   "))

        # nothing in the store changes or deletes; the table itself refuses it
        assert not hasattr(store, "update") and not hasattr(store, "delete")
        for stmt in (
            "UPDATE shift_log SET text = 'rewritten'",
            "DELETE FROM shift_log",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                async with writer(store.engine).begin() as conn:
                    await conn.execute(text(stmt))

    # committed entries are there after reopening (a new engine, as after a restart)
    async with ShiftLogStore(db_url) as again:
        assert (await again.get(first.id)).text == "Tàu T05 dừng ở ga Láng 3 phút"
        assert len((await again.page()).entries) == 4


async def test_migration_makes_exactly_the_mapped_table_and_runs_both_ways(db_url: str) -> None:
    case = Case(STREAM, metadata, ShiftLogStore, "s0001")
    engine = make_engine(db_url)
    try:
        await migrate(engine, STREAM)
        await migrate(engine, STREAM)  # a second start finds nothing to do
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff, case) == [], "migration and table disagree"
        await downgrade(engine, STREAM, "base")  # the table, its triggers (and function) go
        async with engine.connect() as conn:
            assert "shift_log" not in await conn.run_sync(_tables)
        await migrate(engine, STREAM)
    finally:
        await engine.dispose()
    async with ShiftLogStore(db_url) as store:  # and the triggers are back
        await store.append(op("again"))
        with pytest.raises(DBAPIError, match="append-only"):
            async with writer(store.engine).begin() as conn:
                await conn.execute(text("DELETE FROM shift_log"))
