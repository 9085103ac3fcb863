"""The server's warm process pool for what-if batches, which can be stopped mid-batch.

:func:`simulation.process_pool` workers run a batch to its end: a cooperative cancellation
(:func:`simulation.run_whatif`'s ``cancel``) only stops batches that have not started. A batch
that cannot end — a scenario whose events never run out — would keep its core busy until the
process exits. :class:`WorkerPool` is an :class:`simulation.Executor` whose workers can be
terminated at any moment (cancel, wall-clock limit, server shutdown); the next batch submitted
starts a fresh pool. Its workers ignore SIGINT (see :func:`simulation.process_pool`): Ctrl-C in
a terminal reaches the whole process group, and the server, not each worker, decides when they
stop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from simulation import process_pool

log = structlog.get_logger(__name__)

TERMINATE_GRACE_S = 2.0  # SIGTERM, then SIGKILL for a worker still alive after this long


class WorkerPool:
    """A lazily started :class:`ProcessPoolExecutor` of ``workers`` processes (all cores by
    default) that :meth:`terminate` can stop at once, running batches included."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self._pool is None:
                # started from the service's worker thread while the server runs threads:
                # process_pool picks a fork server then
                self._pool = process_pool(self._workers)
            return self._pool.submit(fn, *args, **kwargs)

    def pids(self) -> list[int]:
        """The worker processes alive now (none before the first batch or after terminate)."""
        with self._lock:
            return [p.pid for p in _processes(self._pool) if p.pid is not None and p.is_alive()]

    def terminate(self) -> int:
        """Stop every worker now, running batches included; their futures fail. Blocks up to
        about :data:`TERMINATE_GRACE_S` (call it from a thread). Returns the workers stopped."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return 0
        procs = _processes(pool)
        for p in procs:
            if p.is_alive():
                p.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.join(TERMINATE_GRACE_S)
            if p.is_alive():
                p.kill()
                p.join(TERMINATE_GRACE_S)
        log.info("simulation workers terminated", workers=len(procs))
        return len(procs)

    def shutdown(self) -> None:
        """Stop an idle pool cleanly (waits for running batches: :meth:`terminate` first)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _processes(pool: ProcessPoolExecutor | None) -> list[BaseProcess]:
    if pool is None:
        return []
    # ProcessPoolExecutor has no public way to reach its workers before Python 3.14
    # (terminate_workers); its ``_processes`` map is stable from 3.8 to 3.13
    procs = getattr(pool, "_processes", None) or {}
    return list(procs.values())
