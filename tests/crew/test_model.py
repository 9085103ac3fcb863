"""Record validation."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from crew import ContactGroup, Discipline, GroupKind, Qualification, QualKind, Role, Roster, Staff
from tests.crew.builders import driver


def test_technicians_and_only_technicians_have_a_discipline() -> None:
    Staff(id="K107", name="k", role=Role.TECHNICIAN, discipline=Discipline.POWER)
    with pytest.raises(ValidationError, match="discipline"):
        Staff(id="K108", name="k", role=Role.TECHNICIAN)
    with pytest.raises(ValidationError, match="discipline"):
        Staff(id="D1", name="d", role=Role.DRIVER, discipline=Discipline.POWER)
    with pytest.raises(ValidationError):
        Staff(id="bad id!", name="d", role=Role.DRIVER)


def test_qualification_dates_are_inclusive() -> None:
    q = Qualification(
        kind=QualKind.LINE_LICENCE,
        scope="2a",
        valid_until=date(2026, 3, 4),
        valid_from=date(2025, 3, 5),
    )
    assert q.valid_on(date(2026, 3, 4)) and q.valid_on(date(2025, 3, 5))
    assert not q.valid_on(date(2026, 3, 5)) and not q.valid_on(date(2025, 3, 4))


def test_roster_references_must_resolve() -> None:
    g = ContactGroup(id="T", kind=GroupKind.SHIFT_TEAM, name="t", members=("D1", "D9"))
    with pytest.raises(ValidationError, match="unknown staff"):
        Roster(staff=(driver("D1"),), groups=(g,))
    with pytest.raises(ValidationError, match="unique"):
        Roster(staff=(driver("D1"), driver("D1")))
    with pytest.raises(ValidationError, match="unique"):
        ContactGroup(id="T", kind=GroupKind.SHIFT_TEAM, name="t", members=("D1", "D1"))
    r = Roster(staff=(driver("D1"),))
    with pytest.raises(KeyError, match="D2"):
        r.person("D2")


def test_records_round_trip_through_json() -> None:
    r = Roster(
        staff=(driver("D1"), driver("D2")),
        groups=(ContactGroup(id="T", kind=GroupKind.SHIFT_TEAM, name="t", members=("D2", "D1")),),
    )
    assert Roster.model_validate_json(r.model_dump_json()) == r
    assert r.groups[0].members == ("D1", "D2")
