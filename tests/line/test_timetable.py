from __future__ import annotations

from datetime import date

import pytest

from line import Direction, load_line, nearest_departure, plan_day, trains_needed_per_period

MONDAY = date(2026, 11, 23)
SUNDAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def ln():  # type: ignore[no-untyped-def]
    return load_line()


def test_2021_pattern_runs_every_10_minutes_all_day(ln) -> None:  # type: ignore[no-untyped-def]
    plan = plan_day(ln, ln.timetable("2021"), date(2021, 12, 1))
    out = plan.departures(Direction.OUTBOUND)
    # 05:30 … 21:50 every 10 minutes = 99 departures per direction
    assert out[0] == 5 * 3600 + 30 * 60 and out[-1] == 21 * 3600 + 50 * 60
    assert len(out) == 99 and len(plan.departures(Direction.INBOUND)) == 99
    assert {b - a for a, b in zip(out, out[1:], strict=False)} == {600}
    assert plan.trains_in_service_at(12 * 3600) == 6


def test_2026_weekday_peaks_need_nine_trains(ln) -> None:  # type: ignore[no-untyped-def]
    plan = plan_day(ln, ln.timetable("2026"), MONDAY)
    out = plan.departures(Direction.OUTBOUND)
    am = [t for t in out if 6.5 * 3600 <= t < 9 * 3600]
    assert {b - a for a, b in zip(am, am[1:], strict=False)} == {360}
    assert plan.trains_in_service_at(8 * 3600) == 9
    assert plan.trains_in_service_at(12 * 3600) == 6
    assert plan.trains_in_service_at(21 * 3600) == 4
    # the whole day fits the 10 trains planned in service
    assert len({t.train for t in plan.trips}) <= ln.fleet.planned_in_service
    assert {
        p.period: p.trains_needed for p in trains_needed_per_period(ln, ln.timetable("2026"), 0)
    } == {
        "early": 6,
        "am_peak": 9,
        "midday": 6,
        "pm_peak": 9,
        "evening": 4,
    }


def test_weekend_is_every_10_minutes(ln) -> None:  # type: ignore[no-untyped-def]
    plan = plan_day(ln, ln.timetable("2026"), SUNDAY)
    assert {t.headway_s for t in plan.trips} == {600}


def test_blocks_respect_turnback_and_never_overlap(ln) -> None:  # type: ignore[no-untyped-def]
    plan = plan_day(ln, ln.timetable("2026"), MONDAY)
    for train in {t.train for t in plan.trips}:
        trips = plan.trips_of_train(train)
        for a, b in zip(trips, trips[1:], strict=False):
            assert b.depart_s >= a.arrive_s + ln.turnback_min_s
            # a train is where its last trip ended, or had time for an empty run
            if b.origin != a.destination:
                assert b.depart_s >= a.arrive_s + ln.trip_time_s + ln.turnback_min_s


def test_nearest_departure() -> None:
    deps = [100, 200, 300]
    assert nearest_departure(deps, 140) == 100
    assert nearest_departure(deps, 160) == 200
    assert nearest_departure(deps, 1000) == 300
    assert nearest_departure([], 5) is None
