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
    F1Mode,
    Roster,
    StaffingStandard,
    State,
    StatusHistory,
    WorkRecord,
    synthetic_roster,
)
from line import Line, Period, Timetable
from line.catalogue import Invalid, Message
from simulation.crewstate import DAY_S, DayRules, InitialState
from simulation.scenario import Scenario, incidence_series
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
    # per simulated day: community infection probability (before the staff's relative risk
    # and the on-site factor), the health rules in force, weekday ridership of the era
    community_p: tuple[float, ...] = ()
    day_rules: tuple[DayRules, ...] = ()
    passengers: tuple[int, ...] = ()
    timetable_id: str = ""
    # pattern keys of the week after the run (the roster rations the week's working days)
    tail_pattern: tuple[int, ...] = ()

    @property
    def days(self) -> int:
        return len(self.day_pattern)

    def calendar_date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def pattern_key(self, day: int) -> int:
        """Pattern of any day index, also after the run's last day."""
        if 0 <= day < len(self.day_pattern):
            return self.day_pattern[day]
        k = day - len(self.day_pattern)
        if 0 <= k < len(self.tail_pattern):
            return self.tail_pattern[k]
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
        if not crew_state.roster.staff:
            # an empty crew record (a new or mistyped database) would simulate a line with
            # nobody to run it: every trip lost, which answers nothing
            raise Invalid(Message("scenario.refused.no_staff"))
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
        training=scenario.training,
        horizon=days + 7,
    )
    check_inputs(scenario, workforce, days)
    if scenario.start == "today" and crew_state is not None:
        initial = initial_state(crew_state, workforce, policy, start, scenario.health.immunity_days)

    # the timetable of each day: the scenario's, or the one in force on the date
    horizon = [start + timedelta(days=d) for d in range(days + 7)]
    tables = [_timetable_on(line, scenario, d) for d in horizon]
    periods: dict[int, tuple[Period, ...]] = {}
    patterns: dict[int, DayPattern] = {}
    requirements: dict[int, Requirement] = {}
    keys: dict[tuple[str, int], int] = {}
    tech_total = sum(sum(c.values()) for c in std.technicians.values())
    occ_total = sum(std.occ_posts.values()) * len(std.occ_shifts)
    horizon_pattern: list[int] = []
    for the_date, timetable in zip(horizon, tables, strict=True):
        pat = timetable.pattern_for(the_date.weekday())
        ident = (timetable.id, timetable.patterns.index(pat))
        key = keys.get(ident)
        if key is None:
            key = keys[ident] = len(keys)
            periods[key] = pat.periods
            dp = build_pattern(
                key, line, pat.periods, std, the_date, scenario.service, policy.max_hours_per_day
            )
            patterns[key] = dp
            drivers = sum(n + dp.relief(n) + dp.spare(n) for n in dp.train_slots)
            requirements[key] = Requirement(drivers, tech_total, occ_total)
        horizon_pattern.append(key)
    day_pattern = horizon_pattern[:days]
    # every weekday's pattern as of the last day (days after the run and its week)
    weekday_pattern = [0] * 7
    for the_date, key in zip(horizon[-7:], horizon_pattern[-7:], strict=True):
        weekday_pattern[the_date.weekday()] = key
    tech = tuple(
        (_window(sh.id, *sh.seconds()), dict(std.technicians.get(sh.id, {})))
        for sh in std.technician_shifts
    )
    occ = tuple((_window(sh.id, *sh.seconds()), dict(std.occ_posts)) for sh in std.occ_shifts)
    fleet = line.fleet
    era = line.era_on(start) if line.service_history else None
    serviceable = len(fleet.trains) - fleet.planned_maintenance
    if era is not None and era.serviceable_trains is not None:
        serviceable = min(serviceable, era.serviceable_trains)
    units = fleet.trains[:serviceable]
    sizes = {r.value: len(v) for r, v in workforce.by_role.items()}
    inc = scenario.incidence
    if inc.series is not None and start > (last_day := max(incidence_series(inc.series))):
        raise Invalid(
            Message(
                "scenario.refused.series_ends_early",
                {"series": inc.series, "last": str(last_day), "start": str(start)},
            )
        )
    try:
        community = tuple(
            inc.probability(inc.per_100k_on(d, start + timedelta(days=d))) for d in range(days)
        )
    except Invalid:
        raise  # says which input, in the catalogue's words
    except ValueError as exc:
        raise ValueError(f"incidence: {exc}") from None
    passengers = tuple(_passengers(line, scenario, start + timedelta(days=d)) for d in range(days))
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
        community_p=community,
        day_rules=day_rules(scenario, policy, start, days),
        passengers=passengers,
        timetable_id=tables[0].id,
        tail_pattern=tuple(horizon_pattern[days:]),
    )


