"""History to InfluxDB (or any server of the InfluxDB v2 write API, e.g. VictoriaMetrics).

Why not influxdb-client's batching write API: it drops a batch for good after its retries and
its ``close()`` may not flush (PITFALLS.md). So the batching, retrying and spooling are ours and
the client only does one blocking write per batch (``SYNCHRONOUS``), on one worker thread that
belongs to the sink. That thread also owns the disk :class:`~telemetry.sinks.spool.Spool`, so
every write, spool append and replay is serialised and no lock is needed.

Flow: ``write`` appends to a list. ``run`` wakes every ``flush_interval_s`` (or at
``batch_size``), encodes line protocol (ms precision) and posts it. While the spool is empty a
batch goes straight to the server; if the server cannot be reached (connection error, timeout,
5xx, 429, 401/403/404) the batch is appended to the spool and every later batch follows it
there, so points reach the server oldest-first. The spool is replayed with exponential backoff
(0.1 s doubling up to ``retry_max_s``). A batch the server rejects as malformed (400/413/422) is
halved until the offending lines are isolated; those are dropped, logged and counted, the rest
is written. On exit everything in memory is posted, or spooled when the server is down, and a
new sink on the same ``spool_dir`` replays it.
"""

from __future__ import annotations

import asyncio
import functools
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self, TypeVar

import structlog
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from telemetry.config import InfluxSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.sinks.base import Point, SinkStats
from telemetry.sinks.spool import Spool

log = structlog.get_logger(__name__)

T = TypeVar("T")

#: tag that carries ``Point.entity``, per measurement; others use ``entity``
DEFAULT_TAG_KEYS: Mapping[str, str] = {
    "train": "train",
    "train_event": "train",
    "substation": "device",
    "station_flow": "station",
    "flow": "station",
}
#: statuses meaning "this batch is wrong", not "the server is unwell": retrying cannot help
_REJECTED = frozenset({400, 413, 422})
#: batches replayed from the spool per loop turn, so live batches are not held up for long
_REPLAY_BATCHES = 10
#: memory bound, in batches, for when the flush loop is not keeping up (or not running)
_MEMORY_BATCHES = 100
_BACKOFF_MIN_S = 0.1

_MEAS_ESC = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n", "\r": r"\r"})
_KEY_ESC = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n", "\r": r"\r"})
# a raw newline would end the line (and split a spool line): written as backslash-n
_STR_ESC = str.maketrans({'"': r"\"", "\\": r"\\", "\n": r"\n", "\r": r"\r"})


def encode_line(p: Point, tag_key: str) -> bytes | None:
    """One point as a line of InfluxDB line protocol with a ms timestamp.

    Non-finite floats are left out (line protocol has no NaN); ``None`` when no field is left.
    Integers are written as integers (``1i``): keep a field's type stable across points, or
    InfluxDB rejects the later ones as a type conflict.
    """
    fields: list[str] = []
    for k, v in p.fields.items():
        t = type(v)  # exact-type checks first: this runs ~10k times a second
        if t is float:
            if not math.isfinite(v):  # type: ignore[arg-type]
                continue
            enc = repr(v)
        elif t is int:
            enc = f"{v}i"
        elif t is str:
            enc = f'"{v.translate(_STR_ESC)}"'  # type: ignore[union-attr]
        elif isinstance(v, bool):
            enc = "true" if v else "false"
        elif isinstance(v, int):
            enc = f"{int(v)}i"
        elif isinstance(v, float):
            if not math.isfinite(v):
                continue
            enc = repr(float(v))
        else:
            enc = f'"{str(v).translate(_STR_ESC)}"'
        fields.append(f"{_key(k)}={enc}")
    if not fields:
        return None
    if p.tags:
        tags = dict(p.tags)
        tags[tag_key] = p.entity
        tag_str = "".join(
            f",{_key(k)}={_key(v)}"
            for k, v in sorted(tags.items())  # sorted tags are InfluxDB's fast path
            if k and v  # line protocol has no empty tag keys or values
        )
    else:
        tag_str = f",{_key(tag_key)}={_key(p.entity)}" if p.entity else ""
    return f"{_measurement(p.measurement)}{tag_str} {','.join(fields)} {p.ts_ms}".encode()


# Keys, tag values and measurements repeat endlessly (T01…T13, pos_m, …): escape each once.
@functools.lru_cache(maxsize=4096)
def _key(k: str) -> str:
    return k.translate(_KEY_ESC)


@functools.lru_cache(maxsize=256)
def _measurement(m: str) -> str:
    return m.translate(_MEAS_ESC)


class _Unavailable(Exception):
    """The server did not take the batch, but might later."""


class _Rejected(Exception):
    """The server refused the batch as malformed: sending it again cannot help."""


