"""Hours worked and overtime per person, by local day, ISO week, month and year.

A :class:`WorkRecord` is one shift worked (or planned). Hours are counted in whole minutes
(exact arithmetic) and a shift belongs to the local day it starts on. Its overtime is what it
adds beyond the normal hours (Labour Code 2019 Art. 105, 107):

* the part of the day beyond the normal daily hours (8 h, or 10 h on the weekly basis), plus
* the part of the week's normal hours beyond 48 h,

counted when the record is added — records are added in time order, so the weekly excess falls
on the shift that causes it, and is booked to that shift's month and year.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from crew.rules import CrewPolicy


@dataclass(frozen=True, slots=True)
class WorkRecord:
    """One shift worked or planned. ``requirement_id`` ties it to a duty (see crew.duties)."""

    staff_id: str
    start: datetime
    end: datetime
    requirement_id: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a work record must end after it starts")
        if self.end - self.start > timedelta(days=1):
            raise ValueError("a work record longer than 24 h is not a shift")

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    record: WorkRecord
    day: date
    overtime_min: int


@dataclass(slots=True)
class _Person:
    entries: list[LedgerEntry] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)  # sorted, parallel to by_start
    by_start: list[WorkRecord] = field(default_factory=list)
    day_min: dict[date, int] = field(default_factory=dict)
    week_normal_min: dict[tuple[int, int], int] = field(default_factory=dict)
    week_days: dict[tuple[int, int], set[date]] = field(default_factory=dict)
    month_ot_min: dict[tuple[int, int], int] = field(default_factory=dict)
    year_ot_min: dict[int, int] = field(default_factory=dict)


def _week(d: date) -> tuple[int, int]:
    iso = d.isocalendar()
    return iso.year, iso.week


class HoursLedger:
    """Running totals of hours and overtime for all staff under one policy.

    Mutable on purpose: coverage adds each day's assignments before solving the next day.
    Use :meth:`copy` to branch.
    """

    __slots__ = ("_normal_day", "_normal_week", "_people", "_policy")

    def __init__(self, policy: CrewPolicy, records: Iterable[WorkRecord] = ()) -> None:
        self._policy = policy
        self._normal_day = round(policy.normal_daily_hours * 60)
        self._normal_week = round(policy.normal_hours_per_week * 60)
        self._people: dict[str, _Person] = {}
        for r in sorted(records, key=lambda r: (r.start, r.staff_id, r.end)):
            self.add(r)

    def copy(self) -> HoursLedger:
        return HoursLedger(self._policy, self.records())

    def records(self) -> list[WorkRecord]:
        return [e.record for p in self._people.values() for e in p.entries]

    # --- writing ---------------------------------------------------------------------------
    def add(self, record: WorkRecord) -> LedgerEntry:
        """Book a shift; returns it with the overtime it adds."""
        p = self._people.setdefault(record.staff_id, _Person())
        day = self.day_of(record.start)
        ot = self._overtime(p, day, record.minutes)
        daily_excess = self._daily_excess(p, day, record.minutes)
        p.day_min[day] = p.day_min.get(day, 0) + record.minutes
        wk = _week(day)
        p.week_normal_min[wk] = p.week_normal_min.get(wk, 0) + record.minutes - daily_excess
        p.week_days.setdefault(wk, set()).add(day)
        p.month_ot_min[(day.year, day.month)] = p.month_ot_min.get((day.year, day.month), 0) + ot
        p.year_ot_min[day.year] = p.year_ot_min.get(day.year, 0) + ot
        i = bisect.bisect_right(p.starts, record.start)
        p.starts.insert(i, record.start)
        p.by_start.insert(i, record)
        entry = LedgerEntry(record, day, ot)
        p.entries.append(entry)
        return entry

    # --- queries ---------------------------------------------------------------------------
    def day_of(self, t: datetime) -> date:
        return t.astimezone(self._policy.tz).date()

    def entries(self, staff_id: str) -> list[LedgerEntry]:
        p = self._people.get(staff_id)
        return list(p.entries) if p else []

    def overtime_if(self, staff_id: str, day: date, minutes: int) -> int:
        """Overtime minutes a shift of ``minutes`` starting on ``day`` would add now."""
        p = self._people.get(staff_id) or _Person()
        return self._overtime(p, day, minutes)

    def day_minutes(self, staff_id: str, day: date) -> int:
        p = self._people.get(staff_id)
        return p.day_min.get(day, 0) if p else 0

    def days_worked_in_week(self, staff_id: str, day: date) -> int:
        """Days with a shift in the ISO week of ``day`` (``day`` itself included if worked)."""
        p = self._people.get(staff_id)
        return len(p.week_days.get(_week(day), ())) if p else 0

    def month_overtime_min(self, staff_id: str, year: int, month: int) -> int:
        p = self._people.get(staff_id)
        return p.month_ot_min.get((year, month), 0) if p else 0

    def year_overtime_min(self, staff_id: str, year: int) -> int:
        p = self._people.get(staff_id)
        return p.year_ot_min.get(year, 0) if p else 0

    def minutes_between(self, staff_id: str, first: date, last: date) -> int:
        """Minutes worked on days ``first`` … ``last`` inclusive."""
        p = self._people.get(staff_id)
        if not p:
            return 0
        return sum(m for d, m in p.day_min.items() if first <= d <= last)

    def rest_conflict(
        self, staff_id: str, start: datetime, end: datetime, min_rest: timedelta
    ) -> WorkRecord | None:
        """A booked shift closer than ``min_rest`` to ``[start, end)`` (or overlapping it)."""
        p = self._people.get(staff_id)
        if not p:
            return None
        # only shifts starting before end + min_rest can conflict; scan back from there
        hi = bisect.bisect_left(p.starts, end + min_rest)
        for r in reversed(p.by_start[:hi]):
            if r.end + min_rest <= start:
                # shifts last at most a day, so once one started a day (plus the rest) before
                # `start`, no earlier one can reach into the rest period
                if r.start + timedelta(days=1) + min_rest <= start:
                    break
                continue
            return r
        return None

    # --- arithmetic ------------------------------------------------------------------------
    def _daily_excess(self, p: _Person, day: date, minutes: int) -> int:
        before = p.day_min.get(day, 0)
        nd = self._normal_day
        return max(0, before + minutes - nd) - max(0, before - nd)

    def _overtime(self, p: _Person, day: date, minutes: int) -> int:
        daily = self._daily_excess(p, day, minutes)
        normal = minutes - daily
        w = p.week_normal_min.get(_week(day), 0)
        nw = self._normal_week
        weekly = max(0, w + normal - nw) - max(0, w - nw)
        return daily + weekly
