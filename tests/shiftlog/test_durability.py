"""An acknowledged shift log entry survives ``kill -9`` of the process that wrote it, on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

from shiftlog import ShiftLogStore

ROOT = Path(__file__).resolve().parents[2]

# Appends entries as fast as it can and acknowledges each id on stdout once append() has
# returned (committed), as POST /api/log answers 201.
WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from shiftlog import Category, NewEntry, ShiftLogStore

    async def main() -> None:
        async with ShiftLogStore(sys.argv[1]) as store:
            i = 0
            while True:
                e = await store.append(
                    NewEntry(author="dd01", category=Category.OPERATIONS, text=f"mục {i}")
                )
                sys.stdout.write(f"{e.id} {i}\\n")
                sys.stdout.flush()
                i += 1

    asyncio.run(main())
    """
)


async def test_acknowledged_entries_survive_sigkill(db_url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER,
        db_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acked: dict[int, str] = {}
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while len(acked) < 40 and time.monotonic() < deadline:
            async with asyncio.timeout(30):
                line = await proc.stdout.readline()
            if not line:
                break
            entry_id, i = line.split()
            acked[int(entry_id)] = f"mục {int(i)}"
        proc.send_signal(signal.SIGKILL)  # in the middle of the next write
    finally:
        if proc.returncode is None:
            proc.kill()
        async with asyncio.timeout(10):
            _, err = await proc.communicate()
    assert len(acked) == 40, f"writer acknowledged only {len(acked)} entries:\n{err[-2000:]!r}"
    assert proc.returncode == -signal.SIGKILL

    async with ShiftLogStore(db_url) as store:
        stored = {e.id: e.text for e in (await store.page(limit=500)).entries}
    lost = {i: t for i, t in acked.items() if stored.get(i) != t}
    assert not lost, f"acknowledged entries lost after kill -9: {lost}"
