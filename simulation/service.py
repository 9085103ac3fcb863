"""The service policy: which timetable to run with the drivers, trains and controllers there are.

Each morning the control centre knows how many drivers can take each kind of driver duty, how
many trains passed inspection, and which control-centre shifts are staffed. The trains a
period can run are:

* off-peak: the drivers of the straight shift covering it (the fewest, if it spans two), since a
  period must run through each shift;
* peak: the same plus the drivers on split peak duties (both peaks, with the off-peak between
  them as a break) — that is how a peak is kept with fewer drivers while the off-peak thins;
* never more than the trains inspected, and none in a period whose control-centre shift is not
  staffed (after London's Metropolitan line closure of July 2021, the control centre counts as
  much as the cabs).

The headway of a period is the first of its planned headway and the degraded steps after it
(6 → 10 → 15 min) the trains can run (``line.trains_needed``: ceil(cycle / headway), as in
:func:`crew.headway_for_drivers`); below the last step the trains left run an even headway down
to ``floor_trains``; below that, the period is suspended.

Among the ways to split the drivers between straight and split duties, the policy's
``priority`` ranks them: ``keep_peak`` by peak trips first (off-peak thins before a peak does),
``uniform`` by all trips; ties go to fewer split duties, then fewer drivers. The chosen
headways become a working timetable, planned by the line model (:func:`line.plan_day`) into
trips and blocks; plans are cached per pattern and headways.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from crew import StaffingStandard, headway_for_drivers, train_slots
from line import DayPlan, Line, Period, Timetable, plan_day
from line.model import ServicePattern
from simulation.matching import feasible, max_extra, type_capacity
from simulation.scenario import ServicePolicy

# A split peak duty signs on this long before a peak and its last trip leaves this long after
# it: the trains of the peak finish their trips and run in (about one trip, 23 min).
PEAK_LEAD_S = 1800
PEAK_TAIL_DEPART_S = 1200
PEAK_TAIL_END_S = 2700
_SUSPENDED = 1 << 30  # a suspended period ranks below any headway


@dataclass(frozen=True, slots=True)
class DutyWindow:
    """A duty's time on one service day, seconds after local midnight (may pass 86 400).

    ``pieces`` are the parts worked (one for a straight shift, one per peak for a split duty);
    drivers on it take departures in ``departs``. Build it with :func:`duty_window`.
    """

    id: str
    start_s: int
    end_s: int
    pieces: tuple[tuple[int, int], ...]
    departs: tuple[tuple[int, int], ...]
    minutes: int

    def takes(self, depart_s: float) -> bool:
        return any(a <= depart_s < b for a, b in self.departs)


def duty_window(
    wid: str,
    pieces: tuple[tuple[int, int], ...],
    departs: tuple[tuple[int, int], ...] | None = None,
) -> DutyWindow:
    """A duty window from its pieces (departures taken over the whole of each by default)."""
    minutes = sum(b - a for a, b in pieces) // 60
    return DutyWindow(
        wid, pieces[0][0], pieces[-1][1], pieces, pieces if departs is None else departs, minutes
    )


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    index: int
    name: str
    start_s: int
    end_s: int
    planned_headway_s: int
    peak: bool


@dataclass(frozen=True, slots=True)
class OperatedPlan:
    """A working timetable as trips chained into blocks (one train each), day-relative s.

    ``blocks``: per block, its trips as (depart_s, arrive_s, direction 0/1, period index).
    """

    headways: tuple[int | None, ...]
    blocks: tuple[tuple[tuple[int, int, int, int], ...], ...]
    trips_by_period: tuple[int, ...]
    trains_used: int

    @property
    def trips(self) -> int:
        return sum(self.trips_by_period)


@dataclass(frozen=True, slots=True)
class DayPattern:
    """What a service pattern (e.g. weekdays of the 2026 timetable) needs, computed once."""

    key: int
    periods: tuple[PeriodSpec, ...]
    shifts: tuple[DutyWindow, ...]  # straight driver shifts (crew standard)
    peak: DutyWindow | None  # split peak duty, if the pattern has peaks
    train_slots: tuple[int, ...]  # train drivers per straight shift for the planned timetable
    relief_ratio: float
    spare_ratio: float

    @property
    def planned_headways(self) -> tuple[int | None, ...]:
        return tuple(p.planned_headway_s for p in self.periods)

    def relief(self, drivers: int) -> int:
        return math.ceil(drivers * self.relief_ratio - 1e-9)

    def spare(self, drivers: int) -> int:
        return math.ceil(drivers * self.spare_ratio - 1e-9)


@dataclass(frozen=True, slots=True)
class ServiceChoice:
    """Drivers per straight shift and on split peak duties, and the headway of each period
    (``None``: suspended)."""

    straight: tuple[int, ...]
    peak: int
    headways: tuple[int | None, ...]


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def build_pattern(
    key: int,
    line: Line,
    periods: Sequence[Period],
    standard: StaffingStandard,
    service_date: date,
) -> DayPattern:
    """The pattern's periods, driver duties and planned train slots."""
    shortest = min(p.headway_s for p in periods)
    has_peaks = any(p.headway_s > shortest for p in periods)
    specs = tuple(
        PeriodSpec(
            i, p.name, p.start_s, p.end_s, p.headway_s, has_peaks and p.headway_s == shortest
        )
        for i, p in enumerate(periods)
    )
    shifts = []
    for sh in standard.driver_shifts:
        a, b = sh.seconds()
        shifts.append(duty_window(sh.id, ((a, b),)))
    peak: DutyWindow | None = None
    peaks = [p for p in specs if p.peak]
    if peaks:
        pieces = tuple((p.start_s - PEAK_LEAD_S, p.end_s + PEAK_TAIL_END_S) for p in peaks)
        departs = tuple((p.start_s - PEAK_LEAD_S, p.end_s + PEAK_TAIL_DEPART_S) for p in peaks)
        peak = duty_window("peak", pieces, departs)
    planned = _plan(line, periods, tuple(p.headway_s for p in periods), service_date)
    slots = tuple(len(train_slots(planned, sh)) for sh in standard.driver_shifts)
    return DayPattern(
        key, specs, tuple(shifts), peak, slots, standard.relief_ratio, standard.spare_ratio
    )


