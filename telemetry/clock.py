"""Field clocks against the server's: skew per unit, and no field time ahead of the server.

A unit's ``ts`` comes from its own clock, which may be off by seconds, hours, or set back after
a restart (ICD "unit clocks"). Order is judged by ``seq`` (:mod:`telemetry.sequence`); here the
timestamp itself is checked. Skew is the unit's ``ts`` minus the server's time of receipt,
measured on telemetry only (QoS 0, never queued: a QoS 1 event delivered after an outage is
late, not skewed); it is exported per unit and alarmed past ``clock_skew_alarm_s`` (cleared
below half of it, so a clock near the limit does not chatter).

In ``clock = "server"`` mode (production) a timestamp more than ``max_future_s`` ahead of the
receipt is clamped to the receipt and counted: a far-future ``ts`` (one message from 2033) can
never move the board's time, the timetable judgement or the history's "now". In ``"field"``
mode (fed by an emulator running faster than real time, or at another time of day) the field's
timestamps are the board's time: nothing is clamped or alarmed, skew is still exported.
"""

from __future__ import annotations

from line.catalogue import Message
from telemetry.alarms import AlarmBook, Priority
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics

_KINDS = ("telemetry", "event", "status", "flow")


class FieldClock:
    """Measures skew per unit and admits (clamps) field timestamps. Synchronous, hot path."""

    def __init__(
        self,
        settings: StateSettings,
        alarms: AlarmBook,
        metrics: TelemetryMetrics,
        units: tuple[str, ...] = (),
    ) -> None:
        self.follow_field = settings.clock == "field"
        self._max_future_ms = int(settings.max_future_s * 1000)
        self._alarm_ms = int(settings.clock_skew_alarm_s * 1000)
        self._alarms = alarms
        self._metrics = metrics
        self.skew_ms: dict[str, int] = {}
        self._gauges = {u: metrics.clock_skew.labels(u) for u in units}
        for u in units:  # known units have a series from the start (Grafana: 0, not "No data")
            self._gauges[u].set(0)
        self._clamped = {k: metrics.ts_clamped.labels(k) for k in _KINDS}
        self.clamped = 0

    def admit(self, kind: str, unit: str, ts_ms: int, received_ms: int) -> int:
        """The timestamp to use for this message: ``ts_ms``, or the receipt when it is ahead."""
        skew = ts_ms - received_ms
        if kind == "telemetry":
            self._measure(unit, skew)
        if self.follow_field or skew <= self._max_future_ms:
            return ts_ms
        self.clamped += 1
        self._clamped[kind].inc()
        return received_ms

    def _measure(self, unit: str, skew: int) -> None:
        self.skew_ms[unit] = skew
        g = self._gauges.get(unit)
        if g is None:
            g = self._gauges[unit] = self._metrics.clock_skew.labels(unit)
        g.set(skew / 1000)
        if self.follow_field:
            return
        key = f"clock:{unit}:skew"
        # the alarm book, not a flag of ours, says whether it is raised: after a restart the
        # restored alarm must clear when the clock is right again
        if abs(skew) > self._alarm_ms:
            if not self._alarms.is_active(key):
                self._alarms.raise_alarm(
                    key,
                    Priority.LOW,
                    unit,
                    Message("alarm.clock.skew", {"unit": unit, "skew_s": skew / 1000}),
                )
        elif abs(skew) <= self._alarm_ms // 2 and self._alarms.is_active(key):
            self._alarms.clear(key)
