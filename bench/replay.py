"""Replay benchmark: seek time to random moments of 7 days of Line 2A history, and its size.

Seven service days (the days before today: the 2026 timetable, weekends included) are played
out by the field emulator's train model (perturbed, seed 7) and written straight into the
embedded history store — not through MQTT — as the ingest writes them:

* 13 trains at the ICD's real publish rate, 1 Hz, round the clock (depot trains report too):
  the pipeline's ``train`` points (position, track, speed, load, doors, mode, driver, faults,
  seq);
* 5 traction substations at the default Modbus poll (``modbus.poll_s`` = 1 s), the fields of
  the ICD's register map (values and bits);
* the alarm journal (``telemetry.alarm_journal``, SQLite) fed by a real alarm book on a fake
  clock: an alarm raised every 4 minutes on average (an estimate of a busy line: 360 a day,
  above EEMUA 191's "manageable" 144 a day), most acknowledged, some shelved, all cleared —
  each change an event row, a keyframe at most every 5 minutes while alarms change;
* the demo's crew roster (160 staff) in the crew store and an empty shift log.

Then it times :meth:`services.replay.Replay.at` — everything ``GET /api/replay`` reads — at
``--seeks`` moments drawn uniformly from the 7 days, and prints p50/p99 (target p99 ≤ 300 ms)
and the history kept per day.

Usage: uv run python bench/replay.py [--days 7] [--seeks 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry  # noqa: E402

from cli.demo import seed_crew  # noqa: E402
from crew.store import CrewStore  # noqa: E402
from line import load_line, plan_day  # noqa: E402
from line.catalogue import Message  # noqa: E402
from line.clock import HANOI  # noqa: E402
from services.replay import Replay, ReplaySources  # noqa: E402
from services.settings import Settings  # noqa: E402
from shiftlog import ShiftLog  # noqa: E402
from telemetry.alarm_journal import AlarmJournalRecorder, AlarmJournalStore  # noqa: E402
from telemetry.alarms import Alarm, AlarmBook, AlarmState, Priority  # noqa: E402
from telemetry.config import HistorySettings  # noqa: E402
from telemetry.emulator.trains import build_day  # noqa: E402
from telemetry.metrics import TelemetryMetrics  # noqa: E402
from telemetry.sinks.base import Point  # noqa: E402
from telemetry.sinks.embedded import EmbeddedStore  # noqa: E402

DAY_S = 86_400
BATCH = 50_000  # points per flush: well inside the store's memory bound
ALARM_EVERY_S = 240  # mean time between alarms (estimate, see the docstring)


class Clock:
    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def midnight_ms(d: date) -> int:
    return int(datetime.combine(d, datetime.min.time(), HANOI).timestamp() * 1000)


async def fill_history(store: EmbeddedStore, days: list[date]) -> int:
    line = load_line()
    tt = line.timetable("2026")
    subs = [s.id for s in line.substations]
    seq = 0
    n = 0
    buf: list[Point] = []
    for d in days:
        t = time.perf_counter()
        sim = build_day(line, plan_day(line, tt, d), seed=7)
        m0 = midnight_ms(d)
        for sec in range(DAY_S):
            ts = m0 + sec * 1000
            seq += 1
            for s in sim.states_at(sec).values():
                buf.append(
                    Point(
                        "train",
                        s.train,
                        {
                            "pos_m": round(s.pos_m, 1),
                            "track": s.track,
                            "speed_kmh": round(s.speed_kmh, 1),
                            "load_pct": round(s.load_pct, 1),
                            "doors": s.doors,
                            "mode": s.mode.value,
                            "driver": s.driver or "",
                            "faults": "",
                            "seq": seq,
                        },
                        ts,
                    )
                )
            for ss in subs:
                buf.append(
                    Point(
                        "substation",
                        ss,
                        {
                            "dc_bus_voltage": 820.0 + (sec % 37),
                            "feeder_current": 900.0 + (sec % 411),
                            "transformer_temp": 48.5,
                            "energy_kwh": 100_000 + sec,
                            "heartbeat": sec % 65_536,
                            "breaker_closed": True,
                            "breaker_tripped": False,
                            "alarm_overtemp": False,
                            "alarm_earth_fault": False,
                        },
                        ts,
                    )
                )
            if len(buf) >= BATCH:
                store.write(buf)
                n += len(buf)
                buf = []
                await store.flush()
        print(f"  {d}: {time.perf_counter() - t:.1f} s", flush=True)
    store.write(buf)
    n += len(buf)
    await store.flush()
    return n


async def fill_journal(
    journal: AlarmJournalRecorder, book: AlarmBook, clock: Clock, end_ms: int
) -> None:
    rng = random.Random(7)
    trains = [f"T{i:02d}" for i in range(1, 14)]
    open_: dict[str, tuple[int, int]] = {}  # key → (alarm id, clear at ms)
    next_raise = clock() + int(rng.expovariate(1 / ALARM_EVERY_S) * 1000)
    while clock() < end_ms:
        clock.now_ms += 30_000
        now = clock()
        if now >= next_raise:
            key = f"train:{rng.choice(trains)}:fault:E{rng.randint(10, 60)}"
            text = Message("alarm.saved_text", {"vi": f"{key}", "en": f"{key}"})
            a = book.raise_alarm(key, Priority(rng.randint(1, 4)), key.split(":")[1], text)
            if a is not None:
                open_[key] = (a.id, now + rng.randint(2, 40) * 60_000)
            next_raise = now + int(rng.expovariate(1 / ALARM_EVERY_S) * 1000)
        for key, (alarm_id, clear_at) in list(open_.items()):
            a = book.get(alarm_id)
            if a.state is AlarmState.UNACK and rng.random() < 0.3:
                book.ack(alarm_id, "dd01")
                if rng.random() < 0.2:
                    book.comment(alarm_id, "dd01", "đã báo tổ bảo dưỡng")
            elif a.state is AlarmState.ACKED and rng.random() < 0.02:
                book.shelve(alarm_id, "dd01", "chờ kiểm tra", now + 20 * 60_000)
            if now >= clear_at:
                book.clear(key)
                del open_[key]
        book.tick()
        await journal.flush()


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seeks", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    today = datetime.now(HANOI).date()
    days = [today - timedelta(days=i) for i in range(args.days, 0, -1)]
    start_ms, end_ms = midnight_ms(days[0]), midnight_ms(today)
    hist_path = tmp / "history.sqlite"
    db_path = tmp / "metro.db"
    db_url = f"sqlite+aiosqlite:///{db_path}"
    settings = Settings.model_validate({"db": {"url": db_url}})
    line = load_line()
    await seed_crew(settings, line.id, today)

    store = EmbeddedStore(
        HistorySettings(embedded_path=hist_path, retention_h=24 * (args.days + 2)),
        TelemetryMetrics(CollectorRegistry()),
    )
    clock = Clock(start_ms)
    changes = 0

    def on_change(a: Alarm) -> None:
        nonlocal changes
        changes += 1
        journal.on_change(a)

    journal = AlarmJournalRecorder(
        AlarmJournalStore(db_url), lambda: book.active(include_shelved=True), clock=clock
    )
    book = AlarmBook(clock, flood_per_10min=10, on_change=on_change)
    crew = CrewStore(db_url, policy=settings.crew.crew_policy())
    shift_log = ShiftLog(db_url)
    async with store, journal, crew, shift_log:
        print(f"filling {args.days} days of Line 2A history into {tmp} …", flush=True)
        t = time.perf_counter()
        points = await fill_history(store, days)
        fill_s = time.perf_counter() - t
        print(f"history: {points:,} points in {fill_s:.0f} s ({points / fill_s:,.0f} points/s)")
        t = time.perf_counter()
        await fill_journal(journal, book, clock, end_ms)
        print(f"alarm journal: {changes:,} alarm changes in {time.perf_counter() - t:.1f} s")

        replay = Replay(
            ReplaySources(
                line=line,
                history=store,
                journal=journal.store,
                crew=crew,
                shift_log=shift_log,
                stale_after_ms=5_000,
                retention_ms=args.days * DAY_S * 1000,
            )
        )
        rng = random.Random(11)
        moments = [rng.randrange(start_ms, end_ms) for _ in range(args.seeks)]
        t = time.perf_counter()
        first = await replay.at(moments[0])
        cold_ms = (time.perf_counter() - t) * 1000
        times = []
        shown = []
        for at in moments:
            t = time.perf_counter()
            r = await replay.at(at)
            times.append((time.perf_counter() - t) * 1000)
            shown.append(len(r["board"]["trains"]))
        times.sort()
        p50 = statistics.median(times)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"seek to {args.seeks} random moments of {args.days} days: p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms, max {times[-1]:.1f} ms (target p99 ≤ 300 ms); first seek "
            f"{cold_ms:.1f} ms; trains drawn per moment {min(shown)}–{max(shown)}, alarms open "
            f"at the first {len(first['board']['alarms'])}"
        )
    hist_b, db_b = size(hist_path), size(db_path)
    print(
        f"history per day: {hist_b / args.days / 2**20:,.0f} MiB embedded store "
        f"({hist_b / points:.0f} B a point, indexes included); alarm journal "
        f"{changes / args.days:,.0f} rows a day, whole database {db_b / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    asyncio.run(main())
