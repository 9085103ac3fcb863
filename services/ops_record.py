"""Today's operating record in the database: alarms (acks, shelves, comments, history), trips
run and lost, and the alarm id sequence — saved while serving, rebuilt at start-up.

A restart of ``serve`` must not forget today (trips run 21 → 1), drop an operator's
acknowledgement, or hand out an alarm id an earlier process used (the audit's
``alarm.ack alarm_id 6`` would then point at another alarm).

One key/value table, ``ops_record (name, version, saved_ms, body JSON)``, migrated by its own
Alembic stream (``services/migrations``) when the store opens: a change of what is saved bumps
``version`` inside one row, never the table's shape (an unknown version is ignored with a
warning, not misread). Rows:

- ``alarms``: open alarms, the latest history and the rate window (:meth:`AlarmBook.export`);
- ``trips``: today's trip ledger (:meth:`TripLedger.export`), applied when the live state
  reaches the same service day;
- ``alarm_sync``: how far the book has read the shared alarm action table, saved with the book
  in one snapshot (:meth:`services.alarm_actions.AlarmActions.export`): the table is the truth,
  the snapshot only says which of its rows the saved book already holds;
- ``alarm_ids``: the highest alarm id reserved. Ids are reserved in blocks *before* they are
  used, so even after ``kill -9`` (with the last second of changes unsaved) no id is reused.

Saving runs every ``save_s`` when something changed, after every operator action that asks
for it (:meth:`OpsRecorder.save_soon`) and once more on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol, Self

import structlog
from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, String, Table, select

from line.clock import Clock
from services.migrations import STREAM
from storage.engine import writer
from storage.table_store import TableStore
from telemetry.alarms import AlarmBook
from telemetry.state import LineState

log = structlog.get_logger(__name__)

metadata = MetaData()

ops_record = Table(
    "ops_record",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("saved_ms", BigInteger, nullable=False),
    Column("body", JSON, nullable=False),
)

VERSION = 1
ID_BLOCK = 1000  # alarm ids reserved ahead of use
_REFILL_AT = ID_BLOCK // 2  # reserve the next block when fewer than this are left


class OpsRecordStore(TableStore):
    """``async with OpsRecordStore(url) as store``: load and save named JSON rows."""

    stream = STREAM
    name = "operating record"

    async def load(self) -> dict[str, Any]:
        """Every row of the current version, by name."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(ops_record))).all()
        out: dict[str, Any] = {}
        for r in rows:
            if r.version != VERSION:
                log.warning("operating record row of another version ignored", row=r.name)
                continue
            out[r.name] = r.body
        return out

    async def save(self, rows: dict[str, Any], now_ms: int) -> None:
        """Upsert ``rows`` in one transaction (delete and insert: portable to both databases)."""
        async with writer(self.engine).begin() as conn:
            await conn.execute(ops_record.delete().where(ops_record.c.name.in_(list(rows))))
            await conn.execute(
                ops_record.insert(),
                [
                    {"name": k, "version": VERSION, "saved_ms": now_ms, "body": v}
                    for k, v in rows.items()
                ],
            )


class SyncRecord(Protocol):
    """A part whose position is saved with the alarm book (the shared alarm actions)."""

    revision: int

    def export(self) -> dict[str, Any]: ...

    def restore(self, saved: dict[str, Any] | None) -> None: ...


class OpsRecorder:
    """Restores the live state's record at start-up and keeps it saved while serving."""

    def __init__(
        self,
        store: OpsRecordStore,
        state: LineState,
        alarms: AlarmBook,
        *,
        clock: Clock,
        save_s: float = 1.0,
        timeout_s: float = 5.0,
        sync: SyncRecord | None = None,
    ) -> None:
        self._store = store
        self._state = state
        self._alarms = alarms
        self._clock = clock
        self._save_s = save_s
        self._timeout_s = timeout_s
        self._sync = sync
        self._reserved = 0  # highest alarm id reserved in the database
        self._saved_rev: tuple[int, int, int] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one save at a time (the loop, an operator's action)
        self.error: str | None = None  # the last save failure, until a save succeeds
        self.restored: dict[str, int] = {}

    async def __aenter__(self) -> Self:
        await self._store.__aenter__()
        try:
            await self._restore()
        except BaseException:
            await self._store.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            with contextlib.suppress(Exception):  # logged in save(); the store closes anyway
                await self.save()
        finally:
            await self._store.__aexit__(None, None, None)

    async def _restore(self) -> None:
        async with asyncio.timeout(self._timeout_s):
            saved = await self._store.load()
        if "alarms" in saved:
            self._alarms.restore(saved["alarms"])
            self._state.sync_from_alarms()
            if self._sync is not None:
                self._sync.restore(saved.get("alarm_sync"))
        reserved = int((saved.get("alarm_ids") or {}).get("reserved", 0))
        self._alarms.skip_ids_to(reserved + 1)
        self._state.restore_trips(saved.get("trips"))
        self.restored = {
            "open_alarms": len(self._alarms.active(include_shelved=True)),
            "next_alarm_id": self._alarms.next_id,
            "trips_run": len((saved.get("trips") or {}).get("run", {})),
        }
        # reserve the first block now, before any alarm can be raised
        await self.save()
        log.info("operating record restored", **self.restored)

    def save_soon(self) -> None:
        """Ask for a save now (an operator acknowledged, shelved or commented)."""
        self._wake.set()

    async def run(self) -> None:
        """Save every ``save_s`` when something changed (or at once when asked); until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._save_s):
                    await self._wake.wait()
            self._wake.clear()
            with contextlib.suppress(Exception):  # save() logged it and keeps the error
                await self.save()

    async def save(self) -> None:
        """Save what changed since the last save, and reserve alarm ids ahead of use."""
        async with self._lock:
            await self._save()

    async def _save(self) -> None:
        sync_rev = self._sync.revision if self._sync is not None else 0
        rev = (self._alarms.revision, self._state.trips.revision, sync_rev)
        need_ids = self._alarms.next_id + _REFILL_AT > self._reserved
        if rev == self._saved_rev and not need_ids:
            return
        rows: dict[str, Any] = {}
        reserved = self._reserved
        if need_ids:
            reserved = self._alarms.next_id + ID_BLOCK
            rows["alarm_ids"] = {"reserved": reserved}
        if rev != self._saved_rev:
            rows["alarms"] = self._alarms.export()
            if self._sync is not None:
                rows["alarm_sync"] = self._sync.export()
            trips = self._state.trips.export()
            if trips is not None:
                rows["trips"] = trips
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._store.save(rows, self._clock())
        except Exception as exc:
            if self.error is None:  # once per outage at ERROR; the health check shows it
                log.error("operating record not saved", error=repr(exc))
            self.error = repr(exc) or type(exc).__name__
            raise
        if self.error is not None:
            log.info("operating record saved again")
        self.error = None
        self._reserved = reserved
        self._saved_rev = rev
