"""MQTT ingest: subscribes to the ICD topics and hands every message to a synchronous callback.

One plain reconnect loop (:meth:`MqttIngest.run`), as in aiomqtt's own examples: connect,
subscribe, consume until the connection drops, wait a jittered exponential backoff, again.

No loss of QoS 1 messages across outages: the session is persistent (a fixed client id and
``clean_session=False``, MQTT 3.1.1), so the broker keeps our subscriptions and queues QoS 1
events, status and flow messages while we are away — during a network outage, a broker restart
with SIGTERM (mosquitto saves its queues), or while this process is stopped — and delivers them
after the reconnect. paho acknowledges a QoS 1 message as soon as it is put in aiomqtt's incoming
queue, so whatever is still queued when a connection ends is drained to the callback before the
client is dropped. Telemetry is QoS 0 (ICD): only worth its freshness, never queued for us.

Outages are logged the Home Assistant way: once at ERROR, then at DEBUG until the connection is
back (INFO). Each connect attempt counts in ``metro_mqtt_connects_total{result=ok|error}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import aiomqtt
import structlog
from aiomqtt.message import Message

from telemetry.config import MqttSettings
from telemetry.metrics import TelemetryMetrics

# (topic below metro/{line}/, QoS) per the ICD table
ICD_TOPICS: tuple[tuple[str, int], ...] = (
    ("train/+/telemetry", 0),
    ("train/+/event", 1),
    ("train/+/status", 1),
    ("station/+/flow", 1),
)

# a failing callback is a bug on our side; one line (with traceback) per this many seconds is
# enough to find it without flooding the log at the message rate
_CALLBACK_LOG_EVERY_S = 10.0


def icd_subscriptions(line: str, shared_group: str | None = None) -> list[tuple[str, int]]:
    """The (topic filter, QoS) pairs of the ICD for ``line``, via ``$share/<group>/`` if given."""
    prefix = f"$share/{shared_group}/" if shared_group else ""
    return [(f"{prefix}metro/{line}/{suffix}", qos) for suffix, qos in ICD_TOPICS]


class Backoff:
    """Exponential backoff with "decorrelated jitter", between ``min_s`` and ``max_s``.

    Each delay is drawn uniformly from ``[min_s, 3 × previous delay]`` and capped at ``max_s``:
    it grows exponentially on average, and workers that lost the broker at the same moment do
    not all come back at the same moment.
    """

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None) -> None:
        self.min_s = min_s
        self.max_s = max(max_s, min_s)
        self._rng = rng or random.Random()
        self._prev = min_s

    def next(self) -> float:
        """The next delay in seconds."""
        delay = min(self.max_s, self._rng.uniform(self.min_s, self._prev * 3))
        self._prev = delay
        return delay

    def reset(self) -> None:
        """Start again from ``min_s`` (after a good connection)."""
        self._prev = self.min_s


def _as_bytes(payload: object) -> bytes:
    # aiomqtt types the payload as bytes, but its PayloadType admits str and bytearray too
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, bytearray | memoryview):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()


def _tls_context(settings: MqttSettings) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    if settings.cert_file is not None:  # client certificate authentication
        ctx.load_cert_chain(
            settings.cert_file, settings.key_file if settings.key_file is not None else None
        )
    return ctx


class MqttIngest:
    """Subscribes to the ICD topics and hands every message to a synchronous callback.

    ``async with`` prepares it and, on exit, stops :meth:`run` cleanly (``run`` then returns
    normally). ``run`` is the one reconnect loop and returns only when cancelled or closed.
    ``on_message(topic, payload)`` runs on the event loop for every message; if it raises, the
    error is logged (rate-limited) and the next message is handled as usual.

    The TLS context (``mqtts://`` URLs; CA, client certificate and key files from the settings)
    is built here, so a missing or bad file fails at start-up rather than at every reconnect.
    """

    def __init__(
        self,
        settings: MqttSettings,
        on_message: Callable[[str, bytes], None],
        metrics: TelemetryMetrics,
        *,
        logger: structlog.stdlib.BoundLogger | None = None,
    ) -> None:
        self._settings = settings
        self._address = settings.address()
        self._on_message = on_message
        self._subs = icd_subscriptions(settings.line, settings.shared_group)
        self._tls = _tls_context(settings) if self._address.tls else None
        # a fresh logger bound to the configuration in force when the ingest is built
        self._log = (logger or structlog.get_logger(__name__)).bind(
            broker=f"{self._address.host}:{self._address.port}", client_id=settings.client_id
        )
        self._connect_ok = metrics.mqtt_connects.labels(result="ok")
        self._connect_error = metrics.mqtt_connects.labels(result="error")
        self._backoff = Backoff(settings.reconnect_min_s, settings.reconnect_max_s)
        self._run_task: asyncio.Task[Any] | None = None
        self._closing = False
        self._connected = False
        self._connects = 0
        # outage bookkeeping: when it began (monotonic) and failed attempts since
        self._down_since: float | None = None
        self._failed_attempts = 0
        # callback failures: total, and not yet logged since the last log line
        self._callback_errors = 0
        self._callback_unlogged = 0
        self._callback_logged_at = -_CALLBACK_LOG_EVERY_S
        self._was_up = False  # did the current session get connected and subscribed?

    @property
    def connected(self) -> bool:
        """True while connected and subscribed."""
        return self._connected

    @property
    def connects(self) -> int:
        """Successful connections (connect + subscribe) so far."""
        return self._connects

    @property
    def callback_errors(self) -> int:
        """Messages whose callback raised."""
        return self._callback_errors

    def subscriptions(self) -> list[tuple[str, int]]:
        """The (topic filter, QoS) pairs subscribed at every connect."""
        return list(self._subs)

    async def __aenter__(self) -> Self:
        self._closing = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True
        task = self._run_task
        if task is None or task.done() or task is asyncio.current_task():
            return
        task.cancel()  # run() turns this cancellation into a normal return
        # bounded: hanging up and a connect attempt in flight each end within the timeout
        await asyncio.wait({task}, timeout=3 * self._settings.connect_timeout_s + 1)

    async def run(self) -> None:
        """Connect, subscribe and consume; reconnect with backoff. Returns when closed."""
        if self._run_task is not None:
            raise RuntimeError("MqttIngest.run() is already running")
        me = asyncio.current_task()
        self._run_task = me
        try:
            while not self._closing:
                try:
                    await self._session()
                except aiomqtt.MqttError as exc:
                    delay = self._backoff.next()
                    self._failed(exc, delay)
                    await self._pause(delay)
        except asyncio.CancelledError:
            # our own __aexit__ asked to stop (and nobody else): a normal end of run()
            if self._closing and me is not None and me.uncancel() == 0:
                return
            raise
        finally:
            self._run_task = None
            self._connected = False

    async def _pause(self, delay_s: float) -> None:
        """Sleep ``delay_s`` before the next attempt — unless the broker, unreachable at
        first, starts accepting connections: then retry at once.

        The backoff grows while the broker is away (up to ``reconnect_max_s``); without this
        a 14 s outage was followed by a 15.8 s wait after the broker was back. A cheap TCP
        probe every ``reconnect_probe_s`` watches for its return. A broker that accepts TCP
        but refuses us (credentials, ACL) gets the full backoff: the probe must first fail.
        """
        loop = asyncio.get_running_loop()
        end = loop.time() + delay_s
        step = self._settings.reconnect_probe_s
        was_unreachable = False
        while (left := end - loop.time()) > 0:
            await asyncio.sleep(min(step, left))
            if loop.time() >= end:
                return
            reachable = await self._reachable(step)
            if reachable and was_unreachable:
                self._log.debug("mqtt broker reachable again: retrying now")
                return
            was_unreachable = was_unreachable or not reachable

    async def _reachable(self, timeout_s: float) -> bool:
        try:
            async with asyncio.timeout(max(timeout_s, 0.1)):
                _, w = await asyncio.open_connection(self._address.host, self._address.port)
        except (OSError, TimeoutError):
            return False
        w.close()
        with contextlib.suppress(OSError):
            await w.wait_closed()
        return True

    async def _session(self) -> None:
        """One connection, from connect to its loss; always raises (MqttError or cancelled)."""
        self._was_up = False
        client = self._client()
        async with contextlib.AsyncExitStack() as stack:
            try:
                await self._connect(client)
            except aiomqtt.MqttError:
                self._connect_error.inc()
                raise
            # leaving (in this order): hang up, then hand over what is still queued — paho
            # has acknowledged those to the broker, which will not send them again
            stack.push_async_callback(self._drain, client)
            stack.push_async_callback(self._hang_up, client)
            try:
                await self._subscribe(client)
            except aiomqtt.MqttError:
                self._connect_error.inc()
                raise
            self._up()
            try:
                await self._consume(client)
            finally:
                self._connected = False
        raise aiomqtt.MqttError("message stream ended")  # not reached: aiomqtt raises instead

    def _client(self) -> aiomqtt.Client:
        s, a = self._settings, self._address
        client = aiomqtt.Client(
            a.host,
            a.port,
            username=a.username,
            password=a.password,
            identifier=s.client_id,
            protocol=aiomqtt.ProtocolVersion.V311,
            clean_session=not s.persistent_session,
            keepalive=s.keepalive_s,
            timeout=s.connect_timeout_s,  # CONNACK, SUBACK and DISCONNECT waits
            max_queued_incoming_messages=s.max_queued_messages,
            tls_context=self._tls,
        )
        # aiomqtt has no knob for paho's TCP/TLS connect timeout (5 s): the connect runs in an
        # executor thread that cancelling cannot stop, so bound it where it blocks
        client._client.connect_timeout = s.connect_timeout_s
        return client

    async def _connect(self, client: aiomqtt.Client) -> None:
        """Connect within ``connect_timeout_s``; never leaves a half-open connection behind."""
        attempt = asyncio.ensure_future(client.__aenter__())
        try:
            async with asyncio.timeout(self._settings.connect_timeout_s):
                await asyncio.shield(attempt)
        except BaseException as exc:
            await self._abandon(attempt, client)
            if isinstance(exc, TimeoutError):
                raise aiomqtt.MqttError(
                    f"connect timed out after {self._settings.connect_timeout_s} s"
                ) from None
            raise

    async def _abandon(self, attempt: asyncio.Future[Any], client: aiomqtt.Client) -> None:
        # A timed-out or cancelled attempt goes on in its executor thread and, if it gets
        # through, would leave a live connection (and its keepalive task) nobody owns. Wait
        # for it — paho's connect timeout and aiomqtt's CONNACK timeout bound it — and hang up.
        if not attempt.done():
            await asyncio.wait({attempt}, timeout=2 * self._settings.connect_timeout_s + 1)
        if not attempt.done():
            attempt.cancel()
            return
        if not attempt.cancelled() and attempt.exception() is None:
            await self._hang_up(client)
        else:
            # a refused or unanswered CONNECT may leave paho's socket open, with aiomqtt's
            # reader and keepalive task on our loop: paho closes it after sending DISCONNECT
            client._client.disconnect()

    async def _hang_up(self, client: aiomqtt.Client) -> None:
        # a clean DISCONNECT keeps the persistent session; aiomqtt bounds the wait for it
        with contextlib.suppress(aiomqtt.MqttError):
            await client.__aexit__(None, None, None)

    async def _consume(self, client: aiomqtt.Client) -> None:
        """Deliver messages until the connection ends (always raises: MqttError or cancelled).

        The loop runs in a task of its own that is never cancelled: cancelling aiomqtt's
        message iterator can drop a message it has already taken off the queue, which paho has
        acknowledged (measured: 3 of 8 stops mid-stream lost a message). When we are cancelled
        we hang up instead; the iterator then hands over what is queued and ends.
        """
        consumer = asyncio.ensure_future(self._deliver_all(client))
        try:
            await asyncio.shield(consumer)
        except asyncio.CancelledError:
            await self._hang_up(client)
            await asyncio.wait({consumer}, timeout=self._settings.connect_timeout_s)
            if not consumer.done():  # the hang-up did not end it: give up on what is left
                consumer.cancel()
            elif not consumer.cancelled():
                consumer.exception()  # the expected "disconnected" MqttError: retrieved
            raise

    async def _deliver_all(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            self._deliver(message)

    async def _drain(self, client: aiomqtt.Client) -> None:
        messages = client.messages
        # with messages queued, the iterator returns one at once (it does not block)
        while len(messages) > 0:
            self._deliver(await anext(messages))

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        # re-subscribe at every connect: harmless with a session present, needed without one
        # (a broker that lost its state); one SUBSCRIBE for all topics
        granted = await client.subscribe(self._subs, timeout=self._settings.connect_timeout_s)
        codes = [c if isinstance(c, int) else c.value for c in granted]
        refused = [t for (t, _), c in zip(self._subs, codes, strict=False) if c >= 0x80]
        if refused or len(codes) != len(self._subs):
            raise aiomqtt.MqttError(f"broker refused subscriptions: {refused or codes}")

    def _deliver(self, message: Message) -> None:
        topic = message.topic.value
        try:
            self._on_message(topic, _as_bytes(message.payload))
        except Exception:
            self._callback_errors += 1
            self._callback_unlogged += 1
            now = time.monotonic()
            if now - self._callback_logged_at >= _CALLBACK_LOG_EVERY_S:
                self._log.exception(
                    "mqtt message callback failed",
                    topic=topic,
                    failures=self._callback_unlogged,
                    failures_total=self._callback_errors,
                )
                self._callback_logged_at = now
                self._callback_unlogged = 0

    def _up(self) -> None:
        self._was_up = True
        self._connected = True
        self._connects += 1
        self._connect_ok.inc()
        self._backoff.reset()
        if self._down_since is None:
            self._log.info(
                "mqtt connected",
                persistent_session=self._settings.persistent_session,
                topics=[t for t, _ in self._subs],
            )
        else:
            self._log.info(
                "mqtt reconnected",
                down_s=round(time.monotonic() - self._down_since, 3),
                failed_attempts=self._failed_attempts,
            )
        self._down_since = None
        self._failed_attempts = 0

    def _failed(self, exc: aiomqtt.MqttError, retry_in_s: float) -> None:
        """A lost connection or a failed attempt: ERROR once per outage, then DEBUG."""
        error = str(exc.__cause__ or exc)
        retry = round(retry_in_s, 3)
        if self._was_up:
            self._down_since = time.monotonic()
            self._failed_attempts = 0
            self._log.error("mqtt connection lost", error=error, retry_in_s=retry)
        elif self._down_since is None:
            self._down_since = time.monotonic()
            self._failed_attempts = 1
            self._log.error("mqtt broker unreachable", error=error, retry_in_s=retry)
        else:
            self._failed_attempts += 1
            self._log.debug(
                "mqtt still unreachable",
                error=error,
                failed_attempts=self._failed_attempts,
                retry_in_s=retry,
            )
