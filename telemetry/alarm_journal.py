"""The alarm journal: a durable, time-indexed history of the alarm book, for replay.

The operating record (``services/ops_record.py``) keeps only the alarm book *now* (one row,
overwritten every second); replaying 07:42 needs every alarm as it was at 07:42, with its acks,
shelves and comments. Why a table of its own and not points in the history store:

- it lives in the database of ``db.url`` (SQLite or PostgreSQL) beside the crew record and the
  shift log it is read with, durable as they are (the embedded history store syncs NORMAL and
  is purged after ``history.retention_h``; InfluxDB cannot be read back from here);
- an alarm's state is a whole document (comments, journal), not a few numeric fields.

One append-only table, ``alarm_journal(seq, ts_ms, alarm_id, body JSON)``, with its own
Alembic stream (``telemetry/migrations``, version table ``alarm_journal_alembic_version``):

- an **event row** (``alarm_id`` set) is the alarm's whole state after a change an operator can
  see (:meth:`telemetry.alarms.Alarm.to_dict`), stamped with the time of that change;
- a **keyframe row** (``alarm_id`` NULL) is the whole open set (``{"open": [alarm, …]}``),
  written at start-up and then at most every ``keyframe_s`` while alarms change.

The alarms open at ``T`` are the latest keyframe at or before ``T`` with every event row
written after it (``seq`` greater) and stamped at or before ``T`` applied in order, those not
NORMAL kept. The keyframe bounds a seek to one indexed lookup plus at most ``keyframe_s`` of
events, whatever the length of the history. Pending events are flushed *before* a keyframe is
taken, in the same transaction, so a keyframe never lags an event row written before it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Self

import structlog
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, Table, func, select

from line.clock import Clock
from storage.engine import writer
from storage.table_store import TableStore
from telemetry.alarms import Alarm
from telemetry.migrations import STREAM

log = structlog.get_logger(__name__)

metadata = MetaData()

alarm_journal = Table(
    "alarm_journal",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("ts_ms", BigInteger, nullable=False),
    Column("alarm_id", Integer, nullable=True),  # NULL: a keyframe
    Column("body", JSON, nullable=False),
    Index("alarm_journal_ts", "ts_ms"),
    Index("alarm_journal_alarm", "alarm_id", "ts_ms"),
)

#: at most this many buffered changes (a flood while the database is down); beyond, the
#: oldest are dropped and counted — the next keyframe makes the open set right again
MAX_PENDING = 20_000


class AlarmJournalStore(TableStore):
    """``async with AlarmJournalStore(url) as store``: append rows, read the open set at a time."""

    stream = STREAM
    name = "alarm journal"

    async def append(
        self, events: list[tuple[int, dict[str, Any]]], keyframe: tuple[int, list[Any]] | None
    ) -> None:
        """Event rows ``(ts_ms, alarm dict)``, then the keyframe ``(ts_ms, open alarms)``, in
        one transaction."""
        rows: list[dict[str, Any]] = [
            {"ts_ms": ts, "alarm_id": int(body["id"]), "body": body} for ts, body in events
        ]
        async with writer(self.engine).begin() as conn:
            if rows:
                await conn.execute(alarm_journal.insert(), rows)
            if keyframe is not None:
                ts, open_ = keyframe
                await conn.execute(
                    alarm_journal.insert(),
                    [{"ts_ms": ts, "alarm_id": None, "body": {"open": open_}}],
                )

    async def open_at(self, ts_ms: int) -> list[dict[str, Any]] | None:
        """The alarms open (not NORMAL, shelved included) at ``ts_ms``, as
        :meth:`Alarm.to_dict` made them; None when the journal does not reach back that far."""
        c = alarm_journal.c
        key = (
            select(c.seq, c.body)
            .where(c.alarm_id.is_(None), c.ts_ms <= ts_ms)
            .order_by(c.ts_ms.desc(), c.seq.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            frame = (await conn.execute(key)).first()
            if frame is None:
                return None
            events = (
                await conn.execute(
                    select(c.alarm_id, c.body)
                    .where(c.seq > frame.seq, c.alarm_id.is_not(None), c.ts_ms <= ts_ms)
                    .order_by(c.seq)
                )
            ).all()
        alarms: dict[int, dict[str, Any]] = {int(a["id"]): a for a in frame.body["open"]}
        for alarm_id, body in events:
            alarms[int(alarm_id)] = body
        return [a for a in alarms.values() if a.get("state") != "normal"]

    async def earliest_ms(self) -> int | None:
        """The first keyframe's time: replay of alarms reaches back to it."""
        c = alarm_journal.c
        q = select(func.min(c.ts_ms)).where(c.alarm_id.is_(None))
        async with self.engine.connect() as conn:
            value = (await conn.execute(q)).scalar_one_or_none()
        return None if value is None else int(value)


