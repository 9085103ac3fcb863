"""MQTT ingest against a real mosquitto on a free port, fed by a real MQTT publisher."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import random
import shutil
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiomqtt
import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from telemetry.config import MqttSettings, parse_mqtt_url
from telemetry.metrics import TelemetryMetrics
from telemetry.mqtt import Backoff, MqttIngest, icd_subscriptions
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port
from tests.poll import elapsed_until, until

LINE = "2a"
ICD_SUBS = [
    ("metro/2a/train/+/telemetry", 0),
    ("metro/2a/train/+/event", 1),
    ("metro/2a/train/+/status", 1),
    ("metro/2a/station/+/flow", 1),
]


def fast(url: str, **kw: Any) -> MqttSettings:
    """Settings with test-sized timeouts and backoff."""
    base: dict[str, Any] = {
        "url": url,
        "line": LINE,
        "client_id": "ingest-test",
        "keepalive_s": 5,
        "connect_timeout_s": 2.0,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.4,
        "max_queued_messages": 10_000,
    }
    return MqttSettings(**(base | kw))


class Probe:
    """An ingest wired to a recording callback and its own metrics registry."""

    def __init__(
        self, settings: MqttSettings, on_message: Callable[[str, bytes], None] | None = None
    ) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.registry = CollectorRegistry()
        self.ingest = MqttIngest(
            settings, on_message or self.record, TelemetryMetrics(self.registry)
        )

    def record(self, topic: str, payload: bytes) -> None:
        self.got.append((topic, payload))

    def seqs(self) -> set[int]:
        return {json.loads(p)["seq"] for t, p in self.got if t.endswith("/event")}

    def connects(self, result: str) -> float:
        v = self.registry.get_sample_value("metro_mqtt_connects_total", {"result": result})
        return v or 0.0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.Task[None]]:
        """Run the ingest; leaving stops it through its ``__aexit__`` alone."""
        async with self.ingest:
            task = asyncio.create_task(self.ingest.run())
            yield task
        # __aexit__ stopped run(), which returned normally
        assert task.done() and not task.cancelled() and task.exception() is None
        assert not self.ingest.connected


SENTINEL_SEQ = 1_000_000  # event seqs from here are sentinels, not data


async def until_sentinels(url: str, *probes: Probe) -> None:
    """Publish sentinel events until each probe has one (a share group gives each message to
    one member), then forget them: whatever the broker sent a probe earlier has arrived."""

    def sentinels() -> list[int]:
        return [sum(1 for s in p.seqs() if s >= SENTINEL_SEQ) for p in probes]

    n = 0
    while not all(sentinels()):
        assert n < 50, "sentinels never reached every probe"
        n += 1
        await publish(url, [event(SENTINEL_SEQ + n)])
        await until(lambda: sum(sentinels()) == n, what=f"sentinel {n}")  # noqa: B023
    for p in probes:
        p.got = [
            (t, m)
            for t, m in p.got
            if not t.endswith("/event") or json.loads(m)["seq"] < SENTINEL_SEQ
        ]


def event(seq: int, train: str = "T07") -> tuple[str, bytes]:
    body = {"v": 1, "ts": 1_795_350_767_241 + seq, "train": train, "seq": seq, "kind": "cab_logon"}
    return f"metro/{LINE}/train/{train}/event", json.dumps(body).encode()


async def publish(
    url: str,
    msgs: list[tuple[str, bytes]],
    *,
    qos: int = 1,
    retain: bool = False,
    pace_s: float = 0.0,
    tls: ssl.SSLContext | None = None,
) -> int:
    """Publish in order, reconnecting and resending until the broker acknowledged each one
    (at least once, like a field unit's outbox). Returns the number of connections used."""
    a = parse_mqtt_url(url)
    pending = list(reversed(msgs))
    connections = 0
    while pending:
        try:
            async with aiomqtt.Client(
                a.host,
                a.port,
                username=a.username,
                password=a.password,
                timeout=1.0,
                tls_context=tls,
            ) as client:
                connections += 1
                while pending:
                    topic, payload = pending[-1]
                    await client.publish(topic, payload, qos=qos, retain=retain, timeout=1.0)
                    pending.pop()
                    if pace_s:
                        await asyncio.sleep(pace_s)
        except aiomqtt.MqttError:
            await asyncio.sleep(0.05)
    return connections


def test_subscriptions_follow_the_icd_and_the_shared_group() -> None:
    assert icd_subscriptions("2a") == ICD_SUBS
    shared = icd_subscriptions("3", "ingest")
    assert shared[1] == ("$share/ingest/metro/3/train/+/event", 1)
    assert [q for _, q in shared] == [0, 1, 1, 1]


def test_backoff_grows_with_jitter_within_bounds_and_resets() -> None:
    b = Backoff(0.5, 30.0, random.Random(7))
    delays = [b.next() for _ in range(40)]
    assert all(0.5 <= d <= 30.0 for d in delays)
    assert max(delays[:3]) < 13.5  # at most 3× per step from 0.5 s
    assert max(delays) == 30.0  # reaches the cap
    assert len(set(delays)) > 10  # jittered, not a fixed ladder
    b.reset()
    assert 0.5 <= b.next() <= 1.5


async def test_all_four_icd_kinds_arrive_with_topic_and_payload(mosquitto: Broker) -> None:
    probe = Probe(fast(mosquitto.url))
    assert probe.ingest.subscriptions() == ICD_SUBS
    kinds = [
        ("metro/2a/train/T07/telemetry", b'{"v":1,"seq":1,"speed_kmh":62.1}', 0, False),
        ("metro/2a/train/T07/event", b'{"v":1,"seq":1,"kind":"cab_logon"}', 1, False),
        ("metro/2a/train/T07/status", b'{"v":1,"online":true}', 1, True),
        ("metro/2a/station/HD/flow", b'{"v":1,"station":"HD","entries":412}', 1, False),
    ]
    async with probe.running():
        await until(lambda: probe.ingest.connected)
        for topic, payload, qos, retain in kinds:
            await publish(mosquitto.url, [(topic, payload)], qos=qos, retain=retain)
        # not ours: another line, another kind; then a sentinel of ours, after which anything
        # that should not come would already have come
        done = ("metro/2a/train/T08/event", b'{"v":1,"seq":9,"kind":"sentinel"}')
        not_ours = [("metro/3/train/T07/event", b"{}"), ("metro/2a/x", b"")]
        await publish(mosquitto.url, [*not_ours, done])
        await until(lambda: done in probe.got)
        assert sorted(probe.got) == sorted([*((t, p) for t, p, _, _ in kinds), done])
        assert all(type(p) is bytes for _, p in probe.got)
        assert probe.ingest.connects == 1 and probe.connects("ok") == 1
        assert probe.connects("error") == 0


async def test_broker_restart_with_sigterm_mid_stream_loses_no_qos1_event(
    mosquitto: Broker,
) -> None:
    with capture_logs() as logs:
        probe = Probe(fast(mosquitto.url))
        async with probe.running():
            await until(lambda: probe.ingest.connected)
            stream = asyncio.create_task(
                publish(mosquitto.url, [event(i) for i in range(300)], pace_s=0.003)
            )
            await until(lambda: len(probe.got) >= 80)
            await asyncio.to_thread(mosquitto.restart)  # SIGTERM: mosquitto saves its queues
            restarted_at = len(probe.got)
            async with asyncio.timeout(30):
                publisher_connections = await stream
            await until(lambda: probe.seqs() == set(range(300)), timeout_s=15)
    assert restarted_at < 300  # the restart did fall in the middle of the stream
    assert publisher_connections >= 2
    assert probe.ingest.connects >= 2 and probe.connects("ok") >= 2
    errors = [e["event"] for e in logs if e["log_level"] == "error"]
    assert errors == ["mqtt connection lost"]  # one ERROR for the outage, the rest DEBUG
    assert any(e["event"] == "mqtt reconnected" for e in logs)


async def test_qos1_messages_sent_while_stopped_arrive_on_restart(mosquitto: Broker) -> None:
    settings = fast(mosquitto.url)
    first = Probe(settings)
    async with first.running():
        await until(lambda: first.ingest.connected)  # the broker now holds our session
    offline = [event(i) for i in range(50)]
    offline.append(("metro/2a/station/HD/flow", b'{"v":1,"entries":7}'))
    offline.append(("metro/2a/train/T07/status", b'{"v":1,"online":false}'))
    await publish(mosquitto.url, offline, qos=1)
    await publish(mosquitto.url, [("metro/2a/train/T07/telemetry", b'{"seq":1}')], qos=1)

    again = Probe(settings)  # same client id
    async with again.running():
        await until(lambda: len(again.got) >= len(offline))
        await until_sentinels(mosquitto.url, again)  # anything else kept came before them
    assert sorted(again.got) == sorted(offline)
    # telemetry is subscribed at QoS 0, so the broker does not keep it for us (ICD: only
    # worth its freshness) even though it was published at QoS 1
    assert not any(t.endswith("/telemetry") for t, _ in again.got)


async def test_stopping_and_restarting_the_ingest_mid_stream_loses_no_qos1_event(
    mosquitto: Broker,
) -> None:
    # paho acknowledges a message as soon as it is queued in aiomqtt: stopping must hand over
    # what is queued, and the broker keeps the rest for the next run with the same client id
    settings = fast(mosquitto.url)
    first, second = Probe(settings), Probe(settings)
    async with first.running():
        await until(lambda: first.ingest.connected)
        stream = asyncio.create_task(publish(mosquitto.url, [event(i) for i in range(600)]))
        await until(lambda: len(first.got) >= 150)
    stopped_at = len(first.got)
    async with second.running():
        async with asyncio.timeout(30):
            await stream
        await until(lambda: (first.seqs() | second.seqs()) == set(range(600)))
    assert stopped_at < 600 and second.got  # the stop did fall in the middle of the stream


async def test_without_a_persistent_session_offline_events_are_not_kept(
    mosquitto: Broker,
) -> None:
    settings = fast(mosquitto.url, persistent_session=False)
    first = Probe(settings)
    async with first.running():
        await until(lambda: first.ingest.connected)
    await publish(mosquitto.url, [event(i) for i in range(5)])
    again = Probe(settings)
    async with again.running():
        await until(lambda: again.ingest.connected)
        await publish(mosquitto.url, [event(99)])
        # the sentinel: events kept for us would have been delivered before it
        await until(lambda: 99 in again.seqs())
    assert again.seqs() == {99}


async def test_a_callback_that_raises_does_not_stop_the_others(mosquitto: Broker) -> None:
    seen: list[int] = []

    def fragile(topic: str, payload: bytes) -> None:
        seq = json.loads(payload)["seq"]
        seen.append(seq)
        if 3 <= seq <= 7:
            raise ValueError(f"bug on {seq}")

    with capture_logs() as logs:
        probe = Probe(fast(mosquitto.url), fragile)
        async with probe.running():
            await until(lambda: probe.ingest.connected)
            await publish(mosquitto.url, [event(i) for i in range(20)])
            await until(lambda: len(seen) >= 20)
            assert probe.ingest.connected and probe.ingest.connects == 1
    assert sorted(seen) == list(range(20))
    assert probe.ingest.callback_errors == 5
    failures = [e for e in logs if e["event"] == "mqtt message callback failed"]
    assert len(failures) == 1  # rate-limited: one line for the burst
    assert failures[0]["log_level"] == "error" and failures[0]["exc_info"] is True


async def test_shared_subscription_splits_the_stream_between_workers(mosquitto: Broker) -> None:
    a = Probe(fast(mosquitto.url, client_id="ingest-a", shared_group="ingest"))
    b = Probe(fast(mosquitto.url, client_id="ingest-b", shared_group="ingest"))
    assert a.ingest.subscriptions()[0] == ("$share/ingest/metro/2a/train/+/telemetry", 0)
    async with a.running(), b.running():
        await until(lambda: a.ingest.connected and b.ingest.connected)
        await publish(mosquitto.url, [event(i) for i in range(40)])
        await until(lambda: len(a.got) + len(b.got) >= 40)
        await until_sentinels(mosquitto.url, a, b)  # a message sent twice came before them
    assert a.got and b.got  # both workers took a share
    assert len(a.got) + len(b.got) == 40  # and no message went to both
    assert a.seqs() | b.seqs() == set(range(40))


def password_file(path: Path, user: str, password: str) -> Path:
    """A mosquitto password file: with mosquitto_passwd, else in its ``$7$`` format
    (PBKDF2-SHA512, 101 iterations, 12-byte salt, as mosquitto 2.0 writes it)."""
    tool = shutil.which("mosquitto_passwd")
    if tool:
        path.touch()
        subprocess.run([tool, "-b", str(path), user, password], check=True, timeout=10)
    else:
        salt = os.urandom(12)
        digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101, 64)
        b64 = base64.b64encode
        path.write_text(f"{user}:$7$101${b64(salt).decode()}${b64(digest).decode()}\n")
    path.chmod(0o644)  # mosquitto reads it after dropping to its own user
    return path


