"""What one replication records about each day, as flat ``name → number`` rows.

A day's row holds trips planned/operated/cancelled (in total, by period and by cause), the
headway adopted and achieved, seat and standing capacity offered against demand, the mean
passenger wait, staff available/required/assigned by role, everyone's state, overtime, legal
breaches, health events, the fleet, which service levels held, which resources bound the
service adopted (``binding.<resource>``) and the stations closed for want of staff. Names are dotted
(``periods.am_peak.trips_operated``); :mod:`simulation.results` turns rows from many
replications into p10/p50/p90 bands with the same names, nested.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter

from crew import Role, State
from simulation.crewstate import DAY_S, F0, F1, LEAVE, NONE, CrewState, DayTally
from simulation.roster import DayRoster
from simulation.scenario import ServicePolicy
from simulation.service import DayPattern, OperatedPlan, Segment
from simulation.setup import Setup
from simulation.stations import StationDay

LEVELS: tuple[str, ...] = ("timetable", "peak_headway", "headway_10min", "headway_15min", "service")
"""Service levels, best first: the full timetable; peaks at their planned headway; nothing
worse than 10 minutes; nothing worse than 15 minutes; some service in every period. A day
holds a level when the service adopted meets it and the service run does too (within
``TOLERANCE``)."""

STATES: tuple[State, ...] = (
    State.F0_ISOLATION,
    State.F1_QUARANTINE,
    State.LEAVE,
    State.ON_SHIFT,
    State.AVAILABLE,
)

# the record's code for someone who worked the day, whatever their status code at plan time
WORKED = 4
# the status code of each state in the day's record (a person who did not work keeps the code
# noted at plan time)
CODE_OF_STATE = {
    State.F0_ISOLATION: F0,
    State.F1_QUARANTINE: F1,
    State.LEAVE: LEAVE,
    State.ON_SHIFT: WORKED,
    State.AVAILABLE: NONE,
}
_role = attrgetter("role")


@dataclass(slots=True)
class DayLog:
    """Counters filled while a day runs."""

    day: int
    pattern: DayPattern
    planned: OperatedPlan
    roster: DayRoster
    status_at_plan: list[int]
    operated: list[int]  # filled by close_day from trains_at
    trains_max: list[int]  # filled by close_day from trains_at
    trains_at: list[list[int]]  # trains in service at each departure, by segment of the plan
    departures: tuple[list[float], list[float]] = field(default_factory=lambda: ([], []))
    no_driver: int = 0
    no_train: int = 0
    no_control: int = 0
    failures: int = 0
    trains_ready: int = 0
    overtime_min: int = 0
    breaches: int = 0
    worked: set[int] = field(default_factory=set)
    stations: StationDay | None = None  # station staffing (None: not simulated)


BINDING_FIXED: tuple[str, ...] = ("trains", "technicians", "control_centre", "station_staff")
"""Resources besides the drivers of each shift that can bind the day's service; with the crew
standard's shifts the day's ``binding.<resource>`` keys are ``drivers_early``,
``drivers_late``, ``trains``, ``technicians``, ``control_centre`` and ``station_staff``."""


def binding_resources(setup: Setup) -> tuple[str, ...]:
    """The ``binding.<resource>`` names of a run: drivers per standard shift, then the rest."""
    return (*(f"drivers_{sh.id}" for sh in setup.standard.driver_shifts), *BINDING_FIXED)


def _levels(
    pattern: DayPattern, plan: OperatedPlan, operated: list[int], policy: ServicePolicy
) -> dict[str, bool]:
    """Which service levels the day held: adopted by the plan *and* run.

    Checked per segment (a period's part run by one shift): its adopted headway within the
    level's limit, and its trips run at least those the limit implies less
    ``max(level_slack_trips, level_slack_share × those trips)`` — a train failure that cancels
    a trip or two does not lose a level, a crew that did not sign on does."""
    segments = pattern.variants[plan.variant].segments
    share, slack = policy.level_slack_share, policy.level_slack_trips

    def within(limit: Callable[[Segment], float | None], peaks_only: bool = False) -> bool:
        for s, h, n in zip(segments, plan.headways, operated, strict=True):
            if peaks_only and not s.peak:
                continue
            lim = limit(s)
            if lim is None:  # some service
                if h is None or n == 0:
                    return False
                continue
            if h is None or h > lim:
                return False
            needed = 2 * (s.end_s - s.start_s) / lim  # both directions
            if n < needed - max(slack, share * needed):
                return False
        return True

    return {
        "timetable": within(lambda s: float(s.planned_headway_s)),
        "peak_headway": within(lambda s: float(s.planned_headway_s), peaks_only=True),
        "headway_10min": within(lambda s: max(s.planned_headway_s, 600.0)),
        "headway_15min": within(lambda s: max(s.planned_headway_s, 900.0)),
        "service": within(lambda s: None),
    }


def period_headways(pattern: DayPattern, plan: OperatedPlan) -> list[float]:
    """Each period's adopted headway: the longest of its segments' (inf: any part suspended)."""
    out = [0.0] * len(pattern.periods)
    for s, h in zip(pattern.variants[plan.variant].segments, plan.headways, strict=True):
        out[s.period] = max(out[s.period], math.inf if h is None else float(h))
    return out


def close_day(
    log: DayLog, setup: Setup, crew: CrewState, tally: DayTally, in_repair: int
) -> dict[str, float]:
    """The day's row."""
    pat = log.pattern
    roster = log.roster
    fleet = setup.line.fleet
    base = log.day * DAY_S
    row: dict[str, float] = {}
    planned = log.planned.trips_by_period
    # trips operated per segment and per period: the departures counted in trains_at (one
    # entry each, by segment; a segment is part of one period)
    segments = pat.variants[roster.plan.variant].segments
    operated_seg = [len(at) for at in log.trains_at]
    trains_at: list[list[int]] = [[] for _ in pat.periods]
    for seg, at in zip(segments, log.trains_at, strict=True):
        trains_at[seg.period] += at
    operated = log.operated
    operated[:] = [len(at) for at in trains_at]
    row["trips_planned"] = sum(planned)
    row["trips_operated"] = sum(operated)
    row["trips_cancelled"] = sum(planned) - sum(operated)
    by_plan = sum(planned) - roster.plan.trips
    by_plan_fleet = min(by_plan, roster.by_plan_fleet)
    row["cancelled.by_plan"] = by_plan
    row["cancelled.by_plan_crew"] = by_plan - by_plan_fleet
    row["cancelled.by_plan_fleet"] = by_plan_fleet
    row["cancelled.no_driver"] = log.no_driver
    row["cancelled.no_train"] = log.no_train
    row["cancelled.no_control"] = log.no_control
    # by cause: the crew's (no driver, no controller, too few technicians to inspect, a plan
    # cut for want of crews) or the trains' (faults: in repair, withdrawn in service). They
    # sum to trips_cancelled; "no trip stopped" means cancelled.crew == 0.
    row["cancelled.crew"] = by_plan - by_plan_fleet + log.no_driver + log.no_control
    row["cancelled.fleet"] = by_plan_fleet + log.no_train

    # demand: passengers per second in each period, peaks weighted
    dem = setup.scenario.demand
    weekday = setup.calendar_date(log.day).weekday()
    passengers = setup.passengers[log.day] * (dem.weekend_factor if weekday >= 5 else 1.0)
    weights = [dem.peak_weight if p.peak else 1.0 for p in pat.periods]
    weighted_s = sum(w * (p.end_s - p.start_s) for w, p in zip(weights, pat.periods, strict=True))
    rate = [passengers * w / weighted_s for w in weights]  # passengers/s, both directions
    row["demand"] = passengers
    unserved = 0.0
    peak_load = 0.0
    for p, hw in zip(pat.periods, period_headways(pat, roster.plan), strict=True):
        k = p.index
        dur = p.end_s - p.start_s
        pre = f"periods.{p.name}."
        row[pre + "trips_planned"] = planned[k]
        row[pre + "trips_operated"] = operated[k]
        row[pre + "trips_cancelled"] = planned[k] - operated[k]
        row[pre + "headway_s"] = hw
        row[pre + "achieved_headway_s"] = 2 * dur / operated[k] if operated[k] else math.inf
        # typical (median) trains in service at the period's departures: the peak's trains still
        # running in at the start of the next period do not count as that period's
        at = sorted(trains_at[k])
        row[pre + "trains_in_service"] = at[(len(at) - 1) // 2] if at else 0
        # the most trains in service at one of the period's departures (none: 0)
        log.trains_max[k] = at[-1] if at else 0
        row[pre + "trains_max"] = log.trains_max[k]
        if operated[k] == 0:
            unserved += rate[k] * dur
            continue
        per_dir_per_h = operated[k] / 2 / (dur / 3600)
        on_board = rate[k] * 3600 * dem.peak_direction_share * dem.max_section_share
        peak_load = max(peak_load, on_board / (per_dir_per_h * fleet.capacity_normal))
    achieved = [
        2 * (p.end_s - p.start_s) / operated[p.index] if operated[p.index] else math.inf
        for p in pat.periods
    ]
    # the longest achieved headway of the day, and of its peaks (nan: a day without peaks)
    row["headway_max_s"] = max(achieved)
    row["headway_peak_s"] = max(
        (h for p, h in zip(pat.periods, achieved, strict=True) if p.peak), default=math.nan
    )
    row["demand_unserved"] = unserved
    row["peak_load_factor"] = peak_load
    total_ops = sum(operated)
    row["seat_capacity"] = total_ops * fleet.seats_per_train
    row["standing_capacity"] = total_ops * (fleet.capacity_normal - fleet.seats_per_train)
    row["mean_wait_s"] = _mean_wait(log.departures, pat, rate, base)

    levels = _levels(pat, roster.plan, operated_seg, setup.scenario.service)
    for name in LEVELS:
        row[f"level.{name}"] = 1.0 if levels[name] else 0.0
    sd = log.stations
    bound = roster.binding | ({"station_staff"} if sd is not None and sd.closed else set())
    for name in binding_resources(setup):
        row[f"binding.{name}"] = 1.0 if name in bound else 0.0
    if sd is not None:
        row["stations.closed"] = sd.stations_closed
        row["stations.closed_shifts"] = len(sd.closed)
        row["staff.station_staff.available"] = sd.available
        row["staff.station_staff.required"] = sd.required
        row["staff.station_staff.assigned"] = sd.assigned
        off = sd.headcount - sd.f0 - sd.f1 - sd.leave - sd.assigned
        for name, n in (
            ("f0_isolation", sd.f0),
            ("f1_quarantine", sd.f1),
            ("leave", sd.leave),
            ("on_shift", sd.assigned),
            ("available", off),
        ):
            row[f"states.station_staff.{name}"] = n

    # staff and states
    req = setup.requirements[setup.day_pattern[log.day]]
    required = {
        Role.DRIVER: req.driver,
        Role.TECHNICIAN: req.technician,
        Role.OCC_OPERATOR: req.occ_operator,
    }
    # everyone's (role, code) counted in C: this runs for everyone every day
    codes = list(log.status_at_plan)
    for i in log.worked:
        codes[i] = WORKED
    counts = Counter(zip(map(_role, crew.workforce.people), codes, strict=True))
    for r, available, req_key, assigned, states in _ROLE_KEYS:
        row[available] = roster.available[r]
        row[req_key] = required[r]
        row[assigned] = counts[(r, WORKED)]
        for name, key in states:
            row[name] = counts[key]

    led = crew.ledger
    row["overtime_h"] = log.overtime_min / 60
    mk = led.calendar.month(log.day)
    # the most overtime anyone has this month: the month counters of people whose counter is
    # this month's (the others are stale), selected and compared in C
    this_month = compress(led.month_ot, map(mk.__eq__, led.month_key))
    row["overtime_h_max_person"] = max(this_month, default=0) / 60
    row["legal_breaches"] = log.breaches
    row["health.infections"] = tally.infections
    row["health.cases"] = tally.cases
    row["health.contacts"] = tally.contacts
    row["trains.ready"] = log.trains_ready
    row["trains.failures"] = log.failures
    row["trains.in_repair"] = in_repair
    row["trains.max_in_service"] = max(log.trains_max, default=0)
    row["drivers.straight"] = sum(roster.straight)
    row["drivers.peak_duties"] = roster.peak
    return row


# the names of each role's figures in a day's row, and each state's count key, made once
_ROLE_KEYS = tuple(
    (
        r,
        f"staff.{r.value}.available",
        f"staff.{r.value}.required",
        f"staff.{r.value}.assigned",
        tuple((f"states.{r.value}.{s.value}", (r, CODE_OF_STATE[s])) for s in STATES),
    )
    for r in Role
)


def _mean_wait(
    departures: tuple[list[float], list[float]],
    pattern: DayPattern,
    rate: list[float],
    base: float,
) -> float:
    """Mean wait of passengers arriving at random during service hours for the next train.

    A passenger arriving in a gap of ``g`` seconds waits ``g/2`` on average; gaps are weighted
    by the demand rate of the period they end in. The gap from the start of service to the
    first train counts; passengers arriving after the last train are unserved, not waiting.
    """
    ps = pattern.periods
    starts = [base + p.start_s for p in ps]
    first = base + ps[0].start_s
    num = 0.0
    den = 0.0
    last = len(starts) - 1
    for deps in departures:
        prev = first
        k = 0
        r = rate[0]
        # the next period's start, held in a local: this runs for every departure every day
        nxt = starts[1] if last > 0 else math.inf
        for t in deps:
            while t >= nxt:
                k += 1
                r = rate[k]
                nxt = starts[k + 1] if k < last else math.inf
            g = t - prev
            if g > 0:
                num += r * g * g / 2
                den += r * g
            prev = t
    return num / den if den > 0 else math.inf
