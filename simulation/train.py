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

from collections.abc import Callable, Generator, Sequence
from heapq import heappush
from itertools import repeat
from operator import add, itemgetter
from typing import Any

import simpy
from simpy.events import NORMAL

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
    timeout, depart = env.timeout, ops.depart
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
            while i < n and departs[i] - env._now <= 0:  # due already: no event
                depart(trips[i])
                i += 1
            if i < n:  # the rest of the block's trips, one timeout each (see _departures)
                done, stop = _departures(env, depart, trips, departs, i)
                i = yield done
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


class _Due(simpy.Event):
    """A departure's timeout: what SimPy's loop reads of an event (its callbacks, ok), no more.

    Built without :class:`simpy.Event`'s set-up and scheduled by :func:`_departures` itself, at
    ``now + wait`` with normal priority and the next event id, as a :class:`simpy.Timeout` is."""

    _ok = True
    _value = None

    def __init__(self, callbacks: list[Callable[[simpy.Event], None]]) -> None:
        self.callbacks = callbacks


def _departures(
    env: simpy.Environment,
    depart: Callable[[Trip], bool],
    trips: tuple[Trip, ...],
    departs: Sequence[float],
    i: int,
) -> tuple[simpy.Event, Callable[[], int]]:
    """The departures of a block from trip ``i`` on, each at a timeout whose callback departs.

    The same timeouts, at the same times and scheduled in the same order, as a train process
    yielding one per trip, without resuming the process at each (two thirds of the model's
    events are departures). Returns the event the process waits on, triggered in place — not
    scheduled — at the block's last departure, so that the process goes on at that same event
    as it would have; and ``stop``, for a breakdown (which interrupts the process as before):
    the timeout still pending becomes a no-op, as it is for an interrupted process, and
    ``stop`` returns the trips departed so far."""
    done = env.event()
    n = len(departs)
    stopped = False
    queue, eid = env._queue, env._eid
    callbacks: list[Callable[[simpy.Event], None]] = []  # shared: SimPy's loop only reads it

    def due(_event: simpy.Event) -> None:
        nonlocal i
        if stopped:
            return
        depart(trips[i])
        i += 1
        while i < n:
            wait = departs[i] - env._now  # Environment.now without the property call
            if wait > 0:  # as Environment.schedule would, inline
                heappush(queue, (env._now + wait, NORMAL, next(eid), _Due(callbacks)))
                return
            depart(trips[i])
            i += 1
        # the block's last departure: resume the process now, as processing ``done`` would
        done._ok = True
        done._value = i
        waiting, done.callbacks = done.callbacks, None  # type: ignore[assignment]
        for callback in waiting:
            callback(done)

    def stop() -> int:
        nonlocal stopped
        stopped = True
        return i

    callbacks.append(due)
    heappush(queue, (env._now + (departs[i] - env._now), NORMAL, next(eid), _Due(callbacks)))
    return done, stop


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
