"""Merging a timeline: events of every source in time order, only those inside the window; a
source that fails is named and the others are still shown; a timeline over its bound keeps
the earliest events and says it was cut; a bad window is refused before any source is asked."""

from __future__ import annotations

import pytest

from incidents import InvalidWindow, Source, TimelineBuilder, TimelineEvent


def ev(at: int, source: Source = Source.LOG, text: str = "x") -> TimelineEvent:
    return TimelineEvent(at_ms=at, source=source, kind=f"{source.value}.x", text=text, text_en=text)


class Fixed:
    def __init__(self, name: str, events: list[TimelineEvent]) -> None:
        self.name = name
        self._events = events
        self.asked: list[tuple[int, int]] = []

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]:
        self.asked.append((start_ms, end_ms))
        return self._events


class Broken:
    name = "audit"

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]:
        raise ConnectionError("database away")


async def test_merged_in_order_inside_the_window_with_a_failed_source_named() -> None:
    alarms = Fixed("alarms", [ev(300, Source.ALARM), ev(100, Source.ALARM), ev(999, Source.ALARM)])
    log = Fixed("shift log", [ev(200), ev(50)])
    notes = [ev(150, Source.NOTE), ev(5000, Source.NOTE)]  # one written after the window
    got = await TimelineBuilder([alarms, Broken(), log]).build(100, 999, extra=notes)
    assert [(e.at_ms, e.source) for e in got.events] == [
        (100, Source.ALARM),
        (150, Source.NOTE),
        (200, Source.LOG),
        (300, Source.ALARM),
        (5000, Source.NOTE),
    ]
    assert got.failed == ["audit"] and not got.truncated
    assert alarms.asked == [(100, 999)]


async def test_bounded_and_bad_windows() -> None:
    many = Fixed("log", [ev(t) for t in range(10, 0, -1)])
    got = await TimelineBuilder([many], max_events=3).build(0, 100, extra=[ev(200, Source.NOTE)])
    assert [e.at_ms for e in got.events] == [1, 2, 3, 200] and got.truncated
    with pytest.raises(InvalidWindow, match="end after"):
        await TimelineBuilder([many]).build(100, 100)
    assert len(many.asked) == 1  # the bad window asked nobody
