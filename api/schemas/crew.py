"""``/api/crew``: the roster's records with their versions, status, coverage and capacity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.base import CatalogueMessage, CatalogueParam, Wire
from api.schemas.board import CapacityPeriod, Shift
from crew.model import Cohort, ContactGroup, Staff, StatusEvent, TestResult

_VERSIONED = ConfigDict(extra="forbid", frozen=True)


class StaffOut(Staff):
    """A person on the roster; ``version`` is the ETag to send back in ``If-Match``."""

    model_config = _VERSIONED
    version: int


class GroupOut(ContactGroup):
    model_config = _VERSIONED
    version: int


class CohortOut(Cohort):
    model_config = _VERSIONED
    version: int


class CohortSaved(CohortOut):
    """A cohort as created or changed, with what the policy says against it."""

    warnings: list[str] = Field(description="in the request's language")
    warning_messages: list[CatalogueMessage] = Field(description="the same, as codes")


class Availability(Wire):
    state: str
    since: datetime | None
    until: datetime | None
    awaiting_release_test: bool


class StaffHistory(Wire):
    staff_id: str
    now: Availability
    events: list[StatusEvent]
    tests: list[TestResult]


class StaffStatus(Wire):
    staff_id: str
    name: str
    role: str
    state: str
    since: datetime | None
    until: datetime | None
    awaiting_release_test: bool


class DriverNotCleared(Wire):
    """An open alarm saying a train's driver may not drive it."""

    train: str
    driver: str | None
    kind: str = Field(description="driver_not_cleared or no_driver")
    message: str = Field(description="the alarm's text in the request's language")
    alarm_id: int


class StatusNow(Wire):
    """Everyone's state at ``at``, with head counts per state (every state named)."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "at": "2026-03-02T08:00:00+07:00", "revision": 12,
                    "counts": {"available": 150, "f0_isolation": 2, "f1_quarantine": 8},
                    "staff": [{"staff_id": "D017", "name": "Nguyễn Văn A", "role": "driver",
                               "state": "available", "since": None, "until": None,
                               "awaiting_release_test": False}],
                    "drivers_not_cleared": [{"train": "T05", "driver": "D017",
                                             "kind": "driver_not_cleared", "alarm_id": 41,
                                             "message": "T05: lái tàu D017 chưa đủ điều kiện"}],
                }
            ]
        }
    }  # fmt: skip

    at: datetime
    revision: int
    counts: dict[str, int]
    staff: list[StaffStatus]
    drivers_not_cleared: list[DriverNotCleared] = Field(
        description="trains whose driver the board's open alarms say may not drive it"
    )


class ContactMark(Wire):
    staff_id: str
    group_id: str
    reason: str = Field(description="why, in the request's language")
    reason_code: str
    reason_params: dict[str, CatalogueParam]


class PersonNow(Wire):
    """Someone an F0 declaration touches, and where they are at its moment."""

    staff_id: str
    name: str
    role: str | None
    on_train: str | None = Field(description="the train they are logged on to, live")
    on_shift: str | None = Field(description="the shift they are rostered on at that moment")


class ContactNow(PersonNow, ContactMark):
    """A contact who would be marked F1, with why and where they are."""


class CasePreview(Wire):
    """``POST /api/crew/cases/preview``: what declaring the F0 would do; nothing is written."""

    at: datetime
    case: PersonNow
    contacts: list[ContactNow]
    not_marked: list[ContactNow] = Field(description="already F0: left as they are")
    on_duty_now: int = Field(description="the case and contacts on a train or shift at ``at``")
    on_trains_now: list[str] = Field(description="trains whose driver is among them")


class CaseDeclared(Wire):
    case: StatusEvent
    contacts: list[ContactMark]
    not_marked: list[ContactMark]
    events: list[StatusEvent]
    new_events: int


class Work(Wire):
    work_id: str
    staff_id: str
    start: datetime
    end: datetime
    requirement_id: str


class Assignment(Wire):
    staff_id: str
    requirement_id: str
    shift: str
    kind: str
    start: datetime
    end: datetime
    overtime_min: float
    test_pending: bool


class CoverageDay(Wire):
    date: date
    staffable: bool
    solver_status: str
    shifts: list[Shift]
    capacity: list[CapacityPeriod]
    assignments: list[Assignment] | None = Field(default=None, description="with ?assignments=true")


class Overtime(Wire):
    staff_id: str
    year: int
    month: int
    planned_h: float
    month_h: float
    month_limit_h: float
    year_h: float
    year_limit_h: float
    max_day_h: float
    max_day_limit_h: float


class Coverage(Wire):
    revision: int
    policy: str
    as_of: datetime
    first_unstaffable: date | None
    first_degraded: date | None
    days: list[CoverageDay]
    overtime: list[Overtime]


class CapacityDay(Wire):
    date: date
    periods: list[CapacityPeriod]


class Capacity(Wire):
    revision: int
    first_degraded: date | None
    days: list[CapacityDay]


class RosterImported(Wire):
    created: list[str]
    updated: list[str]
    deleted: list[str]
    unchanged: int
    revision: int


class CrewChange(Wire):
    """One change of the crew record: who, when (UTC ms), what, before and after."""

    id: int
    at_ms: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    version: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    context: str
