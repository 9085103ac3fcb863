"""Marey benchmark: the time to build a full service day's time-distance data for Line 2A.

A weekday of the 2026 timetable is played out by the field emulator's train model (perturbed:
extended dwells and holds, seed 7); every train's position once a second from 05:00 to 23:00
(13 trains × 64,800 s, as the ICD's 1 Hz telemetry) is fed to the path recorder, as the ingest
does. Then, with the day complete (now = 23:00), it times what ``GET /api/marey`` does:

* the graph's data (``telemetry.marey.build_day``: planned paths, actual paths, headway marks,
  regularity per hour and direction);
* the typed response (``api.routes.marey.view_of``) and its JSON, as FastAPI renders it
  (``model_dump(mode="json")`` then ``json.dumps``).

Target: the whole request ≤ 200 ms. Also printed: the recorder's cost per position on the
ingest's hot path, and the first build (the day's planned paths are then built and cached).

Usage: uv run python bench/marey.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.routes.marey import view_of  # noqa: E402
from line import load_line, plan_day  # noqa: E402
from line.clock import HANOI  # noqa: E402
from telemetry.emulator.trains import build_day as emulate_day  # noqa: E402
from telemetry.marey import PathRecorder, PlannedPaths, build_day  # noqa: E402

DAY = date(2026, 3, 3)  # a Tuesday
T0, T1 = 5 * 3600, 23 * 3600


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    line = load_line()
    plan = plan_day(line, line.timetable("2026"), DAY)
    sim = emulate_day(line, plan, seed=7)
    midnight_ms = int(datetime.combine(DAY, datetime.min.time(), HANOI).timestamp() * 1000)
    t = time.perf_counter()
    samples = [
        (s.train, midnight_ms + sec * 1000, s.pos_m, s.track, s.mode.value, s.speed_kmh)
        for sec in range(T0, T1)
        for s in sim.states_at(sec).values()
    ]
    print(f"emulated day: {len(samples):,} positions in {time.perf_counter() - t:.1f} s")

    rec = PathRecorder(line)
    t = time.perf_counter()
    for train, ts, pos, track, mode, speed in samples:
        rec.observe(train, ts, pos, track, mode, speed)
    fed = time.perf_counter() - t
    paths = rec.day(DAY)
    assert paths is not None
    vertices = sum(len(r.pts) for r in paths.runs)
    deps = sum(len(v) for v in paths.departures.values())
    print(
        f"recorder: {fed / len(samples) * 1e6:.2f} µs per position; kept {vertices:,} vertices "
        f"in {len(paths.runs)} paths, {deps:,} departures"
    )

    planned = PlannedPaths(line)
    st_bunch, st_gap = 0.5, 1.5

    def request() -> tuple[float, float, float, int]:
        a = time.perf_counter()
        day = build_day(planned, plan, paths, T1, bunch_factor=st_bunch, gap_factor=st_gap)
        b = time.perf_counter()
        view = view_of(
            line, day, plan.trips, complete=True, bunch_factor=st_bunch, gap_factor=st_gap
        )
        c = time.perf_counter()
        body = json.dumps(view.model_dump(mode="json"), ensure_ascii=False).encode()
        d = time.perf_counter()
        return b - a, c - b, d - c, len(body)

    first = request()
    print(
        f"first request (planned paths built): data {first[0] * 1000:.1f} ms, "
        f"model {first[1] * 1000:.1f} ms, JSON {first[2] * 1000:.1f} ms"
    )
    runs = [request() for _ in range(args.repeat)]
    data = statistics.median(r[0] for r in runs) * 1000
    model = statistics.median(r[1] for r in runs) * 1000
    js = statistics.median(r[2] for r in runs) * 1000
    total = data + model + js
    day = build_day(planned, plan, paths, T1)
    both = day.day[0]
    print(
        f"full day, both tracks: {len(day.planned)} planned trips, {len(day.actual)} actual paths, "
        f"{len(day.events)} headway marks, {runs[0][3] / 1024:.0f} KiB JSON"
    )
    if both is not None:
        print(
            f"regularity: {both.headways} headways, EWT {both.ewt_s:+.0f} s "
            f"(AWT {both.awt_s:.0f} s, SWT {both.swt_s:.0f} s), "
            f"{both.bunching} bunching, {both.gaps} gaps"
        )
    print(
        f"median of {args.repeat}: data {data:.1f} ms + model {model:.1f} ms + JSON {js:.1f} ms "
        f"= {total:.1f} ms (target ≤ 200 ms: {'met' if total <= 200 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
