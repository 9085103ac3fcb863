"""The back-test of early 2022 and its counterfactuals, with the expected results argued from
the sources in ``simulation/README.md`` ("Back-test of early 2022").

The argument, in short: in Feb–Apr 2022 Line 2A ran every 10 minutes all day on 6 trains,
which takes 18 driver duties a day (12 in the cabs, 4 relief, 2 spare) from 60 drivers, and
Hanoimetro reported that no trip was stopped for want of crew. With the inputs of the time
the model must agree: no crew-caused cancellation in the median run, and drivers never short.
The counterfactuals then say what would have stopped trips, and why.
"""

from __future__ import annotations

import statistics
from datetime import date
from functools import cache

import pytest

from crew import Role
from simulation import build_setup, scenario_preset
from simulation.model import plan_book, run_replication
from simulation.setup import Setup
from tests.simulation.helpers import line2a

DAYS = 60  # 7 Feb – 7 Apr 2022
REPS = 16
DUTIES_2022 = 18  # 6 trains x 2 shifts + 20 % relief + 10 % spare, rounded up per shift


@cache
def setup_of(name: str) -> Setup:
    return build_setup(scenario_preset(name), line2a(), DAYS)


@cache
def runs(name: str) -> tuple[tuple[dict[str, float], ...], ...]:
    """The day rows of ``REPS`` replications (seed 7), in this process."""
    setup = setup_of(name)
    book = plan_book(setup)
    return tuple(run_replication(setup, 7, i, book=book).rows for i in range(REPS))


def total(rows: tuple[dict[str, float], ...], key: str) -> float:
    return sum(r[key] for r in rows)


def test_the_back_test_runs_on_the_inputs_of_early_2022() -> None:
    setup = setup_of("backtest-2022")
    # the timetable in force: every 10 minutes all day, 18 driver duties, 10,000 riders a day
    assert setup.timetable_id == "2021"
    assert {setup.requirements[k].driver for k in setup.day_pattern} == {DUTIES_2022}
    assert set(setup.passengers) == {10_000}
    # Hanoi's reported cases drive the incidence: the peak on 8 March 2022 at 32,650 a day
    inc = setup.scenario.incidence
    per_100k = [inc.per_100k_on(d, setup.calendar_date(d)) for d in range(DAYS)]
    peak = max(range(DAYS), key=per_100k.__getitem__)
    assert setup.calendar_date(peak) == date(2022, 3, 8)
    assert per_100k[peak] * inc.population / 100_000 == pytest.approx(32_650)
    # the Ministry of Health's rules by date: F0 7 days; F1 7 days, 5 from 21 Feb 2022
    # (Official Dispatch 762/BYT-DP); F1 on site work under a daily test, F1 at home quarantine
    rules = {setup.calendar_date(d): r for d, r in enumerate(setup.day_rules)}
    assert rules[date(2022, 2, 20)].f1_quarantine_days == 7
    assert rules[date(2022, 2, 21)].f1_quarantine_days == 5
    assert all(r.f0_isolation_days == 7 for r in rules.values())
    assert all(r.f1_quarantine_home and not r.f1_quarantine_on_site for r in rules.values())
    # drivers and technicians on site, as the 2022 reporting says
    assert setup.workforce.onsite_roles == {Role.DRIVER, Role.TECHNICIAN}


def test_no_trip_stopped_for_want_of_drivers_in_early_2022() -> None:
    """Reported: no trip stopped. Expected: cohorts of 30 drivers on site for 18 duties a day
    (each works about 4 days a week) whose F1s keep working under a daily test are never short,
    so no trip is cancelled for want of a driver in any run, and the median run has no
    crew-caused cancellation at all. What remains is the control centre's risk (controllers
    lived at home: an F1 quarantine of a controllers' crew, a 90-minute call-in)."""
    reps = runs("backtest-2022")
    crew = [total(rows, "cancelled.crew") for rows in reps]
    assert statistics.median(crew) == 0, crew
    for rows in reps:
        assert total(rows, "cancelled.no_driver") == 0
        assert min(r["staff.driver.available"] for r in rows) >= DUTIES_2022
        for r in rows:  # the causes add up
            assert r["cancelled.crew"] + r["cancelled.fleet"] == r["trips_cancelled"]
            assert (
                r["cancelled.by_plan_crew"] + r["cancelled.by_plan_fleet"]
                == (r["cancelled.by_plan"])
            )
    # train faults still cost a few trips (an 800 h MTBF): apart from the crew's
    assert statistics.median(total(rows, "cancelled.fleet") for rows in reps) > 0


