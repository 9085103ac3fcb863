"""The service policy: which timetable to run with the drivers, trains and controllers there are.

Each morning the control centre knows how many drivers can take each kind of driver duty, how
many trains passed inspection, and which control-centre shifts are staffed. It decides as a
controller would:

* **Periods are cut at the driver shift changes** (a :class:`Segment` is the part of a
  timetable period one shift runs), so a shortage on the late shift thins the late shift's
  service only, never the early shift's.
* **Trains per segment**: the drivers of the shift running it, plus, in a peak, the drivers on
  split peak duties (both peaks, the off-peak between them as a break — how a peak is kept
  with fewer drivers while the off-peak thins); never more than the trains inspected; none
  while the segment's control-centre shift is not staffed (after London's Metropolitan line
  closure of July 2021, the control centre counts as much as the cabs).
* **Headway from the trains there are** (``ServicePolicy.headway_rule="even"``): the planned
  headway if the trains suffice, else the even headway ``n`` trains can run,
  ceil(cycle / n) rounded up to ``headway_granularity_s`` (whole minutes by default) — 5 trains
  on the 52.7-minute cycle run every 11 minutes, not every 15. ``"steps"`` keeps the old
  ladder (6 → 10 → 15 min, then even). Below ``floor_trains`` the segment is suspended.
* **Longer shifts as a lever**: besides the standard shift change, the day may be cut with one
  shift lengthened to the legal daily maximum (:attr:`crew.CrewPolicy.max_hours_per_day`, 12 h)
  and its neighbour shortened (a :class:`ShiftVariant`), so the drivers there are cover more
  of the day. The overtime it adds is booked and counted like any other.

Among the variants and the ways to split the drivers between straight and split duties, the
policy's ``priority`` ranks services: first the most service time (suspending is the last
resort: never 0 trips while any shift can run ``floor_trains``), then for ``keep_peak`` the
worst peak headway; then a standard day before a long-shift day (the lever is pulled only for
more service time or a better peak, not for a trip or two); then peak trips (``keep_peak``),
all trips; ties go to fewer split duties, then fewer drivers. The chosen headways become a
working timetable, planned by the line model (:func:`line.plan_day`) into trips and blocks;
plans are cached per pattern, variant and headways.

:meth:`ServicePlanner.binding` says which resources limited the adopted service (for the
day records' ``binding.<resource>``).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time

from crew import StaffingStandard, headway_for_trains, train_slots
from line import DayPlan, Line, Period, Timetable, plan_day
from line.model import ServicePattern
from simulation.matching import feasible, max_extra, type_capacity
from simulation.scenario import ServicePolicy

_SUSPENDED = 1 << 30  # a suspended segment ranks below any headway

Trip = tuple[int, int, int, int, int]
"""A planned trip: depart_s, arrive_s (day-relative), direction 0/1, period index, segment."""


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
class Segment:
    """The part of timetable period ``period`` that one driver shift runs."""

    index: int
    period: int
    start_s: int
    end_s: int
    planned_headway_s: int
    peak: bool


@dataclass(frozen=True, slots=True)
class ShiftVariant:
    """One way to cut the service day between the straight driver shifts.

    ``standard`` is the crew standard's shifts; ``long:<k>`` lengthens shift ``k`` to the legal
    daily maximum (shortening the next), ``long:<k+1>`` lengthens the next one back into it.
    ``cover[s]``: the shifts segment ``s`` needs drivers from; ``top[k]``: the most train
    drivers shift ``k`` can use.
    """

    id: str
    shifts: tuple[DutyWindow, ...]
    segments: tuple[Segment, ...]
    cover: tuple[tuple[int, ...], ...]
    top: tuple[int, ...]
    long: bool

    @property
    def planned_headways(self) -> tuple[int | None, ...]:
        return tuple(s.planned_headway_s for s in self.segments)


@dataclass(frozen=True, slots=True)
class OperatedPlan:
    """A working timetable as trips chained into blocks (one train each), day-relative s.

    ``headways`` are per segment of ``variant`` (``None``: suspended); ``blocks``: per block,
    its trips (:data:`Trip`).
    """

    variant: int
    headways: tuple[int | None, ...]
    blocks: tuple[tuple[Trip, ...], ...]
    trips_by_period: tuple[int, ...]
    trips_by_segment: tuple[int, ...]
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
    variants: tuple[ShiftVariant, ...] = ()  # [0]: the standard shifts

    @property
    def planned_headways(self) -> tuple[int | None, ...]:
        """Planned headway of each segment of the standard variant."""
        return self.variants[0].planned_headways

    def relief(self, drivers: int) -> int:
        return math.ceil(drivers * self.relief_ratio - 1e-9)

    def spare(self, drivers: int) -> int:
        return math.ceil(drivers * self.spare_ratio - 1e-9)


@dataclass(frozen=True, slots=True)
class ServiceChoice:
    """The shift variant, drivers per straight shift and on split peak duties, and the headway
    of each of the variant's segments (``None``: suspended)."""

    straight: tuple[int, ...]
    peak: int
    headways: tuple[int | None, ...]
    variant: int = 0


