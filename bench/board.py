"""Board websocket benchmark: publish-to-client latency and server CPU with 100 clients.

Starts a broker (the local mosquitto on a free port when installed, else the embedded amqtt
broker) and ``metro-ops serve`` in its own process, connects N websocket clients to
``/ws/board``, then publishes ICD telemetry for 13 trains at Line 2A's rate (1 Hz each) and at
100× (100 Hz each), each phase for a while. Prints per phase:

  * publish-to-client latency p50/p99 of every message, as the time from its publication to the
    first board frame at a client carrying it or a newer message of the same train (what the
    coalescing tick costs is in here), over every client; and the age of the newest message
    in each frame (how fresh what the operator sees is);
  * frames per client per second, slow-client resyncs and disconnects from ``/metrics``;
  * the server process's CPU (from /proc: user + system time over wall time), and the client
    process's, which shares the machine.

Usage: uv run python bench/board.py [--clients 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx
import orjson
import paho.mqtt.client as paho
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telemetry.broker import LocalBroker  # noqa: E402

TRAINS = [f"T{i:02d}" for i in range(1, 14)]
TOKEN = "bench-board-token-0123456789"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def payload(train: str, seq: int, ts: int, i: int) -> bytes:
    return orjson.dumps(
        {
            "v": 1,
            "ts": ts,
            "train": train,
            "seq": seq,
            "pos_m": 300.0 + (i * 900 + seq * 0.5) % 12000,
            "track": 1,
            "speed_kmh": 55.0,
            "doors": "closed",
            "load_pct": 60,
            "mode": "ATO",
            "driver": None,
            "faults": [],
        }
    )


def publisher(
    port: int,
    per_train_hz: float,
    seconds: float,
    seq0: int,
    out: mp.Queue,  # type: ignore[type-arg]
    started: EventType,
) -> None:
    """Publish every train at ``per_train_hz`` for ``seconds``; report (train, seq, ts_ms)."""
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{time.time_ns()}")
    c.connect("127.0.0.1", port)
    c.loop_start()
    sent: list[tuple[str, int, int]] = []
    period = 1.0 / (per_train_hz * len(TRAINS))
    n = int(per_train_hz * len(TRAINS) * seconds)
    started.set()
    t_next = time.perf_counter()
    for k in range(n):
        i = k % len(TRAINS)
        train, seq = TRAINS[i], seq0 + k // len(TRAINS)
        ts = time.time_ns() // 1_000_000
        c.publish(f"metro/2a/train/{train}/telemetry", payload(train, seq, ts, i), qos=0)
        sent.append((train, seq, ts))
        t_next += period
        d = t_next - time.perf_counter()
        if d > 0:
            time.sleep(d)
    out.put(sent)
    time.sleep(0.3)
    c.loop_stop()
    c.disconnect()


@dataclass
class Client:
    """One board socket: when each (train, seq) first reached it."""

    seen: list[tuple[float, str, int, int]] = field(default_factory=list)  # arrival, train, seq, ts
    frames: int = 0
    fanout: list[tuple[float, float]] = field(default_factory=list)  # arrival, since tick ms
    snapshots: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, url: str) -> None:
        async with connect(url, compression=None, max_size=None, ping_interval=None) as ws:
            async for raw in ws:
                arrival = time.time_ns() / 1e6
                msg = orjson.loads(raw)
                self.frames += 1
                self.fanout.append((arrival, arrival - msg["ts_ms"]))
                kind = msg["type"]
                if kind == "snapshot":
                    self.snapshots += 1
                    trains = msg["board"]["trains"]
                    self.ready.set()
                else:
                    trains = msg.get("trains", ())
                for t in trains:
                    if t["seq"] is not None:
                        self.seen.append((arrival, t["train"], t["seq"], t["ts_ms"]))


def pct(xs: list[float], q: int) -> float:
    if len(xs) < 2:
        return xs[0] if xs else float("nan")
    return statistics.quantiles(xs, n=100)[q - 1]


def latencies(
    clients: list[Client], sent: list[tuple[str, int, int]], since: float
) -> tuple[list[float], list[float], int]:
    """Per published message and client: publication → first frame carrying it or newer;
    per frame train entry: its newest message's age. Also messages never delivered."""
    published = {(tr, seq): ts for tr, seq, ts in sent}
    by_train: dict[str, list[int]] = {}
    for tr, seq, _ in sent:
        by_train.setdefault(tr, []).append(seq)
    first_seq = {tr: min(seqs) for tr, seqs in by_train.items()}
    per_msg: list[float] = []
    newest: list[float] = []
    undelivered = 0
    for c in clients:
        delivered: dict[str, int] = {}
        for arrival, tr, seq, ts in c.seen:
            if arrival < since:
                delivered[tr] = max(delivered.get(tr, 0), seq)
                continue
            # messages of earlier phases are not this phase's: start at its first seq
            prev = max(delivered.get(tr, 0), first_seq.get(tr, seq) - 1)
            if seq <= prev:
                continue
            for s in range(prev + 1, seq + 1):
                pub = published.get((tr, s))
                if pub is not None:
                    per_msg.append(arrival - pub)
            if (tr, seq) in published:
                newest.append(arrival - ts)
            delivered[tr] = seq
        for tr, seqs in by_train.items():
            undelivered += sum(1 for s in seqs if s > delivered.get(tr, 0))
    return per_msg, newest, undelivered


