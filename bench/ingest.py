"""Ingest benchmark: the full pipeline against bare aiomqtt and bare paho-mqtt subscribers.

Prints, from one run on one mosquitto (started here on a free port):
  * messages/s of a bare paho-mqtt subscriber, a bare aiomqtt subscriber and the full pipeline
    (decode, validate, state, alarms, embedded history sink), each fed the same burst of ICD
    telemetry published as fast as mosquitto takes it, and the pipeline as a ratio of aiomqtt;
  * publish-to-state latency p50/p99 at Line 2A's real rate (13 trains × 1 Hz) and at 100×;
  * under overload, messages lost by the broker (QoS 0) as seen by the seq-gap counters.

Usage: uv run python bench/ingest.py [--messages 60000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import paho.mqtt.client as paho
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from line import load_line  # noqa: E402
from services.settings import Settings  # noqa: E402
from telemetry.alarms import AlarmBook  # noqa: E402
from telemetry.config import HistorySettings, MqttSettings  # noqa: E402
from telemetry.metrics import TelemetryMetrics  # noqa: E402
from telemetry.mqtt import MqttIngest  # noqa: E402
from telemetry.pipeline import Pipeline  # noqa: E402
from telemetry.rejects import RejectLog  # noqa: E402
from telemetry.schemas import Decoder  # noqa: E402
from telemetry.sinks.embedded import EmbeddedStore  # noqa: E402
from telemetry.state import LineState  # noqa: E402

TRAINS = [f"T{i:02d}" for i in range(1, 14)]
TOPIC = "metro/2a/train/{}/telemetry"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_mosquitto(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    conf = workdir / "m.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\n"
        "log_dest none\n"
    )
    p = subprocess.Popen([exe, "-c", str(conf)])
    time.sleep(0.5)
    return p


def payload(train: str, seq: int, ts: int) -> bytes:
    return orjson.dumps(
        {
            "v": 1,
            "ts": ts,
            "train": train,
            "seq": seq,
            "pos_m": (seq * 7.0) % 12000,
            "track": 1 + (seq // 500) % 2,
            "speed_kmh": 55.0,
            "doors": "closed",
            "load_pct": 60,
            "mode": "ATO",
            "driver": "D001",
            "faults": [],
        }
    )


def publisher(port: int, n: int, rate_hz: float, start_seq: int, go: mp.synchronize.Event) -> None:
    """Publish n telemetry messages round-robin over 13 trains (rate 0 = as fast as possible)."""
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{time.time_ns()}")
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    go.wait(30)
    period = 1.0 / rate_hz if rate_hz else 0.0
    t_next = time.perf_counter()
    for i in range(n):
        tr = TRAINS[i % 13]
        seq = start_seq + i // 13
        c.publish(TOPIC.format(tr), payload(tr, seq, time.time_ns() // 1_000_000), qos=0)
        if period:
            t_next += period
            d = t_next - time.perf_counter()
            if d > 0:
                time.sleep(d)
    time.sleep(1.0)
    c.loop_stop()
    c.disconnect()


class Span:
    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0

    def hit(self) -> None:
        now = time.perf_counter()
        if not self.count:
            self.first = now
        self.count += 1
        self.last = now

    def rate(self) -> float:
        return self.count / (self.last - self.first) if self.count > 1 else 0.0


def run_publisher(
    port: int, n: int, rate: float, start_seq: int = 0
) -> tuple[mp.Process, mp.synchronize.Event]:
    go = mp.Event()
    p = mp.Process(target=publisher, args=(port, n, rate, start_seq, go), daemon=True)
    p.start()
    time.sleep(0.5)
    return p, go


def bench_paho(port: int, n: int) -> Span:
    span = Span()
    done = mp.Event()

    def on_message(_c: object, _u: object, _m: object) -> None:
        span.hit()

    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bench-paho")
    c.on_message = on_message
    c.connect("127.0.0.1", port)
    c.subscribe("metro/2a/train/+/telemetry", qos=0)
    c.loop_start()
    time.sleep(0.3)
    pub, go = run_publisher(port, n, 0)
    go.set()
    pub.join(120)
    c.loop_stop()
    c.disconnect()
    del done
    return span


async def bench_aiomqtt(port: int, n: int) -> Span:
    import aiomqtt

    span = Span()
    async with aiomqtt.Client("127.0.0.1", port, identifier="bench-aiomqtt") as c:
        await c.subscribe("metro/2a/train/+/telemetry", qos=0)
        pub, go = run_publisher(port, n, 0)
        go.set()

        async def consume() -> None:
            async for _m in c.messages:
                span.hit()

        task = asyncio.create_task(consume())
        await asyncio.to_thread(pub.join, 300)
        await asyncio.sleep(0.5)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return span


class PipelineRig:
    def __init__(self, port: int, workdir: Path) -> None:
        self.line = load_line()
        self.metrics = TelemetryMetrics(CollectorRegistry())
        self.clock = lambda: time.time_ns() // 1_000_000
        self.alarms = AlarmBook(self.clock)
        settings = Settings()
        self.state = LineState(self.line, settings.state, self.alarms, self.metrics)
        self.store = EmbeddedStore(
            HistorySettings(embedded_path=workdir / f"h{time.time_ns()}.sqlite"), self.metrics
        )
        dec = Decoder(
            self.line.id,
            frozenset(self.line.fleet.trains),
            frozenset(self.line.station_ids),
            self.line.length_m,
        )
        self.pipeline = Pipeline(
            dec, self.state, [self.store], self.metrics, RejectLog(), self.clock
        )
        self.span = Span()
        self.latencies_ms: list[float] = []
        self.mqtt = MqttSettings(
            url=f"mqtt://127.0.0.1:{port}",
            client_id=f"bench-pipe-{time.time_ns()}",
            persistent_session=False,
        )

    def on_message(self, topic: str, data: bytes) -> None:
        self.pipeline.on_mqtt(topic, data)
        self.span.hit()

    def on_message_latency(self, topic: str, data: bytes) -> None:
        self.pipeline.on_mqtt(topic, data)
        ts = orjson.loads(data)["ts"]  # measured outside the timed path's cost budget
        self.latencies_ms.append(time.time_ns() / 1e6 - ts)

    async def run(self, port: int, n: int, rate: float, latency: bool) -> None:
        cb = self.on_message_latency if latency else self.on_message
        ingest = MqttIngest(self.mqtt, cb, self.metrics)
        async with self.store, ingest:
            tasks = [asyncio.create_task(ingest.run()), asyncio.create_task(self.store.run())]

            async def ticker() -> None:
                while True:
                    await asyncio.sleep(0.5)
                    self.state.tick(self.clock())

            tasks.append(asyncio.create_task(ticker()))
            for _ in range(100):
                if ingest.connected:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            pub, go = run_publisher(port, n, rate, start_seq=int(time.time()) * 10)
            go.set()
            await asyncio.to_thread(pub.join, 300)
            await asyncio.sleep(1.0)
            self.state.tick(self.clock() + 10_000)  # let the seq-gap grace expire
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    return statistics.quantiles(xs, n=100)[int(q) - 1] if len(xs) > 1 else xs[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=60_000)
    ap.add_argument("--latency-seconds", type=float, default=10.0)
    args = ap.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        broker = start_mosquitto(port, Path(tmp))
        try:
            paho_span = bench_paho(port, n)
            aio_span = asyncio.run(bench_aiomqtt(port, n))
            rig = PipelineRig(port, Path(tmp))
            asyncio.run(rig.run(port, n, 0, latency=False))
            lost = sum(tv.seq.lost for tv in rig.state.trains.values())
            print(f"burst of {n} ICD telemetry messages, QoS 0, 13 trains")
            for name, sp in (
                ("bare paho-mqtt subscriber", paho_span),
                ("bare aiomqtt subscriber", aio_span),
                ("full pipeline", rig.span),
            ):
                print(f"  {name:26}: {sp.rate():9.0f} msg/s ({sp.count} received)")
            ratio = rig.span.rate() / aio_span.rate() if aio_span.rate() else float("nan")
            print(f"  pipeline / aiomqtt        : {ratio:9.2f}  (target ≥ 0.80)")
            unaccounted = n - rig.span.count - lost
            print(
                f"  broker-dropped (QoS 0) seen as seq gaps: {lost}; "
                f"published {n}, processed {rig.span.count}, unaccounted {unaccounted}"
            )
            for label, rate in (
                ("Line 2A real rate (13 msg/s)", 13.0),
                ("100× (1300 msg/s)", 1300.0),
            ):
                rig2 = PipelineRig(port, Path(tmp))
                count = int(rate * args.latency_seconds)
                asyncio.run(rig2.run(port, count, rate, latency=True))
                lat = rig2.latencies_ms
                print(
                    f"  publish→state latency at {label}: p50 {pct(lat, 50):.1f} ms, "
                    f"p99 {pct(lat, 99):.1f} ms over {len(lat)} msgs (target p99 ≤ 50 ms at 100×)"
                )
        finally:
            broker.terminate()
            broker.wait(10)


if __name__ == "__main__":
    main()
