"""Crew-constrained capacity: drivers → trains → headway, by the controller's rule (the even
headway the drivers can keep by default, or the 6 → 10 → 15 minute ladder)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crew import (
    Role,
    StaffingStandard,
    crew_outlook,
    headway_for_drivers,
    headway_for_trains,
    period_capacity,
    synthetic_roster,
)
from line import load_line
from tests.crew.builders import POLICY, at, f0

MONDAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def ln():  # type: ignore[no-untyped-def]
    return load_line()


@pytest.mark.parametrize(
    ("drivers", "planned", "expected"),
    [
        (9, 360, (360, 9, False)),  # the 6-minute peak needs 9 trains (cycle 3,164 s)
        (8, 360, (600, 6, False)),  # one short: 10 minutes, 6 trains
        (6, 360, (600, 6, False)),
        (5, 360, (900, 4, False)),  # 15 minutes, 4 trains
        (4, 600, (900, 4, False)),
        (6, 600, (600, 6, False)),
        (3, 360, (1080, 3, True)),  # below the steps: ceil(3164 / 3) s → 18 min
        (0, 600, (None, 0, True)),  # no driver, no service
    ],
)
def test_headway_steps(ln, drivers: int, planned: int, expected: tuple) -> None:  # type: ignore[no-untyped-def, type-arg]
    assert headway_for_drivers(ln, drivers, planned) == expected


def test_each_part_of_a_period_takes_the_fewest_drivers_of_the_shifts_it_spans(ln) -> None:  # type: ignore[no-untyped-def]
    periods = ln.timetable("2026").pattern_for(0).periods
    early = (5 * 3600, 13 * 3600 + 1800, 8)
    late = (13 * 3600 + 1800, 22 * 3600 + 1800, 9)
    caps = period_capacity(ln, MONDAY, periods, [early, late])
    got = [(c.period, c.start_s, c.end_s, c.drivers, c.trains, c.headway_s) for c in caps]
    midday = next(p for p in periods if p.name == "midday")
    assert midday.start_s < 13 * 3600 + 1800 < midday.end_s
    assert got == [
        ("early", *_span(periods, "early"), 8, 6, 600),
        # 9 needed, 8 there: the even headway of 8 trains, ceil(3164 / 8) = 396 s → 7 minutes
        # (8 trains run it), not the 10-minute step with 2 of the 8 drivers idle
        ("am_peak", *_span(periods, "am_peak"), 8, 8, 420),
        # the shift change at 13:30 cuts the midday: each part has its own shift's drivers
        ("midday", midday.start_s, 13 * 3600 + 1800, 8, 6, 600),
        ("midday", 13 * 3600 + 1800, midday.end_s, 9, 6, 600),
        ("pm_peak", *_span(periods, "pm_peak"), 9, 9, 360),
        ("evening", *_span(periods, "evening"), 9, 4, 900),
    ]
    assert [c.degraded for c in caps] == [False, True, False, False, False, False]
    assert caps[1].planned_trains == 9 and caps[1].planned_headway_s == 360
    # the old ladder, still a choice (StaffingStandard.headway_rule = "steps")
    steps = period_capacity(ln, MONDAY, periods, [early, late], rule="steps")
    assert {c.period: (c.trains, c.headway_s) for c in steps}["am_peak"] == (6, 600)
    # the same drivers on both sides of a change: the period stays whole
    whole = period_capacity(ln, MONDAY, periods, [early[:2] + (9,), late])
    assert [c.period for c in whole] == [p.name for p in periods]


def test_a_short_early_shift_degrades_the_morning_not_the_whole_day(ln) -> None:  # type: ignore[no-untyped-def]
    """A weekend runs one period, 05:30–22:00: with 5 drivers on the early shift and the late
    shift full, the morning runs every 11 minutes and the afternoon keeps the timetable."""
    periods = ln.timetable("2026").pattern_for(6).periods
    assert len(periods) == 1 and periods[0].headway_s == 600
    early = (5 * 3600, 13 * 3600 + 1800, 5)
    late = (13 * 3600 + 1800, 22 * 3600 + 1800, 9)
    caps = period_capacity(ln, MONDAY, periods, [early, late])
    # ceil(3164 / 5) = 633 s → 11 minutes with 5 trains; then the plan, 6 trains every 10
    assert [(c.start_s, c.end_s, c.trains, c.headway_s) for c in caps] == [
        (periods[0].start_s, 13 * 3600 + 1800, 5, 660),
        (13 * 3600 + 1800, periods[0].end_s, 6, 600),
    ]
    # no driver on the early shift: no service until the late shift, not for the whole day
    none = period_capacity(ln, MONDAY, periods, [early[:2] + (0,), late])
    assert [(c.headway_s, c.trains) for c in none] == [(None, 0), (600, 6)]


def _span(periods, name: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    p = next(p for p in periods if p.name == name)
    return p.start_s, p.end_s


@pytest.mark.parametrize(
    ("trains", "planned", "floor", "expected"),
    [
        (9, 360, 1, (360, 9, False)),
        (8, 360, 1, (420, 8, True)),
        (5, 600, 1, (660, 5, True)),  # ceil(3164 / 5) = 633 s → 11 minutes
        (7, 600, 1, (600, 6, False)),  # more than enough: the plan, 6 trains
        (2, 600, 3, (None, 0, True)),  # below the floor: suspended
        (2, 600, 1, (1620, 2, True)),  # ceil(3164 / 2) = 1582 s → 27 minutes
        (0, 600, 1, (None, 0, True)),
    ],
)
def test_even_rule_matches_the_what_if(
    ln, trains: int, planned: int, floor: int, expected: tuple
) -> None:  # type: ignore[no-untyped-def, type-arg]
    """The board's forecast and the simulation share one rule: the simulation's headway for a
    segment is the crew module's."""
    from simulation.scenario import ServicePolicy
    from simulation.service import headway_for

    assert headway_for_trains(ln, trains, planned, floor_trains=floor) == expected
    assert headway_for(ln, trains, planned, ServicePolicy(floor_trains=floor)) == expected[0]


def test_outlook_degrades_the_peak_when_drivers_isolate(ln) -> None:  # type: ignore[no-untyped-def]
    """60 drivers, 44 of them F0 on Monday: 16 left for 2 shifts of 9 slots; the solver
    spreads them 8 + 8, so both peaks drop to the 7 minutes 8 trains can keep, and the day
    cannot be staffed."""
    roster = synthetic_roster(1)
    as_of = at(MONDAY)
    drivers = [s.id for s in roster.staff if s.role is Role.DRIVER]
    history = POLICY.history([f0(d, as_of - timedelta(hours=1)) for d in drivers[16:]])
    std = StaffingStandard(relief_ratio=0, spare_ratio=0)
    out = crew_outlook(
        [(ln, ln.timetable("2026"))],
        roster,
        history,
        [],
        start=MONDAY,
        as_of=as_of,
        policy=POLICY,
        standard=std,
        next_days=0,
    )
    (day,) = out.days
    caps = {c.period: (c.drivers, c.trains, c.headway_s) for c in day.capacity}
    assert caps["am_peak"] == (8, 8, 420) and caps["pm_peak"] == (8, 8, 420)
    assert caps["midday"] == (8, 6, 600) and caps["evening"] == (8, 4, 900)
    assert out.first_unstaffable == MONDAY and out.first_degraded == MONDAY
    assert {(s.shift_id, s.missing) for s in day.coverage.shortfalls if s.role is Role.DRIVER} == {
        ("early", 1),
        ("late", 1),
    }
