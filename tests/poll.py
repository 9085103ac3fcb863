"""The suite's one way to wait for a condition: poll it until it holds, or fail saying what.

Tests never sleep a fixed time to let something happen: they wait on the condition itself
(``await until(lambda: len(got) >= 3)``), bounded by a generous timeout that only a broken
build reaches. A condition may be a plain function or a coroutine function (an HTTP request);
its first truthy value is returned. ``until_sync`` is the same for code without an event loop
(browser tests, subprocess helpers).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

EVERY_S = 0.02  # polling period: cheap conditions, and fast enough to time things to ~20 ms


async def until(
    cond: Callable[[], T | Awaitable[T]],
    timeout_s: float = 10.0,
    *,
    every_s: float = EVERY_S,
    what: str = "",
) -> T:
    """Poll ``cond`` until it returns something truthy, and return that; AssertionError after
    ``timeout_s`` naming ``what`` (or the condition)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = cond()
        if inspect.isawaitable(got):
            got = await got
        if got:
            return got  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {what or _describe(cond)}")
        await asyncio.sleep(every_s)


async def elapsed_until(
    cond: Callable[[], object | Awaitable[object]],
    timeout_s: float = 10.0,
    *,
    every_s: float = EVERY_S,
    what: str = "",
) -> float:
    """:func:`until`, returning the seconds it took instead (for "recovered within" checks)."""
    t0 = time.monotonic()
    await until(cond, timeout_s, every_s=every_s, what=what)
    return time.monotonic() - t0


def until_sync(
    cond: Callable[[], T],
    timeout_s: float = 10.0,
    *,
    every_s: float = EVERY_S,
    what: str = "",
) -> T:
    """:func:`until` for synchronous code (no event loop)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {what or _describe(cond)}")
        time.sleep(every_s)


def _describe(cond: Callable[..., object]) -> str:
    try:
        return inspect.getsource(cond).strip()
    except (OSError, TypeError):
        return repr(cond)
