"""Hanoi time is defined once, as a fixed UTC+7 offset: it must agree with the tz database on
every day since Vietnam last changed its clocks; the wall clock is the system's."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from line.clock import HANOI, HANOI_ZONE, hanoi_time, wall_ms


def test_the_fixed_offset_is_hanoi_time_on_every_day_from_1976_to_2040() -> None:
    zone = ZoneInfo(HANOI_ZONE)
    day = datetime(1976, 1, 1, 12, tzinfo=UTC)
    while day.year < 2041:
        assert day.astimezone(zone).utcoffset() == HANOI.utcoffset(day) == timedelta(hours=7)
        day += timedelta(days=7)


def test_hanoi_time_of_a_timestamp_and_the_wall_clock() -> None:
    # 2026-11-23 01:00 UTC is 08:00 in Hanoi, the Monday morning peak
    ms = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)
    assert hanoi_time(ms).strftime("%Y-%m-%d %H:%M %z") == "2026-11-23 08:00 +0700"
    before = time.time_ns() // 1_000_000
    now = wall_ms()
    assert before <= now <= time.time_ns() // 1_000_000
