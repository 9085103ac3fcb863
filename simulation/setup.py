"""Everything a replication needs that does not change during a run, built once per run.

:func:`build_setup` resolves the scenario against the line model and the crew module: the crew
policy, the staffing standard (:class:`crew.StaffingStandard`: driver, technician and control-
centre shifts and counts), the roster — the crew module's :func:`crew.synthetic_roster`, or its
current state ("from today", a :class:`CrewSnapshot`) — compiled for speed, the day patterns of
the timetable and the serviceable fleet. The result is plain picklable data, sent to the worker
processes with each batch of replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from crew import (
    CrewPolicy,
    Discipline,
    Roster,
    StaffingStandard,
    State,
    StatusHistory,
    WorkRecord,
    synthetic_roster,
)
from line import Line, Period
from simulation.crewstate import DAY_S, InitialState
from simulation.scenario import Scenario
from simulation.service import DayPattern, DutyWindow, build_pattern, duty_window
from simulation.workforce import Workforce, compile_workforce

OPEN_ENDED_S = 1.0e12  # a leave without an end outlasts any run


class CrewRecord(Protocol):
    """The crew record as the crew store reads it (:class:`crew.store.CrewSnapshot`)."""

    @property
    def roster(self) -> Roster: ...

    @property
    def history(self) -> StatusHistory: ...

    @property
    def work(self) -> tuple[WorkRecord, ...]: ...


@dataclass(frozen=True, slots=True)
class CrewSnapshot:
    """The crew module's current state, to start a run "from today".

    ``history`` holds the status events and tests, ``work`` the shifts already worked (for the
    week's, month's and year's hours; give at least this year's), ``as_of`` the moment the
    snapshot describes (aware).
    """

    roster: Roster
    history: StatusHistory
    work: tuple[WorkRecord, ...]
    as_of: datetime

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware")

    @classmethod
    def of(cls, record: CrewRecord, as_of: datetime) -> CrewSnapshot:
        """From anything shaped like the crew store's snapshot (roster, history, work)."""
        return cls(record.roster, record.history, tuple(record.work), as_of)


@dataclass(frozen=True, slots=True)
class Requirement:
    """People one role needs on a day of a pattern, for the planned timetable."""

    driver: int
    technician: int
    occ_operator: int


@dataclass(frozen=True, slots=True)
class Setup:
    """A compiled run: scenario, line, rules, roster, day patterns, fleet."""

    scenario: Scenario
    line: Line
    policy: CrewPolicy
    standard: StaffingStandard
    workforce: Workforce
    start: date
    day_pattern: tuple[int, ...]  # pattern key of each simulated day
    weekday_pattern: tuple[int, ...]  # pattern key of each weekday (0 = Monday)
    periods: dict[int, tuple[Period, ...]]
    patterns: dict[int, DayPattern]
    requirements: dict[int, Requirement]
    tech_shifts: tuple[tuple[DutyWindow, dict[Discipline, int]], ...]
    occ_shifts: tuple[tuple[DutyWindow, dict[str, int]], ...]
    units: tuple[str, ...]  # trains not in planned maintenance
    initial: InitialState | None = None
    roster_size: dict[str, int] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return len(self.day_pattern)

    def calendar_date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def pattern_key(self, day: int) -> int:
        """Pattern of any day index, also after the run's last day."""
        if 0 <= day < len(self.day_pattern):
            return self.day_pattern[day]
        return self.weekday_pattern[self.calendar_date(day).weekday()]


def _window(sid: str, a: int, b: int) -> DutyWindow:
    return duty_window(sid, ((a, b),))


