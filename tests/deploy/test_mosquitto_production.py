"""The production broker configuration (deploy/mosquitto/) run for real.

mosquitto 2.0 has no "check the configuration" mode, so the test starts it with the production
file itself — only the port, certificate paths, persistence directory and log destination
rewritten — and throwaway certificates made with openssl for this test.

Proves: the file is accepted (the broker keeps running and serves TLS); a client without a
certificate is refused; a device may publish its own ICD topics and nothing else (not another
train's, not a station's), and may not read the stream; the services' identities may read,
also through a shared subscription; a QoS 1 message queued for an absent persistent session
survives a broker crash (SIGKILL) thanks to the one-second autosave; and the committed ACL is
what deploy/mosquitto/gen_acl.py makes from the line data.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt
import pytest

from tests.fixtures.mosquitto import MOSQUITTO
from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
ACL = ROOT / "deploy" / "mosquitto" / "acl"


def directives(text: str) -> list[tuple[str, str]]:
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            out.append((key, value.strip()))
    return out


def openssl(*args: str, cwd: Path) -> None:
    tool = shutil.which("openssl")
    if tool is None:
        pytest.fail("openssl is not installed (apt-get install openssl)")
    subprocess.run([tool, *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_certs(d: Path, clients: list[str]) -> None:
    """A CA, a broker certificate for 127.0.0.1 and one client certificate per identity."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=metro-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ext in [("broker", ["-extfile", "san.ext"]), *[(c, []) for c in clients]]:
        cn = "localhost" if name == "broker" else name
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
                cwd=d)  # fmt: skip
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", *ext,
            cwd=d,
        )  # fmt: skip
    for f in d.iterdir():
        f.chmod(0o644)  # mosquitto may read them as its own user


