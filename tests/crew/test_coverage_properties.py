"""Property: coverage never assigns someone the rules exclude, and never breaks a legal limit.

Random small rosters with random cases, contacts, sickness, leave, tests, past work and
policies are covered for two days; every assignment is then re-checked by an oracle written
here from the rules themselves (not by calling crew.eligibility).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crew import (
    CrewPolicy,
    DutyKind,
    F1Mode,
    QualKind,
    Requirement,
    Roster,
    Staff,
    State,
    StatusEvent,
    TestOutcome,
    TestResult,
    WorkingTimeBasis,
    WorkRecord,
    solve_coverage,
)
from tests.crew.builders import DAY, LINE, STOCK, at, driver, duties, early, event, late, swab

H = timedelta(hours=1)


@dataclass
class Scenario:
    roster: Roster
    events: list[StatusEvent]
    tests: list[TestResult]
    work: list[WorkRecord]
    reqs: list[Requirement]
    policy: CrewPolicy
    as_of: datetime


_PATTERNS = [
    None,
    None,
    ("05:00", "13:30"),
    ("13:30", "22:30"),
    ("06:00", "18:00"),
    ("22:00", "06:00"),
]


def _shift(sid: str, day: date, a: str, b: str) -> WorkRecord:
    return WorkRecord(sid, at(day, a), at(day if b > a else day + timedelta(days=1), b))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    policy = CrewPolicy(
        working_time_basis=draw(st.sampled_from(list(WorkingTimeBasis))),
        f1_mode=draw(st.sampled_from(list(F1Mode))),
        test_before_shift=draw(st.booleans()),
        plan_pending_tests_negative=draw(st.booleans()),
        overtime_month_h=draw(st.sampled_from([0, 10, 40, 40])),
        overtime_year_h=draw(st.sampled_from([10, 200, 200])),
    )
    base = draw(
        st.sampled_from([DAY, DAY + timedelta(days=3), DAY + timedelta(days=4)])
    )  # We/Sa/Su
    as_of = at(base) + draw(st.integers(-30, 20)) * H
    ids = [f"D{i}" for i in range(draw(st.integers(1, 6)))]
    staff: list[Staff] = []
    events: list[StatusEvent] = []
    tests: list[TestResult] = []
    work: list[WorkRecord] = []
    # half the scenarios isolate health and tests: no past work, licences valid
    clean = draw(st.booleans())
    for sid in ids:
        staff.append(
            driver(
                sid,
                until=base + timedelta(days=30 if clean else draw(st.integers(-2, 8))),
                overtime_allowed=draw(st.integers(0, 4)) > 0,
                extended_overtime_allowed=draw(st.booleans()),
            )
        )
        # at most one event per state, so no event replaces another; contacts most often
        kinds = (
            [State.F1_QUARANTINE] * 3 + [State.F0_ISOLATION] * 2 + [State.SICK_OTHER, State.LEAVE]
        )
        states = draw(st.lists(st.sampled_from(kinds), max_size=2, unique=True))
        for s in states:
            start = at(base) + draw(st.integers(-24 * 8, 24 * 1)) * H
            events.append(event(sid, s, start, start + draw(st.integers(6, 24 * 8)) * H))
        if draw(st.integers(0, 4)) > 1:  # most people tested recently, negative
            tests.append(swab(sid, as_of - draw(st.integers(0, 10)) * H, tid=f"{sid}-tn"))
        for j in range(draw(st.integers(0, 2))):
            taken = as_of - draw(st.integers(0, 48)) * H
            positive = draw(st.integers(0, 3)) == 0
            tests.append(swab(sid, taken, positive=positive, tid=f"{sid}-t{j}"))
        if clean:
            continue
        busy = draw(st.integers(0, 3)) == 0  # works every day of the last ten, 12 h
        mine: list[WorkRecord] = []
        for k in range(10, 0, -1):
            pat = ("06:00", "18:00") if busy else draw(st.sampled_from(_PATTERNS))
            if pat:
                mine.append(_shift(sid, base - timedelta(days=k), *pat))
        if draw(st.integers(0, 5)) == 0:  # a short duty early on the first day
            mine.append(_shift(sid, base, "00:00", "01:00"))
        for rec in mine:  # past shifts never overlap
            if not any(r.start < rec.end and rec.start < r.end for r in work if r.staff_id == sid):
                work.append(rec)
    reqs = []
    for d in (base, base + timedelta(days=1)):
        for make in (early, late):
            n = draw(st.integers(0, 3))
            if n:
                reqs.append(make(d, n))
            if draw(st.booleans()):
                reqs.append(make(d, 1, kind=DutyKind.SPARE, priority=1))
    return Scenario(Roster(staff=tuple(staff)), events, tests, work, reqs, policy, as_of)


def _overtime(policy: CrewPolicy, records: list[WorkRecord]) -> dict[WorkRecord, int]:
    """Overtime minutes of each record, recomputed from Art. 105/107 in time order."""
    normal_day = round(policy.normal_daily_hours * 60)
    out: dict[WorkRecord, int] = {}
    day_total: dict[date, int] = {}
    week_normal: dict[tuple[int, int], int] = {}
    for r in sorted(records, key=lambda r: r.start):
        d = r.start.astimezone(policy.tz).date()
        m = round((r.end - r.start).total_seconds() / 60)
        before = day_total.get(d, 0)
        excess = max(0, before + m - normal_day) - max(0, before - normal_day)
        day_total[d] = before + m
        wk = d.isocalendar()[:2]
        w = week_normal.get(wk, 0)
        week_normal[wk] = w + m - excess
        limit = round(policy.normal_hours_per_week * 60)
        out[r] = excess + max(0, w + m - excess - limit) - max(0, w - limit)
    return out


def _check(sc: Scenario, p: Staff, rec: WorkRecord, all_work: list[WorkRecord]) -> None:
    pol, s, e = sc.policy, rec.start, rec.end
    day = s.astimezone(pol.tz).date()
    pending_ok = sc.as_of < s and pol.plan_pending_tests_negative
    # judged during the shift, tests taken since its start count up to the judgement
    tb = max(s, min(sc.as_of, e))
    tests = sorted((t for t in sc.tests if t.staff_id == p.id), key=lambda t: t.taken_at)

    def negative_in(a: datetime, b: datetime) -> bool:
        return any(a <= t.taken_at <= b and t.outcome is TestOutcome.NEGATIVE for t in tests)

    # qualified on the day
    for kind, scope in (
        (QualKind.LINE_LICENCE, LINE),
        (QualKind.ROUTE_KNOWLEDGE, LINE),
        (QualKind.ROLLING_STOCK, STOCK),
    ):
        assert p.qualified(kind, scope, day), f"{p.id} unqualified ({kind}) on {day}"
    # status
    for ev in (x for x in sc.events if x.staff_id == p.id):
        assert ev.until is not None
        overlaps = ev.effective < e and s < ev.until
        if ev.state is State.F0_ISOLATION:
            assert not overlaps, f"{p.id} assigned while F0"
            if ev.effective <= s:
                assert negative_in(ev.until - 24 * H, s) or pending_ok, f"{p.id} F0 not released"
        elif ev.state is State.F1_QUARANTINE and overlaps:
            assert pol.f1_mode is F1Mode.WORK_UNDER_TESTING, f"{p.id} assigned while F1"
            assert negative_in(s - pol.f1_test_window_h * H, tb) or pending_ok, "F1 untested"
        elif overlaps:
            raise AssertionError(f"{p.id} assigned during {ev.state}")
    # tests
    if pol.test_before_shift:
        window = [t for t in tests if s - pol.test_window_h * H <= t.taken_at <= tb]
        if window:
            assert window[-1].outcome is TestOutcome.NEGATIVE, f"{p.id} last test positive"
        else:
            assert pending_ok, f"{p.id} untested"
    for t in tests:
        if t.outcome is TestOutcome.POSITIVE and s - timedelta(days=7) < t.taken_at <= tb:
            assert negative_in(t.taken_at + timedelta(microseconds=1), tb), f"{p.id} positive"
    # rest, one shift a day, 12 h a day, 6 days a week
    mine = [r for r in all_work if r.staff_id == p.id and r != rec]
    for r in mine:
        gap_ok = r.end + 12 * H <= s or e + 12 * H <= r.start
        assert gap_ok, f"{p.id} rest under 12 h between {r} and {rec}"
        assert r.start.astimezone(pol.tz).date() != day, f"{p.id} two shifts on {day}"
    assert e - s <= 12 * H
    week = {r.start.astimezone(pol.tz).date() for r in [*mine, rec]}
    assert len({d for d in week if d.isocalendar()[:2] == day.isocalendar()[:2]}) <= 6


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=scenarios())
def test_coverage_never_assigns_an_excluded_person_or_breaks_a_limit(sc: Scenario) -> None:
    history = sc.policy.history(sc.events, sc.tests)
    plan = solve_coverage(sc.roster, history, sc.work, duties(*sc.reqs), sc.policy, as_of=sc.as_of)
    planned = list(plan.work_records())
    all_work = [*sc.work, *planned]
    for day in plan.days:
        for rc in day.requirements:
            assert len(rc.assigned) <= rc.requirement.count
    for rec in planned:
        _check(sc, sc.roster.person(rec.staff_id), rec, all_work)
    # overtime: recomputed independently, within every limit for whoever got some
    for p in sc.roster.staff:
        mine = [r for r in all_work if r.staff_id == p.id]
        ot = _overtime(sc.policy, mine)
        month_h, year_h = sc.policy.overtime_limits_h(p)
        for rec in (r for r in planned if r.staff_id == p.id):
            if ot[rec] == 0:
                continue
            assert p.overtime_allowed, f"{p.id} may not work overtime"
            d = rec.start.astimezone(sc.policy.tz).date()
            month = sum(
                v
                for r, v in ot.items()
                if r.start <= rec.start
                and (
                    r.start.astimezone(sc.policy.tz).date().year,
                    r.start.astimezone(sc.policy.tz).date().month,
                )
                == (d.year, d.month)
            )
            year = sum(
                v
                for r, v in ot.items()
                if r.start <= rec.start and r.start.astimezone(sc.policy.tz).date().year == d.year
            )
            assert month <= round(month_h * 60), f"{p.id} month overtime {month} min"
            assert year <= round(year_h * 60), f"{p.id} year overtime {year} min"
        # and the plan reports the same overtime as the oracle
        for a in plan.assignments:
            if a.staff_id == p.id:
                assert (
                    a.overtime_min == ot[WorkRecord(a.staff_id, a.start, a.end, a.requirement_id)]
                )
