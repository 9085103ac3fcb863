"""What-if simulation of Line 2A's service under staff absences (SimPy, Monte Carlo).

Pure and synchronous: no asyncio, no I/O beyond reading scenario files, randomness only from
seeded :class:`random.Random` streams — so replications run in worker processes or a cluster.
See ``simulation/README.md`` for the model and its sources.
"""

from simulation.compare import compare_results
from simulation.results import WhatIfResult
from simulation.runner import (
    Cancelled,
    Executor,
    InProcessExecutor,
    Progress,
    Replications,
    default_workers,
    process_pool,
    run_setup,
    run_whatif,
)
from simulation.scenario import (
    PRESETS,
    Scenario,
    load_scenario,
    resolve_scenario,
    scenario_from_data,
    scenario_preset,
)
from simulation.setup import CrewRecord, CrewSnapshot, Setup, build_setup
from simulation.stability import Adaptive

__all__ = [
    "PRESETS",
    "Adaptive",
    "Cancelled",
    "CrewRecord",
    "CrewSnapshot",
    "Executor",
    "InProcessExecutor",
    "Progress",
    "Replications",
    "Scenario",
    "Setup",
    "WhatIfResult",
    "build_setup",
    "compare_results",
    "default_workers",
    "load_scenario",
    "process_pool",
    "resolve_scenario",
    "run_setup",
    "run_whatif",
    "scenario_from_data",
    "scenario_preset",
]
