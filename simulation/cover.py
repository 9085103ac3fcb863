"""Crew cover in one replication: who signs on, and who fills a place left empty.

The rules of :class:`simulation.operation.Operation` about its crew, kept apart from the world
they act on (a mixin: the methods read and change the operation's state as before):

* a crew member who does not show (positive pre-shift test, isolation or quarantine since the
  roster) or who must leave mid-shift (quarantined as a contact) is covered by a spare or
  relief driver of the same shift, else by a call-in who arrives ``call_in_delay_s`` later;
* at a control-centre shift change the outgoing controller of an empty post is held over until
  the call-in arrives, within the day's hours and the overtime limits;
* rolling-stock technicians on duty are counted for repairs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import simpy

from crew import Discipline, DutyKind
from simulation.crewstate import DAY_S, CrewState
from simulation.records import DayLog
from simulation.roster import DutyRun, Rostering

if TYPE_CHECKING:
    from simulation.operation import DriverPool, OccShift, Trace
    from simulation.scenario import ServicePolicy


class CrewCover:
    """Signing on, leaving, covering and holding over: mixed into ``Operation``."""

    # the operation's state these rules read and change (set by Operation.__init__)
    env: simpy.Environment
    crew: CrewState
    rostering: Rostering
    service: ServicePolicy
    test_before_shift: bool
    technicians: simpy.Container
    log: DayLog | None
    trace: Trace | None
    standby: dict[str, list[int]]
    on_duty: dict[int, DutyRun]
    occ_of_run: dict[DutyRun, OccShift]

    pool_by_window: dict[int, DriverPool]

    def pool_of(self, run: DutyRun) -> DriverPool | None: ...  # defined by Operation

    def _recheck(self, o: OccShift) -> None: ...  # defined by Operation

    def sign_on(self, runs: list[DutyRun]) -> None:
        """The crews of ``runs`` sign on now (standby drivers first, so they can cover)."""
        order = {DutyKind.SPARE: 0, DutyKind.RELIEF: 1}
        # _present and _start_duty inlined, with what stays the same for every sign-on bound
        # once: this runs for every person rostered every simulated day
        crew = self.crew
        now = self.env._now  # Environment.now without the property call
        f0, f1, leave, stays_away = (
            crew.f0_until,
            crew.f1_until,
            crew.leave_until,
            crew.f1_quarantines,
        )
        absent = crew.absent_today
        test = crew.test if self.test_before_shift else None
        log = self.log
        assert log is not None
        day = log.day
        worked = log.worked
        limits_broken, book, join = self.rostering.limits_broken, crew.ledger.book, self._join
        for run in sorted(runs, key=lambda r: order.get(r.kind, 2)):
            no_shows = 0
            start, end = run.start_s, run.end_s
            minutes = max(run.window.minutes, 1)  # from the start: the whole duty
            for i in run.members:
                # CrewState.excluded, then the pre-shift test (a positive declares the case)
                if (
                    f0[i] > now
                    or (stays_away[i] and f1[i] > now)
                    or i in absent
                    or leave[i] > now
                    or (test is not None and test(i, now))
                ):
                    no_shows += 1
                    continue
                # checked independently of the roster: zero whenever it enforces the limits
                log.breaches += limits_broken(i, day, start, minutes)
                log.overtime_min += book(i, day, start, end, minutes)
                worked.add(i)
                if self.trace is not None:
                    self.trace.sign_ons.append((start, i))
                join(i, run)
            for _ in range(no_shows):
                self._cover(run)
            if run.kind is DutyKind.TECHNICIAN and run.discipline is Discipline.ROLLING_STOCK:
                self._at(run.end_s, partial(self.end_duty, run))

    def _at(self, t: float, action: Callable[[], None]) -> None:
        """Call ``action`` at simulation time ``t`` (a bare timeout: cheaper than a process)."""

        def fire(_: object) -> None:
            action()

        self.env.timeout(max(0.0, t - self.env.now)).callbacks.append(fire)

    def _join(self, i: int, run: DutyRun) -> None:
        self.on_duty[i] = run
        run.on.append(i)
        if run.kind is DutyKind.TRAIN:
            pool = self.pool_by_window.get(id(run.window))  # pool_of, inlined: every sign-on
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