class InfluxSink:
    """Sink writing line protocol to an InfluxDB v2 write endpoint, spooling to disk on outage.

    ``tag_key`` adds to or overrides :data:`DEFAULT_TAG_KEYS`. ``stats().spooled`` is what is on
    disk now; ``written`` and ``dropped`` are totals.
    """

    def __init__(
        self,
        settings: InfluxSettings,
        metrics: TelemetryMetrics,
        *,
        tag_key: Mapping[str, str] | None = None,
        name: str = "influx",
    ) -> None:
        if not settings.url:
            raise ValueError("InfluxSink needs influx.url (METRO_INFLUX_URL)")
        self.name = name
        self._s = settings
        self._tag_key = {**DEFAULT_TAG_KEYS, **(tag_key or {})}
        self._buf: list[Point] = []
        self._full = asyncio.Event()
        self._memory_max = _MEMORY_BATCHES * settings.batch_size
        self._spool = Spool(settings.spool_dir, settings.spool_max_points)
        self._written = 0
        self._dropped = 0
        self._dropped_lock = threading.Lock()  # counted from the loop and the worker
        self._c_written = metrics.sink_points.labels(name, "written")
        self._c_spooled = metrics.sink_points.labels(name, "spooled")
        self._c_dropped = metrics.sink_points.labels(name, "dropped")
        self._g_memory = metrics.sink_buffered.labels(name, "memory")
        self._g_spool = metrics.sink_buffered.labels(name, "spool")
        self._executor: ThreadPoolExecutor | None = None
        self._client: InfluxDBClient | None = None
        self._write_api: Any = None
        self._retry_at = 0.0  # monotonic time of the next replay attempt
        self._backoff_s = 0.0
        self._outage = False  # for logging an outage once, at ERROR
        self._outage_why = ""

    # --- hot path -------------------------------------------------------------------------

    def write(self, points: Sequence[Point]) -> None:
        """Append to the memory buffer (call from the event loop's thread)."""
        buf = self._buf
        if len(buf) + len(points) > self._memory_max:
            # the flush loop is not keeping up: keep what is queued, count the newest as lost
            room = max(0, self._memory_max - len(buf))
            self._count_dropped(len(points) - room)
            points = points[:room]
        buf.extend(points)
        if len(buf) >= self._s.batch_size:
            self._full.set()

    def stats(self) -> SinkStats:
        return SinkStats(
            written=self._written,
            buffered=len(self._buf),
            spooled=self._spool.points,
            dropped=self._dropped,
        )

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"sink-{self.name}")
        try:
            assert self._s.url is not None
            self._client = InfluxDBClient(
                url=self._s.url,
                token=self._s.token.get_secret_value(),
                org=self._s.org,
                timeout=int(self._s.timeout_s * 1000),
            )
            self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
            await self._in_worker(self._spool.open)
        except BaseException:
            await self._close_all()
            raise
        if self._spool.points:
            log.info("influx spool has points from a previous run", points=self._spool.points)
        self._update_gauges()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # queued behind any job a cancelled run() left running on the worker
            await self._in_worker(self._final_flush, self._take())
        finally:
            await self._close_all()
            self._update_gauges()

    async def run(self) -> None:
        """Flush every ``flush_interval_s`` or at ``batch_size``; replay the spool with backoff."""
        while True:
            wait_s = self._s.flush_interval_s
            if self._spool.points:
                wait_s = min(wait_s, max(0.0, self._retry_at - time.monotonic()))
            try:
                async with asyncio.timeout(wait_s):
                    await self._full.wait()
            except TimeoutError:
                pass
            await self.flush()
            if self._spool.points and time.monotonic() >= self._retry_at:
                await self._in_worker(self._replay, _REPLAY_BATCHES)
            self._update_gauges()

    async def flush(self) -> None:
        """Ship what is in memory now: to the server, or to the spool when it is down.

        Returns once every point taken before the call is written or spooled: the job goes
        through the one worker thread even when the memory buffer is empty, so it waits for a
        batch another flush took and is still shipping (its points are in neither count).
        """
        self._full.clear()
        await self._in_worker(self._ship, self._take())
        self._update_gauges()

    # --- worker thread --------------------------------------------------------------------

    def _ship(self, points: Sequence[Point]) -> None:
        lines = self._encode(points)
        if not lines:
            return
        if self._spool.points:
            self._to_spool(lines)  # keep order: older points are still waiting on disk
            return
        rest = self._post_all(lines)
        if rest:
            self._to_spool(rest)
            self._schedule_retry()

    def _replay(self, max_batches: int) -> None:
        for _ in range(max_batches):
            lines = self._spool.peek(self._s.batch_size)
            if not lines:
                break
            rest = self._post_all(lines)
            self._spool.commit(len(lines) - len(rest))
            if rest:
                self._schedule_retry()
                return
        if not self._spool.points:
            self._backoff_s = 0.0

    def _final_flush(self, points: Sequence[Point]) -> None:
        self._ship(points)
        # one bounded attempt to leave nothing behind when the server is back
        deadline = time.monotonic() + self._s.timeout_s
        while self._spool.points and time.monotonic() < deadline:
            before = self._spool.points
            self._replay(1)
            if self._spool.points >= before:
                break

    def _encode(self, points: Sequence[Point]) -> list[bytes]:
        out: list[bytes] = []
        bad = 0
        keys = self._tag_key
        for p in points:
            line = encode_line(p, keys.get(p.measurement, "entity"))
            if line is None:
                bad += 1
            else:
                out.append(line)
        if bad:
            log.warning("points without a writable field dropped", points=bad)
            self._count_dropped(bad)
        return out

    def _post_all(self, lines: list[bytes]) -> list[bytes]:
        """Post ``lines`` in batches; returns the suffix not written because the server is down.

        A rejected batch is halved until the bad lines are alone; they are dropped and counted.
        """
        size = self._s.batch_size
        work = deque(lines[i : i + size] for i in range(0, len(lines), size))
        while work:
            chunk = work.popleft()
            try:
                self._post(chunk)
            except _Rejected as e:
                if len(chunk) == 1:
                    log.warning(
                        "point rejected by the server, dropped", line=chunk[0][:200], why=str(e)
                    )
                    self._count_dropped(1)
                else:
                    half = len(chunk) // 2
                    work.appendleft(chunk[half:])
                    work.appendleft(chunk[:half])
                continue
            except _Unavailable as e:
                self._note_outage(str(e))
                return [line for c in (chunk, *work) for line in c]
            self._written += len(chunk)
            self._c_written.inc(len(chunk))
            self._note_recovered()
        return []

    def _post(self, chunk: list[bytes]) -> None:
        try:
            self._write_api.write(
                self._s.bucket, self._s.org, b"\n".join(chunk), write_precision=WritePrecision.MS
            )
        except ApiException as e:
            status = int(e.status or 0)
            if status in _REJECTED:
                raise _Rejected(f"HTTP {status}: {e.message}") from e
            raise _Unavailable(f"HTTP {status}: {e.message}") from e
        except Exception as e:  # urllib3 connection errors, timeouts, …
            raise _Unavailable(f"{type(e).__name__}: {e}") from e

    def _to_spool(self, lines: list[bytes]) -> None:
        try:
            lost = self._spool.append(lines)
        except OSError:
            log.exception("cannot write the influx spool: points lost", points=len(lines))
            self._count_dropped(len(lines))
            return
        self._c_spooled.inc(len(lines))
        if lost:
            log.warning(
                "influx spool full: oldest points dropped",
                points=lost,
                max_points=self._spool.max_points,
            )
            self._count_dropped(lost)

    def _schedule_retry(self) -> None:
        self._backoff_s = min(self._s.retry_max_s, max(_BACKOFF_MIN_S, self._backoff_s * 2))
        self._retry_at = time.monotonic() + self._backoff_s * random.uniform(0.8, 1.0)

    @property
    def outage(self) -> str | None:
        """Why writes to the server fail now (points go to the spool), None while they work."""
        return self._outage_why if self._outage else None

    def _note_outage(self, why: str) -> None:
        self._outage_why = why
        if not self._outage:
            self._outage = True
            log.error("InfluxDB write failed: spooling to disk", url=self._s.url, why=why)
        else:
            log.debug("InfluxDB still unavailable", why=why, spooled=self._spool.points)

    def _note_recovered(self) -> None:
        if self._outage:
            self._outage = False
            log.info("InfluxDB writes resumed", url=self._s.url, spooled=self._spool.points)

    # --- helpers --------------------------------------------------------------------------

    def _count_dropped(self, n: int) -> None:
        with self._dropped_lock:
            self._dropped += n
        self._c_dropped.inc(n)

    def _take(self) -> list[Point]:
        batch, self._buf = self._buf, []
        return batch

    def _update_gauges(self) -> None:
        self._g_memory.set(len(self._buf))
        self._g_spool.set(self._spool.points)

    async def _in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the sink's thread. Shielded: a cancelled caller does not stop a job
        half-way (its points would be lost); ``__aexit__`` queues behind it instead."""
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        return await asyncio.shield(loop.run_in_executor(self._executor, fn, *args))

    async def _close_all(self) -> None:
        def close() -> None:
            if self._write_api is not None:
                self._write_api.close()
            if self._client is not None:
                self._client.close()  # type: ignore[no-untyped-call]
            self._spool.close()

        if self._executor is not None:
            try:
                await self._in_worker(close)
            finally:
                # the queue is empty now, so this does not hold up the loop
                self._executor.shutdown(wait=True)
                self._executor = None
        self._write_api = None
        self._client = None
