"""``/healthz``, ``/api/line`` and ``/api/history``."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Wire
from api.schemas.board import HealthReport


class SinkCounts(Wire):
    written: int
    buffered: int
    spooled: int
    dropped: int


class Healthz(HealthReport):
    """Every dependency's state and the overall one (503 when the board cannot be trusted)."""

    model_config = HealthReport.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "ok", "live_board": True, "untrusted_because": [],
                    "dependencies": {"broker": {"status": "ok", "detail": None,
                                                "since_ms": 1795000000000}},
                    "withheld_alarms": {"cause": None, "stale_trains": [], "seq_loss": 0,
                                        "lost_by_train": {}},
                    "mqtt_connected": True, "stale_substations": [],
                    "sinks": {"embedded": {"written": 10, "buffered": 0, "spooled": 0,
                                           "dropped": 0}},
                    "uptime_s": 12.5,
                }
            ]
        }
    }  # fmt: skip

    mqtt_connected: bool | None
    stale_substations: list[str]
    sinks: dict[str, SinkCounts]
    uptime_s: float


class Place(Wire):
    id: str
    name: str
    chainage_m: float


class LineGeometry(Wire):
    """What the line diagram draws."""

    id: str
    name: str
    name_en: str
    length_m: float
    stations: list[Place]
    substations: list[Place]
    depot: Place
    trains: list[str]
    planned_in_service: int


class History(Wire):
    """Recent rows of one train or substation, oldest first."""

    entity: str
    measurement: str
    since_ms: int
    rows: list[dict[str, float | int | str | bool | None]] = Field(
        description='{"ts_ms": …, field: value, …}',
        examples=[[{"ts_ms": 1795000000000, "speed_kmh": 42.0, "pos_m": 5230.0}]],
    )
