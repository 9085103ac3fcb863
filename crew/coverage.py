"""Coverage: assign eligible staff to the duties of each day with OR-Tools CP-SAT.

The model, solved one service day at a time in date order (each day's assignments are booked in
the hours ledger before the next day is solved, so rest, weekly days and overtime roll forward):

* a boolean ``x[p, r]`` for each person ``p`` cleared for requirement ``r``
  (:func:`crew.eligibility.clearance`: status, tests, rest, hours, qualifications);
* ``sum_p x[p, r] <= count(r)`` minus people already booked on ``r`` (work records carrying
  its id, e.g. a shift under way);
* ``sum_r x[p, r] <= 1``: one shift a day. With shifts of 8–9 h and 12 h of rest required
  between shifts (Labour Code Art. 110) no one could legally work two anyway.

Objectives, strictly in this order (one weighted solve whose weights make it exactly
lexicographic, see ``_solve_component``):

1. maximise duties covered, weighted by priority (train slots and control-centre posts first,
   then technicians, relief, spare);
2. when people are short, spread the shortfall over the shifts (the k-th person on a duty is
   worth more than the (k+1)-th), so two shifts share the drivers there are;
3. minimise overtime (in quarter hours);
4. spread the load: each assignment costs the hours the person worked in the previous 6 days
   plus their overtime this month, so the least-loaded eligible person is chosen.

Pairs that share no person or requirement (drivers, each technician discipline, the control
centre, each line) are solved as separate models: several small models solve much faster than
one large one. The solver runs single-threaded with a fixed seed, so the same input gives the
same plan, within a time limit per model (each closes at the root LP in milliseconds at Line
2A's size). Within a day the solve is exact; across days it is greedy in time (it does not keep
someone rested for a later day), as a rolling roster is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from crew.duties import DayDuties, DutyKind, DutySpec, Requirement
from crew.eligibility import spec_problems, window_problems
from crew.hours import HoursLedger, WorkRecord
from crew.model import Discipline, Role, Roster, Staff
from crew.rules import CrewPolicy
from crew.status import StatusHistory

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


class SolverSettings(BaseModel):
    """CP-SAT settings; one worker and a fixed seed make the result reproducible."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit_s: float = Field(default=10.0, gt=0)  # per model (one per group per day)
    workers: int = Field(default=1, ge=1)
    seed: int = 0
    presolve: bool = False  # CP-SAT presolve; the root LP already solves this structure


@dataclass(frozen=True, slots=True)
class Assignment:
    """``staff_id`` works requirement ``requirement_id``. ``booked``: it came from the work
    records given (already worked or fixed), not from the solver."""

    staff_id: str
    requirement_id: str
    line_id: str
    service_date: date
    shift_id: str
    kind: DutyKind
    start: datetime
    end: datetime
    minutes: int
    overtime_min: int
    test_pending: bool
    booked: bool = False

    @property
    def overtime_h(self) -> float:
        return self.overtime_min / 60


@dataclass(frozen=True, slots=True)
class Shortfall:
    """People missing for one requirement."""

    line_id: str
    service_date: date
    shift_id: str
    kind: DutyKind
    role: Role
    discipline: Discipline | None
    post: str | None
    missing: int
    essential: bool


@dataclass(frozen=True, slots=True)
class RequirementCoverage:
    requirement: Requirement
    assigned: tuple[Assignment, ...]

    @property
    def shortfall(self) -> int:
        return max(0, self.requirement.count - len(self.assigned))


@dataclass(frozen=True, slots=True)
class DayCoverage:
    """One service day: every requirement with who covers it."""

    service_date: date
    requirements: tuple[RequirementCoverage, ...]
    solver_status: str  # "optimal", "feasible" (time limit), "trivial" (nothing to decide)

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return tuple(a for rc in self.requirements for a in rc.assigned)

    @property
    def shortfalls(self) -> tuple[Shortfall, ...]:
        out = []
        for rc in self.requirements:
            r = rc.requirement
            if rc.shortfall:
                s = r.spec
                out.append(
                    Shortfall(
                        r.line_id,
                        r.service_date,
                        r.shift_id,
                        r.kind,
                        s.role,
                        s.discipline,
                        s.post,
                        rc.shortfall,
                        r.essential,
                    )
                )
        return tuple(out)

    @property
    def staffable(self) -> bool:
        """No essential duty (train slot, technician, control-centre post) is short."""
        return not any(s.essential for s in self.shortfalls)

    def drivers_on_trains(self, line_id: str, shift_id: str) -> int:
        """Drivers covering train slots of one line in one shift."""
        return sum(
            len(rc.assigned)
            for rc in self.requirements
            if rc.requirement.kind is DutyKind.TRAIN
            and rc.requirement.line_id == line_id
            and rc.requirement.shift_id == shift_id
        )


