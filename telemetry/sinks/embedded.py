"""The zero-setup history store: one SQLite file in WAL mode, both a sink and a reader.

One generic table, so a new measurement needs no code and no migration::

    points(measurement TEXT, entity TEXT, ts_ms INTEGER, fields BLOB)  -- fields: JSON (orjson)
    index (measurement, entity, ts_ms)   -- recent() per train / substation
    index (ts_ms)                        -- retention purge

Extra tags are stored in the JSON next to the fields (a field wins on a name clash).
Writes are batched into one transaction per flush on a writer thread; ``recent()`` runs on a
reader thread with its own connection, which WAL lets read while the writer writes.
``synchronous=NORMAL``: a crash of the process loses nothing committed; a power cut may lose the
last flushes — acceptable for history, and the reason a busy store keeps up with ~10k points/s.

Retention compares ``ts_ms`` with the injected wall clock, not with the newest field time: one
message with a far-future timestamp must not purge everything.

Failures are loud, never fatal to the live side: a store that cannot be opened (a file where
its folder should be, no permission) or whose inserts fail (a full disk) sets :attr:`problem`
— ``/healthz`` reports history down and an alarm names it — and ``recent()`` raises
:class:`HistoryUnavailable` (the API answers 503) instead of answering with rows that are
silently missing. Opening is retried every ``reopen_s``; points wait in the bounded memory
buffer meanwhile (beyond it they are counted dropped). The first good insert clears it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import orjson
import structlog

from line.clock import Clock, wall_ms
from telemetry.config import HistorySettings
from telemetry.metrics import TelemetryMetrics
from telemetry.sinks.base import HistoryUnavailable, Point, SinkStats

log = structlog.get_logger(__name__)

T = TypeVar("T")

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    measurement TEXT NOT NULL,
    entity TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    fields BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS points_series ON points (measurement, entity, ts_ms);
CREATE INDEX IF NOT EXISTS points_ts ON points (ts_ms);
"""
#: rows deleted per purge transaction, so a large purge does not hold the write lock for long
_PURGE_CHUNK = 50_000
#: memory bound, in batches, for when SQLite is not keeping up (or run() is not running)
_MEMORY_BATCHES = 100
_BUSY_TIMEOUT_MS = 5_000


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)  # explicit BEGIN/COMMIT below
    conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    return conn


