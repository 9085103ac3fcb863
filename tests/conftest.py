"""Shared test fixtures: real local servers on free ports, and a leak check."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.fixtures.mosquitto",
    "tests.fixtures.metro_server",
    "tests.fixtures.postgres",
    "tests.fixtures.victoria",
]


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves threads running (servers, clients not stopped)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = 5.0
    step = 0.05
    waited = 0.0
    while True:
        extra = [
            t
            for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and not t.daemon
        ]
        if not extra or waited >= deadline:
            break
        threading.Event().wait(step)
        waited += step
    assert not extra, f"test left threads running: {[t.name for t in extra]}"


@pytest.fixture(autouse=True)
async def _no_leaked_tasks(_no_leaked_threads: None) -> None:
    """Fail an async test that leaves tasks running on its loop.

    Also shuts down the loop's default executor: aiomqtt connects through it, and its idle
    threads would otherwise outlive the test until the loop closes (after the thread check).
    """
    yield  # type: ignore[misc]
    loop = asyncio.get_running_loop()
    current = asyncio.current_task(loop)
    pending = [t for t in asyncio.all_tasks(loop) if t is not current and not t.done()]
    for _ in range(20):
        if not pending:
            break
        await asyncio.sleep(0.05)
        pending = [t for t in pending if not t.done()]
    assert not pending, f"test left tasks running: {pending}"
    await loop.shutdown_default_executor()
