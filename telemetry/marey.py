"""The time-distance (Marey) graph: planned paths from the timetable, actual paths from the field.

Actual paths are kept by :class:`PathRecorder`, a history sink that sees every train position
the ingest accepts and keeps only the vertices that shape the graph: where a train enters or
leaves a platform and where it stops or starts moving. Between two vertices the train ran at
a roughly steady speed, so a straight line is what the graph would draw anyway; a service day
is then a few thousand vertices instead of ~800,000 raw samples, and building the graph is a
matter of milliseconds (``bench/marey.py``). Departures from each platform per direction fall
out of the same pass and feed the regularity figures (:mod:`telemetry.regularity`).

A path is one train's run on one track in passenger service; it ends when the train changes
track (the turnback at a terminal), leaves service (to the depot), or goes silent for
``gap_s``. After a restart the recorder takes the service day up from the history store
(:meth:`PathRecorder.run`), so the graph does not begin at the restart.

Times are seconds after local (Hanoi) midnight of the service day, positions chainage in m.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Self

import structlog

from line import DayPlan, Direction, Line
from line.clock import Clock
from telemetry.regularity import HeadwayEvent, HourRegularity, headway_events, hourly, whole_day
from telemetry.sinks.base import HistoryReader, HistoryUnavailable, Point, SinkStats
from telemetry.state import IN_SERVICE_MODES, local_service_time

log = structlog.get_logger(__name__)

_STILL_KMH = 0.5  # below this a train is standing (the ICD's speed has 0.1 km/h resolution)
_DAYS_KEPT = 2  # today and yesterday (a service day seen across local midnight)
_PENDING_MAX = 200_000  # live points held while the history backfill runs


@dataclass(slots=True)
class _Run:
    """One train's path on one track: vertices, and the newest sample (the live head)."""

    id: str
    train: str
    track: int
    pts: list[tuple[float, float]]
    last_t: float
    last_pos: float
    zone: int | None  # index of the station whose platform the train is at, if any
    moving: bool
    still_t: float | None  # last time it stood at the current platform
    closed: bool = False


@dataclass(slots=True)
class DayPaths:
    """A service day's actual paths and observed departures."""

    service_date: date
    runs: list[_Run] = field(default_factory=list)
    open: dict[str, _Run] = field(default_factory=dict)
    departures: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    counter: int = 0


