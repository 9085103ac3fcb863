"""What-if runs for planners: submit, follow, cancel, read back, compare.

:class:`SimulationService` is owned by the runtime (``async with`` it, then ``run()`` in the
task group). A submitted run is recorded in the database as *queued* and waits its turn: runs
execute one at a time (each one already uses every core through its process pool), in a
worker thread owned by the service, so the event loop never blocks. While a run works, its
progress (replications done) is kept in memory and written to its row every few seconds; when
it ends, the status — *done* with the result, *failed* with the error, or *cancelled* — and the
result JSON are written, so results survive restarts. A run left queued or running by a
previous process is marked failed on start.

A run must be stoppable whatever its scenario does, so the default executor is a
:class:`whatif.pool.WorkerPool`: cancelling a running run, reaching the wall-clock
limit (``simulation.max_run_s``: the run fails saying so) and stopping the server terminate its
worker processes (a fresh pool starts with the next run) instead of waiting for batches that
may never end. The queue is bounded per user and in all (``simulation.queue_per_user``,
``queue_total``): :class:`QueueFull` beyond.

A scenario that starts "from today" reads the crew record (roster, statuses, this year's
shifts) from the crew store when its turn comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import structlog

from crew.store import CrewStore
from line import Line
from line.catalogue import Message, Refusal
from line.clock import Clock, wall_ms
from simulation import (
    Cancelled,
    CrewSnapshot,
    Executor,
    Scenario,
    WhatIfResult,
    build_setup,
    compare_results,
    run_whatif,
)
from whatif.pool import WorkerPool
from whatif.settings import SimulationSettings
from whatif.store import RunRecord, RunStatus, RunStore

log = structlog.get_logger(__name__)

PROGRESS_WRITE_S = 2.0  # how often a running run's progress is written to its row
CANCEL_WAIT_S = 5.0  # a cancel answers once the run has stopped, or after this long
QUEUE_RETRY_AFTER_S = 30  # what a refused submit suggests (a run takes tens of seconds)


def status_text(status: str) -> Message:
    """A run's or a sweep's status in words (they share the statuses of :class:`RunStatus`)."""
    return Message(f"whatif.status.{status}")


class RunNotFound(Refusal, LookupError):
    """No run has this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(Message("whatif.refused.no_run", {"id": run_id}))


class RunNotFinished(Refusal, RuntimeError):
    """The run has no result (yet, or ever): compare needs two finished runs."""

    def __init__(self, run_id: str, status: str) -> None:
        super().__init__(
            Message("whatif.refused.no_result", {"id": run_id, "status": status_text(status)})
        )


class RunAlreadyFinished(Refusal, RuntimeError):
    """The run has ended (done, failed or cancelled): there is nothing left to cancel."""

    def __init__(self, view: RunView) -> None:
        super().__init__(
            Message(
                "whatif.refused.ended", {"id": view.id, "status": status_text(view.status.value)}
            )
        )
        self.view = view


class QueueFull(Refusal, RuntimeError):
    """The caller (or everyone) has as many runs queued or running as allowed: retry later."""

    def __init__(self, message: Message, retry_after_s: int = QUEUE_RETRY_AFTER_S) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(eq=False)
