"""The ingest hot path: (topic, payload) → decode → live state and alarms → history sinks.

Runs synchronously inside the MQTT adapter's callback: no awaits, no per-message logging, label
children cached — at 100× Line 2A's rate every microsecond here is a message per second lost.
"""

from __future__ import annotations

from collections.abc import Sequence

from line.clock import Clock
from telemetry.clock import FieldClock
from telemetry.metrics import TelemetryMetrics
from telemetry.registers import SubstationReading
from telemetry.rejects import RejectLog
from telemetry.schemas import (
    Decoded,
    Decoder,
    Reject,
    RejectReason,
    StationFlow,
    TrainEvent,
    TrainTelemetry,
)
from telemetry.sinks.base import Point, Sink
from telemetry.state import LineState

# latency from the field timestamp is only meaningful when the field runs in real time
_LATENCY_WINDOW_MS = 60_000


def telemetry_point(m: TrainTelemetry) -> Point:
    return Point(
        "train",
        m.train,
        {
            "pos_m": m.pos_m,
            "track": m.track,
            "speed_kmh": m.speed_kmh,
            "load_pct": m.load_pct,
            "doors": m.doors,
            "mode": m.mode,
            "driver": m.driver or "",
            "faults": ",".join(m.faults),
            "seq": m.seq,
        },
        m.ts,
    )


def event_point(m: TrainEvent) -> Point:
    return Point(
        "train_event",
        m.train,
        {
            "kind": m.kind.value,
            "code": m.code or "",
            "severity": m.severity.value if m.severity else "",
            "driver": m.driver or "",
            "detail": m.detail or "",
            "seq": m.seq,
        },
        m.ts,
    )


def flow_point(m: StationFlow) -> Point:
    return Point(
        "station_flow",
        m.station,
        {"entries": m.entries, "exits": m.exits, "period_s": m.period_s},
        m.ts,
    )


def substation_point(r: SubstationReading) -> Point:
    fields: dict[str, float | int | bool | str] = dict(r.values)
    fields.update(r.bits)
    return Point("substation", r.device, fields, r.ts_ms)


class Pipeline:
    """Owns nothing long-lived: decoder, state, sinks and metrics are passed in."""

    def __init__(
        self,
        decoder: Decoder,
        state: LineState,
        sinks: Sequence[Sink],
        metrics: TelemetryMetrics,
        rejects: RejectLog,
        wall_ms: Clock,
        *,
        field_clock: FieldClock | None = None,
    ) -> None:
        self._decoder = decoder
        self._state = state
        self._sinks = tuple(sinks)
        self._metrics = metrics
        self._rejects = rejects
        self._wall_ms = wall_ms
        self._msg_counters = {
            k: metrics.messages.labels(k) for k in ("telemetry", "event", "status", "flow")
        }
        # every known reason has a series from the start (Grafana shows 0, not "No data")
        self._reject_counters = {r: metrics.rejects.labels(r.value) for r in RejectReason}
        self._latency = metrics.ingest_latency
        self._clock = field_clock  # None: timestamps taken as they come (replays, tests)

    def on_mqtt(self, topic: str, payload: bytes) -> None:
        """Handle one MQTT message. Never raises for bad field data."""
        now = self._wall_ms()
        r = self._decoder.decode(topic, payload)
        if isinstance(r, Reject):
            self._rejects.record(r, now)
            self._reject_counters[r.reason].inc()
            return
        self.on_decoded(r, now)

    def on_decoded(self, d: Decoded, now: int) -> None:
        self._msg_counters[d.kind].inc()
        msg = d.msg
        if self._clock is not None and d.kind != "status" and msg.ts is not None:
            ts = self._clock.admit(d.kind, d.entity, msg.ts, now)
            if ts != msg.ts:  # ahead of the server: the receipt is the truest time we have
                d = Decoded(d.kind, d.entity, msg.model_copy(update={"ts": ts}))
        applied = self._state.apply(d, now)
        msg = d.msg
        if isinstance(msg, TrainTelemetry):
            if applied:
                lag = now - msg.ts
                if 0 <= lag < _LATENCY_WINDOW_MS:
                    self._latency.observe((self._wall_ms() - msg.ts) / 1000)
                self._write(telemetry_point(msg))
        elif isinstance(msg, TrainEvent):
            if applied:
                self._write(event_point(msg))
        elif isinstance(msg, StationFlow):
            self._write(flow_point(msg))

    def on_substation(self, reading: SubstationReading) -> None:
        self._state.apply_substation(reading)
        self._write(substation_point(reading))

    def on_device_health(self, device: str, health: str, reason: str) -> None:
        self._state.substation_health(device, health == "ok", reason)

    def _write(self, p: Point) -> None:
        batch = (p,)
        for s in self._sinks:
            s.write(batch)
