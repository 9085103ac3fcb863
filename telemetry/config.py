"""Settings sub-models owned by the telemetry package (composed by ``services.settings.Settings``).

Nothing here reads the environment: the root settings object does, once, at start-up.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

DEFAULT_REGISTER_MAPS = Path(__file__).parent / "data" / "registers.toml"


class _Cfg(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` or ``mqtts://…`` (TLS, default port 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"MQTT URL must start with mqtt:// or mqtts://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"MQTT URL has no host: {url!r}")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class MqttSettings(_Cfg):
    url: str | None = Field(default=None, description="mqtt://[user:pass@]host:port or mqtts://")
    line: str = Field(default="2a", description="line id in topics")
    client_id: str = "metro-ops-ingest"
    persistent_session: bool = Field(
        default=True, description="keep the session so QoS 1 events queued while away arrive"
    )
    shared_group: str | None = Field(
        default=None, description="subscribe via $share/<group>/… to split load across workers"
    )
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive_s: int = Field(default=30, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    reconnect_min_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    reconnect_probe_s: float = Field(
        default=0.5,
        gt=0,
        description="while waiting to reconnect, probe the broker's port this often: retry at "
        "once when it is back",
    )
    max_queued_messages: int = Field(
        default=100_000, gt=0, description="bound on aiomqtt's incoming queue"
    )

    @field_validator("url")
    @classmethod
    def _valid_url(cls, v: str | None) -> str | None:
        if v is not None:
            parse_mqtt_url(v)
        return v

    def address(self) -> BrokerAddress:
        if self.url is None:
            raise ValueError("no MQTT broker configured: set METRO_MQTT_URL=mqtt://host:port")
        return parse_mqtt_url(self.url)


class RegisterPoint(_Cfg):
    name: str
    address: int = Field(ge=0, le=65535)
    type: Literal["float32", "uint32", "uint16", "int16", "bits"]
    scale: float = 1.0
    unit: str = ""
    low: float | None = None
    high: float | None = None
    bits: dict[int, str] = Field(default_factory=dict)
    alarm_bits: dict[str, bool] = Field(default_factory=dict)
    alarm_nonzero: bool = False

    @property
    def width(self) -> int:
        return 2 if self.type in ("float32", "uint32") else 1


class RegisterMap(_Cfg):
    heartbeat: str | None = None
    points: tuple[RegisterPoint, ...]

    @model_validator(mode="after")
    def _check(self) -> RegisterMap:
        names = [p.name for p in self.points]
        if len(set(names)) != len(names):
            raise ValueError("register point names must be unique")
        if self.heartbeat is not None and self.heartbeat not in names:
            raise ValueError(f"heartbeat point {self.heartbeat!r} is not in the map")
        return self

    @property
    def span(self) -> tuple[int, int]:
        """(first address, register count) covering every point: one read per poll."""
        lo = min(p.address for p in self.points)
        hi = max(p.address + p.width for p in self.points)
        return lo, hi - lo


def load_register_maps(path: Path | None = None) -> dict[str, RegisterMap]:
    with (path or DEFAULT_REGISTER_MAPS).open("rb") as f:
        data = tomllib.load(f)
    return {name: RegisterMap.model_validate(m) for name, m in data.get("maps", {}).items()}


class ModbusDevice(_Cfg):
    id: str
    name: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=502, gt=0, le=65535)
    unit_id: int = Field(default=1, ge=0, le=247)
    map: str = "traction_substation"
    poll_s: float | None = Field(default=None, gt=0, description="overrides modbus.poll_s")


class ModbusSettings(_Cfg):
    devices: tuple[ModbusDevice, ...] = ()
    maps_file: Path | None = None
    poll_s: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=0.8, gt=0)
    stale_after_misses: int = Field(default=3, ge=1)
    backoff_max_s: float = Field(default=10.0, gt=0)


class InfluxSettings(_Cfg):
    url: str | None = None
    org: str = "metro"
    bucket: str = "metro"
    token: SecretStr = SecretStr("")
    batch_size: int = Field(default=1000, gt=0)
    flush_interval_s: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=5.0, gt=0)
    retry_max_s: float = Field(default=30.0, gt=0)
    spool_dir: Path = Path("data/spool")
    spool_max_points: int = Field(
        default=5_000_000, gt=0, description="points kept on disk during an outage before dropping"
    )


class HistorySettings(_Cfg):
    embedded_path: Path = Path("data/history.sqlite")
    retention_h: float = Field(default=72.0, gt=0)
    sample_every_s: float = Field(
        default=0.0, ge=0, description="0 keeps every message; >0 thins per train"
    )


class StateSettings(_Cfg):
    timetable: str = "2026"
    stale_after_s: float = Field(default=5.0, gt=0, description="train telemetry age → stale")
    gap_factor: float = Field(default=1.5, gt=1, description="headway > planned × this → gap")
    bunch_factor: float = Field(default=0.5, gt=0, lt=1, description="headway < planned × this")
    late_after_s: float = Field(default=120.0, gt=0)
    early_after_s: float = Field(default=60.0, gt=0)
    flood_per_10min: int = Field(default=10, gt=0)
    shelve_max_min: float = Field(
        default=480, gt=0, le=24 * 60, description="longest shelve of a P3/P4 alarm (minutes)"
    )
    shelve_max_min_high: float = Field(
        default=60,
        gt=0,
        le=24 * 60,
        description="longest shelve of a P1/P2 alarm (minutes; at most shelve_max_min)",
    )
    clock: Literal["server", "field"] = Field(
        default="server",
        description=(
            "whose clock the board runs on: 'server' (production: field timestamps are checked "
            "against the server's clock, never ahead of it) or 'field' (fed by an emulator "
            "running faster or at another time of day: the timetable is judged on its clock)"
        ),
    )
    max_future_s: float = Field(
        default=2.0,
        ge=0,
        description="a field ts further ahead of the server's receive time is clamped to it",
    )
    clock_skew_alarm_s: float = Field(
        default=30.0, gt=0, description="a unit's clock off by more than this raises an alarm"
    )
    outage_grace_s: float = Field(
        default=10.0,
        ge=0,
        description="after a dependency recovers, its consequential alarms stay grouped this long",
    )