def _plan(
    line: Line, periods: Sequence[Period], headways: Sequence[int | None], service_date: date
) -> DayPlan:
    steps = [h for h in headways if h is not None]
    fill = max(steps) if steps else 900
    tt = Timetable(
        id="whatif",
        name="what-if",
        name_en="what-if",
        patterns=(
            ServicePattern(
                weekdays=(0, 1, 2, 3, 4, 5, 6),
                periods=tuple(
                    p.model_copy(update={"headway_s": h if h is not None else fill})
                    for p, h in zip(periods, headways, strict=True)
                ),
            ),
        ),
    )
    return plan_day(line, tt, service_date)


class PlanBook:
    """Working timetables by (pattern, headways), planned once each by the line model."""

    def __init__(self, line: Line, periods: dict[int, tuple[Period, ...]], service_date: date):
        self._line = line
        self._periods = periods
        self._date = service_date
        self._plans: dict[tuple[int, tuple[int | None, ...]], OperatedPlan] = {}

    def plan(self, pattern: int, headways: tuple[int | None, ...]) -> OperatedPlan:
        key = (pattern, headways)
        got = self._plans.get(key)
        if got is None:
            got = self._plans[key] = self._build(pattern, headways)
        return got

    def _build(self, pattern: int, headways: tuple[int | None, ...]) -> OperatedPlan:
        periods = self._periods[pattern]
        index = {p.name: i for i, p in enumerate(periods)}
        day = _plan(self._line, periods, headways, self._date)
        blocks: dict[int, list[tuple[int, int, int, int]]] = {}
        trains: set[str] = set()
        per = [0] * len(periods)
        for tr in day.trips:
            k = index[tr.period]
            if headways[k] is None:
                continue  # suspended: its trips are not run
            blocks.setdefault(tr.block, []).append(
                (tr.depart_s, tr.arrive_s, int(tr.direction) - 1, k)
            )
            trains.add(tr.train)
            per[k] += 1
        ordered = tuple(tuple(sorted(b)) for _, b in sorted(blocks.items()))
        return OperatedPlan(headways, ordered, tuple(per), len(trains))


def headway_for(line: Line, trains: int, planned_s: int, policy: ServicePolicy) -> int | None:
    """The headway ``trains`` can run for a period planned at ``planned_s`` (None: suspend)."""
    h, n, below = headway_for_drivers(line, trains, planned_s, policy.headway_steps_s)
    if h is None or (below and n < policy.floor_trains):
        return None
    return h


