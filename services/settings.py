"""The one settings object, built once at start-up and passed down.

Sources, highest priority first: constructor arguments, ``METRO_*`` environment variables, the
TOML file given with ``--config``, defaults. Nested fields are addressed with one underscore
after the section: ``METRO_MQTT_URL`` → ``mqtt.url``, ``METRO_INFLUX_TOKEN`` → ``influx.token``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from accounts.identity import AuthSettings
from crew.rules import PRESETS, CrewPolicy, policy_preset
from feeds.config import GtfsSettings
from reports.config import ReportSettings
from storage.urls import async_db_url
from telemetry.config import (
    HistorySettings,
    InfluxSettings,
    ModbusSettings,
    MqttSettings,
    StateSettings,
)
from whatif.settings import SimulationSettings


class _Cfg(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpSettings(_Cfg):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, le=65535)
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; none by default, so no client can pick its address",
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="largest request body, refused before parsing"
    )
    max_upload_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="largest body of the CSV import routes"
    )
    api_docs: bool = Field(
        default=True, description="serve /docs (Swagger UI from local files); off in production"
    )


class DbSettings(_Cfg):
    url: str = Field(
        default="sqlite+aiosqlite:///data/metro.db",
        description="sqlite:///path or postgresql://user:pass@host/db (async driver added)",
    )
    timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="bound on a database wait (lock, connect, statement): then 503 Retry-After",
    )

    @field_validator("url")
    @classmethod
    def _async(cls, v: str) -> str:
        return async_db_url(v)


class LineSettings(_Cfg):
    file: Path | None = Field(default=None, description="line data file; default Line 2A")


class CrewSettings(_Cfg):
    """The crew rules: a named preset (``crew.rules.PRESETS``) with field overrides."""

    policy: str = Field(default="hanoi-2021", description=f"one of {', '.join(PRESETS)}")
    policy_overrides: dict[str, object] = Field(default_factory=dict)
    solver_time_limit_s: float = Field(default=10.0, gt=0)
    # GET /api/crew/coverage and /capacity solve CP-SAT for every day asked: bound the work
    outlook_max_days: int = Field(default=31, ge=1, le=62, description="largest ?days=")
    outlook_cache_s: float = Field(
        default=10.0, ge=0, description="an identical request within this long is served again"
    )
    outlook_days_per_minute: int = Field(
        default=186, ge=1, description="per user: days solved a minute (cache misses), then 429"
    )
    outlook_concurrent: int = Field(
        default=1, ge=1, description="solves at once, server-wide (the others wait their turn)"
    )

    @model_validator(mode="after")
    def _valid_policy(self) -> CrewSettings:
        self.crew_policy()  # fail at start-up, not at the first coverage request
        return self

    def crew_policy(self) -> CrewPolicy:
        try:
            base = policy_preset(self.policy).model_dump()
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return CrewPolicy.model_validate({**base, **self.policy_overrides})


class WsSettings(_Cfg):
    """The live board websocket (``WS /ws/board``): one hub ticks and fans out to every client."""

    tick_s: float = Field(default=0.1, gt=0, le=1.0, description="delta coalescing tick")
    heartbeat_s: float = Field(default=5.0, gt=0, description="heartbeat when nothing changed")
    queue_frames: int = Field(default=16, ge=2, description="per-client queue, then resync")
    send_timeout_s: float = Field(default=10.0, gt=0, description="stalled this long: dropped")
    send_buffer_bytes: int = Field(
        default=65536, ge=4096, description="kernel and asyncio buffer per client, each"
    )
    auth_recheck_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="how often an open socket's sign-in is checked again (sign-out, expiry, "
        "disabled account, new password close it within this)",
    )


class LogSettings(_Cfg):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["console", "json"] = "console"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="METRO_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        frozen=True,
    )

    http: HttpSettings = HttpSettings()
    db: DbSettings = DbSettings()
    line: LineSettings = LineSettings()
    log: LogSettings = LogSettings()
    mqtt: MqttSettings = MqttSettings()
    modbus: ModbusSettings = ModbusSettings()
    influx: InfluxSettings = InfluxSettings()
    history: HistorySettings = HistorySettings()
    state: StateSettings = StateSettings()
    crew: CrewSettings = CrewSettings()
    auth: AuthSettings = AuthSettings()
    gtfs: GtfsSettings = GtfsSettings()
    ws: WsSettings = WsSettings()
    reports: ReportSettings = ReportSettings()  # situation reports: times, webhook
    simulation: SimulationSettings = SimulationSettings()  # what-if runs: limits, queue


def load_settings(config: Path | None = None, **overrides: object) -> Settings:
    """Build the settings from overrides, the environment and an optional TOML file."""
    if config is not None and not config.is_file():
        raise FileNotFoundError(f"config file not found: {config}")

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if config is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
            return tuple(sources)

    built = _FromFile(**overrides)  # type: ignore[arg-type]
    return Settings.model_validate(built.model_dump())
