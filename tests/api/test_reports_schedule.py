"""The report schedule on an injected clock, over a real SQLite database.

Proves: reports are made at the configured local times (Asia/Ho_Chi_Minh), once per slot
however often the scheduler checks; each scheduled report's period starts where the previous
one ended; after a restart the latest missed slot is caught up once (not every missed slot, and
not again after another restart), after the configured delay; two replicas sharing the
database make one report per slot between them; the running loop fires by itself when the
clock reaches a slot; a failing report is retried at the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import time, timedelta
from pathlib import Path

from line import load_line
from reports.content import Sources
from reports.model import ReportKind
from reports.scheduler import ReportScheduler, Schedule
from reports.service import ReportService
from services.settings import Settings
from tests.api.authkit import FakeClock
from tests.api.reportkit import DAY, HANOI, local_ms, settings

NEXT = DAY + timedelta(days=1)


@contextlib.asynccontextmanager
async def service(s: Settings, clock: FakeClock) -> AsyncIterator[ReportService]:
    """A report service with no live state, crew or what-ifs: reports of gaps, made fast."""
    line = load_line()
    src = Sources(line=line, timetable="2026", tz=HANOI)
    async with ReportService(s.reports, s.db.url, src, clock=clock) as svc:
        yield svc


async def slots(svc: ReportService) -> list[int]:
    return sorted(r.slot_ms or 0 for r in await svc.list() if r.kind is ReportKind.SCHEDULED)


def test_schedule_arithmetic_in_local_time() -> None:
    sch = Schedule([time(17), time(7), time(11)], HANOI)
    assert sch.times == (time(7), time(11), time(17))
    assert sch.latest(local_ms(DAY, "06:59")) == local_ms(DAY - timedelta(days=1), "17:00")
    assert sch.latest(local_ms(DAY, "07:00")) == local_ms(DAY, "07:00")
    assert sch.latest(local_ms(DAY, "23:59")) == local_ms(DAY, "17:00")
    assert sch.next(local_ms(DAY, "07:00")) == local_ms(DAY, "11:00")
    assert sch.next(local_ms(DAY, "17:00")) == local_ms(NEXT, "07:00")
    # 07:00 in Hanoi is 00:00 UTC
    assert local_ms(DAY, "07:00") % 86_400_000 == 0
    assert Schedule([], HANOI).latest(local_ms(DAY, "12:00")) is None


async def test_reports_at_the_configured_times_once_per_slot(tmp_path: Path) -> None:
    clock = FakeClock(local_ms(DAY, "06:59", seconds=59))
    async with service(settings(tmp_path), clock) as svc:
        sch = svc.scheduler
        assert await sch.step() == local_ms(DAY - timedelta(days=1), "17:00")  # the first start
        clock.now_ms = local_ms(DAY, "07:00")
        assert await sch.step() == local_ms(DAY, "07:00")
        for seconds in (0, 1, 30, 600):  # checking again and again: nothing more
            clock.now_ms = local_ms(DAY, "07:00") + seconds * 1000
            assert await sch.step() is None
        clock.now_ms = local_ms(DAY, "10:59", seconds=59)
        assert await sch.step() is None
        clock.now_ms = local_ms(DAY, "11:00", seconds=3)
        assert await sch.step() == local_ms(DAY, "11:00")
        clock.now_ms = local_ms(DAY, "17:00")
        assert await sch.step() == local_ms(DAY, "17:00")
        assert await sch.step() is None

        reports = sorted(await svc.list(), key=lambda r: r.at_ms)
        assert [r.slot_ms for r in reports] == [
            local_ms(DAY - timedelta(days=1), "17:00"),
            local_ms(DAY, "07:00"),
            local_ms(DAY, "11:00"),
            local_ms(DAY, "17:00"),
        ]
        assert all(r.kind is ReportKind.SCHEDULED and r.created_by == "scheduler" for r in reports)
        # each period starts where the previous report ended
        for prev, cur in zip(reports, reports[1:], strict=False):
            assert cur.since_ms == prev.at_ms
        assert reports[2].at_ms == local_ms(DAY, "11:00", seconds=3)
        assert reports[2].title.endswith("11:00 28/05/2026")


async def test_configured_times(tmp_path: Path) -> None:
    s = settings(tmp_path, times=["20:00", "08:15"], timezone="Asia/Ho_Chi_Minh")
    assert s.reports.times == (time(8, 15), time(20))
    clock = FakeClock(local_ms(DAY, "08:14"))
    async with service(s, clock) as svc:
        await svc.scheduler.step()  # catches up yesterday's 20:00
        clock.now_ms = local_ms(DAY, "08:15")
        assert await svc.scheduler.step() == local_ms(DAY, "08:15")
        clock.now_ms = local_ms(DAY, "11:00")
        assert await svc.scheduler.step() is None
        assert await slots(svc) == [
            local_ms(DAY - timedelta(days=1), "20:00"),
            local_ms(DAY, "08:15"),
        ]


async def test_catches_up_the_latest_missed_slot_once_after_restarts(tmp_path: Path) -> None:
    s = settings(tmp_path, catch_up_delay_s=60)
    clock = FakeClock(local_ms(DAY, "06:00"))
    async with service(settings(tmp_path), clock) as svc:  # no delay for the very first start
        await svc.scheduler.step()
        clock.now_ms = local_ms(DAY, "07:00")
        assert await svc.scheduler.step() == local_ms(DAY, "07:00")
    # down from 10:40 to 12:30: the 11:00 report is made once the live state had a minute
    clock.now_ms = local_ms(DAY, "12:30")
    async with service(s, clock) as svc:
        assert await svc.scheduler.step() is None  # just started: the live state is empty
        assert svc.scheduler._sleep_s() <= 60.05
        clock.advance(seconds=59)
        assert await svc.scheduler.step() is None
        clock.advance(seconds=1)
        assert await svc.scheduler.step() == local_ms(DAY, "11:00")
        clock.advance(minutes=5)
        assert await svc.scheduler.step() is None
    # restarted again before 17:00: 11:00 is not reported a second time
    clock.now_ms = local_ms(DAY, "13:00")
    async with service(s, clock) as svc:
        clock.advance(minutes=2)
        assert await svc.scheduler.step() is None
        clock.now_ms = local_ms(DAY, "17:00")  # a slot due while running: on time, no delay
        assert await svc.scheduler.step() == local_ms(DAY, "17:00")
    # down for a day and a half: only the latest slot is caught up, not all five missed
    clock.now_ms = local_ms(NEXT + timedelta(days=1), "12:00")
    async with service(settings(tmp_path), clock) as svc:
        assert await svc.scheduler.step() == local_ms(NEXT + timedelta(days=1), "11:00")
        reports = await svc.list()
    assert sorted(r.slot_ms or 0 for r in reports) == [
        local_ms(DAY - timedelta(days=1), "17:00"),  # the very first start's catch-up
        local_ms(DAY, "07:00"),
        local_ms(DAY, "11:00"),
        local_ms(DAY, "17:00"),
        local_ms(NEXT + timedelta(days=1), "11:00"),
    ]
    caught_up = next(r for r in reports if r.slot_ms == local_ms(DAY, "11:00"))
    assert caught_up.at_ms == local_ms(DAY, "12:31") and caught_up.since_ms == local_ms(
        DAY, "07:00"
    )


async def test_two_replicas_make_one_report_per_slot(tmp_path: Path) -> None:
    s = settings(tmp_path)
    clock = FakeClock(local_ms(DAY, "11:00"))
    async with service(s, clock) as a, service(s, clock) as b:
        made = await asyncio.gather(a.scheduler.step(), b.scheduler.step())
        assert sorted(made, key=str) == [local_ms(DAY, "11:00"), None]
        assert await a.scheduler.step() is None and await b.scheduler.step() is None
        assert await slots(a) == [local_ms(DAY, "11:00")]


async def test_the_running_loop_fires_when_the_clock_reaches_a_slot(tmp_path: Path) -> None:
    clock = FakeClock(local_ms(DAY, "10:59"))
    async with service(settings(tmp_path, poll_s=0.05), clock) as svc:
        task = asyncio.create_task(svc.run())
        try:
            for _ in range(200):  # the start-up catch-up of 07:00
                if await slots(svc):
                    break
                await asyncio.sleep(0.025)
            assert await slots(svc) == [local_ms(DAY, "07:00")]
            clock.now_ms = local_ms(DAY, "11:00")
            for _ in range(200):
                if len(await slots(svc)) == 2:
                    break
                await asyncio.sleep(0.025)
            await asyncio.sleep(0.3)  # a few more checks: still one report for 11:00
            assert await slots(svc) == [local_ms(DAY, "07:00"), local_ms(DAY, "11:00")]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_a_failed_report_is_retried_at_the_next_check() -> None:
    clock = FakeClock(local_ms(DAY, "11:00"))
    made: list[int] = []
    attempts: list[int] = []

    async def produce(slot: int) -> None:
        attempts.append(slot)
        if len(attempts) == 1:
            raise OSError("disk full")
        made.append(slot)

    async def reported(slot: int) -> bool:
        return slot in made

    sch = ReportScheduler(
        Schedule([time(7), time(11)], HANOI), produce=produce, reported=reported, clock=clock
    )
    assert await sch.step() is None  # failed: logged, not raised
    clock.advance(seconds=30)
    assert await sch.step() == local_ms(DAY, "11:00")
    clock.advance(seconds=30)
    assert await sch.step() is None
    assert made == [local_ms(DAY, "11:00")] and len(attempts) == 2
