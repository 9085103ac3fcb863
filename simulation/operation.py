"""The world of one replication: the clock, the crew, the depot, and today's duties and trips.

The processes (:mod:`simulation.train`, :mod:`simulation.breakdown`, :mod:`simulation.infection`,
:mod:`simulation.shift`, :mod:`simulation.control_centre`) tell the story; this object holds
what they share and the few rules that join them:

* a departure needs the control centre staffed, and a driver signed on to a duty that takes
  departures at that time who is not driving; a driver is busy from departure to arrival and
  may then take any train leaving that terminal, as :func:`crew.train_slots` counts drivers;
* a crew member who does not show (positive pre-shift test, isolation or quarantine since the
  roster) or who must leave mid-shift (quarantined as a contact) is covered by a spare or
  relief driver of the same shift, else by a call-in who arrives ``call_in_delay_s`` later;
* rolling-stock technicians on duty repair failed trains, and the night shift's inspection
  capacity limits the trains ready next morning.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import simpy

from crew import Discipline, DutyKind
from simulation.crewstate import DAY_S, CrewState
from simulation.hours import Calendar
from simulation.records import F0, F1, LEAVE, NONE, DayLog, close_day
from simulation.roster import DayRoster, DutyRun, Rostering
from simulation.service import DutyWindow, PlanBook, Trip
from simulation.setup import Setup
from simulation.stations import StationStaff


@dataclass(slots=True)
class DriverPool:
    """Drivers signed on to one duty window, counted; busy ones until their trip is done."""

    window: DutyWindow
    base: float
    drivers: int = 0
    busy: list[float] = field(default_factory=list)
    departs: tuple[tuple[float, float], ...] = ()
    # the span of ``departs`` and whether it has gaps (a departure checks the span first)
    first: float = 0.0
    last: float = 0.0
    split: bool = False

    def __post_init__(self) -> None:
        self.departs = tuple((self.base + a, self.base + b) for a, b in self.window.departs)
        if self.departs:
            self.first = min(a for a, _ in self.departs)
            self.last = max(b for _, b in self.departs)
        self.split = len(self.departs) > 1

    def free_at(self, now: float) -> bool:
        for a, b in self.departs:
            if a <= now < b:
                break
        else:
            return False
        busy = self.busy
        while busy and busy[0] <= now:
            heapq.heappop(busy)
        return self.drivers > len(busy)


@dataclass(slots=True)
class OccShift:
    """A control-centre shift: posts staffed now, and whether service may run."""

    start_s: float
    end_s: float
    staffed: dict[str, int]
    essential: dict[str, int]
    down: bool = False

    def check(self) -> None:
        self.down = any(self.staffed.get(p, 0) < n for p, n in self.essential.items())


@dataclass(slots=True)
class Trace:
    """Optional event log for validation: sign-ons and exclusion intervals."""

    sign_ons: list[tuple[float, int]] = field(default_factory=list)
    exclusions: list[tuple[int, float, float]] = field(default_factory=list)


class Operation:
    """Shared state of one replication (see the module docstring)."""

    def __init__(
        self,
        setup: Setup,
        seed: str,
        book: PlanBook,
        *,
        trace: bool = False,
    ) -> None:
        self.setup = setup
        self.env = simpy.Environment()
        self.rng_health = random.Random(f"{seed}/health")
        self.rng_fleet = random.Random(f"{seed}/fleet")
        rank_rng = random.Random(f"{seed}/roster")
        n = len(setup.workforce)
        rank = list(range(n))
        rank_rng.shuffle(rank)
        self.calendar = Calendar(setup.start)
        self.crew = CrewState(
            setup.workforce,
            setup.policy,
            setup.scenario.health,
            self.calendar,
            self.rng_health,
            setup.initial,
            setup.day_rules,
        )
        self.crew.on_removed = self.remove_from_duty
        self.book = book
        self.rostering = Rostering(setup, self.crew, book, rank)
        sc = setup.scenario
        self.stations: StationStaff | None = None
        if sc.stations.enabled:
            self.stations = StationStaff(
                tuple(st.id for st in setup.line.stations),
                len(setup.standard.driver_shifts),
                sc.stations,
                sc.health,
                sc.incidence,
                setup.policy,
                random.Random(f"{seed}/stations"),  # its own stream: the crew's draws stay
            )
        self.depot = simpy.Store(self.env)
        self.technicians = simpy.Container(self.env, init=0)
        self.in_service: dict[str, Any] = {}
        self.in_repair: set[str] = set()
        self.rostering.trains_without_failures = self._trains_without_failures
        self.trains_running = 0
        self.pools: list[DriverPool] = []
        self.pool_by_window: dict[int, DriverPool] = {}  # id(window) → pool, for today
        self.standby: dict[str, list[int]] = {}  # spare/relief drivers on duty, by shift
        self.occ: list[OccShift] = []
        self.occ_down: list[OccShift] = []  # those of self.occ that are down, in its order
        self.occ_of_run: dict[DutyRun, OccShift] = {}
        self.on_duty: dict[int, DutyRun] = {}
        self.inspect_capacity = len(setup.units)  # the night before day 0 was fully staffed
        self.log: DayLog | None = None
        self.rows: list[dict[str, float]] = []
        self.trace = Trace() if trace else None
        p = setup.policy
        self.test_before_shift = p.test_before_shift
        self.service = setup.scenario.service
        self.essential = dict(self.service.occ_essential_posts)
        onsite = setup.scenario.onsite
        self.swap_below_share = (
            onsite.swap_below_share if onsite is not None and onsite.swap_on_outbreak else None
        )
        # the technician shift that crosses midnight inspects the next day's trains
        self.night_inspection_shift = max(
            setup.tech_shifts, key=lambda ws: (ws[0].end_s, ws[0].start_s)
        )[0].id

    # --- the day's set-up -----------------------------------------------------------------
    def _trains_without_failures(self) -> int:
        """Trains that would be ready had none failed: last night's inspection capacity."""
        return min(len(self.setup.units), self.inspect_capacity)

    def trains_ready(self) -> int:
        """Serviceable trains not under repair, as many as last night's shift inspected."""
        free = [u for u in self.setup.units if u not in self.in_repair]
        return min(len(free), self.inspect_capacity)

    def inspection_short(self) -> bool:
        """Last night's inspection, not the trains out of repair, limits today's trains."""
        free = sum(1 for u in self.setup.units if u not in self.in_repair)
        return self.inspect_capacity < free

    def open_day(self, day: int, roster: DayRoster, ready: int) -> None:
        """Put the inspected trains in the depot and open today's driver pools and OCC shifts."""
        free = [u for u in self.setup.units if u not in self.in_repair][:ready]
        self.depot.items[:] = free
        base = day * DAY_S
        self.pools = []
        self.pool_by_window = {}
        self.standby = {}
        self.occ = [o for o in self.occ if o.end_s > self.env.now]
        self._occ_changed()
        self.occ_of_run = {k: o for k, o in self.occ_of_run.items() if o.end_s > self.env.now}
        for run in roster.runs:
            if run.kind is DutyKind.TRAIN:
                pool = DriverPool(run.window, base)
                self.pools.append(pool)
                self.pool_by_window.setdefault(id(run.window), pool)
        occ_by_window: dict[str, OccShift] = {}
        for run in roster.runs:
            if run.kind is not DutyKind.OCC_POST or run.post is None:
                continue
            o = occ_by_window.get(run.window.id)
            if o is None:
                o = OccShift(run.start_s, run.end_s, {}, self.essential)
                occ_by_window[run.window.id] = o
                self.occ.append(o)
            # until it signs on, a shift counts as rostered
            o.staffed[run.post] = o.staffed.get(run.post, 0) + len(run.members)
            self.occ_of_run[run] = o
        for o in occ_by_window.values():
            o.check()
        self._occ_changed()
        crew = self.crew
        t = self.env.now
        codes = []
        # CrewState.isolating, contact and on_leave, inlined: this runs for everyone every day
        f0, f1, leave, absent = crew.f0_until, crew.f1_until, crew.leave_until, crew.absent_today
        for i in range(len(self.setup.workforce)):
            if f0[i] > t:
                codes.append(F0)
            elif f1[i] > t:
                codes.append(F1)
            elif i in absent or leave[i] > t:
                codes.append(LEAVE)
            else:
                codes.append(NONE)
        pat = self.setup.patterns[self.setup.day_pattern[day]]
        n = len(pat.periods)
        self.log = DayLog(
            day=day,
            pattern=pat,
            planned=self.book.plan(pat.key, pat.planned_headways),
            operated_seg=[0] * len(roster.plan.headways),
            roster=roster,
            status_at_plan=codes,
            operated=[0] * n,
            trains_max=[0] * n,
            trains_at=[[] for _ in range(n)],
            trains_ready=ready,
        )

    def close_day(self) -> None:
        """Record the day that ran (called when the next is planned, and at the end)."""
        log = self.log
        if log is None:
            return
        tally = self.crew.take_tally(log.day)
        self.rows.append(close_day(log, self.setup, self.crew, tally, len(self.in_repair)))
        self.log = None

    def log_failure(self) -> None:
        if self.log is not None:
            self.log.failures += 1

    def pool_of(self, run: DutyRun) -> DriverPool | None:
        """Today's pool of ``run``'s duty window (the first, as a scan of the pools finds)."""
        return self.pool_by_window.get(id(run.window))

    # --- trips ----------------------------------------------------------------------------
    def _recheck(self, o: OccShift) -> None:
        """``o``'s staffing changed: is it down now?"""
        was = o.down
        o.check()
        if o.down != was:
            self._occ_changed()

    def _occ_changed(self) -> None:
        # a departure looks at the shifts that are down only (almost always none)
        self.occ_down = [o for o in self.occ if o.down]

    def depart(self, trip: Trip) -> bool:
        """Try to run a trip now; count it operated or cancelled (and why).

        Runs at every departure of every replication: the control-centre check scans only the
        shifts that are down, and :meth:`DriverPool.free_at` is inlined."""
        log = self.log
        assert log is not None
        now = self.env._now  # Environment.now without the property call
        for o in self.occ_down:
            if o.start_s <= now < o.end_s:
                log.no_control += 1
                return False
        for pool in self.pools:
            if not pool.first <= now < pool.last:
                continue  # this pool's drivers take no departures now
            if pool.split:  # a split duty: between its two parts its drivers take none
                for a, b in pool.departs:
                    if a <= now < b:
                        break
                else:
                    continue
            busy = pool.busy
            while busy and busy[0] <= now:
                heapq.heappop(busy)
            if pool.drivers > len(busy):
                heapq.heappush(busy, log.day * DAY_S + trip[1])
                break
        else:
            log.no_driver += 1
            return False
        log.operated_seg[trip[4]] += 1
        log.departures[trip[2]].append(now)
        # one entry per trip operated in the period: its count and maximum are taken at close
        log.trains_at[trip[3]].append(self.trains_running)
        return True

    def cancel_for_train(self, count: int = 1) -> None:
        assert self.log is not None
        self.log.no_train += count

    def enter_service(self, unit: str, proc: Any) -> None:
        self.in_service[unit] = proc
        self.trains_running += 1

    def leave_service(self, unit: str) -> None:
        if self.in_service.pop(unit, None) is not None:
            self.trains_running -= 1

    # --- crew -----------------------------------------------------------------------------
    def sign_on(self, runs: list[DutyRun]) -> None:
        """The crews of ``runs`` sign on now (standby drivers first, so they can cover)."""
        order = {DutyKind.SPARE: 0, DutyKind.RELIEF: 1}
        for run in sorted(runs, key=lambda r: order.get(r.kind, 2)):
            no_shows = 0
            for i in run.members:
                if self._present(i, run):
                    self._start_duty(i, run, run.start_s)
                else:
                    no_shows += 1
            for _ in range(no_shows):
                self._cover(run)
            if run.kind is DutyKind.TECHNICIAN and run.discipline is Discipline.ROLLING_STOCK:
                self._at(run.end_s, partial(self.end_duty, run))

    def _at(self, t: float, action: Callable[[], None]) -> None:
        """Call ``action`` at simulation time ``t`` (a bare timeout: cheaper than a process)."""

        def fire(_: object) -> None:
            action()

        self.env.timeout(max(0.0, t - self.env.now)).callbacks.append(fire)

    def _present(self, i: int, run: DutyRun) -> bool:
        now = self.env.now
        crew = self.crew
        if crew.excluded(i, now):
            return False
        # the pre-shift test: a positive declares the case (and traces its contacts)
        return not (self.test_before_shift and crew.test(i, now))

    def _start_duty(self, i: int, run: DutyRun, from_s: float) -> None:
        """``i`` works ``run`` from ``from_s``: book the hours, join the duty."""
        log = self.log
        assert log is not None
        day = log.day
        minutes = run.window.minutes if from_s <= run.start_s else int(run.end_s - from_s) // 60
        minutes = max(minutes, 1)
        # checked independently of the roster: zero whenever the roster enforces the limits
        log.breaches += self.rostering.limits_broken(i, day, from_s, minutes)
        log.overtime_min += self.crew.ledger.book(i, day, from_s, run.end_s, minutes)
        log.worked.add(i)
        if self.trace is not None:
            self.trace.sign_ons.append((from_s, i))
        self._join(i, run)

    def _join(self, i: int, run: DutyRun) -> None:
        self.on_duty[i] = run
        run.on.append(i)
        if run.kind is DutyKind.TRAIN:
            pool = self.pool_of(run)
            if pool is not None:
                pool.drivers += 1
        elif run.kind in (DutyKind.SPARE, DutyKind.RELIEF):
            self.standby.setdefault(run.window.id, []).append(i)
        elif run.kind is DutyKind.OCC_POST and run.post is not None:
            o = self.occ_of_run.get(run)
            if o is not None:
                o.staffed[run.post] = o.staffed.get(run.post, 0) + 1
                self._recheck(o)
        elif run.kind is DutyKind.TECHNICIAN and run.discipline is Discipline.ROLLING_STOCK:
            self._technicians(+1)

    def _leave(self, i: int, run: DutyRun) -> None:
        if self.on_duty.get(i) is run:
            del self.on_duty[i]
        if i not in run.on:
            return  # rostered or on the way, never joined: nothing to undo
        run.on.remove(i)
        if run.kind is DutyKind.TRAIN:
            pool = self.pool_of(run)
            if pool is not None:
                pool.drivers -= 1
        elif run.kind in (DutyKind.SPARE, DutyKind.RELIEF):
            lst = self.standby.get(run.window.id, [])
            if i in lst:
                lst.remove(i)
        elif run.kind is DutyKind.OCC_POST and run.post is not None:
            o = self.occ_of_run.get(run)
            if o is not None:
                o.staffed[run.post] = o.staffed.get(run.post, 0) - 1
                self._recheck(o)
        elif run.kind is DutyKind.TECHNICIAN and run.discipline is Discipline.ROLLING_STOCK:
            self._technicians(-1)

    def open_occ_shift(self, runs: list[DutyRun]) -> None:
        """A control-centre shift starts: from now it counts who actually signed on."""
        seen: set[int] = set()
        for run in runs:
            o = self.occ_of_run.get(run)
            if o is not None and id(o) not in seen:
                seen.add(id(o))
                o.staffed = {}
                self._recheck(o)

    def end_duty(self, run: DutyRun) -> None:
        """``run`` is over: its crew goes off duty (technicians once their repair is done)."""
        for i in list(run.on):
            self._leave(i, run)

    def remove_from_duty(self, i: int, t: float) -> None:
        """``i`` must stop working now (isolation or quarantine): cover the duty."""
        if self.trace is not None:
            crew = self.crew
            until = max(crew.f0_until[i], crew.f1_until[i] if crew.f1_quarantines[i] else 0.0)
            self.trace.exclusions.append((i, t, until))
        run = self.on_duty.get(i)
        if run is None:
            return
        if run.end_s <= t:
            del self.on_duty[i]
            return
        self._leave(i, run)
        if run.kind not in (DutyKind.SPARE, DutyKind.RELIEF):
            self._cover(run)

    def _cover(self, run: DutyRun) -> None:
        """Find someone for a place left empty on ``run``: standby driver, else a call-in."""
        if run.kind is DutyKind.TRAIN:
            lst = self.standby.get(run.window.id, [])
            if lst:
                j = lst[0]
                spare = self.on_duty.get(j)
                if spare is not None:
                    self._leave(j, spare)
                else:
                    lst.pop(0)
                self._join(j, run)
                return
        if run.kind in (DutyKind.SPARE, DutyKind.RELIEF):
            return
        now = self.env.now
        arrive = now + self.service.call_in_delay_s
        day = int(run.start_s // DAY_S)  # a shift belongs to the day it starts on
        found = None
        if self.service.call_in and arrive < run.end_s:
            found = self.rostering.call_in(run.role, day, run, arrive)
        if run.kind is DutyKind.OCC_POST and self.service.occ_holdover:
            self._hold_over(run, arrive if found is not None else run.end_s)
        if found is None:
            return
        j = found
        self.on_duty[j] = run  # on the way: if excluded before arriving, covered again

        def arrived() -> None:
            if self.on_duty.get(j) is not run:
                return  # excluded on the way (and the place offered again)
            if self.crew.excluded(j, self.env.now):
                del self.on_duty[j]
                return
            log = self.log
            assert log is not None
            minutes = max(1, int(run.end_s - arrive) // 60)
            log.breaches += self.rostering.limits_broken(j, day, arrive, minutes)
            log.overtime_min += self.crew.ledger.book(j, day, arrive, run.end_s, minutes)
            log.worked.add(j)
            if self.trace is not None:
                self.trace.sign_ons.append((arrive, j))
            self._join(j, run)

        self._at(arrive, arrived)

    def _hold_over(self, run: DutyRun, until: float) -> None:
        """At a control-centre shift change, the outgoing controller of an empty post stays at
        the desk until ``until`` (the call-in's arrival), within the day's hours and the
        overtime limits: a desk is never left unattended while someone can stay."""
        now = self.env.now
        crew = self.crew
        led = crew.ledger
        log = self.log
        assert log is not None
        for prev in self.occ_of_run:
            if prev is run or prev.post != run.post or prev.end_s != now:
                continue
            day = int(prev.start_s // DAY_S)
            for i in list(prev.on):
                if self.on_duty.get(i) is not prev or crew.excluded(i, now):
                    continue
                worked = led.day_min[i] if led.day_key[i] == day else 0
                minutes = min(self.rostering.max_day_min - worked, math.ceil((until - now) / 60))
                if minutes <= 0:
                    continue
                person = crew.workforce.people[i]
                ot = led.overtime_if(i, day, minutes)
                if (
                    ot > 0
                    and self.service.enforce_labour_limits
                    and (
                        not self.service.overtime
                        or not person.overtime_allowed
                        or led.month_overtime(i, day) + ot > person.ot_month_limit_min
                        or led.year_overtime(i, day) + ot > person.ot_year_limit_min
                    )
                ):
                    continue
                end = now + minutes * 60
                log.overtime_min += led.book(i, day, now, end, minutes)
                self._leave(i, prev)
                self._join(i, run)
                self._at(end, partial(self._release, i, run))
                return

    def _release(self, i: int, run: DutyRun) -> None:
        """A controller held over goes home."""
        if self.on_duty.get(i) is run:
            self._leave(i, run)

    def _technicians(self, delta: int) -> None:
        """Rolling-stock technicians on duty for repairs: join now, leave once free."""
        if delta > 0:
            self.technicians.put(delta)
        elif delta < 0:
            self.technicians.get(-delta)

    def set_inspection(self, run: DutyRun) -> None:
        """The rolling-stock night shift inspects tomorrow's trains: hours / hours per train."""
        on = sum(1 for i, r in self.on_duty.items() if r is run)
        hours = on * run.window.minutes / 60
        self.inspect_capacity = math.floor(hours / self.setup.scenario.fleet.inspection_h_per_train)
