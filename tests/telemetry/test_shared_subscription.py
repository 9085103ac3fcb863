"""Scale-out proof: two ingest workers on one MQTT shared subscription (``$share/<group>/…``).

The deployment guide (deploy/SCALE-OUT.md) splits the field stream across several ingest
workers through the broker's shared subscriptions. This test runs that path for real: two
:class:`telemetry.mqtt.MqttIngest` workers in one share group on a real mosquitto, 2,000 QoS 1
event messages from the 13 trains, and checks that every message was handled by exactly one
worker — none lost, none handled twice — and that the broker really split the load.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import aiomqtt
from prometheus_client import CollectorRegistry

from line import load_line
from telemetry.config import MqttSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.mqtt import MqttIngest
from tests.fixtures.mosquitto import Broker
from tests.poll import until

N_MESSAGES = 2000
GROUP = "ingest"


class Worker:
    """One ingest worker: a real MqttIngest in the share group, recording (train, seq)."""

    def __init__(self, url: str, client_id: str) -> None:
        settings = MqttSettings(
            url=url,
            client_id=client_id,
            shared_group=GROUP,
            keepalive_s=5,
            connect_timeout_s=2.0,
            reconnect_min_s=0.05,
            reconnect_max_s=0.4,
        )
        self.handled: list[tuple[str, int]] = []
        self.ingest = MqttIngest(settings, self.on_message, TelemetryMetrics(CollectorRegistry()))

    def on_message(self, topic: str, payload: bytes) -> None:
        body = json.loads(payload)
        assert topic == f"metro/2a/train/{body['train']}/event"
        self.handled.append((body["train"], body["seq"]))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.ingest:
            task = asyncio.create_task(self.ingest.run())
            yield
        await asyncio.wait({task}, timeout=10)
        assert task.done() and task.exception() is None


def messages() -> list[tuple[str, bytes, tuple[str, int]]]:
    """2,000 ICD event messages, round-robin over the fleet, seq unique per train."""
    trains = load_line().fleet.trains
    assert len(trains) == 13
    out = []
    for i in range(N_MESSAGES):
        train = trains[i % len(trains)]
        seq = i // len(trains) + 1
        ts = 1_795_350_767_000 + i
        body = {"v": 1, "ts": ts, "train": train, "seq": seq, "kind": "cab_logon"}
        out.append((f"metro/2a/train/{train}/event", json.dumps(body).encode(), (train, seq)))
    return out


SENTINEL_SEQ = 1_000_000  # seqs from here are sentinels, not data


def sentinel(n: int) -> tuple[str, bytes, tuple[str, int]]:
    body = {"v": 1, "ts": 1_795_350_800_000 + n, "train": "T01", "seq": SENTINEL_SEQ + n}
    body["kind"] = "cab_logon"
    return "metro/2a/train/T01/event", json.dumps(body).encode(), ("T01", SENTINEL_SEQ + n)


def sentinels(w: Worker) -> list[tuple[str, int]]:
    return [k for k in w.handled if k[1] >= SENTINEL_SEQ]


def sentinels_in(a: Worker, b: Worker, n: int) -> bool:
    return len(sentinels(a)) + len(sentinels(b)) == n


async def publish_all(port: int, msgs: list[tuple[str, bytes, tuple[str, int]]]) -> None:
    """Publish at QoS 1 with up to 100 in flight; returns when the broker acknowledged all."""
    async with aiomqtt.Client("127.0.0.1", port, identifier="field-publisher", timeout=5) as c:
        for start in range(0, len(msgs), 100):
            chunk = msgs[start : start + 100]
            # PUBACKs come slowly on a busy machine: allow 30 s, not 5
            await asyncio.gather(*(c.publish(t, p, qos=1, timeout=30) for t, p, _ in chunk))


async def test_two_workers_on_a_shared_subscription_handle_every_message_exactly_once(
    mosquitto: Broker,
) -> None:
    a = Worker(mosquitto.url, "ingest-worker-a")
    b = Worker(mosquitto.url, "ingest-worker-b")
    assert all(t.startswith(f"$share/{GROUP}/metro/2a/") for t, _ in a.ingest.subscriptions())
    msgs = messages()
    sent = {key for _, _, key in msgs}
    assert len(sent) == N_MESSAGES  # every message is identifiable

    async with a.running(), b.running():
        await until(lambda: a.ingest.connected and b.ingest.connected, 10)
        await publish_all(mosquitto.port, msgs)
        await until(lambda: len(a.handled) + len(b.handled) >= N_MESSAGES, 20)
        # sentinels, published after everything else, until each worker has one: a message
        # delivered twice to a worker would have come before its sentinel
        n = 0
        while not (sentinels(a) and sentinels(b)):
            assert n < 50, "the share group gave every sentinel to one worker"
            n += 1
            await publish_all(mosquitto.port, [sentinel(n)])
            await until(partial(sentinels_in, a, b, n), 10, what=f"sentinel {n}")
        for w in (a, b):
            w.handled = [k for k in w.handled if k[1] < SENTINEL_SEQ]

    got_a, got_b = set(a.handled), set(b.handled)
    assert len(got_a) == len(a.handled) and len(got_b) == len(b.handled)  # no repeats in a worker
    assert got_a | got_b == sent  # nothing lost
    assert not got_a & got_b  # nothing handled by both
    assert len(a.handled) + len(b.handled) == N_MESSAGES
    # both workers took a real share (mosquitto distributes round-robin within a group)
    assert min(len(got_a), len(got_b)) >= N_MESSAGES // 4, (len(got_a), len(got_b))
    # every train's stream was split too: per-train order is not a worker's concern
    per_train = Counter(train for train, _ in got_a)
    assert len(per_train) == 13
