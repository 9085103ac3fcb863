"""The alarm journal on SQLite and PostgreSQL: the open set read back at any moment equals the
alarm book's as it was then, across many keyframes, after a restart, and on a clock set back."""

from __future__ import annotations

import random
from typing import Any

from line.catalogue import Message
from telemetry.alarm_journal import AlarmJournalRecorder, AlarmJournalStore
from telemetry.alarms import Alarm, AlarmBook, AlarmState, Priority

T0 = 1_780_000_000_000
MIN = 60_000


class Clock:
    def __init__(self) -> None:
        self.now_ms = T0

    def __call__(self) -> int:
        return self.now_ms


def seen(alarms: list[dict[str, Any]] | list[Alarm]) -> set[tuple[Any, ...]]:
    """What an operator sees of each open alarm."""
    ds = [a.to_dict() if isinstance(a, Alarm) else a for a in alarms]
    return {
        (d["id"], d["state"], d["active"], d["acked_by"], d["shelved_by"], len(d["comments"]))
        for d in ds
    }


def book_with_journal(url: str, clock: Clock) -> tuple[AlarmBook, AlarmJournalRecorder]:
    journal = AlarmJournalRecorder(
        AlarmJournalStore(url),
        lambda: book.active(include_shelved=True),
        clock=clock,
        keyframe_s=300,
    )
    book = AlarmBook(clock, on_change=journal.on_change)
    return book, journal


async def test_the_open_set_at_every_minute_is_read_back_as_it_was(db_url: str) -> None:
    clock = Clock()
    book, journal = book_with_journal(db_url, clock)
    rng = random.Random(3)
    truth: dict[int, set[tuple[Any, ...]]] = {}
    async with journal:
        for _ in range(90):  # an hour and a half: many keyframes, events between them
            clock.now_ms += MIN
            for _ in range(rng.randint(0, 2)):
                key = f"train:T{rng.randint(1, 13):02d}:fault:E{rng.randint(10, 14)}"
                book.raise_alarm(
                    key, Priority.HIGH, "T", Message("alarm.train.offline", {"train": "T"})
                )
            for a in book.active(include_shelved=True):
                roll = rng.random()
                if a.state is AlarmState.UNACK and roll < 0.4:
                    book.ack(a.id, "dd01")
                elif roll < 0.1:
                    book.comment(a.id, "dd02", "đang xử lý")
                elif a.state is AlarmState.ACKED and roll < 0.2:
                    # P2: a request with a reason of substance, approved by a second person
                    book.shelve(a.id, "dd01", "chờ đội kỹ thuật kiểm tra", clock() + 7 * MIN)
                    book.approve_shelve(a.id, "dd02")
                elif roll > 0.8:
                    book.clear(a.key)
            book.tick()
            await journal.flush()
            truth[clock()] = seen(book.active(include_shelved=True))
        assert await journal.store.open_at(T0 - 1) is None  # before the journal began
        for at, expected in truth.items():
            got = await journal.store.open_at(at)
            assert got is not None and seen(got) == expected, at
        states = {alarm[1] for moment in truth.values() for alarm in moment}
        assert {"unack", "acked", "shelved", "rtn_unack"} <= states  # all of them replayed


async def test_the_journal_outlives_the_process_and_a_clock_set_back(db_url: str) -> None:
    clock = Clock()
    book, journal = book_with_journal(db_url, clock)
    async with journal:
        clock.now_ms += MIN
        a = book.raise_alarm("substation:SS1:dc_bus_voltage:low", Priority.CRITICAL, "SS1",
                             Message("alarm.train.offline", {"train": "SS1"}))  # fmt: skip
        assert a is not None
        book.ack(a.id, "dd01")
        await journal.flush()
        before = seen(book.active(include_shelved=True))

    # a new process (a fresh book, as a restart without the operating record would have)
    clock.now_ms += 10 * MIN
    book2, journal2 = book_with_journal(db_url, clock)
    async with journal2:
        got = await journal2.store.open_at(T0 + 2 * MIN)
        assert got is not None and seen(got) == before
        # the field's clock an hour back (an emulator restarted): a keyframe on that axis
        clock.now_ms = T0 - 60 * MIN
        assert await journal2.store.open_at(T0 - 60 * MIN) is None
        await journal2.flush()
        assert await journal2.store.open_at(T0 - 60 * MIN) == []
