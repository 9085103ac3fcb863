"""Field faults over real parts: units' clocks, an emulator restarted with its clock set back,
a broker outage, and a history store that cannot be created — each with what the operator
must see. ``serve`` runs in-process (uvicorn on a free port) against a real mosquitto.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from line.catalogue import Message, render
from line.clock import HANOI
from services.runtime import build_runtime
from telemetry.emulator.runner import Emulator, EmulatorConfig
from tests.api.test_serve import serving
from tests.faults.kit import Feeder, alarms, board_train, running
from tests.fixtures.mosquitto import Broker
from tests.reliability.rig import app_settings, now_ms, wait_for_value, wait_until


async def test_unit_clock_ahead_then_right_far_future_and_history(
    tmp_path: Path, mosquitto: Broker, feeder: Feeder
) -> None:
    rt = build_runtime(app_settings(tmp_path, mosquitto.url, state={"stale_after_s": 2.0}))
    async with serving(rt) as http:
        await wait_until(lambda: rt.ingest is not None and rt.ingest.connected, what="ingest")
        for _ in range(3):
            feeder.telemetry("T05", now_ms(), 3000.0)
        await wait_for_value(lambda: board_train(http, "T05"), lambda t: t["seq"] == 3)
        # one message 10 minutes ahead, then correct ones with higher seq: the train moves on
        feeder.telemetry("T05", now_ms() + 600_000, 3010.0)
        t0 = time.monotonic()
        pos = 3020.0
        while time.monotonic() - t0 < 3.0:  # longer than stale_after_s
            feeder.telemetry("T05", now_ms(), pos)
            pos += 10
            await asyncio.sleep(0.25)
        t5 = await wait_for_value(
            lambda: board_train(http, "T05"), lambda t: t["pos_m"] == pos - 10, what="T05 moves"
        )
        assert not t5["stale"] and t5["ts_ms"] <= now_ms()
        keys = {a["key"] for a in await alarms(http)}
        assert "clock:T05:skew" in keys and "train:T05:stale" not in keys
        metrics = (await http.get("/metrics")).text
        assert 'metro_ts_clamped_total{kind="telemetry"} 1.0' in metrics
        assert 'metro_clock_skew_seconds{unit="T05"}' in metrics

        # ts in 2033: never the board's time; history keeps answering for the last 30 min
        feeder.telemetry("T05", 2_000_000_000_000, pos)
        await wait_for_value(
            lambda: board_train(http, "T05"), lambda t: t["pos_m"] == pos, what="applied"
        )
        board = (await http.get("/api/board")).json()
        assert board["field_ts_ms"] <= now_ms()
        r = await http.get("/api/history/trains/T05", params={"minutes": 30})
        assert r.status_code == 200
        rows = await wait_for_value(
            lambda: history_rows(http, "T05"), lambda rows: len(rows) >= 14, what="history rows"
        )
        assert max(row["ts_ms"] for row in rows) <= now_ms()


async def history_rows(http: httpx.AsyncClient, train: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/history/trains/{train}", params={"minutes": 30})
    return list(r.json()["rows"])


async def test_emulator_restarted_with_its_clock_set_back_resumes_every_train(
    tmp_path: Path, mosquitto: Broker
) -> None:
    rt = build_runtime(app_settings(tmp_path, mosquitto.url, state={"stale_after_s": 3.0}))
    start = datetime.now(HANOI)
    cfg = EmulatorConfig(broker_url=mosquitto.url, start=start, modbus=False, seed=3)
    async with serving(rt) as http:

        async def trains() -> list[dict[str, Any]]:
            return list((await http.get("/api/board")).json()["trains"])

        async with Emulator(cfg) as emu, running(emu.run()):
            first = await wait_for_value(
                trains, lambda ts: all(t["seq"] and t["seq"] >= 5 for t in ts), timeout_s=30,
                what="all 13 trains reporting",
            )  # fmt: skip
        seq_before = {t["train"]: t["seq"] for t in first}
        # the emulator again, its clock an hour behind: every unit restarts (birth, seq from 1)
        back = EmulatorConfig(
            broker_url=mosquitto.url, start=start - timedelta(hours=1), modbus=False, seed=3
        )
        async with Emulator(back) as emu, running(emu.run()):
            resumed = await wait_for_value(
                trains,
                lambda ts: all(
                    t["seq"] is not None
                    and 3 <= t["seq"] < seq_before[t["train"]]
                    and not t["stale"]
                    for t in ts
                ),
                timeout_s=30,
                what="every train resumed after its birth",
            )
        assert len(resumed) == 13


async def test_broker_outage_is_one_alarm_and_ingest_reconnects_promptly(
    tmp_path: Path, mosquitto: Broker, feeder: Feeder
) -> None:
    settings = app_settings(
        tmp_path,
        mosquitto.url,
        state={"stale_after_s": 1.5, "outage_grace_s": 3.0},
        # a backoff that has grown large (8–24 s for the first retry): only the probe can
        # bring the ingest back within 2 s of the broker's return
        mqtt={"reconnect_min_s": 8.0, "reconnect_max_s": 30.0, "reconnect_probe_s": 0.25},
    )
    rt = build_runtime(settings)
    trains = ("T01", "T02", "T03")
    async with serving(rt) as http, running(feeder.run(trains)):
        await wait_for_value(
            lambda: http.get("/api/board"),
            lambda r: all(t["ts_ms"] and not t["stale"] for t in r.json()["trains"][:3]),
            what="three trains live",
        )
        mosquitto.stop()
        health = await wait_for_value(
            lambda: http.get("/healthz"), lambda r: r.status_code == 503, what="503"
        )
        assert health.json()["untrusted_because"] == ["broker"]
        assert health.json()["dependencies"]["broker"]["status"] == "down"
        await wait_for_value(
            lambda: alarms(http),
            lambda al: any(a["key"] == "system:broker:down" for a in al),
            what="the broker's alarm",
        )
        r = await wait_for_value(
            lambda: http.get("/api/board"),
            lambda r: all(t["stale"] for t in r.json()["trains"][:3]),
            what="the trains shown stale",
        )
        board = r.json()
        assert board["health"]["untrusted_because"] == ["broker"]

        mosquitto.start()
        back = time.monotonic()
        await wait_until(lambda: rt.ingest is not None and rt.ingest.connected, 10, "reconnect")
        assert time.monotonic() - back < 2.5, "ingest did not reconnect promptly"
        await wait_for_value(
            lambda: http.get("/healthz"), lambda r: r.status_code == 200, what="200 again"
        )
        await wait_for_value(
            lambda: http.get("/api/board"),
            lambda r: all(not t["stale"] for t in r.json()["trains"][:3]),
            what="trains live again",
        )
        # past the grouping grace: still no per-train alarm, the broker's one has returned
        await wait_until(lambda: rt.state.cause is None, 15, "the grouping to end")
        ticks = rt.state.ticks
        await wait_until(lambda: rt.state.ticks >= ticks + 2, what="two more state ticks")
        assert set(rt.state.withheld["stale_trains"]) == set(trains)
        assert rt.state.withheld["seq_loss"] > 0  # the outage's gaps: counted, grouped
        # …and named in the broker alarm's journal, train by train
        broker = next(
            a for a in (await http.get("/api/alarms")).json()["alarms"]
            if a["key"] == "system:broker:down"
        )  # fmt: skip
        grouped = [  # the system's note, as an English reader sees it
            render(Message.from_json(e["note"]), "en")
            for e in broker["events"]
            if e["what"] == "grouped"
        ]
        assert len(grouped) == 1 and "no telemetry: T01, T02, T03" in grouped[0]
        assert all(f"{t}: " in grouped[0] for t in trains), grouped[0]
        assert "messages lost (seq" in grouped[0], grouped[0]
        every = {a["key"]: a for a in (await http.get("/api/alarms")).json()["alarms"]}
        caused = {k for k in every if k.endswith((":stale", ":seq_loss"))}
        assert not caused, f"consequential alarms flooded: {caused}"
        assert not every["system:broker:down"]["active"]  # returned, awaiting its ack
        assert rt.state.withheld["stale_trains"] == list(trains)


async def test_history_path_that_cannot_be_created(
    tmp_path: Path, mosquitto: Broker, feeder: Feeder
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the history folder should be")
    settings = app_settings(
        tmp_path, mosquitto.url, history={"embedded_path": str(blocker / "history.sqlite")}
    )
    rt = build_runtime(settings)
    async with serving(rt) as http, running(feeder.run(("T04",))):
        # the live side runs without history
        await wait_for_value(
            lambda: board_train(http, "T04"), lambda t: t["ts_ms"] is not None, what="live T04"
        )
        r = await http.get("/healthz")
        body = r.json()
        assert r.status_code == 200 and body["status"] == "degraded" and body["live_board"]
        assert body["dependencies"]["history"]["status"] == "down"
        assert "not-a-folder" in body["dependencies"]["history"]["detail"]
        r = await http.get("/api/history/trains/T04")
        assert r.status_code == 503 and r.json()["detail"].startswith("history unavailable")
        assert "Retry-After" in r.headers
        await wait_for_value(
            lambda: alarms(http),
            lambda al: any(a["key"] == "system:history:down" for a in al),
            what="the history alarm",
        )