def _segments(
    periods: Sequence[PeriodSpec], shifts: Sequence[DutyWindow]
) -> tuple[tuple[Segment, ...], tuple[tuple[int, ...], ...]]:
    """Periods cut at every shift start or end inside them; the shifts covering each part."""
    cuts = sorted({t for sh in shifts for t in (sh.start_s, sh.end_s)})
    segs: list[Segment] = []
    cover: list[tuple[int, ...]] = []
    for p in periods:
        edges = [p.start_s, *(t for t in cuts if p.start_s < t < p.end_s), p.end_s]
        for a, b in zip(edges, edges[1:], strict=False):
            segs.append(Segment(len(segs), p.index, a, b, p.planned_headway_s, p.peak))
            cover.append(tuple(k for k, sh in enumerate(shifts) if sh.start_s < b and a < sh.end_s))
    return tuple(segs), tuple(cover)


def _variants(
    periods: Sequence[PeriodSpec],
    shifts: tuple[DutyWindow, ...],
    slots: tuple[int, ...],
    policy: ServicePolicy,
    max_day_s: int,
) -> tuple[ShiftVariant, ...]:
    """The standard shifts, then for each change between two contiguous shifts the day cut
    with the earlier one lengthened to ``max_day_s``, and with the later one lengthened back."""
    segs, cover = _segments(periods, shifts)
    out = [ShiftVariant("standard", shifts, segs, cover, slots, False)]
    if not policy.long_shifts:
        return tuple(out)
    top = tuple(max(slots) for _ in slots)
    for k in range(len(shifts) - 1):
        a, b = shifts[k], shifts[k + 1]
        if a.end_s != b.start_s:
            continue
        for change, which in ((a.start_s + max_day_s, k), (b.end_s - max_day_s, k + 1)):
            if not a.start_s < change < b.end_s or change == a.end_s:
                continue
            if (which == k) != (change > a.end_s):
                continue  # the "long" shift would be the shorter one
            new = list(shifts)
            new[k] = duty_window(f"{a.id}~{change // 60:04d}", ((a.start_s, change),))
            new[k + 1] = duty_window(f"{b.id}~{change // 60:04d}", ((change, b.end_s),))
            vs, vc = _segments(periods, new)
            out.append(ShiftVariant(f"long:{shifts[which].id}", tuple(new), vs, vc, top, True))
    return tuple(out)


def build_pattern(
    key: int,
    line: Line,
    periods: Sequence[Period],
    standard: StaffingStandard,
    service_date: date,
    policy: ServicePolicy | None = None,
    max_day_h: float = 12.0,
) -> DayPattern:
    """The pattern's periods, driver duties, planned train slots and shift variants."""
    pol = policy or ServicePolicy()
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
        pieces = tuple((p.start_s - pol.peak_lead_s, p.end_s + pol.peak_tail_end_s) for p in peaks)
        departs = tuple(
            (p.start_s - pol.peak_lead_s, p.end_s + pol.peak_tail_depart_s) for p in peaks
        )
        peak = duty_window("peak", pieces, departs)
    planned = _plan(
        line, [(p.name, p.start_s, p.end_s) for p in periods], [p.headway_s for p in periods]
    )
    slots = tuple(len(train_slots(planned, sh)) for sh in standard.driver_shifts)
    hours = min(pol.long_shift_h or max_day_h, max_day_h)
    variants = _variants(specs, tuple(shifts), slots, pol, round(hours * 3600))
    return DayPattern(
        key,
        specs,
        tuple(shifts),
        peak,
        slots,
        standard.relief_ratio,
        standard.spare_ratio,
        variants,
    )


