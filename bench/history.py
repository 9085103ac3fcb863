"""Embedded history store throughput: points handed over one by one, as the ingest does.

Prints points/s written to the embedded SQLite store (flushed, on disk). Target: keeping up
with 10,000 points/s (13 trains at 10 Hz plus substations is ~200 points/s; the margin is for
replays and bursts after a broker outage). Run: ``uv run python bench/history.py [--points N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry  # noqa: E402

from telemetry.config import HistorySettings  # noqa: E402
from telemetry.metrics import TelemetryMetrics  # noqa: E402
from telemetry.sinks import EmbeddedStore, Point  # noqa: E402

T0 = 1_800_000_000_000
TARGET = 10_000


def point(i: int) -> Point:
    return Point(
        "train",
        f"T{i % 13 + 1:02d}",
        {"pos_m": i * 10.0, "speed_kmh": 50.0, "doors": "closed", "seq": i, "ok": True},
        T0 + i,
        {"track": "1"},
    )


async def measure(n: int, workdir: Path) -> float:
    settings = HistorySettings(embedded_path=workdir / "h.sqlite", sample_every_s=0.0)
    store = EmbeddedStore(settings, TelemetryMetrics(CollectorRegistry()))
    points = [point(i) for i in range(n)]
    async with store:
        task = asyncio.create_task(store.run())
        try:
            t = time.perf_counter()
            for p in points:
                store.write((p,))
            await store.flush()
            elapsed = time.perf_counter() - t
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if store.stats().written != n:
        raise SystemExit(f"only {store.stats().written} of {n} points written")
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rate = asyncio.run(measure(args.points, Path(tmp)))
    load = os.getloadavg()[0]
    verdict = "met" if rate >= TARGET else "MISSED"
    print(
        f"embedded history: {rate:,.0f} points/s over {args.points:,} points "
        f"(target >= {TARGET:,}: {verdict}; load average {load:.1f})"
    )


if __name__ == "__main__":
    main()
