"""Announcing a stored report: POST a JSON summary with links to a configured URL.

Optional (``reports.webhook_url``). Each attempt has a timeout; a connection error, a timeout,
429 or a 5xx answer is retried after ``backoff_s``, doubling, up to ``attempts`` tries; any
other 4xx is the receiver refusing the message and is not retried. :meth:`Webhook.deliver`
never raises (cancellation aside): the outcome is returned for the report's row, and a failure
is logged — a broken receiver must never stop reports being made.

The body (``Content-Type: application/json``)::

    {"event": "situation_report", "id": "…", "kind": "scheduled", "line": "2a",
     "slot": "2026-05-28T07:00:00+07:00", "at": "…", "since": "…",
     "title": "…", "summary": {"trips_run": 120, "trips_lost": 2, "f0": 3, …},
     "links": {"html": "https://ops.example/api/reports/<id>.html", "pdf": "…/<id>.pdf"}}
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import structlog

from line.clock import Clock
from reports.model import SituationReport
from reports.store import WEBHOOK_FAILED, WEBHOOK_SENT, ReportRecord

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a delivery went: ``sent`` or ``failed``, after how many attempts, the last error."""

    status: str
    attempts: int
    error: str
    at_ms: int


def _iso(ms: int | None, tz: ZoneInfo) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz).isoformat()


def payload(rec: ReportRecord, report: SituationReport, public_url: str | None) -> dict[str, Any]:
    """The JSON body announcing ``rec`` (links absolute when ``public_url`` is set)."""
    tz = ZoneInfo(report.timezone)
    base = (public_url or "").rstrip("/")
    return {
        "event": "situation_report",
        "id": rec.id,
        "kind": rec.kind.value,
        "line": report.line_id,
        "slot": _iso(rec.slot_ms, tz),
        "at": _iso(rec.at_ms, tz),
        "since": _iso(rec.since_ms, tz),
        "title": rec.title,
        "summary": report.summary(),
        "gaps": [g.section for g in report.gaps],
        "links": {
            "html": f"{base}/api/reports/{rec.id}.html",
            "pdf": f"{base}/api/reports/{rec.id}.pdf",
        },
    }


def _retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


class Webhook:
    """POSTs report summaries to one URL (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        token: str | None = None,
        timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self._clock = clock
        self._headers = {"User-Agent": "metro-ops situation reports"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._transport = transport
        self._sleep = sleep

    async def deliver(self, body: dict[str, Any]) -> Delivery:
        """POST ``body``; retried as the module docstring says. Never raises."""
        error = ""
        tries = 0
        delay = self._backoff_s
        async with httpx.AsyncClient(
            timeout=self._timeout_s, transport=self._transport, headers=self._headers
        ) as client:
            for tries in range(1, self._attempts + 1):
                try:
                    # the client's timeout bounds each phase; this bounds the whole attempt
                    async with asyncio.timeout(self._timeout_s * 2):
                        r = await client.post(self.url, json=body)
                except (httpx.HTTPError, TimeoutError) as exc:
                    error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                else:
                    if r.is_success:
                        log.info("report webhook delivered", report=body.get("id"), tries=tries)
                        return Delivery(WEBHOOK_SENT, tries, "", self._clock())
                    error = f"HTTP {r.status_code}: {r.text[:200]}".rstrip(": ")
                    if not _retryable(r.status_code):
                        break
                if tries < self._attempts:
                    await self._sleep(delay)
                    delay *= 2
        log.error(
            "report webhook failed", report=body.get("id"), url=self.url, tries=tries, error=error
        )
        return Delivery(WEBHOOK_FAILED, tries, error, self._clock())
