"""Trains fail in service.

Each train fails once per ``mtbf_h`` hours in service on average (a service-affecting failure:
the train is withdrawn at the next terminal). ``breakdown`` draws candidate failures for the
whole fleet at the rate of every train being in service all the time and keeps those that hit
a train actually in service (thinning a Poisson process), so a train fails only while it runs.
The failed train's own process is interrupted, as in SimPy's machine-shop example.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from simulation.operation import Operation


def breakdown(env: simpy.Environment, ops: Operation) -> Generator[Any, Any, None]:
    """Interrupt trains in service at random, ``mtbf_h`` service hours apart per train."""
    units = ops.setup.units
    fleet = ops.setup.scenario.fleet
    rng = ops.rng_fleet
    rate = len(units) / (fleet.mtbf_h * 3600)  # candidate failures per second, whole fleet
    if not rate > 0:
        return  # an MTBF so large (1e308 h, inf) that the rate underflows: no train fails
    while True:
        yield env.timeout(rng.expovariate(rate))
        unit = units[rng.randrange(len(units))]
        proc = ops.in_service.get(unit)
        if proc is not None and proc.is_alive:
            proc.interrupt("breakdown")