def metric_values(text: str, prefix: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith(prefix) and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def bucket_quantile(m: dict[str, float], name: str, q: float) -> float:
    """Upper bound of the histogram bucket holding quantile ``q`` (whole run)."""
    buckets = sorted(
        (float(k.split('le="')[1].split('"')[0]), v)
        for k, v in m.items()
        if k.startswith(f"{name}_bucket")
    )
    total = buckets[-1][1] if buckets else 0
    for le, cum in buckets:
        if cum >= q * total:
            return le
    return float("nan")


async def phase(
    label: str,
    per_train_hz: float,
    seconds: float,
    seq0: int,
    broker_port: int,
    server_pid: int,
    clients: list[Client],
) -> int:
    """Publish for ``seconds`` and print the figures; returns the next free seq."""
    sent: list[tuple[str, int, int]] = []
    if per_train_hz:
        out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
        started = mp.Event()
        args = (broker_port, per_train_hz, seconds, seq0, out, started)
        p = mp.Process(target=publisher, args=args)
        p.start()
        await asyncio.to_thread(started.wait, 30)
    since = time.time_ns() / 1e6
    frames0 = sum(c.frames for c in clients)
    wall0, srv0, me0 = time.monotonic(), cpu_s(server_pid), cpu_s(os.getpid())
    if per_train_hz:
        sent = await asyncio.to_thread(out.get, True, seconds + 60)
    else:
        await asyncio.sleep(seconds)
    wall = time.monotonic() - wall0
    srv, me = (cpu_s(server_pid) - srv0) / wall, (cpu_s(os.getpid()) - me0) / wall
    fps = (sum(c.frames for c in clients) - frames0) / len(clients) / wall
    if per_train_hz:
        await asyncio.to_thread(p.join, 10)
    await asyncio.sleep(0.5)  # the last frames land
    line = f"  {label:28} frames/client/s {fps:4.1f}  server CPU {srv:5.1%} of a core"
    line += f"  (clients' process {me:5.1%})"
    print(line)
    if per_train_hz:
        per_msg, newest, undelivered = latencies(clients, sent, since)
        print(
            f"  {'':28} publish→client p50 {pct(per_msg, 50):6.1f} ms"
            f"  p99 {pct(per_msg, 99):6.1f} ms"
            f"  over {len(per_msg):,} message×client"
            f"  | newest-in-frame age p50 {pct(newest, 50):5.1f} ms p99 {pct(newest, 99):5.1f} ms"
            f"  | undelivered {undelivered}"
        )
        fan = [ms for c in clients for a, ms in c.fanout if a >= since]
        print(
            f"  {'':28} hub tick → client (fan-out, both processes' scheduling)"
            f" p50 {pct(fan, 50):5.1f} ms  p99 {pct(fan, 99):5.1f} ms  max {max(fan):5.1f} ms"
        )
    return seq0 + int(per_train_hz * seconds)


def start_server(env: dict[str, str], cwd: str, profile: str | None) -> subprocess.Popen[bytes]:
    """``metro-ops serve`` as its own process (its CPU is what we measure)."""
    prof = ["-m", "cProfile", "-o", profile] if profile else []
    return subprocess.Popen([sys.executable, *prof, "-m", "cli.main", "serve"], env=env, cwd=cwd)


@dataclass(frozen=True)
class BrokerRef:
    url: str
    port: int
    kind: str


@contextlib.asynccontextmanager
async def broker_for(url: str | None) -> AsyncIterator[BrokerRef]:
    """The broker at ``url`` (mqtt://127.0.0.1:PORT), or one started here."""
    if url:
        yield BrokerRef(url, int(url.rsplit(":", 1)[1]), "external")
        return
    async with LocalBroker() as b:
        yield BrokerRef(b.url, b.port, str(b.kind))


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with broker_for(args.broker) as broker:
            http_port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")} | {
                "METRO_MQTT_URL": broker.url,
                "METRO_MQTT_CLIENT_ID": f"bench-board-{time.time_ns()}",
                "METRO_HTTP_PORT": str(http_port),
                "METRO_HISTORY_EMBEDDED_PATH": f"{tmp}/history.sqlite",
                "METRO_DB_URL": f"sqlite+aiosqlite:///{tmp}/metro.db",
                "METRO_AUTH_TOKENS": orjson.dumps({TOKEN: "bench:operator"}).decode(),
                "METRO_LOG_LEVEL": "warning",
                **({"METRO_WS_TICK_S": str(args.tick_s)} if args.tick_s else {}),
                "PYTHONPATH": str(ROOT),
            }
            server = start_server(env, tmp, args.profile)
            try:
                base = f"http://127.0.0.1:{http_port}"
                async with httpx.AsyncClient(base_url=base, timeout=2) as http:
                    for _ in range(300):
                        with contextlib.suppress(httpx.HTTPError):
                            if (await http.get("/healthz")).status_code == 200:
                                break
                        await asyncio.sleep(0.1)
                    else:
                        raise SystemExit("the server did not come up")
                    url = f"ws://127.0.0.1:{http_port}/ws/board?token={TOKEN}"
                    clients = [Client() for _ in range(args.clients)]
                    tasks = [asyncio.create_task(c.run(url)) for c in clients]
                    async with asyncio.timeout(30):
                        await asyncio.gather(*(c.ready.wait() for c in clients))
                    print(
                        f"board websocket: {args.clients} clients, broker {broker.kind}, "
                        f"server pid {server.pid}, {os.cpu_count()} cores"
                    )
                    # the measuring process must not pause to collect 1M samples' worth of
                    # garbage mid-phase: that would be counted as the server's latency
                    gc.collect()
                    gc.freeze()
                    gc.disable()
                    seq = int(time.time()) % 100_000 * 1000
                    seq = await phase(
                        "idle (no telemetry)", 0, 3, seq, broker.port, server.pid, clients
                    )
                    seq = await phase(
                        "Line 2A rate (13 msg/s)",
                        1.0,
                        args.seconds * 2,
                        seq,
                        broker.port,
                        server.pid,
                        clients,
                    )
                    seq = await phase(
                        "100× (1,300 msg/s)",
                        100.0,
                        args.seconds,
                        seq,
                        broker.port,
                        server.pid,
                        clients,
                    )
                    m = metric_values((await http.get("/metrics")).text, "metro_ws_")
                    ticks = m.get("metro_ws_tick_seconds_count", 0)
                    if ticks:
                        mean_ms = m["metro_ws_tick_seconds_sum"] / ticks * 1000
                        print(f"  hub tick (board, diff, serialise, queue): mean {mean_ms:.2f} ms")
                    for name, what in (
                        ("metro_ws_tick_late_seconds", "hub tick woke late (event-loop lag)"),
                        ("metro_ws_fanout_seconds", "frame made → sent to a client (server)"),
                    ):
                        p50, p99 = bucket_quantile(m, name, 0.5), bucket_quantile(m, name, 0.99)
                        print(f"  {what}: p50 ≤ {p50 * 1000:g} ms, p99 ≤ {p99 * 1000:g} ms")
                    keep = ("resyncs_total", "disconnects_total", "clients ")
                    shown = {k: v for k, v in m.items() if any(s in k for s in keep)}
                    print(f"  server: {shown or 'no resyncs, no disconnects'}")
                    print(
                        f"  snapshots per client: at most {max(c.snapshots for c in clients)}"
                        " (1 = never resynced)"
                    )
                    for t in tasks:
                        t.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
            finally:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(20)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--broker", help="use this local broker (mqtt://127.0.0.1:PORT)")
    ap.add_argument("--profile", help="run the server under cProfile, stats to this file")
    ap.add_argument("--tick-s", type=float, help="the hub's tick (default: the server's, 0.1)")
    ap.add_argument("--seconds", type=float, default=10.0, help="100× phase; 1× runs twice this")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
