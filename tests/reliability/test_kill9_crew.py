"""``kill -9`` of a running metro-ops in the middle of concurrent crew writes over REST.

A real ``metro-ops serve`` process (SQLite in WAL mode, a crew manager's bearer token from
``METRO_AUTH_TOKENS``) takes status events, test results and staff edits from six concurrent
clients; it is killed with SIGKILL while requests are in flight, and started again on the same
database. Then:

* every write that was answered 2xx is there, exactly once;
* nothing is half-applied: each stored event and test has exactly its one audit record, no
  audit record lacks its fact, the staff record's version matches its audit trail, and
  SQLite's integrity check passes;
* a write whose answer was lost to the kill is safe to send again: it is stored once either way.

``tests/crew_store/test_durability.py`` proves the store alone (one writer, in-process); here it
is the whole server over HTTP with concurrent requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.metro_server import MetroServer
from tests.fixtures.mosquitto import Broker

CREW_TOKEN = "tok-crew-manager-kill9-0123"
ADMIN_TOKEN = "tok-admin-kill9-0123456789"
STAFF = ("D901", "D902", "K903")
WRITERS = 6
KILL_AFTER_ACKED = 150


def status_body(event_id: str, staff: str, i: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "staff_id": staff,
        "state": "on_shift" if i % 2 else "rest",
        "effective": f"2026-03-{1 + i // 1440 % 28:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00+07:00",
        "source": "kill9-test",
    }


def result_body(test_id: str, staff: str, i: int) -> dict[str, Any]:
    return {
        "test_id": test_id,
        "staff_id": staff,
        "kind": "rapid",
        "outcome": "negative",
        "taken_at": f"2026-03-02T{i // 60 % 24:02d}:{i % 60:02d}:00+07:00",
    }


class Writes:
    """What the clients sent: acknowledged (2xx), refused (other status) and unknown (the
    answer was lost to the kill). Keys are ``("status" | "test", id)``."""

    def __init__(self) -> None:
        self.acked: set[tuple[str, str]] = set()
        self.refused: dict[tuple[str, str], int] = {}
        self.unknown: dict[tuple[str, str], dict[str, Any]] = {}
        self.staff_acked: dict[str, tuple[int, str]] = {}  # id → (version, name) last acked
        self.enough = asyncio.Event()  # KILL_AFTER_ACKED writes acknowledged

    def ack(self, key: tuple[str, str]) -> None:
        self.acked.add(key)
        if len(self.acked) >= KILL_AFTER_ACKED:
            self.enough.set()


async def writer(http: httpx.AsyncClient, w: int, writes: Writes, stop: asyncio.Event) -> None:
    """Post status events and test results until the server goes away."""
    i = 0
    while not stop.is_set():
        staff = STAFF[(w + i) % len(STAFF)]
        if i % 3 == 2:
            key, url = ("test", f"w{w}-t{i}"), "/api/crew/tests"
            body = result_body(key[1], staff, w * 10_000 + i)
        else:
            key, url = ("status", f"w{w}-s{i}"), "/api/crew/status-events"
            body = status_body(key[1], staff, w * 10_000 + i)
        i += 1
        try:
            r = await http.post(url, json=body)
        except httpx.TransportError:
            writes.unknown[key] = body
            return
        if 200 <= r.status_code < 300:
            writes.ack(key)
        else:
            writes.refused[key] = r.status_code


async def editor(http: httpx.AsyncClient, writes: Writes, stop: asyncio.Event) -> None:
    """Rename a staff member over and over (versioned PUT with If-Match)."""
    staff = STAFF[0]
    r = await http.get(f"/api/crew/staff/{staff}")
    record, etag = r.json(), r.headers["etag"]
    n = 0
    while not stop.is_set():
        n += 1
        body = {k: v for k, v in record.items() if k != "version"} | {"name": f"Nguyễn Văn An {n}"}
        try:
            r = await http.put(f"/api/crew/staff/{staff}", json=body, headers={"If-Match": etag})
        except httpx.TransportError:
            return
        assert r.status_code == 200, r.text
        record, etag = r.json(), r.headers["etag"]
        writes.staff_acked[staff] = (record["version"], body["name"])


async def paged(http: httpx.AsyncClient, entity: str) -> list[dict[str, Any]]:
    """Every crew audit record of ``entity`` (pages of 1000, newest first)."""
    out: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"entity": entity, "limit": 1000}
        if before is not None:
            params["before_id"] = before
        page = (await http.get("/api/crew/audit", params=params)).json()
        out.extend(page)
        if len(page) < 1000:
            return out
        before = page[-1]["id"]


@pytest.mark.timeout(300)  # restarts a server several times: minutes on a loaded machine
async def test_acknowledged_crew_writes_survive_kill_9_of_the_server(
    make_metro_server: Callable[..., MetroServer], mosquitto: Broker
) -> None:
    server = make_metro_server(
        tokens={CREW_TOKEN: "cm01:crew_manager", ADMIN_TOKEN: "ad01:admin"},
        MQTT_URL=mosquitto.url,
    )
    headers = {"Authorization": f"Bearer {CREW_TOKEN}"}
    writes = Writes()
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as http:
        for sid in STAFF:
            role = "technician" if sid.startswith("K") else "driver"
            body: dict[str, Any] = {"id": sid, "name": f"Staff {sid}", "role": role}
            if role == "technician":
                body["discipline"] = "power"
            r = await http.post("/api/crew/staff", json=body)
            assert r.status_code == 201, r.text

        stop = asyncio.Event()
        tasks = [asyncio.create_task(writer(http, w, writes, stop)) for w in range(WRITERS)]
        tasks.append(asyncio.create_task(editor(http, writes, stop)))
        with contextlib.suppress(TimeoutError):  # (too few acknowledged fails below)
            async with asyncio.timeout(30):
                await writes.enough.wait()
        # SIGKILL with requests in flight: no shutdown, no flush, nothing said to the clients
        code = await asyncio.to_thread(server.kill, signal.SIGKILL)
        stop.set()
        async with asyncio.timeout(30):
            await asyncio.gather(*tasks)
    assert code == -signal.SIGKILL
    assert len(writes.acked) >= KILL_AFTER_ACKED, server.tail()
    assert not writes.refused, writes.refused
    assert writes.unknown, "no write was in flight at the kill"

    await asyncio.to_thread(server.start)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as http:
        events = (await http.get("/api/crew/status-events")).json()
        tests = (await http.get("/api/crew/tests")).json()
        stored = {("status", e["event_id"]) for e in events} | {
            ("test", t["test_id"]) for t in tests
        }
        # every acknowledged write is there, once; nothing is there that nobody sent
        assert writes.acked <= stored, sorted(writes.acked - stored)[:10]
        assert stored <= writes.acked | set(writes.unknown)
        assert len(events) + len(tests) == len(stored)

        # nothing half-applied: one audit record per stored fact, and none without its fact
        audited = [("status", a["entity_id"]) for a in await paged(http, "status_event")]
        audited += [("test", a["entity_id"]) for a in await paged(http, "test_result")]
        assert sorted(audited) == sorted(stored)
        staff_id = STAFF[0]
        acked_version, acked_name = writes.staff_acked[staff_id]
        r = await http.get(f"/api/crew/staff/{staff_id}")
        now = r.json()
        # the last acknowledged edit, or one more whose answer the kill swallowed
        assert now["version"] in (acked_version, acked_version + 1)
        if now["version"] == acked_version:
            assert now["name"] == acked_name
        trail = [a for a in await paged(http, "staff") if a["entity_id"] == staff_id]
        assert sorted(a["version"] for a in trail) == list(range(1, now["version"] + 1))

        # the client retries what it never got an answer for: stored once either way
        for (kind, ident), body in writes.unknown.items():
            url = "/api/crew/tests" if kind == "test" else "/api/crew/status-events"
            r = await http.post(url, json=body)
            assert r.status_code == (200 if (kind, ident) in stored else 201), r.text
        events = (await http.get("/api/crew/status-events")).json()
        tests = (await http.get("/api/crew/tests")).json()
        ids = [("status", e["event_id"]) for e in events] + [("test", t["test_id"]) for t in tests]
        assert len(ids) == len(set(ids)) == len(writes.acked | set(writes.unknown))

    with contextlib.closing(sqlite3.connect(server.workdir / "metro.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
