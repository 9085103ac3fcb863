"""Hours worked and overtime per person: the crew module's rules on plain arrays.

:class:`crew.HoursLedger` is the reference (exact, by datetime, for the crew screens); a what-if
books tens of thousands of shifts per second, so this ledger keeps the same arithmetic on lists
indexed by person and by simulated day. The rules (Labour Code 2019 Art. 105, 107, 110, 111, as
configured in :class:`crew.CrewPolicy`):

* a shift belongs to the day it starts on;
* its overtime is the part of the day beyond the normal daily hours, plus the part of the
  week's normal hours beyond the weekly hours (ISO weeks), booked to the day's month and year;
* rest between shifts, days worked per ISO week and monthly/yearly overtime are queried here
  and limited by the roster.

``tests/simulation/test_hours.py`` checks it against :class:`crew.HoursLedger` on random shifts.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from itertools import compress

from crew import CrewPolicy


class _DayKeys(dict[int, tuple[date, int, int, int]]):
    """Day index → (date, ISO week key, month key, year key), each made on first use: a
    look-up is a plain subscript, done in C once made (one per booking of every replication)."""

    __slots__ = ("start",)

    def __init__(self, start: date) -> None:
        super().__init__()
        self.start = start

    def __missing__(self, day: int) -> tuple[date, int, int, int]:
        d = self.start + timedelta(days=day)
        iso = d.isocalendar()
        k = self[day] = (d, iso.year * 100 + iso.week, d.year * 100 + d.month, d.year)
        return k


class Calendar:
    """Simulated day index → date, ISO week, month and year keys (day 0 = the start date)."""

    __slots__ = ("of", "start")

    def __init__(self, start: date) -> None:
        self.start = start
        self.of = _DayKeys(start)  # ``of[day]``: the day's keys, as :meth:`keys`

    def keys(self, day: int) -> tuple[date, int, int, int]:
        return self.of[day]

    def date(self, day: int) -> date:
        return self.keys(day)[0]

    def week(self, day: int) -> int:
        return self.keys(day)[1]

    def month(self, day: int) -> int:
        return self.keys(day)[2]

    def year(self, day: int) -> int:
        return self.keys(day)[3]

    def day_of(self, d: dt.date) -> int:
        return (d - self.start).days


NEVER = -1.0e18  # "no shift yet": far enough back that any rest period is satisfied


class Ledger:
    """Running hours and overtime of ``n`` people (minutes, exact integers)."""

    __slots__ = (
        "calendar",
        "normal_day_min",
        "normal_week_min",
        "day_key",
        "day_min",
        "last_end_s",
        "month_key",
        "month_ot",
        "recent",
        "run_ot",
        "week_days",
        "week_key",
        "week_normal",
        "year_key",
        "year_ot",
    )

    def __init__(self, n: int, policy: CrewPolicy, calendar: Calendar) -> None:
        self.calendar = calendar
        self.normal_day_min = round(policy.normal_daily_hours * 60)
        self.normal_week_min = round(policy.normal_hours_per_week * 60)
        self.last_end_s = [NEVER] * n  # end of the latest shift, simulation seconds
        self.day_key = [-(10**9)] * n
        self.day_min = [0] * n
        self.week_key = [0] * n
        self.week_normal = [0] * n
        self.week_days = [0] * n
        self.month_key = [0] * n
        self.month_ot = [0] * n
        self.year_key = [0] * n
        self.year_ot = [0] * n
        self.run_ot = [0] * n  # overtime booked since the start of the run
        self.recent: list[list[int]] = [[0] * 7 for _ in range(n)]  # minutes by day % 7

    # --- queries ------------------------------------------------------------------------
    def overtime_if(self, i: int, day: int, minutes: int) -> int:
        """Overtime minutes a shift of ``minutes`` starting on ``day`` would add."""
        before = self.day_min[i] if self.day_key[i] == day else 0
        nd = self.normal_day_min
        daily = max(0, before + minutes - nd) - max(0, before - nd)
        w = self.week_normal[i] if self.week_key[i] == self.calendar.week(day) else 0
        nw = self.normal_week_min
        normal = minutes - daily
        weekly = max(0, w + normal - nw) - max(0, w - nw)
        return daily + weekly

    def days_in_week(self, i: int, day: int) -> int:
        return self.week_days[i] if self.week_key[i] == self.calendar.week(day) else 0

    def worked_on(self, i: int, day: int) -> bool:
        return self.day_key[i] == day

    def month_overtime(self, i: int, day: int) -> int:
        return self.month_ot[i] if self.month_key[i] == self.calendar.month(day) else 0

    def year_overtime(self, i: int, day: int) -> int:
        return self.year_ot[i] if self.year_key[i] == self.calendar.year(day) else 0

    def recent_minutes(self, i: int, day: int) -> int:
        """Minutes worked in the 7 days before ``day`` (spreads the load like crew.coverage)."""
        r = self.recent[i]
        return sum(r) - (r[day % 7] if self.day_key[i] == day else 0)

    # --- writing ------------------------------------------------------------------------
    def book(self, i: int, day: int, start_s: float, end_s: float, minutes: int) -> int:
        """Book a shift (in time order per person); returns the overtime minutes it adds."""
        _, wk, mk, yk = self.calendar.of[day]  # one look-up for week, month and year
        # each column read and written once (a booking at every sign-on of every replication)
        if self.week_key[i] == wk:
            w, days = self.week_normal[i], self.week_days[i]
        else:
            self.week_key[i], w, days = wk, 0, 0
        first_shift_today = self.day_key[i] != day
        before = 0 if first_shift_today else self.day_min[i]
        nd = self.normal_day_min
        over = before + minutes - nd
        daily = (over if over > 0 else 0) - (before - nd if before > nd else 0)
        nw = self.normal_week_min
        wn = w + minutes - daily - nw
        ot = daily + (wn if wn > 0 else 0) - (w - nw if w > nw else 0)
        self.week_normal[i] = w + minutes - daily
        if first_shift_today:
            self.day_key[i] = day
            days += 1
        self.week_days[i] = days
        self.day_min[i] = before + minutes
        self.recent[i][day % 7] += minutes
        if self.month_key[i] != mk:
            self.month_key[i], self.month_ot[i] = mk, 0
        if self.year_key[i] != yk:
            self.year_key[i], self.year_ot[i] = yk, 0
        if ot:  # most shifts add none
            self.month_ot[i] += ot
            self.year_ot[i] += ot
            self.run_ot[i] += ot
        if end_s > self.last_end_s[i]:
            self.last_end_s[i] = end_s
        return ot

    def new_day(self, day: int) -> None:
        """Start ``day`` before anyone works it: its ring slot (a week old) is cleared."""
        slot = day % 7
        # the rings of everyone not already booked on ``day``, selected in C (every day)
        for r in compress(self.recent, map(day.__ne__, self.day_key)):
            r[slot] = 0
