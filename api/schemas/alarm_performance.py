"""``GET /api/alarms/performance``: alarm system performance (ISA-18.2 §16, EEMUA 191)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Wire


class ConsoleRate(Wire):
    console: str = Field(description="traffic, power, crew or systems")
    total: int
    mean_per_10min: float = Field(
        description="occurrences over the window's 10-minute periods: the average ISA-18.2 "
        "reads against ~1 (very likely acceptable) and ~2 (maximum manageable)"
    )
    max_per_10min: int = Field(
        description="the most occurrences in any one 10-minute period (ISA-18.2: at most 10)"
    )
    periods_over_2: int = Field(description="10-minute periods above 2 alarms")


class Period(Wire):
    start_ms: int
    by_console: dict[str, int]


class BadActor(Wire):
    key: str
    console: str
    occurrences: int
    share_pct: float
    priority: int
    message: str = Field(description="in the request's language")


class Standing(Wire):
    id: int
    key: str
    console: str
    priority: int
    message: str = Field(description="in the request's language")
    since_ms: int
    detail: str | None = Field(description="shelved: the reason; chattering: the burst")
    by: str | None
    until_ms: int | None
    occurrences: int


class AlarmPerformance(Wire):
    start_ms: int
    end_ms: int
    total: int = Field(description="occurrences: new alarms and re-activations")
    periods: int
    periods_in_flood: int
    flood_pct: float = Field(description="ISA-18.2 target: under ~1 %")
    flood_threshold: int = Field(description="more than this many in 10 minutes is a flood")
    consoles: list[ConsoleRate]
    per_10min: list[Period]
    bad_actors: list[BadActor]
    top10_share_pct: float
    chattering: list[Standing] = Field(description="3 or more occurrences within 60 s")
    stale: list[Standing] = Field(description="open for more than 24 h")
    shelved: list[Standing]
