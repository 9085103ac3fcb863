"""The emulator against a real mosquitto and real Modbus TCP clients, and its CLI."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiomqtt
import pytest
from pymodbus.client import AsyncModbusTcpClient

from line import Line, load_line
from line.clock import HANOI
from telemetry.config import ModbusDevice, load_register_maps
from telemetry.emulator.runner import Emulator, EmulatorConfig
from telemetry.registers import SubstationReading, decode_registers
from telemetry.schemas import Decoded, Decoder, Reject, TrainEvent, TrainStatus, TrainTelemetry
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port
from tests.poll import until, until_sync

MORNING_PEAK = datetime(2026, 11, 23, 8, 0, tzinfo=HANOI)  # a Monday, 2026 timetable


def _cfg(broker: Broker, **kw: object) -> EmulatorConfig:
    base = EmulatorConfig(
        broker_url=broker.url,
        start=MORNING_PEAK,
        speed=60,
        seed=1,
        publish_hz=4,
        modbus=False,
        fault_rate_per_h=0.0,
        reconnect_min_s=0.1,
        reconnect_max_s=0.5,
        client_id_prefix=f"emu-{free_port()}-",
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


@dataclass
class Capture:
    """Everything a subscriber received, decoded with the ICD decoder."""

    decoder: Decoder
    got: list[tuple[float, Decoded | Reject]] = field(default_factory=list)

    def add(self, topic: str, payload: bytes) -> None:
        self.got.append((asyncio.get_running_loop().time(), self.decoder.decode(topic, payload)))

    def decoded(self, kind: str, since: float = 0.0) -> list[Decoded]:
        return [d for t, d in self.got if t >= since and isinstance(d, Decoded) and d.kind == kind]

    def telemetry(self, since: float = 0.0) -> list[TrainTelemetry]:
        return [
            d.msg for d in self.decoded("telemetry", since) if isinstance(d.msg, TrainTelemetry)
        ]

    def rejects(self) -> list[Reject]:
        return [d for _, d in self.got if isinstance(d, Reject)]


def _decoder(ln: Line) -> Decoder:
    return Decoder(ln.id, frozenset(ln.fleet.trains), frozenset(ln.station_ids), ln.length_m)


@contextlib.asynccontextmanager
async def _subscribe(broker: Broker, topic: str = "metro/#") -> AsyncIterator[Capture]:
    cap = Capture(_decoder(load_line()))
    async with aiomqtt.Client("127.0.0.1", broker.port, identifier=f"sub-{free_port()}") as c:
        await c.subscribe(topic, qos=1)

        async def rx() -> None:
            async for m in c.messages:
                cap.add(str(m.topic), bytes(m.payload))  # type: ignore[arg-type]

        task = asyncio.create_task(rx())
        try:
            yield cap
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def _running(cfg: EmulatorConfig) -> AsyncIterator[Emulator]:
    async with Emulator(cfg) as emu:
        task = asyncio.create_task(emu.run())
        try:
            yield emu
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _all_trains(status: dict[str, TrainStatus]) -> bool:
    return len(status) == len(load_line().fleet.trains)


async def _retained_status(
    broker: Broker, ok: Callable[[dict[str, TrainStatus]], bool] = _all_trains
) -> dict[str, TrainStatus]:
    """The latest status of every train as a newly connecting subscriber sees it (retained,
    then live), once ``ok`` of it holds (by default: every train has one)."""

    def latest() -> dict[str, TrainStatus]:
        out: dict[str, TrainStatus] = {}
        for d in cap.decoded("status"):
            assert isinstance(d.msg, TrainStatus)
            out[d.entity] = d.msg
        return out

    async with _subscribe(broker, "metro/2a/train/+/status") as cap:
        await until(lambda: ok(latest()), 15, what="train statuses")
    return latest()


async def test_all_trains_publish_valid_telemetry_and_announce_themselves(
    mosquitto: Broker,
) -> None:
    ln = load_line()
    async with _subscribe(mosquitto) as cap, _running(_cfg(mosquitto)) as emu:
        await asyncio.sleep(3.0)
    assert cap.rejects() == []
    tele = cap.telemetry()
    by_train: dict[str, list[TrainTelemetry]] = {}
    for m in tele:
        by_train.setdefault(m.train, []).append(m)
    assert sorted(by_train) == list(ln.fleet.trains)
    day = emu.schedule(MORNING_PEAK.date())
    midnight_ms = int(MORNING_PEAK.replace(hour=0).timestamp() * 1000)
    moving = 0
    for train, ms in by_train.items():
        seqs = [m.seq for m in ms]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), train  # no loss, in order
        assert [m.ts for m in ms] == sorted(m.ts for m in ms)
        for m in ms:  # the wire carries the model's train at the message's instant
            s = day.trains[train].state_at((m.ts - midnight_ms) / 1000)
            assert (m.pos_m, m.track, m.doors) == (
                pytest.approx(s.pos_m, abs=0.1),
                s.track,
                s.doors,
            )
            assert (m.mode, m.driver) == (s.mode.value, s.driver)
            if m.mode == "depot":
                assert m.driver is None and m.pos_m == ln.length_m
        moving += len({m.pos_m for m in ms}) > 1
    assert moving >= 6  # ~9 trains in service at 08:00, a few may stand at a terminal
    # the simulated clock runs 60× the wall clock
    arrivals = [
        t
        for t, d in cap.got
        if isinstance(d, Decoded) and d.kind == "telemetry" and d.entity == "T01"
    ]
    t01 = by_train["T01"]
    wall_s = arrivals[-1] - arrivals[0]
    assert 45 < (t01[-1].ts - t01[0].ts) / 1000 / wall_s < 75
    sim_start = int(MORNING_PEAK.timestamp() * 1000)
    assert all(sim_start <= m.ts < sim_start + 10 * 60_000 for m in tele)
    assert len(cap.decoded("flow")) >= len(ln.stations)  # a minute of gate counts per station
    status = await _retained_status(mosquitto)
    assert sorted(status) == list(ln.fleet.trains)
    # the emulator stopped cleanly: each unit said goodbye, retained
    assert all(not s.online and s.ts for s in status.values())
    assert emu.link("T01").connects == 1


async def test_status_is_online_and_retained_while_running(mosquitto: Broker) -> None:
    async with _running(_cfg(mosquitto)):
        await asyncio.sleep(1.0)
        status = await _retained_status(
            mosquitto, lambda st: _all_trains(st) and all(s.online for s in st.values())
        )
    assert len(status) == 13 and all(s.online and s.ts for s in status.values())


async def test_a_driver_logs_on_with_a_staff_id(mosquitto: Broker) -> None:
    probe = Emulator(_cfg(mosquitto))
    first = min(
        (ev for sim in probe.schedule(MORNING_PEAK.date()).trains.values() for ev in sim.events),
        key=lambda ev: (ev.kind != "cab_logon", ev.t_s),
    )
    midnight = MORNING_PEAK.replace(hour=0, minute=0)
    start = midnight + timedelta(seconds=first.t_s - 20)
    async with _subscribe(mosquitto) as cap, _running(_cfg(mosquitto, start=start)):
        await asyncio.sleep(2.5)
    events = [d.msg for d in cap.decoded("event") if isinstance(d.msg, TrainEvent)]
    logons = [e for e in events if e.kind == "cab_logon"]
    assert logons and logons[0].train == first.train
    assert re.fullmatch(r"D\d{3}", logons[0].driver or "")
    later = [m for m in cap.telemetry() if m.train == first.train and m.ts > logons[0].ts]
    assert later and later[-1].driver == logons[0].driver
    # events share the train's seq with its telemetry
    seqs = sorted(
        [m.seq for m in cap.telemetry() if m.train == first.train]
        + [e.seq for e in events if e.train == first.train]
    )
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_malformed_rate_one_makes_every_telemetry_message_a_reject(
    mosquitto: Broker,
) -> None:
    async with _subscribe(mosquitto) as cap, _running(_cfg(mosquitto, malformed_rate=1.0)):
        await asyncio.sleep(2.0)
    assert cap.telemetry() == []
    rejects = cap.rejects()
    assert len(rejects) >= 13
    assert len({r.reason for r in rejects}) >= 3
    assert len(cap.decoded("status")) >= 13  # the rest of the stream is still valid


async def test_seq_gaps_appear_when_requested(mosquitto: Broker) -> None:
    async with _subscribe(mosquitto) as cap, _running(_cfg(mosquitto, seq_gap_rate=0.3)):
        await asyncio.sleep(2.0)
    gaps = 0
    by_train: dict[str, list[int]] = {}
    for m in cap.telemetry():
        by_train.setdefault(m.train, []).append(m.seq)
    for seqs in by_train.values():
        steps = [b - a for a, b in zip(seqs, seqs[1:], strict=False)]
        assert all(s >= 1 for s in steps)
        gaps += sum(s > 1 for s in steps)
    assert gaps >= 5


async def test_a_silenced_train_stops_publishing_but_stays_online(mosquitto: Broker) -> None:
    loop = asyncio.get_running_loop()
    fleet = set(load_line().fleet.trains)

    def trains_since(t0: float) -> dict[str, int]:
        n: dict[str, int] = {}
        for t, d in cap.got:
            if t >= t0 and isinstance(d, Decoded) and isinstance(d.msg, TrainTelemetry):
                n[d.msg.train] = n.get(d.msg.train, 0) + 1
        return n

    async with _subscribe(mosquitto) as cap, _running(_cfg(mosquitto)) as emu:
        await until(lambda: set(trains_since(0)) == fleet, 15, what="every train")
        emu.silence_train("T05")
        await asyncio.sleep(0.3)  # what was already on the wire
        cut = loop.time()
        # the sentinel that time passed on the wire: every other train sent three messages
        await until(
            lambda: sum(1 for v in trains_since(cut).values() if v >= 3) >= 12, 15, what="others"
        )
        status = await _retained_status(mosquitto)
        resumed_at = loop.time()
        emu.silence_train("T05", False)
        await until(lambda: "T05" in trains_since(resumed_at), 15, what="T05 again")
    arrived = [(t, d.msg) for t, d in cap.got if isinstance(d, Decoded)]
    t05 = [(t, m) for t, m in arrived if isinstance(m, TrainTelemetry) and m.train == "T05"]
    before = [m for t, m in t05 if t < cut]
    during = [m for t, m in t05 if cut <= t < resumed_at]
    after = [m for t, m in t05 if t >= resumed_at]
    assert before and not during and after
    others = {
        m.train for t, m in arrived if isinstance(m, TrainTelemetry) and cut <= t < resumed_at
    }
    assert len(others) == 12  # the rest of the fleet went on
    assert status["T05"].online  # like a dead radio link: nothing said, nothing changed
    assert after[0].seq > before[-1].seq + 3  # the unit counted on; the messages were lost


async def test_links_reconnect_after_a_broker_restart(mosquitto: Broker) -> None:
    async with _running(_cfg(mosquitto)) as emu:
        await asyncio.sleep(1.0)
        await asyncio.to_thread(mosquitto.restart)
        async with _subscribe(mosquitto) as cap:
            await asyncio.sleep(2.5)
    assert {m.train for m in cap.telemetry()} == set(emu.line.fleet.trains)
    assert all(emu.link(t).connects >= 2 for t in emu.line.fleet.trains)


# --- substations over Modbus ----------------------------------------------------------------


async def _read(dev: ModbusDevice) -> SubstationReading:
    reg_map = load_register_maps()[dev.map]
    start, count = reg_map.span
    client = AsyncModbusTcpClient(dev.host, port=dev.port, timeout=1, retries=0)
    try:
        assert await client.connect()
        rr = await client.read_holding_registers(start, count=count, device_id=dev.unit_id)
        assert not rr.isError(), rr
        return decode_registers(dev.id, reg_map, rr.registers, 0)
    finally:
        client.close()


async def _max_feeder_current(cfg: EmulatorConfig, wall_s: float) -> float:
    """The highest feeder current any substation reports while polled for ``wall_s``."""
    async with _running(cfg) as emu:
        devices = emu.devices()
        loop = asyncio.get_running_loop()
        end = loop.time() + wall_s
        seen = 0.0
        while loop.time() < end:
            for d in devices:
                seen = max(seen, (await _read(d)).values["feeder_current"])
            await asyncio.sleep(0.2)
    return seen


async def test_substations_serve_the_icd_map_with_current_that_follows_the_trains(
    mosquitto: Broker,
) -> None:
    cfg = _cfg(mosquitto, modbus=True, modbus_base_port=0)
    async with _running(cfg) as emu:
        devices = emu.devices()
        assert [d.id for d in devices] == ["SS1", "SS2", "SS3", "SS4", "SS5"]
        first = [await _read(d) for d in devices]
        await asyncio.sleep(1.2)
        second = [await _read(d) for d in devices]
    for a, b in zip(first, second, strict=True):
        assert 600 < a.values["dc_bus_voltage"] < 900
        assert a.bits["main_breaker_closed"] and not a.bits["earth_fault"]
        assert b.heartbeat != a.heartbeat  # a live PLC
    # no train on the line at 03:00: only the substations' own auxiliaries (~30 A)
    night = await _max_feeder_current(
        dataclasses.replace(cfg, start=MORNING_PEAK.replace(hour=3)), 1.5
    )
    # three simulated minutes of the morning peak: trains pull away from stations near
    # every substation (one accelerating train draws about 2 kA)
    peak = await _max_feeder_current(cfg, 3.0)
    assert night < 100
    assert peak > 1000


async def test_fault_injection_freezes_a_plc_and_sags_a_bus(mosquitto: Broker) -> None:
    cfg = _cfg(mosquitto, modbus=True, modbus_base_port=0, frozen_plcs=frozenset({"SS2"}))
    async with _running(cfg) as emu:
        devs = {d.id: d for d in emu.devices()}
        emu.set_undervoltage("SS3")
        a = {k: await _read(d) for k, d in devs.items()}
        beats = {a["SS1"].heartbeat}

        async def ss1_beat_twice() -> bool:
            # a live PLC's heartbeat moves (twice: the frozen one had time to move too);
            # waited for, not slept: a loaded machine may take longer than a second
            beats.add((await _read(devs["SS1"])).heartbeat)
            return len(beats) >= 3

        await until(ss1_beat_twice, 20, what="SS1's heartbeat moving twice")
        b = {k: await _read(d) for k, d in devs.items()}
    assert a["SS2"].heartbeat == b["SS2"].heartbeat  # frozen
    assert b["SS3"].values["dc_bus_voltage"] < 600


# --- the CLI --------------------------------------------------------------------------------


def _emulate_cmd(broker: Broker, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cli.main",
        "emulate",
        "--broker",
        broker.url,
        "--speed",
        "60",
        "--date",
        "2026-11-23",
        "--start",
        "08:00",
        "--seed",
        "1",
        "--modbus-base-port",
        "0",
        *extra,
    ]


@dataclass
class _Cli:
    """``metro-ops emulate`` with its output (stdout and stderr) read line by line by one
    thread: everything goes through that one path (docs/library-notes.md: lines read with
    ``readline()`` sit in the text wrapper's buffer, and a later ``communicate()`` reading
    the raw pipe lost them — the banner, one run in three)."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)