def build_setup(
    scenario: Scenario,
    line: Line,
    days: int,
    *,
    crew_state: CrewSnapshot | None = None,
    standard: StaffingStandard | None = None,
) -> Setup:
    """Compile ``scenario`` for ``days`` simulated days on ``line``."""
    if days < 1:
        raise ValueError("a run needs at least one day")
    policy = scenario.crew_policy()
    station_ids = [st.id for st in line.stations]
    for a in scenario.stations.absences:
        if a.station not in station_ids:
            raise ValueError(
                f"station absence: no station {a.station!r} on line {line.id} "
                f"(stations: {', '.join(station_ids)})"
            )
        if a.from_day >= days:
            raise ValueError(
                f"station absence at {a.station} starts on day {a.from_day}, "
                f"after the run's last day ({days - 1})"
            )
    svc = scenario.service
    std = standard or StaffingStandard(
        headway_rule=svc.headway_rule,
        headway_steps_s=svc.headway_steps_s,
        headway_granularity_s=svc.headway_granularity_s,
        floor_trains=svc.floor_trains,
    )
    initial: InitialState | None = None
    if scenario.start == "today":
        if crew_state is None:
            raise ValueError(f"scenario {scenario.name} starts from today: pass the crew state")
        start = _start_date(crew_state.as_of, policy)
        roster = crew_state.roster
    else:
        start = scenario.start_date
        roster = synthetic_roster(scenario.roster_seed, line_id=line.id, reference=start)
    workforce = compile_workforce(
        roster,
        policy,
        std,
        line_id=line.id,
        start=start,
        onsite=scenario.onsite,
        absences=scenario.absences,
    )
    if scenario.start == "today" and crew_state is not None:
        initial = initial_state(crew_state, workforce, policy, start)

    timetable = line.timetable(scenario.timetable)
    periods: dict[int, tuple[Period, ...]] = {}
    patterns: dict[int, DayPattern] = {}
    requirements: dict[int, Requirement] = {}
    tech_total = sum(sum(c.values()) for c in std.technicians.values())
    occ_total = sum(std.occ_posts.values()) * len(std.occ_shifts)
    # every weekday's pattern, also those of days after the run: the roster rations the
    # drivers' working days over the whole calendar week (Art. 111)
    weekday_pattern: list[int] = []
    for wd in range(7):
        the_date = start + timedelta(days=(wd - start.weekday()) % 7)
        pat = timetable.pattern_for(wd)
        key = timetable.patterns.index(pat)
        weekday_pattern.append(key)
        if key not in patterns:
            periods[key] = pat.periods
            dp = build_pattern(
                key, line, pat.periods, std, the_date, scenario.service, policy.max_hours_per_day
            )
            patterns[key] = dp
            drivers = sum(n + dp.relief(n) + dp.spare(n) for n in dp.train_slots)
            requirements[key] = Requirement(drivers, tech_total, occ_total)
    day_pattern = [weekday_pattern[(start + timedelta(days=d)).weekday()] for d in range(days)]
    tech = tuple(
        (_window(sh.id, *sh.seconds()), dict(std.technicians.get(sh.id, {})))
        for sh in std.technician_shifts
    )
    occ = tuple((_window(sh.id, *sh.seconds()), dict(std.occ_posts)) for sh in std.occ_shifts)
    fleet = line.fleet
    units = fleet.trains[: len(fleet.trains) - fleet.planned_maintenance]
    sizes = {r.value: len(v) for r, v in workforce.by_role.items()}
    return Setup(
        scenario=scenario,
        line=line,
        policy=policy,
        standard=std,
        workforce=workforce,
        start=start,
        day_pattern=tuple(day_pattern),
        weekday_pattern=tuple(weekday_pattern),
        periods=periods,
        patterns=patterns,
        requirements=requirements,
        tech_shifts=tech,
        occ_shifts=occ,
        units=units,
        initial=initial,
        roster_size=sizes,
    )


def _start_date(as_of: datetime, policy: CrewPolicy) -> date:
    """A run "from today" starts with today's plan if it is not made yet (before 03:00), else
    with tomorrow's: today's shifts are already the live roster's."""
    local = as_of.astimezone(policy.tz)
    if local.time() < time(3, 0):
        return local.date()
    return local.date() + timedelta(days=1)


def initial_state(
    snap: CrewSnapshot, workforce: Workforce, policy: CrewPolicy, start: date
) -> InitialState:
    """Statuses at ``snap.as_of`` and the hours already worked, in simulation time."""
    tz = policy.tz
    t0 = datetime.combine(start, time(0), tzinfo=tz)

    def rel(t: datetime) -> float:
        return (t - t0).total_seconds()

    init = InitialState()
    index = {p.id: p.index for p in workforce.people}
    hist = snap.history
    recent = snap.as_of - timedelta(days=90)  # a case in the last 90 days is immune
    for sid, i in index.items():
        av = hist.status_at(sid, snap.as_of)
        if av.state is State.F0_ISOLATION:
            until = av.until if av.until is not None else snap.as_of
            if av.awaiting_release_test:
                until = snap.as_of + timedelta(days=1)  # the release test is still to come
            init.f0_until_s[i] = rel(until)
        elif av.state is State.F1_QUARANTINE and av.until is not None:
            init.f1_until_s[i] = rel(av.until)
        elif av.state in (State.LEAVE, State.SICK_OTHER):
            init.leave_until_s[i] = rel(av.until) if av.until is not None else OPEN_ENDED_S
        for ev in hist.events_of(sid):
            if ev.state is State.F0_ISOLATION and recent <= ev.effective <= snap.as_of:
                if av.state is not State.F0_ISOLATION:
                    init.immune.add(i)
    for w in sorted(snap.work, key=lambda r: (r.start, r.staff_id)):
        i_or_none = index.get(w.staff_id)
        if i_or_none is None or w.start >= t0:
            continue  # future bookings are re-planned by the simulation
        a, b = rel(w.start), rel(w.end)
        day = math.floor(a / DAY_S)
        init.work.append((i_or_none, day, a, b, w.minutes))
    return init