@dataclass(frozen=True, slots=True)
class OvertimeUse:
    """A person's overtime in one calendar month touched by the plan, against the limits.

    ``month_h``/``year_h`` include the history given; ``planned_h`` is what the plan adds in
    that month; ``max_day_h`` is the longest day planned.
    """

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


@dataclass(frozen=True, slots=True)
class CoveragePlan:
    as_of: datetime
    days: tuple[DayCoverage, ...]
    overtime: tuple[OvertimeUse, ...]

    @property
    def first_unstaffable(self) -> date | None:
        """The first day an essential duty is short, i.e. the timetable cannot be staffed."""
        return next((d.service_date for d in self.days if not d.staffable), None)

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return tuple(a for d in self.days for a in d.assignments)

    def work_records(self) -> tuple[WorkRecord, ...]:
        """The plan's new assignments as work records (to book or to chain a later plan)."""
        return tuple(
            WorkRecord(a.staff_id, a.start, a.end, a.requirement_id)
            for a in self.assignments
            if not a.booked
        )


@dataclass(slots=True)
class _Context:
    roster: Roster
    history: StatusHistory
    ledger: HoursLedger
    policy: CrewPolicy
    as_of: datetime
    solver: SolverSettings
    # staff by (role, discipline, line); line None: staff who work on any line
    pools: dict[tuple[Role, Discipline | None, str | None], list[Staff]] = field(
        default_factory=dict
    )


def solve_coverage(
    roster: Roster,
    history: StatusHistory,
    work: Iterable[WorkRecord],
    days: Sequence[DayDuties],
    policy: CrewPolicy,
    *,
    as_of: datetime,
    solver: SolverSettings | None = None,
) -> CoveragePlan:
    """Cover the requirements of ``days`` (any lines, any order) from ``roster``.

    ``work`` holds shifts already worked or fixed (they count for hours and rest; those whose
    ``requirement_id`` names a requirement cover it). ``as_of`` is when the plan is made: a
    shift starting after it may rely on a test still to be taken.
    """
    ledger = HoursLedger(policy, work)
    booked: dict[str, list[WorkRecord]] = {}
    for rec in ledger.records():
        if rec.requirement_id:
            booked.setdefault(rec.requirement_id, []).append(rec)
    ctx = _Context(roster, history, ledger, policy, as_of, solver or SolverSettings())
    for s in sorted(roster.staff, key=lambda s: s.id):
        disc = s.discipline if s.role is Role.TECHNICIAN else None
        ctx.pools.setdefault((s.role, disc, s.line_id), []).append(s)
    by_date: dict[date, list[Requirement]] = {}
    for dd in days:
        by_date.setdefault(dd.service_date, []).extend(dd.requirements)
    out: list[DayCoverage] = []
    planned: list[Assignment] = []
    for d in sorted(by_date):
        cov = _solve_day(ctx, d, by_date[d], booked)
        for a in cov.assignments:
            if not a.booked:
                ctx.ledger.add(WorkRecord(a.staff_id, a.start, a.end, a.requirement_id))
                planned.append(a)
        out.append(cov)
    return CoveragePlan(as_of, tuple(out), _overtime_use(ctx, planned))


def _pool(ctx: _Context, spec: DutySpec) -> list[Staff]:
    """Staff who may hold ``spec``'s role on its line (qualifications are checked after)."""
    disc = spec.discipline if spec.role is Role.TECHNICIAN else None
    own = ctx.pools.get((spec.role, disc, spec.line_id), [])
    anywhere = ctx.pools.get((spec.role, disc, None), [])
    return sorted(own + anywhere, key=lambda s: s.id) if anywhere else own


def _booked_assignment(ctx: _Context, req: Requirement, rec: WorkRecord) -> Assignment:
    ot = next((e.overtime_min for e in ctx.ledger.entries(rec.staff_id) if e.record == rec), 0)
    return Assignment(
        rec.staff_id,
        req.id,
        req.line_id,
        req.service_date,
        req.shift_id,
        req.kind,
        rec.start,
        rec.end,
        rec.minutes,
        ot,
        False,
        booked=True,
    )


