"""Sign-in and the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.base import Wire


class SignedOut(Wire):
    signed_out: bool = Field(description="false: there was no session")


class AuditEntry(Wire):
    id: int
    at_ms: int
    user: str
    source_ip: str
    action: str
    result: str
    detail: dict[str, Any]


class AuditPage(Wire):
    """Newest first; ``next_before_id`` continues the listing (null: no more)."""

    entries: list[AuditEntry]
    next_before_id: int | None