class ProdBroker:
    """mosquitto on the production configuration, on a free port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.certs = workdir / "certs"
        self.certs.mkdir()
        make_certs(self.certs, ["train-T01", "metro-ops-ingest", "metro-ops-api"])
        persist = workdir / "persist"
        persist.mkdir()
        persist.chmod(0o777)  # writable by the user mosquitto drops to, as in production
        text = CONF.read_text()
        subs = [
            (r"(?m)^listener 8883$", f"listener {self.port} 127.0.0.1"),
            (r"/etc/mosquitto/certs/", f"{self.certs}/"),
            (r"(?m)^acl_file /etc/mosquitto/acl$", f"acl_file {ACL}"),
            (r"(?m)^persistence_location /var/lib/mosquitto/$", f"persistence_location {persist}/"),
        ]
        for pattern, repl in subs:
            text, n = re.subn(pattern, repl, text)
            assert n >= 1, f"production conf no longer has {pattern!r}"
        if os.geteuid() == 0:  # pytest's temp dirs are private to root: do not drop to mosquitto
            text += "\nuser root\n"
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(text)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                pytest.fail(f"mosquitto refused the production configuration: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail("mosquitto did not listen in time")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def tls(self, identity: str | None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.certs / "ca.crt"))
        if identity is not None:
            ctx.load_cert_chain(self.certs / f"{identity}.crt", self.certs / f"{identity}.key")
        return ctx

    @asynccontextmanager
    async def client(
        self,
        identity: str | None,
        client_id: str | None = None,
        *,
        clean: bool = True,
        timeout_s: float = 3.0,
    ) -> AsyncIterator[aiomqtt.Client]:
        async with aiomqtt.Client(
            "127.0.0.1",
            self.port,
            identifier=client_id or f"{identity}-{time.monotonic_ns()}",
            tls_context=self.tls(identity),
            clean_session=clean,
            timeout=timeout_s,
        ) as c:
            yield c


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[ProdBroker]:
    tmp_path.chmod(0o755)
    b = ProdBroker(tmp_path)
    b.start()
    try:
        yield b
    finally:
        b.stop()


def test_the_production_conf_is_hardened() -> None:
    d = directives(CONF.read_text())
    keys = dict(d)
    assert [v for k, v in d if k == "listener"] == ["8883"]  # TLS only, no plain 1883
    assert keys["require_certificate"] == "true" and keys["use_identity_as_username"] == "true"
    assert keys["allow_anonymous"] == "false" and keys["acl_file"]
    assert keys["persistence"] == "true" and keys["persistence_location"].startswith("/var/lib/")
    assert int(keys["autosave_interval"]) <= 5  # crash loses at most a few seconds of queue


def test_the_committed_acl_is_generated_from_the_line_data() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "mosquitto" / "gen_acl.py")],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert out == ACL.read_text(), (
        "run: uv run python deploy/mosquitto/gen_acl.py > deploy/mosquitto/acl"
    )


async def drain(messages: list[aiomqtt.Message], client: aiomqtt.Client, until: str) -> None:
    async with asyncio.timeout(5):
        async for m in client.messages:
            messages.append(m)
            if m.topic.value == until:
                return


async def test_devices_publish_only_their_own_topics(broker: ProdBroker) -> None:
    got: list[aiomqtt.Message] = []
    async with (
        broker.client("metro-ops-ingest") as reader,
        broker.client("metro-ops-api") as shared,
        broker.client("train-T01") as train,
    ):
        granted = await reader.subscribe("metro/2a/#", qos=1)
        assert [int(getattr(g, "value", g)) for g in granted] == [1]
        granted = await shared.subscribe("$share/api/metro/2a/train/+/event", qos=1)
        assert [int(getattr(g, "value", g)) for g in granted] == [1]
        # a device may not read the stream: mosquitto 2.0 grants the SUBSCRIBE but delivers
        # nothing the ACL does not let it read (checked below: not even its own messages)
        await train.subscribe("metro/2a/#", qos=1)

        await train.publish("metro/2a/train/T02/telemetry", b"spoofed T02", qos=1)
        await train.publish("metro/2a/station/HD/flow", b"not a gate", qos=1)
        await train.publish("metro/2a/train/T01/command", b"not an ICD topic", qos=1)
        await train.publish("metro/2b/train/T01/telemetry", b"another line", qos=1)
        await train.publish("metro/2a/train/T01/telemetry", b"own telemetry", qos=0)
        await train.publish("metro/2a/train/T01/event", b"own event", qos=1)
        await drain(got, reader, until="metro/2a/train/T01/event")
        shared_got: list[aiomqtt.Message] = []
        await drain(shared_got, shared, until="metro/2a/train/T01/event")
        await asyncio.sleep(0.3)
        assert len(train.messages) == 0
    assert [(m.topic.value, m.payload) for m in got] == [
        ("metro/2a/train/T01/telemetry", b"own telemetry"),
        ("metro/2a/train/T01/event", b"own event"),
    ]
    assert [m.payload for m in shared_got] == [b"own event"]


async def test_a_client_without_a_certificate_is_refused(broker: ProdBroker) -> None:
    with pytest.raises(aiomqtt.MqttError):
        # TLS 1.3 finishes the client's side of the handshake before the broker checks for a
        # certificate: the refusal shows as a connection closed before CONNACK
        async with broker.client(None, "anonymous", timeout_s=1.0):
            pass


async def test_queued_qos1_survives_a_broker_crash(broker: ProdBroker) -> None:
    # a persistent session subscribes, then goes away
    async with broker.client("metro-ops-ingest", "ingest-1", clean=False) as c:
        await c.subscribe("metro/2a/train/+/event", qos=1)
    async with broker.client("train-T01") as train:
        await train.publish("metro/2a/train/T01/event", b"queued while away", qos=1)
    await asyncio.sleep(2.2)  # two autosave intervals
    broker.stop(signal.SIGKILL)  # a crash: nothing is saved on the way down
    broker.start()
    got: list[aiomqtt.Message] = []
    async with broker.client("metro-ops-ingest", "ingest-1", clean=False) as c:
        await drain(got, c, until="metro/2a/train/T01/event")
    assert [m.payload for m in got] == [b"queued while away"]
