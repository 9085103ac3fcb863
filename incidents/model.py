"""What an incident is (a titled time window with notes, open or closed), what one line of its
timeline is, and the rules a window must keep."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from line.catalogue import Message, Refusal

MAX_WINDOW_MS = 7 * 24 * 3600 * 1000  # a week: a timeline is read, not mined
MAX_TITLE = 200
MAX_NOTE = 4000


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InvalidWindow(Refusal, ValueError):
    """The time window cannot be used (``message`` says why)."""


def check_window(start_ms: float, end_ms: float) -> tuple[int, int]:
    """``(start_ms, end_ms)`` as integers, or :class:`InvalidWindow`: both finite, the end
    after the start, at most :data:`MAX_WINDOW_MS` apart."""
    for name, v in (("start", start_ms), ("end", end_ms)):
        if not math.isfinite(v):
            raise InvalidWindow(Message(f"incident.refused.{name}_not_finite"))
        if not 0 <= v < 2**53:
            raise InvalidWindow(Message(f"incident.refused.{name}_out_of_range"))
    if end_ms <= start_ms:
        raise InvalidWindow(Message("incident.refused.end_before_start"))
    if end_ms - start_ms > MAX_WINDOW_MS:
        raise InvalidWindow(Message("incident.refused.window_long", {"days": 7}))
    return int(start_ms), int(end_ms)


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    incident_id: int
    at_ms: int
    author: str
    text: str


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    title: str
    start_ms: int
    end_ms: int
    status: Status
    alarm_id: int | None  # the alarm it was started from
    created_by: str
    created_ms: int
    closed_by: str | None
    closed_ms: int | None
    notes: tuple[Note, ...] = ()


class Source(StrEnum):
    """Where a timeline event comes from."""

    ALARM = "alarm"  # the alarm book's journal (raise, clear, ack, shelve, comment…)
    AUDIT = "audit"  # what people did (the audit log)
    CREW = "crew"  # crew status changes (the crew store)
    TRIP = "trip"  # trips lost (the trip ledger)
    LOG = "log"  # shift log entries
    NOTE = "note"  # the incident's own notes


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One line of a timeline. ``kind`` is a stable code (``alarm.raised``, ``crew.f1``,
    ``trip.lost``, ``audit.alarm.ack``…) the UI names in its language; ``text`` and ``text_en``
    say what happened (equal when there is only one language, e.g. a person's words)."""

    at_ms: int
    source: Source
    kind: str
    text: str
    text_en: str
    user: str | None = None
    train: str | None = None
    alarm_id: int | None = None
    staff_id: str | None = None
    ref: str | None = None  # the record in its source: "alarm 12", "audit 340", "log 7"…
