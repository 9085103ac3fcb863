"""The synthetic Line 2A roster."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from crew import (
    Discipline,
    GroupKind,
    QualKind,
    Role,
    cohort_problems,
    merge_rosters,
    synthetic_roster,
)
from tests.crew.builders import POLICY, at

REF = date(2026, 1, 1)


def test_line_2a_sizes_match_the_published_figures() -> None:
    r = synthetic_roster(1)
    drivers = [s for s in r.staff if s.role is Role.DRIVER]
    assert sum(not s.substitute for s in drivers) == 46  # main drivers
    rolling = [s for s in r.staff if s.discipline is Discipline.ROLLING_STOCK]
    assert len(drivers) + len(rolling) == 86  # the driving department
    by_disc = Counter(s.discipline for s in r.staff if s.role is Role.TECHNICIAN)
    assert set(by_disc) == set(Discipline) and all(n >= 10 for n in by_disc.values())
    assert sum(s.role is Role.OCC_OPERATOR for s in r.staff) == 30
    assert [s.id for s in drivers[:2]] == ["D001", "D002"]
    assert {s.id[0] for s in r.staff} == {"D", "K", "C"}


def test_groups_and_a_few_qualifications_near_expiry() -> None:
    r = synthetic_roster(1, reference=REF)
    kinds = Counter(g.kind for g in r.groups)
    assert kinds[GroupKind.SHIFT_TEAM] >= 6 + 5 and kinds[GroupKind.DORMITORY_ROOM] >= 10
    rooms = [g for g in r.groups if g.kind is GroupKind.DORMITORY_ROOM]
    assert all(len(g.members) <= 4 for g in rooms)
    teams = [g for g in r.groups if g.kind is GroupKind.SHIFT_TEAM]
    on_a_team = [m for g in teams for m in g.members]
    assert sorted(on_a_team) == sorted(s.id for s in r.staff)  # everyone on exactly one team
    soon = [
        (s.id, q.kind)
        for s in r.staff
        for q in s.qualifications
        if REF <= q.valid_until <= REF + timedelta(days=21)
    ]
    assert 3 <= len(soon) <= 5
    drivers = [s for s in r.staff if s.role is Role.DRIVER]
    assert all(
        s.qualified(k, sc, REF)
        for s in drivers
        for k, sc in (
            (QualKind.LINE_LICENCE, "2a"),
            (QualKind.ROUTE_KNOWLEDGE, "2a"),
            (QualKind.ROLLING_STOCK, "CRRC-4car"),
        )
    )


def test_a_seed_always_gives_the_same_roster() -> None:
    assert synthetic_roster(7) == synthetic_roster(7)
    assert synthetic_roster(7) != synthetic_roster(8)


def test_cohorts_and_merging() -> None:
    start = at(REF)
    r = synthetic_roster(1, cohort_start=start)
    a, b = r.cohorts
    assert b.start == a.planned_end == start + timedelta(days=14)
    assert len(a.members) + len(b.members) == 86 and len(a.members) <= a.beds_available
    assert cohort_problems(r, POLICY) == []
    two = merge_rosters(r, synthetic_roster(2, line_id="3", id_prefix="L3-"))
    assert len(two.staff) == 2 * len(r.staff)
    assert two.person("L3-D001").line_id == "3"