def check_inputs(scenario: Scenario, workforce: Workforce, days: int) -> None:
    """Refuse what cannot happen with this roster and run length (a ValueError naming the
    input, which the API answers with 422)."""
    last = days - 1
    heads = {r: len(v) for r, v in workforce.by_role.items()}
    for k, a in enumerate(scenario.absences, start=1):
        n = heads.get(a.role, 0)
        if a.count > n:
            raise Invalid(
                Message(
                    "scenario.refused.absence_count",
                    {"k": k, "count": a.count, "heads": n, "role": a.role.text},
                )
            )
        if a.from_day > last:
            raise Invalid(
                Message(
                    "scenario.refused.absence_after_end", {"k": k, "day": a.from_day, "last": last}
                )
            )
        if a.to_day is not None and a.to_day < a.from_day:
            raise Invalid(
                Message(
                    "scenario.refused.absence_order",
                    {"k": k, "to_day": a.to_day, "from_day": a.from_day},
                )
            )
    cohorts = bool(workforce.rotation or workforce.fixed_cohorts)
    for k, c in enumerate(scenario.health.seed_cases, start=1):
        if c.day > last:
            raise Invalid(
                Message("scenario.refused.seed_after_end", {"k": k, "day": c.day, "last": last})
            )
        pool = heads.get(c.role, 0) if c.role is not None else len(workforce)
        if c.count > pool:
            who = c.role.text if c.role is not None else Message("scenario.refused.who_staff")
            raise Invalid(
                Message(
                    "scenario.refused.seed_count",
                    {"k": k, "count": c.count, "pool": pool, "who": who},
                )
            )
        if c.in_active_cohort and not cohorts:
            raise Invalid(Message("scenario.refused.seed_no_cohort", {"k": k}))


def _timetable_on(line: Line, scenario: Scenario, day: date) -> Timetable:
    if scenario.timetable is not None:
        return line.timetable(scenario.timetable)
    try:
        return line.timetable_on(day)
    except LookupError as exc:
        raise ValueError(f"no timetable in force: {exc}") from None


def _passengers(line: Line, scenario: Scenario, day: date) -> int:
    if scenario.demand.weekday_passengers is not None:
        return scenario.demand.weekday_passengers
    try:
        return line.era_on(day).weekday_passengers
    except LookupError as exc:
        raise ValueError(f"no ridership for the date: {exc}") from None


def day_rules(
    scenario: Scenario, policy: CrewPolicy, start: date, days: int
) -> tuple[DayRules, ...]:
    """The health rules in force on each day: the policy's, changed by the scenario's dated
    rule changes in date order (a change dated before the start applies from day 0)."""
    f0 = policy.f0_isolation_days
    f1 = policy.f1_quarantine_days
    home = policy.f1_mode
    site = scenario.f1_mode_on_site or policy.f1_mode
    changes = list(scenario.rules)
    out: list[DayRules] = []
    k = 0
    for d in range(days):
        today = start + timedelta(days=d)
        while k < len(changes) and changes[k].from_date <= today:
            c = changes[k]
            f0 = c.f0_isolation_days if c.f0_isolation_days is not None else f0
            f1 = c.f1_quarantine_days if c.f1_quarantine_days is not None else f1
            if c.f1_mode is not None:
                home = c.f1_mode
                if c.f1_mode_on_site is None and scenario.f1_mode_on_site is None:
                    site = c.f1_mode
            site = c.f1_mode_on_site if c.f1_mode_on_site is not None else site
            k += 1
        out.append(DayRules(f0, f1, home is F1Mode.QUARANTINE, site is F1Mode.QUARANTINE))
    return tuple(out)


def _start_date(as_of: datetime, policy: CrewPolicy) -> date:
    """A run "from today" starts with today's plan if it is not made yet (before 03:00), else
    with tomorrow's: today's shifts are already the live roster's."""
    local = as_of.astimezone(policy.tz)
    if local.time() < time(3, 0):
        return local.date()
    return local.date() + timedelta(days=1)


def initial_state(
    snap: CrewSnapshot,
    workforce: Workforce,
    policy: CrewPolicy,
    start: date,
    immunity_days: int = 90,
) -> InitialState:
    """Statuses at ``snap.as_of`` and the hours already worked, in simulation time."""
    tz = policy.tz
    t0 = datetime.combine(start, time(0), tzinfo=tz)

    def rel(t: datetime) -> float:
        return (t - t0).total_seconds()

    init = InitialState()
    index = {p.id: p.index for p in workforce.people}
    hist = snap.history
    # a case declared recently is immune (the scenario's health.immunity_days)
    recent = snap.as_of - timedelta(days=immunity_days)
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
