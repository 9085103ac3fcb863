"""Planned trips for a service date, chained into blocks (train slots).

How the day is built (documented because the operator's real working timetable is not
published):

* Each direction departs its origin terminal at the headway of the period the departure falls
  in; a new period starts its own sequence at the period's start.
* Inbound departures are phase-shifted by half a headway when the number of trains the headway
  needs is odd. With that phase a train's layover is equal at both terminals and the cycle is an
  exact multiple of the headway, which is how a 6-minute peak runs on 9 trains (the published
  figure) rather than 10.
* Trips are chained greedily, first-in first-out at each terminal: a trip takes the train that
  has waited longest among those whose minimum turnback is over, otherwise a train enters from
  the depot. A train that would wait longer than ``max_layover_s`` is stabled and its block
  ends. Blocks are then mapped onto physical trains (T01…) that are free at the time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from datetime import date

from line.model import Direction, Line, Period, Timetable


@dataclass(frozen=True, slots=True)
class Trip:
    """One planned passenger trip, terminal to terminal. Times are seconds after local midnight."""

    id: str
    direction: Direction
    origin: str
    destination: str
    depart_s: int
    arrive_s: int
    period: str
    headway_s: int
    block: int
    train: str


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A service date's planned trips, blocks and their trains."""

    service_date: date
    timetable_id: str
    periods: tuple[Period, ...]
    trips: tuple[Trip, ...]
    blocks: int

    def departures(self, direction: Direction) -> list[int]:
        """Sorted planned departure times from the origin terminal for one direction."""
        return sorted(t.depart_s for t in self.trips if t.direction == direction)

    def period_at(self, t_s: float) -> Period | None:
        for p in self.periods:
            if p.start_s <= t_s < p.end_s:
                return p
        return None

    def trains_in_service_at(self, t_s: float) -> int:
        """Trains between the first departure and the last arrival of their block at ``t_s``."""
        spans: dict[int, tuple[int, int]] = {}
        for tr in self.trips:
            a, b = spans.get(tr.block, (tr.depart_s, tr.arrive_s))
            spans[tr.block] = (min(a, tr.depart_s), max(b, tr.arrive_s))
        return sum(1 for a, b in spans.values() if a <= t_s < b)

    def max_trains_in_period(self, period: Period) -> int:
        """Peak number of trains in service within a period (sampled each minute)."""
        return max(
            (self.trains_in_service_at(t) for t in range(period.start_s, period.end_s, 60)),
            default=0,
        )

    def trips_of_train(self, train: str) -> list[Trip]:
        return sorted((t for t in self.trips if t.train == train), key=lambda t: t.depart_s)


def _departure_times(
    periods: tuple[Period, ...], phase: dict[str, int]
) -> list[tuple[int, Period]]:
    out: list[tuple[int, Period]] = []
    for p in periods:
        t = p.start_s + phase.get(p.name, 0)
        while t < p.end_s:
            out.append((t, p))
            t += p.headway_s
    return out


