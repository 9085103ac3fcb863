"""Crew-constrained capacity: the service each timetable period can run with the drivers there.

Each period of the day's timetable is cut at the driver shifts' changes inside it, as the
what-if simulation cuts it (``simulation.service``): a shortage on the early shift degrades the
service until the late shift takes over, not the whole period. In each part the drivers
available are those covering train slots in the shifts that overlap it — the fewest over those
shifts, since the part must be run through each of them; consecutive parts with the same
drivers stay one. The headway to adopt is the rule a controller follows, the same one
the what-if simulation applies (:func:`headway_for_trains`):

* ``"even"`` (the default): the planned headway if the drivers can man its trains,
  ``line.trains_needed(h)`` = ceil(cycle time / h); otherwise the even headway the drivers there
  can keep, ceil(cycle / drivers) rounded up to ``granularity_s`` (whole minutes) — 5 drivers on
  the 52.7-minute cycle run every 11 minutes rather than stepping down to 15;
* ``"steps"``: the first of the planned headway and the degraded steps after it
  (6 → 10 → 15 minutes) the drivers can man; below the last step the even headway, flagged
  ``below_steps``.

No driver, no service; fewer than ``floor_trains``, the period is suspended.

Relief and spare drivers do not add trains: relief covers breaks and spares are standby, and the
solver fills train slots before them, so a shortfall shows first in train slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from crew.coverage import DayCoverage
from crew.duties import DayDuties, StaffingStandard
from line import Line, Period


@dataclass(frozen=True, slots=True)
class PeriodCapacity:
    """What one timetable period, or the part of it between two shift changes
    (``start_s``–``end_s``), can run; ``headway_s`` is ``None`` when nothing can run."""

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


HeadwayRule = Literal["even", "steps"]


def even_headway(line: Line, trains: int, granularity_s: int = 60) -> int:
    """The shortest headway ``trains`` can keep evenly: ceil(cycle / trains), rounded up to
    ``granularity_s`` (rounding up keeps ``line.trains_needed(h) <= trains``)."""
    even = -(-int(line.cycle_time_s) // trains)
    return -(-even // granularity_s) * granularity_s


def headway_for_drivers(
    line: Line, drivers: int, planned_headway_s: int, steps_s: Sequence[int] = (360, 600, 900)
) -> tuple[int | None, int, bool]:
    """(headway, trains, below the steps) for ``drivers`` drivers on a period planned at
    ``planned_headway_s``, by the step ladder (the ``"steps"`` rule)."""
    for h in (planned_headway_s, *(s for s in steps_s if s > planned_headway_s)):
        n = line.trains_needed(h)
        if n <= drivers:
            return h, n, False
    if drivers <= 0:
        return None, 0, True
    return even_headway(line, drivers), drivers, True


def headway_for_trains(
    line: Line,
    trains: int,
    planned_headway_s: int,
    *,
    rule: HeadwayRule = "even",
    steps_s: Sequence[int] = (360, 600, 900),
    granularity_s: int = 60,
    floor_trains: int = 1,
) -> tuple[int | None, int, bool]:
    """(headway or None to suspend, trains run, below plan) for ``trains`` trains (or the drivers
    to man them) on a period planned at ``planned_headway_s``, by the controller's ``rule``.

    The third value says the headway is below what the plan's own rule provides for: under
    ``"steps"`` below the last step, under ``"even"`` any headway longer than planned.
    """
    if rule == "steps":
        h, n, below = headway_for_drivers(line, trains, planned_headway_s, steps_s)
        if h is None or (below and n < floor_trains):
            return None, 0, True
        return h, n, below
    if trains <= 0:
        return None, 0, True
    needed = line.trains_needed(planned_headway_s)
    if needed <= trains:
        return planned_headway_s, needed, False
    if trains < floor_trains:
        return None, 0, True
    h = max(planned_headway_s, even_headway(line, trains, granularity_s))
    return h, line.trains_needed(h), True


def period_capacity(
    line: Line,
    service_date: date,
    periods: Sequence[Period],
    drivers_by_shift: Sequence[tuple[int, int, int]],
    steps_s: Sequence[int] = (360, 600, 900),
    *,
    rule: HeadwayRule = "even",
    granularity_s: int = 60,
    floor_trains: int = 1,
) -> tuple[PeriodCapacity, ...]:
    """Capacity of each part of each period (see the module's docstring) from ``(shift start s,
    shift end s, drivers)`` of the driver shifts, in time order.

    A part no driver shift overlaps has no driver.
    """
    cuts = sorted({t for a, b, _ in drivers_by_shift for t in (a, b)})
    out = []
    for p in periods:
        edges = [p.start_s, *(t for t in cuts if p.start_s < t < p.end_s), p.end_s]
        parts: list[tuple[int, int, int]] = []  # (start, end, drivers), equal neighbours merged
        for a, b in zip(edges, edges[1:], strict=False):
            drivers = min((n for x, y, n in drivers_by_shift if x < b and a < y), default=0)
            if parts and parts[-1][2] == drivers:
                parts[-1] = (parts[-1][0], b, drivers)
            else:
                parts.append((a, b, drivers))
        for a, b, drivers in parts:
            h, n, below = headway_for_trains(
                line,
                drivers,
                p.headway_s,
                rule=rule,
                steps_s=steps_s,
                granularity_s=granularity_s,
                floor_trains=floor_trains,
            )
            out.append(
                PeriodCapacity(
                    line.id,
                    service_date,
                    p.name,
                    a,
                    b,
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
    line: Line, duties: DayDuties, coverage: DayCoverage, standard: StaffingStandard
) -> tuple[PeriodCapacity, ...]:
    """Capacity of each period of ``duties`` given who ``coverage`` put on the train slots.

    Only shifts with train slots count: a shift with no train in its window constrains nothing.
    """
    shifts = [
        (*sh.seconds(), coverage.drivers_on_trains(duties.line_id, sh.id))
        for sh in duties.driver_shifts
        if duties.slots_in(sh.id) > 0
    ]
    return period_capacity(
        line,
        duties.service_date,
        duties.periods,
        shifts,
        standard.headway_steps_s,
        rule=standard.headway_rule,
        granularity_s=standard.headway_granularity_s,
        floor_trains=standard.floor_trains,
    )
