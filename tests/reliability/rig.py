"""What the reliability tests share: settings of an in-process metro-ops, a train's real MQTT
link (the emulator's :class:`FieldLink`), ICD message bodies and small waiting helpers.

The in-process server itself is :func:`tests.api.test_serve.serving` (uvicorn on a free port,
a client carrying the operator's token).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from services.settings import Settings
from telemetry.config import parse_mqtt_url
from telemetry.emulator.publisher import FieldLink, LinkOptions, Outgoing
from tests.api.test_serve import OPERATOR_TOKEN
from tests.poll import elapsed_until, until

# test-sized timeouts: reconnects within a fraction of a second
FAST_MQTT: dict[str, Any] = {
    "keepalive_s": 5,
    "connect_timeout_s": 2.0,
    "reconnect_min_s": 0.05,
    "reconnect_max_s": 0.5,
}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def app_settings(tmp_path: Path, broker_url: str | None = None, **sections: Any) -> Settings:
    """Settings of a metro-ops on temporary files, with the operator token of ``serving``."""
    base: dict[str, Any] = {
        "history": {"embedded_path": str(tmp_path / "history.sqlite")},
        "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/metro.db"},
        "auth": {"tokens": {OPERATOR_TOKEN: "dd01:operator"}},
        "crew": {"solver_time_limit_s": 2},
    }
    if broker_url is not None:
        base["mqtt"] = {"url": broker_url, "client_id": "reliability-ingest", **FAST_MQTT}
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return Settings.model_validate(base)


def train_link(broker_url: str, train: str) -> FieldLink:
    """A train's on-board MQTT link as the emulator runs it: QoS 1 events wait in its outbox
    while the broker is away, QoS 0 telemetry is dropped (and counted in ``dropped``)."""
    opts = LinkOptions(keepalive_s=5, timeout_s=2.0, reconnect_min_s=0.05, reconnect_max_s=0.3)
    return FieldLink(f"obu-{train}-{time.time_ns()}", parse_mqtt_url(broker_url), opts)


@contextlib.asynccontextmanager
async def linked(link: FieldLink) -> AsyncIterator[FieldLink]:
    """Run the link's loop; cancel it (and wait for it) on the way out."""
    task = asyncio.create_task(link.run(), name=f"link:{link.client_id}")
    try:
        await wait_until(lambda: link.connected, what="the train link to connect")
        yield link
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def telemetry_msg(train: str, seq: int, pos_m: float = 4300.0, **kw: Any) -> Outgoing:
    body = {
        "v": 1,
        "ts": now_ms(),
        "train": train,
        "seq": seq,
        "pos_m": pos_m,
        "track": 1,
        "speed_kmh": 42.0,
        "doors": "closed",
        "load_pct": 55,
        "mode": "ATO",
        "driver": "D010",
        "faults": [],
        **kw,
    }
    return Outgoing(f"metro/2a/train/{train}/telemetry", orjson.dumps(body), qos=0)


def event_msg(train: str, seq: int, kind: str = "fault_raised", **kw: Any) -> Outgoing:
    body = {"v": 1, "ts": now_ms(), "train": train, "seq": seq, "kind": kind, **kw}
    return Outgoing(f"metro/2a/train/{train}/event", orjson.dumps(body), qos=1)


def fault_code(i: int) -> str:
    """The i-th distinct ICD fault code (TRC-000 … AUX-999)."""
    subsystems = ("TRC", "BRK", "DOR", "HVA", "ATC", "AUX")
    return f"{subsystems[i // 1000]}-{i % 1000:03d}"


async def wait_until(
    cond: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition"
) -> float:
    """Poll ``cond`` every 20 ms; the seconds it took, or AssertionError naming ``what``."""
    return await elapsed_until(cond, timeout_s, what=what)


async def wait_for_value(
    fetch: Callable[[], Awaitable[Any]],
    ok: Callable[[Any], bool],
    timeout_s: float = 10.0,
    what: str = "condition",
) -> Any:
    """Poll ``fetch()`` every 100 ms until ``ok`` of its value; returns that value."""
    last: list[Any] = []

    async def check() -> bool:
        last[:] = [await fetch()]
        return ok(last[0])

    try:
        await until(check, timeout_s, every_s=0.1, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last value: {last[0]!r:.600}") from None
    return last[0]


def metric(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def ranges_of(numbers: set[int]) -> list[list[int]]:
    """Sorted numbers as ``[[first, last], …]`` runs of consecutive ones."""
    out: list[list[int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out
