"""A train's working day, and the repair of a train that failed.

``train`` runs one block of the day's plan — the trips one train makes from leaving the depot
to going back — like the cars in SimPy's machine-shop example: it waits for each departure,
departs if a driver and the control centre are there (:meth:`Operation.depart`), and a
breakdown (a SimPy interrupt from :mod:`simulation.breakdown`) takes it out of service. It then
waits for a reserve train from the depot, which takes ``replacement_s`` to reach the line;
departures missed meanwhile are cancelled.

``repair`` is the failed train's story: it waits for a rolling-stock technician on duty, is
repaired, and goes back to the depot as a reserve.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from itertools import repeat
from operator import add, itemgetter
from typing import Any

import simpy

from simulation.crewstate import DAY_S
from simulation.operation import Operation
from simulation.service import Trip

Proc = Generator[Any, Any, None]

_departure = itemgetter(0)  # a trip's departure time in the day


def train(env: simpy.Environment, ops: Operation, day: int, trips: tuple[Trip, ...]) -> Proc:
    """Run one block of trips on ``day``."""
    base = day * DAY_S
    # absolute departure times and the calls made per departure, bound once: this loop runs
    # for every trip of every replication (two thirds of the model's events)
    departs = list(map(add, repeat(base), map(_departure, trips)))  # base + t[0], in C
    n = len(trips)
    timeout = env.timeout
    last_departure = departs[-1]
    unit: str | None = None
    delay = 0.0  # a first train is waiting in the depot; a reserve must first get there
    first = departs[0]
    if env.now < first:
        yield timeout(first - env.now)  # the train leaves the depot for its first trip
    i = 0
    stop: Callable[[], int] | None = None
    while i < n:
        stop = None
        try:
            if unit is None:
                unit = yield from _take_train(env, ops, last_departure, delay)
                if unit is None:
                    break
                ops.enter_service(unit, env.active_process)
                while i < n and departs[i] < env.now:
                    ops.cancel_for_train()  # left while we were without a train
                    i += 1
                continue
            # the trips due now depart, the others each at its timeout (Operation.departures)
            done, stop = ops.departures(trips, departs, i)
            i = n if done is None else (yield done)
        except simpy.Interrupt:
            assert unit is not None
            if stop is not None:  # interrupted between two of the block's departures
                i = stop()
            ops.leave_service(unit)
            env.process(repair(env, ops, unit))
            unit = None
            delay = ops.setup.scenario.fleet.replacement_s
    if i < len(trips):
        ops.cancel_for_train(len(trips) - i)
    if unit is None:
        return
    try:
        arrive = base + trips[-1][1]
        if env.now < arrive:
            yield env.timeout(arrive - env.now)
    except simpy.Interrupt:
        ops.leave_service(unit)
        env.process(repair(env, ops, unit))
        return
    ops.leave_service(unit)
    ops.depot.put(unit)


def _take_train(
    env: simpy.Environment, ops: Operation, until: float, delay: float
) -> Generator[Any, Any, str | None]:
    """A train from the depot, waiting at most until ``until``; None if none came."""
    if ops.depot.items:
        unit: str = yield ops.depot.get()
    else:
        patience = until - env.now
        if patience <= 0:
            return None
        with ops.depot.get() as req:
            got = yield req | env.timeout(patience)
            if req not in got:
                return None
            unit = got[req]
    if delay > 0:
        yield env.timeout(delay)
    return unit


def repair(env: simpy.Environment, ops: Operation, unit: str) -> Proc:
    """A failed train: wait for a technician, get repaired, return to the depot."""
    ops.in_repair.add(unit)
    ops.log_failure()
    yield ops.technicians.get(1)
    mean_s = ops.setup.scenario.fleet.repair_mean_h * 3600
    yield env.timeout(ops.rng_fleet.expovariate(1.0 / mean_s))
    yield ops.technicians.put(1)
    ops.in_repair.discard(unit)
    ops.depot.put(unit)
