"""Shifts worked are stored once and count in coverage (rest, days a week, overtime)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from crew import CrewPolicy, WorkRecord
from crew.store import CrewStore, IdConflict, NotFound
from crew.store.outlook import stored_outlook
from line import load_line
from tests.crew_store.conftest import driver

TZ = CrewPolicy().tz
MONDAY = date(2026, 3, 2)


def early(day: date, staff_id: str = "D1") -> WorkRecord:
    return WorkRecord(
        staff_id,
        datetime.combine(day, time(5, 0), TZ),
        datetime.combine(day, time(13, 30), TZ),
    )


async def test_work_records_are_idempotent(store: CrewStore) -> None:
    await store.create_staff(driver("D1"), actor="me")
    assert (await store.record_work("logon:D1:1", early(MONDAY), actor="me")).created
    assert not (await store.record_work("logon:D1:1", early(MONDAY), actor="me")).created
    with pytest.raises(IdConflict):
        await store.record_work("logon:D1:1", early(MONDAY + timedelta(days=1)), actor="me")
    with pytest.raises(NotFound):
        await store.record_work("x", early(MONDAY, "NOBODY"), actor="me")
    assert [w for _, w in await store.work_records("D1")] == [early(MONDAY)]
    assert [a.entity_id for a in await store.audit(entity="work")] == ["logon:D1:1"]
    snap = await store.snapshot(work_since=datetime.combine(MONDAY, time(), TZ))
    assert snap.work == (early(MONDAY),)


async def test_six_days_worked_keep_a_driver_off_the_seventh(store: CrewStore) -> None:
    await store.create_staff(driver("D1"), actor="me")
    line = load_line()
    services = [(line, line.timetable("2026"))]
    sunday = MONDAY + timedelta(days=6)
    as_of = datetime.combine(MONDAY, time(), TZ)

    async def assigned() -> set[str]:
        _, outlook = await stored_outlook(store, services, start=sunday, days=1, as_of=as_of)
        return {a.staff_id for a in outlook.plan.assignments}

    assert await assigned() == {"D1"}
    for i in range(6):
        await store.record_work(f"w{i}", early(MONDAY + timedelta(days=i)), actor="me")
    assert await assigned() == set(), "Labour Code Art. 111: a weekly day of rest"
