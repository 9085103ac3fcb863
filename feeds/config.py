"""Settings of the passenger feeds (section ``[gtfs]``; env ``METRO_GTFS_*``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from line.clock import HANOI_ZONE


class GtfsSettings(BaseModel):
    """Who publishes the feed and for how long the published static timetable is valid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency_name: str = "Hanoi Metro (Công ty TNHH MTV Đường sắt Hà Nội)"
    agency_url: str = "https://hanoimetro.net.vn"
    agency_phone: str | None = None
    timezone: str = Field(default=HANOI_ZONE, description="IANA zone of the times")
    lang: str = Field(default="vi", description="language of names in the feed")
    publisher_name: str | None = Field(default=None, description="default: the agency")
    publisher_url: str | None = Field(default=None, description="default: the agency's URL")
    contact_email: str | None = None
    valid_days: int = Field(default=60, ge=1, le=366, description="static feed validity, days")
