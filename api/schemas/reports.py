"""``/api/reports``: situation reports."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.base import Wire
from reports.model import ReportKind, SituationReport


class Webhook(Wire):
    status: str
    attempts: int
    error: str | None
    at_ms: int | None


class ReportLinks(Wire):
    html: str
    pdf: str


class Report(Wire):
    """A report as listed: its headline numbers and download links."""

    id: str
    kind: ReportKind
    slot_ms: int | None
    at_ms: int
    since_ms: int
    created_by: str
    title: str
    summary: dict[str, Any] = Field(description="headline numbers (SituationReport.summary)")
    webhook: Webhook
    pdf_bytes: int
    links: ReportLinks


class ReportWithContent(Report):
    content: SituationReport = Field(description="every fact the report states")
