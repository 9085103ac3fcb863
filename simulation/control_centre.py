"""The control centre's day, planned at 03:00.

Every morning it closes the books of the day before, makes the day's roster and adopts the
service the crews and trains allow (:mod:`simulation.roster`, :mod:`simulation.service`), sends
the shifts to sign on at their times (:mod:`simulation.shift`) and the trains out on their
blocks (:mod:`simulation.train`). Like Hanoimetro's status reports to the city (07:00, 11:00,
17:00), the plan is made with what is known when it is made: a test that comes back positive
at sign-on changes the day as it runs, not the plan.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from simulation.crewstate import DAY_S, PLAN_AT_S
from simulation.operation import Operation
from simulation.roster import DutyRun
from simulation.shift import shift
from simulation.train import train


def control_centre(env: simpy.Environment, ops: Operation) -> Generator[Any, Any, None]:
    """Plan and start each day of the run."""
    occ_night_down = False
    for day in range(ops.setup.days):
        at = day * DAY_S + PLAN_AT_S
        if env.now < at:
            yield env.timeout(at - env.now)
        if day > 0:
            ops.close_day()
        ops.crew.start_day(day)
        ops.crew.rotate_cohorts(day, env.now, ops.swap_below_share)
        ready = ops.trains_ready()
        stations = None
        closed: list[tuple[int, int]] = []
        if ops.stations is not None:
            stations = ops.stations.plan_day(day, ops.setup.calendar_date(day).weekday())
            if ops.setup.scenario.stations.short_station == "close_line":
                shifts = ops.setup.patterns[ops.setup.day_pattern[day]].shifts
                closed = sorted({(shifts[k].start_s, shifts[k].end_s) for _, k in stations.closed})
        roster = ops.rostering.roster_day(
            day, ready, occ_night_down, ops.inspection_short(), closed=closed
        )
        ops.open_day(day, roster, ready)
        if ops.log is not None:
            ops.log.stations = stations
        occ_night_down = any(
            a <= (day + 1) * DAY_S < b for a, b in roster.occ_down if a >= day * DAY_S
        )
        by_start: dict[float, list[DutyRun]] = {}
        for run in roster.runs:
            by_start.setdefault(run.start_s, []).append(run)
        for start in sorted(by_start):
            env.process(shift(env, ops, by_start[start]))
        for block in roster.plan.blocks:
            env.process(train(env, ops, day, block))
