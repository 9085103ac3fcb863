"""A substation PLC that keeps going away and coming back, under a running metro-ops.

Six outages of the emulated PLC (a real pymodbus TCP server), in turn: the server stops (its
connections close; it comes back on the same port), its heartbeat freezes (a hung PLC that still
answers), and it goes silent (requests time out). Each time the operator sees the substation
marked stale with the right reason and recovered after the PLC is back, within the capped
backoff; the stale condition is one alarm the whole time (re-annunciated per outage, never
duplicated); and nothing accumulates — no tasks, no threads, no open sockets.

``tests/telemetry/test_modbus.py`` proves each kind of outage once on the poller alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from pathlib import Path
from typing import Any

from services.runtime import build_runtime
from telemetry.config import load_register_maps
from telemetry.emulator.substation import SubstationSim
from tests.api.test_serve import serving
from tests.fixtures.ports import free_port
from tests.reliability.rig import app_settings, wait_until

ICD_MAP = load_register_maps()["traction_substation"]
POLL_S, TIMEOUT_S, BACKOFF_MAX_S = 0.1, 0.2, 0.4
KEY = "substation:SS2:stale"
REASON = {"gone": "no_answer", "silent": "no_answer", "frozen": "frozen_heartbeat"}
MESSAGE = {
    "gone": "SS2: telemetry stale (not answering)",
    "silent": "SS2: telemetry stale (not answering)",
    "frozen": "SS2: telemetry stale (heartbeat frozen)",
}


class Plc:
    """The emulated PLC on a fixed port, which the test stops and starts again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sim: SubstationSim | None = None
        self._task: asyncio.Task[None] | None = None

    async def up(self) -> SubstationSim:
        sim = SubstationSim("SS2", ICD_MAP, "127.0.0.1", self.port, tick_s=0.05)
        await sim.__aenter__()
        self.sim, self._task = sim, asyncio.create_task(sim.run(), name="plc-physics")
        return sim

    async def down(self) -> None:
        task, sim = self._task, self.sim
        self._task = self.sim = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if sim is not None:
            await sim.__aexit__(None, None, None)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_flapping_plc_is_marked_stale_and_recovers_each_time(tmp_path: Path) -> None:
    port = free_port()
    settings = app_settings(
        tmp_path,
        modbus={
            "poll_s": POLL_S,
            "timeout_s": TIMEOUT_S,
            "stale_after_misses": 3,
            "backoff_max_s": BACKOFF_MAX_S,
            "devices": [{"id": "SS2", "host": "127.0.0.1", "port": port}],
        },
    )
    rt = build_runtime(settings, require_broker=False)
    rt.tick_s = 0.1
    sv = rt.state.substations["SS2"]
    plc = Plc(port)
    modes = ["gone", "frozen", "silent", "gone", "frozen", "silent"]
    tasks: list[int] = []
    fds: list[int] = []
    threads: list[int] = []
    recoveries: list[float] = []
    try:
        async with serving(rt) as http:
            sim = await plc.up()
            await wait_until(lambda: bool(sv.values) and not sv.stale, what="first reading")
            for mode in modes:
                if mode == "gone":
                    await plc.down()
                elif mode == "frozen":
                    sim.freeze = True
                else:
                    sim.silent = True
                await wait_until(lambda: sv.stale, timeout_s=5, what=f"{mode}: stale")
                assert sv.stale_reason == REASON[mode]
                # the outage lasts long enough for the poller's backoff to reach its cap
                await asyncio.sleep(0.8)
                open_alarms = [a for a in rt.alarms.active() if a.key == KEY]
                assert len(open_alarms) == 1 and open_alarms[0].active
                assert open_alarms[0].message_en == MESSAGE[mode]
                if mode == "gone":
                    sim = await plc.up()
                else:
                    sim.freeze = sim.silent = False
                took = await wait_until(lambda: not sv.stale, timeout_s=5, what=f"{mode}: back")
                recoveries.append(took)
                assert not rt.alarms.is_active(KEY)
                await asyncio.sleep(0.2)  # let closed connections and reconnects settle
                tasks.append(len(asyncio.all_tasks()))
                fds.append(open_fds())
                threads.append(threading.active_count())

            # what the operator sees at the end
            board = (await http.get("/api/board")).json()
            (ss2,) = [s for s in board["substations"] if s["id"] == "SS2"]
            assert not ss2["stale"] and 600 < ss2["values"]["dc_bus_voltage"] < 900
            got: dict[str, Any] = (await http.get("/api/alarms", params={"history": 100})).json()
            mine = [a for a in got["alarms"] + got.get("history", []) if a["key"] == KEY]
            metrics = (await http.get("/metrics")).text
    finally:
        await plc.down()

    # one alarm for the condition, annunciated once per outage, never duplicated
    assert len(mine) == 1, mine
    (alarm,) = mine
    assert alarm["annunciations"] == len(modes)
    assert alarm["state"] == "rtn_unack" and not alarm["active"]
    whats = [e["what"] for e in alarm["events"]]
    assert whats == ["raised", "cleared"] + ["reactivated", "cleared"] * (len(modes) - 1)
    assert 'metro_modbus_device_stale{device="SS2"} 0.0' in metrics

    # recovery within the capped backoff: at most the cap, a poll and its timeout, and slack
    # for a busy machine — not pymodbus' default 300 s, nor a growing delay
    assert max(recoveries) < BACKOFF_MAX_S + POLL_S + TIMEOUT_S + 1.0, recoveries
    # nothing accumulates from one outage to the next
    assert max(tasks) - min(tasks) <= 1 and tasks[-1] <= tasks[0] + 1, tasks
    assert fds[-1] <= fds[0] + 2, fds
    # a thread per outage would grow by 5; one more, once, is a pool worker started on demand
    # (asyncio's default executor, aiosqlite) by the periodic work running beside the test
    assert max(threads) - min(threads) <= 1, threads
