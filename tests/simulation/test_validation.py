"""The model against figures worked out by hand (the issue's validation list).

* With no absences it runs 100 % of the timetable at the planned headways, with 9 trains at a
  6-minute peak (the published figure), 6 at 10 minutes and 4 at 15.
* Removing drivers loses exactly the trips a hand calculation predicts (one-day cases below).
* Drivers short for a whole week: the roster rations their working days (Art. 111), so no day
  goes dark, and nobody works more than 6 days in a calendar week.
* Conservation: every day, everyone is in exactly one state; nobody works while isolating,
  quarantined or absent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from crew import Role
from simulation import build_setup, scenario_preset
from simulation.model import run_replication
from tests.simulation.helpers import drivers_only, line2a, replicate, scenario


def test_baseline_runs_the_whole_timetable_on_nine_trains_at_the_six_minute_peak() -> None:
    line = line2a()
    # the line model's own figures: a round trip of 52-54 minutes (the published range)
    assert 52 * 60 <= line.cycle_time_s <= 54 * 60
    rep = replicate(scenario_preset("baseline"), 7)  # Monday to Sunday
    weekday_trips = 2 * (6 + 25 + 45 + 30 + 10)  # 05:30-22:00 at 10/6/10/6/15 min, per direction
    weekend_trips = 2 * (16 * 6 + 3)  # 16.5 h at 10 min
    trains = {360: 9, 600: 6, 900: 4}
    for day, row in enumerate(rep.rows):
        weekend = day >= 5
        assert row["trips_planned"] == (weekend_trips if weekend else weekday_trips)
        assert row["trips_operated"] == row["trips_planned"]
        assert row["trips_cancelled"] == 0
        periods = {k.split(".")[1] for k in row if k.startswith("periods.")}
        assert periods == (
            {"weekend"} if weekend else {"early", "am_peak", "midday", "pm_peak", "evening"}
        )
        for p in periods:
            planned = row[f"periods.{p}.headway_s"]
            assert row[f"periods.{p}.achieved_headway_s"] == planned, (day, p)
            assert row[f"periods.{p}.trains_in_service"] == trains[int(planned)], (day, p)
        if not weekend:
            assert row["periods.am_peak.headway_s"] == row["periods.pm_peak.headway_s"] == 360
            assert row["periods.am_peak.trains_max"] == 9
            assert row["trains.max_in_service"] == 9
        assert all(row[f"level.{lv}"] == 1.0 for lv in ("timetable", "peak_headway", "service"))
        assert row["legal_breaches"] == 0
        assert row["health.infections"] == row["health.cases"] == 0
        assert row["staff.driver.assigned"] == row["staff.driver.required"]
    assert all(r["trains.failures"] == 0 for r in rep.rows)


@pytest.mark.parametrize(
    ("timetable", "drivers", "service", "lost_by_period"),
    [
        # 2021: one period, 05:30-22:00 every 10 min = 99 departures a direction on 6 trains
        # (ceil(52.7 min / 10)). Periods are cut at the 13:30 shift change (05:30-13:30 =
        # 480 min, 13:30-22:00 = 510 min). 10 drivers: 5 a shift, 5 trains, the even headway
        # ceil(3164 s / 5) = 633 s, rounded up to whole minutes: 11 min (was: the 15-minute
        # step, 66 lost). Departures a direction: ceil(D / 11), the inbound 5.5 min later (5
        # trains is odd): early 44 + ceil(474.5 / 11) = 44 -> 88 of 96; late 47 +
        # ceil(504.5 / 11) = 46 -> 93 of 102: 17 lost (6 + 4 runs 96 + 74 at 14 min, worse).
        ("2021", 10, {}, {"day": 17}),
        # The old 6 -> 10 -> 15 ladder (headway_rule="steps"), periods still cut at 13:30:
        # 5 + 5 would run both halves at 15 min (2 x (32 + 34) = 132, what the all-day period
        # gave: 66 lost); 4 early at 15 min (2 x 32 = 64 of 96) and 6 late at 10 min (all 102)
        # run more: 32 lost. The shift cut alone halves the loss; the even headway does more.
        ("2021", 10, {"headway_rule": "steps"}, {"day": 32}),
        # 2026 weekday, 14 drivers with split peak duties: 5 early + 5 late + 4 on both peaks.
        # Peaks keep 9 trains (6 min); off-peak has 5 trains: 11 min (was 15). early
        # 05:30-06:30: ceil(60/11) + ceil(54.5/11) = 6 + 5 = 11 of 12 (1 lost); midday cut at
        # 13:30: 09:00-13:30 25 + 25 = 50 of 54, 13:30-16:30 17 + 16 = 33 of 36 (7 lost); the
        # evening is planned at 15 min already. (Was 34 lost at the 15-minute step.)
        ("2026", 14, {}, {"early": 1, "midday": 7}),
        # The same 14 without split duties: 7 + 7 straight (6 + 8 leaves a peak at 9 min):
        # peaks on 7 trains at ceil(3164 / 7) = 452 s -> 8 min (was the 10-minute step).
        # am 06:30-09:00: ceil(150/8) + ceil(146/8) = 19 + 19 = 38 of 50 (12 lost); pm
        # 16:30-19:30: 23 + 22 = 45 of 60 (15 lost). Midday restarts its 10-minute departures
        # at 09:00 in both directions while 6 peak trips are still running: 8 trips would be
        # in progress for 7 drivers, so the working timetable leaves one 09:00 departure out
        # (1 lost).
        ("2026", 14, {"peak_duties": False}, {"am_peak": 12, "pm_peak": 15, "midday": 1}),
    ],
)
def test_removing_drivers_loses_the_hand_calculated_trips(
    timetable: str, drivers: int, service: dict[str, object], lost_by_period: dict[str, int]
) -> None:
    sc = scenario(
        timetable=timetable,
        absences=drivers_only(drivers),  # absent on the day simulated only
        service=service,
    )
    (row,) = replicate(sc, 1).rows
    periods = {k.split(".")[1] for k in row if k.startswith("periods.")}
    lost = {p: int(row[f"periods.{p}.trips_cancelled"]) for p in periods}
    assert {p: n for p, n in lost.items() if n} == lost_by_period
    assert row["trips_cancelled"] == sum(lost_by_period.values())
    assert row["cancelled.by_plan"] == row["trips_cancelled"]  # all by the plan, none on the day
    assert row["staff.driver.assigned"] == drivers
    assert row["legal_breaches"] == 0
    assert row["overtime_h"] == 0  # standard shifts: no long-shift lever needed


def test_a_week_short_of_drivers_is_rationed_not_blacked_out() -> None:
    """14 drivers for a whole week can give 14 x 6 = 84 driver-days (Art. 111); the 2026 week
    asks for 156 with relief and spare. Rostering day by day would use all 14 from Monday and
    have nobody left by Sunday; rationed, every day runs a service and nobody works 7 days."""
    sc = scenario(absences=drivers_only(14, to_day=None))
    rep = replicate(sc, 7, trace=True)
    assert rep.trace is not None
    setup = build_setup(sc, line2a(), 7)
    drivers = set(setup.workforce.by_role[Role.DRIVER])
    days_worked: dict[int, set[int]] = defaultdict(set)
    for t, i in rep.trace.sign_ons:
        if i in drivers:
            days_worked[i].add(int(t // 86_400))
    assert len(days_worked) == 14
    assert max(len(d) for d in days_worked.values()) <= 6
    assert sum(len(d) for d in days_worked.values()) <= 84
    for row in rep.rows:
        assert row["trips_operated"] > 0.5 * row["trips_planned"]
        assert row["level.service"] == 1.0
        assert row["legal_breaches"] == 0


@pytest.mark.parametrize("preset", ["wave-2022", "cohort-outbreak"])
def test_everyone_is_in_exactly_one_state_and_nobody_works_while_excluded(preset: str) -> None:
    sc = scenario_preset(preset)
    setup = build_setup(sc, line2a(), 21)
    rep = run_replication(setup, 3, 0, trace=True)
    assert rep.trace is not None
    headcount = {r: len(v) for r, v in setup.workforce.by_role.items()}
    states = ("f0_isolation", "f1_quarantine", "leave", "on_shift", "available")
    infected = 0
    for row in rep.rows:
        for role, n in headcount.items():
            counts = [row[f"states.{role.value}.{s}"] for s in states]
            assert all(c >= 0 for c in counts)
            assert sum(counts) == n, (row, role)
            assert row[f"states.{role.value}.on_shift"] == row[f"staff.{role.value}.assigned"]
        infected += row["health.infections"]
    assert infected > 0, "the wave infected nobody: the scenario tests nothing"
    # the trace: nobody signs on inside one of their exclusions (isolation, quarantine)
    excluded: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for i, a, b in rep.trace.exclusions:
        excluded[i].append((a, b))
    assert excluded, "no exclusions: the scenario tests nothing"
    # (an exclusion starting the very second someone signs on is a teammate's positive
    # pre-shift test sending them home again: the sign-on came first, and was undone)
    for t, i in rep.trace.sign_ons:
        assert not any(a < t < b for a, b in excluded[i]), (i, t)


def test_scenario_absences_are_known_in_advance_and_counted_as_leave() -> None:
    sc = scenario(absences=[{"role": "technician", "count": 5, "from_day": 1, "to_day": 1}])
    rep = replicate(sc, 3)
    leave = [row["states.technician.leave"] for row in rep.rows]
    assert leave == [0, 5, 0]
    assert all(row["trips_cancelled"] == 0 for row in rep.rows)


def test_a_run_covers_calendar_weeks_from_any_start_day() -> None:
    # a Thursday start: the first week has four days left of it, then whole weeks
    start = date(2026, 3, 5)
    sc = scenario(start_date=start.isoformat())
    rep = replicate(sc, 10)
    planned = [row["trips_planned"] for row in rep.rows]
    weekend = [(start + timedelta(days=d)).weekday() >= 5 for d in range(10)]
    assert planned == [198 if w else 232 for w in weekend]
    assert all(row["trips_operated"] == row["trips_planned"] for row in rep.rows)
