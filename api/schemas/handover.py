"""``/api/handover``: shift handovers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import Wire

HandoverStateName = Literal["draft", "signed", "accepted"]
ShiftStatusName = Literal["current", "draft", "signed", "accepted", "due", "not_handed_over"]
SectionName = Literal["alarms", "shelved", "trips", "crew", "log", "incidents"]


class HandoverItem(Wire):
    """One thing handed over; ``must_ack`` items are acknowledged one by one by the incoming
    operator before the handover can be accepted."""

    key: str = Field(description="unique within the handover, e.g. alarm:12")
    section: SectionName
    text: str
    text_en: str
    must_ack: bool
    acked_by: str | None
    acked_ms: int | None


class Handover(Wire):
    id: int
    shift_id: str = Field(description="the control-room shift handed over, e.g. occ_day")
    shift_start_ms: int
    shift_end_ms: int
    state: HandoverStateName
    opened_by: str
    opened_ms: int
    summary: str = Field(description="drafted by the system, edited by the outgoing operator")
    items: list[HandoverItem]
    unacked: int = Field(description="items still to acknowledge before acceptance")
    sections: list[SectionName] = Field(description="every section, in the order shown")
    incidents_source: bool = Field(description="false: no incident record is wired in yet")
    signed_by: str | None
    signed_ms: int | None
    accepted_by: str | None
    accepted_ms: int | None


class ShiftHandover(Wire):
    """A shift and where its handover stands (``not_handed_over``: it ended without one)."""

    shift_id: str
    start_ms: int
    end_ms: int
    status: ShiftStatusName
    handover_id: int | None
    signed_by: str | None
    accepted_by: str | None


class HandoverOverview(Wire):
    current: ShiftHandover = Field(description="the shift on now")
    shifts: list[ShiftHandover] = Field(description="shifts ended in the last 24 h, newest first")
    latest: Handover | None = Field(description="the newest signed handover")
    open: Handover | None = Field(description="the handover being drafted or awaiting acceptance")
