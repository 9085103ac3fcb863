"""Settings of the situation reports (section ``[reports]``; env ``METRO_REPORTS_*``)."""

from __future__ import annotations

from datetime import time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from line.clock import HANOI_ZONE


class ReportSettings(BaseModel):
    """When reports are produced, what they look ahead at, and where they are announced.

    ``times`` are local wall-clock times in ``timezone`` (the city offices reported at 07:00,
    11:00 and 17:00 in 2021); an empty list switches the schedule off (on-demand reports still
    work). ``webhook_url`` is optional: each stored report is then POSTed there as a JSON
    summary with links (see :mod:`reports.webhook`), the links built on ``public_url``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    times: tuple[time, ...] = Field(
        default=(time(7), time(11), time(17)), description="local times of the scheduled reports"
    )
    timezone: str = Field(default=HANOI_ZONE, description="IANA zone of `times`")
    poll_s: float = Field(
        default=30.0, gt=0, le=3600, description="longest sleep of the scheduler between checks"
    )
    catch_up_delay_s: float = Field(
        default=120.0,
        ge=0,
        le=3600,
        description="after a start, wait this long (the live state fills from the stream) "
        "before reporting a slot missed while down",
    )
    outlook_days: int = Field(default=3, ge=1, le=14, description="coverage outlook, days")
    top_alarms: int = Field(default=10, ge=0, le=100, description="alarms listed by name")
    font_file: Path | None = Field(
        default=None, description="TTF for the PDF (default: DejaVu Sans, bundled by matplotlib)"
    )
    public_url: str | None = Field(
        default=None, description="base URL of this server in webhook links, e.g. https://ops/"
    )
    webhook_url: str | None = Field(default=None, description="POST each report's summary here")
    webhook_token: SecretStr | None = Field(
        default=None, description="sent as `Authorization: Bearer …` to the webhook"
    )
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=300)
    webhook_attempts: int = Field(default=3, ge=1, le=20, description="tries before giving up")
    webhook_backoff_s: float = Field(default=2.0, ge=0, le=600, description="doubles each retry")

    @field_validator("times")
    @classmethod
    def _sorted_unique(cls, v: tuple[time, ...]) -> tuple[time, ...]:
        if any(t.tzinfo is not None for t in v):
            raise ValueError("report times are local wall-clock times: give no offset")
        return tuple(sorted(set(v)))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("webhook_url", "public_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)
