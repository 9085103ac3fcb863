"""Situation reports in the database: the facts, both renderings, and the webhook's outcome.

One table, ``situation_reports``, in the same database as the crew record (``Settings.db.url``),
migrated by its own Alembic stream (``reports/migrations``) when the store opens. The HTML and
PDF are stored as rendered, so a download is exactly what was announced.

``slot_ms`` is unique: a scheduled slot is reported once, even with several API replicas
sharing the database (the second insert fails with :class:`SlotTaken`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from reports.migrations import STREAM
from reports.model import ReportKind
from storage.engine import writer
from storage.table_store import TableStore

metadata = MetaData()

reports = Table(
    "situation_reports",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("slot_ms", BigInteger, nullable=True, unique=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("since_ms", BigInteger, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("title", String(300), nullable=False),
    Column("summary", JSON, nullable=False),  # headline numbers (SituationReport.summary)
    Column("content", Text, nullable=False),  # SituationReport JSON
    Column("html", Text, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("webhook_status", String(16), nullable=False, default="off"),
    Column("webhook_attempts", Integer, nullable=False, default=0),
    Column("webhook_error", Text, nullable=False, default=""),
    Column("webhook_ms", BigInteger, nullable=True),
    Index("ix_situation_reports_at", "at_ms"),
)

WEBHOOK_OFF, WEBHOOK_PENDING, WEBHOOK_SENT, WEBHOOK_FAILED = "off", "pending", "sent", "failed"


class SlotTaken(RuntimeError):
    """A report for this scheduled slot is already stored."""


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """One stored report, without its renderings."""

    id: str
    kind: ReportKind
    slot_ms: int | None
    at_ms: int
    since_ms: int
    created_by: str
    title: str
    summary: dict[str, Any]
    webhook_status: str
    webhook_attempts: int
    webhook_error: str
    webhook_ms: int | None
    pdf_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        """As the API lists it, with the download links."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "slot_ms": self.slot_ms,
            "at_ms": self.at_ms,
            "since_ms": self.since_ms,
            "created_by": self.created_by,
            "title": self.title,
            "summary": self.summary,
            "webhook": {
                "status": self.webhook_status,
                "attempts": self.webhook_attempts,
                "error": self.webhook_error or None,
                "at_ms": self.webhook_ms,
            },
            "pdf_bytes": self.pdf_bytes,
            "links": {
                "html": f"/api/reports/{self.id}.html",
                "pdf": f"/api/reports/{self.id}.pdf",
            },
        }


_LISTED = [
    *(c for c in reports.c if c.name not in ("content", "html", "pdf")),
    func.length(reports.c.pdf).label("pdf_bytes"),
]


def _record(row: Any) -> ReportRecord:
    m = row._mapping
    return ReportRecord(
        id=m["id"],
        kind=ReportKind(m["kind"]),
        slot_ms=m["slot_ms"],
        at_ms=m["at_ms"],
        since_ms=m["since_ms"],
        created_by=m["created_by"],
        title=m["title"],
        summary=m["summary"],
        webhook_status=m["webhook_status"],
        webhook_attempts=m["webhook_attempts"],
        webhook_error=m["webhook_error"],
        webhook_ms=m["webhook_ms"],
        pdf_bytes=m["pdf_bytes"] or 0,
    )


class ReportStore(TableStore):
    """Async access to ``situation_reports``: ``async with ReportStore(url) as store``."""

    stream = STREAM
    name = "report"

    async def add(self, rec: ReportRecord, *, content: str, html: str, pdf: bytes) -> None:
        """Store a report; :class:`SlotTaken` when its scheduled slot is already reported."""
        try:
            async with writer(self.engine).begin() as conn:
                await conn.execute(
                    reports.insert().values(
                        id=rec.id,
                        kind=rec.kind.value,
                        slot_ms=rec.slot_ms,
                        at_ms=rec.at_ms,
                        since_ms=rec.since_ms,
                        created_by=rec.created_by,
                        title=rec.title,
                        summary=rec.summary,
                        content=content,
                        html=html,
                        pdf=pdf,
                        webhook_status=rec.webhook_status,
                        webhook_attempts=rec.webhook_attempts,
                        webhook_error=rec.webhook_error,
                        webhook_ms=rec.webhook_ms,
                    )
                )
        except IntegrityError as exc:
            if rec.slot_ms is not None and await self.has_slot(rec.slot_ms):
                raise SlotTaken(f"slot {rec.slot_ms} already reported") from exc
            raise

    async def has_slot(self, slot_ms: int) -> bool:
        q = select(reports.c.id).where(reports.c.slot_ms == slot_ms)
        async with self.engine.connect() as conn:
            return (await conn.execute(q)).first() is not None

    async def previous_scheduled(self, before_ms: int) -> int | None:
        """``at_ms`` of the latest scheduled report made before ``before_ms``."""
        q = select(func.max(reports.c.at_ms)).where(
            reports.c.kind == ReportKind.SCHEDULED.value, reports.c.at_ms < before_ms
        )
        async with self.engine.connect() as conn:
            value = (await conn.execute(q)).scalar_one_or_none()
        return None if value is None else int(value)

    async def get(self, report_id: str) -> ReportRecord | None:
        q = select(*_LISTED).where(reports.c.id == report_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(q)).first()
        return None if row is None else _record(row)

    async def list(
        self, limit: int = 100, *, webhook_status: str | None = None
    ) -> list[ReportRecord]:
        """The latest reports first."""
        q = select(*_LISTED).order_by(reports.c.at_ms.desc(), reports.c.id).limit(limit)
        if webhook_status is not None:
            q = q.where(reports.c.webhook_status == webhook_status)
        async with self.engine.connect() as conn:
            return [_record(r) for r in (await conn.execute(q)).all()]

    async def _column(self, report_id: str, column: Any) -> Any:
        async with self.engine.connect() as conn:
            q = select(column).where(reports.c.id == report_id)
            return (await conn.execute(q)).scalar_one_or_none()

    async def content(self, report_id: str) -> str | None:
        """The report's facts as stored (SituationReport JSON)."""
        value: str | None = await self._column(report_id, reports.c.content)
        return value

    async def html(self, report_id: str) -> str | None:
        value: str | None = await self._column(report_id, reports.c.html)
        return value

    async def pdf(self, report_id: str) -> bytes | None:
        value: bytes | None = await self._column(report_id, reports.c.pdf)
        return value

    async def set_webhook(
        self, report_id: str, *, status: str, attempts: int, error: str, at_ms: int | None
    ) -> None:
        q = (
            update(reports)
            .where(reports.c.id == report_id)
            .values(
                webhook_status=status,
                webhook_attempts=attempts,
                webhook_error=error,
                webhook_ms=at_ms,
            )
        )
        async with writer(self.engine).begin() as conn:
            await conn.execute(q)
