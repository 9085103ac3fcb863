"""A stop that hangs says what it waits on: every thread's and pending task's stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HANGS_ON_STOP = """
import asyncio, threading
from cli.main import stop_watchdog

async def stuck_farewell():
    await asyncio.Event().wait()

async def main():
    task = asyncio.create_task(stuck_farewell())
    await asyncio.sleep(0)
    timer = stop_watchdog(0.2, asyncio.get_running_loop())
    await asyncio.to_thread(timer.join)  # until it has written its report
    task.cancel()

asyncio.run(main())
"""


def test_a_hung_stop_reports_the_stacks_it_waits_on() -> None:
    r = subprocess.run(
        [sys.executable, "-c", HANGS_ON_STOP],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "still stopping after 0.2 s; waiting on:" in r.stderr
    assert "stuck_farewell" in r.stderr  # the pending task, by its coroutine
    assert "Thread 0x" in r.stderr or "Current thread" in r.stderr  # every thread's stack