class PathRecorder:
    """A :class:`~telemetry.sinks.base.Sink` that keeps each service day's actual train paths.

    ``reader`` (the embedded history store) and ``clock`` are used once, to take up the day
    so far after a restart; ``gap_s`` is the silence that ends a path.
    """

    name = "marey"

    def __init__(
        self,
        line: Line,
        *,
        reader: HistoryReader | None = None,
        clock: Clock | None = None,
        gap_s: float = 120.0,
        backfill_window_s: float = 3600.0,
        first_wait_s: float = 10.0,
    ) -> None:
        self.line = line
        self.gap_s = gap_s
        self._reader = reader
        self._clock = clock
        self._first_wait_s = first_wait_s
        self._window_ms = int(backfill_window_s * 1000)
        self._chainages = [s.chainage_m for s in line.stations]
        self._ids = [s.id for s in line.stations]
        self._half = line.platform_half_m
        self._days: dict[date, DayPaths] = {}
        self._seen = 0
        # live points wait here until the day so far has been read from history
        self._pending: list[Point] | None = [] if reader is not None else None
        self._first = asyncio.Event() if reader is not None else None
        self.backfilled = reader is None
        self.backfilled_points = 0

    # --- the Sink protocol ----------------------------------------------------------------
    def write(self, points: Sequence[Point]) -> None:
        if self._pending is not None:
            if len(self._pending) < _PENDING_MAX:
                self._pending.extend(p for p in points if p.measurement == "train")
            if self._first is not None and self._pending:
                self._first.set()
            return
        for p in points:
            if p.measurement == "train":
                self._point(p)

    async def run(self) -> None:
        """Take up the service day so far from history, then keep up with the live points."""
        if self._first is not None and self._reader is not None:
            # the day is the field's (its first position: an emulator may run another day);
            # a quiet line (night, an outage) takes up the clock's day instead
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if self._clock is None else self._first_wait_s):
                    await self._first.wait()
            assert self._pending is not None
            first_ms = (
                min(p.ts_ms for p in self._pending)
                if self._pending or self._clock is None
                else self._clock()
            )
            try:
                await self._backfill(self._reader, first_ms)
            except HistoryUnavailable as exc:  # the graph starts now; history says why
                log.warning("marey: history not readable, paths start now", error=str(exc))
            except Exception:  # a bug here must not stop the live side: the graph starts now
                log.exception("marey: taking the day up from history failed")
            pending, self._pending = self._pending, None
            for p in pending:
                self._point(p)
            self.backfilled = True
        await asyncio.Event().wait()  # nothing more to do until cancelled

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def stats(self) -> SinkStats:
        return SinkStats(written=self._seen)

    # --- taking up the day after a restart ---------------------------------------------------
    async def _backfill(self, reader: HistoryReader, until_ms: int) -> None:
        """Every train's positions from the local midnight before ``until_ms`` up to it."""
        _, t = local_service_time(until_ms)
        since_ms = until_ms - int(t * 1000)
        fields = ("pos_m", "track", "mode", "speed_kmh")
        n = 0
        for train in self.line.fleet.trains:
            a = since_ms
            while a < until_ms:
                b = min(a + self._window_ms, until_ms)
                rows = await _read_all(reader, train, a, b - 1, fields)
                for r in rows:
                    self._observe(
                        train,
                        int(r["ts_ms"]),  # type: ignore[call-overload]
                        float(r.get("pos_m", 0.0)),  # type: ignore[arg-type]
                        int(r.get("track", 0)),  # type: ignore[call-overload]
                        str(r.get("mode", "")),
                        float(r.get("speed_kmh", 0.0)),  # type: ignore[arg-type]
                    )
                n += len(rows)
                a = b
        self.backfilled_points = n
        log.info("marey: day taken up from history", points=n)

    # --- the hot path -------------------------------------------------------------------------
    def _point(self, p: Point) -> None:
        f = p.fields
        self._observe(
            p.entity,
            p.ts_ms,
            float(f["pos_m"]),
            int(f["track"]),
            str(f["mode"]),
            float(f["speed_kmh"]),
        )

    def _zone(self, pos: float) -> int | None:
        ch = self._chainages
        i = bisect.bisect_left(ch, pos)
        for j in (i - 1, i):
            if 0 <= j < len(ch) and abs(ch[j] - pos) <= self._half:
                return j
        return None

    def observe(
        self, train: str, ts_ms: int, pos_m: float, track: int, mode: str, speed_kmh: float
    ) -> None:
        """One position report (tests and benchmarks feed it directly)."""
        self._observe(train, ts_ms, pos_m, track, mode, speed_kmh)

    def _observe(
        self, train: str, ts_ms: int, pos_m: float, track: int, mode: str, speed_kmh: float
    ) -> None:
        self._seen += 1
        d, t = local_service_time(ts_ms)
        day = self._days.get(d)
        if day is None:
            day = self._days[d] = DayPaths(d)
            for old in sorted(self._days)[:-_DAYS_KEPT]:
                del self._days[old]
            for other in self._days.values():  # a path does not run across midnight
                if other is not day:
                    for r in list(other.open.values()):
                        _close(other, r)
        run = day.open.get(train)
        in_service = mode in IN_SERVICE_MODES and track in (1, 2)
        if run is not None and (
            not in_service or run.track != track or t < run.last_t or t - run.last_t > self.gap_s
        ):
            _close(day, run)
            run = None
        if not in_service:
            return
        zone = self._zone(pos_m)
        moving = speed_kmh > _STILL_KMH
        if run is None:
            day.counter += 1
            run = _Run(
                f"{train}-{day.counter}",
                train,
                track,
                [(t, pos_m)],
                t,
                pos_m,
                zone,
                moving,
                None if moving or zone is None else t,
            )
            day.open[train] = run
            day.runs.append(run)
            return
        if zone != run.zone or moving != run.moving:
            prev = (run.last_t, run.last_pos)
            if not run.moving and run.pts[-1] != prev:
                run.pts.append(prev)  # the end of a stand: the moment it moved off
            run.pts.append((t, pos_m))
            if run.zone is not None and zone != run.zone:
                # left a platform: it departed when it last stood there. Passing through
                # without a stop (an empty run) is no departure anyone could board.
                if run.still_t is not None:
                    key = (self._ids[run.zone], track)
                    day.departures.setdefault(key, []).append(run.still_t)
                run.still_t = None
        if zone is not None and not moving:
            run.still_t = t
        run.zone, run.moving, run.last_t, run.last_pos = zone, moving, t, pos_m

    # --- reading --------------------------------------------------------------------------
    def day(self, service_date: date) -> DayPaths | None:
        return self._days.get(service_date)


def _close(day: DayPaths, run: _Run) -> None:
    if run.pts[-1] != (run.last_t, run.last_pos):
        run.pts.append((run.last_t, run.last_pos))
    run.closed = True
    day.open.pop(run.train, None)


