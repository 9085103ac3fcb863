"""Coverage on small rosters whose answer is computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from crew import (
    Cohort,
    CrewPolicy,
    DutyKind,
    F1Mode,
    HoursLedger,
    Reason,
    Roster,
    SolverSettings,
    State,
    WorkingTimeBasis,
    WorkRecord,
    clearance,
    policy_preset,
    solve_coverage,
)
from line.catalogue import render
from tests.crew.builders import DAY, POLICY, at, driver, duties, early, event, f0, late, swab

D1, D2, D3 = "D001", "D002", "D003"


def roster(*ids: str, **kw: Any) -> Roster:
    return Roster(staff=tuple(driver(i, **kw) for i in ids))


def swabbed(*ids: str, day: date = DAY, hhmm: str = "04:00") -> list:  # type: ignore[type-arg]
    return [swab(i, at(day, hhmm)) for i in ids]


def covered(plan, day: date = DAY) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(a.staff_id for d in plan.days if d.service_date == day for a in d.assignments)


def test_three_drivers_two_duties_are_covered() -> None:
    plan = solve_coverage(
        roster(D1, D2, D3),
        POLICY.history(tests=swabbed(D1, D2, D3)),
        [],
        duties(early(DAY, 2)),
        POLICY,
        as_of=at(DAY, "05:00"),
    )
    (day,) = plan.days
    assert len(day.assignments) == 2 and day.shortfalls == () and day.staffable
    assert plan.first_unstaffable is None
    assert all(not a.test_pending and a.overtime_min == 0 for a in day.assignments)


def test_an_f0_and_a_missing_test_each_remove_one() -> None:
    history = POLICY.history([f0(D1, at(DAY - timedelta(days=2), "09:00"))], swabbed(D1, D3))
    plan = solve_coverage(
        roster(D1, D2, D3), history, [], duties(early(DAY, 2)), POLICY, as_of=at(DAY, "05:00")
    )
    assert covered(plan) == [D3]
    (short,) = plan.days[0].shortfalls
    assert (short.kind, short.role.value, short.missing, short.essential) == (
        DutyKind.TRAIN,
        "driver",
        1,
        True,
    )
    assert plan.first_unstaffable == DAY
    # and the reasons are the ones a crew manager must see
    ledger = HoursLedger(POLICY)
    req = early(DAY)
    kw = dict(
        roster=roster(D1, D2, D3),
        history=history,
        ledger=ledger,
        policy=POLICY,
        as_of=at(DAY, "05:00"),
    )
    assert clearance(driver(D1), req.spec, req.start, req.end, **kw).reasons == {Reason.STATUS}  # type: ignore[arg-type]
    assert clearance(driver(D2), req.spec, req.start, req.end, **kw).reasons == {  # type: ignore[arg-type]
        Reason.TEST_MISSING
    }


def test_rest_rule_blocks_a_late_to_early_turnaround() -> None:
    yesterday = DAY - timedelta(days=1)
    worked = [WorkRecord(D1, at(yesterday, "13:30"), at(yesterday, "22:30"))]
    plan = solve_coverage(
        roster(D1, D2),
        POLICY.history(tests=swabbed(D1, D2)),
        worked,
        duties(early(DAY, 2)),
        POLICY,
        as_of=at(DAY, "05:00"),
    )
    assert covered(plan) == [D2]  # 22:30 → 05:00 is 6.5 h of rest, under 12 h
    # the same driver can work the late shift again (15 h of rest)
    plan = solve_coverage(
        roster(D1),
        POLICY.history(tests=swabbed(D1, hhmm="12:00")),
        worked,
        duties(late(DAY)),
        POLICY,
        as_of=at(DAY, "13:30"),
    )
    assert covered(plan) == [D1]


def test_rest_rolls_forward_from_one_planned_day_to_the_next() -> None:
    nxt = DAY + timedelta(days=1)
    plan = solve_coverage(
        roster(D1),
        POLICY.history(),
        [],
        duties(late(DAY), early(nxt), late(nxt)),
        POLICY,
        as_of=at(DAY - timedelta(days=1), "12:00"),  # everything in the future: tests pending
    )
    got = [(a.service_date, a.shift_id) for a in plan.assignments]
    assert got == [(DAY, "late"), (nxt, "late")]
    assert all(a.test_pending for a in plan.assignments)
    assert plan.first_unstaffable == nxt


def test_an_expired_licence_blocks_the_driver() -> None:
    r = Roster(staff=(driver(D1, until=DAY - timedelta(days=1)), driver(D2)))
    plan = solve_coverage(
        r,
        POLICY.history(tests=swabbed(D1, D2)),
        [],
        duties(early(DAY, 2)),
        POLICY,
        as_of=at(DAY, "05:00"),
    )
    assert covered(plan) == [D2]
    c = clearance(
        r.person(D1),
        early(DAY).spec,
        at(DAY, "05:00"),
        at(DAY, "13:30"),
        roster=r,
        history=POLICY.history(tests=swabbed(D1)),
        ledger=HoursLedger(POLICY),
        policy=POLICY,
        as_of=at(DAY, "05:00"),
    )
    assert c.reasons == {Reason.QUALIFICATION}
    text = c.problems[0].text
    assert text.code == "crew.problem.qualification_expired"
    assert render(text, "en") == "line licence 2a: expired 2026-03-03"
    assert render(text, "vi") == "giấy phép lái tàu tuyến 2a hết hạn 2026-03-03"


def test_pending_tests_count_only_for_shifts_not_yet_started() -> None:
    before = at(DAY - timedelta(days=1), "20:00")
    plan = solve_coverage(
        roster(D1), POLICY.history(), [], duties(early(DAY)), POLICY, as_of=before
    )
    (a,) = plan.assignments
    assert a.test_pending
    strict = POLICY.model_copy(update={"plan_pending_tests_negative": False})
    plan = solve_coverage(
        roster(D1), strict.history(), [], duties(early(DAY)), strict, as_of=before
    )
    assert plan.assignments == ()
    # a positive result bars the person even while their next test is still to come
    history = POLICY.history(tests=[swab(D1, at(DAY - timedelta(days=1), "10:00"), positive=True)])
    plan = solve_coverage(roster(D1), history, [], duties(early(DAY)), POLICY, as_of=before)
    assert plan.assignments == ()


def test_f1_quarantines_or_works_under_daily_testing_by_policy() -> None:
    contact = event(
        D1, State.F1_QUARANTINE, at(DAY - timedelta(days=1)), at(DAY + timedelta(days=6))
    )

    def plan(policy: CrewPolicy, tests: list[Any]) -> list[str]:
        history = policy.history([contact], tests)
        p = solve_coverage(
            roster(D1), history, [], duties(early(DAY)), policy, as_of=at(DAY, "05:00")
        )
        return covered(p)

    assert plan(POLICY, swabbed(D1)) == []  # quarantined
    on_site = policy_preset("f1-on-site")
    assert on_site.f1_mode is F1Mode.WORK_UNDER_TESTING
    assert plan(on_site, swabbed(D1)) == [D1]
    # an F1's test must be within the F1 window: here 6 h before the shift, window 4 h
    strict = on_site.model_copy(update={"test_before_shift": False, "f1_test_window_h": 4})
    assert plan(strict, [swab(D1, at(DAY - timedelta(days=1), "23:00"))]) == []
    assert plan(strict, [swab(D1, at(DAY, "02:00"))]) == [D1]


def test_f0_returns_only_after_a_negative_test() -> None:
    case = f0(D1, at(DAY - timedelta(days=7), "00:00"))  # isolation over at DAY 00:00
    plan = solve_coverage(
        roster(D1), POLICY.history([case]), [], duties(early(DAY)), POLICY, as_of=at(DAY, "05:00")
    )
    assert plan.assignments == ()
    released = POLICY.history([case], swabbed(D1))
    assert released.state_at(D1, at(DAY, "05:00")) is State.AVAILABLE
    plan = solve_coverage(
        roster(D1), released, [], duties(early(DAY)), POLICY, as_of=at(DAY, "05:00")
    )
    assert covered(plan) == [D1]
    # planned ahead, the release test is still to come: assignable, flagged pending
    plan = solve_coverage(
        roster(D1),
        POLICY.history([case]),
        [],
        duties(early(DAY)),
        POLICY,
        as_of=at(DAY - timedelta(days=2)),
    )
    assert [a.test_pending for a in plan.assignments] == [True]


def test_overtime_is_avoided_when_someone_else_can_work() -> None:
    saturday = date(2026, 3, 7)
    week = [
        WorkRecord(D1, at(d, "13:30"), at(d, "22:30"))
        for d in (saturday - timedelta(days=k) for k in range(5, 0, -1))
    ]  # Mon–Fri 9 h = 45 h
    r = roster(D1, D2)
    plan = solve_coverage(
        r, POLICY.history(), week, duties(late(saturday)), POLICY, as_of=at(saturday)
    )
    assert covered(plan, saturday) == [D2]
    # alone, D1 works it: 54 h in the week, 6 h beyond the 48 h normal week
    plan = solve_coverage(
        roster(D1), POLICY.history(), week, duties(late(saturday)), POLICY, as_of=at(saturday)
    )
    (a,) = plan.assignments
    assert a.overtime_min == 6 * 60
    (use,) = plan.overtime
    assert (use.staff_id, use.planned_h, use.month_h, use.month_limit_h, use.year_limit_h) == (
        D1,
        6.0,
        6.0,
        40,
        200,
    )


def _forty_hours_of_overtime(sid: str) -> list[WorkRecord]:
    """Ten 12-hour days in March (daily basis: 4 h overtime each) = 40 h."""
    days = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
    return [WorkRecord(sid, at(d, "06:00"), at(d, "18:00")) for d in days]


def test_monthly_overtime_limit_and_the_2022_raise() -> None:
    daily = POLICY.model_copy(update={"working_time_basis": WorkingTimeBasis.DAILY})
    friday = date(2026, 3, 20)
    work = _forty_hours_of_overtime(D1)
    assert HoursLedger(daily, work).month_overtime_min(D1, 2026, 3) == 40 * 60
    req = early(friday)  # 8.5 h: 0.5 h beyond the 8 h day
    plan = solve_coverage(roster(D1), daily.history(), work, duties(req), daily, as_of=at(friday))
    assert plan.assignments == ()  # 40.5 h > 40 h (Labour Code Art. 107(2)(b))
    raised = policy_preset("resolution-17-2022").model_copy(
        update={"working_time_basis": WorkingTimeBasis.DAILY}
    )
    assert (raised.overtime_month_h, raised.overtime_year_h) == (60, 300)
    plan = solve_coverage(roster(D1), raised.history(), work, duties(req), raised, as_of=at(friday))
    assert [a.overtime_min for a in plan.assignments] == [30]
    # someone Resolution 17 excludes keeps the standard 40 h
    r = Roster(staff=(driver(D1, extended_overtime_allowed=False),))
    plan = solve_coverage(r, raised.history(), work, duties(req), raised, as_of=at(friday))
    assert plan.assignments == ()


def test_no_overtime_for_staff_who_may_not_work_it() -> None:
    daily = POLICY.model_copy(update={"working_time_basis": WorkingTimeBasis.DAILY})
    r = Roster(staff=(driver(D1, overtime_allowed=False), driver(D2)))
    plan = solve_coverage(r, daily.history(), [], duties(late(DAY, 2)), daily, as_of=at(DAY))
    assert covered(plan) == [D2]  # a 9 h shift is 1 h of overtime on the 8 h day


def test_seven_days_in_a_row_are_not_allowed() -> None:
    sunday = date(2026, 3, 8)
    mon_to_sat = [sunday - timedelta(days=k) for k in range(6, 0, -1)]
    week = [WorkRecord(D1, at(d, "05:00"), at(d, "13:00")) for d in mon_to_sat]
    plan = solve_coverage(
        roster(D1), POLICY.history(), week, duties(early(sunday)), POLICY, as_of=at(sunday)
    )
    assert plan.assignments == ()
    monday = sunday + timedelta(days=1)  # a new week
    plan = solve_coverage(
        roster(D1), POLICY.history(), week, duties(early(monday)), POLICY, as_of=at(sunday)
    )
    assert covered(plan, monday) == [D1]


def test_booked_work_covers_its_requirement() -> None:
    req = early(DAY, 2)
    booked = [WorkRecord(D1, req.start, req.end, req.id)]
    plan = solve_coverage(
        roster(D1, D2, D3),
        POLICY.history(tests=swabbed(D1, D2, D3)),
        booked,
        duties(req),
        POLICY,
        as_of=at(DAY, "06:00"),
    )
    got = sorted((a.staff_id, a.booked) for a in plan.assignments)
    assert len(got) == 2 and (D1, True) in got
    assert plan.work_records() == tuple(
        WorkRecord(a.staff_id, a.start, a.end, a.requirement_id)
        for a in plan.assignments
        if not a.booked
    )


def test_train_slots_come_before_spare_drivers() -> None:
    train = early(DAY, 1)
    spare = early(DAY, 2, kind=DutyKind.SPARE, priority=1)
    plan = solve_coverage(
        roster(D1, D2), POLICY.history(), [], duties(train, spare), POLICY, as_of=at(DAY)
    )
    kinds = sorted(a.kind.value for a in plan.assignments)
    assert kinds == ["spare", "train"]
    assert plan.first_unstaffable is None  # a missing spare does not stop the timetable
    assert [s.kind for s in plan.days[0].shortfalls] == [DutyKind.SPARE]


def test_a_shortage_is_spread_over_the_shifts() -> None:
    ids = [f"D{i:03d}" for i in range(1, 9)]
    plan = solve_coverage(
        roster(*ids),
        POLICY.history(),
        [],
        duties(early(DAY, 9), late(DAY, 9)),
        POLICY,
        as_of=at(DAY),
    )
    day = plan.days[0]
    assert day.drivers_on_trains("2a", "early") == 4
    assert day.drivers_on_trains("2a", "late") == 4


def test_the_same_input_gives_the_same_plan() -> None:
    ids = [f"D{i:03d}" for i in range(1, 13)]
    reqs = [
        r
        for k in range(3)
        for r in (early(DAY + timedelta(days=k), 4), late(DAY + timedelta(days=k), 4))
    ]
    runs = [
        solve_coverage(
            roster(*ids),
            POLICY.history(),
            [],
            duties(*reqs),
            POLICY,
            as_of=at(DAY),
            solver=SolverSettings(seed=3),
        )
        for _ in range(2)
    ]
    assert runs[0].assignments == runs[1].assignments
    assert len(runs[0].assignments) == 24


def test_onsite_rule_needs_an_active_cohort() -> None:
    policy = POLICY.model_copy(update={"onsite_required_roles": frozenset({driver(D1).role})})
    cohort = Cohort(
        id="3OS-A",
        name="A",
        members=(D1,),
        start=at(DAY - timedelta(days=3)),
        planned_end=at(DAY + timedelta(days=11)),
        beds_available=10,
    )
    r = Roster(staff=(driver(D1), driver(D2)), cohorts=(cohort,))
    plan = solve_coverage(r, policy.history(), [], duties(early(DAY, 2)), policy, as_of=at(DAY))
    assert covered(plan) == [D1]


@pytest.mark.parametrize("basis", list(WorkingTimeBasis))
def test_a_12_hour_day_is_the_ceiling(basis: WorkingTimeBasis) -> None:
    policy = CrewPolicy(working_time_basis=basis)
    long = replace(early(DAY), end=at(DAY, "17:30"))  # 12.5 h
    plan = solve_coverage(roster(D1), policy.history(), [], duties(long), policy, as_of=at(DAY))
    assert plan.assignments == ()
    assert policy.max_hours_per_day == 12


def test_yearly_overtime_limit() -> None:
    """50 twelve-hour weekdays from 5 January (daily basis: 4 h overtime each) = 200 h."""
    days = [date(2026, 1, 5) + timedelta(days=k) for k in range(70)]
    work = [WorkRecord(D1, at(d, "06:00"), at(d, "18:00")) for d in days if d.weekday() < 5][:50]
    policy = CrewPolicy(working_time_basis=WorkingTimeBasis.DAILY, overtime_month_h=60)
    friday = date(2026, 3, 20)
    assert HoursLedger(policy, work).year_overtime_min(D1, 2026) == 200 * 60
    ledger = HoursLedger(policy, work)
    req = early(friday)  # 0.5 h of overtime
    c = clearance(
        driver(D1),
        req.spec,
        req.start,
        req.end,
        roster=roster(D1),
        history=policy.history(),
        ledger=ledger,
        policy=policy,
        as_of=at(friday),
    )
    assert c.reasons == {Reason.OVERTIME_YEAR}
    sector = policy.model_copy(update={"overtime_year_h": 300})  # Art. 107(3)
    plan = solve_coverage(roster(D1), sector.history(), work, duties(req), sector, as_of=at(friday))
    assert [a.overtime_min for a in plan.assignments] == [30]


def test_judged_mid_shift_a_test_taken_since_the_start_counts() -> None:
    """A driver at the cab an hour into the shift, swabbed negative after its start, is
    cleared; a positive swab taken since the start bars them; a later one never counts."""
    req = early(DAY)
    mid = req.start + timedelta(hours=2)
    since_start = req.start + timedelta(hours=1)

    def reasons(tests: list, as_of: datetime) -> set[Reason]:  # type: ignore[type-arg]
        return clearance(
            driver(D1),
            req.spec,
            req.start,
            req.end,
            roster=roster(D1),
            history=POLICY.history(tests=tests),
            ledger=HoursLedger(POLICY),
            policy=POLICY,
            as_of=as_of,
        ).reasons

    assert reasons([swab(D1, since_start)], mid) == set()
    assert reasons([swab(D1, since_start, positive=True)], mid) == {Reason.TEST_POSITIVE}
    # before the shift, or judged before that swab was taken, it is not evidence yet
    strict = POLICY.model_copy(update={"plan_pending_tests_negative": False})
    assert clearance(
        driver(D1), req.spec, req.start, req.end, roster=roster(D1),
        history=strict.history(tests=[swab(D1, since_start)]), ledger=HoursLedger(strict),
        policy=strict, as_of=req.start - timedelta(hours=1),
    ).reasons == {Reason.TEST_MISSING}  # fmt: skip
    assert reasons([swab(D1, mid + timedelta(minutes=30))], mid) == {Reason.TEST_MISSING}