def _start_cli(broker: Broker, *extra: str, sigint_ignored: bool = False) -> _Cli:
    env = {**os.environ, "METRO_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        _emulate_cmd(broker, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # as a script's background job starts it: SIGINT ignored from the start
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )
    cli = _Cli(proc)
    cli.reader = threading.Thread(target=cli.read, name="emulate-output", daemon=True)
    cli.reader.start()
    until_sync(lambda: "emulating" in cli.output or proc.poll() is not None, 60, what="the banner")
    assert "emulating" in cli.output, cli.output
    return cli


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(cli: _Cli, sig: int) -> tuple[int, str]:
    cli.proc.send_signal(sig)
    try:
        cli.proc.wait(timeout=60)  # a loaded machine takes longer to stop 13 links and 5 PLCs
    except subprocess.TimeoutExpired:
        cli.proc.kill()
        cli.proc.wait()
    assert cli.reader is not None
    cli.reader.join(10)  # the pipe ends with the process
    assert cli.proc.stdout is not None
    cli.proc.stdout.close()
    return cli.proc.returncode, cli.output


async def test_cli_killed_abruptly_leaves_the_last_will(mosquitto: Broker) -> None:
    proc = await asyncio.to_thread(_start_cli, mosquitto, "--silence-train", "T05")
    try:
        online = await _retained_status(
            mosquitto, lambda st: _all_trains(st) and all(s.online for s in st.values())
        )
    finally:
        rc, _ = await asyncio.to_thread(_stop, proc, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert len(online) == 13 and all(s.online for s in online.values())
    dead = await _retained_status(
        mosquitto, lambda st: _all_trains(st) and not any(s.online for s in st.values())
    )
    assert len(dead) == 13
    assert all(not s.online and s.ts is None for s in dead.values())  # the will, not a goodbye


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["terminal", "background-job"])
async def test_cli_stops_cleanly_on_ctrl_c(mosquitto: Broker, sigint_ignored: bool) -> None:
    """Also when started with SIGINT ignored (a script's background job, or a test runner
    started that way): it handles SIGINT itself, as `serve` (uvicorn) does."""
    async with _subscribe(mosquitto) as cap:
        proc = await asyncio.to_thread(
            _start_cli, mosquitto, "--fault-rate", "0", sigint_ignored=sigint_ignored
        )
        trains = set(load_line().fleet.trains)
        try:
            # stop once every train has reported (a loaded machine takes longer to start up)
            await until(lambda: {m.train for m in cap.telemetry()} == trains, 30, what="trains")
        finally:
            rc, out = await asyncio.to_thread(_stop, proc, signal.SIGINT)
    assert rc == 0, out
    assert "emulator stopped" in out
    assert "modbus://127.0.0.1:" in out
    assert {m.train for m in cap.telemetry()} == set(load_line().fleet.trains)
    status = await _retained_status(
        mosquitto, lambda st: _all_trains(st) and not any(s.online for s in st.values())
    )
    assert all(not s.online and s.ts for s in status.values())


def test_cli_without_a_broker_says_what_to_pass() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")}
    r = subprocess.run(
        [sys.executable, "-m", "cli.main", "emulate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2
    assert "--broker mqtt://" in r.stderr
    assert "Traceback" not in r.stderr