async def _read_all(
    reader: HistoryReader, train: str, a: int, b: int, fields: Sequence[str]
) -> list[dict[str, object]]:
    """Rows of ``[a, b]`` whatever their number: a window the reader's limit cuts is split."""
    limit = 10_000
    rows = await reader.recent("train", train, a, b, fields, limit)
    if len(rows) < limit or b - a < 2:
        return rows
    mid = (a + b) // 2
    return await _read_all(reader, train, a, mid, fields) + await _read_all(
        reader, train, mid + 1, b, fields
    )


# --- the graph -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Path:
    id: str
    train: str
    direction: int
    points: list[tuple[float, float]]  # (t_s, pos_m)
    live: bool = False  # still being drawn (the train is on it now)


@dataclass(frozen=True, slots=True)
class MareyDay:
    """What the page draws for one service day."""

    service_date: date
    timetable: str
    now_s: float
    planned: list[Path]
    actual: list[Path]
    events: list[HeadwayEvent]  # observed headways flagged bunching or gap
    hours: dict[int, list[HourRegularity]]  # direction (0 both) → per hour
    day: dict[int, HourRegularity | None]  # direction (0 both) → the day so far


class PlannedPaths:
    """The timetable's paths and scheduled departures per station for a day plan (cached)."""

    def __init__(self, line: Line) -> None:
        self.line = line
        self._offsets = {
            d: [(line.station(sid).chainage_m, sid, arr, dep) for sid, arr, dep in rows]
            for d, rows in ((d, line.arrival_offsets_s(d)) for d in Direction)
        }
        self._cache: dict[tuple[date, str], tuple[list[Path], dict[tuple[str, int], list[float]]]]
        self._cache = {}

    def of(self, plan: DayPlan) -> tuple[list[Path], dict[tuple[str, int], list[float]]]:
        key = (plan.service_date, plan.timetable_id)
        got = self._cache.get(key)
        if got is None:
            if len(self._cache) > 4:
                self._cache.clear()
            got = self._cache[key] = self._build(plan)
        return got

    def _build(self, plan: DayPlan) -> tuple[list[Path], dict[tuple[str, int], list[float]]]:
        paths: list[Path] = []
        sched: dict[tuple[str, int], list[float]] = {}
        for trip in plan.trips:
            rows = self._offsets[trip.direction]
            pts: list[tuple[float, float]] = []
            for k, (ch, sid, arr, dep) in enumerate(rows):
                pts.append((trip.depart_s + arr, ch))
                if dep != arr:
                    pts.append((trip.depart_s + dep, ch))
                if k < len(rows) - 1:
                    sched.setdefault((sid, int(trip.direction)), []).append(trip.depart_s + dep)
            paths.append(Path(trip.id, trip.train, int(trip.direction), pts))
        for v in sched.values():
            v.sort()
        return paths, sched


def build_day(
    planned: PlannedPaths,
    plan: DayPlan,
    paths: DayPaths | None,
    now_s: float,
    *,
    bunch_factor: float = 0.5,
    gap_factor: float = 1.5,
    directions: Sequence[int] = (1, 2),
    with_planned: bool = True,
) -> MareyDay:
    """The graph's data for ``plan``'s day as of ``now_s``, for the given directions."""
    planned_paths, sched = planned.of(plan)
    periods = [(p.start_s, p.end_s, p.headway_s) for p in plan.periods]
    actual: list[Path] = []
    deps: dict[tuple[str, int], list[float]] = {}
    if paths is not None:
        for r in paths.runs:
            if r.track not in directions:
                continue
            pts = r.pts
            if not r.closed and pts[-1] != (r.last_t, r.last_pos):
                pts = [*pts, (r.last_t, r.last_pos)]  # the live head
            actual.append(Path(r.id, r.train, r.track, list(pts), live=not r.closed))
        # departures the timetable has: a train leaving its destination terminal for the
        # depot (standing there first, still in RM) is no passenger departure
        deps = {
            k: sorted(v) for k, v in paths.departures.items() if k[1] in directions and k in sched
        }
    factors: dict[str, float] = {"bunch_factor": bunch_factor, "gap_factor": gap_factor}
    events = [
        e for e in headway_events(deps, periods, scheduled=sched, **factors) if e.kind != "ok"
    ]
    events.sort(key=lambda e: e.t_s)
    keys = [0, *directions]
    return MareyDay(
        service_date=plan.service_date,
        timetable=plan.timetable_id,
        now_s=now_s,
        planned=[p for p in planned_paths if p.direction in directions] if with_planned else [],
        actual=actual,
        events=events,
        hours={d: hourly(deps, sched, periods, direction=d, **factors) for d in keys},
        day={d: whole_day(deps, sched, periods, direction=d, **factors) for d in keys},
    )
