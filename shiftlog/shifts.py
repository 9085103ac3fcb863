"""The control room's shifts: which one is on at a moment, and which ended in a window.

The boundaries are the line's control-centre (OCC) shifts, given by the caller
(``crew.duties.StaffingStandard.occ_shifts``: 06:00–14:00, 14:00–22:00, 22:00–06:00 Hanoi time);
this module only does the arithmetic, so the shift log does not depend on the crew package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from line.clock import HANOI


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    """A named shift by its local start and end; an end not after the start is the next day."""

    id: str
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Shift:
    """One shift on one day: its id and its start and end instants (UTC ms)."""

    id: str
    start_ms: int
    end_ms: int


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


class ShiftCalendar:
    """The shifts of every day, from the day's shift specs, in ``tz`` (Hanoi by default)."""

    def __init__(self, specs: Sequence[ShiftSpec], tz: tzinfo = HANOI) -> None:
        if not specs:
            raise ValueError("a shift calendar needs at least one shift")
        self._specs = tuple(specs)
        self._tz = tz

    def _on(self, day: date) -> list[Shift]:
        out = []
        for s in self._specs:
            start = datetime.combine(day, s.start, tzinfo=self._tz)
            end_day = day if s.end > s.start else day + timedelta(days=1)
            end = datetime.combine(end_day, s.end, tzinfo=self._tz)
            out.append(Shift(s.id, _ms(start), _ms(end)))
        return out

    def _around(self, at_ms: int, days: int = 1) -> list[Shift]:
        day = datetime.fromtimestamp(at_ms / 1000, tz=UTC).astimezone(self._tz).date()
        found = {
            (s.start_ms, s.id): s
            for d in range(-days - 1, 2)
            for s in self._on(day + timedelta(days=d))
        }
        return [found[k] for k in sorted(found)]

    def at(self, at_ms: int) -> Shift:
        """The shift on at ``at_ms`` (the latest to start, when shifts overlap)."""
        on = [s for s in self._around(at_ms) if s.start_ms <= at_ms < s.end_ms]
        if not on:
            raise LookupError("no shift covers that moment: the shift specs leave a gap")
        return on[-1]

    def ended(self, since_ms: int, until_ms: int) -> list[Shift]:
        """Shifts that ended in ``(since_ms, until_ms]``, newest first."""
        days = max(1, (until_ms - since_ms) // 86_400_000 + 1)
        shifts = self._around(until_ms, days=int(days))
        return sorted(
            (s for s in shifts if since_ms < s.end_ms <= until_ms),
            key=lambda s: s.end_ms,
            reverse=True,
        )
