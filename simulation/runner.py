"""Run a what-if: replications in parallel, with progress and cancellation.

:func:`run_whatif` compiles the scenario once (:func:`simulation.setup.build_setup`), splits the
replications into batches and hands each batch to an *executor* — anything with
``submit(fn, *args) -> concurrent.futures.Future`` (the :class:`Executor` protocol). That
argument is the seam for running elsewhere:

* default: a :class:`concurrent.futures.ProcessPoolExecutor` over this machine's cores
  (:func:`process_pool`), created and shut down by the run;
* :class:`InProcessExecutor` runs each batch in the calling thread (tests, one-core machines,
  debugging with breakpoints);
* a Dask cluster: ``distributed.Client(address).get_executor()`` is a
  ``concurrent.futures.Executor`` whose ``submit`` returns standard futures — pass it as is;
* a Ray cluster: a three-line adapter whose ``submit(fn, *args)`` returns
  ``ray.remote(fn).remote(*args).future()`` (Ray's ``ObjectRef.future()`` is a
  ``concurrent.futures.Future``).

The batch function (:func:`run_batch`) and its arguments — the compiled setup: frozen pydantic
models, tuples and plain dataclasses — pickle, and each replication is seeded from (seed,
index) alone, so the result does not depend on the executor, the number of workers, the batch
size or the order in which batches finish.

About one batch per worker is in flight at a time: ``progress(done, total)`` is called as
batches finish, and setting ``cancel`` (a :class:`threading.Event`) stops the run — batches not
yet started are never submitted, and :class:`Cancelled` is raised once the ones running have
finished (a batch is at most about half a second of work, see :func:`batches`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

import numpy as np

from line import Line, load_line
from simulation.model import plan_book, run_replication
from simulation.results import Aggregate, Batch, WhatIfResult, pack
from simulation.scenario import Scenario
from simulation.setup import CrewSnapshot, Setup, build_setup
from simulation.stability import Adaptive, headline, stability, verdict

Progress = Callable[[int, int], None]
"""``progress(replications done, replications in all)``."""


class Cancelled(Exception):
    """The run was cancelled before all replications finished."""


class Executor(Protocol):
    """What a run needs from an executor: ``submit`` returning a concurrent future."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]: ...


class InProcessExecutor:
    """Runs each submitted call at once, in the calling thread (the seam's reference)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future, like a pool
            fut.set_exception(exc)
        return fut


def run_batch(setup: Setup, seed: int, indices: Sequence[int]) -> Batch:
    """Run replications ``indices`` of a run seeded ``seed`` (the unit of work sent out)."""
    book = plan_book(setup)
    return pack([run_replication(setup, seed, i, book=book) for i in indices])


BATCH_DAYS = 300
"""At most this many replication-days in a batch (about half a second of work): progress moves
and a cancellation takes effect within about that long, however large the run."""


def batches(
    replications: int, workers: int, batch_size: int | None = None, days: int = 60
) -> list[list[int]]:
    """Replication indices in batches: about eight per worker (for progress and balance), and
    at most :data:`BATCH_DAYS` replication-days each."""
    size = batch_size or max(1, min(-(-replications // (workers * 8)), BATCH_DAYS // max(1, days)))
    return [list(range(a, min(a + size, replications))) for a in range(0, replications, size)]


def default_workers() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_method() -> str:
    """How to start worker processes here.

    Forking is the fastest start (workers inherit the loaded modules) but unsafe once other
    threads run — a lock one of them holds is copied held, and Python 3.12+ warns about it —
    as in the web server. Then workers come from a fork server (a clean single-threaded
    process), or are spawned where there is none.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def ignore_sigint() -> None:
    """Worker initializer: Ctrl-C in a terminal reaches the whole process group, and a worker
    interrupted mid-wait prints a ``KeyboardInterrupt`` traceback; the parent stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The local process executor: a pool of ``workers`` processes (default: all cores) that
    ignore SIGINT (their parent shuts them down)."""
    ctx = multiprocessing.get_context(start_method())
    return ProcessPoolExecutor(
        max_workers=workers or default_workers(), mp_context=ctx, initializer=ignore_sigint
    )


Replications = int | Adaptive
"""A fixed count, or :class:`simulation.stability.Adaptive`: until the headline is stable."""


def run_whatif(
    scenario: Scenario,
    days: int = 60,
    replications: Replications = 200,
    seed: int = 0,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    line: Line | None = None,
    crew_state: CrewSnapshot | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
) -> WhatIfResult:
    """Run ``replications`` replications of ``scenario`` over ``days`` days.

    ``replications`` is a count or an :class:`Adaptive` rule (stop when the headline medians
    stop moving). ``crew_state`` is required for a scenario that starts "from today".
    ``workers`` sizes the default process pool (and the batches for any executor). Raises
    :class:`Cancelled` when ``cancel`` is set before the end; an error in a replication is
    raised here.
    """
    if isinstance(replications, int) and replications < 1:
        raise ValueError("at least one replication")
    setup = build_setup(scenario, line or load_line(), days, crew_state=crew_state)
    return run_setup(
        setup,
        replications,
        seed,
        executor=executor,
        progress=progress,
        cancel=cancel,
        workers=workers,
        batch_size=batch_size,
    )


