"""A restart of ``serve`` keeps today's record: trips run, alarm acks, shelves and comments,
the alarm history, and the alarm id sequence (an audit reference never points elsewhere).

Two in-process servers one after the other on the same SQLite database, fed through the real
ingest path (``Pipeline.on_mqtt``: decode, clock check, live state) on a controlled clock in
the morning peak; no broker is needed for what is under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from services.ops_record import OpsRecordStore
from services.runtime import Runtime, build_runtime
from tests.api.test_serve import serving
from tests.reliability.rig import app_settings, wait_for_value

T0 = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)  # Mon 08:00 local


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


def send(rt: Runtime, clock: Clock, train: str, seq: int, pos_m: float, **kw: Any) -> None:
    clock.now += 1000
    body = {
        "v": 1, "ts": clock.now, "train": train, "seq": seq, "pos_m": pos_m, "track": 1,
        "speed_kmh": 40.0, "doors": "closed", "load_pct": 50, "mode": "ATO",
        "driver": None, "faults": [], **kw,
    }  # fmt: skip
    rt.pipeline.on_mqtt(f"metro/2a/train/{train}/telemetry", orjson.dumps(body))


def event(
    rt: Runtime, clock: Clock, train: str, seq: int, code: str, severity: str = "major"
) -> None:
    body = {"v": 1, "ts": clock.now, "train": train, "seq": seq, "kind": "fault_raised",
            "code": code, "severity": severity}  # fmt: skip
    rt.pipeline.on_mqtt(f"metro/2a/train/{train}/event", orjson.dumps(body))


async def alarms(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await http.get("/api/alarms", params={"include_shelved": "true", "history": 100})
    body = r.json()
    return [*body["alarms"], *body.get("history", [])]


async def test_restart_keeps_trips_acks_shelves_comments_and_alarm_ids(tmp_path: Path) -> None:
    settings = app_settings(tmp_path)
    clock = Clock()
    rt = build_runtime(settings, clock=clock, require_broker=False)
    async with serving(rt) as http:
        # T01 and T02 leave Cát Linh (pos 0) outbound: two trips run in the 08:00 peak
        for n, train in enumerate(("T01", "T02")):
            send(rt, clock, train, 1 + 10 * n, 0.0)
            send(rt, clock, train, 2 + 10 * n, 600.0)
        event(rt, clock, "T03", 1, "BRK-004")
        event(rt, clock, "T04", 1, "DOR-002", "minor")  # P4: shelved by one operator
        event(rt, clock, "T05", 1, "HVA-001")
        before = {a["key"]: a for a in await alarms(http)}
        brk, dor, hva = (before[f"train:{t}:fault:{c}"] for t, c in
                         (("T03", "BRK-004"), ("T04", "DOR-002"), ("T05", "HVA-001")))  # fmt: skip
        assert (await http.post(f"/api/alarms/{brk['id']}/ack")).status_code == 200
        r = await http.post(
            f"/api/alarms/{dor['id']}/shelve", json={"reason": "door crew on it", "minutes": 60}
        )
        assert r.status_code == 200
        r = await http.post(f"/api/alarms/{hva['id']}/comment", json={"text": "HVAC tech called"})
        assert r.status_code == 200
        trips = (await http.get("/api/board")).json()["kpis"]["trips"]
        assert trips["run"] == 2
        highest = max(a["id"] for a in before.values())

    # the same database, a new process' worth of state
    rt2 = build_runtime(settings, clock=clock, require_broker=False)
    async with serving(rt2) as http:
        after = {a["id"]: a for a in await alarms(http)}
        assert after[brk["id"]]["state"] == "acked" and after[brk["id"]]["acked_by"] == "dd01"
        assert after[brk["id"]]["key"] == brk["key"]
        assert after[dor["id"]]["state"] == "shelved"
        assert after[dor["id"]]["shelve_reason"] == "door crew on it"
        assert [c["text"] for c in after[hva["id"]]["comments"]] == ["HVAC tech called"]
        # a new alarm gets a new id, never one an earlier process handed out
        event(rt2, clock, "T06", 1, "TRC-001")
        new = await wait_for_value(
            lambda: alarms(http),
            lambda al: any(a["key"] == "train:T06:fault:TRC-001" for a in al),
            what="the new alarm",
        )
        new_id = next(a["id"] for a in new if a["key"] == "train:T06:fault:TRC-001")
        assert new_id > highest
        # the trips run today are still counted once the field reports again
        send(rt2, clock, "T01", 3, 900.0)
        trips = (await http.get("/api/board")).json()["kpis"]["trips"]
        assert trips["run"] == 2
        # and the acknowledgement is still refused as a second one
        assert (await http.post(f"/api/alarms/{brk['id']}/ack")).status_code == 409


async def test_actions_in_the_table_survive_a_restart_whose_snapshot_predates_them(
    tmp_path: Path,
) -> None:
    """The alarm action table is the truth: a process killed after answering but before its
    book's snapshot caught up (the snapshot is saved every second) comes back with every
    acknowledgement, shelve and comment it answered, applied once."""
    settings = app_settings(tmp_path)
    clock = Clock()
    rt = build_runtime(settings, clock=clock, require_broker=False)
    async with serving(rt) as http:
        event(rt, clock, "T03", 1, "BRK-004")
        event(rt, clock, "T04", 1, "DOR-002", "minor")  # P4: shelved by one operator
        event(rt, clock, "T05", 1, "HVA-001")
        await rt.recorder.save()
        async with OpsRecordStore(settings.db.url) as store:
            snapshot = await store.load()  # the book as it was before any operator acted
        before = {a["key"]: a for a in await alarms(http)}
        brk, dor, hva = (before[f"train:{t}:fault:{c}"] for t, c in
                         (("T03", "BRK-004"), ("T04", "DOR-002"), ("T05", "HVA-001")))  # fmt: skip
        assert (await http.post(f"/api/alarms/{brk['id']}/ack")).status_code == 200
        r = await http.post(
            f"/api/alarms/{dor['id']}/shelve", json={"reason": "door crew on it", "minutes": 60}
        )
        assert r.status_code == 200
        r = await http.post(f"/api/alarms/{hva['id']}/comment", json={"text": "HVAC tech called"})
        assert r.status_code == 200

    # what a kill -9 in the second before the next snapshot leaves: the old snapshot
    async with OpsRecordStore(settings.db.url) as store:
        await store.save({k: snapshot[k] for k in ("alarms", "alarm_sync") if k in snapshot}, T0)

    rt2 = build_runtime(settings, clock=clock, require_broker=False)
    async with serving(rt2) as http:
        after = {a["key"]: a for a in await alarms(http)}
        assert after[brk["key"]]["state"] == "acked" and after[brk["key"]]["acked_by"] == "dd01"
        assert after[dor["key"]]["state"] == "shelved"
        assert after[dor["key"]]["shelve_reason"] == "door crew on it"
        assert [c["text"] for c in after[hva["key"]]["comments"]] == ["HVAC tech called"]
        assert (await http.post(f"/api/alarms/{after[brk['key']]['id']}/ack")).status_code == 409

    # and a third start (its own snapshot now current) applies nothing twice
    rt3 = build_runtime(settings, clock=clock, require_broker=False)
    async with serving(rt3) as http:
        again = {a["key"]: a for a in await alarms(http)}
        assert [c["text"] for c in again[hva["key"]]["comments"]] == ["HVAC tech called"]
        assert again[dor["key"]]["annunciations"] == after[dor["key"]]["annunciations"]
