"""One replication of a what-if: the SimPy model put together and run.

:func:`run_replication` builds the world (:class:`simulation.operation.Operation`), starts the
actors — the control centre, the virus, train failures — and runs the clock to the end of the
last day. Its randomness comes from streams seeded by ``seed`` alone (one each for health,
fleet and roster tie-breaks, so changing one part of a scenario leaves the others' draws
alone), so the same seed always gives the same replication, in any process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulation.breakdown import breakdown
from simulation.control_centre import control_centre
from simulation.crewstate import DAY_S
from simulation.infection import infection
from simulation.operation import Operation, Trace
from simulation.records import LEVELS
from simulation.service import PlanBook
from simulation.setup import Setup


@dataclass(frozen=True, slots=True)
class Replication:
    """One replication's day rows and run totals (``nan``: a level never lost)."""

    index: int
    rows: tuple[dict[str, float], ...]
    summary: dict[str, float]
    events: int
    trace: Trace | None = None


def replication_seed(seed: int, index: int) -> str:
    """The seed string of replication ``index`` of a run seeded ``seed``."""
    return f"metro-ops/{seed}/{index}"


def plan_book(setup: Setup) -> PlanBook:
    """A plan cache for ``setup`` (share it between replications of the same run)."""
    return PlanBook(setup.line, setup.patterns)


def run_replication(
    setup: Setup,
    seed: int,
    index: int,
    *,
    book: PlanBook | None = None,
    trace: bool = False,
) -> Replication:
    """Run replication ``index`` of a run seeded ``seed``."""
    ops = Operation(setup, replication_seed(seed, index), book or plan_book(setup), trace=trace)
    env = ops.env
    env.process(control_centre(env, ops))
    env.process(infection(env, ops))
    if setup.scenario.fleet.failures:
        env.process(breakdown(env, ops))
    env.run(until=setup.days * DAY_S)
    ops.close_day()
    rows = tuple(ops.rows)
    return Replication(index, rows, summarise(rows), _event_count(env), ops.trace)


def _event_count(env: object) -> int:
    # SimPy numbers every scheduled event: the id counter is the count of events scheduled
    eid = getattr(env, "_eid", None)
    return int(next(eid)) if eid is not None else 0


def summarise(rows: tuple[dict[str, float], ...]) -> dict[str, float]:
    """Run totals of one replication, and the first day each service level was lost."""
    out: dict[str, float] = {}
    for key in ("trips_planned", "trips_operated", "trips_cancelled", "overtime_h"):
        out[f"total.{key}"] = sum(r[key] for r in rows)
    out["total.cancelled_crew"] = sum(r["cancelled.crew"] for r in rows)
    out["total.cancelled_fleet"] = sum(r["cancelled.fleet"] for r in rows)
    crew_day = next((d for d, r in enumerate(rows) if r["cancelled.crew"] > 0), None)
    out["first_crew_cancellation"] = math.nan if crew_day is None else float(crew_day)
    out["total.legal_breaches"] = sum(r["legal_breaches"] for r in rows)
    out["total.infections"] = sum(r["health.infections"] for r in rows)
    out["total.cases"] = sum(r["health.cases"] for r in rows)
    out["max.overtime_h_person_month"] = max((r["overtime_h_max_person"] for r in rows), default=0)
    shares = [r["trips_operated"] / r["trips_planned"] for r in rows if r["trips_planned"]]
    out["min.trips_share"] = min(shares, default=1.0)
    for level in LEVELS:
        first = next((d for d, r in enumerate(rows) if r[f"level.{level}"] < 1), None)
        out[f"first_day_lost.{level}"] = math.nan if first is None else float(first)
    # days each resource limited the service adopted (records' ``binding.<resource>``)
    for key in rows[0] if rows else ():
        if key.startswith("binding."):
            out["days_bound." + key.removeprefix("binding.")] = sum(r[key] for r in rows)
    return out
