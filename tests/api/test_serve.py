"""End to end over real parts: MQTT publisher → mosquitto → ingest → state → HTTP API,
and a Modbus PLC → poller → board, alarms acknowledged over HTTP, history and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import paho.mqtt.client as paho
import pytest

from api.server import make_server
from services.runtime import Runtime, build_runtime
from services.settings import Settings
from telemetry.config import load_register_maps
from telemetry.emulator.substation import SubstationSim
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port
from tests.poll import until

OPERATOR_TOKEN = "tok-dd01-operator-0123"  # the operator dd01, an API token of the settings


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def telemetry(train: str, seq: int, pos: float, **kw: Any) -> bytes:
    body = {
        "v": 1,
        "ts": now_ms(),
        "train": train,
        "seq": seq,
        "pos_m": pos,
        "track": 1,
        "speed_kmh": 42.0,
        "doors": "closed",
        "load_pct": 55,
        "mode": "ATO",
        "driver": "D010",
        "faults": [],
    }
    body.update(kw)
    return orjson.dumps(body)


class Publisher:
    def __init__(self, port: int) -> None:
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"pub-{time.time_ns()}")
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def send(self, topic: str, payload: bytes, qos: int = 0) -> None:
        self.c.publish(topic, payload, qos=qos).wait_for_publish(5)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


@contextlib.asynccontextmanager
async def serving(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    server = make_server(rt, "127.0.0.1", port)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started, "HTTP server did not start"
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=5,
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        ) as client:
            yield client
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task


@pytest.fixture
def settings(mosquitto: Broker, tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "mqtt": {"url": mosquitto.url, "client_id": "serve-test", "reconnect_min_s": 0.1},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
            "auth": {"tokens": {OPERATOR_TOKEN: "dd01:operator"}},
            "modbus": {
                "poll_s": 0.1,
                "timeout_s": 0.2,
                "backoff_max_s": 0.5,
                "devices": [{"id": "SS2", "host": "127.0.0.1", "port": free_port()}],
            },
        }
    )


async def test_telemetry_to_board_alarm_ack_history_metrics(
    settings: Settings, mosquitto: Broker
) -> None:
    rt = build_runtime(settings)
    rt.tick_s = 0.1
    dev = settings.modbus.devices[0]
    rmap = load_register_maps()["traction_substation"]
    pub = Publisher(mosquitto.port)
    try:
        async with (
            SubstationSim("SS2", rmap, "127.0.0.1", dev.port, tick_s=0.1) as plc,
            serving(rt) as http,
        ):
            plc_task = asyncio.create_task(plc.run())

            async def mqtt_up() -> bool:
                r = await http.get("/healthz")
                return r.status_code == 200 and r.json()["mqtt_connected"]

            await until(mqtt_up)
            pub.send("metro/2a/train/T03/telemetry", telemetry("T03", 1, 4300.0))
            pub.send("metro/2a/train/T04/telemetry", telemetry("T04", 1, 1000.0, track=2))
            pub.send("metro/2a/train/T03/telemetry", b"{broken")

            async def board_has_trains() -> dict[str, Any] | None:
                b = (await http.get("/api/board")).json()
                seen = {t["train"]: t for t in b["trains"] if t["ts_ms"]}
                return b if {"T03", "T04"} <= seen.keys() else None

            board = await until(board_has_trains)
            t3 = next(t for t in board["trains"] if t["train"] == "T03")
            assert t3["station"] == "TD" and t3["station_name"] == "Thượng Đình"
            assert t3["speed_kmh"] == 42.0 and t3["driver"] == "D010" and t3["in_service"]
            assert {"trains", "tracks", "substations", "alarms", "kpis"} <= board.keys()
            assert len(board["trains"]) == 13

            # a fault event raises an alarm the operator acknowledges over HTTP
            event = {
                "v": 1,
                "ts": now_ms(),
                "train": "T03",
                "seq": 2,
                "kind": "fault_raised",
                "code": "BRK-004",
                "severity": "major",
                "detail": "brake pressure low",
            }
            pub.send("metro/2a/train/T03/event", orjson.dumps(event), qos=1)

            async def fault_alarm() -> dict[str, Any] | None:
                alarms = (await http.get("/api/alarms")).json()["alarms"]
                return next((a for a in alarms if "BRK-004" in a["key"]), None)

            alarm = await until(fault_alarm)
            assert alarm["state"] == "unack" and "Tàu T03" in alarm["message"]
            url = f"/api/alarms/{alarm['id']}"
            anonymous = await http.post(f"{url}/ack", headers={"Authorization": ""})
            assert anonymous.status_code == 401
            # the operator is the token's user, whatever a body says
            r = await http.post(f"{url}/ack", json={"user": "someone"})
            assert r.status_code == 200 and r.json()["acked_by"] == "dd01"
            r = await http.post(f"{url}/ack")
            assert (
                r.status_code == 409 and r.json()["detail"]["code"] == "alarm.refused.already_acked"
            )
            assert (await http.post("/api/alarms/99999/ack")).status_code == 404
            r = await http.post(f"{url}/shelve", json={"minutes": 10})
            assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]

            # the substation is polled; freezing the PLC makes it stale with an alarm
            async def sub_ok() -> bool:
                subs = (await http.get("/api/board")).json()["substations"]
                return bool(subs[0]["values"]) and not subs[0]["stale"]

            await until(sub_ok)
            plc.freeze = True

            async def sub_stale() -> bool:
                b = (await http.get("/api/board")).json()
                return b["substations"][0]["stale"] and any(
                    a["key"] == "substation:SS2:stale" for a in b["alarms"]
                )

            await until(sub_stale)
            plc.freeze = False
            await until(sub_ok)

            # rejects are visible, with a sample
            rej = (await http.get("/api/rejects")).json()
            assert rej["by_reason"] == {"bad_json": 1}
            assert rej["samples"][0]["payload"].startswith("{broken")

            # history of the train and the substation
            async def hist() -> list[Any]:
                r = await http.get("/api/history/trains/T03", params={"minutes": 5})
                return list(r.json()["rows"])

            rows = await until(hist)
            assert rows[0]["pos_m"] == 4300.0
            assert (await http.get("/api/history/trains/T99")).status_code == 404
            sub_rows = (await http.get("/api/history/substations/SS2")).json()["rows"]
            assert sub_rows and 600 < sub_rows[-1]["dc_bus_voltage"] < 900

            metrics = (await http.get("/metrics")).text
            assert 'metro_messages_total{kind="telemetry"} 2.0' in metrics
            assert 'metro_rejects_total{reason="bad_json"} 1.0' in metrics
            assert "metro_modbus_polls_total" in metrics
            plc_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await plc_task
    finally:
        pub.close()


async def test_healthz_reports_lost_broker(settings: Settings, mosquitto: Broker) -> None:
    rt = build_runtime(
        settings.model_copy(update={"modbus": settings.modbus.model_copy(update={"devices": ()})})
    )
    async with serving(rt) as http:

        async def status(code: int) -> bool:
            return (await http.get("/healthz")).status_code == code

        await until(lambda: status(200))
        mosquitto.stop()
        await until(lambda: status(503))
        mosquitto.start()
        await until(lambda: status(200))
