"""Modbus poller against real pymodbus TCP servers (the emulated substation PLC) on free ports."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from prometheus_client import CollectorRegistry
from pymodbus.client import AsyncModbusTcpClient
from structlog.testing import capture_logs

from telemetry.config import (
    ModbusDevice,
    ModbusSettings,
    RegisterMap,
    RegisterPoint,
    load_register_maps,
)
from telemetry.emulator.substation import SubstationSim
from telemetry.metrics import TelemetryMetrics
from telemetry.modbus import DeviceHealth, ModbusPoller
from telemetry.registers import SubstationReading, violations
from tests.fixtures.ports import free_port
from tests.poll import elapsed_until

ICD = load_register_maps()["traction_substation"]
HOST = "127.0.0.1"
FAST = ModbusSettings(poll_s=0.1, timeout_s=0.2, stale_after_misses=3, backoff_max_s=0.5)


class Probe:
    """A poller wired to recording callbacks and its own metrics registry."""

    def __init__(
        self, port: int, settings: ModbusSettings = FAST, register_map: RegisterMap = ICD
    ) -> None:
        self.registry = CollectorRegistry()
        self.readings: list[SubstationReading] = []
        self.health: list[tuple[str, DeviceHealth, str]] = []
        self.poller = ModbusPoller(
            ModbusDevice(id="SS2", host=HOST, port=port, unit_id=1),
            register_map,
            settings,
            self.readings.append,
            lambda d, h, r: self.health.append((d, h, r)),
            TelemetryMetrics(self.registry),
        )

    def polls(self, result: str) -> float:
        v = self.registry.get_sample_value(
            "metro_modbus_polls_total", {"device": "SS2", "result": result}
        )
        return v or 0.0

    def stale_gauge(self) -> float | None:
        return self.registry.get_sample_value("metro_modbus_device_stale", {"device": "SS2"})

    async def wait_for(self, cond: Callable[[], bool], timeout_s: float = 5.0) -> float:
        """Wait until ``cond()``; returns the seconds it took."""
        # polled: the conditions read callbacks' records and metrics
        return await elapsed_until(cond, timeout_s, every_s=0.01)


@asynccontextmanager
async def running(*runners: SubstationSim | ModbusPoller) -> AsyncIterator[None]:
    """Run the ``run()`` loops of already-entered parts; cancel them on the way out."""
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(r.run()) for r in runners]
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()


# --- the emulated PLC on its own ---------------------------------------------------------


async def test_sim_serves_the_icd_map_over_tcp_and_frees_its_port() -> None:
    port = free_port()
    sim = SubstationSim("SS1", ICD, HOST, port, seed=3)
    sim.set_traction_load(2000.0)
    sim.step(1.0)
    async with sim:
        client = AsyncModbusTcpClient(HOST, port=port, timeout=1.0, retries=0)
        try:
            assert await client.connect()
            rr = await client.read_holding_registers(0, count=10, device_id=1)
            assert not rr.isError()
            # telemetry is read-only, as on a real PLC
            wr = await client.write_register(0, 1, device_id=1)
            assert wr.isError()
        finally:
            client.close()
    # about 750 V − 0.02 Ω × (2000 A + ~30 A auxiliary), plus noise
    assert sim.values["dc_bus_voltage"] == pytest.approx(750 - 0.02 * 2030, abs=8)
    assert sim.values["feeder_current"] == pytest.approx(2030, abs=15)
    assert list(rr.registers)[9] == 1  # heartbeat after one tick
    with socket.socket() as s:  # the port is free again
        s.bind((HOST, port))


def test_sim_physics() -> None:
    sim = SubstationSim("SS1", ICD, HOST, 0, seed=1)
    e0 = sim.values["energy_kwh"]
    sim.set_traction_load(3000.0)
    temps = []
    for _ in range(600):  # ten minutes under a sustained 3 kA
        sim.step(1.0)
        temps.append(sim.values["transformer_temp"])
    v = sim.values
    assert 660 < v["dc_bus_voltage"] < 720
    assert temps == sorted(temps) and 40 < temps[-1] < 40 + 0.012 * 3030  # lagging upward
    # ≈ 690 V × 3030 A × 600 s ≈ 349 kWh
    assert v["energy_kwh"] - e0 == pytest.approx(690 * 3030 * 600 / 3.6e6, rel=0.05)
    assert sim.bits["main_breaker_closed"] and not sim.bits["earth_fault"]
    assert violations(ICD, sim_reading(sim)) == []
    sim.set_traction_load(-500.0)  # regenerating trains: diode rectifiers take nothing back
    sim.step(1.0)
    assert 0 < sim.values["feeder_current"] < 100


def test_sim_undervoltage_fault_sags_below_600_v() -> None:
    sim = SubstationSim("SS1", ICD, HOST, 0, seed=2)
    sim.undervoltage = True
    sim.step(1.0)
    assert sim.values["dc_bus_voltage"] < 600
    assert [(x.point, x.kind) for x in violations(ICD, sim_reading(sim))] == [
        ("dc_bus_voltage", "low")
    ]


def test_sim_heartbeat_wraps_at_65536() -> None:
    sim = SubstationSim("SS1", ICD, HOST, 0)
    assert sim.values["heartbeat"] == 0
    for _ in range(65535):
        sim.step(0.001)
    seen = [sim.values["heartbeat"]]
    for _ in range(2):
        sim.step(0.001)
        seen.append(sim.values["heartbeat"])
    assert seen == [65535, 0, 1]


def sim_reading(sim: SubstationSim) -> SubstationReading:
    return SubstationReading("SS1", 0, sim.values, sim.bits, None)


# --- the poller ----------------------------------------------------------------------------


async def test_poller_reading_matches_the_sim() -> None:
    port = free_port()
    probe = Probe(port)
    sim = SubstationSim("SS2", ICD, HOST, port, seed=5, tick_s=0.05)
    sim.set_traction_load(1500.0)
    async with sim, probe.poller, running(sim, probe.poller):
        await probe.wait_for(lambda: len(probe.readings) >= 3)
        sim.freeze = True  # hold the values still to compare them exactly
        n = len(probe.readings)
        # the second reading from now was certainly requested after the freeze
        await probe.wait_for(lambda: len(probe.readings) >= n + 2)
        last = probe.readings[-1]
    assert last.device == "SS2"
    assert last.values == sim.values
    assert last.bits == sim.bits
    assert last.values["feeder_current"] == pytest.approx(1530, abs=15)
    assert last.heartbeat == sim.values["heartbeat"]
    beats = [r.heartbeat or 0 for r in probe.readings[:3]]
    assert beats == sorted(beats) and beats[0] != beats[-1]  # the PLC is alive
    assert abs(last.ts_ms - time.time() * 1000) < 5000
    assert probe.health == [] and probe.poller.health is DeviceHealth.OK
    assert probe.polls("ok") >= 4 and probe.stale_gauge() == 0


async def test_silent_plc_goes_stale_within_3_polls_then_recovers_by_itself() -> None:
    port = free_port()
    sim = SubstationSim("SS2", ICD, HOST, port, tick_s=0.05)
    with capture_logs() as logs:
        probe = Probe(port)
        async with sim, probe.poller, running(sim, probe.poller):
            await probe.wait_for(lambda: len(probe.readings) >= 2)
            ok_before = probe.polls("ok")
            sim.silent = True
            took = await probe.wait_for(lambda: bool(probe.health))
            assert probe.health == [("SS2", DeviceHealth.STALE, "no_answer")]
            # three missed polls: 3 × (timeout 0.2 s), at most one poll period late
            assert probe.polls("timeout") == 3
            assert took < 3 * (0.2 + 0.1) + 0.5
            assert probe.poller.health.value == "stale" and probe.stale_gauge() == 1
            assert probe.poller.misses == 3
            # the outage goes on (three more missed polls): still stale, not re-reported
            await probe.wait_for(lambda: probe.poller.misses >= 6)
            assert len(probe.health) == 1 and probe.poller.misses > 3
            n = len(probe.readings)
            sim.silent = False
            await probe.wait_for(lambda: len(probe.health) == 2)
            await probe.wait_for(lambda: len(probe.readings) > n + 1)
    assert probe.health[1] == ("SS2", DeviceHealth.OK, "recovered")
    assert probe.poller.health is DeviceHealth.OK and probe.stale_gauge() == 0
    assert probe.poller.misses == 0 and probe.polls("ok") > ok_before
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [e["event"] for e in errors] == ["modbus device stale"]  # ERROR once per outage
    assert errors[0]["device"] == "SS2" and errors[0]["reason"] == "no_answer"
    assert any(e["log_level"] == "debug" and e["misses"] > 3 for e in logs)


async def test_frozen_heartbeat_goes_stale_and_recovers() -> None:
    port = free_port()
    probe = Probe(port)
    sim = SubstationSim("SS2", ICD, HOST, port, tick_s=0.03)  # beats faster than polls
    async with sim, probe.poller, running(sim, probe.poller):
        await probe.wait_for(lambda: len(probe.readings) >= 3)
        sim.freeze = True
        await probe.wait_for(lambda: bool(probe.health))
        assert probe.health == [("SS2", DeviceHealth.STALE, "frozen_heartbeat")]
        assert probe.stale_gauge() == 1
        # the PLC still answers (no missed polls) but its frozen values are not passed on
        n = len(probe.readings)
        ok = probe.polls("ok")
        await probe.wait_for(lambda: probe.polls("ok") >= ok + 4)  # four more answered polls
        assert len(probe.readings) == n and probe.poller.misses == 0
        sim.freeze = False
        await probe.wait_for(lambda: len(probe.health) == 2)
        await probe.wait_for(lambda: len(probe.readings) > n)
    assert probe.health[1] == ("SS2", DeviceHealth.OK, "recovered")
    assert probe.polls("timeout") == probe.polls("error") == 0


async def test_device_down_at_start_is_stale_then_recovers_when_it_comes_up() -> None:
    port = free_port()  # nothing listens here yet
    probe = Probe(port)
    async with probe.poller, running(probe.poller):
        await probe.wait_for(lambda: bool(probe.health))
        assert probe.health == [("SS2", DeviceHealth.STALE, "no_answer")]
        assert probe.polls("error") == 3 and probe.readings == []
        # still failing (two more polls), backing off, not crashing
        await probe.wait_for(lambda: probe.polls("error") >= 5)
        sim = SubstationSim("SS2", ICD, HOST, port, tick_s=0.05)
        async with sim, running(sim):
            await probe.wait_for(lambda: len(probe.readings) >= 2)
    assert probe.health[1:] == [("SS2", DeviceHealth.OK, "recovered")]
    assert probe.readings[-1].values["dc_bus_voltage"] == pytest.approx(750, abs=10)


async def test_plc_restart_is_reconnected_by_pymodbus() -> None:
    port = free_port()
    probe = Probe(port)
    async with probe.poller, running(probe.poller):
        async with SubstationSim("SS2", ICD, HOST, port, tick_s=0.05) as sim, running(sim):
            await probe.wait_for(lambda: len(probe.readings) >= 2)
        # the PLC went away (connection closed); it comes back on the same port
        await probe.wait_for(lambda: bool(probe.health))
        assert probe.health == [("SS2", DeviceHealth.STALE, "no_answer")]
        n = len(probe.readings)
        async with SubstationSim("SS2", ICD, HOST, port, tick_s=0.05) as sim, running(sim):
            await probe.wait_for(lambda: len(probe.readings) >= n + 2)
    assert probe.health[1:] == [("SS2", DeviceHealth.OK, "recovered")]


async def test_device_exception_response_is_a_device_error() -> None:
    # the configured map reaches past what the PLC serves: it answers ILLEGAL_ADDRESS
    bigger = ICD.model_copy(
        update={"points": (*ICD.points, RegisterPoint(name="extra", address=20, type="uint16"))}
    )
    port = free_port()
    probe = Probe(port, register_map=bigger)
    async with SubstationSim("SS2", ICD, HOST, port) as _sim, probe.poller:
        async with running(probe.poller):
            await probe.wait_for(lambda: bool(probe.health))
    assert probe.health == [("SS2", DeviceHealth.STALE, "device_error")]
    assert probe.polls("device_error") >= 3 and probe.polls("timeout") == 0
    assert probe.readings == []


async def test_backoff_slows_polling_down_but_is_capped() -> None:
    settings = ModbusSettings(poll_s=0.05, timeout_s=0.2, stale_after_misses=2, backoff_max_s=0.4)
    probe = Probe(free_port(), settings)  # nothing listening: each attempt fails at once
    attempts: list[float] = []
    async with probe.poller, running(probe.poller):
        t_end = time.monotonic() + 3.0
        seen = 0.0
        while time.monotonic() < t_end:
            n = probe.polls("error")
            if n > seen:
                attempts.extend([time.monotonic()] * int(n - seen))
                seen = n
            await asyncio.sleep(0.005)
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert len(attempts) >= 8
    assert gaps[0] < 0.15  # at the poll period until stale
    assert max(gaps) == pytest.approx(0.4, abs=0.1)  # slowed down to the cap…
    assert all(g < 0.4 + 0.1 for g in gaps)  # …and never beyond it
    # without backoff 3 s would have been ~60 attempts
    assert len(attempts) < 20
    assert probe.poller.next_delay_s() == 0.4


def test_next_delay_doubles_after_stale_up_to_the_cap() -> None:
    settings = ModbusSettings(poll_s=1.0, stale_after_misses=3, backoff_max_s=10.0)
    poller = ModbusPoller(
        ModbusDevice(id="SS2"),
        ICD,
        settings,
        lambda r: None,
        lambda d, h, r: None,
        TelemetryMetrics(CollectorRegistry()),
    )
    delays = []
    for misses in range(10):
        poller._misses = misses  # white-box: the schedule as a function of misses
        delays.append(poller.next_delay_s())
    assert delays == [1.0, 1.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]


async def test_run_without_async_with_is_an_error() -> None:
    probe = Probe(free_port())
    with pytest.raises(RuntimeError, match="async with"):
        await probe.poller.run()
