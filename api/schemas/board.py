"""The live board (``GET /api/board``, the ``/ws/board`` frames) and the alarms.

Built as plain dicts by :func:`services.live_board.live_board` (the hub diffs and serialises
them ten times a second: no model on that path); these models say what those dicts are, and
the contract test holds the two together.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import CatalogueMessage, CatalogueParam, Wire

Priority = Literal["critical", "high", "medium", "low"]
AlarmStateName = Literal["unack", "acked", "rtn_unack", "shelved", "normal"]
Level = Literal["ok", "degraded", "down"]


class AlarmComment(Wire):
    user: str
    ts_ms: int
    text: str


class AlarmJournalEvent(Wire):
    ts_ms: int
    what: str = Field(description="raised, reactivated, cleared, acked, shelved, …")
    user: str | None = Field(description="who did it; null: the field")
    detail: str | None = Field(description="what the person wrote (a shelve reason), as written")
    note: CatalogueMessage | None = Field(
        description="what the system adds (for how long, why suppressed), to render"
    )


class AlarmShelveRequest(Wire):
    """A P1/P2 shelve asked for by ``user``, not yet approved by a second person."""

    user: str
    reason: str
    minutes: float
    ts_ms: int


class Alarm(Wire):
    """One alarm of one condition (ISA-18.2 states; see ``telemetry/alarms.py``)."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 7,
                    "key": "train:T05:fault:E12",
                    "train": "T05",
                    "device": None,
                    "kind": "fault:E12",
                    "source": "T05",
                    "priority": 2,
                    "priority_name": "high",
                    "code": "alarm.train.fault",
                    "params": {"train": "T05", "fault": "E12", "detail": ""},
                    "message": "Tàu T05: lỗi E12",
                    "message_en": "Train T05: fault E12",
                    "raised_ms": 1795000000000,
                    "first_raised_ms": 1795000000000,
                    "annunciations": 1,
                    "state": "unack",
                    "active": True,
                    "acked_by": None,
                    "acked_ms": None,
                    "cleared_ms": None,
                    "shelved_by": None,
                    "shelved_until_ms": None,
                    "shelve_reason": None,
                    "comments": [],
                    "events": [{"ts_ms": 1795000000000, "what": "raised", "user": None,
                                "detail": None, "note": None}],
                }
            ]
        }
    }  # fmt: skip

    id: int
    key: str = Field(description="the condition, unique among open alarms")
    train: str | None = Field(description="the train it is about, if any")
    device: str | None = Field(description="the device or unit it is about (SS1, broker…)")
    kind: str = Field(description="the condition without its subject: stale, fault:E12, …")
    source: str
    priority: int = Field(ge=1, le=4, description="1 critical … 4 low")
    priority_name: Priority
    code: str = Field(description="the text's catalogue code (line/texts.py)")
    params: dict[str, CatalogueParam] = Field(description="the text's parameters")
    message: str = Field(description="the text rendered in Vietnamese")
    message_en: str = Field(description="the text rendered in English")
    raised_ms: int = Field(description="latest annunciation")
    first_raised_ms: int
    annunciations: int
    state: AlarmStateName
    active: bool = Field(description="the condition is present now")
    acked_by: str | None
    acked_ms: int | None
    cleared_ms: int | None
    shelved_by: str | None
    shelved_until_ms: int | None
    shelve_reason: str | None
    suppressed: bool = Field(
        default=False, description="suppressed by design: its train is in the depot/out of service"
    )
    shelve_request: AlarmShelveRequest | None = Field(
        default=None, description="a P1/P2 shelve waiting for a second person's approval"
    )
    comments: list[AlarmComment]
    events: list[AlarmJournalEvent]


class AlarmSummary(Wire):
    open: int
    shown: int = Field(description="open and not shelved")
    unacked: int = Field(description="needing acknowledgement (suppressed excluded)")
    unacked_p1: int = Field(default=0, description="of which P1")
    suppressed: int = Field(default=0, description="open alarms suppressed by design")
    shelved: int
    by_state: dict[str, int]
    by_priority: dict[str, int]
    rate_per_10min: int
    flood_per_10min: int
    flood: bool


class BulkAckRefused(Wire):
    id: int
    error: str


class BulkAck(Wire):
    """``POST /api/alarms/ack``: what was acknowledged, and what was refused and why."""

    acked: list[int]
    refused: list[BulkAckRefused]


class AlarmList(Wire):
    """``GET /api/alarms``: active alarms by priority; ``history`` when asked for."""

    alarms: list[Alarm]
    summary: AlarmSummary
    history: list[Alarm] | None = None


