"""The emulated substations integrate energy on the emulator's clock, like the trains' load."""

from __future__ import annotations

import asyncio
import contextlib

from telemetry.config import load_register_maps
from telemetry.emulator.substation import SubstationSim
from tests.reliability.rig import wait_until

LOAD_A = 3000.0


async def test_energy_counter_runs_on_emulated_time() -> None:
    rmap = load_register_maps()["traction_substation"]
    speed, tick_s = 60.0, 0.05
    sim = SubstationSim("SS1", rmap, "127.0.0.1", 0, seed=1, tick_s=tick_s, speed=speed)
    sim.set_traction_load(LOAD_A)
    e0, hb0 = sim.values["energy_kwh"], sim.values["heartbeat"]
    task = asyncio.create_task(sim.run())
    try:
        await wait_until(lambda: sim.values["heartbeat"] - hb0 >= 20, what="20 ticks")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    ticks = sim.values["heartbeat"] - hb0
    emulated_s = ticks * tick_s * speed
    kwh = sim.values["energy_kwh"] - e0
    # about 750 V × (3000 A + auxiliaries) over the emulated time, not over the wall time
    expected = 750.0 * LOAD_A * emulated_s / 3.6e6
    assert 0.8 * expected <= kwh <= 1.3 * expected, (kwh, expected)
