"""Modbus TCP poller: one task per device, reading the ICD register map and tracking health.

Each poll is one read of ``register_map.span`` (holding registers). Two error channels, as in
pymodbus: a ``ModbusException`` (or timeout) is the transport failing, ``rr.isError()`` is the
device answering with an exception code. Either counts as a missed poll; after
``stale_after_misses`` misses in a row the device is STALE (reason ``no_answer`` or
``device_error``). A device that answers but whose heartbeat register has not changed for
``stale_after_misses`` polls in a row is a frozen PLC: STALE with ``frozen_heartbeat``.

Reconnection is pymodbus' own (``reconnect_delay`` … ``reconnect_delay_max``): after a lost
connection it reconnects by itself, so the poller only ever connects when the client has never
been connected (pymodbus does not retry a failed *first* connect). pymodbus does not retry the
request that failed either: the poller decides, polling at its period until the device is
stale and then backing off exponentially, capped at ``backoff_max_s``, until it answers again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
from types import TracebackType
from typing import Self

import structlog
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from line.clock import Clock, wall_ms
from telemetry.config import ModbusDevice, ModbusSettings, RegisterMap
from telemetry.metrics import TelemetryMetrics
from telemetry.registers import SubstationReading, decode_registers

# slack on top of pymodbus' own timeout, so that its timeout (which keeps its bookkeeping of
# unanswered requests right) fires first and ours is only a backstop
_GUARD_SLACK_S = 0.5


class DeviceHealth(StrEnum):
    """A polled device's health: OK until it misses polls or its heartbeat freezes."""

    OK = "ok"
    STALE = "stale"


