"""What the realtime feed is built from: a frozen snapshot of the live line, and trip matching.

The live state (:class:`telemetry.state.LineState`) and the alarm book change under the event
loop; the feed builders take this snapshot instead, so they are pure functions that tests feed
directly. Field time (the messages' ``ts``) drives the timetable, as on the board; wall time
stamps the feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from feeds.ids import gtfs_trip_id, service_id_for
from line import DayPlan, Direction, Line, LocationKind, Timetable, Trip, nearest_departure
from line.clock import HANOI
from telemetry.alarms import AlarmBook
from telemetry.state import LineState, local_service_time


@dataclass(frozen=True, slots=True)
class VehicleSnapshot:
    """A train in passenger service, as last reported (ICD units)."""

    train: str
    ts_ms: int
    pos_m: float
    track: int
    speed_kmh: float
    load_pct: float
    station: str | None  # at this station's platform
    prev_station: str | None  # between stations: behind, in the direction of travel
    next_station: str | None  # ... and ahead

    @property
    def direction(self) -> Direction:
        return Direction(self.track)

    @property
    def between_stations(self) -> bool:
        return self.station is None and self.prev_station is not None

    @property
    def stopped(self) -> bool:
        return self.speed_kmh < 1.0


@dataclass(frozen=True, slots=True)
class AlarmSnapshot:
    """An open alarm whose condition is present (``telemetry.alarms.Alarm``, frozen)."""

    id: int
    key: str
    source: str
    priority: int  # 1 critical … 4 low
    raised_ms: int
    message: str
    message_en: str
    device: str | None = None  # the alarm's subject (telemetry.alarms.AlarmSubject)
    kind: str = ""


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    now_ms: int  # wall clock: the feed's timestamp
    field_ms: int  # newest field time: which service day and where in it
    vehicles: tuple[VehicleSnapshot, ...]
    alarms: tuple[AlarmSnapshot, ...]


def live_snapshot(state: LineState, alarms: AlarmBook, now_ms: int) -> LiveSnapshot:
    """Trains in passenger service (fresh telemetry, on the line) and present, unshelved alarms."""
    vehicles = []
    for tv in state.trains.values():
        if not tv.in_service or tv.pos_m is None or tv.track not in (1, 2) or tv.ts_ms is None:
            continue
        if state.line.locate(tv.pos_m).kind is LocationKind.DEPOT:
            continue
        vehicles.append(
            VehicleSnapshot(
                tv.train,
                tv.ts_ms,
                tv.pos_m,
                tv.track,
                tv.speed_kmh,
                tv.load_pct,
                tv.station,
                tv.prev_station,
                tv.next_station,
            )
        )
    present = tuple(
        AlarmSnapshot(
            a.id,
            a.key,
            a.source,
            int(a.priority),
            a.raised_ms,
            a.message,
            a.message_en,
            device=a.subject.device if a.subject else None,
            kind=a.subject.kind if a.subject else a.key,
        )
        for a in alarms.active()
        if a.active
    )
    field = state.field_ts_ms if state.field_ts_ms is not None else now_ms
    return LiveSnapshot(now_ms, field, tuple(vehicles), present)


@dataclass(frozen=True, slots=True)
class TripMatch:
    """The planned trip a vehicle is running, and how late it is (s, negative: early)."""

    trip: Trip
    trip_id: str
    delay_s: int


def _delay(line: Line, v: VehicleSnapshot, t_s: float, depart_s: int) -> float:
    d = v.direction
    since = t_s - depart_s
    if v.station is None:
        return since - line.elapsed_at(v.pos_m, d)
    rows = {sid: (arr, dep) for sid, arr, dep in line.arrival_offsets_s(d)}
    arr, dep = rows[v.station]
    if arr == 0.0:  # at the origin terminal: waiting to leave is not early
        return max(0.0, since)
    if since < arr:
        return since - arr
    return max(0.0, since - dep)  # on time anywhere between arrival and departure


def match_trips(
    line: Line,
    timetable: Timetable,
    plan: DayPlan,
    vehicles: Iterable[VehicleSnapshot],
    cancelled: set[str],
) -> dict[str, TripMatch]:
    """Train id → the trip it runs: the running (not cancelled) trip of its direction whose
    planned position now is nearest its position, as the board's schedule deviation does.

    Two trains claiming one trip (bunching): the one nearer the plan keeps it, the other is
    reported without a trip. Trains reporting from another service day are not matched.
    """
    sid = service_id_for(timetable, plan.service_date)
    running: dict[Direction, list[Trip]] = {}
    for d in Direction:
        running[d] = sorted(
            (t for t in plan.trips if t.direction is d and gtfs_trip_id(sid, t) not in cancelled),
            key=lambda t: t.depart_s,
        )
    by_departure = {d: {t.depart_s: t for t in trips} for d, trips in running.items()}
    best: dict[str, tuple[float, str, TripMatch]] = {}  # trip id → (|delay|, train, match)
    for v in vehicles:
        day, t_s = local_service_time(v.ts_ms)
        if day != plan.service_date:
            continue
        d = v.direction
        deps = [t.depart_s for t in running[d]]
        dep = nearest_departure(deps, t_s - line.elapsed_at(v.pos_m, d))
        if dep is None:
            continue
        trip = by_departure[d][dep]
        delay = _delay(line, v, t_s, dep)
        tid = gtfs_trip_id(sid, trip)
        m = TripMatch(trip, tid, round(delay))
        held = best.get(tid)
        if held is None or abs(delay) < held[0]:
            best[tid] = (abs(delay), v.train, m)
    return {train: m for _, train, m in best.values()}


def posix_s(service_date: date, local_s: int) -> int:
    """Seconds after local midnight of ``service_date`` → POSIX seconds."""
    return int(datetime.combine(service_date, time(), HANOI).timestamp()) + int(local_s)


def stop_sequences(line: Line) -> Mapping[Direction, dict[str, int]]:
    """Station → its 1-based ``stop_sequence`` in each direction's trips (as in the feed)."""
    return {
        d: {sid: i for i, (sid, _a, _b) in enumerate(line.arrival_offsets_s(d), start=1)}
        for d in Direction
    }
