"""A shift handover: the outgoing operator's signed summary and the incoming one's acceptance.

Life cycle: ``draft`` (opened; the system drafted the summary and the items, the outgoing
operator edits the summary) → ``signed`` (by the operator who opened it; no more edits) →
``accepted`` (by a different user, once every item that must be acknowledged has been, one by
one). One handover per shift; a shift that ended without a signed handover is "not handed
over".

Items are what the incoming shift must know, by section (:data:`SECTIONS`); those with
``must_ack`` (every open P1/P2 alarm, every crew shortage, every open log item) are
acknowledged individually before the handover can be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_SUMMARY = 8000  # characters


class HandoverState(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    ACCEPTED = "accepted"


class Section(StrEnum):
    """The parts of a handover, in the order shown."""

    ALARMS = "alarms"  # open alarms (not shelved)
    SHELVED = "shelved"  # shelved alarms
    TRIPS = "trips"  # trips lost today and why
    CREW = "crew"  # crew short on the next shift
    LOG = "log"  # open shift log items (entries flagged for follow-up, not since corrected)
    INCIDENTS = "incidents"  # open incidents: filled once an incident source is wired in


SECTIONS = tuple(Section)


@dataclass(frozen=True, slots=True)
class Item:
    """One thing handed over. ``key`` is unique within the handover (e.g. ``alarm:12``)."""

    key: str
    section: Section
    text: str  # Vietnamese
    text_en: str
    must_ack: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "section": self.section.value,
            "text": self.text,
            "text_en": self.text_en,
            "must_ack": self.must_ack,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Item:
        return cls(d["key"], Section(d["section"]), d["text"], d["text_en"], bool(d["must_ack"]))


@dataclass(frozen=True, slots=True)
class Draft:
    """What the system drafts when a handover is opened."""

    summary: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Ack:
    key: str
    user: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class Handover:
    id: int
    shift_id: str
    shift_start_ms: int
    shift_end_ms: int
    state: HandoverState
    opened_by: str
    opened_ms: int
    summary: str
    items: tuple[Item, ...]
    acks: dict[str, Ack]
    signed_by: str | None
    signed_ms: int | None
    accepted_by: str | None
    accepted_ms: int | None

    def unacked(self) -> list[Item]:
        """Items that must be acknowledged and are not yet."""
        return [i for i in self.items if i.must_ack and i.key not in self.acks]
