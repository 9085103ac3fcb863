"""``/api/timetable/decision``: degraded-timetable decisions."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Wire


class TimetableDecision(Wire):
    id: int
    at_ms: int = Field(description="when it was declared")
    user: str
    degraded: bool = Field(description="false: back to the normal timetable")
    headway_s: int | None = Field(description="the degraded timetable's headway")
    from_ms: int = Field(description="in force from")
    reason: str


class TimetableDecisions(Wire):
    current: TimetableDecision | None = Field(
        description="the degraded timetable in force or announced; null: the normal one"
    )
    recent: list[TimetableDecision] = Field(description="the latest decisions, newest first")