def _control_centre_cut(r: dict[str, float]) -> bool:
    """A day whose plan was cut for crew while drivers and trains were there: the control
    centre (the plan's only other crew constraint) could not be staffed."""
    return (
        r["cancelled.by_plan_crew"] > 0
        and r["staff.driver.available"] >= DUTIES_2022
        and r["trains.ready"] >= 6
    )


def test_cases_doubling_every_4_days_stop_trips_through_the_control_centre() -> None:
    """Counterfactual: cases double every 4 days to 3x Hanoi's peak (1,176 per 100k a day by
    day ~19). Expected: drivers still suffice (on site, F1 at work under testing), but the
    control centre, whose controllers live at home and quarantine as F1, runs out of certified
    power and chief controllers (6 each on the roster, 3 shifts a day) within about a week of
    the peak: whole days are cut in the plan with drivers and trains there, from about day 24
    (early March)."""
    reps = runs("backtest-2022-doubling-4d")
    lost = [next((d for d, r in enumerate(rows) if r["cancelled.crew"] > 0), None) for rows in reps]
    hit = [d for d in lost if d is not None]
    assert len(hit) >= 0.75 * REPS, lost
    assert 18 <= statistics.median(hit) <= 32, hit
    cut_days = [r for rows in reps for r in rows if r["cancelled.by_plan_crew"] > 0]
    assert cut_days, "no day cut in the plan: the counterfactual tests nothing"
    assert all(_control_centre_cut(r) for r in cut_days)
    for rows in reps:
        assert min(r["staff.driver.available"] for r in rows) >= DUTIES_2022
    # and far more lost than in the back-test
    mean_crew = statistics.mean(total(rows, "cancelled.crew") for rows in reps)
    base = statistics.mean(total(rows, "cancelled.crew") for rows in runs("backtest-2022"))
    assert mean_crew > 5 * base + 100


def test_without_living_on_site_f1_quarantine_sends_drivers_home_mid_shift() -> None:
    """Counterfactual: nobody lives on site, so every F1 quarantines at home (7 days, 5 from
    21 Feb) and a case found at sign-on takes traced members of its shift team of 10 off the
    cabs at once. Expected: at 18 duties a day from 60 drivers even the worst day leaves at
    least 18 drivers, so few trips are lost; but now trips are lost for want of a driver —
    the ones leaving before a spare or a call-in (90 min) replaces a driver sent home as F1 —
    which never happens with the F1s on site at work under testing."""
    reps = runs("backtest-2022-no-on-site")
    assert statistics.median(total(rows, "cancelled.crew") for rows in reps) <= 5
    worst = [min(r["staff.driver.available"] for r in rows) for rows in reps]
    assert min(worst) >= DUTIES_2022, worst
    assert statistics.median(worst) <= 45, worst  # 15+ of 60 drivers away on the worst day
    no_driver = [total(rows, "cancelled.no_driver") for rows in reps]
    assert sum(1 for n in no_driver if n > 0) >= 2, no_driver
    assert all(total(rows, "cancelled.no_driver") == 0 for rows in runs("backtest-2022"))
    for rows in reps:  # any plan cut is the control centre's, not the drivers'
        assert all(_control_centre_cut(r) for r in rows if r["cancelled.by_plan_crew"] > 0)


def test_an_outbreak_in_the_cohort_on_site_is_absorbed_by_the_cohort() -> None:
    """Counterfactual: two drivers of the cohort on site are infected on day 3. Expected: their
    contacts keep working under a daily test, the cases found isolate 7 days; a cohort of 30
    has 12 drivers to spare over 18 duties, so drivers are never short and no trip is cancelled
    for want of a driver; the outbreak shows as more cases than the back-test's."""
    reps = runs("backtest-2022-cohort-outbreak")
    base = runs("backtest-2022")
    for rows in reps:
        assert total(rows, "cancelled.no_driver") == 0
        assert min(r["staff.driver.available"] for r in rows) >= DUTIES_2022
    cases = statistics.mean(total(rows, "health.cases") for rows in reps)
    assert cases > statistics.mean(total(rows, "health.cases") for rows in base)
