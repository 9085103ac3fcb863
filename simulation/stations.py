"""Station staff: who can open each station, and what the line does when one cannot open.

Station staff are simulated here, inside the what-if, not as a crew role (the crew module's
``Role`` is stored in the crew database and drives its API, reports and screens; a role the
live system does not roster yet would be a migration and a UI change for no live use). Each of
the line's stations has ``per_station`` staff; each station shift (the crew standard's driver
shift times: stations open with the service) needs ``min_per_shift`` of them. Every day at
03:00, with the control centre's plan:

* a person works at most one shift a day and rests one fixed weekday a week (Art. 111: at
  most 6 working days), so about 1/7 of each station rests each day;
* the community infects station staff like anyone else (the scenario's incidence, the staff
  relative risk; they live at home). A case is found by the pre-shift rapid test from the day
  it turns test-positive (``latent_days``; each test misses with ``rapid_test_miss_share``), or
  when symptoms start, and isolates for the crew policy's F0 days. Under F1 quarantine the
  case's shift team at the station is quarantined for the F1 days (the station team is the
  contact group that matters; transmission inside a station is not modelled);
* known absences (``StationStaffing.absences``) are leave;
* a station opens its shifts in order (early first) while it has ``min_per_shift`` people for
  each; with ``redeploy`` the staff left over at stations with a surplus move to the stations
  short, smallest gap first, so the most station-shifts open;
* a station-shift still short is closed: trains pass without stopping (``close_station``, the
  default), or the line does not run during that shift (``close_line``).

Randomness comes from its own stream, so adding station staff leaves the crew's draws alone.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from crew import CrewPolicy, F1Mode
from simulation.scenario import Health, Incidence, StationStaffing

_NEVER = 1 << 30  # a day after any run


@dataclass(frozen=True, slots=True)
class StationDay:
    """One day's station staffing.

    ``open_shifts[s]``: shifts station ``s`` opened; ``closed`` lists (station id, shift index)
    closed. Counts of people: ``f0``, ``f1``, ``leave``, ``resting``, ``available`` (could
    work), ``assigned`` (the minimum crews of the open shifts).
    """

    open_shifts: tuple[int, ...]
    closed: tuple[tuple[str, int], ...]
    headcount: int
    required: int
    available: int
    assigned: int
    f0: int
    f1: int
    leave: int

    @property
    def stations_closed(self) -> int:
        return len({s for s, _ in self.closed})


class StationStaff:
    """The station staff of one replication (see the module docstring)."""

    def __init__(
        self,
        stations: tuple[str, ...],
        shifts: int,
        params: StationStaffing,
        health: Health,
        incidence: Incidence,
        policy: CrewPolicy,
        rng: random.Random,
    ) -> None:
        self.stations = stations
        self.shifts = shifts
        self.params = params
        self.health = health
        self.incidence = incidence
        self.rng = rng
        n = params.per_station
        self.station_of = [s for s in range(len(stations)) for _ in range(n)]
        self.team_of = [j % shifts for _ in stations for j in range(n)]
        # a fixed weekly rest day each, spread over the week and over the stations
        self.rest_day = [(j + s) % 7 for s in range(len(stations)) for j in range(n)]
        size = len(self.station_of)
        self.infected = [False] * size
        # isolation and quarantine as whole days [from, until)
        self.f0 = [(0, 0)] * size
        self.f1 = [(0, 0)] * size
        self.f0_days = round(policy.f0_isolation_days)
        self.f1_days = round(policy.f1_quarantine_days)
        self.quarantine = policy.f1_mode is F1Mode.QUARANTINE
        self.tested = policy.test_before_shift
        self.absent: list[tuple[int, int, int, int]] = []  # station, count, from, to
        self._out_until = 0  # no one isolated or quarantined from this day on
        self._quiet: dict[int, StationDay] = {}  # by weekday, while no one is out
        # people given an isolation or quarantine span that may not be over yet (_plan looks
        # at them only), and per weekday the staff of each station not resting that day
        self._marked: set[int] = set()
        resting = Counter(zip(self.rest_day, self.station_of, strict=True))
        self._working = [[n - resting[wd, s] for s in range(len(stations))] for wd in range(7)]
        index = {sid: k for k, sid in enumerate(stations)}
        for a in params.absences:
            self.absent.append(
                (index[a.station], a.count, a.from_day, _NEVER if a.to_day is None else a.to_day)
            )

    def _catch(self, day: int) -> None:
        """Community infections of the day, and when each case is found."""
        p = self.incidence.daily_infection_probability(day, self.health.staff_relative_risk)
        if p <= 0:
            return
        h = self.health
        rng = self.rng
        for i in range(len(self.infected)):
            if self.infected[i] or rng.random() >= p:
                continue
            self.infected[i] = True
            found = _NEVER
            if rng.random() < h.symptomatic_share:
                found = day + h.symptom_onset_days
            if self.tested:  # a test before each shift from the day it can turn positive
                t = day + h.latent_days
                end = min(found, t + h.infectious_days)
                while t < end and rng.random() < h.rapid_test_miss_share:
                    t += 1
                if t < end:
                    found = t
            if found >= _NEVER:
                continue  # never found: works through it
            self.f0[i] = (found, found + self.f0_days)
            self._marked.add(i)
            self._out_until = max(self._out_until, found + max(self.f0_days, self.f1_days))
            if not self.quarantine:
                continue
            s, team = self.station_of[i], self.team_of[i]
            for k in range(len(self.infected)):
                if k != i and self.station_of[k] == s and self.team_of[k] == team:
                    a, b = self.f1[k]
                    if found + self.f1_days > b:
                        self.f1[k] = (min(a, found) if b >= found else found, found + self.f1_days)
                        self._marked.add(k)

    def plan_day(self, day: int, weekday: int) -> StationDay:
        """Today's infections, then who can open which station-shifts."""
        self._catch(day)
        # nobody out and no absence: the day depends on the weekday's rests alone (cached;
        # this runs every simulated day)
        quiet = day >= self._out_until and not any(a <= day <= b for _, _, a, b in self.absent)
        if quiet and weekday in self._quiet:
            return self._quiet[weekday]
        got = self._plan(day, weekday)
        if quiet:
            self._quiet[weekday] = got
        return got

    def _plan(self, day: int, weekday: int) -> StationDay:
        n_st = len(self.stations)
        avail = [0] * n_st
        f0 = f1 = leave = 0
        on_leave = [0] * n_st
        for s, count, a, b in self.absent:
            if a <= day <= b:
                on_leave[s] += count
        # the columns as locals: this runs for every station's staff on every unquiet day
        f0_span, f1_span, rest_day, quarantine = self.f0, self.f1, self.rest_day, self.quarantine
        if not any(on_leave):
            # no one on leave (the usual day): the staff not resting today, less those isolated
            # or quarantined, who are among the people given a span (the loop below, short)
            avail = self._working[weekday][:]
            station_of = self.station_of
            for i in sorted(self._marked):
                a, b = f0_span[i]
                c, d = f1_span[i]
                if b <= day and d <= day:
                    self._marked.discard(i)  # over (a new span marks them again)
                    continue
                if a <= day < b:
                    f0 += 1
                elif quarantine and c <= day < d:
                    f1 += 1
                else:
                    continue
                if rest_day[i] != weekday:
                    avail[station_of[i]] -= 1
            return self._opened(avail, f0, f1, leave)
        for i, s in enumerate(self.station_of):
            a, b = f0_span[i]
            if a <= day < b:
                f0 += 1
                continue
            if quarantine:
                a, b = f1_span[i]
                if a <= day < b:
                    f1 += 1
                    continue
            if on_leave[s] > 0:
                on_leave[s] -= 1
                leave += 1
            elif rest_day[i] != weekday:
                avail[s] += 1
        return self._opened(avail, f0, f1, leave)

    def _opened(self, avail: list[int], f0: int, f1: int, leave: int) -> StationDay:
        """The station-shifts ``avail`` staff per station can open (redeployed if allowed)."""
        par = self.params
        n_st = len(self.stations)
        m = par.min_per_shift
        shifts = self.shifts
        opened = [min(shifts, a // m) for a in avail]
        if par.redeploy:
            # leftovers of fully open stations move to the gaps, smallest gap first; a short
            # station's own leftover counts towards its next shift
            pool = sum(avail[s] - shifts * m for s in range(n_st) if opened[s] == shifts)
            gaps = []
            for s in range(n_st):
                for k in range(opened[s], shifts):
                    own = avail[s] - opened[s] * m if k == opened[s] else 0
                    gaps.append((m - own, s))
            for need, s in sorted(gaps):
                if need > pool:
                    break
                pool -= need
                opened[s] += 1
        closed = tuple((self.stations[s], k) for s in range(n_st) for k in range(opened[s], shifts))
        return StationDay(
            open_shifts=tuple(opened),
            closed=closed,
            headcount=len(self.station_of),
            required=n_st * shifts * m,
            available=sum(avail),
            assigned=sum(opened) * m,
            f0=f0,
            f1=f1,
            leave=leave,
        )
