"""InfluxSink against a real VictoriaMetrics (InfluxDB v2 write API), including outages."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from telemetry.config import InfluxSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.sinks import InfluxSink, Point, Spool, SpoolLockedError, encode_line
from tests.fixtures.victoria import Victoria
from tests.poll import until

# ---------------------------------------------------------------------------------- helpers


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def make_settings(url: str, tmp_path: Path, **kw: Any) -> InfluxSettings:
    base: dict[str, Any] = {
        "url": url,
        "org": "metro",
        "bucket": "metro",
        "batch_size": 50,
        "flush_interval_s": 0.05,
        "timeout_s": 1.0,
        "retry_max_s": 0.3,
        "spool_dir": tmp_path / "spool",
    }
    return InfluxSettings(**(base | kw))


def rig(
    url: str, tmp_path: Path, **kw: Any
) -> tuple[InfluxSink, CollectorRegistry, InfluxSettings]:
    registry = CollectorRegistry()
    s = make_settings(url, tmp_path, **kw)
    return InfluxSink(s, TelemetryMetrics(registry)), registry, s


def counted(registry: CollectorRegistry, outcome: str) -> float:
    v = registry.get_sample_value("metro_sink_points_total", {"sink": "influx", "outcome": outcome})
    return v or 0.0


def train_point(i: int, t0: int, train: str = "T07") -> Point:
    """The i-th sample: ts t0+i ms and pos_m i+0.5, so a lost or moved point shows."""
    return Point("train", train, {"pos_m": i + 0.5, "seq": i, "speed_kmh": 40.0}, t0 + i)


@contextlib.asynccontextmanager
async def running(sink: InfluxSink) -> AsyncIterator[InfluxSink]:
    """The sink entered with its flush loop running, as the app's task group runs it."""
    async with sink:
        task = asyncio.create_task(sink.run())
        try:
            yield sink
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def spool_files(s: InfluxSettings) -> list[Path]:
    return sorted(s.spool_dir.glob("*.lp"))


# ------------------------------------------------------------------------- line protocol


def test_line_protocol_types_and_escaping() -> None:
    p = Point(
        "train",
        "T07",
        {
            "pos_m": 12.5,
            "seq": 3,
            "ok": True,
            "nan": float("nan"),
            "detail": 'say "hi"\\ now\nnext',
            "odd key": 1.0,
        },
        1_700_000_000_123,
        {"track": "1", "where": "a,b c=d", "empty": ""},
    )
    line = encode_line(p, "train")
    assert line == (
        b"train,track=1,train=T07,where=a\\,b\\ c\\=d "
        b'pos_m=12.5,seq=3i,ok=true,detail="say \\"hi\\"\\\\ now\\nnext",odd\\ key=1.0'
        b" 1700000000123"
    )
    assert b"\n" not in line  # one point, one line: the spool relies on it
    assert encode_line(Point("m", "x", {"v": float("inf")}, 1), "e") is None


# ---------------------------------------------------------------------- against the server


async def test_points_reach_victoria_with_values_and_timestamps(
    victoria: Victoria, tmp_path: Path
) -> None:
    sink, registry, _ = rig(victoria.url, tmp_path)
    t0 = now_ms() - 60_000
    async with running(sink):
        sink.write([train_point(i, t0) for i in range(120)])
        sink.write([train_point(i, t0, "T08") for i in range(5)])
        sink.write(
            [
                Point("substation", "SS3", {"v_dc": 1502.5, "breaker_closed": True}, t0),
                Point("train", "T09", {"pos_m": 7.0}, t0, {"track": "2", "note": "a b,c"}),
            ]
        )
        got = await victoria.wait_samples("train_pos_m", 120, train="T07")
    assert got == {t0 + i: i + 0.5 for i in range(120)}
    assert await victoria.samples("train_seq", train="T08") == {t0 + i: float(i) for i in range(5)}
    assert await victoria.samples("substation_v_dc", device="SS3") == {t0: 1502.5}
    assert await victoria.samples("substation_breaker_closed", device="SS3") == {t0: 1.0}
    # tags, including ones that need escaping, come back as labels
    assert await victoria.samples("train_pos_m", train="T09", track="2", note="a b,c") == {t0: 7.0}
    st = sink.stats()
    assert (st.written, st.buffered, st.spooled, st.dropped) == (127, 0, 0, 0)
    assert counted(registry, "written") == 127
    assert (
        registry.get_sample_value(
            "metro_sink_buffered_points", {"sink": "influx", "where": "spool"}
        )
        == 0
    )


async def test_exit_flushes_what_is_in_memory(victoria: Victoria, tmp_path: Path) -> None:
    # neither the batch size nor the interval is reached: only __aexit__ can write these
    sink, _, _ = rig(victoria.url, tmp_path, batch_size=100_000, flush_interval_s=60)
    t0 = now_ms() - 60_000
    async with running(sink):
        sink.write([train_point(i, t0) for i in range(500)])
        await asyncio.sleep(0.2)
        assert sink.stats().buffered == 500
    assert sink.stats().written == 500
    got = await victoria.wait_samples("train_pos_m", 500, train="T07")
    assert got == {t0 + i: i + 0.5 for i in range(500)}


