"""EmbeddedStore: a real SQLite file in WAL mode, written and read back through the sink API."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from telemetry.config import HistorySettings
from telemetry.metrics import TelemetryMetrics
from telemetry.sinks import EmbeddedStore, Point

T0 = 1_800_000_000_000  # a fixed field time: the store must not care what "now" is
HOUR_MS = 3_600_000


def make_store(path: Path, registry: CollectorRegistry | None = None, **kw: Any) -> EmbeddedStore:
    settings = HistorySettings(
        embedded_path=path,
        retention_h=kw.pop("retention_h", 72.0),
        sample_every_s=kw.pop("sample_every_s", 0.0),
    )
    metrics = TelemetryMetrics(registry or CollectorRegistry())
    return EmbeddedStore(settings, metrics, **kw)


def train(tr: str, i: int, ts: int) -> Point:
    return Point(
        "train",
        tr,
        {"pos_m": i * 10.0, "speed_kmh": 50.0, "doors": "closed", "seq": i, "ok": True},
        ts,
        {"track": "1"},
    )


def substation(dev: str, v: float, ts: int) -> Point:
    return Point("substation", dev, {"v_dc": v, "i_a": 300.0, "breaker_closed": True}, ts)


@contextlib.asynccontextmanager
async def running(store: EmbeddedStore) -> AsyncIterator[EmbeddedStore]:
    async with store:
        task = asyncio.create_task(store.run())
        try:
            yield store
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_recent_round_trips_per_train_and_substation_with_a_window(tmp_path: Path) -> None:
    store = make_store(tmp_path / "history.sqlite")
    async with store:
        for i in range(100):
            store.write([train("T07", i, T0 + i * 1000), train("T08", i, T0 + i * 1000 + 1)])
            store.write([substation("SS3", 1500.0 + i, T0 + i * 1000)])
        store.write([Point("train_event", "T07", {"kind": "door_fault"}, T0 + 5000)])
        await store.flush()

        rows = await store.recent("train", "T07", T0 + 10_000, T0 + 19_000)
        assert [r["ts_ms"] for r in rows] == [T0 + i * 1000 for i in range(10, 20)]
        assert rows[0] == {
            "ts_ms": T0 + 10_000,
            "pos_m": 100.0,
            "speed_kmh": 50.0,
            "doors": "closed",
            "seq": 10,
            "ok": True,
            "track": "1",  # extra tags come back with the fields
        }
        # another train's samples 1 ms apart never leak into T07's answer
        assert all(r["pos_m"] == (r["ts_ms"] - T0) / 100 for r in rows)  # type: ignore[operator]

        sub = await store.recent("substation", "SS3", T0 + 95_000, fields=["v_dc"])
        assert sub == [{"ts_ms": T0 + i * 1000, "v_dc": 1500.0 + i} for i in range(95, 100)]

        newest = await store.recent("train", "T08", T0, limit=3)
        assert [r["seq"] for r in newest] == [97, 98, 99]  # the newest, oldest first

        assert await store.recent("train", "T99", T0) == []
        ev = await store.recent("train_event", "T07", T0)  # a new measurement needs no code
        assert ev == [{"ts_ms": T0 + 5000, "kind": "door_fault"}]
    assert store.stats().written == 301


async def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "history.sqlite"  # parent directories are created
    async with make_store(path) as first:
        first.write([train("T01", i, T0 + i) for i in range(50)])
        # no flush: __aexit__ must write what is still in memory
    async with make_store(path) as second:
        rows = await second.recent("train", "T01", T0)
        assert [r["seq"] for r in rows] == list(range(50))
        second.write([train("T01", 50, T0 + 50)])
        await second.flush()
        assert len(await second.recent("train", "T01", T0)) == 51


async def test_wal_mode_is_on(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    async with make_store(path) as store:
        store.write([train("T01", 1, T0)])
        await store.flush()
        assert path.with_name("history.sqlite-wal").exists()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            # an outside reader sees committed rows while the store is open
            assert conn.execute("SELECT count(*) FROM points").fetchone()[0] == 1


async def test_retention_purges_old_rows_periodically(tmp_path: Path) -> None:
    now = T0 + 10 * HOUR_MS
    store = make_store(
        tmp_path / "h.sqlite",
        retention_h=2.0,
        clock=lambda: now,
        purge_every_s=0.05,
        flush_interval_s=0.02,
    )
    async with running(store):
        store.write([train("T03", i, now - i * HOUR_MS // 2) for i in range(8)])  # 0 h … 3.5 h ago
        store.write([substation("SS1", 1500.0, now - 3 * HOUR_MS)])
        deadline = time.monotonic() + 5
        while len(await store.recent("train", "T03", 0)) != 5:
            assert time.monotonic() < deadline, "old rows were not purged"
            await asyncio.sleep(0.02)
        rows = await store.recent("train", "T03", 0)
        assert [r["ts_ms"] for r in rows] == [now - i * HOUR_MS // 2 for i in (4, 3, 2, 1, 0)]
        assert await store.recent("substation", "SS1", 0) == []
        assert await store.purge() == 0  # nothing left to purge


async def test_sample_every_s_thins_trains_but_not_events(tmp_path: Path) -> None:
    async with make_store(tmp_path / "h.sqlite", sample_every_s=1.0) as store:
        for i in range(50):  # 5 Hz for 10 s
            store.write([train("T05", i, T0 + i * 200)])
            store.write([Point("train_event", "T05", {"kind": "k"}, T0 + i * 200)])
        await store.flush()
        kept = await store.recent("train", "T05", T0)
        assert [r["ts_ms"] for r in kept] == [T0 + s * 1000 for s in range(10)]
        assert len(await store.recent("train_event", "T05", T0)) == 50


async def test_stores_every_point_handed_over_one_by_one(tmp_path: Path) -> None:
    """30,000 points, one per call as the ingest hands them over: all written, none dropped
    (the rate is bench/history.py's to measure)."""
    registry = CollectorRegistry()
    store = make_store(tmp_path / "h.sqlite", registry)
    n = 30_000
    points = [train(f"T{i % 13 + 1:02d}", i, T0 + i) for i in range(n)]
    async with running(store):
        for p in points:
            store.write((p,))  # one point per call, as the ingest hands them over
        await store.flush()
    st = store.stats()
    assert (st.written, st.buffered, st.dropped) == (n, 0, 0)
    written = registry.get_sample_value(
        "metro_sink_points_total", {"sink": "embedded", "outcome": "written"}
    )
    assert written == n
