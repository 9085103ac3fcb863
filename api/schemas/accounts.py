"""Sign-in and the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.base import Wire


class SignedOut(Wire):
    signed_out: bool = Field(description="false: there was no session")


class AuditDetailItem(Wire):
    """One detail of an audit record in words: ``name: value``."""

    name: str = Field(description="the field's name, Vietnamese")
    name_en: str
    value: str = Field(description="its value, Vietnamese")
    value_en: str
    as_recorded: bool = Field(
        description="the value is shown as recorded (a name, an id, what a person wrote)"
    )


class AuditEntry(Wire):
    id: int
    at_ms: int
    user: str
    source_ip: str
    action: str
    result: str
    detail: dict[str, Any]
    action_text: str = Field(description="the action in words, Vietnamese (`action` is its code)")
    action_text_en: str = Field(description="the action in words, English")
    result_text: str = Field(description="the result in words, Vietnamese (`result`: its code)")
    result_text_en: str = Field(description="the result in words, English")
    detail_text: str = Field(description="the details as 'name: value' items, Vietnamese")
    detail_text_en: str = Field(description="the details as 'name: value' items, English")
    detail_items: list[AuditDetailItem] = Field(description="the same details one by one")


class AuditPage(Wire):
    """Newest first; ``next_before_id`` continues the listing (null: no more)."""

    entries: list[AuditEntry]
    next_before_id: int | None
