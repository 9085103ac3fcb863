"""100,000 hostile telemetry payloads through the real decoder, pipeline, state and history
store: nothing raises, every message is either applied, ignored as stale or rejected by reason,
and the totals add up. Then a few thousand of them through a real mosquitto to a running
metro-ops: the ingest stays up, ``/healthz`` stays OK and good traffic still reaches the board.

The stream comes from :class:`tests.reliability.fuzz.FuzzStream` (seeded: a failure names the
index of the message, and the same seed replays it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as paho
from prometheus_client import CollectorRegistry

from line import load_line
from services.runtime import build_runtime
from services.settings import Settings
from telemetry.alarms import AlarmBook
from telemetry.board import board_snapshot
from telemetry.config import HistorySettings, StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.mqtt import icd_subscriptions
from telemetry.pipeline import Pipeline
from telemetry.rejects import RejectLog
from telemetry.schemas import Decoder, RejectReason
from telemetry.sinks.embedded import EmbeddedStore
from telemetry.state import LineState
from tests.api.test_serve import OPERATOR_TOKEN, Publisher, serving, telemetry, until
from tests.fixtures.mosquitto import Broker
from tests.reliability.fuzz import TS_NOW_MS, FuzzStream

LINE = load_line()
CANARY = "T13"  # never fuzzed: proves good traffic still flows afterwards
N_MESSAGES = 100_000


def counter_values(registry: CollectorRegistry, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for metric in registry.collect():
        for s in metric.samples:
            if s.name == name:
                out[s.labels[label]] = s.value
    return out


def as_http_json(obj: Any) -> bytes:
    """Serialise like Starlette's JSONResponse (NaN refused, UTF-8) — and like the websocket
    hub (orjson, 64-bit integers only): a value either cannot take is a 500 or a dead hub."""
    orjson.dumps(obj)
    return json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")


async def test_100k_fuzzed_payloads_never_crash_and_every_one_is_accounted_for(
    tmp_path: Path,
) -> None:
    now = [TS_NOW_MS]

    def clock() -> int:
        return now[0]

    registry = CollectorRegistry()
    metrics = TelemetryMetrics(registry)
    alarms = AlarmBook(clock)
    state = LineState(LINE, StateSettings(), alarms, metrics)
    rejects = RejectLog()
    store = EmbeddedStore(
        HistorySettings(embedded_path=tmp_path / "history.sqlite"), metrics, clock=clock
    )
    decoder = Decoder(
        LINE.id, frozenset(LINE.fleet.trains), frozenset(LINE.station_ids), LINE.length_m
    )
    pipeline = Pipeline(decoder, state, [store], metrics, rejects, clock)
    stream = FuzzStream(
        seed=20260528,
        trains=tuple(LINE.fleet.trains),
        stations=LINE.station_ids,
        length_m=LINE.length_m,
        canary=frozenset({CANARY}),
    )
    failures: list[str] = []
    mutations: Counter[str] = Counter()
    async with store:
        for i, (topic, payload, mutation) in enumerate(stream.messages(N_MESSAGES)):
            mutations[mutation] += 1
            now[0] += 10  # 100 messages per second of wall time
            try:
                pipeline.on_mqtt(topic, payload)
            except Exception as exc:  # the test's point: collect every one, then fail
                failures.append(f"#{i} {mutation} {topic!r} {payload[:120]!r}: {exc!r}")
            if i % 2000 == 1999:
                # what the running app does meanwhile: the ticker, the history flush, and
                # serving the board, the alarms and the rejects as JSON
                try:
                    state.tick(clock())
                    as_http_json(board_snapshot(state, clock()))
                    as_http_json(rejects.to_dict())
                    as_http_json([a.to_dict() for a in alarms.history(1000)])
                except Exception as exc:
                    failures.append(f"after #{i}: serving the state failed: {exc!r}")
                try:
                    await store.flush()  # a raise here would end the app's task group
                except Exception as exc:
                    failures.append(f"after #{i}: the history flush failed: {exc!r}")
        # good traffic still flows, through the same pipeline
        for seq in (1, 2):
            good = telemetry(CANARY, seq, 2000.0 + seq)
            pipeline.on_mqtt(f"metro/2a/train/{CANARY}/telemetry", good)
        await store.flush()
        written, dropped = store.stats().written, store.stats().dropped
    assert not failures, f"{len(failures)} failures, first: " + "\n".join(failures[:8])

    # every message is counted exactly once: valid by kind, or rejected by reason
    valid = counter_values(registry, "metro_messages_total", "kind")
    rejected = counter_values(registry, "metro_rejects_total", "reason")
    total = N_MESSAGES + 2
    assert sum(valid.values()) + sum(rejected.values()) == total, (valid, rejected)
    assert rejects.total == sum(rejected.values())
    assert rejects.counts() == {k: int(v) for k, v in rejected.items() if v}
    # the stream reached every reject reason, and plenty of valid messages
    assert set(rejects.counts()) == {r.value for r in RejectReason}, rejects.counts()
    assert valid["telemetry"] > 5_000 and valid["event"] > 1_000 and valid["flow"] > 500
    assert mutations["valid"] > 10_000 and len(mutations) == 14

    # a valid message is applied (and so kept in history) unless it is stale: repeated or
    # older than what the train already reported — and then it is counted as such
    stale = counter_values(registry, "metro_stale_messages_total", "kind")
    with contextlib.closing(sqlite3.connect(tmp_path / "history.sqlite")) as db:
        kept = dict(db.execute("SELECT measurement, count(*) FROM points GROUP BY measurement"))
    assert dropped == 0 and written == sum(kept.values())
    assert kept["train"] == valid["telemetry"] - stale.get("telemetry", 0)
    assert kept["train_event"] == valid["event"] - stale.get("event", 0)
    assert kept["station_flow"] == valid["flow"]
    assert stale["telemetry"] > 0 and stale["event"] > 0  # repeats and late ones were seen

    canary = state.trains[CANARY]
    assert canary.seq.last_seq == 2 and canary.pos_m == 2002.0


def _deliverable(topic: str, payload: bytes) -> bool:
    """What an MQTT client can publish and our subscriptions receive: a UTF-8 topic without
    wildcards, NUL or control characters (mosquitto disconnects a client publishing one of
    those), a payload well under the broker's limit, on a topic the ICD subscribes to."""
    if not topic or len(payload) > 300_000:
        return False
    if any(c in "+#" or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in topic):
        return False
    try:
        topic.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return any(paho.topic_matches_sub(sub, topic) for sub, _ in icd_subscriptions("2a"))


