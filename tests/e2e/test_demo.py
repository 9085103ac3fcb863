"""`metro-ops demo`, as a user runs it: 13 trains on /api/board within 30 s; Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fixtures.ports import free_port


def test_demo_shows_13_trains_moving_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")}
    env["METRO_HTTP_PORT"] = str(port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "demo", "--speed", "10"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        first: dict[str, float] = {}
        moved: set[str] = set()
        reporting: set[str] = set()
        while time.monotonic() < deadline and (len(reporting) < 13 or len(moved) < 5):
            time.sleep(0.5)
            try:
                board = httpx.get(f"http://127.0.0.1:{port}/api/board", timeout=2).json()
            except httpx.HTTPError:
                continue
            for t in board["trains"]:
                if t["ts_ms"] and not t["stale"]:
                    reporting.add(t["train"])
                    first.setdefault(t["train"], t["pos_m"])
                    if t["pos_m"] != first[t["train"]]:
                        moved.add(t["train"])
        assert len(reporting) == 13, f"only {sorted(reporting)} reported within 30 s"
        assert len(moved) >= 5, f"trains in service did not move: {sorted(moved)}"
        assert board["kpis"]["trains_in_service"] >= 4
        assert len(board["substations"]) == 5
        assert (tmp_path / "data" / "history.sqlite").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"demo did not stop on Ctrl-C in 20 s:\n{err[-3000:]}") from None
    assert proc.returncode == 0, err[-3000:]
    assert "board       http://127.0.0.1" in out
    assert "Traceback" not in err, err[-3000:]
