"""Situation reports: make, store, list, announce — on a schedule and on demand.

:class:`ReportService` is owned by the runtime (``async with`` it, then ``run()`` in the task
group: the scheduler and the webhook outbox). :meth:`ReportService.produce` gathers the facts
(:mod:`reports.content`), lays them out (:mod:`reports.layout`), renders HTML and PDF,
stores all three, and queues the webhook when one is configured.

A report covers the period since the previous *scheduled* report (so on-demand reports do not
shorten the next scheduled one's period); with none stored, since the slot before it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import structlog

from line.clock import Clock, wall_ms
from reports.config import ReportSettings
from reports.content import Sources, gather
from reports.layout import layout
from reports.model import ReportKind, SituationReport
from reports.render_html import HtmlRenderer
from reports.scheduler import ReportScheduler, Schedule
from reports.store import (
    WEBHOOK_OFF,
    WEBHOOK_PENDING,
    ReportRecord,
    ReportStore,
)
from reports.webhook import Delivery, Webhook, payload

if TYPE_CHECKING:
    from reports.render_pdf import PdfRenderer

log = structlog.get_logger(__name__)

DAY_MS = 86_400_000


class ReportNotFound(LookupError):
    """No report has this id."""


class ReportService:
    """Makes and keeps situation reports (see the module docstring).

    ``webhook_transport`` and ``webhook_sleep`` are test seams for the webhook's HTTP client
    and its back-off; ``announce=False`` never posts (the offline CLI).
    """

    def __init__(
        self,
        settings: ReportSettings,
        db_url: str,
        sources: Sources,
        *,
        clock: Clock = wall_ms,
        announce: bool = True,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.sources = sources
        self._clock = clock
        self.store = ReportStore(db_url)
        self._html = HtmlRenderer()
        self._pdf: PdfRenderer | None = None  # the font is looked up at the first PDF
        self.schedule = Schedule(settings.times, settings.tz)
        self.scheduler = ReportScheduler(
            self.schedule,
            produce=lambda slot: self.produce(
                kind=ReportKind.SCHEDULED, slot_ms=slot, actor="scheduler"
            ),
            reported=self.store.has_slot,
            clock=clock,
            poll_s=settings.poll_s,
            catch_up_delay_s=settings.catch_up_delay_s,
        )
        self.webhook: Webhook | None = None
        if announce and settings.webhook_url:
            token = settings.webhook_token
            self.webhook = Webhook(
                settings.webhook_url,
                clock=clock,
                token=token.get_secret_value() if token else None,
                timeout_s=settings.webhook_timeout_s,
                attempts=settings.webhook_attempts,
                backoff_s=settings.webhook_backoff_s,
                transport=webhook_transport,
            )
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()

    async def __aenter__(self) -> ReportService:
        await self.store.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.store.__aexit__(*exc)

    # --- making reports ----------------------------------------------------------------------
    async def window_start(self, at_ms: int, slot_ms: int | None = None) -> int:
        """Where the period of a report made at ``at_ms`` begins (see the module docstring)."""
        prev = await self.store.previous_scheduled(at_ms)
        if prev is not None:
            return prev
        slot = self.schedule.latest((slot_ms if slot_ms is not None else at_ms) - 1)
        return slot if slot is not None else at_ms - DAY_MS

    async def produce(
        self,
        *,
        kind: ReportKind,
        actor: str,
        at_ms: int | None = None,
        slot_ms: int | None = None,
    ) -> ReportRecord:
        """Gather, render and store one report; queue its announcement.

        Raises :class:`~reports.store.SlotTaken` when ``slot_ms`` is already reported.
        """
        at = self._clock() if at_ms is None else at_ms
        since = await self.window_start(at, slot_ms)
        report = await gather(self.sources, kind=kind, at_ms=at, since_ms=since, slot_ms=slot_ms)
        report_id = uuid.uuid4().hex
        doc = layout(report, report_id=report_id, outlook_days=self.settings.outlook_days)
        html = self._html.render(doc)
        if self._pdf is None:
            # imported with the first report: fpdf2 takes about a second to import, and every
            # command that builds a runtime would pay it
            from reports.render_pdf import PdfRenderer

            self._pdf = PdfRenderer(self.settings.font_file)
        created = datetime.fromtimestamp(at / 1000, UTC)
        pdf = await asyncio.to_thread(self._pdf.render, doc, created=created)
        when = datetime.fromtimestamp((slot_ms or at) / 1000, self.settings.tz)
        rec = ReportRecord(
            id=report_id,
            kind=kind,
            slot_ms=slot_ms,
            at_ms=at,
            since_ms=since,
            created_by=actor,
            title=f"Báo cáo tình hình / Situation report {when:%H:%M %d/%m/%Y}",
            summary=report.summary(),
            webhook_status=WEBHOOK_PENDING if self.webhook else WEBHOOK_OFF,
            webhook_attempts=0,
            webhook_error="",
            webhook_ms=None,
            pdf_bytes=len(pdf),
        )
        await self.store.add(rec, content=report.model_dump_json(), html=html, pdf=pdf)
        log.info("situation report made", id=report_id, kind=kind.value, slot=slot_ms, by=actor)
        if self.webhook is not None:
            self._enqueue(report_id)
        return rec

    # --- reading -----------------------------------------------------------------------------
    async def list(self, limit: int = 100) -> list[ReportRecord]:
        return await self.store.list(limit)

    async def get(self, report_id: str) -> ReportRecord:
        rec = await self.store.get(report_id)
        if rec is None:
            raise ReportNotFound(f"no report {report_id!r}")
        return rec

    async def content(self, report_id: str) -> SituationReport:
        text = await self.store.content(report_id)
        if text is None:
            raise ReportNotFound(f"no report {report_id!r}")
        return SituationReport.model_validate_json(text)

    async def html(self, report_id: str) -> str:
        text = await self.store.html(report_id)
        if text is None:
            raise ReportNotFound(f"no report {report_id!r}")
        return text

    async def pdf(self, report_id: str) -> bytes:
        data = await self.store.pdf(report_id)
        if data is None:
            raise ReportNotFound(f"no report {report_id!r}")
        return data

    # --- announcing --------------------------------------------------------------------------
    def _enqueue(self, report_id: str) -> None:
        if report_id not in self._queued:
            self._queued.add(report_id)
            self._outbox.put_nowait(report_id)

    async def deliver(self, report_id: str) -> Delivery | None:
        """Post one report's summary to the webhook now and record the outcome."""
        if self.webhook is None:
            return None
        rec = await self.get(report_id)
        body = payload(rec, await self.content(report_id), self.settings.public_url)
        d = await self.webhook.deliver(body)
        await self.store.set_webhook(
            report_id, status=d.status, attempts=d.attempts, error=d.error, at_ms=d.at_ms
        )
        return d

    async def _outbox_loop(self) -> None:
        # reports left pending by a previous process are announced now
        try:
            for rec in reversed(await self.store.list(100, webhook_status=WEBHOOK_PENDING)):
                self._enqueue(rec.id)
        except Exception:  # the database is down: new reports are still announced
            log.exception("could not read the reports left unannounced")
        while True:
            report_id = await self._outbox.get()
            try:
                await self.deliver(report_id)
            except Exception:  # a database hiccup must not stop later announcements
                log.exception("report webhook bookkeeping failed", report=report_id)
            finally:
                self._queued.discard(report_id)

    async def run(self) -> None:
        """The scheduler (when times are set) and the webhook outbox, until cancelled."""
        async with asyncio.TaskGroup() as tg:
            if self.schedule.times:
                tg.create_task(self.scheduler.run(), name="report-scheduler")
            if self.webhook is not None:
                tg.create_task(self._outbox_loop(), name="report-webhook")