def _solve_day(
    ctx: _Context, day: date, reqs: list[Requirement], booked: dict[str, list[WorkRecord]]
) -> DayCoverage:
    reqs = sorted(reqs, key=lambda r: r.id)
    fixed = {r.id: [_booked_assignment(ctx, r, w) for w in booked.get(r.id, [])] for r in reqs}
    # candidates: (person, requirement) -> (minutes, overtime, test pending)
    cand: dict[tuple[str, str], tuple[int, int, bool]] = {}
    window_cache: dict[tuple[str, datetime, datetime], tuple[bool, int, int, bool]] = {}
    spec_cache: dict[tuple[str, DutySpec], bool] = {}
    for r in reqs:
        if r.count - len(fixed[r.id]) <= 0:
            continue
        for p in _pool(ctx, r.spec):
            sk = (p.id, r.spec)
            if sk not in spec_cache:
                spec_cache[sk] = not spec_problems(p, r.spec, day)
            if not spec_cache[sk]:
                continue
            wk = (p.id, r.start, r.end)
            if wk not in window_cache:
                probs, pending, minutes, ot = window_problems(
                    p,
                    r.start,
                    r.end,
                    roster=ctx.roster,
                    history=ctx.history,
                    ledger=ctx.ledger,
                    policy=ctx.policy,
                    as_of=ctx.as_of,
                )
                window_cache[wk] = (not probs, minutes, ot, pending)
            ok, minutes, ot, pending = window_cache[wk]
            if ok:
                cand[(p.id, r.id)] = (minutes, ot, pending)

    req_by_id = {r.id: r for r in reqs}
    cap = {r.id: r.count - len(fixed[r.id]) for r in reqs}
    cost = {k: (math.ceil(v[1] / 15), _load_cost(ctx, k[0], day)) for k, v in cand.items()}
    chosen: set[tuple[str, str]] = set()
    statuses = {"trivial"}
    for comp in _components(cand):
        picked, st = _solve_component(ctx, comp, req_by_id, cap, cost)
        chosen |= picked
        statuses.add(st)
    # the worst status wins: anything unexpected (e.g. "unknown" at the time limit) first
    rank = {"trivial": 0, "optimal": 1, "feasible": 2}
    status = max(statuses, key=lambda s: rank.get(s, 3))

    rows = []
    for r in reqs:
        new = tuple(
            Assignment(
                pid,
                r.id,
                r.line_id,
                r.service_date,
                r.shift_id,
                r.kind,
                r.start,
                r.end,
                cand[(pid, r.id)][0],
                cand[(pid, r.id)][1],
                cand[(pid, r.id)][2],
            )
            for pid, rid in sorted(chosen)
            if rid == r.id
        )
        rows.append(RequirementCoverage(r, (*fixed[r.id], *new)))
    return DayCoverage(day, tuple(rows), status)