def _adaptive_batch(rule: Adaptive, workers: int, days: int, batch_size: int | None) -> int:
    """A batch size that divides the rule's step, so every checkpoint ends on a batch edge
    (a stopped run then counts the events of exactly the replications it keeps)."""
    want = batch_size or max(1, min(-(-rule.step // workers), BATCH_DAYS // max(1, days)))
    return max(d for d in range(1, rule.step + 1) if rule.step % d == 0 and d <= want)


def run_setup(
    setup: Setup,
    replications: Replications,
    seed: int,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    rule: Adaptive | None = None,
) -> WhatIfResult:
    """:func:`run_whatif` for an already compiled setup.

    ``rule`` sets how a fixed-count run judges its stability (default :class:`Adaptive`'s
    defaults); an adaptive run uses its own rule.
    """
    n_workers = workers or default_workers()
    adaptive = isinstance(replications, Adaptive)
    if isinstance(replications, Adaptive):
        rule = replications
        most = rule.max_replications
        size = _adaptive_batch(rule, n_workers, setup.days, batch_size)
        todo = deque(batches(most, n_workers, size, setup.days))
    else:
        rule = rule or Adaptive()
        most = replications
        todo = deque(batches(most, n_workers, batch_size, setup.days))
    # one batch running per worker and one waiting: every worker stays busy, and a cancelled
    # run leaves little behind to wait for
    max_in_flight = n_workers + 1
    own = executor is None
    pool: Executor = process_pool(n_workers) if executor is None else executor
    in_flight: set[Future[Any]] = set()
    # a fixed run aggregates as batches come (memory: one copy of the figures); an adaptive
    # one keeps its batches until it knows how many replications the result keeps
    agg: Aggregate | None = None if adaptive else Aggregate(setup, seed, most)
    got: dict[int, Batch] = {}  # adaptive: by first index
    heads = np.full((most, 2), np.nan)  # the headline of each replication, by index
    prefix = 0  # replications 0 … prefix-1 are all in
    collected = 0
    checks = iter(rule.checkpoints(most)) if adaptive else iter(())
    next_check = next(checks, None)
    stop_at: int | None = None

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    def collect(f: Future[Any]) -> None:
        nonlocal prefix, collected, next_check, stop_at
        batch: Batch = f.result()
        if agg is not None:
            agg.add(batch)
        else:
            got[batch.indices[0]] = batch
        collected += len(batch.indices)
        heads[list(batch.indices)] = headline(
            batch.summaries, batch.summary_keys, setup.days, rule.level
        )
        while prefix < most and not np.isnan(heads[prefix, 0]):
            prefix += 1
        # checkpoints in index order: each decision sees replications 0 … n-1 only
        while stop_at is None and next_check is not None and next_check <= prefix:
            if verdict(heads, next_check, rule)[0]:
                stop_at = next_check
            next_check = next(checks, None)
        if progress is not None:
            # an adaptive run's total is its maximum until it stops
            progress(min(collected, stop_at or most), stop_at or most)

    try:
        while (todo and stop_at is None) or in_flight:
            while todo and stop_at is None and len(in_flight) < max_in_flight:
                if cancelled():
                    break
                f = pool.submit(run_batch, setup, seed, todo.popleft())
                if f.done():  # an in-process executor: report it before running the next
                    collect(f)
                else:
                    in_flight.add(f)
            if cancelled():
                raise Cancelled(f"cancelled after {collected} of {most} replications")
            if stop_at is not None:
                # stopped early: every replication the result keeps is in, the rest is waste
                for f in in_flight:
                    f.cancel()
                break
            done, in_flight = wait(in_flight, timeout=0.05, return_when=FIRST_COMPLETED)
            for f in done:
                collect(f)
    except BaseException:
        for f in in_flight:
            f.cancel()
        raise
    finally:
        if own and isinstance(pool, ProcessPoolExecutor):
            # waits for the batches already running (one per worker at most): no stray workers
            pool.shutdown(wait=True, cancel_futures=True)
    n = stop_at or most
    if prefix < n:
        raise RuntimeError(f"{prefix} of {n} replications came back")  # pragma: no cover
    if agg is None:
        agg = Aggregate(setup, seed, n)
        for first in sorted(got):
            if first < n:
                agg.add(got[first])
    report = stability(heads[:n], rule, adaptive=adaptive, days=setup.days)
    return agg.result().model_copy(update={"stability": report})
