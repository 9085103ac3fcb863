"""An acknowledged write survives ``kill -9`` of the process that made it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import text

from crew.store import CrewStore

ROOT = Path(__file__).resolve().parents[2]

# Writes status events as fast as it can and acknowledges each one on stdout once
# record_status has returned (i.e. committed), like the API answering 201.
WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime, timedelta
    from crew import Role, Staff, State, StatusEvent
    from crew.store import CrewStore

    async def main() -> None:
        async with CrewStore(sys.argv[1]) as store:
            await store.create_staff(Staff(id="D1", name="An", role=Role.DRIVER), actor="w")
            t0 = datetime(2026, 3, 2, tzinfo=UTC)
            i = 0
            while True:
                ev = StatusEvent(
                    event_id=f"ack-{i}", staff_id="D1", state=State.ON_SHIFT,
                    effective=t0 + timedelta(minutes=i), recorded_at=t0,
                )
                await store.record_status(ev, actor="w")
                sys.stdout.write(f"{i}\\n")
                sys.stdout.flush()
                i += 1

    asyncio.run(main())
    """
)


async def test_acknowledged_writes_survive_sigkill(db_url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER,
        db_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acked: list[int] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while len(acked) < 60 and time.monotonic() < deadline:
            async with asyncio.timeout(30):
                line = await proc.stdout.readline()
            if not line:
                break
            acked.append(int(line))
        proc.send_signal(signal.SIGKILL)  # in the middle of the next write
    finally:
        if proc.returncode is None:
            proc.kill()
        async with asyncio.timeout(10):
            _, err = await proc.communicate()
    assert len(acked) == 60, f"writer acknowledged only {len(acked)} writes:\n{err[-2000:]!r}"
    assert proc.returncode == -signal.SIGKILL

    async with CrewStore(db_url) as store:
        stored = {e.event_id for e in await store.status_events("D1")}
        missing = [i for i in acked if f"ack-{i}" not in stored]
        assert not missing, f"acknowledged writes lost after kill -9: {missing}"
        audited = {a.entity_id for a in await store.audit(entity="status_event", limit=10_000)}
        assert audited == stored, "every stored event has its audit record, and no more"
        if store.engine.dialect.name == "sqlite":
            async with store.engine.connect() as conn:
                check = (await conn.execute(text("PRAGMA integrity_check"))).scalar_one()
            assert check == "ok"