def _components(cand: Iterable[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Candidate pairs split into independent groups (no shared person or requirement).

    Drivers, each technician discipline and the control centre of each line rarely share
    anyone, and several small models solve much faster than one large one.
    """
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for pid, rid in cand:
        ra, rb = find("p:" + pid), find("r:" + rid)
        if ra != rb:
            parent[ra] = rb
    groups: dict[str, list[tuple[str, str]]] = {}
    for k in sorted(cand):
        groups.setdefault(find("r:" + k[1]), []).append(k)
    return [groups[g] for g in sorted(groups)]


def _solve_component(
    ctx: _Context,
    keys: list[tuple[str, str]],
    req_by_id: dict[str, Requirement],
    cap: dict[str, int],
    cost: dict[tuple[str, str], tuple[int, int]],
) -> tuple[set[tuple[str, str]], str]:
    """Solve one independent group; returns the chosen pairs and the solver status.

    One weighted objective, exactly lexicographic because each level's weight exceeds the
    largest total the levels below can reach:

    1. priority-weighted duties covered;
    2. balance: the k-th person on a requirement earns ``K - k`` (``K`` its size), so when
       people are short the shortfall is spread over the shifts (8 drivers for two shifts of 9
       train slots → 4 + 4, two 15-minute services, not 8 + 0, a shift without trains);
    3. overtime, in quarter hours;
    4. load: hours of the previous 6 days plus overtime this month.

    Each assignment variable sits in one requirement row and one person row, and the balance
    units are parallel arcs of decreasing reward: a network-flow structure whose LP relaxation
    is integral, so CP-SAT closes it at the root.
    """
    from ortools.sat.python import cp_model  # imported here: it loads pandas (~2 s)

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x_{pid}_{rid}") for pid, rid in keys]
    by_req: dict[str, list[cp_model.IntVar]] = {}
    by_person: dict[str, list[int]] = {}
    for i, ((pid, rid), v) in enumerate(zip(keys, x, strict=True)):
        by_req.setdefault(rid, []).append(v)
        by_person.setdefault(pid, []).append(i)
    for idx in by_person.values():
        if len(idx) > 1:
            model.add(sum(x[i] for i in idx) <= 1)

    # level 2: balance units, filled in order of decreasing reward
    units: list[cp_model.IntVar] = []
    unit_reward: list[int] = []
    for rid in sorted(by_req):
        vs = by_req[rid]
        size = req_by_id[rid].count
        n = min(cap[rid], len(vs))
        if len(vs) > cap[rid]:
            model.add(sum(vs) <= cap[rid])
        zs = [model.new_bool_var(f"u_{rid}_{k}") for k in range(n)]
        model.add(sum(vs) == sum(zs))
        units += zs
        done = size - cap[rid]  # people already booked on it
        unit_reward += [size - (done + k + 1) for k in range(n)]

    # levels 3 and 4
    load_max = max((cost[k][1] for k in keys), default=0)
    w_ot = load_max * len(by_person) + 1
    c = [cost[k][0] * w_ot + cost[k][1] for k in keys]
    worst: dict[str, int] = {}
    for (pid, _), ci in zip(keys, c, strict=True):
        worst[pid] = max(worst.get(pid, 0), ci)
    cost_max = sum(worst.values())
    w_bal = cost_max + 1
    w_cov = w_bal * sum(unit_reward) + cost_max + 1
    prio = [req_by_id[rid].priority for _, rid in keys]
    model.maximize(
        cp_model.LinearExpr.weighted_sum(
            [*x, *units],
            [w_cov * p - ci for p, ci in zip(prio, c, strict=True)]
            + [w_bal * r for r in unit_reward],
        )
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = ctx.solver.workers
    solver.parameters.random_seed = ctx.solver.seed
    solver.parameters.max_time_in_seconds = ctx.solver.time_limit_s
    # presolve only costs time on this structure (measured: a third of the run on Line 2A)
    solver.parameters.cp_model_presolve = ctx.solver.presolve
    # CP-SAT installs its own SIGINT handler by default, which swallows Ctrl-C meant for the
    # server while a solve runs in a worker thread.
    solver.parameters.catch_sigint_signal = False
    st = solver.solve(model)
    if st == cp_model.OPTIMAL:
        status = "optimal"
    elif st == cp_model.FEASIBLE:
        status = "feasible"
    else:
        return set(), solver.status_name(st).lower()
    return {k for k, v in zip(keys, x, strict=True) if solver.boolean_value(v)}, status


def _load_cost(ctx: _Context, staff_id: str, day: date) -> int:
    """Hours worked in the 6 days before plus overtime hours this month (capped at 200)."""
    led = ctx.ledger
    hours = led.minutes_between(staff_id, day - timedelta(days=6), day - timedelta(days=1)) // 60
    ot = led.month_overtime_min(staff_id, day.year, day.month) // 60
    return min(200, hours + ot)


def _overtime_use(ctx: _Context, planned: list[Assignment]) -> tuple[OvertimeUse, ...]:
    led, pol = ctx.ledger, ctx.policy
    per: dict[tuple[str, int, int], list[Assignment]] = {}
    for a in planned:
        if a.overtime_min > 0:
            d = a.service_date
            per.setdefault((a.staff_id, d.year, d.month), []).append(a)
    out = []
    for (sid, y, m), items in sorted(per.items()):
        month_limit, year_limit = pol.overtime_limits_h(ctx.roster.person(sid))
        max_day = max(led.day_minutes(sid, led.day_of(a.start)) for a in items)
        out.append(
            OvertimeUse(
                sid,
                y,
                m,
                sum(a.overtime_min for a in items) / 60,
                led.month_overtime_min(sid, y, m) / 60,
                month_limit,
                led.year_overtime_min(sid, y) / 60,
                year_limit,
                max_day / 60,
                pol.max_hours_per_day,
            )
        )
    return tuple(out)