class _Job:
    id: str
    scenario: Scenario
    days: int
    replications: int
    seed: int
    actor: str = ""
    cancel: threading.Event = field(default_factory=threading.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # its status is final
    failure: str = ""  # why the service stopped it, when not a cancel (the wall-clock limit)
    done: int = 0

    def on_progress(self, done: int, _total: int) -> None:
        self.done = done  # an int assignment: safe to read from the event loop


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as the API shows it; ``done`` counts the replications finished."""

    record: RunRecord
    done: int

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def status(self) -> RunStatus:
        return self.record.status

    def as_dict(self) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id,
            "scenario": r.scenario,
            # the scenario as run, so a client shows the form of the run it shows
            "scenario_spec": r.spec.get("scenario"),
            "days": r.days,
            "replications": r.replications,
            "seed": r.seed,
            "status": r.status.value,
            "progress": {
                "done": self.done,
                "total": r.replications,
                "fraction": round(self.done / r.replications, 4) if r.replications else 1.0,
            },
            "submitted_by": r.submitted_by,
            "created_ms": r.created_ms,
            "started_ms": r.started_ms,
            "finished_ms": r.finished_ms,
            "error": r.error or None,
        }


class SimulationService:
    """Queue, run, persist and compare what-if runs (see the module docstring).

    ``executor`` runs the replications: by default a :class:`WorkerPool` over ``workers``
    cores (``settings.workers``; all by default), started with the first run and kept warm for
    the next ones; a cluster deployment passes a Dask or Ray adapter (see
    :mod:`simulation.runner`), tests may pass :class:`simulation.InProcessExecutor`. Only the
    default pool can be stopped mid-batch; another executor stops between batches.
    """

    def __init__(
        self,
        db_url: str,
        line: Line,
        *,
        crew: CrewStore | None = None,
        executor: Executor | None = None,
        workers: int | None = None,
        settings: SimulationSettings | None = None,
        clock: Clock = wall_ms,
    ) -> None:
        self.line = line
        self._settings = settings or SimulationSettings()
        self._store = RunStore(db_url)
        self._crew = crew
        self._workers = workers or self._settings.workers
        self._pool: WorkerPool | None = None  # the default executor, which can be stopped
        if executor is None:
            self._pool = executor = WorkerPool(self._workers)
        self._executor: Executor = executor
        self._clock = clock
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._jobs: dict[str, _Job] = {}  # queued or running
        self._threads: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> SimulationService:
        await self._store.__aenter__()
        try:
            n = await self._store.interrupted(self._clock())
        except BaseException:
            await self._store.__aexit__(None, None, None)
            raise
        if n:
            log.warning("simulation runs interrupted by a restart marked failed", runs=n)
        self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulation")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for job in self._jobs.values():
            job.cancel.set()
        threads, self._threads = self._threads, None
        if threads is not None:
            # never wait on a running batch (it may never end): terminate the workers, then
            # the run's thread sees the cancel within a poll (50 ms) and ends; all of it off
            # the loop
            loop = asyncio.get_running_loop()
            finished = asyncio.Event()
            pool = self._pool

            def shutdown() -> None:
                try:
                    if pool is not None:
                        pool.terminate()
                    threads.shutdown(wait=True, cancel_futures=True)
                    if pool is not None:
                        pool.terminate()  # a batch submitted in the meantime
                finally:
                    loop.call_soon_threadsafe(finished.set)

            waiter = threading.Thread(target=shutdown, name="simulation-shutdown", daemon=True)
            waiter.start()
            await finished.wait()
            waiter.join()
        await self._store.__aexit__(None, None, None)

    def worker_pids(self) -> list[int]:
        """The default pool's worker processes alive now (for tests and diagnostics)."""
        return self._pool.pids() if self._pool is not None else []

    # --- API ---------------------------------------------------------------------------------
    async def submit(
        self, scenario: Scenario, *, days: int, replications: int, seed: int, actor: str
    ) -> RunView:
        """Record a run as queued and put it in line; :class:`QueueFull` beyond the caps."""
        if days < 1 or replications < 1:
            raise ValueError("days and replications must be at least 1")
        limits = self._settings
        active = [j for j in self._jobs.values() if not j.cancel.is_set()]
        if len(active) >= limits.queue_total:
            raise QueueFull(Message("whatif.refused.queue_total", {"n": len(active)}))
        mine = sum(1 for j in active if j.actor == actor)
        if mine >= limits.queue_per_user:
            raise QueueFull(Message("whatif.refused.queue_mine", {"n": mine}))
        job = _Job(uuid.uuid4().hex, scenario, days, replications, seed, actor)
        rec = RunRecord(
            id=job.id,
            scenario=scenario.name,
            spec={"scenario": scenario.model_dump(mode="json")},
            days=days,
            replications=replications,
            seed=seed,
            status=RunStatus.QUEUED,
            submitted_by=actor,
            created_ms=self._clock(),
            started_ms=None,
            finished_ms=None,
            done=0,
            error="",
        )
        await self._store.add(rec)
        self._jobs[job.id] = job
        self._queue.put_nowait(job)
        log.info("simulation queued", run=job.id, scenario=scenario.name, by=actor)
        return RunView(rec, 0)

    async def check(self, scenario: Scenario, days: int) -> None:
        """Refuse a scenario impossible with its roster and run length before queueing it (a
        ValueError naming the input: 100 drivers absent out of 60, an index case after the last
        day). A run "from today" is checked against the crew record now (a case series that
        ends before today, a crew store without staff) and again when it starts."""
        crew_state = await self._crew_state(scenario)
        await asyncio.to_thread(build_setup, scenario, self.line, days, crew_state=crew_state)

    async def get(self, run_id: str) -> RunView:
        rec = await self._store.get(run_id)
        if rec is None:
            raise RunNotFound(run_id)
        return self._view(rec)

    async def result_json(self, run_id: str) -> str | None:
        """The result JSON of a finished run as stored (``None`` until it is done)."""
        return await self._store.result(run_id)

    async def list(self, limit: int = 100) -> list[RunView]:
        return [self._view(r) for r in await self._store.list(limit)]

    async def cancel(self, run_id: str) -> RunView:
        """Stop a queued or running run; :class:`RunAlreadyFinished` for one that has ended
        (it is left as it is: a cancel must not pass for having stopped it).

        A running run's workers are terminated; the answer comes once it is recorded as
        cancelled (or after :data:`CANCEL_WAIT_S`, for an executor that stops between batches).
        """
        view = await self.get(run_id)
        if view.status.finished:
            raise RunAlreadyFinished(view)
        job = self._jobs.get(run_id)
        if job is not None:
            job.cancel.set()
        if view.status is RunStatus.QUEUED or job is None:
            await self._finish(run_id, RunStatus.CANCELLED, error="cancelled before it started")
        elif job is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CANCEL_WAIT_S):
                    await job.ended.wait()
        return await self.get(run_id)

    async def compare(self, a: str, b: str) -> dict[str, Any]:
        """Two finished runs side by side (see :func:`simulation.compare_results`)."""
        results = []
        for run_id in (a, b):
            view = await self.get(run_id)
            text = await self._store.result(run_id)
            if text is None:
                raise RunNotFinished(run_id, view.status.value)
            results.append(WhatIfResult.from_json(text))
        out = compare_results(results[0], results[1])
        out["a"]["id"], out["b"]["id"] = a, b
        return out

    # --- the worker --------------------------------------------------------------------------
    async def run(self) -> None:
        """Run queued jobs one at a time, until cancelled."""
        while True:
            job = await self._queue.get()
            try:
                await self._execute(job)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one run must not stop the queue
                log.exception("simulation run failed unexpectedly", run=job.id)
            finally:
                self._jobs.pop(job.id, None)
                job.ended.set()

    async def _execute(self, job: _Job) -> None:
        if job.cancel.is_set():
            return  # cancelled while queued: already recorded
        if self._threads is None:
            raise RuntimeError("the simulation service is not open (use `async with`)")
        await self._store.set(job.id, status=RunStatus.RUNNING, started_ms=self._clock())
        fut: asyncio.Future[WhatIfResult] | None = None
        try:
            crew_state = await self._crew_state(job.scenario)
            work = partial(
                self._run_in_thread,
                job.scenario,
                job.days,
                job.replications,
                job.seed,
                progress=job.on_progress,
                cancel=job.cancel,
                line=self.line,
                crew_state=crew_state,
                workers=self._workers,
            )
            fut = asyncio.get_running_loop().run_in_executor(self._threads, work)
            # if the server stops mid-run the outcome is read here, not reported as unread
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            result = await self._follow_within_limit(job, fut)
        except asyncio.CancelledError:
            job.cancel.set()  # the server is stopping: its __aexit__ terminates the workers
            raise
        except Exception as exc:
            if not job.cancel.is_set():
                await self._finish(
                    job.id, RunStatus.FAILED, done=job.done, error=str(exc) or type(exc).__name__
                )
                log.warning("simulation failed", run=job.id, error=str(exc))
                return
            # cancelled or over its limit: whatever the run raised on the way out (Cancelled,
            # a broken pool), its workers may still be busy with a batch that never ends
            await self._stop_workers()
            if fut is not None:
                await asyncio.wait([fut])  # the thread sees the cancel within a poll (50 ms)
                await self._stop_workers()  # a batch it submitted meanwhile
            if job.failure:
                await self._finish(job.id, RunStatus.FAILED, done=job.done, error=job.failure)
                log.warning("simulation stopped", run=job.id, error=job.failure)
            else:
                await self._finish(job.id, RunStatus.CANCELLED, done=job.done, error="cancelled")
                log.info("simulation cancelled", run=job.id, done=job.done)
            return
        await self._finish(job.id, RunStatus.DONE, done=job.replications, result=result.to_json())
        log.info("simulation done", run=job.id, scenario=result.scenario)

    async def _follow_within_limit(
        self, job: _Job, fut: asyncio.Future[WhatIfResult]
    ) -> WhatIfResult:
        """:meth:`_follow`, failing the run at the wall-clock limit."""
        limit_s = self._settings.max_run_s
        deadline = asyncio.timeout(limit_s)
        try:
            async with deadline:
                return await self._follow(job, fut)
        except TimeoutError:
            if not deadline.expired():
                raise  # the run itself raised it
            job.failure = (
                f"stopped at the wall-clock limit of {limit_s:g} s (simulation.max_run_s): "
                "run fewer days or replications, or ask an administrator to raise the limit"
            )
            job.cancel.set()
            raise Cancelled(job.failure) from None

    async def _stop_workers(self) -> None:
        """Terminate the default pool's workers (a fresh pool serves the next run)."""
        if self._pool is not None:
            await asyncio.to_thread(self._pool.terminate)

    def _run_in_thread(self, *args: Any, **kwargs: Any) -> WhatIfResult:
        """``run_whatif`` on the service's executor (in the service's worker thread)."""
        try:
            return run_whatif(*args, executor=self._executor, **kwargs)
        except BrokenProcessPool:
            # a worker died (killed, out of memory): start afresh with the next run
            if self._pool is not None:
                self._pool.terminate()
            raise

    async def _follow(self, job: _Job, fut: asyncio.Future[WhatIfResult]) -> WhatIfResult:
        """Await the run, writing its progress to the row every few seconds."""
        written = 0
        while True:
            if fut.done():
                return fut.result()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PROGRESS_WRITE_S):
                    return await asyncio.shield(fut)
            if job.done != written:
                written = job.done
                await self._store.set(job.id, done=written)

    async def _crew_state(self, scenario: Scenario) -> CrewSnapshot | None:
        if scenario.start != "today":
            return None
        if self._crew is None:
            raise ValueError(f"scenario {scenario.name} starts from today: no crew store")
        now = datetime.fromtimestamp(self._clock() / 1000, UTC)
        snap = await self._crew.snapshot(work_since=now - timedelta(days=366))
        return CrewSnapshot.of(snap, now)

    async def _finish(self, run_id: str, status: RunStatus, **values: Any) -> None:
        await self._store.set(run_id, status=status, finished_ms=self._clock(), **values)

    def _view(self, rec: RunRecord) -> RunView:
        job = self._jobs.get(rec.id)
        done = job.done if job is not None and not rec.status.finished else rec.done
        return RunView(rec, done)
