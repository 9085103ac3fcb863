"""``/api/log``: the shift log."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import CatalogueParam, Wire
from shiftlog import Category


class LogEntry(Wire):
    """One entry. A person's words are ``text``; the system's entries (``system``) are a
    catalogue message (``code``, ``params``) rendered as ``text`` (Vietnamese) and
    ``text_en``."""

    id: int
    at_ms: int
    author: str
    system: bool = Field(description="written by the system itself (author 'system')")
    category: Category
    text: str = Field(description="the author's words, or the system's message in Vietnamese")
    text_en: str | None = Field(description="the system's message in English")
    code: str | None = Field(description="the system's message as a catalogue code")
    params: dict[str, CatalogueParam] | None
    train: str | None
    alarm_id: int | None
    staff_id: str | None
    corrects: int | None = Field(description="the id of the entry this one corrects")
    follow_up: bool = Field(
        description="flagged for follow-up: an open item (handed over) until corrected"
    )


class ListedLogEntry(LogEntry):
    """An entry with its corrections: the ids of the entries correcting it and, when it is a
    correction itself, the entry it corrects."""

    corrected_by: list[int] = Field(description="ids of the entries correcting this one")
    corrects_entry: LogEntry | None = Field(description="the entry this one corrects")


class LogPage(Wire):
    """Entries newest first."""

    entries: list[ListedLogEntry]
    next_before: int | None = Field(description="pass as `before` for the next, older page")
