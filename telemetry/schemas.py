"""ICD v1 message schemas and the decoder that turns (topic, payload) into a message or a reject.

The decoder never raises on field data: anything bad becomes a :class:`Reject` with a reason
from :class:`RejectReason`, which the pipeline counts and samples.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

SEQ_MODULUS = 2**31
# A field clock beyond this is broken. Bounding ``ts`` keeps every accepted timestamp a date
# Python can represent (in local time too) and a 64-bit integer for JSON and storage: an
# unbounded one (found by fuzzing, e.g. 10**20) raised deep in the state and killed the
# history sink.
MAX_TS_MS = 32_503_680_000_000  # 3000-01-01T00:00:00Z
# Gate counts per period: far above any station's, and small enough for any integer column.
MAX_COUNT = 2**31 - 1

FaultCode = Annotated[str, Field(pattern=r"^(TRC|BRK|DOR|HVA|ATC|AUX)-\d{3}$")]
StaffId = Annotated[str, Field(min_length=1, max_length=32)]


class _Msg(BaseModel):
    # extra fields are ignored: a v1 producer may add optional fields without breaking us;
    # strict: "7" is not a seq and "1" is not a track — a field unit sending them is broken
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)


class TrainTelemetry(_Msg):
    v: Literal[1]
    ts: int = Field(gt=0, le=MAX_TS_MS, description="ms since the Unix epoch, UTC")
    train: str
    seq: int = Field(ge=0, lt=SEQ_MODULUS)
    pos_m: float = Field(ge=0)
    track: Literal[1, 2]
    speed_kmh: float = Field(ge=0, le=150)
    doors: Literal["closed", "open", "fault"]
    load_pct: float = Field(ge=0, le=150)
    mode: Literal["ATO", "ATP", "RM", "depot", "off"]
    driver: StaffId | None
    faults: tuple[FaultCode, ...] = ()


class EventKind(enum.StrEnum):
    FAULT_RAISED = "fault_raised"
    FAULT_CLEARED = "fault_cleared"
    CAB_LOGON = "cab_logon"
    CAB_LOGOFF = "cab_logoff"
    EMERGENCY_BRAKE = "emergency_brake"
    DOOR_OBSTRUCTION = "door_obstruction"
    PASSENGER_ALARM = "passenger_alarm"


class Severity(enum.StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class TrainEvent(_Msg):
    v: Literal[1]
    ts: int = Field(gt=0, le=MAX_TS_MS)
    train: str
    seq: int = Field(ge=0, lt=SEQ_MODULUS)
    kind: EventKind
    code: FaultCode | None = None
    severity: Severity | None = None
    detail: str | None = Field(default=None, max_length=500)
    driver: StaffId | None = None


class TrainStatus(_Msg):
    v: Literal[1] = 1  # the last will may omit it
    ts: int | None = Field(default=None, gt=0, le=MAX_TS_MS)
    online: bool


class StationFlow(_Msg):
    v: Literal[1]
    ts: int = Field(gt=0, le=MAX_TS_MS)
    station: str
    entries: int = Field(ge=0, le=MAX_COUNT)
    exits: int = Field(ge=0, le=MAX_COUNT)
    period_s: int = Field(gt=0, le=86_400)


Message = TrainTelemetry | TrainEvent | TrainStatus | StationFlow


#: The ICD's MQTT payloads by topic kind (docs/icd.md): the name of each JSON Schema file.
PAYLOADS: dict[str, type[BaseModel]] = {
    "train-telemetry": TrainTelemetry,
    "train-event": TrainEvent,
    "train-status": TrainStatus,
    "station-flow": StationFlow,
}


def payload_schemas() -> dict[str, dict[str, object]]:
    """JSON Schema (2020-12) of each ICD payload, as accepted (``mode="validation"``)."""
    out: dict[str, dict[str, object]] = {}
    for name, model in PAYLOADS.items():
        schema = model.model_json_schema(mode="validation")
        out[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://metro-ops.example/icd/v1/{name}.schema.json",
            **schema,
        }
    return out


class RejectReason(enum.StrEnum):
    BAD_TOPIC = "bad_topic"
    BAD_JSON = "bad_json"
    INVALID = "invalid"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_LINE = "unknown_line"
    UNKNOWN_TRAIN = "unknown_train"
    UNKNOWN_STATION = "unknown_station"
    TOPIC_MISMATCH = "topic_mismatch"
    OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True, slots=True)
class Reject:
    reason: RejectReason
    topic: str
    detail: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Decoded:
    """A valid message with the entity its topic names (train or station id)."""

    kind: Literal["telemetry", "event", "status", "flow"]
    entity: str
    msg: Message


_ADAPTERS: dict[str, TypeAdapter[Message]] = {
    "telemetry": TypeAdapter(TrainTelemetry),
    "event": TypeAdapter(TrainEvent),
    "status": TypeAdapter(TrainStatus),
    "flow": TypeAdapter(StationFlow),
}
_TRAIN_KINDS = {"telemetry", "event", "status"}


def topic_for(line: str, kind: str, entity: str) -> str:
    """ICD topic for a train (telemetry/event/status) or a station (flow)."""
    group = "station" if kind == "flow" else "train"
    return f"metro/{line}/{group}/{entity}/{kind}"


class Decoder:
    """Topic + payload → :class:`Decoded` or :class:`Reject`; knows the line's ids."""

    def __init__(
        self, line_id: str, trains: frozenset[str], stations: frozenset[str], length_m: float
    ) -> None:
        self._line_id = line_id
        self._trains = trains
        self._stations = stations
        self._length_m = length_m

    def decode(self, topic: str, payload: bytes) -> Decoded | Reject:
        parts = topic.split("/")
        if len(parts) != 5 or parts[0] != "metro":
            return Reject(
                RejectReason.BAD_TOPIC, topic, "expected metro/{line}/{group}/{id}/{kind}", payload
            )
        _, line_id, group, entity, kind = parts
        if line_id != self._line_id:
            return Reject(RejectReason.UNKNOWN_LINE, topic, f"line {line_id!r}", payload)
        adapter = _ADAPTERS.get(kind)
        if (
            adapter is None
            or (group == "train") != (kind in _TRAIN_KINDS)
            or group
            not in (
                "train",
                "station",
            )
        ):
            return Reject(RejectReason.BAD_TOPIC, topic, f"unknown {group}/{kind}", payload)
        if group == "train" and entity not in self._trains:
            return Reject(RejectReason.UNKNOWN_TRAIN, topic, f"train {entity!r}", payload)
        if group == "station" and entity not in self._stations:
            return Reject(RejectReason.UNKNOWN_STATION, topic, f"station {entity!r}", payload)
        try:
            msg = adapter.validate_json(payload)
        except ValidationError as exc:
            return self._classify(exc, topic, payload)
        except ValueError as exc:  # pragma: no cover - validate_json raises ValidationError
            return Reject(RejectReason.BAD_JSON, topic, str(exc)[:200], payload)
        if isinstance(msg, TrainTelemetry | TrainEvent) and msg.train != entity:
            return Reject(
                RejectReason.TOPIC_MISMATCH, topic, f"payload train {msg.train!r}", payload
            )
        if isinstance(msg, StationFlow) and msg.station != entity:
            return Reject(
                RejectReason.TOPIC_MISMATCH, topic, f"payload station {msg.station!r}", payload
            )
        if isinstance(msg, TrainTelemetry) and msg.pos_m > self._length_m:
            return Reject(
                RejectReason.OUT_OF_RANGE, topic, f"pos_m {msg.pos_m} beyond the line", payload
            )
        return Decoded(kind, entity, msg)  # type: ignore[arg-type]

    @staticmethod
    def _classify(exc: ValidationError, topic: str, payload: bytes) -> Reject:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0] if errors else {"type": "", "loc": (), "msg": str(exc)}
        etype = str(first.get("type", ""))
        loc = ".".join(str(x) for x in first.get("loc", ()))
        detail = f"{loc}: {first.get('msg', '')}"[:200]
        if etype.startswith("json_") or etype in ("model_type", "dict_type"):
            return Reject(RejectReason.BAD_JSON, topic, detail, payload)
        if loc == "v" and etype in ("literal_error",):
            return Reject(RejectReason.UNSUPPORTED_VERSION, topic, detail, payload)
        return Reject(RejectReason.INVALID, topic, detail, payload)
