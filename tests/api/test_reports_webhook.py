"""Announcing reports to a webhook: a real HTTP server on a free port (``http.server`` in a
thread), real SQLite.

Proves: each report is POSTed once as a JSON summary with absolute links and the bearer token,
and the outcome is recorded on the report; 5xx answers are retried with back-off until one
succeeds; a receiver that refuses (4xx) is not retried; an unreachable or hanging receiver
fails within the configured attempts and timeout and is recorded — and neither stops the
scheduler from making the next report; a report left unannounced by a restart is announced
when the service runs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time as _time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from line import load_line
from reports.content import Sources
from reports.model import ReportKind
from reports.service import ReportService
from reports.store import ReportRecord
from services.settings import Settings
from tests.api.authkit import FakeClock
from tests.api.reportkit import DAY, HANOI, local_ms, settings
from tests.fixtures.ports import free_port


@dataclass
class Receiver:
    """What the webhook server got, and what it answers (status codes, in turn)."""

    url: str
    answers: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    posts: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    rx = Receiver(f"http://127.0.0.1:{port}/hooks/reports")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with rx.lock:
                rx.posts.append(json.loads(body))
                rx.headers.append(dict(self.headers))
                status = rx.answers.pop(0) if rx.answers else 200
            if rx.delay_s:
                _time.sleep(rx.delay_s)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"nope")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="webhook-receiver"
    )
    thread.start()
    try:
        yield rx
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def hooked(tmp_path: Path, url: str, **kw: Any) -> Settings:
    """Settings with the webhook; no schedule unless ``times`` is given."""
    defaults: dict[str, Any] = {
        "times": [],
        "webhook_url": url,
        "webhook_token": "s3cret-hook-token",
        "public_url": "https://ops.example.vn/",
        "webhook_backoff_s": 0.01,
        "webhook_timeout_s": 1.0,
    }
    return settings(tmp_path, **{**defaults, **kw})


@contextlib.asynccontextmanager
async def running(s: Settings, clock: FakeClock) -> AsyncIterator[ReportService]:
    """A report service (gaps-only sources: fast) with its run loop going."""
    src = Sources(line=load_line(), timetable="2026", tz=HANOI)
    async with ReportService(s.reports, s.db.url, src, clock=clock) as svc:
        task = asyncio.create_task(svc.run())
        try:
            yield svc
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def settled(svc: ReportService, report_id: str, timeout_s: float = 10) -> ReportRecord:
    """The report once its announcement is no longer pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        rec = await svc.get(report_id)
        if rec.webhook_status != "pending":
            return rec
        assert loop.time() < deadline, "webhook still pending"
        await asyncio.sleep(0.02)


async def test_each_report_is_announced_once_with_links(tmp_path: Path, receiver: Receiver) -> None:
    clock = FakeClock(local_ms(DAY, "11:00"))
    async with running(hooked(tmp_path, receiver.url), clock) as svc:
        rec = await svc.produce(kind=ReportKind.ON_DEMAND, actor="op1")
        assert rec.webhook_status == "pending"
        done = await settled(svc, rec.id)
    assert (done.webhook_status, done.webhook_attempts, done.webhook_error) == ("sent", 1, "")
    assert done.webhook_ms == clock.now_ms
    assert len(receiver.posts) == 1
    body = receiver.posts[0]
    assert body["event"] == "situation_report" and body["id"] == rec.id
    assert body["kind"] == "on_demand" and body["line"] == "2a"
    assert body["at"] == "2026-05-28T11:00:00+07:00"
    assert body["since"] == "2026-05-27T11:00:00+07:00"  # no schedule: the last 24 hours
    assert body["links"] == {
        "html": f"https://ops.example.vn/api/reports/{rec.id}.html",
        "pdf": f"https://ops.example.vn/api/reports/{rec.id}.pdf",
    }
    assert body["summary"]["trips_run"] is None  # no live state in this service
    assert set(body["gaps"]) == {"service", "crew", "outlook", "forecast", "handover"}
    assert receiver.headers[0]["Authorization"] == "Bearer s3cret-hook-token"
    assert receiver.headers[0]["Content-Type"] == "application/json"


