"""Two-replica alarm-state agreement: how long after replica A answers an acknowledgement does
replica B show it?

Starts its own PostgreSQL cluster (a temporary folder, a free port), a broker, and two
``metro-ops serve`` processes on one database, each on its own HTTP port. The field raises
``--alarms`` distinct fault alarms, reaching both replicas; then, one at a time, each alarm is
acknowledged on A, and B's ``/api/alarms`` is polled every 5 ms until it shows that alarm
acknowledged. The agreement time is from A's 200 to the first answer of B showing it (so it
includes one poll period and one request to B). Prints p50 / p99 / max. Target (issue 15):
p99 ≤ 1 s.

Usage: uv run python bench/alarm_replicas.py [--alarms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import paho.mqtt.client as paho

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telemetry.broker import LocalBroker  # noqa: E402
from tests.fixtures.metro_server import MetroServer, server_env  # noqa: E402
from tests.fixtures.ports import free_port  # noqa: E402
from tests.fixtures.postgres import private_cluster  # noqa: E402

TOKEN = "tok-bench-operator-0123456789"
TRAINS = [f"T{n:02d}" for n in range(1, 14)]
POLL_S = 0.005


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else xs[0]


async def acked_keys(http: httpx.AsyncClient) -> dict[str, str]:
    r = await http.get("/api/alarms", params={"include_shelved": "true"})
    r.raise_for_status()
    return {a["key"]: a["state"] for a in r.json()["alarms"]}


async def run(n: int, workdir: Path, db_url: str, broker_url: str, port: int) -> list[float]:
    servers = []
    for name in ("a", "b"):
        wd = workdir / name
        wd.mkdir()
        env = server_env(wd, free_port(), MQTT_URL=broker_url, DB_URL=db_url,
                         MQTT_CLIENT_ID=f"metro-ops-{name}",
                         AUTH_TOKENS=json.dumps({TOKEN: "dd01:operator"}))  # fmt: skip
        srv = MetroServer(wd, env, int(env["METRO_HTTP_PORT"]))
        await asyncio.to_thread(srv.start)
        servers.append(srv)
    field = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-{time.time_ns()}")
    field.connect("127.0.0.1", port)
    field.loop_start()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with (
            httpx.AsyncClient(base_url=servers[0].url, headers=headers, timeout=10) as a,
            httpx.AsyncClient(base_url=servers[1].url, headers=headers, timeout=10) as b,
        ):
            keys = {f"train:{TRAINS[i % 13]}:fault:BRK-{i:03d}": i for i in range(n)}
            seq = 0
            deadline = time.monotonic() + 60
            while True:  # again until both replicas are subscribed and have every alarm
                for i in keys.values():
                    seq += 1
                    body = {"v": 1, "ts": now_ms(), "train": TRAINS[i % 13], "seq": seq,
                            "kind": "fault_raised", "code": f"BRK-{i:03d}",
                            "severity": "major"}  # fmt: skip
                    field.publish(f"metro/2a/train/{TRAINS[i % 13]}/event", orjson.dumps(body), 1)
                on_a, on_b = await acked_keys(a), await acked_keys(b)
                if all(k in on_a and k in on_b for k in keys):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("the replicas did not raise the alarms within 60 s")
                await asyncio.sleep(0.5)
            ids = {
                x["key"]: x["id"]
                for x in (await a.get("/api/alarms")).json()["alarms"]
                if x["key"] in keys
            }
            times: list[float] = []
            for key in keys:
                r = await a.post(f"/api/alarms/{ids[key]}/ack")
                r.raise_for_status()
                t0 = time.perf_counter()
                while (await acked_keys(b)).get(key) != "acked":
                    if time.perf_counter() - t0 > 10:
                        raise SystemExit(f"B never showed {key} acknowledged")
                    await asyncio.sleep(POLL_S)
                times.append(time.perf_counter() - t0)
            return times
    finally:
        field.loop_stop()
        field.disconnect()
        for srv in servers:
            await asyncio.to_thread(srv.stop)


async def main_async(n: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="metro-bench-replicas-") as tmp,
        private_cluster() as cluster,
    ):
        cluster.create_database("bench")
        async with LocalBroker() as broker:
            times = await run(n, Path(tmp), cluster.url("bench"), broker.url, broker.port)
    ms = [t * 1000 for t in times]
    print(f"{len(ms)} acknowledgements on A, agreement on B (A's 200 → B shows it):")
    print(f"  p50 {pct(ms, 50):.0f} ms   p99 {pct(ms, 99):.0f} ms   max {max(ms):.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alarms", type=int, default=100)
    args = ap.parse_args()
    asyncio.run(main_async(args.alarms))


if __name__ == "__main__":
    main()
