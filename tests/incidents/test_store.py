"""The incident store on both databases: SQLite and a private PostgreSQL cluster.

Proves: an incident reads back with its window and notes; a closed incident takes no note and
cannot be closed twice; bad windows and empty texts are refused and nothing is stored; search
finds Vietnamese text in a title or a note whatever its case, filters by overlapping dates and
by status; what was committed survives the store being reopened; the stream goes down to
nothing and up again.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from incidents import (
    AlreadyClosed,
    IncidentNotFound,
    IncidentStore,
    InvalidIncident,
    InvalidWindow,
    Status,
)
from incidents.migrations import STREAM
from incidents.store import metadata
from storage.engine import make_engine
from storage.migrations import downgrade, migrate

H = 3_600_000
T0 = 1_780_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        self.now += 1000
        return self.now


async def test_create_note_close_search(db_url: str) -> None:
    async with IncidentStore(db_url, clock=Clock()) as store:
        a = await store.create(
            title="Tàu T05 dừng ở ga Láng", start_ms=T0, end_ms=T0 + H, author="dd01", alarm_id=7
        )
        b = await store.create(
            title="Mất điện SS2", start_ms=T0 + 48 * H, end_ms=T0 + 50 * H, author="dd02"
        )
        n = await store.add_note(a.id, author="dd01", text="Hành khách được chuyển sang tàu sau")
        got = await store.get(a.id)
        assert (got.title, got.start_ms, got.end_ms, got.status, got.alarm_id) == (
            "Tàu T05 dừng ở ga Láng",
            T0,
            T0 + H,
            Status.OPEN,
            7,
        )
        assert [x.text for x in got.notes] == ["Hành khách được chuyển sang tàu sau"]
        assert got.notes[0].id == n.id and got.notes[0].author == "dd01"

        closed = await store.close(a.id, author="dd03")
        assert closed.status is Status.CLOSED and closed.closed_by == "dd03"
        assert closed.closed_ms is not None and closed.closed_ms > closed.created_ms
        with pytest.raises(AlreadyClosed, match="closed"):
            await store.add_note(a.id, author="dd01", text="muộn")
        with pytest.raises(AlreadyClosed, match="already closed"):
            await store.close(a.id, author="dd01")
        with pytest.raises(IncidentNotFound):
            await store.get(999)
        with pytest.raises(IncidentNotFound):
            await store.add_note(999, author="dd01", text="x")

        ids = lambda found: [i.id for i in found]  # noqa: E731
        assert ids(await store.search()) == [b.id, a.id]
        assert ids(await store.search(q="LÁNG")) == [a.id]  # title, Vietnamese case-folded
        assert ids(await store.search(q="HÀNH KHÁCH")) == [a.id]  # a note
        assert ids(await store.search(q="ss2")) == [b.id]
        assert ids(await store.search(q="100%_")) == []  # LIKE wildcards are text
        assert ids(await store.search(since_ms=T0 + 30 * 60_000, until_ms=T0 + 2 * H)) == [a.id]
        assert ids(await store.search(since_ms=T0 + 49 * H)) == [b.id]
        assert ids(await store.search(until_ms=T0)) == []  # a window ending exactly there
        assert ids(await store.search(status=Status.OPEN)) == [b.id]

    async with IncidentStore(db_url, clock=Clock()) as store:  # reopened: all there
        assert [x.text for x in (await store.get(a.id)).notes] == [n.text]


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (T0, T0, "end after it starts"),
        (T0 + H, T0, "end after it starts"),
        (T0, T0 + 7 * 24 * H + 1, "at most 7 days"),
        (math.nan, T0, "finite"),
        (T0, math.inf, "finite"),
        (-1.0, T0, "out of range"),
    ],
)
async def test_bad_windows_store_nothing(
    tmp_path: Path, start: float, end: float, says: str
) -> None:
    async with IncidentStore(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}") as store:
        with pytest.raises(InvalidWindow, match=says):
            await store.create(title="x", start_ms=start, end_ms=end, author="dd01")
        with pytest.raises(InvalidIncident, match="title is empty"):
            await store.create(title="  ", start_ms=T0, end_ms=T0 + H, author="dd01")
        with pytest.raises(InvalidIncident, match="at most 200"):
            await store.create(title="x" * 201, start_ms=T0, end_ms=T0 + H, author="dd01")
        assert await store.search() == []


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(
        conn,
        opts={
            "version_table": STREAM.version_table,
            "compare_type": True,
            "include_name": lambda name, type_, _p: type_ != "table" or name in metadata.tables,
        },
    )
    return list(compare_metadata(ctx, metadata))


async def test_stream_makes_the_mapped_tables_down_and_up(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate(engine, STREAM)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"incidents", "incident_notes", "incidents_alembic_version"} <= names
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == [], "migration and tables disagree"
        await downgrade(engine, STREAM, "base")
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not {"incidents", "incident_notes"} & names
        await migrate(engine, STREAM)
    finally:
        await engine.dispose()