class _Miss(Exception):
    """A failed poll: ``result`` is the metric label, ``reason`` the health reason."""

    def __init__(self, result: str, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.result = result
        self.reason = reason


class ModbusPoller:
    """Polls one Modbus device; ``async with`` owns the client, :meth:`run` polls until cancelled.

    ``on_reading`` gets every good reading (not while the heartbeat is frozen: those values are
    not live); ``on_health(device_id, health, reason)`` is called on transitions only — OK→STALE
    with ``no_answer`` | ``frozen_heartbeat`` | ``device_error``, STALE→OK with ``recovered``.
    ``clock`` stamps readings (ms since the epoch); scheduling uses the event loop's clock.
    """

    def __init__(
        self,
        device: ModbusDevice,
        register_map: RegisterMap,
        settings: ModbusSettings,
        on_reading: Callable[[SubstationReading], None],
        on_health: Callable[[str, DeviceHealth, str], None],
        metrics: TelemetryMetrics,
        *,
        clock: Clock = wall_ms,
    ) -> None:
        self.device = device
        self._map = register_map
        self._settings = settings
        self._on_reading = on_reading
        self._on_health = on_health
        self._clock = clock
        # a fresh logger per poller, bound to the configuration in force when it is built
        self._log = structlog.get_logger(__name__).bind(device=device.id)
        self.period_s = device.poll_s or settings.poll_s
        self._health = DeviceHealth.OK
        self._misses = 0
        self._frozen_polls = 0
        self._last_heartbeat: int | None = None
        self._client: AsyncModbusTcpClient | None = None
        self._ever_connected = False
        self._guard_s = settings.timeout_s + _GUARD_SLACK_S
        self._results = {
            r: metrics.modbus_polls.labels(device.id, r)
            for r in ("ok", "timeout", "error", "device_error")
        }
        self._stale_gauge = metrics.device_stale.labels(device.id)
        self._stale_gauge.set(0)

    @property
    def health(self) -> DeviceHealth:
        return self._health

    @property
    def misses(self) -> int:
        """Failed polls in a row (transport errors, timeouts, device exception responses)."""
        return self._misses

    async def __aenter__(self) -> Self:
        s = self._settings
        self._client = AsyncModbusTcpClient(
            self.device.host,
            port=self.device.port,
            name=self.device.id,
            timeout=s.timeout_s,  # connect and response timeout
            retries=0,  # the poller decides what to do after a miss
            reconnect_delay=min(self.period_s, s.backoff_max_s),
            reconnect_delay_max=s.backoff_max_s,  # pymodbus' default max is 300 s
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()  # also cancels pymodbus' reconnect task
            await asyncio.sleep(0)  # let that task see its cancellation

    def next_delay_s(self) -> float:
        """Seconds from this poll's start to the next one's.

        The period until the device is stale (so staleness is detected within
        ``stale_after_misses`` periods), then doubling per further miss, capped at
        ``backoff_max_s`` (and never below the period).
        """
        over = self._misses - self._settings.stale_after_misses
        if over < 0:
            return self.period_s
        backoff = self.period_s * 2.0 ** min(over + 1, 32)
        return max(self.period_s, min(self._settings.backoff_max_s, backoff))

    async def run(self) -> None:
        """Poll until cancelled; never raises for device or network trouble."""
        if self._client is None:
            raise RuntimeError("ModbusPoller.run() needs `async with poller:` first")
        loop = asyncio.get_running_loop()
        next_t = loop.time()
        while True:
            await self.poll_once()
            next_t += self.next_delay_s()
            now = loop.time()
            # a poll that overran (timeouts) starts the next one now, without a catch-up burst
            next_t = max(next_t, now)
            await asyncio.sleep(next_t - now)

    async def poll_once(self) -> None:
        """One poll: read, decode, deliver, and update health and metrics."""
        try:
            reading = await self._read()
        except _Miss as miss:
            self._results[miss.result].inc()
            self._missed(miss)
            return
        self._results["ok"].inc()
        self._misses = 0
        if self._heartbeat_frozen(reading.heartbeat):
            if self._health is DeviceHealth.OK:
                self._go_stale("frozen_heartbeat", f"heartbeat stuck at {reading.heartbeat}")
            return
        if self._health is DeviceHealth.STALE:
            self._set_health(DeviceHealth.OK, "recovered")
            self._log.info("modbus device recovered")
        try:
            self._on_reading(reading)
        except Exception:  # a consumer's bug must not stop the polling
            self._log.exception("on_reading failed")

    async def _read(self) -> SubstationReading:
        client = self._client
        if client is None:
            raise RuntimeError("ModbusPoller used outside `async with`")
        start, count = self._map.span
        dev = self.device
        try:
            if not client.connected and not self._ever_connected:
                # pymodbus reconnects by itself only after a lost connection, not a failed
                # first connect: until one succeeds, each poll tries once
                async with asyncio.timeout(self._guard_s):
                    if not await client.connect():
                        raise ConnectionException(f"cannot connect to {dev.host}:{dev.port}")
                self._ever_connected = True
            async with asyncio.timeout(self._guard_s):
                rr = await client.read_holding_registers(start, count=count, device_id=dev.unit_id)
        except (TimeoutError, ModbusIOException) as exc:
            raise _Miss("timeout", "no_answer", str(exc) or "timeout") from exc
        except (ModbusException, OSError) as exc:
            raise _Miss("error", "no_answer", str(exc)) from exc
        if rr.isError():
            code = getattr(rr, "exception_code", None)
            raise _Miss("device_error", "device_error", f"exception response, code {code}")
        try:
            return decode_registers(dev.id, self._map, rr.registers, self._clock())
        except ValueError as exc:  # short answer or a value that does not decode
            raise _Miss("device_error", "device_error", str(exc)) from exc

    def _heartbeat_frozen(self, heartbeat: int | None) -> bool:
        if heartbeat is None:
            return False
        if heartbeat == self._last_heartbeat:
            self._frozen_polls += 1
        else:
            self._frozen_polls = 0
        self._last_heartbeat = heartbeat
        return self._frozen_polls >= self._settings.stale_after_misses

    def _missed(self, miss: _Miss) -> None:
        self._misses += 1
        if self._health is DeviceHealth.OK and self._misses >= self._settings.stale_after_misses:
            self._go_stale(miss.reason, str(miss))
        else:
            # during an outage: ERROR once (on going stale), DEBUG until it recovers
            self._log.debug(
                "modbus poll failed",
                result=miss.result,
                misses=self._misses,
                error=str(miss),
            )

    def _go_stale(self, reason: str, detail: str) -> None:
        self._log.error(
            "modbus device stale",
            host=self.device.host,
            port=self.device.port,
            reason=reason,
            misses=self._misses,
            error=detail,
        )
        self._set_health(DeviceHealth.STALE, reason)

    def _set_health(self, health: DeviceHealth, reason: str) -> None:
        self._health = health
        self._stale_gauge.set(1 if health is DeviceHealth.STALE else 0)
        try:
            self._on_health(self.device.id, health, reason)
        except Exception:
            self._log.exception("on_health failed")
