"""The crew rules as one policy object, and contact tracing.

:class:`CrewPolicy` holds every rule the crew side applies — health (F0/F1, tests, 3-on-site
cohorts) and working time (Vietnam's Labour Code 2019) — with defaults for Hanoi in 2021–22.
All are configurable; named presets are returned by :func:`policy_preset`.

Sources for the working-time defaults (Labour Code No. 45/2019/QH14, in force 1 Jan 2021, and
Decree 145/2020/ND-CP guiding it):

* Art. 105(1)–(2): normal working time at most 8 h a day and 48 h a week; an employer who sets
  hours by the week may schedule up to 10 h a day within the 48 h.
* Art. 107(2)(b): overtime at most 50 % of the normal daily hours; on a weekly basis normal
  plus overtime at most 12 h a day; at most 40 h of overtime a month. Art. 107(2)(c): at most
  200 h a year, or 300 h in the sectors and cases of Art. 107(3) (electricity, water,
  telecoms, urgent work, … and those the Government adds: Decree 145/2020 Art. 61 lists them;
  Art. 62 requires notifying the provincial labour department). Decree 145/2020 Art. 60
  restates the daily limits.
* Art. 109: the break within a shift (30 min, 45 min at night) counts as working time, so a
  shift's hours are its whole length.
* Art. 110: a shift worker rests at least 12 h before changing to another shift.
* Art. 111(1): at least 24 consecutive hours of rest each week, hence at most 6 working days
  in a calendar week here.
* Resolution 17/2022/UBTVQH15 (23 Mar 2022, to 31 Dec 2022): up to 300 h of overtime a year
  (Art. 1, from 1 Jan 2022) and up to 60 h a month (Art. 2, from 1 Apr 2022), except for the
  employees of Art. 1(1)(a)–(đ) (``Staff.extended_overtime_allowed=False``).

Health defaults (Ministry of Health and Hanoi guidance as reported in 2021–22): a confirmed
case (F0) isolates 7 days and returns after a negative rapid test (early-2022 home-care
guidance; earlier 10–14 days); a close contact (F1) quarantines 7 days, or — the practice for
critical staff once cases rose — keeps working on site under daily testing; Hanoimetro staff
tested before each shift and drivers and technicians worked "3 on-site" in rotating cohorts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crew.model import (
    Cohort,
    GroupKind,
    Role,
    Roster,
    Staff,
    State,
    StatusEvent,
    TestResult,
)
from crew.status import StatusHistory
from line.catalogue import Message


class F1Mode(enum.StrEnum):
    """What a close contact (F1) does."""

    QUARANTINE = "quarantine"  # stays away for f1_quarantine_days
    WORK_UNDER_TESTING = "work_under_testing"  # keeps working, with a negative test each shift


class WorkingTimeBasis(enum.StrEnum):
    """Labour Code 2019 Art. 105(2): normal hours are set by the day or by the week."""

    DAILY = "daily"  # normal ≤ 8 h a day
    WEEKLY = "weekly"  # normal ≤ 10 h a day and ≤ 48 h a week


class CrewPolicy(BaseModel):
    """Every crew rule, with Hanoi 2021–22 defaults; see the module docstring for sources."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "hanoi-2021"
    # Vietnam (ICT, UTC+7) has kept no daylight saving time since 1975, so a fixed offset is
    # exact; shift times and calendar days/weeks/months are local.
    utc_offset_minutes: int = Field(default=7 * 60, ge=-14 * 60, le=14 * 60)

    # --- health ------------------------------------------------------------------------------
    f0_isolation_days: float = Field(default=7, gt=0)
    # An F0 returns only after a negative test taken at most this long before the isolation
    # ends (or any time after); None: isolation simply ends.
    f0_release_test_lead_h: float | None = Field(default=24, ge=0)
    f1_mode: F1Mode = F1Mode.QUARANTINE
    f1_quarantine_days: float = Field(default=7, gt=0)
    f1_test_window_h: float = Field(default=24, gt=0)  # "daily testing" while working as F1
    test_before_shift: bool = True
    test_window_h: float = Field(default=24, gt=0)  # negative test within N h before a shift
    # For shifts that have not started yet, plan as if the test due before them will be
    # negative (the person can still take it); the assignment is flagged "test pending".
    plan_pending_tests_negative: bool = True
    trace_group_kinds: frozenset[GroupKind] = frozenset(GroupKind)
    # Roles that may work only while on site in an active 3-on-site cohort (empty: no rule).
    onsite_required_roles: frozenset[Role] = frozenset()
    cohort_days: int = Field(default=14, gt=0)

    # --- working time (Labour Code 2019) ------------------------------------------------------
    working_time_basis: WorkingTimeBasis = (
        WorkingTimeBasis.WEEKLY
    )  # shift work is rostered by the week
    normal_hours_per_day: float = Field(default=8, gt=0)  # Art. 105(1)
    normal_hours_per_day_weekly_basis: float = Field(default=10, gt=0)  # Art. 105(2)
    normal_hours_per_week: float = Field(default=48, gt=0)  # Art. 105(1)
    overtime_day_fraction: float = Field(default=0.5, ge=0)  # Art. 107(2)(b), daily basis
    max_hours_per_day_weekly_basis: float = Field(default=12, gt=0)  # Art. 107(2)(b)
    min_rest_between_shifts_h: float = Field(default=12, ge=0)  # Art. 110
    max_work_days_per_week: int = Field(default=6, ge=1, le=7)  # Art. 111(1)
    overtime_month_h: float = Field(default=40, ge=0)  # Art. 107(2)(b)
    overtime_year_h: float = Field(default=200, ge=0)  # Art. 107(2)(c)
    # Limits for staff excluded from raised limits (Staff.extended_overtime_allowed=False).
    standard_overtime_month_h: float = Field(default=40, ge=0)
    standard_overtime_year_h: float = Field(default=200, ge=0)

    @model_validator(mode="after")
    def _check(self) -> CrewPolicy:
        if self.max_hours_per_day < self.normal_daily_hours:
            raise ValueError("the daily maximum is below the normal daily hours")
        return self

    # --- derived -------------------------------------------------------------------------
    @property
    def tz(self) -> timezone:
        return timezone(timedelta(minutes=self.utc_offset_minutes))

    @property
    def normal_daily_hours(self) -> float:
        """Normal hours a day before overtime starts, by the working-time basis."""
        if self.working_time_basis is WorkingTimeBasis.WEEKLY:
            return self.normal_hours_per_day_weekly_basis
        return self.normal_hours_per_day

    @property
    def max_hours_per_day(self) -> float:
        """Normal plus overtime hours allowed in a day (12 h under the Labour Code)."""
        if self.working_time_basis is WorkingTimeBasis.WEEKLY:
            return self.max_hours_per_day_weekly_basis
        return self.normal_hours_per_day * (1 + self.overtime_day_fraction)

    @property
    def release_test_lead(self) -> timedelta | None:
        if self.f0_release_test_lead_h is None:
            return None
        return timedelta(hours=self.f0_release_test_lead_h)

    def overtime_limits_h(self, person: Staff) -> tuple[float, float]:
        """(monthly, yearly) overtime limits for ``person``."""
        if person.extended_overtime_allowed:
            return self.overtime_month_h, self.overtime_year_h
        return (
            min(self.overtime_month_h, self.standard_overtime_month_h),
            min(self.overtime_year_h, self.standard_overtime_year_h),
        )

    def history(
        self, events: Iterable[StatusEvent] = (), tests: Iterable[TestResult] = ()
    ) -> StatusHistory:
        """A :class:`StatusHistory` that applies this policy's F0 release rule."""
        return StatusHistory(events, tests, release_test_lead=self.release_test_lead)


