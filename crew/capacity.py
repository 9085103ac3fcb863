"""Crew-constrained capacity: the service each timetable period can run with the drivers there.

For each period of the day's timetable, the drivers available are those covering train slots in
the driver shifts that overlap the period — the fewest over those shifts, since the period must
be run through each of them. The headway to adopt is the first of the planned headway and the
degraded steps after it (6 → 10 → 15 minutes by default) whose train count,
``line.trains_needed(h)`` = ceil(cycle time / h), the drivers can man; the trains run are that
count. If even the last step needs more drivers than there are, the period runs
``drivers`` trains at an even headway of ceil(cycle / drivers), rounded up to a minute, flagged
``below_steps`` (and no service with no driver at all).

Relief and spare drivers do not add trains: relief covers breaks and spares are standby, and the
solver fills train slots before them, so a shortfall shows first in train slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from crew.coverage import DayCoverage
from crew.duties import DayDuties
from line import Line, Period


@dataclass(frozen=True, slots=True)
class PeriodCapacity:
    """What one timetable period can run; ``headway_s`` is ``None`` when nothing can run."""

    line_id: str
    service_date: date
    period: str
    start_s: int
    end_s: int
    planned_headway_s: int
    planned_trains: int
    drivers: int
    trains: int
    headway_s: int | None
    below_steps: bool = False

    @property
    def degraded(self) -> bool:
        return self.headway_s != self.planned_headway_s


def headway_for_drivers(
    line: Line, drivers: int, planned_headway_s: int, steps_s: Sequence[int] = (360, 600, 900)
) -> tuple[int | None, int, bool]:
    """(headway, trains, below the steps) for ``drivers`` drivers on a period planned at
    ``planned_headway_s``."""
    for h in (planned_headway_s, *(s for s in steps_s if s > planned_headway_s)):
        n = line.trains_needed(h)
        if n <= drivers:
            return h, n, False
    if drivers <= 0:
        return None, 0, True
    even = -(-int(line.cycle_time_s) // drivers)
    return -(-even // 60) * 60, drivers, True


def period_capacity(
    line: Line,
    service_date: date,
    periods: Sequence[Period],
    drivers_by_shift: Sequence[tuple[int, int, int]],
    steps_s: Sequence[int] = (360, 600, 900),
) -> tuple[PeriodCapacity, ...]:
    """Capacity per period from ``(shift start s, shift end s, drivers)`` of the driver shifts.

    A period no driver shift overlaps has no driver.
    """
    out = []
    for p in periods:
        overlapping = [n for a, b, n in drivers_by_shift if a < p.end_s and p.start_s < b]
        drivers = min(overlapping, default=0)
        h, n, below = headway_for_drivers(line, drivers, p.headway_s, steps_s)
        out.append(
            PeriodCapacity(
                line.id,
                service_date,
                p.name,
                p.start_s,
                p.end_s,
                p.headway_s,
                line.trains_needed(p.headway_s),
                drivers,
                n,
                h,
                below,
            )
        )
    return tuple(out)


def day_capacity(
    line: Line, duties: DayDuties, coverage: DayCoverage, steps_s: Sequence[int] = (360, 600, 900)
) -> tuple[PeriodCapacity, ...]:
    """Capacity of each period of ``duties`` given who ``coverage`` put on the train slots.

    Only shifts with train slots count: a shift with no train in its window constrains nothing.
    """
    shifts = [
        (*sh.seconds(), coverage.drivers_on_trains(duties.line_id, sh.id))
        for sh in duties.driver_shifts
        if duties.slots_in(sh.id) > 0
    ]
    return period_capacity(line, duties.service_date, duties.periods, shifts, steps_s)
