"""What the fault tests share: train units publishing over paho, small board helpers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import paho.mqtt.client as paho

from tests.reliability.rig import now_ms


class Feeder:
    """Train units publishing over their own paho client; they ride out broker outages
    (paho reconnects by itself) and keep publishing at 5 Hz while ``run`` is on."""

    def __init__(self, port: int) -> None:
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"feed-{time.time_ns()}")
        self.c.reconnect_delay_set(0.1, 0.3)
        self.c.connect("127.0.0.1", port, keepalive=5)
        self.c.loop_start()
        self.seq: dict[str, int] = {}

    def telemetry(self, train: str, ts: int, pos_m: float = 4300.0, seq: int | None = None) -> int:
        n = self.seq[train] = seq if seq is not None else self.seq.get(train, 0) + 1
        body = {
            "v": 1, "ts": ts, "train": train, "seq": n, "pos_m": pos_m, "track": 1,
            "speed_kmh": 42.0, "doors": "closed", "load_pct": 55, "mode": "ATO",
            "driver": "D010", "faults": [],
        }  # fmt: skip
        self.c.publish(f"metro/2a/train/{train}/telemetry", orjson.dumps(body), qos=0)
        return n

    async def run(self, trains: tuple[str, ...]) -> None:
        pos = 1000.0
        while True:
            pos += 5
            for t in trains:
                self.telemetry(t, now_ms(), pos)
            await asyncio.sleep(0.2)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


@contextlib.asynccontextmanager
async def running(coro: Any) -> AsyncIterator[None]:
    task = asyncio.ensure_future(coro)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def board_train(http: httpx.AsyncClient, train: str) -> dict[str, Any]:
    b = (await http.get("/api/board")).json()
    return next(t for t in b["trains"] if t["train"] == train)


async def alarms(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await http.get("/api/alarms")).json()["alarms"])