PRESETS: tuple[str, ...] = ("hanoi-2021", "labour-code-300h", "resolution-17-2022", "f1-on-site")


def policy_preset(name: str) -> CrewPolicy:
    """A named policy.

    * ``hanoi-2021`` — the defaults: F1 quarantine, 40 h/month and 200 h/year overtime.
    * ``labour-code-300h`` — a sector allowed 300 h/year (Art. 107(3), Decree 145/2020 Art. 61).
    * ``resolution-17-2022`` — the 2022 temporary raise: 60 h/month, 300 h/year, with F1 staff
      working on site under daily testing (the practice by then).
    * ``f1-on-site`` — the defaults, but F1 staff work under daily testing.
    """
    base = CrewPolicy()
    if name == "hanoi-2021":
        return base
    if name == "labour-code-300h":
        return base.model_copy(update={"name": name, "overtime_year_h": 300.0})
    if name == "resolution-17-2022":
        return base.model_copy(
            update={
                "name": name,
                "overtime_month_h": 60.0,
                "overtime_year_h": 300.0,
                "f1_mode": F1Mode.WORK_UNDER_TESTING,
            }
        )
    if name == "f1-on-site":
        return base.model_copy(update={"name": name, "f1_mode": F1Mode.WORK_UNDER_TESTING})
    raise KeyError(f"unknown policy preset {name!r}; known: {', '.join(PRESETS)}")


# --- contact tracing -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ContactMark:
    """``staff_id`` is a contact of the case through ``group_id``; ``reason`` says so (a
    catalogue message: ``crew.trace.shares_group``, or ``crew.trace.already_f0``)."""

    staff_id: str
    group_id: str
    group_kind: GroupKind
    reason: Message


