"""The broker goes away under a running metro-ops, as an operator would see it on the board.

* SIGTERM restart (mosquitto saves its queues): every QoS 1 event a train sent before, during
  and after the restart reaches the live state once — all its fault alarms are there, and the
  board counts no lost message.
* SIGKILL (a crash): the QoS 0 telemetry sent while the broker was down is gone for good; the
  board names exactly the missing ``seq`` ranges (``lost_seq_ranges``), the broker's alarm
  says (in its journal, grouped) how many messages were lost and which — one cause, one
  alarm — and history holds every other message.

``tests/telemetry/test_mqtt.py`` already proves the ingest alone keeps QoS 1 across a SIGTERM
restart; here the whole app is running and the train is the emulator's real MQTT link.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from line.catalogue import Message, render
from services.runtime import build_runtime
from tests.api.test_serve import serving
from tests.fixtures.mosquitto import Broker
from tests.reliability.rig import (
    app_settings,
    event_msg,
    fault_code,
    linked,
    ranges_of,
    telemetry_msg,
    train_link,
    wait_for_value,
    wait_until,
)


async def board_train(http: httpx.AsyncClient, train: str) -> dict[str, Any]:
    board = (await http.get("/api/board")).json()
    return next(t for t in board["trains"] if t["train"] == train)


async def test_sigterm_restart_loses_no_qos1_event(mosquitto: Broker, tmp_path: Path) -> None:
    n_events = 150
    rt = build_runtime(app_settings(tmp_path, mosquitto.url))
    rt.tick_s = 0.1
    async with serving(rt) as http:
        await wait_until(lambda: rt.ingest is not None and rt.ingest.connected, what="ingest up")
        async with linked(train_link(mosquitto.url, "T07")) as link:
            restart: asyncio.Task[None] | None = None
            for seq in range(1, n_events + 1):
                link.offer(event_msg("T07", seq, code=fault_code(seq), severity="minor"))
                await asyncio.sleep(0.004)
                if seq == n_events // 3:
                    # mid-stream: the train goes on offering events while the broker restarts
                    restart = asyncio.create_task(asyncio.to_thread(mosquitto.restart))
            assert restart is not None
            await restart
            await wait_until(lambda: not link._queue, timeout_s=15, what="the outbox to drain")
            assert link.connects >= 2  # the train's link did lose the broker mid-stream

            async def fault_keys() -> set[str]:
                alarms = (await http.get("/api/alarms")).json()["alarms"]
                return {a["key"] for a in alarms if a["key"].startswith("train:T07:fault:")}

            expected = {f"train:T07:fault:{fault_code(s)}" for s in range(1, n_events + 1)}
            keys = await wait_for_value(
                fault_keys, lambda k: k >= expected, timeout_s=20, what="every fault alarm"
            )
        assert keys == expected
        assert rt.ingest is not None and rt.ingest.connects >= 2  # the ingest reconnected
        await asyncio.sleep(3.5)  # past the seq grace period: a missing event would be lost
        t07 = await board_train(http, "T07")
        assert t07["lost_messages"] == 0 and t07["lost_seq_ranges"] == []
        assert t07["seq"] == n_events
        alarms = (await http.get("/api/alarms")).json()["alarms"]
        assert not any(a["key"] == "train:T07:seq_loss" for a in alarms)


async def test_sigkill_gap_is_named_on_the_board(mosquitto: Broker, tmp_path: Path) -> None:
    rt = build_runtime(app_settings(tmp_path, mosquitto.url))
    rt.tick_s = 0.1
    rate_hz, down_s = 50, 1.0
    async with serving(rt) as http:
        await wait_until(lambda: rt.ingest is not None and rt.ingest.connected, what="ingest up")
        async with linked(train_link(mosquitto.url, "T05")) as link:
            seq = 0

            async def stream(seconds: float) -> None:
                nonlocal seq
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    seq += 1
                    link.offer(telemetry_msg("T05", seq, pos_m=4300.0 + seq / 10))
                    await asyncio.sleep(1 / rate_hz)

            await stream(1.0)
            mosquitto.stop(signal.SIGKILL)  # a crash: nothing flushed, nothing said
            # the link queues telemetry until it notices; from then on it drops it (QoS 0)
            noticed = time.monotonic() + 5
            while link.connected and time.monotonic() < noticed:
                await stream(0.1)
            assert not link.connected, "the train link did not notice the broker crash"
            await stream(down_s)
            # down long enough for the broker's own alarm (a blip shorter than its debounce
            # would leave the loss to a per-train alarm instead)
            while not rt.alarms.is_active("system:broker:down"):
                await stream(0.1)
            await asyncio.to_thread(mosquitto.start)
            await wait_until(lambda: link.connected, what="the train link to reconnect")
            await wait_until(lambda: rt.ingest is not None and rt.ingest.connected)
            await stream(1.0)
            last_seq = seq
        dropped_by_train = link.dropped
        assert dropped_by_train >= rate_hz * down_s * 0.5  # sent while the broker was down

        # after the grace period (3 s) every gap is declared lost: on the board and as an alarm
        await asyncio.sleep(3.5)
        t05 = await wait_for_value(
            lambda: board_train(http, "T05"),
            lambda t: t["seq"] == last_seq and t["lost_messages"] > 0,
            what="the loss on the board",
        )
        # the history holds every message that arrived: the complement is what was lost
        rows = await wait_for_value(
            lambda: _history_rows(http, "T05"),
            lambda r: len(r) == last_seq - t05["lost_messages"],
            what="history of every received message",
        )
        received = {int(r["seq"]) for r in rows}
        missing = set(range(1, last_seq + 1)) - received
        assert t05["lost_messages"] == len(missing) >= dropped_by_train
        assert t05["lost_seq_ranges"] == ranges_of(missing)
        # the messages dropped while the link was down are one of the gaps (another, short one
        # is possible: what was in the socket when the broker died)
        assert max(b - a + 1 for a, b in t05["lost_seq_ranges"]) >= dropped_by_train

        # one cause, one alarm: the loss is grouped under the broker's alarm, in its journal
        alarms = (await http.get("/api/alarms")).json()["alarms"]
        assert not [a for a in alarms if a["key"] == "train:T05:seq_loss"]
        (broker,) = [a for a in alarms if a["key"] == "system:broker:down"]
        assert broker["state"] == "rtn_unack"  # over, but the operator has to acknowledge it
        grouped = await wait_for_value(
            lambda: _grouped(http), bool, what="the loss grouped under the broker's alarm"
        )
        named = ", ".join(f"{a}–{b}" if a != b else f"{a}" for a, b in t05["lost_seq_ranges"])
        assert f"T05: {len(missing)} messages lost (seq {named})" in grouped[0]
        metrics = (await http.get("/metrics")).text
        assert f'metro_seq_gap_messages_total{{train="T05"}} {float(len(missing))}' in metrics


async def _grouped(http: httpx.AsyncClient) -> list[str]:
    alarms = (await http.get("/api/alarms")).json()["alarms"]
    broker = next(a for a in alarms if a["key"] == "system:broker:down")
    return [  # the system's note, as an English reader sees it
        render(Message.from_json(e["note"]), "en")
        for e in broker["events"]
        if e["what"] == "grouped"
    ]


async def _history_rows(http: httpx.AsyncClient, train: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/history/trains/{train}", params={"minutes": 5, "fields": "seq"})
    return list(r.json()["rows"])
