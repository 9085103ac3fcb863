"""Hours and overtime bookkeeping (Labour Code 2019 Art. 105, 107, 110)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crew import HoursLedger, WorkingTimeBasis, WorkRecord
from tests.crew.builders import POLICY, at

MON = date(2026, 3, 2)
D1 = "D001"
DAILY = POLICY.model_copy(update={"working_time_basis": WorkingTimeBasis.DAILY})


def shift(day: date, a: str, b: str) -> WorkRecord:
    end_day = day if b > a else day + timedelta(days=1)
    return WorkRecord(D1, at(day, a), at(end_day, b))


def test_daily_basis_counts_hours_beyond_8_a_day() -> None:
    led = HoursLedger(
        DAILY, [shift(MON, "05:00", "13:30"), shift(MON + timedelta(1), "13:30", "22:30")]
    )
    assert [e.overtime_min for e in led.entries(D1)] == [30, 60]
    assert led.month_overtime_min(D1, 2026, 3) == 90 and led.year_overtime_min(D1, 2026) == 90


def test_weekly_basis_counts_the_week_beyond_48_hours_on_the_shift_that_passes_it() -> None:
    week = [shift(MON + timedelta(days=k), "13:30", "22:30") for k in range(6)]  # 6 × 9 h
    led = HoursLedger(POLICY, week)
    assert [e.overtime_min for e in led.entries(D1)] == [0, 0, 0, 0, 0, 6 * 60]
    assert led.days_worked_in_week(D1, MON) == 6
    # a 11 h day on the weekly basis: 1 h beyond the 10 h day
    assert led.overtime_if(D1, MON + timedelta(days=7), 11 * 60) == 60


def test_weekly_overtime_is_booked_in_the_month_of_the_shift() -> None:
    # ISO week 2026-W27: Mon 29 Jun … Sun 5 Jul; the 6th 9 h day falls in July
    mon = date(2026, 6, 29)
    led = HoursLedger(POLICY, [shift(mon + timedelta(days=k), "13:30", "22:30") for k in range(6)])
    assert led.month_overtime_min(D1, 2026, 6) == 0
    assert led.month_overtime_min(D1, 2026, 7) == 6 * 60


def test_a_night_shift_belongs_to_the_day_it_starts_and_rest_is_measured_both_ways() -> None:
    night = shift(MON, "22:00", "06:00")
    led = HoursLedger(POLICY, [night])
    assert led.day_minutes(D1, MON) == 8 * 60 and led.day_minutes(D1, MON + timedelta(1)) == 0
    rest = timedelta(hours=12)
    tue = MON + timedelta(days=1)
    assert led.rest_conflict(D1, at(tue, "13:30"), at(tue, "22:30"), rest) == night  # 7.5 h
    assert led.rest_conflict(D1, at(tue, "18:00"), at(tue, "23:00"), rest) is None  # 12 h
    # a shift *before* a booked one needs the rest too
    assert led.rest_conflict(D1, at(MON, "05:00"), at(MON, "13:30"), rest) == night  # 8.5 h
    assert led.rest_conflict(D1, at(MON, "00:00"), at(MON, "10:00"), rest) is None  # 12 h
    assert led.rest_conflict(D1, at(MON, "23:00"), at(tue, "03:00"), rest) == night  # overlap


def test_work_records_are_shifts() -> None:
    with pytest.raises(ValueError, match="after it starts"):
        WorkRecord(D1, at(MON, "10:00"), at(MON, "09:00"))
    with pytest.raises(ValueError, match="24 h"):
        WorkRecord(D1, at(MON), at(MON + timedelta(days=2)))