class Train(Wire):
    """One train as the board shows it."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "train": "T05", "online": True, "stale": False, "age_s": 0.4,
                    "ts_ms": 1795000000000, "seq": 1234, "pos_m": 5230.0, "track": 1,
                    "station": "S05", "station_name": "Láng", "prev_station": "S04",
                    "next_station": "S06", "speed_kmh": 0.0, "doors": "open", "load_pct": 62.0,
                    "mode": "ATO", "in_service": True, "driver": "D017", "faults": [],
                    "deviation_s": 35.0, "lost_messages": 0, "lost_seq_ranges": [],
                }
            ]
        }
    }  # fmt: skip

    train: str
    online: bool | None = Field(description="null: not heard from yet")
    stale: bool
    age_s: float | None = Field(description="seconds since its last message (as of ts_ms)")
    ts_ms: int | None
    seq: int | None
    pos_m: float | None
    track: int | None
    station: str | None
    station_name: str | None
    prev_station: str | None
    next_station: str | None
    speed_kmh: float | None
    doors: str | None
    load_pct: float | None
    mode: str | None
    in_service: bool
    driver: str | None
    faults: list[str]
    deviation_s: float | None = Field(description="schedule deviation, + late")
    lost_messages: int
    lost_seq_ranges: list[list[int]]


class Headway(Wire):
    leader: str
    follower: str
    headway_s: float
    status: Literal["ok", "gap", "bunching"]


class Track(Wire):
    track: int
    planned_headway_s: float | None
    mean_headway_s: float | None
    headways: list[Headway]


class Substation(Wire):
    id: str
    name: str
    ts_ms: int | None
    stale: bool
    stale_reason: str | None
    values: dict[str, float | int | None]
    bits: dict[str, bool]
    alarms: list[str] = Field(description="violated point and limit, e.g. dc_bus_voltage:low")


class TripsSummary(Wire):
    service_date: str | None
    since_s: int | None = None
    due: int
    run: int
    lost: int
    extra: int
    planned_day: int | None = None


class Kpis(Wire):
    trains_in_service: int
    trains_planned: int | None
    trains_reporting: int
    planned_headway_s: float | None
    mean_headway_s: dict[str, float | None] = Field(description="by track")
    punctuality_pct: float | None
    stale_substations: int
    trips: TripsSummary
    alarms: AlarmSummary


class LineRef(Wire):
    id: str
    name: str
    length_m: float


class Shortfall(Wire):
    role: str
    detail: str | None = Field(description="discipline or post, if any")
    kind: str
    missing: int
    essential: bool


class RoleCover(Wire):
    """One role in one shift: needed, assigned, missing, and spare (not out, no duty that
    day: could be called in)."""

    role: str
    required: int
    assigned: int
    missing: int
    spare: int


class Shift(Wire):
    """One shift's coverage (``crew.store.outlook.shift_rows``): the board and
    ``/api/crew/coverage`` alike."""

    shift: str
    start: str = Field(description="ISO 8601 with offset")
    end: str
    required: int
    assigned: int
    missing: int
    missing_by_role: dict[str, int]
    by_role: list[RoleCover]
    shortfall: list[Shortfall]


class CapacityPeriod(Wire):
    """Crew-constrained capacity of one timetable period (``capacity_rows``)."""

    line_id: str
    period: str
    start: str = Field(description="HH:MM local")
    end: str
    planned_headway_s: int
    planned_trains: int
    drivers: int
    trains: int
    headway_s: int | None
    degraded: bool
    below_steps: bool


class CrewSummary(Wire):
    """Today's crew picture on the board (``null`` until the first coverage solve)."""

    as_of_ms: int
    revision: int
    service_date: str
    staffable: bool
    first_unstaffable: str | None
    first_degraded: str | None
    staff: int
    counts: dict[str, int] = Field(description="head counts by state (as /api/crew/status)")
    on_site: int
    shifts: list[Shift]
    capacity: list[CapacityPeriod]


class DependencyHealth(Wire):
    status: Level
    detail: str | None
    since_ms: int | None


class Withheld(Wire):
    """Consequences withheld while a cause (e.g. the broker) is down."""

    cause: str | None
    stale_trains: list[str]
    seq_loss: int
    lost_by_train: dict[str, list[int | list[list[int]]]]


class HealthReport(Wire):
    status: Level
    live_board: bool = Field(description="false: the board cannot be trusted now")
    untrusted_because: list[str]
    dependencies: dict[str, DependencyHealth]
    withheld_alarms: Withheld


class Board(Wire):
    """``GET /api/board``, and the ``board`` of a websocket snapshot frame."""

    line: LineRef
    now_ms: int
    field_ts_ms: int | None
    trains: list[Train]
    tracks: list[Track]
    substations: list[Substation]
    alarms: list[Alarm]
    kpis: Kpis
    crew: CrewSummary | None
    health: HealthReport | None


class SnapshotFrame(Wire):
    """``/ws/board``: the first frame, and again after a resync or a reset."""

    type: Literal["snapshot"]
    seq: int
    ts_ms: int
    board: Board


class DeltaFrame(Wire):
    """``/ws/board``: what changed; each board key present replaces the client's copy whole."""

    type: Literal["delta"]
    seq: int = Field(description="the last seq + 1; otherwise resync")
    ts_ms: int = Field(description="the board time (now_ms is not sent)")
    trains: list[Train] = Field(description="the trains that changed, whole")
    removed_trains: list[str]
    line: LineRef | None = None
    field_ts_ms: int | None = None
    tracks: list[Track] | None = None
    substations: list[Substation] | None = None
    alarms: list[Alarm] | None = None
    kpis: Kpis | None = None
    crew: CrewSummary | None = None
    health: HealthReport | None = None


class HeartbeatFrame(Wire):
    type: Literal["heartbeat"]
    seq: int = Field(description="the last seq sent")
    ts_ms: int


class ResyncRequest(Wire):
    """Client → server: send me a fresh snapshot."""

    type: Literal["resync"]


#: Every frame the server sends on ``/ws/board``.
BoardFrame = SnapshotFrame | DeltaFrame | HeartbeatFrame


class RejectSample(Wire):
    received_ms: int
    reason: str
    topic: str
    detail: str
    payload: str = Field(description="a printable prefix")


class Rejects(Wire):
    total: int
    by_reason: dict[str, int]
    samples: list[RejectSample]
