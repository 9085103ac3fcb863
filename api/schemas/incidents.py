"""``/api/incidents`` and ``/api/timeline``: incidents and their timelines."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Wire
from incidents import Source, Status


class IncidentNote(Wire):
    id: int
    at_ms: int
    author: str
    text: str


class IncidentSummary(Wire):
    """An incident as listed (without its notes)."""

    id: int
    title: str
    start_ms: int = Field(description="the window's start (inclusive), ms since the epoch")
    end_ms: int = Field(description="the window's end (exclusive)")
    status: Status
    alarm_id: int | None = Field(description="the alarm it was started from")
    created_by: str
    created_ms: int
    closed_by: str | None
    closed_ms: int | None


class Incident(IncidentSummary):
    """An incident with its notes, oldest first."""

    notes: list[IncidentNote]


class IncidentList(Wire):
    """Incidents newest first."""

    incidents: list[IncidentSummary]


class TimelineEvent(Wire):
    """One event of a timeline. ``kind`` is a stable code (``alarm.raised``, ``alarm.acked``,
    ``audit.log.write``, ``crew.f1_quarantine``, ``trip.lost``, ``log.operations``, ``note``…);
    ``text`` says what happened in Vietnamese, ``text_en`` in English."""

    at_ms: int
    hanoi: str = Field(description="the time in Hanoi, YYYY-MM-DD HH:MM:SS")
    source: Source
    kind: str
    text: str
    text_en: str
    user: str | None = Field(description="who did it (None: the field or the system)")
    train: str | None
    alarm_id: int | None
    staff_id: str | None
    ref: str | None = Field(description="the record in its source: 'alarm 12', 'log 7'…")


class Timeline(Wire):
    """Every event of a window, oldest first (an incident's notes among them)."""

    incident_id: int | None
    start_ms: int
    end_ms: int
    events: list[TimelineEvent]
    truncated: bool = Field(description="more events than one timeline holds: the earliest kept")
    failed: list[str] = Field(description="sources that could not answer (the rest are shown)")