async def test_server_errors_are_retried_until_delivered(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.answers = [503, 500]
    clock = FakeClock(local_ms(DAY, "11:00"))
    async with running(hooked(tmp_path, receiver.url, webhook_attempts=3), clock) as svc:
        rec = await svc.produce(kind=ReportKind.ON_DEMAND, actor="op1")
        done = await settled(svc, rec.id)
    assert (done.webhook_status, done.webhook_attempts) == ("sent", 3)
    assert [p["id"] for p in receiver.posts] == [rec.id] * 3


async def test_a_refusal_is_not_retried(tmp_path: Path, receiver: Receiver) -> None:
    receiver.answers = [400]
    clock = FakeClock(local_ms(DAY, "11:00"))
    async with running(hooked(tmp_path, receiver.url, webhook_attempts=3), clock) as svc:
        rec = await svc.produce(kind=ReportKind.ON_DEMAND, actor="op1")
        done = await settled(svc, rec.id)
    assert (done.webhook_status, done.webhook_attempts) == ("failed", 1)
    assert done.webhook_error == "HTTP 400: nope"
    assert len(receiver.posts) == 1


async def test_a_dead_webhook_does_not_stop_the_reports(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    clock = FakeClock(local_ms(DAY, "06:59"))
    s = hooked(tmp_path, dead, webhook_attempts=2, poll_s=0.05, times=["07:00", "17:00"])
    async with running(s, clock) as svc:
        for _ in range(400):  # the start-up catch-up (yesterday 17:00) is made and fails
            recs = await svc.list()
            if recs and recs[0].webhook_status != "pending":
                break
            await asyncio.sleep(0.02)
        clock.now_ms = local_ms(DAY, "07:00")  # the scheduler goes on to the next slot
        for _ in range(400):
            recs = await svc.list()
            if len(recs) == 2 and recs[0].webhook_status != "pending":
                break
            await asyncio.sleep(0.02)
    assert [r.slot_ms for r in recs] == [
        local_ms(DAY, "07:00"),
        local_ms(DAY, "07:00") - 14 * 3600_000,
    ]
    for r in recs:
        assert (r.webhook_status, r.webhook_attempts) == ("failed", 2)
        assert "ConnectError" in r.webhook_error
        assert r.pdf_bytes > 1000  # the report itself is whole


async def test_a_hanging_webhook_times_out(tmp_path: Path, receiver: Receiver) -> None:
    receiver.delay_s = 1.0
    clock = FakeClock(local_ms(DAY, "11:00"))
    s = hooked(tmp_path, receiver.url, webhook_attempts=1, webhook_timeout_s=0.2)
    async with running(s, clock) as svc:
        started = asyncio.get_running_loop().time()
        rec = await svc.produce(kind=ReportKind.ON_DEMAND, actor="op1")
        done = await settled(svc, rec.id)
        took = asyncio.get_running_loop().time() - started
    assert (done.webhook_status, done.webhook_attempts) == ("failed", 1)
    assert "Timeout" in done.webhook_error
    assert took < 5  # bounded by the timeout, not by the receiver


async def test_an_unannounced_report_is_announced_after_a_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    s = hooked(tmp_path, receiver.url)
    clock = FakeClock(local_ms(DAY, "11:00"))
    src = Sources(line=load_line(), timetable="2026", tz=HANOI)
    async with ReportService(s.reports, s.db.url, src, clock=clock) as svc:  # not running
        rec = await svc.produce(kind=ReportKind.ON_DEMAND, actor="op1")
    assert receiver.posts == []
    async with running(s, clock) as svc:
        done = await settled(svc, rec.id)
    assert done.webhook_status == "sent"
    assert [p["id"] for p in receiver.posts] == [rec.id]