@dataclass(frozen=True, slots=True)
class ContactTrace:
    """What declaring a case did: the F0 event, one F1 event per contact, and why.

    ``marks`` has one entry per (contact, group), so a person sharing a team and a room with the
    case appears twice with both reasons; ``not_marked`` lists group members left as they were
    (already F0) with the reason.
    """

    case_id: str
    at: datetime
    case_event: StatusEvent
    events: tuple[StatusEvent, ...]
    marks: tuple[ContactMark, ...]
    not_marked: tuple[ContactMark, ...]

    @property
    def contacts(self) -> tuple[str, ...]:
        """Staff marked F1, sorted."""
        return tuple(sorted({m.staff_id for m in self.marks}))


def trace_contacts(
    roster: Roster, history: StatusHistory, case_id: str, at: datetime, policy: CrewPolicy
) -> tuple[list[ContactMark], list[ContactMark]]:
    """Members of the case's contact groups at ``at`` whose kind the policy traces.

    Returns (to mark F1, left alone because already F0). The case itself is never a contact.
    """
    roster.person(case_id)  # KeyError for an unknown id
    marks: list[ContactMark] = []
    skipped: list[ContactMark] = []
    for g in sorted(roster.groups_of(case_id, at), key=lambda g: g.id):
        if g.kind not in policy.trace_group_kinds:
            continue
        for m in g.members:
            if m == case_id:
                continue
            why = Message(
                "crew.trace.shares_group",
                {
                    "kind": Message(f"crew.group_kind.{g.kind.value}"),
                    "group": g.id,
                    "name": g.name,
                    "case": case_id,
                },
            )
            if history.state_at(m, at) is State.F0_ISOLATION:
                skipped.append(
                    ContactMark(m, g.id, g.kind, Message("crew.trace.already_f0", {"why": why}))
                )
            else:
                marks.append(ContactMark(m, g.id, g.kind, why))
    return marks, skipped


def declare_f0(
    roster: Roster,
    history: StatusHistory,
    case_id: str,
    at: datetime,
    policy: CrewPolicy,
    *,
    recorded_at: datetime | None = None,
) -> ContactTrace:
    """Declare ``case_id`` a confirmed case at ``at`` and mark their contacts F1.

    Nothing is written: the caller appends ``case_event`` and ``events`` to the history. Event
    ids are derived from the case and time, so declaring the same case twice is idempotent.
    """
    rec = recorded_at or at
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    case_event = StatusEvent(
        event_id=f"f0:{case_id}:{stamp}",
        staff_id=case_id,
        state=State.F0_ISOLATION,
        effective=at,
        until=at + timedelta(days=policy.f0_isolation_days),
        recorded_at=rec,
        source="declared F0",
    )
    marks, skipped = trace_contacts(roster, history, case_id, at, policy)
    f1_until = at + timedelta(days=policy.f1_quarantine_days)
    reasons: dict[str, list[str]] = {}
    for m in marks:
        reasons.setdefault(m.staff_id, []).append(m.group_id)
    events = tuple(
        StatusEvent(
            event_id=f"f1:{sid}:{case_id}:{stamp}",
            staff_id=sid,
            state=State.F1_QUARANTINE,
            effective=at,
            until=f1_until,
            recorded_at=rec,
            source=f"tracing: F0 {case_id} via {', '.join(groups)}",
        )
        for sid, groups in sorted(reasons.items())
    )
    return ContactTrace(case_id, at, case_event, events, tuple(marks), tuple(skipped))


# --- cohorts ---------------------------------------------------------------------------------
def plan_cohort(
    cohort_id: str,
    name: str,
    members: tuple[str, ...],
    start: datetime,
    beds_available: int,
    policy: CrewPolicy,
) -> Cohort:
    """A cohort of the policy's length starting at ``start`` (validates beds)."""
    return Cohort(
        id=cohort_id,
        name=name,
        members=members,
        start=start,
        planned_end=start + timedelta(days=policy.cohort_days),
        beds_available=beds_available,
    )


@dataclass(frozen=True, slots=True)
class CohortProblem:
    """A rule the ``cohorts`` break together (one, or two that overlap), and how."""

    cohorts: tuple[str, ...]
    text: Message


def cohort_problems(roster: Roster, policy: CrewPolicy) -> list[CohortProblem]:
    """Cohorts that break the policy: longer than ``cohort_days``, or a person in two cohorts
    at once. (Beds are checked by :class:`Cohort` itself.)"""
    out: list[CohortProblem] = []
    limit = timedelta(days=policy.cohort_days)
    for c in roster.cohorts:
        if c.planned_end - c.start > limit:
            text = Message("crew.cohort.too_long", {"cohort": c.id, "days": policy.cohort_days})
            out.append(CohortProblem((c.id,), text))
    cs = sorted(roster.cohorts, key=lambda c: (c.start, c.id))
    for i, a in enumerate(cs):
        for b in cs[i + 1 :]:
            if b.start >= a.planned_end:
                continue
            both = sorted(set(a.members) & set(b.members))
            if both:
                text = Message(
                    "crew.cohort.overlap", {"a": a.id, "b": b.id, "members": ", ".join(both)}
                )
                out.append(CohortProblem((a.id, b.id), text))
    return out