@pytest.fixture
def locked_broker(make_mosquitto: Callable[..., Broker], tmp_path: Path) -> Broker:
    pw = password_file(tmp_path / "passwd", "metro", "p@ss:w/rd")
    return make_mosquitto(extra_conf=f"password_file {pw}\n", anonymous=False)


def with_credentials(broker: Broker, user: str, password: str) -> str:
    return f"mqtt://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{broker.port}"


async def test_right_credentials_connect(locked_broker: Broker) -> None:
    url = with_credentials(locked_broker, "metro", "p@ss:w/rd")
    probe = Probe(fast(url))
    async with probe.running():
        await until(lambda: probe.ingest.connected)
        await publish(url, [event(1)])
        await until(lambda: probe.seqs() == {1})
    assert probe.connects("error") == 0


async def test_wrong_credentials_retry_with_backoff_and_never_crash(locked_broker: Broker) -> None:
    url = with_credentials(locked_broker, "metro", "wrong")
    with capture_logs() as logs:
        probe = Probe(fast(url))
        async with probe.running() as task:
            await until(lambda: probe.connects("error") >= 3)
            await asyncio.sleep(1.5)
            assert not task.done()  # still trying
            assert not probe.ingest.connected and probe.ingest.connects == 0
    attempts = probe.connects("error")
    # backoff from 0.05 s up to 0.4 s: far fewer attempts than 2 s / 0.05 s = 40 without it
    assert 4 <= attempts <= 20
    assert probe.connects("ok") == 0
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [e["event"] for e in errors] == ["mqtt broker unreachable"]  # once per outage
    assert "not authori" in errors[0]["error"].lower()
    quiet = [e for e in logs if e["event"] == "mqtt still unreachable"]
    assert quiet and all(e["log_level"] == "debug" for e in quiet)


