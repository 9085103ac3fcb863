"""Trips run and lost, from departures at the origin terminals against the day's plan.

Hand-built scenarios on Line 2A's 2026 timetable (Monday 2026-11-23, six-minute peak from
06:30): trains leave Cát Linh on time, late, or not at all, and the ledger must say which
planned trips ran and which were lost — over the live state, as the board shows it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from prometheus_client import CollectorRegistry

from line import DayPlan, Direction, Trip, load_line, plan_day
from telemetry.alarms import AlarmBook
from telemetry.board import board_snapshot
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.state import LineState
from telemetry.trips import TripLedger
from tests.telemetry.test_state import tel

DAY = date(2026, 11, 23)
MIDNIGHT_MS = int(datetime(2026, 11, 22, 17, 0, tzinfo=UTC).timestamp() * 1000)  # 00:00 local


def ms(t_s: float) -> int:
    return MIDNIGHT_MS + int(t_s * 1000)


@pytest.fixture
def line():  # type: ignore[no-untyped-def]
    return load_line()


@pytest.fixture
def plan(line):  # type: ignore[no-untyped-def]
    return plan_day(line, line.timetable("2026"), DAY)


def outbound(plan: DayPlan) -> list[Trip]:
    return sorted(
        (t for t in plan.trips if t.direction is Direction.OUTBOUND), key=lambda t: t.depart_s
    )


def depart(ledger: TripLedger, plan, line, train: str, t_s: float, *, in_service: bool = True):  # type: ignore[no-untyped-def]
    origin = line.stations[0].id
    ledger.observe(train, origin, Direction.OUTBOUND, in_service, plan, t_s - 30)
    return ledger.observe(train, None, Direction.OUTBOUND, in_service, plan, t_s)


def test_on_time_and_late_departures_run_their_planned_trips(line, plan) -> None:  # type: ignore[no-untyped-def]
    trips = outbound(plan)[10:14]
    ledger = TripLedger(grace_s=600)
    start = trips[0].depart_s - 60
    ledger.observe("T01", None, Direction.OUTBOUND, True, plan, start)  # monitoring begins
    assert depart(ledger, plan, line, "T01", trips[0].depart_s) == trips[0]
    assert depart(ledger, plan, line, "T02", trips[1].depart_s + 150) == trips[1]  # 2.5 min late
    # trips[2] never leaves; trips[3] leaves on time
    assert depart(ledger, plan, line, "T04", trips[3].depart_s) == trips[3]
    out_ids = {t.id for t in outbound(plan)}
    now = trips[3].depart_s + 1
    assert ledger.summary(now)["run"] == 3
    assert not ledger.lost_ids(now) & out_ids  # trips[2] is late, not lost yet (grace 10 min)
    later = trips[2].depart_s + 601
    assert ledger.lost_ids(later) & out_ids == {trips[2].id}
    # nothing ran inbound: every inbound trip due 10 min before `later` is lost too
    inbound_due = {
        t.id
        for t in plan.trips
        if t.direction is Direction.INBOUND and start <= t.depart_s < later - 600
    }
    assert inbound_due and ledger.lost_ids(later) - out_ids == inbound_due
    assert ledger.summary(later)["lost"] == 1 + len(inbound_due)


def test_trains_not_in_service_and_stops_elsewhere_do_not_count(line, plan) -> None:  # type: ignore[no-untyped-def]
    trip = outbound(plan)[20]
    ledger = TripLedger()
    ledger.observe("T01", None, Direction.OUTBOUND, True, plan, trip.depart_s - 300)
    assert depart(ledger, plan, line, "T05", trip.depart_s, in_service=False) is None
    # leaving an intermediate station is not a trip
    mid = line.stations[5].id
    ledger.observe("T06", mid, Direction.OUTBOUND, True, plan, trip.depart_s - 10)
    assert ledger.observe("T06", None, Direction.OUTBOUND, True, plan, trip.depart_s) is None
    assert ledger.summary(trip.depart_s + 700)["run"] == 0
    assert trip.id in ledger.lost_ids(trip.depart_s + 700)


def test_a_mid_day_start_does_not_call_the_morning_lost(line, plan) -> None:  # type: ignore[no-untyped-def]
    noon = 12 * 3600 + 30  # just after the 12:00 departures
    ledger = TripLedger()
    ledger.observe("T01", None, Direction.OUTBOUND, True, plan, noon)
    s = ledger.summary(noon + 1)
    assert s["lost"] == 0 and s["due"] == 0
    assert s["planned_day"] == len(plan.trips)


def test_live_state_counts_trips_for_the_board(line) -> None:  # type: ignore[no-untyped-def]
    clock_ms = [ms(6 * 3600)]
    alarms = AlarmBook(lambda: clock_ms[0])
    state = LineState(
        line, StateSettings(timetable="2026"), alarms, TelemetryMetrics(CollectorRegistry())
    )
    plan = plan_day(line, line.timetable("2026"), DAY)
    first = outbound(plan)[0]
    origin_m = line.stations[0].chainage_m
    seq = iter(range(1, 100))
    state.apply(tel("T01", next(seq), ms(first.depart_s - 120), origin_m), ms(first.depart_s - 120))
    state.apply(tel("T01", next(seq), ms(first.depart_s - 60), origin_m), ms(first.depart_s - 60))
    state.apply(
        tel("T01", next(seq), ms(first.depart_s + 40), origin_m + 400), ms(first.depart_s + 40)
    )
    kpis = board_snapshot(state, ms(first.depart_s + 40))["kpis"]
    assert kpis["trips"]["run"] == 1 and kpis["trips"]["lost"] == 0, kpis["trips"]
    # nobody runs the next outbound trip: 10 minutes after it was due, the board says lost
    nxt = outbound(plan)[1]
    t = nxt.depart_s + 700
    state.apply(tel("T01", next(seq), ms(t), origin_m + 5000), ms(t))
    assert board_snapshot(state, ms(t))["kpis"]["trips"]["lost"] >= 1
