"""What the alarm book writes in the shift log by itself: one entry per P1/P2 annunciation and
per shelve; acknowledgements, comments, clears and lower priorities write nothing; the entries
are written by the log's writer in order, author ``system``."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from line.catalogue import Message
from services.shiftlog_feed import AlarmFeed, CancellationFeed
from shiftlog import LogEntry, ShiftLog
from telemetry.alarms import AlarmBook, Priority
from tests.api.authkit import FakeClock
from tests.poll import until


async def test_p1_p2_raises_and_shelves_are_logged_once(tmp_path: Path) -> None:
    clock = FakeClock()
    log = ShiftLog(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", clock=clock)
    book = AlarmBook(clock, on_change=AlarmFeed(log, frozenset({"T03"})))
    brake = Message("alarm.train.emergency_brake", {"train": "T03"})
    a = book.raise_alarm("train:T03:eb", Priority.CRITICAL, "T03", brake)
    assert a is not None
    book.comment(a.id, "dd01", "đã báo lái tàu")
    book.ack(a.id, "dd01")
    book.raise_alarm(
        "x:low", Priority.LOW, "SS1", Message("alarm.train.stale", {"train": "T01", "age_s": 9})
    )
    door = Message("alarm.train.door_obstruction", {"train": "T03"})
    b = book.raise_alarm("train:T03:door", Priority.HIGH, "T03", door)
    assert b is not None
    book.shelve(b.id, "dd01", "đội kỹ thuật đang xử lý", clock() + 30 * 60_000)
    book.approve_shelve(b.id, "dd02")  # P2: a second person approves the request
    book.comment(b.id, "dd01", "vẫn tạm ẩn")

    async with log:
        writer = asyncio.create_task(log.run())
        try:
            page = await until(lambda: _three(log), what="three system entries")
        finally:
            writer.cancel()
    texts = [e.text_en for e in reversed(page)]
    assert texts == [
        f"P1 alarm #{a.id}: Train T03: emergency brake",
        f"P2 alarm #{b.id}: Train T03: door obstruction",
        f"Alarm #{b.id} shelved by dd01 for 30 min (đội kỹ thuật đang xử lý): "
        "Train T03: door obstruction",
    ]
    assert {e.author for e in page} == {"system"} and {e.train for e in page} == {"T03"}


async def _three(log: ShiftLog) -> list[LogEntry] | None:
    entries = (await log.store.page()).entries
    return entries if len(entries) >= 3 else None


class Cancelled:
    """A :class:`feeds.cancellations.CancelledTrips` whose answer the test sets."""

    def __init__(self) -> None:
        self.trips: set[str] = set()

    def cancelled_trips(self, service_date: object) -> set[str]:
        return set(self.trips)


async def test_cancelled_trips_are_logged_when_they_change(tmp_path: Path) -> None:
    clock = FakeClock()
    log = ShiftLog(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", clock=clock)
    source = Cancelled()
    source.trips = {"a", "b"}
    feed = CancellationFeed(log, source, clock=clock)
    # T0 is 03:26 on 29/05 in Hanoi (the date the crew cancellations are kept by)
    feed.check()  # the first look takes what is cancelled as known (a restart repeats nothing)
    feed.check()
    source.trips = {"a", "b", "c", "d", "e"}
    feed.check()
    feed.check()  # unchanged: nothing
    source.trips = {"a"}
    feed.check()
    async with log:
        writer = asyncio.create_task(log.run())
        try:
            await until(lambda: _count(log, 2), what="two entries")
        finally:
            writer.cancel()
        got = [e.text_en for e in reversed((await log.store.page()).entries)]
    assert got == [
        "29/05/2026: 5 trips cancelled for want of drivers (3 more, 0 restored)",
        "29/05/2026: 1 trip cancelled for want of drivers (0 more, 4 restored)",
    ]


async def _count(log: ShiftLog, n: int) -> bool:
    return len((await log.store.page()).entries) >= n


async def test_entries_still_queued_at_a_stop_are_written(tmp_path: Path) -> None:
    """An alarm raised just before the server stops still reaches the log."""
    clock = FakeClock()
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    log = ShiftLog(url, clock=clock)
    book = AlarmBook(clock, on_change=AlarmFeed(log, frozenset({"T03"})))
    async with log:
        writer = asyncio.create_task(log.run())
        await asyncio.sleep(0)  # the writer is waiting for entries
        brake = Message("alarm.train.emergency_brake", {"train": "T03"})
        assert book.raise_alarm("train:T03:eb", Priority.CRITICAL, "T03", brake) is not None
        writer.cancel()  # the stop comes before the writer had its turn
        with contextlib.suppress(asyncio.CancelledError):
            await writer
    async with ShiftLog(url, clock=clock) as again:
        entries = (await again.store.page()).entries
    assert [e.text_en for e in entries] == ["P1 alarm #1: Train T03: emergency brake"]