class AlarmJournalRecorder:
    """Writes the alarm book's changes to the journal: call :meth:`on_change` from the book's
    ``on_change`` (on the event loop), run :meth:`run`; writes a keyframe at start-up.

    ``open_alarms`` returns the open set (``AlarmBook.active(include_shelved=True)``) for the
    keyframes. ``clock`` stamps the rows: the *board's* clock (the field's when the board
    follows an emulator's), so alarms replay on the same time axis as the trains' history.
    """

    def __init__(
        self,
        store: AlarmJournalStore,
        open_alarms: Callable[[], list[Alarm]],
        *,
        clock: Clock,
        flush_s: float = 1.0,
        keyframe_s: float = 300.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.store = store
        self._open_alarms = open_alarms
        self._clock = clock
        self._flush_s = flush_s
        self._keyframe_ms = int(keyframe_s * 1000)
        self._timeout_s = timeout_s
        self._pending: list[tuple[int, dict[str, Any]]] = []
        self._changed_since_keyframe = False
        self._last_keyframe_ms: int | None = None
        self.dropped = 0
        self.error: str | None = None  # the last write failure, until a write succeeds

    def on_change(self, alarm: Alarm) -> None:
        """Queue the alarm's state after a change, stamped now."""
        self._pending.append((self._clock(), alarm.to_dict()))
        self._changed_since_keyframe = True
        if len(self._pending) > MAX_PENDING:
            del self._pending[0]
            self.dropped += 1

    async def __aenter__(self) -> Self:
        await self.store.__aenter__()
        try:
            await self.flush(keyframe=True)  # the open set as restored: replay starts here
        except BaseException:
            await self.store.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            with contextlib.suppress(Exception):  # logged in flush(); the store closes anyway
                await self.flush()
        finally:
            await self.store.__aexit__(None, None, None)

    async def run(self) -> None:
        """Flush every ``flush_s``; a keyframe when alarms changed and ``keyframe_s`` passed."""
        while True:
            await asyncio.sleep(self._flush_s)
            with contextlib.suppress(Exception):  # flush() logged it; the rows wait
                await self.flush()

    async def flush(self, *, keyframe: bool = False) -> None:
        now = self._clock()
        last = self._last_keyframe_ms
        due = (
            last is None
            # the clock went back (an emulator restarted earlier in its day, the board taking
            # up the field's clock): a keyframe on the new time axis, or nothing replays there
            or now < last
            or (self._changed_since_keyframe and now - last >= self._keyframe_ms)
        )
        frame = None
        if keyframe or due:
            frame = (now, [a.to_dict() for a in self._open_alarms()])
        if not self._pending and frame is None:
            return
        events, self._pending = self._pending, []
        try:
            async with asyncio.timeout(self._timeout_s):
                await self.store.append(events, frame)
        except Exception as exc:
            self._pending[:0] = events  # kept, in order, for the next try
            if self.error is None:
                log.error("alarm journal not written", error=repr(exc))
            self.error = repr(exc)
            raise
        if self.error is not None:
            log.info("alarm journal written again")
        self.error = None
        if frame is not None:
            self._last_keyframe_ms = now
            self._changed_since_keyframe = False
