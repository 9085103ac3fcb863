from __future__ import annotations

import os
import subprocess
import sys


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=base,
        timeout=60,
    )


def test_serve_without_broker_fails_at_once_saying_what_to_set() -> None:
    r = _run("serve")
    assert r.returncode == 2
    assert "METRO_MQTT_URL" in r.stderr


def test_line_command_prints_the_line() -> None:
    r = _run("line")
    assert r.returncode == 0, r.stderr
    assert "Cát Linh" in r.stdout and "Yên Nghĩa" in r.stdout
    assert "6 min → 9 trains" in r.stdout
