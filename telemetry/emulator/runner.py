"""The field emulator: the timetable played on a simulated clock, spoken in the ICD.

:class:`Emulator` is an async context manager (substation PLC servers start on enter) with a
:meth:`Emulator.run` loop: one MQTT link per train (each with its own last will) plus one for
the station gates, one Modbus TCP server per traction substation, and a ticker that, at
``publish_hz`` in wall time, reads every train's state from the day's
:class:`~telemetry.emulator.trains.DaySchedule` at the simulated instant, publishes it, feeds
the substations their traction load and, every simulated minute, the station flows.

The simulated clock starts at ``EmulatorConfig.start`` (local time, Asia/Ho_Chi_Minh) and runs
``speed`` times faster than the wall clock; payload timestamps are simulated epoch ms (UTC).
Field faults can be injected from the config and toggled at run time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from types import TracebackType
from typing import Self

import orjson
import structlog

from line import DayPlan, Line, load_line, plan_day
from line.clock import HANOI
from telemetry.config import ModbusDevice, load_register_maps, parse_mqtt_url
from telemetry.emulator.demand import Demand
from telemetry.emulator.onboard import OnboardUnit
from telemetry.emulator.publisher import FieldLink, LinkOptions, Outgoing
from telemetry.emulator.substation import SubstationSim
from telemetry.emulator.traction import feeder_currents
from telemetry.emulator.trains import DaySchedule, SimEvent, TrainSample, build_day
from telemetry.schemas import topic_for

log = structlog.get_logger(__name__)

SERVICE_START = dtime(5, 30)
SERVICE_END = dtime(22, 0)
DEMO_START = dtime(7, 30)  # outside service hours a demo starts here, so trains are running
MAX_FLOW_PERIODS_PER_TICK = 60  # bounds the catch-up work of one tick at very high speeds
OFFLINE = b'{"v":1,"online":false}'


def default_start(now: datetime | None = None) -> datetime:
    """Now (local) when within service hours 05:30–22:00, else today at 07:30."""
    now = (now or datetime.now(HANOI)).astimezone(HANOI)
    if SERVICE_START <= now.time() < SERVICE_END:
        return now
    return datetime.combine(now.date(), DEMO_START, HANOI)


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Everything the emulator needs; built by the CLI or a test."""

    broker_url: str
    line: Line | None = None  # None → Line 2A from the bundled data file
    timetable: str = "2026"
    start: datetime | None = None  # local; naive means Asia/Ho_Chi_Minh; None → default_start()
    speed: float = 1.0
    seed: int = 0
    publish_hz: float = 1.0
    perturb: bool = True
    daily_riders: float = 45_000
    drivers: int = 46
    flow_period_s: int = 60
    # field faults
    fault_rate_per_h: float = 0.2  # per train and simulated hour while driven
    malformed_rate: float = 0.0  # share of telemetry replaced by malformed payloads
    seq_gap_rate: float = 0.0  # share of messages after which seq numbers are skipped
    silenced_trains: frozenset[str] = frozenset()
    frozen_plcs: frozenset[str] = frozenset()
    undervoltage: frozenset[str] = frozenset()
    # Modbus (substation PLCs); base port 0 picks free ports
    modbus: bool = True
    modbus_host: str = "127.0.0.1"
    modbus_base_port: int = 15020
    modbus_unit_id: int = 1
    register_map: str = "traction_substation"
    maps_file: Path | None = None
    # MQTT links
    client_id_prefix: str = "metro-emu-"
    keepalive_s: int = 10
    timeout_s: float = 5.0
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 10.0
    ca_file: Path | None = None


@dataclass(slots=True)
class _Injection:
    """Fault injection switches, changeable while running."""

    fault_rate_per_h: float
    malformed_rate: float
    seq_gap_rate: float
    silenced: set[str] = field(default_factory=set)


class SimClock:
    """Simulated epoch ms: ``start`` plus ``speed`` × the wall time since construction."""

    def __init__(
        self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=HANOI)
        self.start_ms = int(start.timestamp() * 1000)
        self.speed = speed
        self._mono = monotonic
        self._t0 = monotonic()

    def now_ms(self) -> int:
        return self.start_ms + int((self._mono() - self._t0) * self.speed * 1000)