async def test_fuzzed_payloads_over_mqtt_leave_the_running_ingest_healthy(
    mosquitto: Broker, tmp_path: Path
) -> None:
    settings = Settings.model_validate(
        {
            "mqtt": {"url": mosquitto.url, "client_id": "fuzz-ingest", "reconnect_min_s": 0.1},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
            "auth": {"tokens": {OPERATOR_TOKEN: "dd01:operator"}},
        }
    )
    rt = build_runtime(settings)
    rt.tick_s = 0.1
    stream = FuzzStream(
        seed=7,
        trains=tuple(LINE.fleet.trains),
        stations=LINE.station_ids,
        length_m=LINE.length_m,
        canary=frozenset({CANARY}),
        max_payload=250_000,
    )
    batch = [(t, p) for t, p, _ in stream.messages(4000) if _deliverable(t, p)]
    pub = Publisher(mosquitto.port)
    try:
        async with serving(rt) as http:

            async def mqtt_up() -> bool:
                return bool((await http.get("/healthz")).json()["mqtt_connected"])

            await until(mqtt_up)
            for topic, payload in batch:
                # QoS 1 to the broker, so none is lost on the way in; the broker then
                # delivers at the subscription's QoS (0 for telemetry)
                pub.c.publish(topic, payload, qos=1)
            pub.send(f"metro/2a/train/{CANARY}/telemetry", telemetry(CANARY, 1, 4300.0), qos=1)

            async def counted() -> float:
                text = (await http.get("/metrics")).text
                return sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith(("metro_messages_total{", "metro_rejects_total{"))
                )

            async def all_counted() -> bool:
                return await counted() >= len(batch) + 1

            await until(all_counted, timeout_s=30)
            await asyncio.sleep(0.3)
            # each delivered message counted once: valid by kind or rejected by reason
            assert await counted() == len(batch) + 1
            health = await http.get("/healthz")
            assert health.status_code == 200 and health.json()["mqtt_connected"]
            assert rt.ingest is not None and rt.ingest.callback_errors == 0
            board = (await http.get("/api/board")).json()
            t13 = next(t for t in board["trains"] if t["train"] == CANARY)
            assert t13["pos_m"] == 4300.0 and t13["station"] == "TD"
            rej = await http.get("/api/rejects")
            assert rej.status_code == 200 and rej.json()["total"] > len(batch) // 2
            # the history sink is alive too: the canary's point was stored
            rows = await until(
                lambda: _history(http, CANARY),
                timeout_s=10,
            )
            assert rows[-1]["pos_m"] == 4300.0
    finally:
        pub.close()


async def _history(http: Any, train: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/history/trains/{train}", params={"minutes": 5})
    return list(r.json()["rows"]) if r.status_code == 200 else []
