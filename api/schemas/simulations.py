"""``/api/simulations`` (what-if runs) and ``/api/simulations/sweeps``.

A result's figures are trees keyed by figure name (``staff.driver.available`` → p10/p50/p90…,
see ``simulation/results.py``); their leaves are described there, not here: the models below
fix every field down to those trees.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Wire
from simulation import Scenario, WhatIfResult

RunStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class Preset(Wire):
    name: str
    description: str
    scenario: Scenario


class RunProgress(Wire):
    done: int
    total: int
    fraction: float


class Run(Wire):
    """A what-if run (without its result)."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "3f2a9c", "scenario": "wave-2022", "scenario_spec": None,
                    "days": 60, "replications": 200, "seed": 7, "status": "running",
                    "progress": {"done": 50, "total": 200, "fraction": 0.25},
                    "submitted_by": "planner1", "created_ms": 1795000000000,
                    "started_ms": 1795000001000, "finished_ms": None, "error": None,
                }
            ]
        }
    }  # fmt: skip

    id: str
    scenario: str
    scenario_spec: dict[str, Any] | None = Field(description="the scenario as run")
    days: int
    replications: int
    seed: int
    status: RunStatus
    progress: RunProgress
    submitted_by: str
    created_ms: int
    started_ms: int | None
    finished_ms: int | None
    error: str | None


class RunWithResult(Run):
    result: WhatIfResult | None = Field(description="once done")


class RunMeta(Wire):
    id: str = Field(description="the run's id")
    scenario: str
    seed: int
    replications: int
    days: int
    start_date: str
    timetable: str
    verdict: dict[str, Any]


class Comparison(Wire):
    """Two finished runs side by side (``b - a``; ``simulation.compare.compare_results``)."""

    a: RunMeta
    b: RunMeta
    verdict: dict[str, Any]
    summary: dict[str, dict[str, Any]]
    first_day_lost: dict[str, dict[str, Any]]
    days: list[dict[str, Any]]


class SweepProgress(Wire):
    runs_done: int
    runs_total: int
    replications_done: int
    fraction: float


class Sweep(Wire):
    """A sensitivity sweep (without its result)."""

    id: str
    scenario: str
    design: str
    factors: list[str]
    days: int
    replications: int
    seed: int
    status: RunStatus
    progress: SweepProgress
    submitted_by: str
    created_ms: int
    started_ms: int | None
    finished_ms: int | None
    error: str | None
    executor: str | None


class SweepFactor(Wire):
    path: str
    values: list[Any]
    base_value: Any


class SweepResult(Wire):
    """The runs of a sweep and the factors ranked (``simulation.sweep.run_sweep``)."""

    kind: Literal["sweep"]
    scenario: str
    design: str
    days: int
    replications: int
    seed: int
    factors: list[SweepFactor]
    runs: list[dict[str, Any]]
    ranking: list[dict[str, Any]]


class SweepWithResult(Sweep):
    result: SweepResult | None = Field(description="once done")
