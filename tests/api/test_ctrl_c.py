"""Ctrl-C in a terminal stops ``metro-ops serve`` quietly, also when the signal arrives twice
(``uv run`` and ``make`` forward the terminal's SIGINT to a process that already got it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures.metro_server import server_env
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port
from tests.poll import until_sync


def test_double_ctrl_c_stops_serve_without_a_traceback(tmp_path: Path, mosquitto: Broker) -> None:
    import httpx

    port = free_port()
    env = server_env(tmp_path, port, MQTT_URL=mosquitto.url, LOG_LEVEL="info")
    out = tmp_path / "server.out"
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group, as a terminal's job
        )
    try:

        def started() -> bool:
            assert proc.poll() is None, out.read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code > 0
            except httpx.TransportError:
                return False

        until_sync(started, 60, every_s=0.1, what="metro-ops serve answering")
        until_sync(
            lambda: "Application startup complete" in out.read_text(errors="replace"),
            30,
            what="start-up complete",
        )
        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # the terminal's Ctrl-C
        # and the one `uv run` forwards a moment later (sent at once, the kernel would merge
        # the two into one pending signal)
        until_sync(
            lambda: "Shutting down" in out.read_text(errors="replace"),
            20,
            every_s=0.01,
            what="the first SIGINT handled",
        )
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=30)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.read_text(errors="replace")
    assert code in (0, 130), text[-3000:]  # 130: ended by SIGINT, re-raised by uvicorn
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-3000:]
    assert took < 20, text[-3000:]
