"""The crew store over SQLite and PostgreSQL: every test taking ``store`` runs on both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from crew import (
    ContactGroup,
    CrewPolicy,
    Discipline,
    GroupKind,
    Qualification,
    QualKind,
    Role,
    Roster,
    Staff,
)
from crew.store import CrewStore

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[CrewStore]:
    async with CrewStore(db_url, policy=CrewPolicy()) as s:
        yield s


def driver(sid: str, name: str = "Nguyễn Văn An") -> Staff:
    until = date(2030, 1, 1)
    return Staff(
        id=sid,
        name=name,
        role=Role.DRIVER,
        line_id="2a",
        qualifications=(
            Qualification(kind=QualKind.LINE_LICENCE, scope="2a", valid_until=until),
            Qualification(kind=QualKind.ROUTE_KNOWLEDGE, scope="2a", valid_until=until),
            Qualification(kind=QualKind.ROLLING_STOCK, scope="CRRC-4car", valid_until=until),
        ),
    )


def technician(sid: str) -> Staff:
    return Staff(id=sid, name="Trần Thị Lan", role=Role.TECHNICIAN, discipline=Discipline.POWER)


def small_roster() -> Roster:
    """Four drivers and a technician; D1–D3 share a team, D1 and K1 a dormitory room."""
    staff = (driver("D1"), driver("D2"), driver("D3"), driver("D4"), technician("K1"))
    groups = (
        ContactGroup(id="T-A", kind=GroupKind.SHIFT_TEAM, name="Tổ A", members=("D1", "D2", "D3")),
        ContactGroup(
            id="R101", kind=GroupKind.DORMITORY_ROOM, name="Phòng 101", members=("D1", "K1")
        ),
    )
    return Roster(staff=staff, groups=groups)
