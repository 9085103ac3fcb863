"""Every route answers what its model says, over real HTTP, with real data behind it.

The contract is the app's own ``/openapi.json`` (built from ``api/schemas``), read strictly: an
object lists every field it may have (``additionalProperties: false`` wherever the schema names
its properties), so a field a route sends but its model does not describe fails here. The
test fills a real server (roster, status, cases, cohorts, work, alarms, telemetry, a what-if
run, a sweep, a report), calls every JSON route and validates each answer against the schema
of its status code, and reads ``/ws/board`` frames against the frame schemas. A JSON route the
test did not call fails it too, so a new route comes with its check.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest
from websockets.asyncio.client import connect

from line.catalogue import Message
from telemetry.alarms import Priority
from telemetry.config import ModbusDevice, ModbusSettings
from tests.api.authkit import bearer, serving, sign_in
from tests.api.reportkit import settings
from tests.api.test_crew_api import staff_body
from tests.api.test_ws import telemetry
from tests.fixtures.ports import free_port
from tests.poll import until

OP, PL, CM, AD = bearer("operator"), bearer("planner"), bearer("crew_manager"), bearer("admin")


def strict(node: Any) -> Any:
    """The schema with every object that names its properties closed to other fields."""
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


class Contract:
    """Validators for each route's answers, from the served OpenAPI description."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = strict(copy.deepcopy(doc))
        self.seen: set[tuple[str, str]] = set()
        self.templates = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
            for path in self.doc["paths"]
        ]

    def json_routes(self) -> set[tuple[str, str]]:
        """(method, path) of every route whose success answer is JSON of our own shape (the
        GTFS-Realtime feeds' JSON is the standard's, declared without a schema)."""
        out = set()
        for path, ops in self.doc["paths"].items():
            for method, op in ops.items():
                for code, resp in op["responses"].items():
                    media = resp.get("content", {}).get("application/json", {})
                    if code.startswith("2") and "schema" in media:
                        assert "$ref" in str(media["schema"]), (
                            f"{method.upper()} {path} answers JSON without a response model"
                        )
                        out.add((method.upper(), path))
        return out

    def template(self, url: str) -> str:
        path = url.split("?")[0]
        # the most specific template: literal segments beat parameters
        hits = [t for rx, t in self.templates if rx.match(path)]
        assert hits, f"no route for {path}"
        best: str = max(hits, key=lambda t: (t.count("/"), -t.count("{")))
        return best

    def schema(self, ref: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{ref}", "components": self.doc["components"]}

    def check(self, method: str, url: str, r: httpx.Response) -> Any:
        path = self.template(url)
        op = self.doc["paths"][path][method.lower()]
        resp = op["responses"].get(str(r.status_code))
        assert resp is not None, f"{method} {path}: {r.status_code} is not described"
        self.seen.add((method, path))
        if r.status_code == 204:
            return None
        body = r.json()
        schema = resp["content"]["application/json"]["schema"]
        assert schema, f"{method} {path} declares no response model"
        errors = [
            f"{'/'.join(map(str, e.instance_path))}: {e.message}"
            for e in jsonschema_rs.validator_for(
                {**schema, "components": self.doc["components"]}
            ).iter_errors(body)
        ]
        assert not errors, f"{method} {url} answered outside its model:\n" + "\n".join(errors[:20])
        return body

    def check_frame(self, frame: dict[str, Any]) -> None:
        errors = [
            e.message
            for e in jsonschema_rs.validator_for(self.schema("BoardFrame")).iter_errors(frame)
        ]
        assert not errors, f"{frame['type']} frame outside its model: {errors[:10]}"


@pytest.mark.slow
async def test_every_route_answers_what_its_model_says(tmp_path: Path) -> None:
    # one substation PLC that never answers: the board shows it, stale, with its alarm
    plc = {"id": "SS1", "host": "127.0.0.1", "port": free_port(), "poll_s": 0.2}
    s = settings(tmp_path)
    s = s.model_copy(
        update={
            "modbus": ModbusSettings(devices=(ModbusDevice(**plc),), timeout_s=0.2),
            # a heartbeat after 0.3 s without a change, so the test sees one soon
            "ws": s.ws.model_copy(update={"heartbeat_s": 0.3}),
        }
    )
    async with serving(s) as served, served.client() as http:
        spec = (await http.get("/openapi.json")).json()
        c = Contract(spec)

        async def call(
            method: str, url: str, who: dict[str, str], expect: int = 200, **kw: Any
        ) -> Any:
            r = await http.request(method, url, headers={**who, **kw.pop("headers", {})}, **kw)
            assert r.status_code == expect, (method, url, r.status_code, r.text[:500])
            return c.check(method, url, r)

        rt = served.rt
        now = datetime.now(UTC)
        iso = now.isoformat()

        # --- the field: telemetry for two trains, a substation alarm, a fault ---------------
        for seq, train in enumerate(("T01", "T02"), start=1):
            rt.pipeline.on_mqtt(
                f"metro/2a/train/{train}/telemetry", telemetry(train, seq, 1000.0 * seq)
            )
        low = Message("alarm.saved_text", {"vi": "SS1: điện áp thấp", "en": "SS1: low voltage"})
        rt.alarms.raise_alarm("substation:SS1:dc_bus_voltage:low", Priority.HIGH, "SS1", low)
        board = await call("GET", "/api/board", OP)
        assert board["alarms"] and board["alarms"][0]["device"] == "SS1"
        alarm_id = board["alarms"][0]["id"]
        await call("GET", "/api/alarms?include_shelved=true&history=10", OP)
        await call("POST", f"/api/alarms/{alarm_id}/comment", OP, json={"text": "checking"})
        await call("POST", f"/api/alarms/{alarm_id}/ack", OP)
        reason = "SS1 maintenance, feeder isolated by the substation team"
        await call(
            "POST", f"/api/alarms/{alarm_id}/shelve", OP, json={"reason": reason, "minutes": 5}
        )
        await call("POST", f"/api/alarms/{alarm_id}/shelve/approve", AD)  # a P2: second person
        await call("POST", "/api/alarms/ack", OP, json={"priorities": [1, 2]})
        await call("POST", f"/api/alarms/{alarm_id}/unshelve", OP)
        await call("GET", "/api/rejects", OP)
        await call("GET", "/api/line", OP)
        await call("GET", "/api/marey", OP)
        await call("GET", "/api/alarms/performance?hours=2", OP)
        await call("GET", "/api/regularity?direction=1", OP)
        await call("GET", "/healthz", {})

        async def stored_rows() -> Any:
            r = await http.get("/api/history/trains/T01?minutes=5", headers=OP)
            return r.json()["rows"] or None

        await until(stored_rows, timeout_s=30, what="T01's telemetry in the history store")
        history = await call("GET", "/api/history/trains/T01?minutes=5", OP)
        assert history["rows"][0]["faults"] == ""
        await call("GET", "/api/history/substations/SS1?minutes=5", OP)

        # --- the crew record ---------------------------------------------------------------
        for sid in ("D1", "D2"):
            await call("POST", "/api/crew/staff", CM, 201, json=staff_body(sid))
        await call("GET", "/api/crew/staff", OP)
        d1 = await call("GET", "/api/crew/staff/D1", OP)
        await call("PUT", "/api/crew/staff/D1", CM, json=staff_body("D1", name="An"),
                   headers={"If-Match": f'"{d1["version"]}"'})  # fmt: skip
        group = {"id": "G1", "kind": "shift_team", "name": "Ca 1", "members": ["D1", "D2"]}
        await call("POST", "/api/crew/groups", CM, 201, json=group)
        await call("GET", "/api/crew/groups", OP)
        g1 = await call("GET", "/api/crew/groups/G1", OP)
        await call("PUT", "/api/crew/groups/G1", CM, json={**group, "name": "Ca một"},
                   headers={"If-Match": f'"{g1["version"]}"'})  # fmt: skip
        cohort = {"id": "C1", "name": "C1", "members": ["D2"], "start": iso, "beds_available": 2,
                  "planned_end": (now + timedelta(days=7)).isoformat()}  # fmt: skip
        await call("POST", "/api/crew/cohorts", CM, 201, json=cohort)
        await call("GET", "/api/crew/cohorts", OP)
        c1 = await call("GET", "/api/crew/cohorts/C1", OP)
        await call("PUT", "/api/crew/cohorts/C1", CM, json={**cohort, "name": "Nhóm 1"},
                   headers={"If-Match": f'"{c1["version"]}"'})  # fmt: skip
        event = {"event_id": "e1", "staff_id": "D2", "state": "sick_other", "effective": iso,
                 "until": (now + timedelta(days=2)).isoformat(), "note": "sốt"}  # fmt: skip
        await call("POST", "/api/crew/status-events", CM, 201, json=event)
        await call("GET", "/api/crew/status-events", OP)
        # --- replay: the moment just past, from history, the alarm journal, the crew record
        await rt.alarm_journal.flush()
        replayed = await call("GET", f"/api/replay?at={rt.clock()}", OP)
        assert {t["train"] for t in replayed["board"]["trains"]} == {"T01", "T02"}
        assert replayed["crew_events"] and replayed["log"]
        await call("GET", "/api/replay/range", OP)
        test = {"test_id": "t1", "staff_id": "D1", "kind": "rapid", "outcome": "negative",
                "taken_at": iso}  # fmt: skip
        await call("POST", "/api/crew/tests", CM, 201, json=test)
        await call("GET", "/api/crew/tests", OP)
        await call("GET", "/api/crew/cases/preview", OP, 200, params={"staff_id": "D1", "at": iso})
        await call("POST", "/api/crew/cases", CM, 201, json={"staff_id": "D1", "at": iso})
        work = {"work_id": "w1", "staff_id": "D2",
                "start": (now - timedelta(days=1, hours=8)).isoformat(),
                "end": (now - timedelta(days=1)).isoformat()}  # fmt: skip
        await call("POST", "/api/crew/work", CM, 201, json=work)
        await call("GET", "/api/crew/work", OP)
        await call("GET", "/api/crew/status", OP)
        await call("GET", "/api/crew/staff/D1/history", OP)
        await call("GET", "/api/crew/coverage?days=1&assignments=true", OP)
        await call("GET", "/api/crew/capacity?days=1", OP)
        await call("GET", "/api/crew/audit", OP)
        csv = (await http.get("/api/crew/roster.csv", headers=OP)).text
        await call("POST", "/api/crew/roster.csv", CM, content=csv.encode(),
                   headers={"Content-Type": "text/csv"})  # fmt: skip
        d2 = await call("GET", "/api/crew/staff/D2", OP)
        await call("DELETE", "/api/crew/cohorts/C1", CM, 204,
                   headers={"If-Match": f'"{(await _version(http, "cohorts/C1"))}"'})  # fmt: skip
        await call("DELETE", "/api/crew/groups/G1", CM, 204,
                   headers={"If-Match": f'"{(await _version(http, "groups/G1"))}"'})  # fmt: skip
        await call(
            "DELETE", "/api/crew/staff/D2", CM, 204, headers={"If-Match": f'"{d2["version"]}"'}
        )

        # --- the board once the crew link has solved today's coverage -----------------------
        async def board_with_crew() -> Any:
            b = (await http.get("/api/board", headers=OP)).json()
            return b if b["crew"] is not None else None

        await until(board_with_crew, timeout_s=60, what="the board's crew summary")
        await call("GET", "/api/board", OP)

        # --- what-if runs and a sweep ------------------------------------------------------
        await call("GET", "/api/simulations/scenarios", OP)
        small = {"scenario": "baseline", "days": 3, "replications": 2, "seed": 1}
        a = await call("POST", "/api/simulations", PL, 202, json=small)
        b = await call("POST", "/api/simulations", PL, 202, json={**small, "seed": 2})
        for run in (a, b):
            await until(finished(http, f"/api/simulations/{run['id']}"), 120, what="a run")
            await call("GET", f"/api/simulations/{run['id']}", OP)
        await call("GET", "/api/simulations", OP)
        await call("GET", f"/api/simulations/compare?a={a['id']}&b={b['id']}", OP)
        # cancel answers 200 for a run that has not ended (409 for one that has)
        long = {"scenario": "wave-2022", "days": 60, "replications": 2000, "seed": 3}
        c_run = await call("POST", "/api/simulations", PL, 202, json=long)
        await call("POST", f"/api/simulations/{c_run['id']}/cancel", PL)
        vary = [{"path": "demand.weekday_passengers", "values": [10000]}]
        sweep_body = {"scenario": "baseline", "days": 2, "replications": 2, "seed": 1, "vary": vary}
        sweep = await call("POST", "/api/simulations/sweeps", PL, 202, json=sweep_body)
        await until(finished(http, f"/api/simulations/sweeps/{sweep['id']}"), 180, what="a sweep")
        await call("GET", f"/api/simulations/sweeps/{sweep['id']}", OP)
        await call("GET", "/api/simulations/sweeps", OP)
        # a sweep that has not ended can be cancelled (one that has answers 409)
        c_body = sweep_body | {"scenario": "wave-2022", "days": 60, "replications": 1000}
        c_sweep = await call("POST", "/api/simulations/sweeps", PL, 202, json=c_body)
        await call("POST", f"/api/simulations/sweeps/{c_sweep['id']}/cancel", PL)

        # --- the shift log: a person's entry, its correction, the system's (the P2 above) -----
        entry = {"text": "SS1 kiểm tra", "category": "equipment", "alarm_id": alarm_id}
        first = await call("POST", "/api/log", OP, 201, json=entry)
        await call("POST", "/api/log", OP, 201, json={"text": "SS2", "corrects": first["id"]})

        async def system_entry() -> Any:
            r = await http.get("/api/log?q=ss1", headers=OP)
            return any(e["system"] for e in r.json()["entries"])

        await until(system_entry, what="the P2 alarm's shift log entry")
        log = await call("GET", "/api/log?limit=2", OP)
        assert log["entries"][0]["corrects_entry"]["id"] == first["id"]

        # --- an incident from the P2 alarm above: its timeline, a note, closed -------------
        inc = await call("POST", "/api/incidents", OP, 201,
                         json={"title": "SS1 mất liên lạc", "alarm_id": alarm_id})  # fmt: skip
        await call("GET", "/api/incidents?q=ss1", OP)
        await call("GET", f"/api/incidents/{inc['id']}", PL)
        tl = await call("GET", f"/api/incidents/{inc['id']}/timeline", PL)
        assert any(e["alarm_id"] == alarm_id for e in tl["events"])
        await call("GET", f"/api/timeline?start_ms={inc['start_ms']}&end_ms={inc['end_ms']}", CM)
        await call("POST", f"/api/incidents/{inc['id']}/notes", OP, 201, json={"text": "xong"})
        await call("POST", f"/api/incidents/{inc['id']}/close", AD)
        # --- a degraded-timetable decision, then a handover between two operators ---------
        decision = {"degraded": True, "headway_min": 8, "from": "07:30", "reason": "thiếu lái"}
        await call("POST", "/api/timetable/decision", OP, 201, json=decision)
        assert (await call("GET", "/api/timetable/decision", PL))["current"]["headway_s"] == 480
        await call("GET", "/api/handover", PL)
        ho = await call("POST", "/api/handover", OP, 201)
        await call("POST", "/api/handover", OP, 200)
        await call("PUT", f"/api/handover/{ho['id']}", OP, json={"summary": "ca êm"})
        await call("POST", f"/api/handover/{ho['id']}/sign", OP)
        await call("GET", f"/api/handover/{ho['id']}", PL)
        await served.add_user("op2", "operator")
        async with served.client() as other:
            await sign_in(other, "op2")
            for item in [i for i in ho["items"] if i["must_ack"]]:
                r = await other.post(f"/api/handover/{ho['id']}/items/{item['key']}/ack")
                assert r.status_code == 200, r.text
                c.check("POST", f"/api/handover/{ho['id']}/items/{item['key']}/ack", r)
            r = await other.post(f"/api/handover/{ho['id']}/accept")
            assert r.status_code == 200, r.text
            c.check("POST", f"/api/handover/{ho['id']}/accept", r)
        assert (await call("GET", "/api/handover", PL))["latest"]["state"] == "accepted"

        # --- a situation report, accounts, audit -------------------------------------------
        rep = await call("POST", "/api/reports", OP, 201)
        await call("GET", "/api/reports", OP)
        await call("GET", f"/api/reports/{rep['id']}", OP)
        await call("GET", "/api/auth/me", OP)
        await call("GET", "/api/audit?limit=5", AD)
        await call("POST", "/api/auth/logout", {})
        await served.add_user("op1", "operator")
        await call(
            "POST",
            "/api/auth/login",
            {},
            json={"username": "op1", "password": "correct horse battery"},
        )

        missing = c.json_routes() - c.seen
        assert not missing, f"JSON routes this test does not check: {sorted(missing)}"

        # --- the websocket's frames --------------------------------------------------------
        ws_url = (
            served.base_url.replace("http://", "ws://")
            + "/ws/board?token="
            + OP["Authorization"].removeprefix("Bearer ")
        )
        async with asyncio.timeout(30), connect(ws_url) as ws:
            first = orjson.loads(await ws.recv())
            assert first["type"] == "snapshot"
            c.check_frame(first)
            rt.pipeline.on_mqtt("metro/2a/train/T01/telemetry", telemetry("T01", 9, 4000.0))
            text = Message("alarm.saved_text", {"vi": "chưa được phép", "en": "not cleared"})
            rt.alarms.raise_alarm("train:T01:driver_not_cleared", Priority.HIGH, "T01", text)
            kinds: set[str] = set()
            while not {"delta", "heartbeat"} <= kinds:
                frame = orjson.loads(await ws.recv())
                c.check_frame(frame)
                kinds.add(frame["type"])
                if frame["type"] == "delta" and frame.get("alarms"):
                    driver = [x for x in frame["alarms"] if x["kind"] == "driver_not_cleared"]
                    assert driver and driver[0]["train"] == "T01"


async def _version(http: httpx.AsyncClient, what: str) -> int:
    r = await http.get(f"/api/crew/{what}", headers=OP)
    return int(r.json()["version"])


def finished(http: httpx.AsyncClient, url: str) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    """A condition for :func:`until`: the run or sweep at ``url`` once it has ended."""

    async def check() -> dict[str, Any] | None:
        body: dict[str, Any] = (await http.get(url, headers=OP)).json()
        return body if body["status"] in ("done", "failed", "cancelled") else None

    return check
