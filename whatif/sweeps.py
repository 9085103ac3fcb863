"""Sensitivity sweeps for planners: submit, follow, cancel, read back (see :mod:`simulation.sweep`).

:class:`SweepService` is owned by the runtime (``async with`` it, then ``run()`` in the task
group). A submitted sweep is validated whole — every variant compiled — before it is accepted,
waits its turn (sweeps run one at a time, in a worker thread owned by the service, so the event
loop never blocks), and runs its variants one after another on one executor: a local process
pool started for the sweep and shut down after it, a Dask cluster when ``dask_address`` is set
(``[simulation] dask_address`` / ``METRO_SIMULATION_DASK_ADDRESS``: connected for each sweep, so
a scheduler restarted between sweeps is no matter), or the executor the service was given.

Sweeps are kept in memory, the latest :data:`KEEP` of them: a sweep is an exploration a planner
watches and exports (JSON, tornado PNG), not a record; a restart forgets them. At most
:data:`MAX_QUEUED` wait at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import structlog

from line import Line
from line.catalogue import Message, Refusal
from line.clock import Clock, wall_ms
from simulation import Cancelled, Executor, Scenario
from simulation.dask_executor import dask_executor
from simulation.process_pool_scope import shared_pool
from simulation.sweep import PreparedSweep, SweepSpec, plot_tornado, prepare_sweep, run_sweep
from whatif.service import status_text

log = structlog.get_logger(__name__)

KEEP = 50
MAX_QUEUED = 4


class SweepNotFound(Refusal, LookupError):
    """No sweep has this id (or it was forgotten)."""

    def __init__(self, sweep_id: str) -> None:
        super().__init__(Message("sweep.refused.no_sweep", {"id": sweep_id}))


class SweepAlreadyFinished(Refusal, RuntimeError):
    """The sweep has ended (done, failed or cancelled): there is nothing left to cancel."""

    def __init__(self, sweep_id: str, status: str) -> None:
        super().__init__(
            Message("sweep.refused.ended", {"id": sweep_id, "status": status_text(status)})
        )


class SweepQueueFull(Refusal, RuntimeError):
    """Too many sweeps are waiting."""

    def __init__(self) -> None:
        super().__init__(Message("sweep.refused.queue_full", {"n": MAX_QUEUED}))


@dataclass(eq=False)
class SweepJob:
    id: str
    prepared: PreparedSweep
    submitted_by: str
    created_ms: int
    status: str = "queued"  # queued, running, done, failed, cancelled
    runs_done: int = 0
    replications_done: int = 0  # of the run in progress
    started_ms: int | None = None
    finished_ms: int | None = None
    error: str = ""
    executor: str = ""  # where it ran: local, dask <address>, given
    result: dict[str, Any] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def as_dict(self) -> dict[str, Any]:
        spec = self.prepared.spec
        total = len(self.prepared.runs)
        return {
            "id": self.id,
            "scenario": self.prepared.base.name,
            "design": spec.design,
            "factors": [f.path for f in spec.vary],
            "days": spec.days,
            "replications": spec.replications,
            "seed": spec.seed,
            "status": self.status,
            "progress": {
                "runs_done": self.runs_done,
                "runs_total": total,
                "replications_done": self.replications_done,
                "fraction": round(
                    (self.runs_done + self.replications_done / spec.replications) / total, 4
                )
                if self.status != "done"
                else 1.0,
            },
            "submitted_by": self.submitted_by,
            "created_ms": self.created_ms,
            "started_ms": self.started_ms,
            "finished_ms": self.finished_ms,
            "error": self.error or None,
            "executor": self.executor or None,
        }


class SweepService:
    """Queue and run sweeps (see the module docstring)."""

    def __init__(
        self,
        line: Line,
        *,
        executor: Executor | None = None,
        dask_address: str | None = None,
        clock: Clock = wall_ms,
    ) -> None:
        self.line = line
        self._clock = clock
        self._executor = executor
        self._dask_address = dask_address
        self._jobs: OrderedDict[str, SweepJob] = OrderedDict()
        self._queue: asyncio.Queue[SweepJob] = asyncio.Queue()
        self._threads: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> SweepService:
        self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for job in self._jobs.values():
            job.cancel.set()
        threads, self._threads = self._threads, None
        if threads is not None:
            # the running sweep stops once its running batches finish: wait off the loop
            await asyncio.to_thread(threads.shutdown, wait=True, cancel_futures=True)

    # --- API ---------------------------------------------------------------------------------
    def submit(self, spec: SweepSpec, base: Scenario, *, actor: str) -> SweepJob:
        """Validate every variant (``ValueError``/``KeyError`` naming the bad one) and queue."""
        if sum(j.status == "queued" for j in self._jobs.values()) >= MAX_QUEUED:
            raise SweepQueueFull()
        prepared = prepare_sweep(spec, self.line, base=base)
        job = SweepJob(uuid.uuid4().hex, prepared, actor, self._clock())
        self._jobs[job.id] = job
        while len(self._jobs) > KEEP:  # forget the oldest finished ones
            oldest = next(
                (j for j in self._jobs.values() if j.status not in ("queued", "running")), None
            )
            if oldest is None:
                break
            del self._jobs[oldest.id]
        self._queue.put_nowait(job)
        log.info("sweep queued", sweep=job.id, scenario=base.name, runs=len(prepared.runs))
        return job

    def get(self, sweep_id: str) -> SweepJob:
        job = self._jobs.get(sweep_id)
        if job is None:
            raise SweepNotFound(sweep_id)
        return job

    def list(self) -> list[SweepJob]:
        return list(reversed(self._jobs.values()))

    def cancel(self, sweep_id: str) -> SweepJob:
        """Stop a queued or running sweep; :class:`SweepAlreadyFinished` for one that ended."""
        job = self.get(sweep_id)
        if job.status in ("done", "failed", "cancelled"):
            raise SweepAlreadyFinished(sweep_id, job.status)
        if job.status == "queued":
            job.status, job.error, job.finished_ms = (
                "cancelled",
                "cancelled before it started",
                self._clock(),
            )
        job.cancel.set()
        return job

    def tornado_png(self, sweep_id: str) -> bytes | None:
        job = self.get(sweep_id)
        if job.result is None:
            return None
        buf = io.BytesIO()
        plot_tornado(job.result, buf)
        return buf.getvalue()

    # --- the worker --------------------------------------------------------------------------
    async def run(self) -> None:
        """Run queued sweeps one at a time, until cancelled."""
        while True:
            job = await self._queue.get()
            if job.cancel.is_set():
                continue
            if self._threads is None:
                raise RuntimeError("the sweep service is not open (use `async with`)")
            job.status, job.started_ms = "running", self._clock()
            try:
                job.result = await asyncio.get_running_loop().run_in_executor(
                    self._threads, self._run_in_thread, job
                )
                job.status = "done"
            except Cancelled:
                job.status, job.error = "cancelled", "cancelled"
            except asyncio.CancelledError:
                job.cancel.set()
                raise
            except Exception as exc:  # a bad sweep must not stop the queue
                job.status, job.error = "failed", str(exc) or type(exc).__name__
                log.warning("sweep failed", sweep=job.id, error=job.error)
            finally:
                job.finished_ms = self._clock()

    def _run_in_thread(self, job: SweepJob) -> dict[str, Any]:
        def runs_done(done: int, _total: int) -> None:
            job.runs_done, job.replications_done = done, 0

        def reps_done(done: int, _total: int) -> None:
            job.replications_done = done

        with contextlib.ExitStack() as stack:
            executor, workers = self._executor, None
            job.executor = "given" if executor is not None else "local"
            if executor is None and self._dask_address is not None:
                dask = stack.enter_context(dask_executor(self._dask_address))
                executor, workers = dask, dask.workers()
                job.executor = f"dask {self._dask_address}"
            executor = stack.enter_context(shared_pool(executor))
            return run_sweep(
                job.prepared,
                self.line,
                executor=executor,
                workers=workers,
                progress=runs_done,
                replication_progress=reps_done,
                cancel=job.cancel,
            )
