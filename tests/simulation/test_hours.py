"""The simulation's array ledger keeps the crew module's hours arithmetic exactly.

:class:`crew.HoursLedger` is the reference (by datetime, for the crew screens); the simulation
keeps the same Labour Code arithmetic on lists for speed. Random shifts over a month and a
year boundary (and ISO week 1 of 2026 starting in December) must give the same overtime per
shift, the same days per ISO week and the same monthly and yearly overtime.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest

from crew import CrewPolicy, HoursLedger, WorkRecord, policy_preset
from simulation.hours import Calendar, Ledger


@pytest.mark.parametrize("policy", [CrewPolicy(), policy_preset("resolution-17-2022")])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_array_ledger_matches_the_crew_ledger(policy: CrewPolicy, seed: int) -> None:
    rng = random.Random(seed)
    start = date(2025, 12, 15)  # crosses the new year and ISO week 2026-W01
    tz = policy.tz
    people = 4
    reference = HoursLedger(policy)
    ledger = Ledger(people, policy, Calendar(start))
    t0 = datetime.combine(start, time(0), tzinfo=tz)
    for day in range(45):
        d = start + timedelta(days=day)
        for i in range(people):
            if rng.random() < 0.25:
                continue  # a day off
            hour = rng.randint(4, 14)
            for _ in range(rng.choice((1, 1, 1, 2))):  # now and then a second shift
                length_min = rng.randint(4 * 60, 12 * 60)
                begin = datetime.combine(d, time(hour), tzinfo=tz)
                end = begin + timedelta(minutes=length_min)
                rec = WorkRecord(f"P{i}", begin, end)
                want_if = reference.overtime_if(f"P{i}", d, rec.minutes)
                assert ledger.overtime_if(i, day, rec.minutes) == want_if
                entry = reference.add(rec)
                got = ledger.book(
                    i,
                    day,
                    (begin - t0).total_seconds(),
                    (end - t0).total_seconds(),
                    rec.minutes,
                )
                assert got == entry.overtime_min == want_if, (seed, day, i)
                assert ledger.days_in_week(i, day) == reference.days_worked_in_week(f"P{i}", d)
                assert ledger.month_overtime(i, day) == reference.month_overtime_min(
                    f"P{i}", d.year, d.month
                )
                assert ledger.year_overtime(i, day) == reference.year_overtime_min(f"P{i}", d.year)
                hour = min(23, end.hour + 1) if end.date() == d else 23
    total = sum(ledger.run_ot)
    assert total > 0, "no overtime at all: the comparison tested nothing"