def make_pki(d: Path) -> dict[str, Path]:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(
        "req",
        "-x509",
        *ec,
        "-keyout",
        f"{d}/ca.key",
        "-out",
        f"{d}/ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=metro-test-ca",
    )
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "")):
        run(
            "req",
            *ec,
            "-keyout",
            f"{d}/{name}.key",
            "-out",
            f"{d}/{name}.csr",
            "-subj",
            f"/CN=metro-{name}",
        )
        (d / f"{name}.ext").write_text(ext + "\n")
        run(
            "x509",
            "-req",
            "-in",
            f"{d}/{name}.csr",
            "-CA",
            f"{d}/ca.crt",
            "-CAkey",
            f"{d}/ca.key",
            "-CAcreateserial",
            "-out",
            f"{d}/{name}.crt",
            "-days",
            "1",
            "-extfile",
            f"{d}/{name}.ext",
        )
    return {n: d / n for n in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


async def test_tls_with_ca_and_client_certificate(
    make_mosquitto: Callable[..., Broker], tmp_path: Path
) -> None:
    pki = make_pki(tmp_path)
    broker = make_mosquitto(
        extra_conf=(
            f"cafile {pki['ca.crt']}\ncertfile {pki['server.crt']}\n"
            f"keyfile {pki['server.key']}\nrequire_certificate true\n"
        )
    )
    url = f"mqtts://127.0.0.1:{broker.port}"
    tls = ssl.create_default_context(cafile=pki["ca.crt"])
    tls.load_cert_chain(pki["client.crt"], pki["client.key"])
    probe = Probe(
        fast(url, ca_file=pki["ca.crt"], cert_file=pki["client.crt"], key_file=pki["client.key"])
    )
    async with probe.running():
        await until(lambda: probe.ingest.connected)
        await publish(url, [event(1)], tls=tls)
        await until(lambda: probe.seqs() == {1})
    # without the client certificate the broker refuses it: retried, never connected (with
    # TLS 1.3 the refusal comes after the handshake, so each attempt ends at the CONNACK
    # timeout — aiomqtt does not notice a connection closed before CONNACK)
    refused = Probe(fast(url, ca_file=pki["ca.crt"], connect_timeout_s=0.3))
    async with refused.running():
        await until(lambda: refused.connects("error") >= 2)
        assert not refused.ingest.connected


async def test_unanswered_connect_times_out_and_stops_cleanly() -> None:
    # a TCP server that accepts and never answers CONNECT (a hung broker)
    accepted: list[asyncio.StreamWriter] = []

    async def mute(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    port = free_port()
    server = await asyncio.start_server(mute, "127.0.0.1", port)
    try:
        probe = Probe(fast(f"mqtt://127.0.0.1:{port}", connect_timeout_s=0.3))
        async with probe.running():
            took = await elapsed_until(lambda: probe.connects("error") >= 2)
            assert not probe.ingest.connected
        assert took < 2.0  # two 0.3 s timeouts plus backoff, not paho's or the OS's defaults
    finally:
        for w in accepted:
            w.close()
        server.close()
        await server.wait_closed()


async def test_stopping_while_the_broker_is_down_is_prompt(mosquitto: Broker) -> None:
    probe = Probe(fast(mosquitto.url, reconnect_max_s=5.0))
    async with probe.running():
        await until(lambda: probe.ingest.connected)
        await asyncio.to_thread(mosquitto.stop)
        await until(lambda: probe.connects("error") >= 3)
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 1.0