def _hms(s: int) -> time:
    return time(s // 3600, s // 60 % 60, s % 60)


def _plan(
    line: Line,
    parts: Sequence[tuple[str, int, int]],
    headways: Sequence[int | None],
) -> DayPlan:
    """``line.plan_day`` for named parts of a day (name, start s, end s) at ``headways``."""
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
                    Period(
                        start=_hms(a),
                        end=_hms(b),
                        headway_s=h if h is not None else fill,
                        name=name,
                    )
                    for (name, a, b), h in zip(parts, headways, strict=True)
                ),
            ),
        ),
    )
    # any date: the what-if timetable applies every day of the week
    return plan_day(line, tt, date(2026, 1, 5))


class PlanBook:
    """Working timetables by (pattern, variant, headways), planned once each by the line model."""

    def __init__(self, line: Line, patterns: dict[int, DayPattern]):
        self._line = line
        self._patterns = patterns
        self._plans: dict[tuple[int, int, tuple[int | None, ...]], OperatedPlan] = {}
        self._staffed: dict[
            tuple[int, int, tuple[int | None, ...], tuple[tuple[str, int], ...]], OperatedPlan
        ] = {}

    def plan(
        self, pattern: int, headways: tuple[int | None, ...], variant: int = 0
    ) -> OperatedPlan:
        key = (pattern, variant, headways)
        got = self._plans.get(key)
        if got is None:
            got = self._plans[key] = self._build(pattern, variant, headways)
        return got

    def staffed(
        self,
        pattern: int,
        plan: OperatedPlan,
        pools: tuple[tuple[DutyWindow, int], ...],
    ) -> OperatedPlan:
        """``plan`` less the departures the drivers of ``pools`` cannot take (see
        :func:`staffable`), cached."""
        key = (pattern, plan.variant, plan.headways, tuple((w.id, n) for w, n in pools))
        got = self._staffed.get(key)
        if got is None:
            got = self._staffed[key] = staffable(plan, pools, len(self._patterns[pattern].periods))
        return got

    def _build(self, pattern: int, variant: int, headways: tuple[int | None, ...]) -> OperatedPlan:
        pat = self._patterns[pattern]
        segs = pat.variants[variant].segments
        parts = [(f"s{s.index}", s.start_s, s.end_s) for s in segs]
        day = _plan(self._line, parts, headways)
        blocks: dict[int, list[Trip]] = {}
        trains: set[str] = set()
        per = [0] * len(pat.periods)
        per_seg = [0] * len(segs)
        for tr in day.trips:
            k = int(tr.period[1:])
            if headways[k] is None:
                continue  # suspended: its trips are not run
            p = segs[k].period
            blocks.setdefault(tr.block, []).append(
                (tr.depart_s, tr.arrive_s, int(tr.direction) - 1, p, k)
            )
            trains.add(tr.train)
            per[p] += 1
            per_seg[k] += 1
        ordered = tuple(tuple(sorted(b)) for _, b in sorted(blocks.items()))
        return OperatedPlan(variant, headways, ordered, tuple(per), tuple(per_seg), len(trains))


def staffable(
    plan: OperatedPlan, pools: Sequence[tuple[DutyWindow, int]], n_periods: int
) -> OperatedPlan:
    """``plan`` without the departures its drivers cannot take.

    A change of headway restarts a period's departures at its start (:func:`line.plan_day`),
    so for a few minutes the trips in progress can outnumber the trains the headway needs, and
    the drivers rostered for it. A controller's working timetable does not schedule a
    departure no driver can take: this replays the day's driver pools (``pools`` in the order
    :meth:`simulation.operation.Operation.depart` tries them: (window, drivers)) over the
    plan's departures and drops the ones no driver is free for. Trips at the same time arrive
    together, so which of them a pool takes does not matter.
    """
    trips = sorted(t for block in plan.blocks for t in block)
    busy: list[list[int]] = [[] for _ in pools]
    dropped: set[Trip] = set()
    for t in trips:
        for k, (w, n) in enumerate(pools):
            if not w.takes(t[0]):
                continue
            q = busy[k]
            while q and q[0] <= t[0]:
                heapq.heappop(q)
            if len(q) < n:
                heapq.heappush(q, t[1])
                break
        else:
            dropped.add(t)
    if not dropped:
        return plan
    blocks = tuple(kept for b in plan.blocks if (kept := tuple(t for t in b if t not in dropped)))
    per = [0] * n_periods
    per_seg = [0] * len(plan.headways)
    for b in blocks:
        for t in b:
            per[t[3]] += 1
            per_seg[t[4]] += 1
    return OperatedPlan(
        plan.variant, plan.headways, blocks, tuple(per), tuple(per_seg), len(blocks)
    )


