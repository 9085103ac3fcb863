"""Make release 0abac3c's database with its own code: the fixtures of the upgrade test.

Run with that release's checkout and virtual environment (not with today's code)::

    git worktree add --detach /tmp/rel 0abac3c && (cd /tmp/rel && uv sync --frozen)
    /tmp/rel/.venv/bin/python tests/storage/release_0abac3c/make_db.py /tmp/rel OUT_DIR
    sqlite3 OUT_DIR/data/metro.db .dump > tests/storage/release_0abac3c/metro.sql
    cp OUT_DIR/manifest.json tests/storage/release_0abac3c/

For PostgreSQL, give ``--db-url postgresql://postgres@127.0.0.1:PORT/metro`` of a database in a
private cluster (``tests.fixtures.postgres.private_cluster()`` from today's checkout), then
write ``PgCluster.dump("metro")`` to ``metro.pg.sql`` and the manifest to ``manifest.pg.json``.

It starts that release's ``metro-ops demo`` (broker, emulator, ingest, API on a free port; it
seeds a synthetic roster, tests and one user per role) in ``OUT_DIR`` and drives its HTTP API
as users would: sign-ins, a status event, a case with its contact tracing, a work record, a
cohort, a situation report, a small what-if run, an acknowledged and commented alarm. Ctrl-C
then stops the demo, which saves its operating record; ``users token`` adds an API token and
five failed sign-ins of one name a sign-in lock. ``OUT_DIR/manifest.json`` lists what was
made, for the test to find it again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(cond: Any, timeout_s: float, what: str) -> Any:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def _client(base: str, user: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60)
    r = c.post("/api/auth/login", json={"username": user, "password": password})
    r.raise_for_status()
    c.headers["X-CSRF-Token"] = c.cookies["metro_csrf"]
    return c


async def _lock(url: str) -> None:
    from api.security import SecurityStore
    from api.settings import Settings

    async with SecurityStore(url, Settings().auth) as store:
        for _ in range(5):
            result = await store.signin.login("ghost", "wrong password", "10.0.0.9")
        assert result.outcome.value == "locked", result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("release", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--db-url", default=None)
    a = ap.parse_args()
    out: Path = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "METRO_HTTP_PORT": str(port), "METRO_LOG_FORMAT": "console"}
    if a.db_url:
        env["METRO_DB_URL"] = a.db_url
    exe = a.release / ".venv" / "bin" / "metro-ops"
    proc = subprocess.Popen(
        [str(exe), "demo", "--speed", "30", "--start", "07:30"],
        cwd=out,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # one reader for everything (see PITFALLS: Popen text=True)
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        _wait(lambda: any("Ctrl-C" in x for x in lines), 120, "the demo's banner")
        text = "".join(lines)
        pw = dict(re.findall(r"^\s{4}(\w+)\s+\w+\s+(\S+)$", text, re.M))
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: httpx.get(f"{base}/healthz", timeout=5).status_code < 600, 60, "HTTP")

        for _ in range(5):  # five failures of one name from one address: a sign-in lock
            httpx.post(f"{base}/api/login", json={"username": "operator", "password": "wrong!"})
        op = _client(base, "operator", pw["operator"])
        cm = _client(base, "crew_manager", pw["crew_manager"])
        pl = _client(base, "planner", pw["planner"])
        admin = _client(base, "admin", pw["admin"])

        staff = cm.get("/api/crew/staff").json()
        ids = [s["id"] if "id" in s else s["item"]["id"] for s in staff]
        drivers = [i for i in ids if i.startswith("D")] or ids
        made: dict[str, Any] = {"staff": len(ids)}
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        r = cm.post(
            "/api/crew/status-events",
            json={
                "event_id": "rel-ev-1",
                "staff_id": drivers[-1],
                "state": "sick_other",
                "effective": now,
                "until": "2030-01-01T00:00:00+00:00",
                "source": "release 0abac3c fixture",
            },
        )
        assert r.status_code in (200, 201), r.text
        r = cm.post("/api/crew/cases", json={"staff_id": drivers[0], "at": now})
        assert r.status_code in (200, 201), r.text
        r = cm.post(
            "/api/crew/work",
            json={
                "work_id": "rel-work-1",
                "staff_id": drivers[1],
                "start": "2026-12-01T05:00:00+07:00",
                "end": "2026-12-01T13:30:00+07:00",
            },
        )
        assert r.status_code in (200, 201), r.text
        r = cm.post(
            "/api/crew/cohorts",
            json={
                "id": "REL-3OS",
                "name": "3 tại chỗ (fixture)",
                "members": drivers[2:4],
                "start": "2026-12-01T00:00:00+07:00",
                "planned_end": "2026-12-10T00:00:00+07:00",
                "beds_available": 4,
            },
        )
        assert r.status_code in (200, 201), r.text

        r = op.post("/api/reports")
        assert r.status_code == 201, r.text
        made["report"] = r.json()["id"]
        r = pl.post(
            "/api/simulations",
            json={"scenario": "wave-2022", "days": 3, "replications": 2, "seed": 7},
        )
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]
        made["run"] = run_id
        _wait(
            lambda: pl.get(f"/api/simulations/{run_id}").json()["status"] == "done",
            300,
            "the what-if run",
        )
        alarms = _wait(lambda: op.get("/api/alarms").json().get("alarms") or None, 180, "an alarm")
        alarm_id = alarms[0]["id"]
        r = op.post(f"/api/alarms/{alarm_id}/ack")
        assert r.status_code == 200, r.text
        made["acked_alarm"] = alarm_id
        r = op.post(f"/api/alarms/{alarm_id}/comment", json={"text": "đã kiểm tra"})
        assert r.status_code == 200, r.text
        admin.get("/api/audit")
        for c in (op, cm, pl, admin):
            c.close()
    finally:
        proc.send_signal(signal.SIGINT)  # the demo saves its operating record on the way out
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    # an API token, with that release's users command
    issued = subprocess.run(
        [str(exe), "users", "token", "admin", "--label", "fixture"],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    made["token"] = issued.stdout.split()[-1]
    # a sign-in lock (five failures of one name from one address), through that release's
    # sign-in code: the demo's locks were gone by the time it stopped
    url = a.db_url or f"sqlite+aiosqlite:///{out / 'data' / 'metro.db'}"
    asyncio.run(_lock(url.replace("postgresql://", "postgresql+asyncpg://", 1)))
    (out / "manifest.json").write_text(json.dumps(made, indent=1) + "\n")
    sys.stdout.write("".join(lines[-5:]))


if __name__ == "__main__":
    main()
