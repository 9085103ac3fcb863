"""Small builders for crew tests: instants in Hanoi time, staff, events, tests, duties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from crew import (
    CrewPolicy,
    DayDuties,
    DutyKind,
    DutySpec,
    Qualification,
    QualKind,
    Requirement,
    Role,
    Staff,
    State,
    StatusEvent,
    TestKind,
    TestOutcome,
    TestResult,
)

POLICY = CrewPolicy()
TZ = POLICY.tz
LINE = "2a"
STOCK = "CRRC-4car"
DAY = date(2026, 3, 4)  # a Wednesday
FAR = date(2030, 1, 1)


def at(day: date, hhmm: str = "00:00") -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


def driver(sid: str, *, until: date = FAR, **kw: Any) -> Staff:
    quals = (
        Qualification(kind=QualKind.LINE_LICENCE, scope=LINE, valid_until=until),
        Qualification(kind=QualKind.ROUTE_KNOWLEDGE, scope=LINE, valid_until=FAR),
        Qualification(kind=QualKind.ROLLING_STOCK, scope=STOCK, valid_until=FAR),
    )
    return Staff(id=sid, name=sid, role=Role.DRIVER, qualifications=quals, **kw)


def event(
    sid: str,
    state: State,
    effective: datetime,
    until: datetime | None = None,
    *,
    eid: str | None = None,
    recorded: datetime | None = None,
) -> StatusEvent:
    return StatusEvent(
        event_id=eid or f"{sid}-{state.value}-{effective.astimezone(UTC):%Y%m%d%H%M%S}",
        staff_id=sid,
        state=state,
        effective=effective,
        until=until,
        recorded_at=recorded or effective,
    )


def f0(sid: str, start: datetime, days: float = 7) -> StatusEvent:
    return event(sid, State.F0_ISOLATION, start, start + timedelta(days=days))


def swab(sid: str, taken: datetime, positive: bool = False, tid: str | None = None) -> TestResult:
    return TestResult(
        test_id=tid or f"t-{sid}-{taken.astimezone(UTC):%Y%m%d%H%M%S}",
        staff_id=sid,
        kind=TestKind.RAPID,
        outcome=TestOutcome.POSITIVE if positive else TestOutcome.NEGATIVE,
        taken_at=taken,
        recorded_at=taken,
    )


def driver_req(
    shift: str,
    start: datetime,
    end: datetime,
    count: int,
    *,
    kind: DutyKind = DutyKind.TRAIN,
    priority: int = 10,
) -> Requirement:
    return Requirement(
        id=f"{LINE}/{start.date()}/{shift}/{kind.value}",
        line_id=LINE,
        service_date=start.date(),
        shift_id=shift,
        start=start,
        end=end,
        kind=kind,
        spec=DutySpec(Role.DRIVER, LINE, rolling_stock=STOCK),
        count=count,
        essential=kind is DutyKind.TRAIN,
        priority=priority,
    )


def early(day: date, count: int = 1, **kw: object) -> Requirement:
    return driver_req("early", at(day, "05:00"), at(day, "13:30"), count, **kw)  # type: ignore[arg-type]


def late(day: date, count: int = 1, **kw: object) -> Requirement:
    return driver_req("late", at(day, "13:30"), at(day, "22:30"), count, **kw)  # type: ignore[arg-type]


def duties(*reqs: Requirement) -> list[DayDuties]:
    """Hand-made requirements grouped into one DayDuties per service day."""
    by_day: dict[date, list[Requirement]] = {}
    for r in reqs:
        by_day.setdefault(r.service_date, []).append(r)
    return [DayDuties(LINE, d, "test", (), tuple(rs), (), ()) for d, rs in sorted(by_day.items())]
