"""Database trouble: a crew write that cannot be done in a few seconds gets 503 with
Retry-After — never a 500, never a minute's hang — ``/healthz`` names the database (200: the
live board is still served), an alarm names it, and everything recovers by itself.

Real PostgreSQL (a private cluster: stopped with ``pg_ctl``, frozen with SIGSTOP) and real
SQLite (its write lock held by another process); the database timeout is shortened to 1.5 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.runtime import build_runtime
from services.settings import Settings
from tests.api.test_serve import serving
from tests.fixtures.postgres import PgCluster, private_cluster
from tests.reliability.rig import app_settings, wait_for_value

CREW_TOKEN = "tok-crew-manager-faults-0123"
CM = {"Authorization": f"Bearer {CREW_TOKEN}"}
DB_TIMEOUT_S = 1.5
# the write deadline is db.timeout_s + 1 s = 2.5 s; slack for a machine shared by many
FAST_ENOUGH_S = 5.0


def staff(sid: str) -> dict[str, Any]:
    return {
        "id": sid,
        "name": "Nguyễn Văn An",
        "role": "driver",
        "line_id": "2a",
        "qualifications": [{"kind": "line_licence", "scope": "2a", "valid_until": "2030-01-01"}],
    }


def settings_for(tmp_path: Path, db_url: str) -> Settings:
    s = app_settings(tmp_path, db={"url": db_url, "timeout_s": DB_TIMEOUT_S})
    tokens = {**s.auth.tokens, CREW_TOKEN: "cm01:crew_manager"}
    return s.model_copy(update={"auth": s.auth.model_copy(update={"tokens": tokens})})


async def timed_write(http: httpx.AsyncClient, sid: str) -> tuple[httpx.Response, float]:
    t0 = time.monotonic()
    r = await http.post("/api/crew/staff", json=staff(sid), headers=CM, timeout=60)
    return r, time.monotonic() - t0


async def db_status(http: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    r = await http.get("/healthz", timeout=5)
    return r.status_code, r.json()


async def assert_refused_then_recovered(http: httpx.AsyncClient, sid: str) -> None:
    r, took = await timed_write(http, sid)
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"].isdigit() and "retry" in r.json()["detail"]
    assert took < FAST_ENOUGH_S, f"the refusal took {took:.1f} s"
    code, body = await db_status(http)
    assert code == 200 and body["live_board"] and body["status"] == "degraded"
    assert body["dependencies"]["database"]["status"] == "down"
    board = await http.get("/api/board")
    assert board.status_code == 200 and board.json()["health"]["dependencies"]["database"]


async def wait_database(http: httpx.AsyncClient, status: str) -> dict[str, Any]:
    got: tuple[int, dict[str, Any]] = await wait_for_value(
        lambda: db_status(http),
        lambda v: v[1]["dependencies"]["database"]["status"] == status,
        timeout_s=30,
        what=f"database {status} on /healthz",
    )
    return got[1]


async def alarm_keys(http: httpx.AsyncClient) -> set[str]:
    """Keys of the alarms whose condition is present now."""
    return {a["key"] for a in (await http.get("/api/alarms")).json()["alarms"] if a["active"]}


@pytest.fixture
def private_pg() -> Iterator[PgCluster]:
    """A cluster of this test's own: it is stopped and frozen here."""
    with private_cluster("metro-pg-faults-") as cluster:
        yield cluster


async def test_postgres_stopped_then_frozen(tmp_path: Path, private_pg: PgCluster) -> None:
    rt = build_runtime(settings_for(tmp_path, private_pg.url()), require_broker=False)
    async with serving(rt) as http:
        assert (await timed_write(http, "D1"))[0].status_code == 201

        # stopped: connection refused
        private_pg.stop()
        await assert_refused_then_recovered(http, "D2")
        await wait_for_value(
            lambda: alarm_keys(http), lambda k: "system:database:down" in k, what="db alarm"
        )
        private_pg.start_server()
        await wait_database(http, "ok")
        assert (await timed_write(http, "D2"))[0].status_code == 201
        await wait_for_value(
            lambda: alarm_keys(http), lambda k: "system:database:down" not in k, what="cleared"
        )

        # frozen (SIGSTOP): connections accepted by the kernel, never answered
        frozen = private_pg.pids()
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            await assert_refused_then_recovered(http, "D3")
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        await wait_database(http, "ok")
        r = await http.post("/api/crew/staff", json=staff("D3"), headers=CM)
        assert r.status_code == 201, r.text


async def test_sqlite_locked_by_another_process(tmp_path: Path) -> None:
    db = tmp_path / "metro.db"
    rt = build_runtime(settings_for(tmp_path, f"sqlite+aiosqlite:///{db}"), require_broker=False)
    async with serving(rt) as http:
        assert (await timed_write(http, "D1"))[0].status_code == 201
        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert locker.stdout is not None
            assert (await locker.stdout.readline()).strip() == b"locked"
            await assert_refused_then_recovered(http, "D2")
        finally:
            assert locker.stdin is not None
            locker.stdin.close()
            await locker.wait()
        await wait_database(http, "ok")
        assert (await timed_write(http, "D2"))[0].status_code == 201
