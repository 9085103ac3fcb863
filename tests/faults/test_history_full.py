"""History on a full disk: loud (``/healthz`` history down, an alarm, ``/api/history`` 503
"history unavailable" instead of rows quietly shrinking), the live board unaffected, and
recovery by itself once there is room again.

The disk is a real 1 MB tmpfs, nearly filled before ``serve`` starts; mounting one needs root
(CAP_SYS_ADMIN): where the machine does not allow it the test says so and is skipped.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.runtime import build_runtime
from tests.api.test_serve import serving
from tests.faults.kit import Feeder, alarms, board_train, running
from tests.fixtures.mosquitto import Broker
from tests.reliability.rig import app_settings, wait_for_value

TRAINS = tuple(f"T{i:02d}" for i in range(1, 14))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


async def history_status(http: httpx.AsyncClient) -> str:
    body = (await http.get("/healthz")).json()
    return str(body["dependencies"]["history"]["status"])


async def test_full_disk_is_loud_and_recovers(
    tmp_path: Path, small_disk: Path, mosquitto: Broker, feeder: Feeder
) -> None:
    settings = app_settings(
        tmp_path, mosquitto.url, history={"embedded_path": str(small_disk / "history.sqlite")}
    )
    rt = build_runtime(settings)
    filler = small_disk / "filler"
    async with serving(rt) as http, running(feeder.run(TRAINS)):
        await wait_for_value(
            lambda: board_train(http, "T01"), lambda t: t["ts_ms"] is not None, what="live"
        )
        # fill what is left of the disk
        with contextlib.suppress(OSError), filler.open("wb") as f:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        await wait_for_value(
            lambda: history_status(http), lambda s: s == "down", timeout_s=30, what="history down"
        )
        r = await http.get("/api/history/trains/T01")
        assert r.status_code == 503 and r.json()["detail"].startswith("history unavailable")
        await wait_for_value(
            lambda: alarms(http),
            lambda al: any(a["key"] == "system:history:down" for a in al),
            what="the history alarm",
        )
        health = (await http.get("/healthz")).json()
        assert health["live_board"] and health["sinks"]["embedded"]["dropped"] > 0
        t01 = await board_train(http, "T01")
        assert not t01["stale"]  # the live side goes on
        # room again: history resumes by itself
        filler.unlink()
        await wait_for_value(
            lambda: history_status(http), lambda s: s == "ok", timeout_s=30, what="history ok"
        )
        rows = await wait_for_value(
            lambda: http.get("/api/history/trains/T01"),
            lambda r: r.status_code == 200 and len(r.json()["rows"]) > 0,
            what="history answering again",
        )
        assert rows.status_code == 200
