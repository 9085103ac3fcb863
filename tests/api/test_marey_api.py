"""GET /api/marey and /api/regularity on a served app fed by the field emulator over mosquitto.

The emulator plays this morning's service (a 6-minute peak on weekdays, 10 minutes at weekends:
the figures expected are the timetable's for today) at 20× speed (40× for the regularity
figures, which wait for two departures at each station); the board follows its clock. The
graph must show the day's planned trips, each train's actual path growing where the board says
the train is, and regularity figures measured from the departures; a restarted server must take
the day's paths up from the embedded history.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest

from line import load_line, plan_day
from line.clock import HANOI
from line.timetable import trains_needed_per_period
from services.runtime import build_runtime
from services.settings import Settings
from telemetry.emulator.runner import Emulator, EmulatorConfig
from tests.api.authkit import TOKENS, bearer
from tests.api.test_ws import serving
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port
from tests.poll import until

# today in Hanoi: history retention is judged on the wall clock, so an emulated day weeks ago
# would be purged from the embedded store as soon as it is written
DAY = datetime.now(HANOI).date()
LINE = load_line()


def settings(tmp_path: Path, mqtt_url: str) -> Settings:
    return Settings.model_validate(
        {
            "mqtt": {"url": mqtt_url, "client_id": f"marey-test-{free_port()}"},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
            "auth": {"tokens": {t: f"{role}-bot:{role}" for role, t in TOKENS.items()}},
            # the board (and the graph's "now") follows the emulator's clock
            "state": {"clock": "field", "stale_after_s": 30.0},
        }
    )


async def test_the_graph_shows_planned_and_actual_paths_and_regularity(
    mosquitto: Broker, tmp_path: Path
) -> None:
    rt = build_runtime(settings(tmp_path, mosquitto.url))
    emu_cfg = EmulatorConfig(
        broker_url=mosquitto.url,
        start=datetime.combine(DAY, time(7, 30), HANOI),
        speed=40,
        publish_hz=8,  # a sample every 5 field seconds: every dwell is seen
        modbus=False,
        fault_rate_per_h=0.0,
        reconnect_min_s=0.1,
        reconnect_max_s=0.5,
        client_id_prefix=f"emu-{free_port()}-",
    )
    async with serving(rt) as ws_url, Emulator(emu_cfg) as emu:
        base = ws_url.replace("ws://", "http://").split("/ws/")[0]
        emu_task = asyncio.create_task(emu.run())
        try:
            async with httpx.AsyncClient(base_url=base, headers=bearer("operator")) as http:

                async def marey(**params: Any) -> dict[str, Any]:
                    r = await http.get("/api/marey", params=params)
                    assert r.status_code == 200, r.text
                    body: dict[str, Any] = r.json()
                    return body

                # the trains the timetable runs at 07:30 today (a weekday's peak runs 9, a
                # weekend 6); each shows a live path once it has reported
                peak = next(
                    p
                    for p in trains_needed_per_period(LINE, LINE.timetable("2026"), DAY.weekday())
                    if p.start_s <= 7.5 * 3600 < p.end_s
                )
                need = peak.trains_needed - 1  # one may be turning at a terminus

                async def trains_on_their_paths() -> bool:
                    body = await marey(planned="false")
                    return len({p["train"] for p in body["actual"] if p["live"]}) >= need

                await until(trains_on_their_paths, 30, what=f"{need} trains on their paths")
                body = await marey()
                line = load_line()
                plan = plan_day(line, line.timetable("2026"), DAY)
                assert body["service_date"] == DAY.isoformat() and body["timetable"] == "2026"
                assert 7.5 * 3600 <= body["now_s"] < 12 * 3600
                assert [s["name"] for s in body["stations"]][0] == "Cát Linh"
                assert len(body["stations"]) == 12
                assert len(body["planned"]) == len(plan.trips)
                # every actual path runs forward in time, along its own track's direction
                for p in body["actual"]:
                    ts = [pt[0] for pt in p["points"]]
                    assert ts == sorted(ts), p["id"]
                    ch = [pt[1] for pt in p["points"]]
                    sign = 1 if p["direction"] == 1 else -1
                    assert all(sign * (b - a) >= -1 for a, b in zip(ch, ch[1:], strict=False))
                # a live path ends where the board says the train is (its newest report)
                board = (await http.get("/api/board")).json()
                where = {t["train"]: t["pos_m"] for t in board["trains"]}
                live = [p for p in body["actual"] if p["live"]]
                near = [p for p in live if abs(p["points"][-1][1] - where[p["train"]]) < 1000]
                assert len(near) >= len(live) - 2, (live, where)

                # regularity: departures measured at the stations give figures within minutes
                async def fifteen_headways() -> bool:
                    r = await http.get("/api/regularity")
                    assert r.status_code == 200, r.text
                    day = [d for d in r.json()["day"] if d["direction"] == 0]
                    return bool(day) and int(day[0]["headways"]) >= 15

                await until(fifteen_headways, 90, what="15 headways")
                reg = (await http.get("/api/regularity")).json()
                (both,) = [d for d in reg["day"] if d["direction"] == 0]
                # passengers arriving at random should wait half the timetable's headway
                # (3 minutes in a weekday's 6-minute peak, 5 at a weekend)
                period = plan.period_at(7.75 * 3600)
                assert period is not None
                assert both["swt_s"] == pytest.approx(period.headway_s / 2, rel=0.15)
                assert both["ewt_s"] is not None and abs(both["ewt_s"]) < 120
                assert {h["direction"] for h in reg["hours"]} <= {0, 1, 2}
                assert (reg["bunch_factor"], reg["gap_factor"]) == (0.5, 1.5)

                # one track at a time; planned paths left out for a live client's polls
                one = await marey(direction=1, planned="false")
                assert one["planned"] == []
                assert one["actual"] and {p["direction"] for p in one["actual"]} == {1}
                two = await marey(direction=2)
                assert {p["direction"] for p in two["planned"]} == {2}
                bad = await http.get("/api/marey", params={"direction": 3})
                assert bad.status_code == 422 and "direction" in bad.text
        finally:
            emu_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await emu_task


async def test_a_restarted_server_shows_the_day_so_far(mosquitto: Broker, tmp_path: Path) -> None:
    """The paths drawn before a restart come back from the embedded history afterwards."""
    emu_cfg = EmulatorConfig(
        broker_url=mosquitto.url,
        start=datetime.combine(DAY, time(8, 0), HANOI),
        speed=20,
        publish_hz=4,
        modbus=False,
        fault_rate_per_h=0.0,
        reconnect_min_s=0.1,
        reconnect_max_s=0.5,
        client_id_prefix=f"emu-{free_port()}-",
    )

    async def graph(base: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=base, headers=bearer("planner")) as http:
            r = await http.get("/api/marey", params={"planned": "false"})
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

    def start_of(body: dict[str, Any]) -> float:
        return min((p["points"][0][0] for p in body["actual"]), default=1e9)

    async with Emulator(emu_cfg) as emu:
        emu_task = asyncio.create_task(emu.run())
        try:
            first = build_runtime(settings(tmp_path, mosquitto.url))
            async with serving(first) as ws_url:
                base = ws_url.replace("ws://", "http://").split("/ws/")[0]

                async def two_field_minutes() -> bool:
                    body = await graph(base)
                    return bool(body["actual"]) and body["now_s"] - start_of(body) > 120

                await until(two_field_minutes, 30, what="two minutes of paths")
                before = await graph(base)
            second = build_runtime(settings(tmp_path, mosquitto.url))
            async with serving(second) as ws_url:
                base = ws_url.replace("ws://", "http://").split("/ws/")[0]

                async def taken_up() -> bool:
                    body = await graph(base)
                    return bool(body["complete"]) and bool(body["actual"])

                await until(taken_up, 30, what="the day taken up from history")
                after = await graph(base)
                # the graph begins where it began before the restart, and goes on from there
                assert start_of(after) <= start_of(before) + 5
                assert after["now_s"] > before["now_s"]
                trains_before = {p["train"] for p in before["actual"]}
                assert trains_before <= {p["train"] for p in after["actual"]}
        finally:
            emu_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await emu_task
