"""Replay (``GET /api/replay``): the line at a past moment, rebuilt from history only."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Wire
from api.schemas.board import Alarm, Board


class ReplayCrewEvent(Wire):
    """A crew status event recorded by the moment replayed."""

    staff_id: str
    state: str
    effective_ms: int
    recorded_ms: int
    until_ms: int | None
    source: str


class ReplayLogEntry(Wire):
    """A shift log entry as it stood at the moment replayed (read only)."""

    id: int
    at_ms: int
    author: str
    category: str
    code: str | None = Field(description="the system's catalogue code; null: a person's words")
    text: str = Field(description="Vietnamese (or the author's words)")
    text_en: str | None
    train: str | None


class Replay(Wire):
    """The line at ``at_ms``: ``board`` has the live board's shape, so the same components draw
    it; what history does not record (deviation, headways, trip counts, crew coverage, health)
    is null or empty, never invented."""

    at_ms: int
    board: Board
    alarms_recorded: bool = Field(
        description="false: the alarm journal does not reach back to at_ms (alarms unknown)"
    )
    shelved_alarms: list[Alarm]
    crew_events: list[ReplayCrewEvent] = Field(
        description="recorded by at_ms, effective in the 12 h before it, newest first"
    )
    log: list[ReplayLogEntry] = Field(
        description="shift log of the 12 h before at_ms, newest first"
    )
    cancellations: list[ReplayLogEntry] = Field(description="the log's trips-cancelled entries")


class ReplayRange(Wire):
    """What a scrubber may cover: the history retained, at most 7 days, up to now."""

    now_ms: int = Field(description="the board's now (the field's clock when it follows one)")
    earliest_ms: int
