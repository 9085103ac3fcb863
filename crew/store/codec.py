"""Domain records ↔ table rows, and instants ↔ integers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crew.hours import WorkRecord
from crew.model import (
    MAX_BEDS,
    Cohort,
    ContactGroup,
    Discipline,
    GroupKind,
    Qualification,
    Role,
    Staff,
    State,
    StatusEvent,
    TestKind,
    TestOutcome,
    TestResult,
    instant_in_range,
    instant_refusal,
)
from crew.store.errors import InvalidChange
from crew.store.tables import (
    CohortRow,
    GroupRow,
    StaffRow,
    StatusEventRow,
    TestResultRow,
    WorkRow,
)
from line.catalogue import Message

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(t: datetime) -> int:
    """Microseconds since the epoch; exact for any aware datetime (for queries: a bound)."""
    return (t - _EPOCH) // timedelta(microseconds=1)


def stored_us(t: datetime, field: str) -> int:
    """:func:`to_us` of an instant about to be written; refuses (``field`` named) one outside
    the crew range, which :func:`from_us` could not read back (the models refuse it already:
    this is the store's own guard, whoever calls it)."""
    if not instant_in_range(t):
        raise InvalidChange(instant_refusal(), field)
    return to_us(t)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


# --- staff -----------------------------------------------------------------------------------
def staff_fields(s: Staff) -> dict[str, Any]:
    return {
        "name": s.name,
        "role": s.role.value,
        "discipline": s.discipline.value if s.discipline else None,
        "substitute": s.substitute,
        "line_id": s.line_id,
        "overtime_allowed": s.overtime_allowed,
        "extended_overtime_allowed": s.extended_overtime_allowed,
        "qualifications": [q.model_dump(mode="json") for q in s.qualifications],
    }


def staff_from_row(r: StaffRow) -> Staff:
    return Staff(
        id=r.id,
        name=r.name,
        role=Role(r.role),
        discipline=Discipline(r.discipline) if r.discipline else None,
        substitute=r.substitute,
        line_id=r.line_id,
        overtime_allowed=r.overtime_allowed,
        extended_overtime_allowed=r.extended_overtime_allowed,
        qualifications=tuple(Qualification.model_validate(q) for q in r.qualifications),
    )


# --- groups and cohorts ----------------------------------------------------------------------
def group_fields(g: ContactGroup) -> dict[str, Any]:
    return {"kind": g.kind.value, "name": g.name, "members": list(g.members)}


def group_from_row(r: GroupRow) -> ContactGroup:
    return ContactGroup(id=r.id, kind=GroupKind(r.kind), name=r.name, members=tuple(r.members))


def cohort_fields(c: Cohort) -> dict[str, Any]:
    return {
        "name": c.name,
        "members": list(c.members),
        "start_us": stored_us(c.start, "start"),
        "planned_end_us": stored_us(c.planned_end, "planned_end"),
        "beds_available": _beds(c.beds_available),
    }


def _beds(n: int) -> int:
    if not 0 <= n <= MAX_BEDS:  # a database integer has 64 bits; the model's bound is lower
        raise InvalidChange(
            Message("crew.refused.out_of_range", {"first": 0, "last": MAX_BEDS}),
            "beds_available",
        )
    return n


def cohort_from_row(r: CohortRow) -> Cohort:
    return Cohort(
        id=r.id,
        name=r.name,
        members=tuple(r.members),
        start=from_us(r.start_us),
        planned_end=from_us(r.planned_end_us),
        beds_available=r.beds_available,
    )


# --- status events and tests -----------------------------------------------------------------
def event_row(e: StatusEvent, actor: str) -> StatusEventRow:
    return StatusEventRow(
        event_id=e.event_id,
        staff_id=e.staff_id,
        state=e.state.value,
        effective_us=stored_us(e.effective, "effective"),
        until_us=stored_us(e.until, "until") if e.until is not None else None,
        recorded_us=stored_us(e.recorded_at, "recorded_at"),
        source=e.source,
        note=e.note,
        actor=actor,
    )


def event_from_row(r: StatusEventRow) -> StatusEvent:
    return StatusEvent(
        event_id=r.event_id,
        staff_id=r.staff_id,
        state=State(r.state),
        effective=from_us(r.effective_us),
        until=from_us(r.until_us) if r.until_us is not None else None,
        recorded_at=from_us(r.recorded_us),
        source=r.source,
        note=r.note,
    )


def result_row(t: TestResult, actor: str) -> TestResultRow:
    return TestResultRow(
        test_id=t.test_id,
        staff_id=t.staff_id,
        kind=t.kind.value,
        outcome=t.outcome.value,
        taken_us=stored_us(t.taken_at, "taken_at"),
        recorded_us=stored_us(t.recorded_at, "recorded_at"),
        actor=actor,
    )


def result_from_row(r: TestResultRow) -> TestResult:
    return TestResult(
        test_id=r.test_id,
        staff_id=r.staff_id,
        kind=TestKind(r.kind),
        outcome=TestOutcome(r.outcome),
        taken_at=from_us(r.taken_us),
        recorded_at=from_us(r.recorded_us),
    )


def work_row(work_id: str, w: WorkRecord, recorded_us: int, actor: str) -> WorkRow:
    return WorkRow(
        work_id=work_id,
        staff_id=w.staff_id,
        start_us=stored_us(w.start, "start"),
        end_us=stored_us(w.end, "end"),
        requirement_id=w.requirement_id,
        recorded_us=recorded_us,
        actor=actor,
    )


def work_from_row(r: WorkRow) -> WorkRecord:
    return WorkRecord(r.staff_id, from_us(r.start_us), from_us(r.end_us), r.requirement_id)


def work_view(work_id: str, w: WorkRecord) -> dict[str, Any]:
    return {
        "work_id": work_id,
        "staff_id": w.staff_id,
        "start": w.start.isoformat(),
        "end": w.end.isoformat(),
        "requirement_id": w.requirement_id,
    }


def same_fact(a: StatusEvent | TestResult, b: StatusEvent | TestResult) -> bool:
    """Equal apart from when they were recorded: a retried write of the same fact."""
    return a.model_copy(update={"recorded_at": b.recorded_at}) == b


def audit_view(obj: Staff | ContactGroup | Cohort | StatusEvent | TestResult) -> dict[str, Any]:
    """The record as it appears in the audit trail (JSON)."""
    return obj.model_dump(mode="json")
