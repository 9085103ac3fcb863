"""Cost control for the crew outlook (``GET /api/crew/coverage`` and ``/capacity``).

Each request solves CP-SAT for every day asked (about a second for 31 days of Line 2A): six at
once used to take 15 s of CPU and slow every board request 70-fold. :class:`OutlookGate` puts
one gate in front of the solve:

* identical requests (same first day, days, timetable and crew revision) share one solve while
  it runs (single flight) and its answer for ``crew.outlook_cache_s`` after;
* at most ``crew.outlook_concurrent`` solves run at once server-wide, each in a worker
  process of the gate's own pool (:meth:`OutlookGate.offload`): a solve in a thread held the
  GIL for its Python work and slowed every board request several-fold;
* each user may have ``crew.outlook_days_per_minute`` days solved for them a minute (a new
  14-day solve costs 14; cached answers and joining a running solve are free): enough for a
  crew manager's screens after every change, not for a loop of month-long solves; beyond,
  :class:`RateLimited` (HTTP 429 with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from whatif.pool import WorkerPool

T = TypeVar("T")

WINDOW_S = 60.0  # the rate limit's window


class RateLimited(RuntimeError):
    """Too many new solves by this user; ``retry_after_s`` says when one is allowed again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OutlookGate:
    """Cache, single-flight, concurrency bound and per-user rate limit (module docstring)."""

    def __init__(
        self,
        *,
        cache_s: float,
        days_per_minute: int,
        concurrent: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache_s = cache_s
        self._per_minute = days_per_minute
        self._slots = asyncio.Semaphore(concurrent)
        self._clock = clock
        self._cache: dict[Hashable, tuple[float, Any]] = {}
        self._running: dict[Hashable, asyncio.Task[Any]] = {}
        self._spent: dict[str, deque[tuple[float, int]]] = {}  # per user: (when, days)
        self._pool = WorkerPool(concurrent)  # started with the first solve
        self.solves = 0  # solves started (for tests and diagnostics)

    async def __aenter__(self) -> OutlookGate:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the worker processes (a solve still running is abandoned)."""
        await asyncio.to_thread(self._pool.terminate)

    async def offload(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (picklable) in one of the gate's worker processes."""
        return await asyncio.wrap_future(self._pool.submit(fn))

    async def get(
        self, key: Hashable, actor: str, days: int, solve: Callable[[], Awaitable[Any]]
    ) -> Any:
        """The answer for ``key``: cached, joined, or solved now (``days`` days) for ``actor``."""
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        task = self._running.get(key)
        if task is None:
            self._charge(actor, days, now)
            task = asyncio.create_task(self._solve(key, solve), name="crew-outlook")
            task.add_done_callback(lambda t: t.cancelled() or t.exception())  # read if unwaited
            self._running[key] = task
        # a caller that goes away leaves the solve to the others (and the cache)
        return await asyncio.shield(task)

    def _charge(self, actor: str, days: int, now: float) -> None:
        spent = self._spent.setdefault(actor, deque())
        while spent and spent[0][0] <= now - WINDOW_S:
            spent.popleft()
        used = sum(d for _, d in spent)
        if used + days > self._per_minute:
            # when enough of the window's spending has aged out
            left, retry_at = used + days - self._per_minute, now + WINDOW_S
            for t, d in spent:
                left -= d
                if left <= 0:
                    retry_at = t + WINDOW_S
                    break
            retry = max(1, math.ceil(retry_at - now))
            raise RateLimited(
                f"at most {self._per_minute} days of coverage calculated a minute per user "
                f"(crew.outlook_days_per_minute; {used} used): retry in {retry} s",
                retry,
            )
        spent.append((now, days))

    async def _solve(self, key: Hashable, solve: Callable[[], Awaitable[Any]]) -> Any:
        try:
            async with self._slots:
                self.solves += 1
                value = await solve()
            now = self._clock()
            for k in [k for k, (exp, _) in self._cache.items() if exp <= now]:
                del self._cache[k]
            if self._cache_s > 0:
                self._cache[key] = (now + self._cache_s, value)
            return value
        finally:
            self._running.pop(key, None)
