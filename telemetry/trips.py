"""Trips run and lost: departures from the origin terminals matched to the day's planned trips.

The ICD carries no trip id, so a trip counts as run when an in-service train leaves the origin
terminal of its direction; it is matched to the nearest still-unmatched planned departure
within ``match_window_s``. A planned trip whose departure is more than ``grace_s`` in the past
and that nothing matched is lost. Only trips planned after monitoring began count (a restart
mid-day does not call the morning's trips lost). Field time drives everything, like the rest
of the live state, so a replay rebuilds the same ledger.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from line import DayPlan, Direction, Trip


@dataclass(frozen=True, slots=True)
class TripRecord:
    """One planned trip and what became of it (times: seconds after local midnight)."""

    trip: Trip
    run_s: float | None  # actual departure, None while not run
    train: str | None  # the train that ran it


@dataclass(slots=True)
class _Day:
    plan: DayPlan
    since_s: float  # monitoring began (field time) — earlier trips are not judged
    origins: dict[Direction, str]
    planned: dict[Direction, list[Trip]]  # by departure
    run: dict[str, tuple[float, str]] = field(default_factory=dict)  # trip id → (t, train)
    extra: int = 0  # departures that matched no planned trip


class TripLedger:
    """Counts trips run and lost per service day from terminal departures."""

    def __init__(self, *, grace_s: float = 600.0, match_window_s: float = 900.0) -> None:
        self.grace_s = grace_s
        self.match_window_s = match_window_s
        self._day: _Day | None = None
        self._at: dict[str, str | None] = {}  # train → station it was last seen at
        self._saved: dict[str, Any] | None = None  # a restored day, used when its day comes
        self.revision = 0  # moves when a trip is matched or a day begins (persistence)

    def last_station(self, train: str) -> str | None:
        """Where ``train`` was last seen (None: between stations or never seen)."""
        return self._at.get(train)

    def _day_for(self, plan: DayPlan, t_s: float) -> _Day:
        if self._day is None or self._day.plan.service_date != plan.service_date:
            origins: dict[Direction, str] = {}
            planned: dict[Direction, list[Trip]] = {}
            for tr in sorted(plan.trips, key=lambda x: x.depart_s):
                origins.setdefault(tr.direction, tr.origin)
                planned.setdefault(tr.direction, []).append(tr)
            self._day = _Day(plan, t_s, origins, planned)
            saved, self._saved = self._saved, None
            if saved is not None and saved.get("service_date") == plan.service_date.isoformat():
                # the same service day as before a restart: its record goes on
                self._day.since_s = float(saved["since_s"])
                known = {tr.id for tr in plan.trips}
                self._day.run = {
                    k: (float(v[0]), str(v[1])) for k, v in saved["run"].items() if k in known
                }
                self._day.extra = int(saved.get("extra", 0))
                for train, st in saved.get("at", {}).items():
                    self._at.setdefault(train, st)
            self.revision += 1
        return self._day

    def export(self) -> dict[str, Any] | None:
        """Today's record, JSON-ready (None before the first position of the day)."""
        day = self._day
        if day is None:
            return self._saved
        return {
            "service_date": day.plan.service_date.isoformat(),
            "since_s": day.since_s,
            "run": {k: [t, train] for k, (t, train) in day.run.items()},
            "extra": day.extra,
            "at": dict(self._at),
        }

    def restore(self, saved: dict[str, Any] | None, plan: DayPlan | None = None) -> None:
        """Take up a saved day: at once with its ``plan`` (so the board shows it before the
        field reports again), else when the live state reaches that service day."""
        self._saved = saved
        if saved is not None and plan is not None:
            self._day_for(plan, float(saved["since_s"]))

    def observe(
        self,
        train: str,
        station: str | None,
        direction: Direction,
        in_service: bool,
        plan: DayPlan,
        t_s: float,
    ) -> Trip | None:
        """Feed one position; returns the planned trip matched when this is a departure."""
        day = self._day_for(plan, t_s)
        before = self._at.get(train)
        self._at[train] = station
        if before == station or not in_service or before != day.origins.get(direction):
            return None
        return self._match(day, train, direction, t_s)

    def _match(self, day: _Day, train: str, direction: Direction, t_s: float) -> Trip | None:
        trips = day.planned.get(direction, [])
        deps = [tr.depart_s for tr in trips]
        lo = bisect_left(deps, t_s - self.match_window_s)
        hi = bisect_right(deps, t_s + self.match_window_s)
        best: Trip | None = None
        for tr in trips[lo:hi]:
            if tr.id in day.run or tr.depart_s < day.since_s - self.grace_s:
                continue
            if best is None or abs(tr.depart_s - t_s) < abs(best.depart_s - t_s):
                best = tr
        if best is None:
            day.extra += 1
            self.revision += 1
            return None
        day.run[best.id] = (t_s, train)
        self.revision += 1
        return best

    def records(self, t_s: float | None = None) -> list[TripRecord]:
        """Every planned trip of the current day judged so far (due after monitoring began)."""
        day = self._day
        if day is None:
            return []
        out = []
        for trips in day.planned.values():
            for tr in trips:
                if tr.depart_s < day.since_s and tr.id not in day.run:
                    continue
                if t_s is not None and tr.depart_s > t_s and tr.id not in day.run:
                    continue
                run = day.run.get(tr.id)
                out.append(TripRecord(tr, run[0] if run else None, run[1] if run else None))
        return sorted(out, key=lambda r: r.trip.depart_s)

    def lost_ids(self, t_s: float) -> set[str]:
        """Trips due more than ``grace_s`` ago that nobody ran."""
        return {
            r.trip.id
            for r in self.records(t_s)
            if r.run_s is None and r.trip.depart_s + self.grace_s < t_s
        }

    def summary(self, t_s: float) -> dict[str, object]:
        """KPIs for the board: trips due, run, lost, extra since monitoring began today."""
        day = self._day
        if day is None:
            return {"service_date": None, "due": 0, "run": 0, "lost": 0, "extra": 0}
        recs = self.records(t_s)
        lost = sum(1 for r in recs if r.run_s is None and r.trip.depart_s + self.grace_s < t_s)
        return {
            "service_date": day.plan.service_date.isoformat(),
            "since_s": round(day.since_s),
            "due": sum(1 for r in recs if r.trip.depart_s <= t_s),
            "run": sum(1 for r in recs if r.run_s is not None),
            "lost": lost,
            "extra": day.extra,
            "planned_day": len(day.plan.trips),
        }

    @property
    def service_date(self) -> date | None:
        return None if self._day is None else self._day.plan.service_date
