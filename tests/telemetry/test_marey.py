"""The Marey graph's data: actual paths from the field emulator's trains, planned paths, and the
history backfill after a restart (a real SQLite history store)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from line import DayPlan, load_line, plan_day
from line.clock import HANOI
from line.model import Line
from telemetry.config import HistorySettings
from telemetry.emulator.trains import build_day as emulate_day
from telemetry.marey import PathRecorder, PlannedPaths, build_day
from telemetry.metrics import TelemetryMetrics
from telemetry.pipeline import telemetry_point
from telemetry.schemas import TrainTelemetry
from telemetry.sinks import EmbeddedStore, Point
from tests.poll import until

DAY = date(2026, 3, 3)  # a Tuesday: the 2026 weekday timetable
MIDNIGHT_MS = int(datetime.combine(DAY, time(), HANOI).timestamp() * 1000)


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line()


@pytest.fixture(scope="module")
def plan(line: Line) -> DayPlan:
    return plan_day(line, line.timetable("2026"), DAY)


def feed(
    rec: PathRecorder, line: Line, plan: DayPlan, t0: float, t1: float, *, perturb: bool
) -> None:
    sim = emulate_day(line, plan, perturb=perturb, seed=3)
    t = t0
    while t < t1:
        for s in sim.states_at(t).values():
            rec.observe(s.train, MIDNIGHT_MS + int(t * 1000), s.pos_m, s.track, s.mode, s.speed_kmh)
        t += 1.0


def test_emulated_trains_run_their_planned_paths(line: Line, plan: DayPlan) -> None:
    rec = PathRecorder(line)
    feed(rec, line, plan, 7 * 3600, 8 * 3600, perturb=False)
    day = build_day(PlannedPaths(line), plan, rec.day(DAY), 8 * 3600)
    assert day.service_date == DAY and day.timetable == "2026"
    trains = {p.train for p in day.actual}
    assert len(trains) >= 9  # the 6-minute peak runs on 9 trains
    # a compressed path: vertices at platforms and stops only (12 stations, 2 per platform
    # for entering/leaving and 2 for stopping/starting), never one per second
    longest = max(day.actual, key=lambda p: p.points[-1][0] - p.points[0][0])
    assert longest.points[-1][0] - longest.points[0][0] > 1000
    assert len(longest.points) < 12 * 6
    # each actual path follows a planned one within seconds at every platform it stood at
    planned = {(p.direction, round(p.points[0][0])): p for p in day.planned}
    assert len(planned) == len(day.planned)
    # the regularity of a run exactly to plan: no excess wait, no bunching, no gaps
    both = day.day[0]
    assert both is not None and both.headways > 100
    assert both.ewt_s is not None and abs(both.ewt_s) < 5
    assert (both.bunching, both.gaps) == (0, 0)
    assert day.events == []
    for h in day.hours[1] + day.hours[2]:
        assert h.direction in (1, 2)


def test_departures_match_the_timetable(line: Line, plan: DayPlan) -> None:
    rec = PathRecorder(line)
    feed(rec, line, plan, 7 * 3600, 7.5 * 3600, perturb=False)
    paths = rec.day(DAY)
    assert paths is not None
    _, sched = PlannedPaths(line).of(plan)
    deps = paths.departures[("LT", 1)]
    assert len(deps) >= 3
    for d in deps:  # each observed departure lies within a few seconds of a planned one
        assert min(abs(d - s) for s in sched[("LT", 1)]) <= 2


def test_a_held_train_shows_as_bunching_and_a_gap(line: Line, plan: DayPlan) -> None:
    """Three trains 6 minutes apart on track 1; the middle one held 5 minutes at La Thành."""
    rec = PathRecorder(line)
    ch = {s.id: s.chainage_m for s in line.stations}
    t0 = 8 * 3600.0

    def run(train: str, start: float, hold: float) -> None:
        # Cát Linh → La Thành → Thái Hà at 10 m/s with 30 s dwells (plus the hold at LT)
        t = start
        for a, b in (("CL", "LT"), ("LT", "TH")):
            dwell = 30 + (hold if a == "LT" else 0)
            for _ in range(int(dwell)):
                rec.observe(train, MIDNIGHT_MS + int(t * 1000), ch[a], 1, "ATO", 0.0)
                t += 1
            x = ch[a]
            while x < ch[b]:
                rec.observe(train, MIDNIGHT_MS + int(t * 1000), x, 1, "ATO", 36.0)
                x += 10.0
                t += 1
        for _ in range(30):
            rec.observe(train, MIDNIGHT_MS + int(t * 1000), ch["TH"], 1, "ATO", 0.0)
            t += 1

    run("T01", t0, 0)
    run("T02", t0 + 360, 300)
    run("T03", t0 + 720, 0)
    day = build_day(PlannedPaths(line), plan, rec.day(DAY), t0 + 2000, directions=(1,))
    at_lt = [e for e in day.events if e.station == "LT"]
    # T02 left La Thành 5 min late: 11 min after T01 (gap), 1 min before T03 (bunching)
    assert [(e.kind, round(e.headway_s)) for e in at_lt] == [("gap", 660), ("bunching", 60)]
    assert day.day[1] is not None and day.day[1].ewt_s is not None and day.day[1].ewt_s > 60
    assert {p.train for p in day.actual} == {"T01", "T02", "T03"}
    assert all(p.direction == 1 for p in day.actual)


def test_track_change_silence_and_leaving_service_end_a_path(line: Line) -> None:
    rec = PathRecorder(line, gap_s=60)
    cl = line.stations[0].chainage_m
    t = MIDNIGHT_MS + 9 * 3_600_000
    rec.observe("T05", t, cl + 500, 1, "ATO", 40)
    rec.observe("T05", t + 1000, cl + 510, 1, "ATO", 40)
    rec.observe("T05", t + 2000, cl + 520, 2, "ATO", 40)  # turned back: a new path
    rec.observe("T05", t + 3000, cl + 510, 2, "ATO", 40)
    rec.observe("T05", t + 100_000, cl + 400, 2, "ATO", 40)  # silent 97 s: a new path
    rec.observe("T05", t + 101_000, cl + 390, 2, "depot", 0)  # out of service: not drawn
    rec.observe("T05", t + 102_000, cl + 380, 2, "depot", 0)
    paths = rec.day(DAY)
    assert paths is not None
    assert [(r.track, len(r.pts), r.closed) for r in paths.runs] == [
        (1, 2, True),
        (2, 2, True),
        (2, 1, True),
    ]


def test_the_live_head_is_drawn_to_the_newest_sample(line: Line, plan: DayPlan) -> None:
    rec = PathRecorder(line)
    t = MIDNIGHT_MS + 9 * 3_600_000
    for k in range(30):
        rec.observe("T07", t + k * 1000, 2000 + k * 10, 1, "ATO", 36)
    day = build_day(PlannedPaths(line), plan, rec.day(DAY), 9 * 3600 + 30)
    (p,) = day.actual
    assert p.live and p.points[-1] == (9 * 3600 + 29, 2290)


async def test_a_restart_takes_the_day_up_from_history(
    tmp_path: Path, line: Line, plan: DayPlan
) -> None:
    """Positions stored before a restart come back into the graph, then live ones follow."""
    store = EmbeddedStore(
        HistorySettings(embedded_path=tmp_path / "h.sqlite"),
        TelemetryMetrics(CollectorRegistry()),
        flush_interval_s=0.05,
    )
    sim = emulate_day(line, plan, perturb=False, seed=3)

    def points(t0: float, t1: float) -> list[Point]:
        out = []
        t = t0
        while t < t1:
            for s in sim.states_at(t).values():
                msg = TrainTelemetry.model_validate(
                    {
                        "v": 1,
                        "train": s.train,
                        "seq": int(t),
                        "ts": MIDNIGHT_MS + int(t * 1000),
                        "pos_m": s.pos_m,
                        "track": s.track,
                        "speed_kmh": round(s.speed_kmh, 1),
                        "doors": s.doors,
                        "load_pct": round(s.load_pct, 1),
                        "mode": s.mode.value,
                        "driver": s.driver,
                    }
                )
                out.append(telemetry_point(msg))
            t += 2.0
        return out

    async with store:
        store.write(points(7 * 3600, 7.5 * 3600))
        await store.flush()
        rec = PathRecorder(line, reader=store, backfill_window_s=600)
        task = asyncio.create_task(rec.run())
        try:
            rec.write(points(7.5 * 3600, 7.6 * 3600))  # live, after the restart
            await until(lambda: rec.backfilled, 20, what="the backfill")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert rec.backfilled_points > 10_000
    day = build_day(PlannedPaths(line), plan, rec.day(DAY), 7.6 * 3600)
    first = min(p.points[0][0] for p in day.actual)
    last = max(p.points[-1][0] for p in day.actual)
    assert first < 7 * 3600 + 60 and last > 7.59 * 3600
    # one path per train and track: the backfill and the live points join up
    live = [p for p in day.actual if p.live]
    assert len({p.train for p in live}) == len(live)


async def test_on_a_quiet_line_the_day_is_taken_up_on_the_clocks_day(
    tmp_path: Path, line: Line, plan: DayPlan
) -> None:
    """No train reports after the restart (night, an outage): the graph still shows the day."""
    store = EmbeddedStore(
        HistorySettings(embedded_path=tmp_path / "h.sqlite"),
        TelemetryMetrics(CollectorRegistry()),
    )
    cl = line.stations[0].chainage_m
    async with store:
        store.write(
            [
                Point(
                    "train",
                    "T03",
                    {"pos_m": cl + 10 * k, "track": 1, "mode": "ATO", "speed_kmh": 36.0},
                    MIDNIGHT_MS + 21 * 3_600_000 + k * 1000,
                )
                for k in range(60)
            ]
        )
        await store.flush()
        rec = PathRecorder(
            line, reader=store, clock=lambda: MIDNIGHT_MS + 23 * 3_600_000, first_wait_s=0.1
        )
        task = asyncio.create_task(rec.run())
        try:
            await until(lambda: rec.backfilled, 20, what="the backfill")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    paths = rec.day(DAY)
    assert paths is not None and [r.train for r in paths.runs] == ["T03"]