def plan_day(
    line: Line,
    timetable: Timetable,
    service_date: date,
    *,
    max_layover_s: int = 1200,
) -> DayPlan:
    """Planned trips for a date, with block (train-slot) and train assignment."""
    pattern = timetable.pattern_for(service_date.weekday())
    periods = pattern.periods
    trip_s = int(line.trip_time_s)
    inbound_phase = {
        p.name: (p.headway_s // 2 if line.trains_needed(p.headway_s) % 2 else 0) for p in periods
    }
    raw: list[tuple[int, Direction, Period]] = [
        (t, Direction.OUTBOUND, p) for t, p in _departure_times(periods, {})
    ] + [(t, Direction.INBOUND, p) for t, p in _departure_times(periods, inbound_phase)]
    raw.sort(key=lambda r: (r[0], r[1]))

    first, last = line.stations[0].id, line.stations[-1].id
    origin = {Direction.OUTBOUND: first, Direction.INBOUND: last}
    dest = {Direction.OUTBOUND: last, Direction.INBOUND: first}
    # trains waiting at each terminal: (ready_s, arrived_s, block)
    waiting: dict[str, deque[tuple[int, int, int]]] = {first: deque(), last: deque()}
    block_of: list[int] = []
    next_block = 0
    for dep, d, per in raw:
        q = waiting[origin[d]]
        # Stable a train that waited clearly longer than this period's planned layover: the
        # terminal holds more trains than the headway needs (e.g. after a peak).
        planned_layover = (line.trains_needed(per.headway_s) * per.headway_s - 2 * trip_s) // 2
        limit = min(max_layover_s, planned_layover + per.headway_s // 4)
        while q and dep - q[0][1] > limit:
            q.popleft()
        if q and q[0][0] <= dep:
            _, _, b = q.popleft()
        else:
            b = next_block
            next_block += 1
        block_of.append(b)
        waiting[dest[d]].append((dep + trip_s + line.turnback_min_s, dep + trip_s, b))

    # blocks → physical trains. A train can take a block where its last one ended (after the
    # minimum turnback), or at the other terminal after an empty run; otherwise a train that
    # has not run yet comes out (stabled overnight at either end).
    spans: dict[int, list[int]] = {}
    ends_at: dict[int, str] = {}
    starts_at: dict[int, str] = {}
    for (dep, d, _p), b in zip(raw, block_of, strict=True):
        if b not in spans:
            spans[b] = [dep, dep + trip_s]
            starts_at[b] = origin[d]
        spans[b][1] = max(spans[b][1], dep + trip_s)
        ends_at[b] = dest[d]
    train_of: dict[int, str] = {}
    unused = list(line.fleet.trains)
    parked: dict[str, tuple[int, str]] = {}  # train -> (free from, terminal)
    for b in sorted(spans, key=lambda k: spans[k][0]):
        start, end = spans[b]
        here = [
            (free_s, tr)
            for tr, (free_s, term) in parked.items()
            if term == starts_at[b] and free_s + line.turnback_min_s <= start
        ]
        empty_run = [
            (free_s, tr)
            for tr, (free_s, term) in parked.items()
            if term != starts_at[b] and free_s + trip_s + line.turnback_min_s <= start
        ]
        if here:
            tr = min(here)[1]
        elif empty_run:
            tr = min(empty_run)[1]
        elif unused:
            tr = unused.pop(0)
        else:
            raise ValueError(
                f"timetable {timetable.id} needs more than the {len(line.fleet.trains)} trains"
            )
        parked.pop(tr, None)
        train_of[b] = tr
        parked[tr] = (end, ends_at[b])

    trips: list[Trip] = []
    counters = {Direction.OUTBOUND: 0, Direction.INBOUND: 0}
    for (dep, d, p), b in zip(raw, block_of, strict=True):
        counters[d] += 1
        trips.append(
            Trip(
                id=f"{int(d)}{counters[d]:03d}",
                direction=d,
                origin=origin[d],
                destination=dest[d],
                depart_s=dep,
                arrive_s=dep + trip_s,
                period=p.name,
                headway_s=p.headway_s,
                block=b,
                train=train_of[b],
            )
        )
    return DayPlan(service_date, timetable.id, periods, tuple(trips), next_block)


@dataclass(frozen=True, slots=True)
class PeriodNeed:
    period: str
    start_s: int
    end_s: int
    headway_s: int
    trains_needed: int


def trains_needed_per_period(line: Line, timetable: Timetable, weekday: int) -> list[PeriodNeed]:
    """Trains each period needs: ceil(cycle time / headway)."""
    return [
        PeriodNeed(p.name, p.start_s, p.end_s, p.headway_s, line.trains_needed(p.headway_s))
        for p in timetable.pattern_for(weekday).periods
    ]


def nearest_departure(departures: list[int], t_s: float) -> int | None:
    """The planned departure closest to ``t_s`` in a sorted list."""
    if not departures:
        return None
    i = bisect_right(departures, t_s)
    if i == 0:
        return departures[0]
    if i == len(departures):
        return departures[-1]
    before, after = departures[i - 1], departures[i]
    return before if t_s - before <= after - t_s else after
