"""A train's on-board unit: the ICD messages it sends, its ``seq`` counter and its faults.

Telemetry and events share one per-train ``seq`` (ICD: "increases by one per message", wraps at
2^31). Faults arrive as a Poisson process at a rate per train and simulated hour while a driver
is at the controls, stay in the telemetry's ``faults`` until cleared some minutes later, and show
in the telemetry the way the equipment would: an ATC fault drops the train to ATP (the driver
drives under protection), a door fault shows the doors as ``fault`` while they are open.

Field-fault injection lives here too: seq gaps (numbers skipped) and malformed telemetry of
several kinds, each of which the ICD decoder must reject.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import orjson

from telemetry.emulator.publisher import Outgoing
from telemetry.emulator.trains import Mode, SimEvent, TrainSample
from telemetry.schemas import SEQ_MODULUS, topic_for

MALFORMED_KINDS = ("bad_json", "missing_field", "wrong_type", "unknown_train", "topic_mismatch")
MAX_SEQ_GAP = 5


@dataclass(frozen=True, slots=True)
class FaultSpec:
    code: str
    severity: str
    detail: str
    weight: float


# A plausible catalogue for metro stock (codes follow the ICD's SUBSYSTEM-NNN pattern).
FAULTS = (
    FaultSpec("TRC-012", "major", "traction inverter over-temperature", 2),
    FaultSpec("TRC-031", "minor", "traction motor speed sensor", 2),
    FaultSpec("BRK-021", "major", "brake cylinder pressure low", 1),
    FaultSpec("BRK-050", "critical", "emergency brake loop open", 0.3),
    FaultSpec("DOR-003", "minor", "door 3 not closed and locked", 4),
    FaultSpec("HVA-101", "minor", "HVAC unit 1 compressor trip", 4),
    FaultSpec("ATC-007", "major", "ATO/ATP radio link timeout", 1),
    FaultSpec("AUX-004", "minor", "auxiliary converter fault", 1.5),
)
FAULT_CLEAR_S = (120.0, 900.0)  # simulated seconds from raised to cleared


@dataclass(frozen=True, slots=True)
class ActiveFault:
    spec: FaultSpec
    clear_ms: int


class OnboardUnit:
    """Builds one train's messages; holds its seq counter and active faults."""

    def __init__(self, line_id: str, train: str, rng: random.Random) -> None:
        self.line_id = line_id
        self.train = train
        self.seq = 0
        self.faults: dict[str, ActiveFault] = {}
        self._rng = rng
        self._telemetry_topic = topic_for(line_id, "telemetry", train)
        self._event_topic = topic_for(line_id, "event", train)
        self.status_topic = topic_for(line_id, "status", train)

    # --- seq ------------------------------------------------------------------------------
    def _next_seq(self, gap_rate: float) -> int:
        if gap_rate > 0 and self._rng.random() < gap_rate:
            self.seq = (self.seq + self._rng.randint(1, MAX_SEQ_GAP)) % SEQ_MODULUS
        s = self.seq
        self.seq = (self.seq + 1) % SEQ_MODULUS
        return s

    # --- messages -------------------------------------------------------------------------
    def status(self, ts_ms: int | None, online: bool) -> Outgoing:
        body: dict[str, Any] = {"v": 1, "online": online}
        if ts_ms is not None:
            body["ts"] = ts_ms
        return Outgoing(self.status_topic, orjson.dumps(body), qos=1, retain=True)

    def event(
        self,
        ts_ms: int,
        kind: str,
        *,
        gap_rate: float = 0.0,
        driver: str | None = None,
        code: str | None = None,
        severity: str | None = None,
        detail: str | None = None,
    ) -> Outgoing:
        body: dict[str, Any] = {
            "v": 1,
            "ts": ts_ms,
            "train": self.train,
            "seq": self._next_seq(gap_rate),
            "kind": kind,
        }
        for k, v in (
            ("code", code),
            ("severity", severity),
            ("detail", detail),
            ("driver", driver),
        ):
            if v is not None:
                body[k] = v
        return Outgoing(self._event_topic, orjson.dumps(body), qos=1)

    def telemetry(
        self, ts_ms: int, s: TrainSample, *, gap_rate: float = 0.0, malformed_rate: float = 0.0
    ) -> Outgoing:
        codes = sorted(self.faults)
        mode = s.mode
        if mode is Mode.ATO and any(c.startswith("ATC-") for c in codes):
            mode = Mode.ATP
        doors = s.doors
        if doors == "open" and any(c.startswith("DOR-") for c in codes):
            doors = "fault"
        body: dict[str, Any] = {
            "v": 1,
            "ts": ts_ms,
            "train": self.train,
            "seq": self._next_seq(gap_rate),
            "pos_m": round(s.pos_m, 1),
            "track": s.track,
            "speed_kmh": round(s.speed_kmh, 1),
            "doors": doors,
            "load_pct": round(s.load_pct),
            "mode": mode.value,
            "driver": s.driver,
            "faults": codes,
        }
        if malformed_rate > 0 and self._rng.random() < malformed_rate:
            return self._malformed(body)
        return Outgoing(self._telemetry_topic, orjson.dumps(body), qos=0)

    def _malformed(self, body: dict[str, Any]) -> Outgoing:
        """A telemetry message spoiled the way field data gets spoiled; the seq is spent."""
        kind = self._rng.choice(MALFORMED_KINDS)
        topic = self._telemetry_topic
        if kind == "bad_json":
            raw = orjson.dumps(body)
            return Outgoing(topic, raw[: len(raw) // 2], qos=0)  # truncated frame
        if kind == "missing_field":
            del body["pos_m"]
        elif kind == "wrong_type":
            body["speed_kmh"] = "fast"
        elif kind == "unknown_train":
            body["train"] = "T99"
            topic = topic_for(self.line_id, "telemetry", "T99")
        else:  # topic_mismatch: the payload names a train the topic does not
            body["train"] = "X" + self.train
        return Outgoing(topic, orjson.dumps(body), qos=0)

    # --- a tick ---------------------------------------------------------------------------
    def tick(
        self,
        prev_ms: int | None,
        now_ms: int,
        sample: TrainSample,
        scheduled: list[tuple[int, SimEvent]],
        *,
        fault_rate_per_h: float,
        gap_rate: float,
        malformed_rate: float,
    ) -> list[Outgoing]:
        """Messages for the interval (prev_ms, now_ms]: events in time order, then telemetry."""
        pending: list[tuple[int, int, dict[str, Any]]] = []
        for ts, ev in scheduled:
            args = {"kind": ev.kind, "driver": ev.driver, "severity": ev.severity}
            pending.append((ts, 0, args | {"detail": ev.detail}))
        for code, af in list(self.faults.items()):
            if af.clear_ms <= now_ms:
                del self.faults[code]
                args = {"kind": "fault_cleared", "code": code, "severity": af.spec.severity}
                pending.append((max(af.clear_ms, prev_ms or af.clear_ms), 1, args))
        if prev_ms is not None and sample.driver is not None and fault_rate_per_h > 0:
            dt_h = (now_ms - prev_ms) / 3_600_000
            if self._rng.random() < 1 - math.exp(-fault_rate_per_h * dt_h):
                spec = self._rng.choices(FAULTS, weights=[f.weight for f in FAULTS])[0]
                if spec.code not in self.faults:
                    ts = self._rng.randint(prev_ms + 1, now_ms)
                    clear = ts + int(1000 * self._rng.uniform(*FAULT_CLEAR_S))
                    self.faults[spec.code] = ActiveFault(spec, clear)
                    args = {
                        "kind": "fault_raised",
                        "code": spec.code,
                        "severity": spec.severity,
                        "detail": spec.detail,
                        "driver": sample.driver,
                    }
                    pending.append((ts, 2, args))
        out = [
            self.event(ts, gap_rate=gap_rate, **args)
            for ts, _, args in sorted(pending, key=lambda p: (p[0], p[1]))
        ]
        out.append(self.telemetry(now_ms, sample, gap_rate=gap_rate, malformed_rate=malformed_rate))
        return out
