"""What a shift log entry is: who wrote it, when, in which category, what it says and what it
is about (a train, an alarm, a staff member), and which earlier entry it corrects."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from line.catalogue import Message, render_both

SYSTEM_AUTHOR = "system"  # the author of the entries the system writes by itself
MAX_TEXT = 4000  # characters: a log entry, not a report


class Category(StrEnum):
    OPERATIONS = "operations"
    CREW = "crew"
    EQUIPMENT = "equipment"
    SAFETY = "safety"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append. Either ``text`` (a person's words) or ``message`` (a catalogue code:
    the system's entries, rendered in both languages when stored and at the edge)."""

    author: str
    category: Category
    text: str = ""
    message: Message | None = None
    train: str | None = None
    alarm_id: int | None = None
    staff_id: str | None = None
    corrects: int | None = None
    follow_up: bool = False  # an open item until an entry corrects it

    def texts(self) -> tuple[str, str | None]:
        """(Vietnamese or the author's own words, English or None)."""
        if self.message is None:
            return self.text, None
        return render_both(self.message)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One stored entry."""

    id: int
    at_ms: int
    author: str
    category: Category
    text: str  # the author's words, or the system's message in Vietnamese
    text_en: str | None  # the system's message in English (None: a person's entry)
    message: Message | None
    train: str | None
    alarm_id: int | None
    staff_id: str | None
    corrects: int | None
    follow_up: bool = False

    @property
    def system(self) -> bool:
        return self.author == SYSTEM_AUTHOR and self.message is not None
