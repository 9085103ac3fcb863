"""One field unit's MQTT link: its own connection, birth and last will, outbox and reconnects.

Each on-board unit is a separate MQTT client, because the last will (``online:false`` on the
train's retained status topic) belongs to a connection. The emulator hands messages to
:meth:`FieldLink.offer` without awaiting; the link's :meth:`FieldLink.run` loop connects,
publishes the birth message, drains the outbox and reconnects with backoff when the broker goes
away. While disconnected, QoS 0 messages are dropped (telemetry is only worth its freshness, as
on a real radio link) and QoS 1 messages wait in a bounded outbox (an on-board unit buffers its
events), sent in order after reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import structlog

from telemetry.config import BrokerAddress

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One MQTT message to publish."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


@dataclass(frozen=True, slots=True)
class LinkOptions:
    """Connection parameters shared by every link of an emulator."""

    keepalive_s: int = 10
    timeout_s: float = 5.0
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 10.0
    max_queued: int = 1000
    ca_file: Path | None = None


class FieldLink:
    """An MQTT connection of one field unit (a train's on-board unit, the AFC gateway).

    ``will`` is registered with the broker at every connect; ``birth`` (a callable, so it can
    carry the current timestamp) is published retained right after; ``farewell`` is published
    on a clean stop (cancellation), which the broker does not do for a clean disconnect.
    """

    def __init__(
        self,
        client_id: str,
        address: BrokerAddress,
        options: LinkOptions,
        *,
        will: Outgoing | None = None,
        birth: Callable[[], Outgoing] | None = None,
        farewell: Callable[[], Outgoing | None] | None = None,
    ) -> None:
        self.client_id = client_id
        self._address = address
        self._opt = options
        self._will = will
        self._birth = birth
        self._farewell = farewell
        self._queue: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        self.connected = False
        self.connects = 0
        self.published = 0
        self.dropped = 0

    def offer(self, msg: Outgoing) -> None:
        """Queue a message without blocking.

        QoS 0 is dropped while disconnected; when the outbox is full the oldest goes.
        """
        if msg.qos == 0 and not self.connected:
            self.dropped += 1
            return
        if len(self._queue) >= self._opt.max_queued:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(msg)
        self._wake.set()

    def _client(self) -> aiomqtt.Client:
        a = self._address
        tls = ssl.create_default_context(cafile=self._opt.ca_file) if a.tls else None
        will = None
        if self._will is not None:
            w = self._will
            will = aiomqtt.Will(w.topic, w.payload, w.qos, w.retain)
        client = aiomqtt.Client(
            a.host,
            a.port,
            username=a.username,
            password=a.password,
            identifier=self.client_id,
            will=will,
            keepalive=self._opt.keepalive_s,
            timeout=self._opt.timeout_s,  # CONNACK, PUBACK and DISCONNECT waits
            tls_context=tls,
        )
        # aiomqtt has no knob for paho's TCP/TLS connect timeout (5 s), which runs in an executor
        # thread where cancelling cannot reach it: bound it there
        client._client.connect_timeout = self._opt.timeout_s
        return client

    async def run(self) -> None:
        """Connect, publish, reconnect with backoff — until cancelled."""
        delay = self._opt.reconnect_min_s
        failing = False
        while True:
            try:
                async with self._client() as client:
                    self.connected = True
                    self.connects += 1
                    delay = self._opt.reconnect_min_s
                    if failing:
                        log.info("emulator link reconnected", client=self.client_id)
                        failing = False
                    if self._birth is not None:
                        await self._send(client, self._birth())
                    await self._pump(client)
            except aiomqtt.MqttError as exc:
                # an outage: log once at warning, then quietly until it recovers
                (log.debug if failing else log.warning)(
                    "emulator link down", client=self.client_id, error=str(exc)
                )
                failing = True
            finally:
                self.connected = False
            _raise_if_cancelling()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._opt.reconnect_max_s)

    async def _send(self, client: aiomqtt.Client, m: Outgoing) -> None:
        await client.publish(
            m.topic, m.payload, qos=m.qos, retain=m.retain, timeout=self._opt.timeout_s
        )
        self.published += 1

    async def _pump(self, client: aiomqtt.Client) -> None:
        try:
            while True:
                _raise_if_cancelling()
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    # leave the message queued until the broker has it: a QoS 1 event that
                    # fails here is sent again after the reconnect
                    await self._send(client, self._queue[0])
                    self._queue.popleft()
        except asyncio.CancelledError:
            last = self._farewell() if self._farewell is not None else None
            if last is not None:
                with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                    async with asyncio.timeout(2.0):
                        await self._send(client, last)
            raise


def _raise_if_cancelling() -> None:
    """Deliver a cancellation that Python 3.11's ``asyncio.wait_for`` swallowed.

    aiomqtt waits for CONNACK and PUBACK with ``wait_for``; on 3.11, a cancel arriving in the
    same loop pass as the ack is lost (fixed in 3.12), and the link then waited for work
    forever while its task group waited for it: the emulator hung on stop.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
