"""Alarm system performance over a real alarm book driven by a test clock."""

from __future__ import annotations

import pytest

from line.catalogue import Message
from telemetry.alarm_performance import alarm_performance, console_of
from telemetry.alarms import AlarmBook, Priority

SEC = 1000
MIN = 60 * SEC
HOUR = 60 * MIN
T0 = 1_796_000_000_000 - (1_796_000_000_000 % (10 * MIN))  # on a 10-minute boundary


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


def text(key: str) -> Message:
    return Message("alarm.saved_text", {"vi": f"cảnh báo {key}", "en": f"alarm {key}"})


def everything(book: AlarmBook) -> list:  # type: ignore[type-arg]
    return book.everything()


def test_rates_floods_chattering_stale_shelved_and_bad_actors() -> None:
    clock = Clock()
    book = AlarmBook(clock, flood_per_10min=10)
    # a standing substation alarm from 25 h ago: stale
    book.raise_alarm("substation:SS2:dc_bus_voltage:low", Priority.HIGH, "SS2", text("ss2"))
    clock.now += 25 * HOUR
    # a door fault on T05 chattering: 4 times within 40 s
    for _ in range(4):
        book.raise_alarm("train:T05:fault:door", Priority.MEDIUM, "T05", text("door"))
        clock.now += 5 * SEC
        book.clear("train:T05:fault:door")
        clock.now += 5 * SEC
    # a flood: 12 different train alarms within one 10-minute period
    clock.now += 10 * MIN
    for i in range(12):
        book.raise_alarm(f"train:T{i:02d}:stale", Priority.LOW, f"T{i:02d}", text(str(i)))
        clock.now += 10 * SEC
    # one crew alarm, shelved with a reason
    crew = book.raise_alarm("crew:next_shift:shortfall", Priority.MEDIUM, "crew", text("crew"))
    assert crew is not None
    book.shelve(crew.id, "op1", "known: relief driver on the way", clock.now + 30 * MIN)
    clock.now += 1 * MIN

    p = alarm_performance(everything(book), now_ms=clock.now, window_ms=2 * HOUR)
    assert p.periods == 12
    # the stale raise was 25 h ago: outside the window, yet listed as stale
    assert p.total == 4 + 12 + 1
    rates = {c.console: c for c in p.consoles}
    assert rates["traffic"].total == 16 and rates["crew"].total == 1 and rates["power"].total == 0
    assert rates["traffic"].max_per_10min == 12
    assert rates["traffic"].mean_per_10min == pytest.approx(16 / 12)
    assert p.periods_in_flood == 1 and p.flood_pct == pytest.approx(100 / 12)
    assert [s.key for s in p.chattering] == ["train:T05:fault:door"]
    assert p.chattering[0].occurrences == 4 and p.chattering[0].detail == "4/60 s"
    assert [s.key for s in p.stale] == ["substation:SS2:dc_bus_voltage:low"]
    assert [(s.key, s.by, s.detail) for s in p.shelved] == [
        ("crew:next_shift:shortfall", "op1", "known: relief driver on the way")
    ]
    assert p.bad_actors[0].key == "train:T05:fault:door"
    assert p.bad_actors[0].share_pct == pytest.approx(100 * 4 / 17)
    assert len(p.bad_actors) == 10
    assert p.top10_share_pct == pytest.approx(100 * (4 + 9) / 17)

    # the last 10 minutes only: the chatter is older, the flood is all of it
    late = alarm_performance(everything(book), now_ms=clock.now, window_ms=10 * MIN)
    assert late.total == 12 + 1 and late.chattering == ()
    assert late.periods_in_flood == 1 and late.flood_pct == 100


def test_three_in_more_than_a_minute_is_not_chattering() -> None:
    clock = Clock()
    book = AlarmBook(clock)
    for _ in range(3):
        book.raise_alarm("train:T01:fault:hvac", Priority.LOW, "T01", text("hvac"))
        clock.now += 20 * SEC
        book.clear("train:T01:fault:hvac")
        clock.now += 11 * SEC  # 31 s apart: the 3rd comes 62 s after the 1st
    p = alarm_performance(everything(book), now_ms=clock.now, window_ms=HOUR)
    assert p.total == 3 and p.chattering == ()


def test_consoles_and_window_bounds() -> None:
    assert console_of("train:T01:stale") == "traffic"
    assert console_of("headway:T01:gap") == "traffic"
    assert console_of("substation:SS1:earth_fault:bit") == "power"
    assert console_of("crew:next_shift:shortfall") == "crew"
    assert console_of("system:mqtt:down") == "systems"
    with pytest.raises(ValueError, match="at least 10 minutes"):
        alarm_performance([], now_ms=T0, window_ms=MIN)
    empty = alarm_performance([], now_ms=T0, window_ms=HOUR)
    assert empty.total == 0 and empty.flood_pct == 0 and empty.top10_share_pct == 0
