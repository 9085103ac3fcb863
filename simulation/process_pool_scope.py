"""One executor for a series of runs (a sweep, a calibration), started once and shut down after.

Without it every run of a series would start and stop its own process pool (about half a
second each on a loaded machine); with a cluster executor given, that one is used as is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from simulation.runner import Executor, process_pool


@contextlib.contextmanager
def shared_pool(executor: Executor | None, workers: int | None = None) -> Iterator[Executor]:
    """``executor`` if given, else a local process pool of ``workers`` for the block."""
    if executor is not None:
        yield executor
        return
    pool: ProcessPoolExecutor = process_pool(workers)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