def local_day(ts_ms: int) -> tuple[date, float]:
    """Epoch ms → (local service date, seconds after local midnight)."""
    dt = datetime.fromtimestamp(ts_ms / 1000, UTC).astimezone(HANOI)
    midnight = datetime.combine(dt.date(), dtime(0), HANOI)
    return dt.date(), (ts_ms - midnight.timestamp() * 1000) / 1000


def _midnight_ms(d: date) -> int:
    return int(datetime.combine(d, dtime(0), HANOI).timestamp() * 1000)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:  # normal approximation: Knuth's product loop gets slow and underflows
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Emulator:
    """Trains over MQTT and substation PLCs over Modbus TCP, on a simulated clock."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.line = config.line or load_line()
        self._validate()
        self._timetable = self.line.timetable(config.timetable)
        maps = load_register_maps(config.maps_file)
        if config.register_map not in maps:
            raise ValueError(f"register map {config.register_map!r} not in {sorted(maps)}")
        self._register_map = maps[config.register_map]
        self._demand = Demand(self.line, config.daily_riders)
        self._address = parse_mqtt_url(config.broker_url)
        self._inject = _Injection(
            config.fault_rate_per_h,
            config.malformed_rate,
            config.seq_gap_rate,
            set(config.silenced_trains),
        )
        self._rng = random.Random(f"metro-emulator-run:{config.seed}")
        self._units = {
            t: OnboardUnit(self.line.id, t, random.Random(f"{config.seed}:{t}"))
            for t in self.line.fleet.trains
        }
        self._schedules: dict[date, DaySchedule] = {}
        self._links: dict[str, FieldLink] = {}
        self._afc: FieldLink | None = None
        self._substations: dict[str, SubstationSim] = {}
        self._stack: contextlib.AsyncExitStack | None = None
        self._clock: SimClock | None = None
        self._prev_ms: int | None = None
        self._next_flow_ms: int | None = None
        self.last_samples: dict[str, TrainSample] = {}
        self.ticks = 0

    def _validate(self) -> None:
        c = self.config
        if c.speed <= 0:
            raise ValueError("speed must be > 0")
        if not 0 < c.publish_hz <= 10:
            raise ValueError("publish_hz must be in (0, 10] (ICD: 1 Hz, up to 10 Hz)")
        for name in ("malformed_rate", "seq_gap_rate"):
            if not 0 <= getattr(c, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if c.fault_rate_per_h < 0:
            raise ValueError("fault_rate_per_h must be >= 0")
        self._check_trains(c.silenced_trains)
        self._check_substations(c.frozen_plcs | c.undervoltage)

    def _check_trains(self, trains: frozenset[str] | set[str]) -> None:
        unknown = set(trains) - set(self.line.fleet.trains)
        if unknown:
            raise ValueError(f"unknown train(s) {sorted(unknown)}; known: {self.line.fleet.trains}")

    def _check_substations(self, ids: frozenset[str] | set[str]) -> None:
        known = {s.id for s in self.line.substations}
        if set(ids) - known:
            raise ValueError(
                f"unknown substation(s) {sorted(set(ids) - known)}; known: {sorted(known)}"
            )

    # --- lifecycle ------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        c = self.config
        start = c.start or default_start()
        if start.tzinfo is None:
            start = start.replace(tzinfo=HANOI)
        self._stack = contextlib.AsyncExitStack()
        try:
            if c.modbus:
                for i, ss in enumerate(self.line.substations):
                    port = c.modbus_base_port + i if c.modbus_base_port else 0
                    sim = SubstationSim(
                        ss.id,
                        self._register_map,
                        c.modbus_host,
                        port,
                        unit_id=c.modbus_unit_id,
                        seed=c.seed * 1000 + i,
                        speed=c.speed,  # one clock for every emulated quantity
                    )
                    sim.freeze = ss.id in c.frozen_plcs
                    sim.undervoltage = ss.id in c.undervoltage
                    await self._stack.enter_async_context(sim)
                    self._substations[ss.id] = sim
        except BaseException:
            await self._stack.aclose()
            raise
        self.schedule(start.date())  # built before the clock starts: ~0.1 s of CPU
        self._clock = SimClock(start, c.speed)
        opts = LinkOptions(
            keepalive_s=c.keepalive_s,
            timeout_s=c.timeout_s,
            reconnect_min_s=c.reconnect_min_s,
            reconnect_max_s=c.reconnect_max_s,
            ca_file=c.ca_file,
        )
        for train, unit in self._units.items():
            self._links[train] = FieldLink(
                f"{c.client_id_prefix}{train}",
                self._address,
                opts,
                will=Outgoing(unit.status_topic, OFFLINE, qos=1, retain=True),
                birth=self._status_factory(unit, True),
                farewell=self._farewell_factory(unit),
            )
        self._afc = FieldLink(f"{c.client_id_prefix}afc", self._address, opts)
        return self

    def _status_factory(self, unit: OnboardUnit, online: bool) -> Callable[[], Outgoing]:
        return lambda: unit.status(self.now_ms(), online)

    def _farewell_factory(self, unit: OnboardUnit) -> Callable[[], Outgoing | None]:
        def farewell() -> Outgoing | None:
            # a silenced radio cannot say goodbye; a unit switched off cleanly does
            if unit.train in self._inject.silenced:
                return None
            return unit.status(self.now_ms(), False)

        return farewell

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
        self._substations.clear()

    async def run(self) -> None:
        """Publish and serve until cancelled (links stop cleanly with an offline status)."""
        if self._clock is None or self._afc is None:
            raise RuntimeError("use `async with Emulator(...)` before run()")
        async with asyncio.TaskGroup() as tg:
            for link in (*self._links.values(), self._afc):
                tg.create_task(link.run(), name=f"emulator-link-{link.client_id}")
            for ss_id, sim in self._substations.items():
                tg.create_task(sim.run(), name=f"emulator-plc-{ss_id}")
            tg.create_task(self._ticks(), name="emulator-ticks")

    async def _ticks(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1 / self.config.publish_hz
        next_t = loop.time()
        while True:
            self.tick()
            next_t += period
            if next_t < loop.time() - period:  # fell behind (a slow machine): do not burst
                next_t = loop.time()
            await asyncio.sleep(max(0.0, next_t - loop.time()))

    # --- public queries -------------------------------------------------------------------
    def now_ms(self) -> int:
        """The simulated instant, epoch ms (UTC)."""
        if self._clock is None:
            raise RuntimeError("the emulator has not started")
        return self._clock.now_ms()

    def sim_now(self) -> datetime:
        """The simulated instant as a local datetime."""
        return datetime.fromtimestamp(self.now_ms() / 1000, HANOI)

    def plan(self, d: date) -> DayPlan:
        return self.schedule(d).plan

    def schedule(self, d: date) -> DaySchedule:
        """The played-out day for a service date (built once, two dates kept)."""
        s = self._schedules.get(d)
        if s is None:
            c = self.config
            plan = plan_day(self.line, self._timetable, d)
            s = build_day(
                self.line, plan, self._demand, seed=c.seed, perturb=c.perturb, drivers=c.drivers
            )
            for old in sorted(self._schedules)[:-1]:
                del self._schedules[old]
            self._schedules[d] = s
        return s

    def devices(self) -> tuple[ModbusDevice, ...]:
        """The substations' Modbus device configs, so a poller can be pointed at them."""
        c = self.config
        by_id = {s.id: s for s in self.line.substations}
        return tuple(
            ModbusDevice(
                id=ss_id,
                name=by_id[ss_id].name,
                host=c.modbus_host,
                port=sim.port,
                unit_id=c.modbus_unit_id,
                map=c.register_map,
            )
            for ss_id, sim in self._substations.items()
        )

    def link(self, train: str) -> FieldLink:
        """A train's MQTT link (its counters: ``published``, ``dropped``, ``connects``)."""
        return self._links[train]

    # --- fault injection at run time --------------------------------------------------------
    def silence_train(self, train: str, silenced: bool = True) -> None:
        """Stop (or resume) a train's publishing; its connection and status stay as they are."""
        self._check_trains({train})
        (self._inject.silenced.add if silenced else self._inject.silenced.discard)(train)

    def freeze_plc(self, substation: str, frozen: bool = True) -> None:
        """A hung PLC: heartbeat and values stop changing."""
        self._substations[substation].freeze = frozen

    def silence_plc(self, substation: str, silent: bool = True) -> None:
        """A PLC that stops answering requests."""
        self._substations[substation].silent = silent

    def set_undervoltage(self, substation: str, on: bool = True) -> None:
        self._substations[substation].undervoltage = on

    def set_malformed_rate(self, rate: float) -> None:
        if not 0 <= rate <= 1:
            raise ValueError("malformed rate must be between 0 and 1")
        self._inject.malformed_rate = rate

    def set_seq_gap_rate(self, rate: float) -> None:
        if not 0 <= rate <= 1:
            raise ValueError("seq gap rate must be between 0 and 1")
        self._inject.seq_gap_rate = rate

    def set_fault_rate(self, per_h: float) -> None:
        if per_h < 0:
            raise ValueError("fault rate must be >= 0")
        self._inject.fault_rate_per_h = per_h

    # --- one tick -------------------------------------------------------------------------
    def tick(self) -> None:
        """Advance to the current simulated instant: publish, feed substations, flows."""
        now_ms = self.now_ms()
        prev_ms = self._prev_ms
        if prev_ms is not None and now_ms <= prev_ms:
            return
        day, t_s = local_day(now_ms)
        sched = self.schedule(day)
        inj = self._inject
        samples: dict[str, TrainSample] = {}
        for train, unit in self._units.items():
            sample = sched.trains[train].state_at(t_s)
            samples[train] = sample
            msgs = unit.tick(
                prev_ms,
                now_ms,
                sample,
                self._scheduled_events(train, prev_ms, now_ms),
                fault_rate_per_h=inj.fault_rate_per_h,
                gap_rate=inj.seq_gap_rate,
                malformed_rate=inj.malformed_rate,
            )
            if train not in inj.silenced:  # a dead radio: the unit counts on, nothing arrives
                link = self._links[train]
                for m in msgs:
                    link.offer(m)
        self.last_samples = samples
        currents = feeder_currents(self.line, samples.values())
        for ss_id, sim in self._substations.items():
            sim.set_traction_load(currents.get(ss_id, 0.0))
        self._flows(now_ms)
        self._prev_ms = now_ms
        self.ticks += 1

    def _scheduled_events(
        self, train: str, prev_ms: int | None, now_ms: int
    ) -> list[tuple[int, SimEvent]]:
        if prev_ms is None:
            return []
        out: list[tuple[int, SimEvent]] = []
        for d in sorted({local_day(prev_ms)[0], local_day(now_ms)[0]}):
            base = _midnight_ms(d)
            for ev in (
                self.schedule(d)
                .trains[train]
                .events_between((prev_ms - base) / 1000, (now_ms - base) / 1000)
            ):
                out.append((base + int(ev.t_s * 1000), ev))
        return out

    def _flows(self, now_ms: int) -> None:
        """Station gate counts for each whole flow period that ended by ``now_ms``."""
        if self._afc is None:
            return
        period_ms = self.config.flow_period_s * 1000
        if self._next_flow_ms is None:
            self._next_flow_ms = (now_ms // period_ms + 1) * period_ms
        n = 0
        while self._next_flow_ms <= now_ms and n < MAX_FLOW_PERIODS_PER_TICK:
            end = self._next_flow_ms
            _, t_mid = local_day(end - period_ms // 2)
            for i, st in enumerate(self.line.stations):
                entries_h, exits_h = self._demand.station_rates_per_h(t_mid, i)
                scale = self.config.flow_period_s / 3600
                body = {
                    "v": 1,
                    "ts": end,
                    "station": st.id,
                    "entries": _poisson(self._rng, entries_h * scale),
                    "exits": _poisson(self._rng, exits_h * scale),
                    "period_s": self.config.flow_period_s,
                }
                topic = topic_for(self.line.id, "flow", st.id)
                self._afc.offer(Outgoing(topic, orjson.dumps(body), qos=1))
            self._next_flow_ms += period_ms
            n += 1
        if self._next_flow_ms <= now_ms:  # skipped periods at extreme speeds: realign
            self._next_flow_ms = (now_ms // period_ms + 1) * period_ms
