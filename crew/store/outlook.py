"""Coverage and capacity from the stored crew record, summarised per day and shift.

Used by ``GET /api/crew/coverage`` and ``metro-ops crew coverage``: both read one snapshot of
the store, solve :func:`crew.crew_outlook` off the event loop (CP-SAT is CPU-bound) and show
the same per-shift summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from crew.coverage import DayCoverage, SolverSettings
from crew.duties import DutyKind, StaffingStandard
from crew.forecast import CrewOutlook, DayOutlook, crew_outlook
from crew.model import State
from crew.store.records import CrewSnapshot
from crew.store.service import CrewStore
from line import Line, Timetable

Offload = Callable[[Callable[[], CrewOutlook]], Awaitable[CrewOutlook]]
"""Runs a solve off the event loop and awaits its outcome (see :func:`stored_outlook`)."""


@dataclass(frozen=True, slots=True)
class ShortLine:
    """People missing in one shift for one role (and discipline or post), by duty kind."""

    role: str
    detail: str | None  # discipline of technicians, post of control-centre operators
    kind: DutyKind
    missing: int
    essential: bool

    @property
    def label(self) -> str:
        return f"{self.role}/{self.detail}" if self.detail else self.role


@dataclass(frozen=True, slots=True)
class ShiftSummary:
    """One shift of one service day: how many were needed, assigned, and who is missing."""

    service_date: date
    shift_id: str
    start: datetime
    end: datetime
    required: int
    assigned: int
    short: tuple[ShortLine, ...]

    @property
    def missing(self) -> int:
        return sum(s.missing for s in self.short)

    @property
    def essential_missing(self) -> int:
        return sum(s.missing for s in self.short if s.essential)

    def by_role(self) -> dict[str, int]:
        """Missing people per role (driver, technician, occ_operator)."""
        out: dict[str, int] = {}
        for s in self.short:
            out[s.role] = out.get(s.role, 0) + s.missing
        return out


def shift_summaries(day: DayCoverage) -> list[ShiftSummary]:
    """The day's requirements grouped by shift, in order of shift start."""
    shifts: dict[str, list[tuple[int, int, ShortLine | None]]] = {}
    times: dict[str, tuple[datetime, datetime]] = {}
    for rc in day.requirements:
        r = rc.requirement
        times[r.shift_id] = (r.start, r.end)
        line = None
        if rc.shortfall:
            detail = r.spec.discipline.value if r.spec.discipline else r.spec.post
            line = ShortLine(r.spec.role.value, detail, r.kind, rc.shortfall, r.essential)
        shifts.setdefault(r.shift_id, []).append((r.count, len(rc.assigned), line))
    out = []
    for sid, rows in shifts.items():
        start, end = times[sid]
        out.append(
            ShiftSummary(
                day.service_date,
                sid,
                start,
                end,
                sum(n for n, _, _ in rows),
                sum(a for _, a, _ in rows),
                tuple(x for _, _, x in rows if x is not None),
            )
        )
    return sorted(out, key=lambda s: (s.start, s.shift_id))


async def stored_outlook(
    store: CrewStore,
    services: Sequence[tuple[Line, Timetable]],
    *,
    start: date,
    days: int,
    as_of: datetime,
    standard: StaffingStandard | None = None,
    solver: SolverSettings | None = None,
    offload: Offload | None = None,
) -> tuple[CrewSnapshot, CrewOutlook]:
    """Coverage and capacity for ``days`` days from ``start`` over the stored roster, with
    the shifts already worked (recorded with :meth:`CrewStore.record_work`) counting for rest,
    hours and overtime.

    ``offload`` runs the solve (a picklable call) away from the event loop: by default a
    worker thread; the server passes a worker process, which keeps the solve's Python work
    from competing with the event loop for the GIL."""
    if days < 1:
        raise ValueError("days must be at least 1")
    # hours count by calendar year (overtime) and by the week before the first day (rest,
    # days worked): load the shifts worked since whichever is earlier
    since = datetime.combine(
        min(date(start.year, 1, 1), start - timedelta(days=8)), time(), store.policy.tz
    )
    snap = await store.snapshot(work_since=since)
    solve = partial(
        crew_outlook,
        services,
        snap.roster,
        snap.history,
        snap.work,
        start=start,
        as_of=as_of,
        policy=store.policy,
        standard=standard,
        next_days=days - 1,
        solver=solver,
    )
    outlook = await (offload or asyncio.to_thread)(solve)
    return snap, outlook


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def capacity_rows(day: DayOutlook) -> list[dict[str, object]]:
    """JSON-ready crew-constrained capacity of each period of ``day`` (HH:MM local bounds)."""
    return [
        {
            "line_id": c.line_id,
            "period": c.period,
            "start": _clock(c.start_s),
            "end": _clock(c.end_s),
            "planned_headway_s": c.planned_headway_s,
            "planned_trains": c.planned_trains,
            "drivers": c.drivers,
            "trains": c.trains,
            "headway_s": c.headway_s,
            "degraded": c.degraded,
            "below_steps": c.below_steps,
        }
        for c in day.capacity
    ]


