"""The live link between telemetry and crew, over real parts: cab logons arrive over a real
mosquitto, the crew record lives in a real SQLite database edited through the REST API.

Proves: a cleared driver raises nothing; a driver declared F0 while at the cab raises a critical
alarm on the board within seconds (without a new logon); a driver not on the roster is flagged;
a worked shift is booked once however many messages repeat the logon; a short next shift raises
the coverage warning and a staffed one clears it.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from crew import StaffingStandard, synthetic_roster
from crew.store import CrewStore
from line import load_line
from services.crew_link import CrewLink, DriverClearance
from services.runtime import build_runtime
from services.settings import Settings
from telemetry.alarms import AlarmBook
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.state import LineState
from tests.api.test_crew_api import staff_body
from tests.api.test_serve import Publisher, serving, telemetry, until
from tests.fixtures.mosquitto import Broker

TOKENS = {"tok-crew-manager-012345": "cm:crew_manager", "tok-operator-0123456789": "op:operator"}
CM = {"Authorization": "Bearer tok-crew-manager-012345"}
OP = {"Authorization": "Bearer tok-operator-0123456789"}


@pytest.fixture
def settings(mosquitto: Broker, tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "mqtt": {"url": mosquitto.url, "client_id": "link-test", "reconnect_min_s": 0.1},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
            "auth": {"tokens": TOKENS},
        }
    )


async def _add_cleared_driver(http: httpx.AsyncClient, sid: str) -> None:
    body = staff_body(sid, f"Lái tàu {sid}")
    body["qualifications"].append(
        {"kind": "rolling_stock", "scope": "CRRC-4car", "valid_until": "2030-01-01"}
    )
    r = await http.post("/api/crew/staff", json=body, headers=CM)
    assert r.status_code == 201, r.text
    taken = datetime.now(UTC) - timedelta(hours=1)
    body = {
        "test_id": f"t-{sid}",
        "staff_id": sid,
        "kind": "rapid",
        "outcome": "negative",
        "taken_at": taken.isoformat(),
    }
    r = await http.post("/api/crew/tests", json=body, headers=CM)
    assert r.status_code == 201, r.text


def _driver_alarms(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["key"]: a for a in board["alarms"] if a["key"].endswith(":driver_not_cleared")}


async def test_f0_driver_at_the_cab_raises_a_critical_alarm(
    settings: Settings, mosquitto: Broker
) -> None:
    rt = build_runtime(settings)
    rt.tick_s = 0.1
    pub = Publisher(mosquitto.port)
    try:
        async with serving(rt) as http:
            await _add_cleared_driver(http, "D010")
            await _add_cleared_driver(http, "D011")
            await until(rt.crew_link.reload)  # the link has seen both drivers

            async def connected() -> bool:
                return bool((await http.get("/healthz")).json()["mqtt_connected"])

            await until(connected)
            pub.send("metro/2a/train/T01/telemetry", telemetry("T01", 1, 500.0, driver="D010"))
            pub.send("metro/2a/train/T02/telemetry", telemetry("T02", 1, 9000.0, driver="D011"))
            pub.send("metro/2a/train/T03/telemetry", telemetry("T03", 1, 4000.0, driver="X999"))

            async def board_with(trains: set[str]) -> dict[str, Any] | None:
                b = (await http.get("/api/board", headers=OP)).json()
                seen = {t["train"] for t in b["trains"] if t["driver"]}
                return b if trains <= seen else None

            board = await until(lambda: board_with({"T01", "T02", "T03"}))
            alarms = _driver_alarms(board)
            # cleared drivers raise nothing; someone not on the roster does
            why = {k: a["message_en"] for k, a in alarms.items()}
            assert set(alarms) == {"train:T03:driver_not_cleared"}, why
            assert alarms["train:T03:driver_not_cleared"]["priority_name"] == "critical"
            x999 = alarms["train:T03:driver_not_cleared"]
            assert x999["code"] == "alarm.train.driver_not_cleared"
            assert (
                x999["message"]
                == "Tàu T03: lái tàu X999 chưa đủ điều kiện — không có trong danh sách"
            )
            assert x999["message_en"] == "Train T03: driver X999 not cleared — not on the roster"

            # the crew manager declares D010 F0 while D010 is driving T01: no new logon needed
            r = await http.post("/api/crew/cases", json={"staff_id": "D010"}, headers=CM)
            assert r.status_code == 201, r.text

            async def t01_alarm() -> dict[str, Any] | None:
                b = (await http.get("/api/board", headers=OP)).json()
                return _driver_alarms(b).get("train:T01:driver_not_cleared")

            alarm = await until(t01_alarm, timeout_s=15)
            assert alarm["priority_name"] == "critical"
            assert alarm["state"] == "unack"
            assert "D010" in alarm["message"] and "đang F0 cách ly đến" in alarm["message"]
            assert "F0 in isolation until" in alarm["message_en"]
            board = (await http.get("/api/board", headers=OP)).json()
            assert "train:T02:driver_not_cleared" not in _driver_alarms(board)

            # the board's crew picture follows the record within seconds, not at the next solve
            async def crew_shows_f0() -> dict[str, Any] | None:
                crew = (await http.get("/api/board", headers=OP)).json()["crew"]
                return crew if crew and crew["counts"]["f0_isolation"] == 1 else None

            crew = await until(crew_shows_f0, timeout_s=20)
            assert crew["staff"] == 2 and crew["capacity"], crew

            # a cleared driver takes over T01: the condition returns to normal
            pub.send("metro/2a/train/T01/telemetry", telemetry("T01", 2, 600.0, driver="D011"))

            async def t01_normal() -> bool:
                b = (await http.get("/api/alarms", headers=OP)).json()
                a = next(
                    (x for x in b["alarms"] if x["key"] == "train:T01:driver_not_cleared"), None
                )
                return a is not None and a["state"] == "rtn_unack"

            await until(t01_normal)
    finally:
        pub.close()


async def test_logons_are_booked_once_and_next_shift_shortfall_warns(tmp_path: Path) -> None:
    line = load_line()
    # mid-morning local time (03:00Z = 10:00 Hanoi), inside the day's first driver shift
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    clock_ms = int(now.timestamp() * 1000)
    alarms = AlarmBook(lambda: clock_ms)
    state = LineState(line, StateSettings(), alarms, TelemetryMetrics(CollectorRegistry()))
    async with CrewStore(f"sqlite+aiosqlite:///{tmp_path}/c.db") as store:
        roster = synthetic_roster(1, reference=now.date())
        await store.replace_roster(roster, actor="test", context="test roster")
        clearance = DriverClearance(line, store.policy, StaffingStandard())
        link = CrewLink(store, line, state, alarms, clearance, clock=lambda: clock_ms)
        await link.reload()
        driver = next(p.id for p in roster.staff if p.role.value == "driver")

        for _ in range(3):  # the same logon repeated (retained message, reconnect, …)
            clearance.check(driver, "T05", clock_ms)
        booker = asyncio.create_task(link.run())
        try:

            async def booked() -> list[Any]:
                return [w for _, w in await store.work_records(driver)]

            work = await until(booked)
            await asyncio.sleep(0.3)
            assert len(await booked()) == 1, work
            assert work[0].start <= now < work[0].end
        finally:
            booker.cancel()
            await asyncio.gather(booker, return_exceptions=True)

        # most drivers fall ill: the next shift (13:30 local) cannot be staffed
        await link.check_next_shift()
        assert not [a for a in alarms.active() if a.key.startswith("crew:")]
        assert link.summary is not None
        later = [
            x
            for x in link.summary["shifts"]
            if datetime.fromisoformat(x["start"]).timestamp() * 1000 > clock_ms
        ]
        assert later and all(x["missing"] == 0 for x in later), later
        counts = link.summary["counts"]
        assert (
            counts["available"] == len(roster.staff) and sum(counts.values()) == counts["available"]
        )
        drivers = [p.id for p in roster.staff if p.role.value == "driver"]
        for sid in drivers[:50]:
            await store.declare_case(sid, now - timedelta(hours=1), actor="test")
        await link.check_next_shift()
        warn = next(a for a in alarms.active() if a.key == "crew:next_shift:shortfall")
        assert warn.priority.name == "MEDIUM", warn
        assert warn.text.code == "alarm.crew.shift_short"
        # the shift by its name, never its id
        shift = r"(ca sớm|ca muộn) \d\d/\d\d \d\d:\d\d"
        assert re.search(rf"^Thiếu người {shift}: lái tàu \d+", warn.message), warn.message
        shift_en = r"the (early|late) shift \d\d/\d\d \d\d:\d\d"
        assert re.search(rf"^Short of staff on {shift_en}: driver \d+", warn.message_en), (
            warn.message_en
        )
        summary = link.summary
        assert summary is not None and summary["counts"]["f0_isolation"] == 50
        degraded = [c for c in summary["capacity"] if c["degraded"]]
        assert degraded, summary["capacity"]
        assert all(c["trains"] < c["planned_trains"] for c in degraded)