async def test_outage_spools_to_disk_and_delivers_every_point_after(
    victoria: Victoria, tmp_path: Path
) -> None:
    sink, registry, s = rig(victoria.url, tmp_path)
    t0 = now_ms() - 60_000
    n = 0

    async def feed(seconds: float) -> None:
        nonlocal n
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sink.write([train_point(n + k, t0) for k in range(10)])
            n += 10
            await asyncio.sleep(0.02)

    async with running(sink):
        await feed(0.5)
        victoria.stop()
        await feed(3.0)
        during = sink.stats()
        assert during.spooled > 0 and spool_files(s), "outage did not reach the disk spool"
        assert during.dropped == 0
        victoria.start()  # same port, same data directory
        await feed(0.5)
        await until(lambda: sink.stats().spooled == 0 and sink.stats().buffered == 0)
    got = await victoria.wait_samples("train_pos_m", n, train="T07")
    assert got == {t0 + i: i + 0.5 for i in range(n)}
    st = sink.stats()
    assert (st.written, st.spooled, st.dropped) == (n, 0, 0)
    assert counted(registry, "spooled") >= during.spooled
    assert spool_files(s) == []


async def test_spool_survives_a_restart_of_the_sink(victoria: Victoria, tmp_path: Path) -> None:
    t0 = now_ms() - 60_000
    victoria.stop()
    first, _, s = rig(victoria.url, tmp_path)
    async with running(first):
        first.write([train_point(i, t0) for i in range(300)])
        await asyncio.sleep(0.3)
        first.write([train_point(i, t0) for i in range(300, 330)])  # left for __aexit__
    assert first.stats().spooled == 330 and first.stats().written == 0
    assert spool_files(s)

    victoria.start()
    second, registry, _ = rig(victoria.url, tmp_path)
    async with running(second):
        assert second.stats().spooled == 330  # found on disk
        await until(lambda: second.stats().spooled == 0)
    got = await victoria.wait_samples("train_pos_m", 330, train="T07")
    assert got == {t0 + i: i + 0.5 for i in range(330)}
    assert counted(registry, "written") == 330
    assert spool_files(s) == []


async def test_spool_bound_drops_oldest_and_counts_them(victoria: Victoria, tmp_path: Path) -> None:
    t0 = now_ms() - 60_000
    total, bound = 400, 64
    victoria.stop()
    first, registry, s = rig(victoria.url, tmp_path, batch_size=16, spool_max_points=bound)
    async with running(first):
        for k in range(0, total, 16):
            first.write([train_point(i, t0) for i in range(k, k + 16)])
            await asyncio.sleep(0.01)
    st = first.stats()
    assert st.written == 0
    assert st.dropped + st.spooled == total  # nothing vanished without a count
    assert bound * 15 // 16 <= st.spooled <= bound
    assert counted(registry, "dropped") == st.dropped
    assert counted(registry, "spooled") == total

    victoria.start()
    second, _, _ = rig(victoria.url, tmp_path, batch_size=16, spool_max_points=bound)
    async with running(second):
        await until(lambda: second.stats().spooled == 0)
    got = await victoria.wait_samples("train_pos_m", st.spooled, train="T07")
    # the newest points were kept
    assert got == {t0 + i: i + 0.5 for i in range(total - st.spooled, total)}


# ------------------------------------------------- a server that rejects malformed lines


class _StrictInflux(BaseHTTPRequestHandler):
    """InfluxDB v2 write endpoint answering 400 to any batch with a line it cannot take.

    VictoriaMetrics skips bad lines and answers 204, so the 400 path needs this server.
    """

    server: _StrictServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        lines = body.split(b"\n")
        if any(b"poison" in line for line in lines):
            msg = b'{"code":"invalid","message":"unable to parse points"}'
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        self.server.lines.extend(lines)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _StrictServer(HTTPServer):
    lines: list[bytes]


@pytest.fixture
def strict_influx() -> Iterator[_StrictServer]:
    server = _StrictServer(("127.0.0.1", 0), _StrictInflux)
    server.lines = []
    thread = threading.Thread(target=server.serve_forever, name="strict-influx")
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_rejected_point_is_dropped_counted_and_does_not_block(
    strict_influx: _StrictServer, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{strict_influx.server_address[1]}"
    sink, registry, s = rig(url, tmp_path, batch_size=16)
    t0 = now_ms()
    points = [train_point(i, t0) for i in range(40)]
    points[13] = Point("train", "T07", {"detail": "poison"}, t0 + 13)
    async with running(sink):
        sink.write(points[:20])
        await until(lambda: sink.stats().written >= 19)
        sink.write(points[20:])  # later points still flow
        await until(lambda: sink.stats().written >= 39)
    assert len(strict_influx.lines) == 39
    assert not any(b"poison" in line for line in strict_influx.lines)
    st = sink.stats()
    assert (st.written, st.spooled, st.dropped) == (39, 0, 1)
    assert counted(registry, "dropped") == 1
    assert spool_files(s) == []


# ------------------------------------------------------------------------- spool on its own


def test_spool_is_exclusive_per_directory(tmp_path: Path) -> None:
    a = Spool(tmp_path, 100)
    a.open()
    try:
        b = Spool(tmp_path, 100)
        with pytest.raises(SpoolLockedError):
            b.open()
    finally:
        a.close()
    c = Spool(tmp_path, 100)
    c.open()  # free again once the first is closed
    c.close()


def test_spool_skips_a_line_torn_by_a_crash(tmp_path: Path) -> None:
    # what a crash half-way through an append leaves: a last line without its newline
    (tmp_path / "000000000001.lp").write_bytes(b"m v=1 1\nm v=2 2\nm v=")
    sp = Spool(tmp_path, 100)
    sp.open()
    try:
        assert sp.points == 2
        assert sp.peek(10) == [b"m v=1 1", b"m v=2 2"]
        sp.commit(2)
        assert sp.points == 0 and not list(tmp_path.glob("*.lp"))
        sp.append([b"m v=3 3"])  # a new segment, never appended to the torn one
        assert sp.peek(10) == [b"m v=3 3"]
    finally:
        sp.close()
