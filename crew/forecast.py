"""The crew outlook of one or more lines: coverage for today and the next days, with capacity.

This is the one call the REST layer and ``metro-ops crew coverage`` need: it builds each day's
duties from the lines' timetables (:mod:`crew.duties`), covers them (:mod:`crew.coverage`) and
derives the crew-constrained capacity of every period (:mod:`crew.capacity`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from crew.capacity import PeriodCapacity, day_capacity
from crew.coverage import CoveragePlan, DayCoverage, SolverSettings, solve_coverage
from crew.duties import DayDuties, StaffingStandard, day_duties
from crew.hours import WorkRecord
from crew.model import Roster
from crew.rules import CrewPolicy
from crew.status import StatusHistory
from line import Line, Timetable


@dataclass(frozen=True, slots=True)
class DayOutlook:
    """One service day: the coverage and, per line, the capacity of each period."""

    coverage: DayCoverage
    duties: tuple[DayDuties, ...]
    capacity: tuple[PeriodCapacity, ...]

    @property
    def service_date(self) -> date:
        return self.coverage.service_date

    @property
    def degraded(self) -> tuple[PeriodCapacity, ...]:
        """Periods that cannot run their planned headway."""
        return tuple(c for c in self.capacity if c.degraded)


@dataclass(frozen=True, slots=True)
class CrewOutlook:
    """Coverage and capacity from ``start`` for ``len(days)`` days."""

    plan: CoveragePlan
    days: tuple[DayOutlook, ...]

    @property
    def first_unstaffable(self) -> date | None:
        return self.plan.first_unstaffable

    @property
    def first_degraded(self) -> date | None:
        """The first day some period cannot run its planned headway."""
        return next((d.service_date for d in self.days if d.degraded), None)


def crew_outlook(
    services: Sequence[tuple[Line, Timetable]],
    roster: Roster,
    history: StatusHistory,
    work: Iterable[WorkRecord],
    *,
    start: date,
    as_of: datetime,
    policy: CrewPolicy,
    standard: StaffingStandard | None = None,
    next_days: int = 14,
    solver: SolverSettings | None = None,
) -> CrewOutlook:
    """Coverage and capacity for ``start`` (today) and the ``next_days`` days after it.

    ``services`` pairs each line with the timetable in force; line ids must be unique.
    """
    std = standard or StaffingStandard()
    lines = {ln.id: ln for ln, _ in services}
    if len(lines) != len(services):
        raise ValueError("each line may appear once")
    dates = [start + timedelta(days=i) for i in range(next_days + 1)]
    duties = [day_duties(ln, tt, d, std, tz=policy.tz) for d in dates for ln, tt in services]
    plan = solve_coverage(roster, history, work, duties, policy, as_of=as_of, solver=solver)
    out = []
    for cov in plan.days:
        dd = tuple(x for x in duties if x.service_date == cov.service_date)
        cap = tuple(c for x in dd for c in day_capacity(lines[x.line_id], x, cov, std))
        out.append(DayOutlook(cov, dd, cap))
    return CrewOutlook(plan, tuple(out))