#: States in which a person cannot be called in (an F1 in an on-site cohort may work a rostered
#: duty under the policy, but is not counted as a reserve: a call-in should not need that rule).
OUT_STATES = frozenset({State.F0_ISOLATION, State.F1_QUARANTINE, State.SICK_OTHER, State.LEAVE})


@dataclass(frozen=True, slots=True)
class RoleLine:
    """One role in one shift: needed, assigned, and spare — staff of the role who are not out
    at the shift's start and have no duty that service day, so could be called in (rest and
    hours limits are checked when they are assigned, not here)."""

    role: str
    required: int
    assigned: int
    spare: int

    @property
    def missing(self) -> int:
        return max(0, self.required - self.assigned)


def role_lines(day: DayCoverage, snap: CrewSnapshot) -> dict[str, list[RoleLine]]:
    """Per shift of ``day``: needed, assigned and spare by role (roles in a fixed order)."""
    busy = {a.staff_id for a in day.assignments}
    need: dict[str, dict[str, list[int]]] = {}
    starts: dict[str, datetime] = {}
    for rc in day.requirements:
        r = rc.requirement
        starts[r.shift_id] = r.start
        row = need.setdefault(r.shift_id, {}).setdefault(r.spec.role.value, [0, 0])
        row[0] += r.count
        row[1] += len(rc.assigned)
    out: dict[str, list[RoleLine]] = {}
    for shift_id, roles in need.items():
        at = starts[shift_id]
        free: dict[str, int] = {}
        for person in snap.roster.staff:
            if person.id in busy or snap.history.state_at(person.id, at) in OUT_STATES:
                continue
            free[person.role.value] = free.get(person.role.value, 0) + 1
        out[shift_id] = [
            RoleLine(role, req, got, free.get(role, 0))
            for role, (req, got) in sorted(roles.items())
        ]
    return out


def shift_rows(day: DayCoverage, snap: CrewSnapshot) -> list[dict[str, object]]:
    """JSON-ready shift summaries of ``day`` (:func:`shift_summaries`): the one shape of a
    shift's coverage, for the coverage API and the board's crew tile alike (ISO 8601 times
    with their offset)."""
    roles = role_lines(day, snap)
    return [
        {
            "shift": s.shift_id,
            "start": s.start.isoformat(),
            "end": s.end.isoformat(),
            "required": s.required,
            "assigned": s.assigned,
            "missing": s.missing,
            "missing_by_role": s.by_role(),
            "by_role": [
                {
                    "role": r.role,
                    "required": r.required,
                    "assigned": r.assigned,
                    "missing": r.missing,
                    "spare": r.spare,
                }
                for r in roles.get(s.shift_id, [])
            ],
            "shortfall": [
                {
                    "role": x.role,
                    "detail": x.detail,
                    "kind": x.kind.value,
                    "missing": x.missing,
                    "essential": x.essential,
                }
                for x in s.short
            ],
        }
        for s in shift_summaries(day)
    ]


def state_counts(snap: CrewSnapshot, at: datetime) -> dict[str, int]:
    """Head counts by state at ``at``, every state named (0 included): ``/api/crew/status``
    and the board's crew tile count the same way."""
    counts = {s.value: 0 for s in State}
    for person in snap.roster.staff:
        counts[snap.history.state_at(person.id, at).value] += 1
    return counts
