"""Small builders for simulation tests: scenarios from data, one replication run in-process."""

from __future__ import annotations

from functools import cache
from typing import Any

from line import Line, load_line
from simulation import Scenario, build_setup, scenario_from_data
from simulation.model import Replication, run_replication
from simulation.setup import CrewSnapshot

MONDAY = "2026-03-02"  # a weekday of the 2026 timetable


@cache
def line2a() -> Line:
    return load_line()


def scenario(**fields: Any) -> Scenario:
    """A scenario with nothing random going on unless asked: no wave, no train failures."""
    data: dict[str, Any] = {
        "name": "test",
        "start_date": MONDAY,
        "fleet": {"failures": False},
    }
    data.update(fields)
    return scenario_from_data(data)


def replicate(
    sc: Scenario,
    days: int,
    *,
    seed: int = 1,
    index: int = 0,
    trace: bool = False,
    crew_state: CrewSnapshot | None = None,
) -> Replication:
    """One replication of ``sc`` over ``days`` days, in this process."""
    setup = build_setup(sc, line2a(), days, crew_state=crew_state)
    return run_replication(setup, seed, index, trace=trace)


def drivers_only(keep: int, *, total: int = 60, from_day: int = 0, to_day: int | None = 0) -> Any:
    """Absences leaving ``keep`` of the synthetic roster's drivers (the first are absent)."""
    return [{"role": "driver", "count": total - keep, "from_day": from_day, "to_day": to_day}]
