"""The policy object, contact tracing and cohort rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from crew import (
    PRESETS,
    Cohort,
    ContactGroup,
    CrewPolicy,
    F1Mode,
    GroupKind,
    Roster,
    State,
    WorkingTimeBasis,
    cohort_problems,
    declare_f0,
    plan_cohort,
    policy_preset,
)
from line.catalogue import render
from tests.crew.builders import DAY, POLICY, at, driver, f0

T = at(DAY, "09:00")


def test_defaults_are_the_labour_code_and_hanoi_2021() -> None:
    p = CrewPolicy()
    assert (p.f0_isolation_days, p.f1_quarantine_days, p.f1_mode) == (7, 7, F1Mode.QUARANTINE)
    assert (p.test_window_h, p.min_rest_between_shifts_h, p.cohort_days) == (24, 12, 14)
    assert (p.normal_hours_per_day, p.normal_hours_per_week) == (8, 48)
    assert (p.overtime_month_h, p.overtime_year_h, p.max_hours_per_day) == (40, 200, 12)
    assert p.tz.utcoffset(None) == timedelta(hours=7)
    daily = p.model_copy(update={"working_time_basis": WorkingTimeBasis.DAILY})
    assert (daily.normal_daily_hours, daily.max_hours_per_day) == (8, 12)  # 8 + 50 %
    assert (p.normal_daily_hours, p.max_hours_per_day) == (10, 12)  # weekly basis


def test_presets() -> None:
    assert set(PRESETS) == {"hanoi-2021", "labour-code-300h", "resolution-17-2022", "f1-on-site"}
    assert policy_preset("labour-code-300h").overtime_year_h == 300
    r17 = policy_preset("resolution-17-2022")
    assert (r17.overtime_month_h, r17.overtime_year_h) == (60, 300)
    assert r17.overtime_limits_h(driver("D1", extended_overtime_allowed=False)) == (40, 200)
    with pytest.raises(KeyError, match="known"):
        policy_preset("nope")
    with pytest.raises(ValidationError, match="frozen"):
        r17.overtime_month_h = 80  # type: ignore[misc]


def _roster() -> Roster:
    staff = tuple(driver(f"D{i}") for i in range(1, 8))
    team, room = GroupKind.SHIFT_TEAM, GroupKind.DORMITORY_ROOM
    groups = (
        ContactGroup(id="T1", kind=team, name="Tổ A", members=("D1", "D2", "D3")),
        ContactGroup(id="R1", kind=room, name="P101", members=("D1", "D3", "D4")),
        ContactGroup(id="T2", kind=team, name="Tổ B", members=("D5", "D6")),
    )
    cohorts = (
        Cohort(
            id="C1",
            name="now",
            members=("D1", "D6"),
            start=T - timedelta(days=2),
            planned_end=T + timedelta(days=12),
            beds_available=4,
        ),
        Cohort(
            id="C2",
            name="later",
            members=("D1", "D7"),
            start=T + timedelta(days=12),
            planned_end=T + timedelta(days=26),
            beds_available=4,
        ),
    )
    return Roster(staff=staff, groups=groups, cohorts=cohorts)


def test_a_new_f0_marks_the_contacts_of_each_group_and_says_why() -> None:
    r = _roster()
    history = POLICY.history([f0("D4", T - timedelta(days=1))])  # D4 is already a case
    trace = declare_f0(r, history, "D1", T, POLICY)
    assert trace.contacts == ("D2", "D3", "D6")  # team T1, room R1 (not D4), cohort C1 (not C2)
    assert sorted((m.staff_id, m.group_id) for m in trace.marks) == [
        ("D2", "T1"),
        ("D3", "R1"),
        ("D3", "T1"),
        ("D6", "C1"),
    ]
    d3 = next(m for m in trace.marks if m.staff_id == "D3" and m.group_id == "R1")
    assert render(d3.reason, "en") == "shares dormitory room R1 (P101) with F0 D1"
    assert render(d3.reason, "vi") == "cùng phòng ký túc xá R1 (P101) với F0 D1"
    assert [(m.staff_id, m.reason.code) for m in trace.not_marked] == [
        ("D4", "crew.trace.already_f0")
    ]
    assert render(trace.not_marked[0].reason, "vi").startswith("đã là F0; cùng")
    assert trace.case_event.state is State.F0_ISOLATION
    assert trace.case_event.until == T + timedelta(days=7)
    assert [(e.staff_id, e.state, e.until) for e in trace.events] == [
        (s, State.F1_QUARANTINE, T + timedelta(days=7)) for s in ("D2", "D3", "D6")
    ]
    assert "R1" in trace.events[1].source and "T1" in trace.events[1].source
    # applied, the history shows it; declaring again changes nothing (same event ids)
    after = history.with_events(trace.case_event, *trace.events)
    assert after.state_at("D3", T) is State.F1_QUARANTINE
    again = declare_f0(r, after, "D1", T, POLICY)
    assert after.with_events(again.case_event, *again.events).events == after.events


def test_which_group_kinds_propagate_is_configurable() -> None:
    only_teams = POLICY.model_copy(update={"trace_group_kinds": frozenset({GroupKind.SHIFT_TEAM})})
    trace = declare_f0(_roster(), POLICY.history(), "D1", T, only_teams)
    assert trace.contacts == ("D2", "D3")


@st.composite
def rosters(draw: st.DrawFn) -> tuple[Roster, set[str], str]:
    n = draw(st.integers(2, 9))
    ids = [f"D{i}" for i in range(n)]
    groups, cohorts = [], []
    for g in range(draw(st.integers(0, 5))):
        members = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=n, unique=True))
        kind = draw(st.sampled_from([GroupKind.SHIFT_TEAM, GroupKind.DORMITORY_ROOM]))
        groups.append(ContactGroup(id=f"G{g}", kind=kind, name=f"g{g}", members=tuple(members)))
    for c in range(draw(st.integers(0, 3))):
        members = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=n, unique=True))
        start = T + timedelta(days=draw(st.integers(-20, 5)))
        cohorts.append(
            Cohort(
                id=f"K{c}",
                name=f"k{c}",
                members=tuple(members),
                start=start,
                planned_end=start + timedelta(days=14),
                beds_available=n,
            )
        )
    cases = set(draw(st.lists(st.sampled_from(ids), max_size=3)))
    case = draw(st.sampled_from(ids))
    r = Roster(staff=tuple(driver(i) for i in ids), groups=tuple(groups), cohorts=tuple(cohorts))
    return r, cases, case


@settings(max_examples=200, deadline=None)
@given(data=rosters(), kinds=st.sets(st.sampled_from(list(GroupKind))))
def test_tracing_marks_exactly_the_right_people(
    data: tuple[Roster, set[str], str], kinds: set[GroupKind]
) -> None:
    roster, cases, case = data
    policy = POLICY.model_copy(update={"trace_group_kinds": frozenset(kinds)})
    history = POLICY.history([f0(c, T - timedelta(days=1)) for c in cases if c != case])
    trace = declare_f0(roster, history, case, T, policy)
    groups = [(g.id, g.kind, g.members) for g in roster.groups] + [
        (c.id, GroupKind.ONSITE_COHORT, c.members)
        for c in roster.cohorts
        if c.start <= T < c.planned_end
    ]
    pairs = {
        (m, gid)
        for gid, kind, members in groups
        if kind in kinds and case in members
        for m in members
        if m != case
    }
    expected = {p for p in pairs if p[0] not in cases}
    assert {(m.staff_id, m.group_id) for m in trace.marks} == expected
    assert {(m.staff_id, m.group_id) for m in trace.not_marked} == pairs - expected
    assert {e.staff_id for e in trace.events} == {p[0] for p in expected}
    assert all(e.state is State.F1_QUARANTINE for e in trace.events)


def test_cohorts_check_beds_length_and_overlap() -> None:
    with pytest.raises(ValidationError, match="only 1 beds"):
        Cohort(
            id="C",
            name="c",
            members=("D1", "D2"),
            start=T,
            planned_end=T + timedelta(days=1),
            beds_available=1,
        )
    ok = plan_cohort("C1", "A", ("D1", "D2"), T, 2, POLICY)
    assert ok.planned_end - ok.start == timedelta(days=14)
    long = Cohort(
        id="C2",
        name="B",
        members=("D2", "D3"),
        start=T + timedelta(days=1),
        planned_end=T + timedelta(days=20),
        beds_available=5,
    )
    r = Roster(staff=tuple(driver(f"D{i}") for i in (1, 2, 3)), cohorts=(ok, long))
    problems = cohort_problems(r, POLICY)
    assert [(p.cohorts, render(p.text, "en")) for p in problems] == [
        (("C2",), "cohort C2 lasts longer than 14 days"),
        (("C1", "C2"), "cohorts C1 and C2 overlap in time and share D2"),
    ]
    assert render(problems[0].text, "vi") == "nhóm C2 dài hơn 14 ngày"
