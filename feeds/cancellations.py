"""Which planned trips are cancelled when the crew cannot man the full timetable.

The interface the passenger feed needs is one call, :class:`CancelledTrips`:
``cancelled_trips(service_date) -> set of GTFS trip ids``. The runtime provides it with
:class:`CrewCancellations`, which follows the crew-constrained capacity of each timetable
period (:mod:`crew.capacity`: how many trains the drivers available can man).

How a degraded period becomes cancelled trips (:func:`thin_trips`), a first policy: where a
period can run ``trains`` of its ``planned_trains``, each direction keeps that share of the
period's planned departures, spread evenly (the first departure of the period always runs), and
the others are cancelled; a period without any driver cancels all its trips. A period's
departures are the planned timetable's, so the published static feed stays the reference and
the realtime feed only cancels — which every GTFS-Realtime consumer understands.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Protocol

import structlog

from crew import PeriodCapacity, Role, StaffingStandard
from crew.store import CrewStore
from crew.store.outlook import stored_outlook
from feeds.ids import gtfs_trip_id, service_id_for
from line import DayPlan, Direction, Line, Timetable, plan_day
from line.clock import Clock

log = structlog.get_logger(__name__)


class CancelledTrips(Protocol):
    """Trips of a service date that will not run, as GTFS trip ids of the static feed."""

    def cancelled_trips(self, service_date: date) -> set[str]: ...


class NoCancellations:
    """The full timetable runs (no crew data, or crew not managed by this deployment)."""

    def cancelled_trips(self, service_date: date) -> set[str]:
        return set()


def thin_trips(plan: DayPlan, timetable: Timetable, capacity: Iterable[PeriodCapacity]) -> set[str]:
    """GTFS ids of the trips of ``plan`` beyond what each period's crew capacity (per part of
    the period between shift changes) can run."""
    sid = service_id_for(timetable, plan.service_date)
    out: set[str] = set()
    for cap in capacity:
        if not cap.degraded:
            continue
        share = 0.0
        if cap.headway_s is not None and cap.planned_trains > 0:
            share = min(cap.trains, cap.planned_trains) / cap.planned_trains
        for d in Direction:
            # the trips leaving in this part of the period (a period is cut at shift changes)
            trips = sorted(
                (
                    t
                    for t in plan.trips
                    if t.period == cap.period
                    and t.direction is d
                    and cap.start_s <= t.depart_s < cap.end_s
                ),
                key=lambda t: t.depart_s,
            )
            for i, trip in enumerate(trips):
                # Bresenham: trip i runs when the count of trips kept so far, ceil(i × share),
                # steps up at it (the tolerance keeps float noise off whole numbers)
                if math.ceil((i + 1) * share - 1e-9) <= math.ceil(i * share - 1e-9):
                    out.add(gtfs_trip_id(sid, trip))
    return out


class CrewCancellations:
    """:class:`CancelledTrips` from the crew store's coverage outlook, kept in memory.

    ``cancelled_trips`` is synchronous and cheap (the feed asks on every request); :meth:`run`
    keeps it current: it re-solves the coverage outlook (today and the next ``days - 1``
    days) when the crew record changes (its revision moves), when the local date changes, and
    at least every ``max_age_s``. A roster without drivers means the crew is not managed in
    this deployment: nothing is cancelled rather than everything.
    """

    def __init__(
        self,
        store: CrewStore,
        line: Line,
        timetable: Timetable,
        *,
        clock: Clock,
        standard: StaffingStandard | None = None,
        days: int = 2,
        poll_s: float = 30.0,
        max_age_s: float = 900.0,
    ) -> None:
        self._store = store
        self._line = line
        self._timetable = timetable
        self._clock = clock
        self._std = standard
        self._days = days
        self._poll_s = poll_s
        self._max_age_s = max_age_s
        self._cancelled: dict[date, frozenset[str]] = {}
        self._capacity: dict[date, tuple[PeriodCapacity, ...]] = {}
        self._key: tuple[int, date] | None = None  # (revision, first day) last solved for
        self._solved_ms: int | None = None

    def cancelled_trips(self, service_date: date) -> set[str]:
        return set(self._cancelled.get(service_date, ()))

    def capacity(self, service_date: date) -> tuple[PeriodCapacity, ...]:
        """The crew-constrained capacity per period of ``service_date`` (empty: unknown)."""
        return self._capacity.get(service_date, ())

    def _today(self, now_ms: int) -> date:
        tz = self._store.policy.tz
        return datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(tz).date()

    async def refresh(self, *, force: bool = False) -> bool:
        """Re-solve if the crew record or the day changed, or the last solve is too old."""
        now = self._clock()
        today = self._today(now)
        rev = await self._store.revision()
        fresh = self._solved_ms is not None and now - self._solved_ms < self._max_age_s * 1000
        if not force and self._key == (rev, today) and fresh:
            return False
        roster = await self._store.roster()
        if not any(s.role is Role.DRIVER for s in roster.staff):
            self._cancelled, self._capacity = {}, {}
        else:
            _snap, outlook = await stored_outlook(
                self._store,
                [(self._line, self._timetable)],
                start=today,
                days=self._days,
                as_of=datetime.fromtimestamp(now / 1000, tz=UTC),
                standard=self._std,
            )
            cancelled: dict[date, frozenset[str]] = {}
            capacity: dict[date, tuple[PeriodCapacity, ...]] = {}
            for day in outlook.days:
                caps = tuple(c for c in day.capacity if c.line_id == self._line.id)
                capacity[day.service_date] = caps
                plan = plan_day(self._line, self._timetable, day.service_date)
                cancelled[day.service_date] = frozenset(thin_trips(plan, self._timetable, caps))
            self._cancelled, self._capacity = cancelled, capacity
            total = sum(len(v) for v in cancelled.values())
            if total:
                log.warning("degraded timetable: trips cancelled", trips=total)
        self._key, self._solved_ms = (rev, today), now
        return True

    async def run(self) -> None:
        """Keep the cancellations current until cancelled."""
        logged = False
        while True:
            try:
                await self.refresh()
                logged = False
            except Exception:  # the feed keeps the last answer; say so once per outage
                if not logged:
                    log.exception("crew capacity refresh failed")
                    logged = True
            await asyncio.sleep(self._poll_s)
