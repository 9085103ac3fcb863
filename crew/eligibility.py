"""Who may work a shift: the one check behind coverage and the cab-logon alarm.

:func:`clearance` says whether a person may do a duty in ``[start, end)`` and, if not, every
reason why, so the crew manager (and the control room, for a driver who logged on) sees what to
fix. The checks, all from :class:`~crew.rules.CrewPolicy`:

* role and line, and every qualification the duty needs valid on the shift's day;
* status over the whole shift: available or on shift; an F1 only under
  ``F1Mode.WORK_UNDER_TESTING``; an F0 never (except one whose isolation is over and whose
  release test is still to come, for a future shift, when pending tests are planned as
  negative);
* tests: a negative test within ``test_window_h`` before the start (``f1_test_window_h`` for an
  F1), no positive result since; a shift that has not started yet may count on a test still to
  be taken (``plan_pending_tests_negative``), flagged ``test_pending``;
* 3-on-site: roles in ``onsite_required_roles`` only while in an active cohort;
* rest: ``min_rest_between_shifts_h`` from every other booked shift (Art. 110);
* hours: one shift per day, at most ``max_hours_per_day``, at most ``max_work_days_per_week``
  days a week, and the overtime the shift adds within the person's monthly and yearly limits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from crew.duties import DutySpec
from crew.hours import HoursLedger
from crew.model import Role, Roster, Staff, State, TestOutcome
from crew.rules import CrewPolicy, F1Mode
from crew.status import StatusHistory
from line.catalogue import Message
from line.clock import HANOI


class Reason(enum.StrEnum):
    ROLE = "role"
    QUALIFICATION = "qualification"
    STATUS = "status"
    TEST_MISSING = "test_missing"
    TEST_POSITIVE = "test_positive"
    NOT_ON_SITE = "not_on_site"
    REST = "rest"
    DAY_ALREADY_WORKED = "day_already_worked"
    DAY_HOURS = "day_hours"
    WEEK_DAYS = "week_days"
    OVERTIME_NOT_ALLOWED = "overtime_not_allowed"
    OVERTIME_MONTH = "overtime_month"
    OVERTIME_YEAR = "overtime_year"


@dataclass(frozen=True, slots=True)
class Problem:
    """One rule broken: which (``reason``), and the text saying how (a catalogue message)."""

    reason: Reason
    text: Message


@dataclass(frozen=True, slots=True)
class Clearance:
    """The verdict for one person and one shift; ``ok`` when there is no problem."""

    staff_id: str
    problems: tuple[Problem, ...]
    test_pending: bool
    minutes: int
    overtime_min: int

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reasons(self) -> frozenset[Reason]:
        return frozenset(p.reason for p in self.problems)


_WORKABLE = frozenset({State.AVAILABLE, State.ON_SHIFT})
_EPS = timedelta(seconds=1)


def hanoi_text(dt: datetime, with_date: bool = True) -> str:
    """A time in a problem's text: Hanoi time, Vietnamese day order (``14/11/2026 14:26``), in
    both languages. Aware times (the crew record stores UTC) are converted; naive ones are
    already Hanoi wall time."""
    local = dt.astimezone(HANOI) if dt.tzinfo is not None else dt
    return f"{local:%d/%m/%Y %H:%M}" if with_date else f"{local:%H:%M}"


def _problem(reason: Reason, code: str, **params: str | int | float | Message) -> Problem:
    return Problem(reason, Message(f"crew.problem.{code}", params))


def spec_problems(person: Staff, spec: DutySpec, day: date) -> list[Problem]:
    """Role, line and qualification problems of ``person`` for ``spec`` on ``day``."""
    out: list[Problem] = []
    if person.role is not spec.role:
        out.append(_problem(Reason.ROLE, "role", role=person.role.text, needed=spec.role.text))
    elif spec.role is Role.TECHNICIAN and person.discipline is not spec.discipline:
        disc = person.discipline.value if person.discipline else "?"
        needed = spec.discipline.value if spec.discipline else "?"
        out.append(_problem(Reason.ROLE, "discipline", discipline=disc, needed=needed))
    if person.line_id is not None and person.line_id != spec.line_id:
        out.append(_problem(Reason.ROLE, "line", line=person.line_id, needed=spec.line_id))
    for kind, scope in spec.required_qualifications():
        if not person.qualified(kind, scope, day):
            held = [q for q in person.qualifications if q.kind is kind and q.scope == scope]
            what = Message(f"crew.qualification.{kind.value}")
            if held:
                until = max(q.valid_until for q in held).isoformat()
                out.append(
                    _problem(
                        Reason.QUALIFICATION,
                        "qualification_expired",
                        kind=what,
                        scope=scope,
                        until=until,
                    )
                )
            else:
                out.append(
                    _problem(Reason.QUALIFICATION, "qualification_missing", kind=what, scope=scope)
                )
    return out


def window_problems(
    person: Staff,
    start: datetime,
    end: datetime,
    *,
    roster: Roster,
    history: StatusHistory,
    ledger: HoursLedger,
    policy: CrewPolicy,
    as_of: datetime,
) -> tuple[list[Problem], bool, int, int]:
    """Status, test, on-site, rest and hours problems of ``person`` for a shift.

    Returns (problems, test pending, shift minutes, overtime minutes the shift would add).
    """
    pid = person.id
    out: list[Problem] = []
    future = as_of < start
    pending_ok = future and policy.plan_pending_tests_negative

    # --- status over the whole shift ------------------------------------------------------
    f1_during = False
    release_pending = False
    for av in history.overlapping(pid, start, end):
        st = av.state
        if st in _WORKABLE:
            continue
        if st is State.F1_QUARANTINE and policy.f1_mode is F1Mode.WORK_UNDER_TESTING:
            f1_during = True
            continue
        if st is State.F0_ISOLATION and av.awaiting_release_test and pending_ok:
            release_pending = True
            continue
        state = Message(f"crew.state.{st.value}")
        if av.awaiting_release_test:
            out.append(_problem(Reason.STATUS, "status_release_test", state=state))
        elif av.until:
            until = hanoi_text(av.until)
            out.append(_problem(Reason.STATUS, "status_until", state=state, until=until))
        else:
            out.append(_problem(Reason.STATUS, "status", state=state))

    # --- tests ------------------------------------------------------------------------------
    windows = []
    if policy.test_before_shift:
        windows.append(policy.test_window_h)
    if f1_during:
        windows.append(policy.f1_test_window_h)
    lookback = timedelta(hours=max(windows, default=0))
    lookback = max(lookback, timedelta(days=policy.f0_isolation_days))
    # Judged during the shift (a driver already at the cab), a test taken since its start
    # counts too: a negative one clears, a positive one must not be missed.
    tested_by = max(start, min(as_of, end))
    last = history.latest_test(pid, start - lookback + _EPS, tested_by)
    test_pending = release_pending
    if last is not None and last.outcome is TestOutcome.POSITIVE:
        out.append(
            _problem(
                Reason.TEST_POSITIVE,
                "test_positive",
                kind=Message(f"crew.test_kind.{last.kind.value}"),
                taken_at=str(last.taken_at),
            )
        )
    elif windows:
        window = timedelta(hours=min(windows))
        neg = history.latest_test(pid, start - window, tested_by, TestOutcome.NEGATIVE)
        if neg is None:
            if pending_ok:
                test_pending = True
            else:
                out.append(_problem(Reason.TEST_MISSING, "test_missing", hours=min(windows)))

    # --- 3-on-site --------------------------------------------------------------------------
    if person.role in policy.onsite_required_roles and roster.cohort_of(pid, start) is None:
        out.append(_problem(Reason.NOT_ON_SITE, "not_on_site"))

    # --- rest and hours ---------------------------------------------------------------------
    minutes = round((end - start).total_seconds() / 60)
    rest = timedelta(hours=policy.min_rest_between_shifts_h)
    clash = ledger.rest_conflict(pid, start, end, rest)
    if clash is not None:
        out.append(
            _problem(
                Reason.REST,
                "rest",
                start=hanoi_text(clash.start),
                end=hanoi_text(clash.end, with_date=False),
                hours=policy.min_rest_between_shifts_h,
            )
        )
    day = ledger.day_of(start)
    if ledger.day_minutes(pid, day) > 0:
        out.append(_problem(Reason.DAY_ALREADY_WORKED, "day_already_worked", day=day.isoformat()))
    if minutes > round(policy.max_hours_per_day * 60):
        out.append(
            _problem(
                Reason.DAY_HOURS, "day_hours", hours=minutes / 60, limit=policy.max_hours_per_day
            )
        )
    if ledger.days_worked_in_week(pid, day) >= policy.max_work_days_per_week:
        out.append(_problem(Reason.WEEK_DAYS, "week_days", days=policy.max_work_days_per_week))
    ot = ledger.overtime_if(pid, day, minutes)
    if ot > 0:
        month_h, year_h = policy.overtime_limits_h(person)
        if not person.overtime_allowed:
            out.append(_problem(Reason.OVERTIME_NOT_ALLOWED, "overtime_not_allowed", hours=ot / 60))
        m = ledger.month_overtime_min(pid, day.year, day.month) + ot
        if m > round(month_h * 60):
            out.append(
                _problem(Reason.OVERTIME_MONTH, "overtime_month", hours=m / 60, limit=month_h)
            )
        y = ledger.year_overtime_min(pid, day.year) + ot
        if y > round(year_h * 60):
            out.append(_problem(Reason.OVERTIME_YEAR, "overtime_year", hours=y / 60, limit=year_h))
    return out, test_pending and not out, minutes, ot


def clearance(
    person: Staff,
    spec: DutySpec,
    start: datetime,
    end: datetime,
    *,
    roster: Roster,
    history: StatusHistory,
    ledger: HoursLedger,
    policy: CrewPolicy,
    as_of: datetime,
) -> Clearance:
    """May ``person`` do a ``spec`` duty from ``start`` to ``end``, judged at ``as_of``?

    ``ledger`` holds the shifts already worked or planned; the shift itself must not be in it.
    """
    day = ledger.day_of(start)
    problems = spec_problems(person, spec, day)
    wp, pending, minutes, ot = window_problems(
        person,
        start,
        end,
        roster=roster,
        history=history,
        ledger=ledger,
        policy=policy,
        as_of=as_of,
    )
    problems += wp
    return Clearance(person.id, tuple(problems), pending and not problems, minutes, ot)
