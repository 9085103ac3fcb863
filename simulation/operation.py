"""The world of one replication: the clock, the crew, the depot, and today's duties and trips.

The processes (:mod:`simulation.train`, :mod:`simulation.breakdown`, :mod:`simulation.infection`,
:mod:`simulation.shift`, :mod:`simulation.control_centre`) tell the story; this object holds
what they share and the few rules that join them:

* a departure needs the control centre staffed, and a driver signed on to a duty that takes
  departures at that time who is not driving; a driver is busy from departure to arrival and
  may then take any train leaving that terminal, as :func:`crew.train_slots` counts drivers;
* a crew member who does not show or must leave mid-shift is covered (the rules of crew cover
  are :class:`simulation.cover.CrewCover`, mixed in);
* rolling-stock technicians on duty repair failed trains, and the night shift's inspection
  capacity limits the trains ready next morning.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from crew import DutyKind
from simulation.cover import CrewCover
from simulation.crewstate import DAY_S, CrewState
from simulation.hours import Calendar
from simulation.records import DayLog, close_day
from simulation.roster import DayRoster, DutyRun, Rostering
from simulation.service import DutyWindow, PlanBook, Trip
from simulation.setup import Setup
from simulation.stations import StationStaff


class _Due(simpy.Event):
    """A departure's timeout: what SimPy's loop reads of an event (its callbacks, ok), no more.

    Built without :class:`simpy.Event`'s set-up and scheduled by :meth:`Operation.departures`
    itself, at ``now + wait`` with normal priority and the next event id, as a
    :class:`simpy.Timeout` is."""

    _ok = True
    _value = None

    def __init__(self) -> None:
        pass  # no set-up: the callbacks are given when it is scheduled


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
            heappop(busy)
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


class Operation(CrewCover):
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
        self.pool_edges: list[float] = []  # see _index_pools
        self.pools_at: list[tuple[DriverPool, ...]] = [()]
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
        self._index_pools()
        for o in occ_by_window.values():
            o.check()
        self._occ_changed()
        pat = self.setup.patterns[self.setup.day_pattern[day]]
        n = len(pat.periods)
        self.log = DayLog(
            day=day,
            pattern=pat,
            planned=self.book.plan(pat.key, pat.planned_headways),
            roster=roster,
            status_at_plan=roster.status,
            operated=[0] * n,
            trains_max=[0] * n,
            trains_at=[[] for _ in roster.plan.headways],
            trains_ready=ready,
        )

    def _index_pools(self) -> None:
        """Today's pools by time: between two consecutive edges of their departure windows the
        same pools take departures, so a departure finds them by bisection, not a scan."""
        edges = sorted({t for pool in self.pools for part in pool.departs for t in part})
        self.pool_edges = edges
        # pools_at[k]: the pools for edges[k - 1] <= t < edges[k] (none before the first edge
        # or from the last), as bisect_right(edges, t) = k
        self.pools_at = [()] + [
            tuple(p for p in self.pools if any(a <= at < b for a, b in p.departs))
            for at in edges[:-1]
        ]
        self.pools_at.append(())

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

    def departures(
        self, trips: tuple[Trip, ...], departs: Sequence[float], i: int
    ) -> tuple[simpy.Event | None, Callable[[], int]]:
        """Run a block's trips from trip ``i`` on (``departs``: their times), each when due.

        The trips due now depart at once; each later one at a timeout whose callback departs
        it: the same timeouts, at the same times and scheduled in the same order, as a train
        process yielding one per trip, without resuming the process at each (two thirds of the
        model's events are departures). Returns the event the process waits on (None: every
        trip departed now), triggered in place — not scheduled — at the block's last
        departure, so that the process goes on at that same event as it would have; and
        ``stop``, for a breakdown (which interrupts the process as before): the timeout still
        pending becomes a no-op, as it is for an interrupted process, and ``stop`` returns the
        trips departed so far.

        A departure needs the control centre staffed and a driver free in a pool that takes
        departures now; it is counted operated or cancelled (and why). This runs at every
        departure of every replication: the control-centre check scans only the shifts that
        are down, the pools open now are found by bisection (:meth:`_index_pools`)."""
        env = self.env
        queue, eid = env._queue, env._eid
        n = len(departs)
        stopped = False
        callbacks: list[Callable[[simpy.Event], None]] = []  # shared: SimPy's loop only reads it
        done = env.event()

        def go(event: simpy.Event | None) -> None:
            """Trip ``i`` is due: depart it and the next ones while due, then wait for the
            next (``event``, the timeout just processed, is scheduled again for it) or end."""
            nonlocal i
            if stopped:
                return
            now = env._now  # Environment.now without the property call
            log = self.log
            assert log is not None
            while True:
                trip = trips[i]
                i += 1
                if self.occ_down and any(o.start_s <= now < o.end_s for o in self.occ_down):
                    log.no_control += 1
                else:
                    for pool in self.pools_at[bisect_right(self.pool_edges, now)]:
                        # drivers busy until their trip's arrival (a heap); the arrivals
                        # already past are dropped only when the pool looks full (fewer
                        # entries: the same answer)
                        busy = pool.busy
                        if pool.drivers <= len(busy):
                            while busy and busy[0] <= now:
                                heappop(busy)
                            if pool.drivers <= len(busy):
                                continue
                        heappush(busy, pool.base + trip[1])
                        log.departures[trip[2]].append(now)
                        # one entry per trip operated in the segment: the counts per segment
                        # and per period, and the period's median and maximum, taken at close
                        log.trains_at[trip[4]].append(self.trains_running)
                        break
                    else:
                        log.no_driver += 1
                if i >= n:
                    break
                wait = departs[i] - now
                if wait > 0:  # a timeout, as Environment.schedule would make it
                    due = _Due() if event is None else event  # processed: free to reuse
                    due.callbacks = callbacks
                    heappush(queue, (now + wait, NORMAL, next(eid), due))
                    return
            # the block's last departure: resume the process now, as processing ``done`` would
            done._ok = True
            done._value = i
            waiting, done.callbacks = done.callbacks, None  # type: ignore[assignment]
            for callback in waiting:
                callback(done)

        def stop() -> int:
            nonlocal stopped
            stopped = True
            return i

        callbacks.append(go)
        wait = departs[i] - env._now
        if wait > 0:  # the first trip's timeout
            due = _Due()
            due.callbacks = callbacks
            heappush(queue, (env._now + wait, NORMAL, next(eid), due))
            return done, stop
        go(None)  # due now, and maybe the whole block
        return (None if i >= n else done), stop

    def cancel_for_train(self, count: int = 1) -> None:
        assert self.log is not None
        self.log.no_train += count

    def enter_service(self, unit: str, proc: Any) -> None:
        self.in_service[unit] = proc
        self.trains_running += 1

    def leave_service(self, unit: str) -> None:
        if self.in_service.pop(unit, None) is not None:
            self.trains_running -= 1

    def set_inspection(self, run: DutyRun) -> None:
        """The rolling-stock night shift inspects tomorrow's trains: hours / hours per train."""
        on = sum(1 for i, r in self.on_duty.items() if r is run)
        hours = on * run.window.minutes / 60
        self.inspect_capacity = math.floor(hours / self.setup.scenario.fleet.inspection_h_per_train)