class EmbeddedStore:
    """SQLite history: a :class:`~telemetry.sinks.base.Sink` and a ``HistoryReader``.

    ``settings.sample_every_s > 0`` keeps at most one point per entity per that period for the
    measurements in ``thinned`` (trains by default; events are never thinned). Keyword arguments
    are tuning and test seams; the defaults suit production.
    """

    def __init__(
        self,
        settings: HistorySettings,
        metrics: TelemetryMetrics,
        *,
        clock: Clock = wall_ms,
        flush_interval_s: float = 0.5,
        batch_size: int = 5_000,
        purge_every_s: float = 60.0,
        thinned: frozenset[str] = frozenset({"train"}),
        name: str = "embedded",
        reopen_s: float = 5.0,
    ) -> None:
        self.name = name
        self.problem: str | None = None  # why history is not being stored now (None: it is)
        self._reopen_s = reopen_s
        self._next_open = 0.0  # monotonic time of the next attempt to open the store
        self.path = settings.embedded_path
        self._retention_ms = int(settings.retention_h * 3_600_000)
        self._sample_ms = int(settings.sample_every_s * 1000)
        self._thinned = thinned
        self._last_kept: dict[tuple[str, str], int] = {}
        self._clock = clock
        self._flush_interval_s = flush_interval_s
        self._batch_size = batch_size
        self._purge_every_s = purge_every_s
        self._memory_max = _MEMORY_BATCHES * batch_size
        self._buf: list[Point] = []
        self._full = asyncio.Event()
        self._written = 0
        self._dropped = 0
        self._dropped_lock = threading.Lock()  # counted from the loop and the writer
        self._c_written = metrics.sink_points.labels(name, "written")
        self._c_dropped = metrics.sink_points.labels(name, "dropped")
        self._g_memory = metrics.sink_buffered.labels(name, "memory")
        self._writer: ThreadPoolExecutor | None = None
        self._reader: ThreadPoolExecutor | None = None
        # each connection lives on (and is only touched by) its own thread
        self._wconn: sqlite3.Connection | None = None
        self._rconn: sqlite3.Connection | None = None

    # --- hot path -------------------------------------------------------------------------

    def write(self, points: Sequence[Point]) -> None:
        """Append to the memory buffer (call from the event loop's thread)."""
        if self._sample_ms:
            points = list(self._thin(points))
        buf = self._buf
        if len(buf) + len(points) > self._memory_max:
            room = max(0, self._memory_max - len(buf))
            self._count_dropped(len(points) - room)
            points = points[:room]
        buf.extend(points)
        if len(buf) >= self._batch_size:
            self._full.set()

    def _thin(self, points: Iterable[Point]) -> Iterable[Point]:
        last = self._last_kept
        for p in points:
            if p.measurement in self._thinned:
                key = (p.measurement, p.entity)
                prev = last.get(key)
                # a clock that went backwards (emulator restart) keeps the point
                if prev is not None and 0 <= p.ts_ms - prev < self._sample_ms:
                    continue
                last[key] = p.ts_ms
            yield p

    def stats(self) -> SinkStats:
        return SinkStats(
            written=self._written, buffered=len(self._buf), spooled=0, dropped=self._dropped
        )

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"sink-{self.name}-w")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix=f"sink-{self.name}-r")
        await self._try_open()  # a store that cannot be opened must not stop the live side
        return self

    async def _try_open(self) -> None:
        assert self._writer is not None
        self._next_open = time.monotonic() + self._reopen_s
        try:
            await self._on(self._writer, self._open_writer)
        except (OSError, sqlite3.Error) as exc:
            self._fail(f"cannot open {self.path}: {exc}")

    def _fail(self, why: str) -> None:
        if self.problem is None:  # once per outage at ERROR; /healthz and an alarm show it
            log.error("history store failing", path=str(self.path), error=why)
        self.problem = why

    def _ok(self) -> None:
        if self.problem is not None:
            log.info("history store working again", path=str(self.path))
        self.problem = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.flush()
        finally:
            await self._close_all()

    async def run(self) -> None:
        """Insert every ``flush_interval_s`` (or at ``batch_size``); purge old rows periodically."""
        next_purge = time.monotonic()
        while True:
            try:
                async with asyncio.timeout(self._flush_interval_s):
                    await self._full.wait()
            except TimeoutError:
                pass
            await self.flush()
            if time.monotonic() >= next_purge:
                await self.purge()
                next_purge = time.monotonic() + self._purge_every_s

    async def flush(self) -> None:
        """Insert what is in memory now (``recent()`` sees it afterwards).

        Also with an empty buffer the call goes through the writer thread, so it returns only
        after a batch another flush took (and is still inserting) is in too.
        """
        self._full.clear()
        assert self._writer is not None
        if self._wconn is None:
            if time.monotonic() >= self._next_open:
                await self._try_open()
            if self._wconn is None:  # still not open: points wait in memory (bounded)
                self._g_memory.set(len(self._buf))
                return
        batch, self._buf = self._buf, []
        await self._on(self._writer, self._insert_some, batch)
        self._g_memory.set(len(self._buf))

    async def purge(self, now_ms: int | None = None) -> int:
        """Delete rows older than the retention; returns how many."""
        cutoff = (self._clock() if now_ms is None else now_ms) - self._retention_ms
        assert self._writer is not None
        if self._wconn is None:
            return 0
        return await self._on(self._writer, self._purge, cutoff)

    # --- reading --------------------------------------------------------------------------

    async def recent(
        self,
        measurement: str,
        entity: str,
        since_ms: int,
        until_ms: int | None = None,
        fields: Sequence[str] | None = None,
        limit: int = 10_000,
    ) -> list[dict[str, object]]:
        """Rows ``{"ts_ms": …, field: value, …}`` ascending, ``since_ms <= ts_ms <= until_ms``.

        When more than ``limit`` rows match, the newest ``limit``. With ``fields``, only those
        keys (a row lacking one simply has no such key).
        """
        if self._reader is None:
            raise RuntimeError("EmbeddedStore is not open: use `async with store:`")
        if self.problem is not None:
            raise HistoryUnavailable(self.problem)
        try:
            return await self._on(
                self._reader, self._query, measurement, entity, since_ms, until_ms, fields, limit
            )
        except sqlite3.Error as exc:
            raise HistoryUnavailable(f"history store read failed: {exc}") from exc

    # --- writer thread --------------------------------------------------------------------

    def _open_writer(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(self.path)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            log.warning("SQLite refused WAL mode", path=str(self.path), mode=mode)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._wconn = conn

    def _insert_some(self, batch: list[Point]) -> None:
        if batch:
            self._insert(batch)

    def _insert(self, batch: list[Point]) -> None:
        assert self._wconn is not None
        dumps = orjson.dumps
        rows = [
            (
                p.measurement,
                p.entity,
                p.ts_ms,
                dumps({**p.tags, **p.fields} if p.tags else _as_dict(p.fields)),
            )
            for p in batch
        ]
        conn = self._wconn
        try:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO points VALUES (?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            self._count_dropped(len(rows))
            self._fail(f"insert failed ({len(rows)} points lost): {exc}")
            return
        self._ok()
        self._written += len(rows)
        self._c_written.inc(len(rows))

    def _purge(self, cutoff_ms: int) -> int:
        assert self._wconn is not None
        total = 0
        while True:
            cur = self._wconn.execute(
                "DELETE FROM points WHERE rowid IN "
                "(SELECT rowid FROM points WHERE ts_ms < ? LIMIT ?)",
                (cutoff_ms, _PURGE_CHUNK),
            )
            total += cur.rowcount
            if cur.rowcount < _PURGE_CHUNK:
                break
        if total:
            log.info("history purged", rows=total, older_than_ms=cutoff_ms)
        return total

    # --- reader thread --------------------------------------------------------------------

    def _query(
        self,
        measurement: str,
        entity: str,
        since_ms: int,
        until_ms: int | None,
        fields: Sequence[str] | None,
        limit: int,
    ) -> list[dict[str, object]]:
        if self._rconn is None:
            self._rconn = _connect(self.path)
        sql = "SELECT ts_ms, fields FROM points WHERE measurement = ? AND entity = ? AND ts_ms >= ?"
        args: list[object] = [measurement, entity, since_ms]
        if until_ms is not None:
            sql += " AND ts_ms <= ?"
            args.append(until_ms)
        sql += " ORDER BY ts_ms DESC, rowid DESC LIMIT ?"
        args.append(limit)
        rows = self._rconn.execute(sql, args).fetchall()
        rows.reverse()
        loads = orjson.loads
        out: list[dict[str, object]] = []
        for ts, blob in rows:
            values: dict[str, object] = loads(blob)
            if fields is not None:
                values = {f: values[f] for f in fields if f in values}
            out.append({"ts_ms": ts, **values})
        return out

    # --- helpers --------------------------------------------------------------------------

    def _count_dropped(self, n: int) -> None:
        with self._dropped_lock:
            self._dropped += n
        self._c_dropped.inc(n)

    @staticmethod
    async def _on(executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on ``executor``'s thread, shielded so a cancelled caller does not drop a
        batch half-way; the next job (``__aexit__``'s flush) queues behind it."""
        loop = asyncio.get_running_loop()
        return await asyncio.shield(loop.run_in_executor(executor, fn, *args))

    async def _close_all(self) -> None:
        def close_writer() -> None:
            if self._wconn is not None:
                self._wconn.close()
                self._wconn = None

        def close_reader() -> None:
            if self._rconn is not None:
                self._rconn.close()
                self._rconn = None

        writer, reader = self._writer, self._reader
        self._writer = self._reader = None
        try:
            if writer is not None:
                try:
                    await self._on(writer, close_writer)
                finally:
                    writer.shutdown(wait=True)
        finally:
            if reader is not None:
                try:
                    await self._on(reader, close_reader)
                finally:
                    reader.shutdown(wait=True)


def _as_dict(fields: Any) -> dict[str, Any]:
    return fields if type(fields) is dict else dict(fields)
