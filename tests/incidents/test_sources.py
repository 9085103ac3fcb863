"""The lost-trips source over a real live state: trips of the day nobody ran appear at their
planned departure (Hanoi time), in the window asked for; trips run, and trips still within
their grace, do not."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prometheus_client import CollectorRegistry

from incidents import Source
from line import Direction, load_line, plan_day
from line.clock import hanoi_time
from services.incident_sources import LostTrips
from telemetry.alarms import AlarmBook
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.state import LineState

DAY = date(2026, 11, 23)  # a Monday
MIDNIGHT_MS = int(datetime(2026, 11, 22, 17, 0, tzinfo=UTC).timestamp() * 1000)  # 00:00 Hanoi


def ms(t_s: float) -> int:
    return MIDNIGHT_MS + int(t_s * 1000)


async def test_trips_nobody_ran_at_their_planned_departure() -> None:
    line = load_line()
    state = LineState(
        line,
        StateSettings(timetable="2026"),
        AlarmBook(lambda: ms(8 * 3600)),
        TelemetryMetrics(CollectorRegistry()),
    )
    plan = plan_day(line, line.timetable("2026"), DAY)
    out = sorted(
        (t for t in plan.trips if t.direction is Direction.OUTBOUND), key=lambda t: t.depart_s
    )[10:13]
    origin = line.stations[0].id
    start = out[0].depart_s - 60
    state.trips.observe("T01", None, Direction.OUTBOUND, True, plan, start)  # monitoring begins
    # out[0] runs; out[1] and out[2] do not
    state.trips.observe("T01", origin, Direction.OUTBOUND, True, plan, out[0].depart_s - 30)
    assert state.trips.observe("T01", None, Direction.OUTBOUND, True, plan, out[0].depart_s)
    # the line's time: out[1] is 11 minutes late (lost), out[2] 1 minute (not yet)
    state.field_ts_ms = ms(out[1].depart_s + 660)
    assert out[2].depart_s + 600 > out[1].depart_s + 660

    src = LostTrips(state, line)
    got = await src.events(ms(start), ms(out[2].depart_s + 1))
    mine = [e for e in got if e.ref in {t.id for t in out}]
    assert [e.ref for e in mine] == [out[1].id]
    e = mine[0]
    assert e.source is Source.TRIP and e.kind == "trip.lost" and e.at_ms == ms(out[1].depart_s)
    assert f"{hanoi_time(e.at_ms):%H:%M}" in e.text and "không chạy" in e.text
    assert "not run" in e.text_en and line.stations[0].name in e.text
    # outside the window: nothing
    assert await src.events(ms(out[1].depart_s + 1), ms(out[1].depart_s + 2)) == []