class ServicePlanner:
    """Chooses the day's service from the drivers, trains and control-centre shifts there are."""

    def __init__(self, line: Line, pattern: DayPattern, policy: ServicePolicy) -> None:
        self.line = line
        self.pattern = pattern
        self.policy = policy
        ps = pattern.periods
        # which straight shifts each period overlaps (it needs drivers from each)
        self._cover = tuple(
            tuple(
                k
                for k, sh in enumerate(pattern.shifts)
                if sh.start_s < p.end_s and p.start_s < sh.end_s
            )
            for p in ps
        )
        self._headway_cache: dict[tuple[int, int], int | None] = {}

    def _headway(self, period: int, trains: int) -> int | None:
        key = (period, trains)
        if key not in self._headway_cache:
            p = self.pattern.periods[period]
            self._headway_cache[key] = headway_for(
                self.line, trains, p.planned_headway_s, self.policy
            )
        return self._headway_cache[key]

    def headways(
        self, straight: Sequence[int], peak: int, cap: int, down: Sequence[bool]
    ) -> tuple[int | None, ...]:
        out: list[int | None] = []
        for p, cover in zip(self.pattern.periods, self._cover, strict=True):
            if down[p.index] or not cover:
                out.append(None)
                continue
            n = min(straight[k] for k in cover)
            if p.peak:
                n += peak
            out.append(self._headway(p.index, min(n, cap)))
        return tuple(out)

    def _score(self, hw: Sequence[int | None], peak: int, drivers: int) -> tuple[int, ...]:
        """How good a service is (higher is better).

        Suspending a period is the last resort: first the most periods with some service.
        Then ``keep_peak``: the worst peak headway (both peaks at 10 minutes beats one at 6
        and the other at 15), the trips in peaks, then all trips — off-peak thins first;
        ``uniform``: all trips. Ties go to fewer split duties, then fewer drivers.
        """
        peak_trips = 0
        trips = 0
        served = 0
        worst_peak = 0
        for p, h in zip(self.pattern.periods, hw, strict=True):
            if h is None:
                if p.peak:
                    worst_peak = _SUSPENDED
                continue
            served += 1
            n = -(-(p.end_s - p.start_s) // h)
            trips += n
            if p.peak:
                peak_trips += n
                worst_peak = max(worst_peak, h)
        if self.policy.priority == "keep_peak":
            return (served, -worst_peak, peak_trips, trips, -peak, -drivers)
        return (served, trips, -peak, -drivers)

    def choose(
        self,
        masks: Sequence[int],
        cap: int,
        down: Sequence[bool],
        max_drivers: int | None = None,
    ) -> ServiceChoice:
        """The best service the drivers can staff.

        ``masks[m]`` counts the drivers eligible for exactly the duty types in bit set ``m``
        (bit k: straight shift k; the last bit: the split peak duty); ``cap`` is the trains
        inspected; ``down[p]`` marks periods without a staffed control centre; ``max_drivers``
        caps the train drivers of the day (the week's working days rationed, see
        :mod:`simulation.roster`).
        """
        pat = self.pattern
        k = len(pat.shifts)
        limit = max_drivers if max_drivers is not None else 1 << 30
        planned = (*pat.train_slots, 0)
        capacity = type_capacity(masks, k + 1)
        if sum(pat.train_slots) <= limit and feasible(capacity, planned):
            hw = self.headways(pat.train_slots, 0, cap, down)
            return ServiceChoice(pat.train_slots, 0, hw)
        peak_max = 0
        if pat.peak is not None and self.policy.peak_duties:
            peak_max = min(max(pat.train_slots), max(limit, 0))
        best: tuple[tuple[int, ...], ServiceChoice] | None = None
        for x in range(peak_max + 1):
            for counts in self._straight_options(capacity, x, limit - x):
                hw = self.headways(counts, x, cap, down)
                score = self._score(hw, x, sum(counts) + x)
                if best is None or score > best[0]:
                    best = (score, ServiceChoice(tuple(counts), x, hw))
        if best is None:
            none = tuple(0 for _ in range(k))
            return ServiceChoice(none, 0, self.headways(none, 0, cap, down))
        return best[1]

    def _straight_options(
        self, capacity: Sequence[int], peak: int, room: int
    ) -> list[tuple[int, ...]]:
        """Maximal straight-shift counts (up to the planned slots, at most ``room`` drivers in
        all) fillable with ``peak`` split duties: for two shifts every split of the first, the
        most the second can then take."""
        pat = self.pattern
        k = len(pat.shifts)
        top = pat.train_slots
        if room < 0 or not feasible(capacity, (*([0] * k), peak)):
            return []
        if k == 1:
            m = max_extra(capacity, (0, peak), 0)
            return [(min(top[0], m, room),)]
        if k == 2:
            out: list[tuple[int, ...]] = []
            for e in range(min(top[0], room) + 1):
                m = max_extra(capacity, (e, 0, peak), 1)
                if m < 0:
                    break
                out.append((e, min(top[1], m, room - e)))
            return out
        # more shifts: fill them evenly, then top each up in turn
        counts = [0] * k
        grew = True
        while grew:
            grew = False
            for s in range(k):
                if counts[s] < top[s] and sum(counts) < room:
                    counts[s] += 1
                    if feasible(capacity, (*counts, peak)):
                        grew = True
                    else:
                        counts[s] -= 1
        return [tuple(counts)]