def headway_for(line: Line, trains: int, planned_s: int, policy: ServicePolicy) -> int | None:
    """The headway ``trains`` can run for a segment planned at ``planned_s`` (None: suspend):
    the crew module's rule (:func:`crew.headway_for_trains`), so the live board's forecast and
    the what-if degrade a period the same way."""
    h, _, _ = headway_for_trains(
        line,
        trains,
        planned_s,
        rule=policy.headway_rule,
        steps_s=policy.headway_steps_s,
        granularity_s=policy.headway_granularity_s,
        floor_trains=policy.floor_trains,
    )
    return h


def departures(line: Line, duration_s: int, headway_s: int) -> int:
    """Trips ``line.plan_day`` schedules in a part of the day: each direction from its start
    every ``headway_s``, the inbound half a headway later when the trains needed are odd."""
    phase = headway_s // 2 if line.trains_needed(headway_s) % 2 else 0
    return -(-duration_s // headway_s) + max(0, -(-(duration_s - phase) // headway_s))


class ServicePlanner:
    """Chooses the day's service from the drivers, trains and control-centre shifts there are."""

    def __init__(self, line: Line, pattern: DayPattern, policy: ServicePolicy) -> None:
        self.line = line
        self.pattern = pattern
        self.policy = policy
        self._headway_cache: dict[tuple[int, int], int | None] = {}
        self._trips_cache: dict[tuple[int, int], int] = {}

    def _headway(self, planned_s: int, trains: int) -> int | None:
        key = (planned_s, trains)
        if key not in self._headway_cache:
            self._headway_cache[key] = headway_for(self.line, trains, planned_s, self.policy)
        return self._headway_cache[key]

    def _trips(self, duration_s: int, headway_s: int) -> int:
        key = (duration_s, headway_s)
        got = self._trips_cache.get(key)
        if got is None:
            got = self._trips_cache[key] = departures(self.line, duration_s, headway_s)
        return got

    def down(
        self, variant: int, occ_down: Sequence[tuple[float, float] | tuple[int, int]]
    ) -> tuple[bool, ...]:
        """Segments of ``variant`` overlapping a control-centre shift that cannot be staffed
        (intervals in day-relative seconds)."""
        return tuple(
            any(a < s.end_s and s.start_s < b for a, b in occ_down)
            for s in self.pattern.variants[variant].segments
        )

    def trains(self, variant: int, straight: Sequence[int], peak: int, segment: int) -> int:
        """Drivers for trains in ``segment``: the fewest of the shifts covering it, plus the
        split peak duties in a peak."""
        v = self.pattern.variants[variant]
        cover = v.cover[segment]
        if not cover:
            return 0
        n = min(straight[k] for k in cover)
        return n + peak if v.segments[segment].peak else n

    def headways(
        self,
        straight: Sequence[int],
        peak: int,
        cap: int,
        down: Sequence[bool],
        variant: int = 0,
    ) -> tuple[int | None, ...]:
        v = self.pattern.variants[variant]
        out: list[int | None] = []
        for s, cover in zip(v.segments, v.cover, strict=True):
            if down[s.index] or not cover:
                out.append(None)
                continue
            n = min(straight[k] for k in cover)
            if s.peak:
                n += peak
            out.append(self._headway(s.planned_headway_s, min(n, cap)))
        return tuple(out)

    def _score(
        self, variant: int, hw: Sequence[int | None], peak: int, drivers: int
    ) -> tuple[int, ...]:
        """How good a service is (higher is better); see the module docstring."""
        v = self.pattern.variants[variant]
        served = 0
        peak_trips = 0
        trips = 0
        worst_peak = 0
        for s, h in zip(v.segments, hw, strict=True):
            if h is None:
                if s.peak:
                    worst_peak = _SUSPENDED
                continue
            dur = s.end_s - s.start_s
            served += dur
            n = self._trips(dur, h)
            trips += n
            if s.peak:
                peak_trips += n
                worst_peak = max(worst_peak, h)
        long = 1 if v.long else 0
        if self.policy.priority == "keep_peak":
            return (served, -worst_peak, -long, peak_trips, trips, -peak, -drivers)
        return (served, -long, trips, -peak, -drivers)

    def choose(
        self,
        masks_of: Callable[[int], Sequence[int]],
        cap: int,
        occ_down: Sequence[tuple[float, float]],
        max_drivers: int | None = None,
    ) -> ServiceChoice:
        """The best service the drivers can staff.

        ``masks_of(v)[m]`` counts the drivers eligible for exactly the duty types in bit set
        ``m`` of variant ``v`` (bit k: its straight shift k; the last bit: the split peak duty);
        it is called for the long-shift variants only when the standard shifts cannot staff the
        timetable. ``cap`` is the trains inspected; ``occ_down`` the control-centre shifts
        without their essential posts (day-relative s); ``max_drivers`` caps the train drivers
        of the day (the week's working days rationed, see :mod:`simulation.roster`).
        """
        pat = self.pattern
        k = len(pat.shifts)
        limit = max_drivers if max_drivers is not None else 1 << 30
        planned = (*pat.train_slots, 0)
        masks0 = masks_of(0)
        if sum(pat.train_slots) <= limit and feasible(type_capacity(masks0, k + 1), planned):
            hw = self.headways(pat.train_slots, 0, cap, self.down(0, occ_down))
            return ServiceChoice(pat.train_slots, 0, hw, 0)
        peak_max = 0
        if pat.peak is not None and self.policy.peak_duties:
            peak_max = min(max(pat.train_slots), max(limit, 0))
        best: tuple[tuple[int, ...], ServiceChoice] | None = None
        for v in range(len(pat.variants)):
            capacity = type_capacity(masks0 if v == 0 else masks_of(v), k + 1)
            down = self.down(v, occ_down)
            for x in range(peak_max + 1):
                for counts in self._straight_options(v, capacity, x, limit - x):
                    hw = self.headways(counts, x, cap, down, v)
                    score = self._score(v, hw, x, sum(counts) + x)
                    if best is None or score > best[0]:
                        best = (score, ServiceChoice(tuple(counts), x, hw, v))
        if best is None:
            none = tuple(0 for _ in range(k))
            return ServiceChoice(none, 0, self.headways(none, 0, cap, self.down(0, occ_down)))
        return best[1]

    def _straight_options(
        self, variant: int, capacity: Sequence[int], peak: int, room: int
    ) -> list[tuple[int, ...]]:
        """Maximal straight-shift counts (up to the shift's ``top``, at most ``room`` drivers
        in all) fillable with ``peak`` split duties: for two shifts every split of the first,
        the most the second can then take."""
        pat = self.pattern
        k = len(pat.shifts)
        top = pat.variants[variant].top
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

    def binding(
        self,
        choice: ServiceChoice,
        cap: int,
        occ_down: Sequence[tuple[float, float]],
        closed: Sequence[tuple[int, int]] = (),
    ) -> set[str]:
        """The resources that limited ``choice`` below the timetable: ``drivers_<shift id>``
        (named after the standard shift a segment's shift stands for), ``trains`` (the cap the
        service was planned with), ``control_centre`` and ``station_staff`` (``closed``: the
        line stopped for want of station staff). Empty when every segment runs its planned
        headway. Where drivers and trains are both short of a segment's need and equal, both
        bind: relieving either alone would not restore it."""
        v = self.pattern.variants[choice.variant]
        down = self.down(choice.variant, occ_down)
        shut = self.down(choice.variant, closed)
        out: set[str] = set()
        for s, h in zip(v.segments, choice.headways, strict=True):
            if h == s.planned_headway_s:
                continue
            if down[s.index] or shut[s.index]:
                if down[s.index]:
                    out.add("control_centre")
                if shut[s.index]:
                    out.add("station_staff")
                continue
            need = self.line.trains_needed(s.planned_headway_s)
            cover = v.cover[s.index]
            if not cover:
                continue
            n = self.trains(choice.variant, choice.straight, choice.peak, s.index)
            if n < need and n <= cap:
                out.update(self.drivers_of(choice, s.index))
            if cap < need and cap <= n:
                out.add("trains")
        return out

    def drivers_of(self, choice: ServiceChoice, segment: int) -> set[str]:
        """``drivers_<shift id>`` of the shift (the fewest manned, if several) running
        ``segment``, named after the standard shift it stands for."""
        cover = self.pattern.variants[choice.variant].cover[segment]
        if not cover:
            return set()
        fewest = min(choice.straight[k] for k in cover)
        return {
            f"drivers_{self.pattern.shifts[k].id}" for k in cover if choice.straight[k] == fewest
        }
