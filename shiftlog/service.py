"""The shift log as the running system uses it: people's entries written at once, the system's
queued from synchronous hooks and written by :meth:`ShiftLog.run`.

The hooks that report what happened (an alarm raised, a shelve) run inside the alarm book's
synchronous code and must not wait for the database nor fail because of it, so they only
enqueue (:meth:`ShiftLog.post`); :meth:`ShiftLog.run` writes the queue in order and, when the
database is away, keeps the entry and retries rather than dropping it. The queue is bounded:
when a flood fills it the overflow is counted and logged, never allowed to stall the ingest.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self

import structlog

from line.clock import Clock, wall_ms
from shiftlog.model import LogEntry, NewEntry
from shiftlog.store import InvalidEntry, ShiftLogStore

log = structlog.get_logger(__name__)


#: How long a stop waits for queued system entries to be written.
FLUSH_S = 5.0


class ShiftLog:
    """``async with ShiftLog(url)`` opens (and migrates) the store; run :meth:`run` beside it."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock = wall_ms,
        queue_max: int = 10_000,
        retry_s: float = 1.0,
    ) -> None:
        self.store = ShiftLogStore(url, clock=clock)
        self._queue: asyncio.Queue[NewEntry] | None = None
        self._pending: list[NewEntry] = []  # posted before the loop's queue exists
        self._queue_max = queue_max
        self._retry_s = retry_s
        self.dropped = 0  # system entries lost to a full queue

    async def __aenter__(self) -> Self:
        await self.store.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._write_pending()
        finally:
            await self.store.__aexit__(*exc)

    async def _write_pending(self) -> None:
        """At shutdown: write the system entries still queued (a stop must not lose them),
        within :data:`FLUSH_S`; what cannot be written is named in the log."""
        try:
            async with asyncio.timeout(FLUSH_S):
                while self._pending:
                    await self.store.append(self._pending[0])
                    self._pending.pop(0)
        except InvalidEntry:
            log.exception("system shift log entry refused")
        except Exception:  # the database is away or slow: say what is lost
            if self._pending:
                log.error(
                    "shift log entries not written at shutdown",
                    lost=len(self._pending),
                    first=self._pending[0].texts()[0][:200],
                )

    def post(self, entry: NewEntry) -> None:
        """Queue a system entry (never blocks, never raises)."""
        if self._queue is None:
            if len(self._pending) < self._queue_max:
                self._pending.append(entry)
            else:
                self._drop(entry)
            return
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            self._drop(entry)

    def _drop(self, entry: NewEntry) -> None:
        self.dropped += 1
        log.error("shift log queue full: entry not written", text=entry.texts()[0][:200])

    async def write(self, entry: NewEntry) -> LogEntry:
        """A person's entry, stored before this returns."""
        return await self.store.append(entry)

    async def run(self) -> None:
        """Write queued system entries until cancelled."""
        queue: asyncio.Queue[NewEntry] = asyncio.Queue(maxsize=self._queue_max)
        for e in self._pending:
            queue.put_nowait(e)
        self._pending.clear()
        self._queue = queue
        failing = False
        entry: NewEntry | None = None
        try:
            while True:
                entry = await queue.get()
                while True:
                    try:
                        await self.store.append(entry)
                        break
                    except InvalidEntry:
                        log.exception("system shift log entry refused")
                        break
                    except Exception:  # the database is away: keep the entry, try again
                        if not failing:
                            log.exception("shift log write failed; retrying")
                            failing = True
                        await asyncio.sleep(self._retry_s)
                entry = None  # written (or refused): nothing in hand
                if failing:
                    log.info("shift log writes again")
                    failing = False
        finally:
            self._queue = None
            if entry is not None:  # stopped while writing it: it may not be stored yet
                self._pending.append(entry)
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    self._pending.append(queue.get_nowait())
