"""Composition root of the live side: builds every telemetry part from the settings and runs them.

One ``asyncio.TaskGroup`` owns the ingest, pollers, sinks and the state ticker; leaving
:func:`run_runtime` (cancellation) stops them all and flushes the sinks.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from prometheus_client import CollectorRegistry

from api.auth import FirstResolver, PrincipalResolver, SessionResolver, TokenResolver
from api.crew_link import CrewLink
from api.gtfs.cancellations import CancelledTrips, CrewCancellations
from api.health import DbHealth, Dependency, HealthMonitor, Level
from api.live import BoardHub, BoardHubMetrics
from api.live_board import live_board
from api.ops_record import OpsRecorder, OpsRecordStore
from api.outlook_gate import OutlookGate
from api.reports.service import ReportService, build_reports
from api.security import AuditLog, SecurityStore
from api.settings import Settings
from api.simulations import SimulationService
from api.sweeps import SweepService
from crew.store import CrewStore
from line import Line, load_line
from telemetry.alarms import AlarmBook
from telemetry.clock import FieldClock
from telemetry.config import RegisterMap, load_register_maps
from telemetry.metrics import TelemetryMetrics
from telemetry.modbus import ModbusPoller
from telemetry.mqtt import MqttIngest
from telemetry.pipeline import Pipeline
from telemetry.rejects import RejectLog
from telemetry.schemas import Decoder
from telemetry.sinks.base import HistoryReader, Sink
from telemetry.sinks.embedded import EmbeddedStore
from telemetry.sinks.influx import InfluxSink
from telemetry.state import LineState

log = structlog.get_logger(__name__)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class ConfigError(ValueError):
    """The settings cannot run: the message says what to set."""


@dataclass
class Runtime:
    settings: Settings
    line: Line
    registry: CollectorRegistry
    metrics: TelemetryMetrics
    alarms: AlarmBook
    state: LineState
    rejects: RejectLog
    pipeline: Pipeline
    sinks: list[Sink]
    history: HistoryReader
    ingest: MqttIngest | None
    pollers: list[ModbusPoller]
    clock: Callable[[], int] = wall_ms
    started_ms: int = field(default_factory=wall_ms)
    tick_s: float = 0.5
    crew: CrewStore | None = None  # opened and closed by run_runtime
    crew_link: CrewLink | None = None  # driver clearance at cab logon, next-shift coverage
    auth: PrincipalResolver | None = None  # bearer tokens: settings, then per-user API tokens
    sessions: SessionResolver | None = None  # browser session cookies
    session_peek: SessionResolver | None = None  # the websocket re-check's resolver
    security: SecurityStore | None = None  # users, sessions, sign-in; opened by run_runtime
    audit: AuditLog | None = None  # append-only audit log: `await rt.audit.record(...)`
    board_hub: BoardHub | None = None  # WS /ws/board: one tick, fanned out to every client
    freeze_gc: bool = False  # a server process: see run_runtime
    cancellations: CancelledTrips | None = None  # trips the crew cannot run (GTFS-RT)
    simulations: SimulationService | None = None  # what-if runs; opened by run_runtime
    sweeps: SweepService | None = None  # sensitivity sweeps (in memory); opened by run_runtime
    reports: ReportService | None = None  # situation reports; opened by run_runtime
    outlooks: OutlookGate | None = None  # crew coverage/capacity: cached, bounded, rate-limited
    recorder: OpsRecorder | None = None  # today's record saved and restored; run_runtime
    db_health: DbHealth | None = None  # the database's state, probed; the API reports into it
    health: HealthMonitor | None = None  # every dependency: /healthz, the board, their alarms


def build_runtime(
    settings: Settings,
    *,
    clock: Callable[[], int] = wall_ms,
    require_broker: bool = True,
) -> Runtime:
    """Build (but do not start) the live side. Raises :class:`ConfigError` on unusable settings."""
    if require_broker and settings.mqtt.url is None:
        raise ConfigError(
            "no MQTT broker configured: set METRO_MQTT_URL=mqtt://host:port "
            "(mqtts:// for TLS, mqtt://user:pass@host:port for credentials), "
            "or run `metro-ops demo` for the embedded broker and field emulator"
        )
    line = load_line(settings.line.file)
    registry = CollectorRegistry()
    metrics = TelemetryMetrics(registry)
    alarms = AlarmBook(clock, flood_per_10min=settings.state.flood_per_10min)
    maps = load_register_maps(settings.modbus.maps_file)
    sub_names = {s.id: s.name for s in line.substations}
    devices: dict[str, tuple[str, RegisterMap]] = {}
    for dev in settings.modbus.devices:
        if dev.map not in maps:
            raise ConfigError(
                f"Modbus device {dev.id}: unknown register map {dev.map!r} "
                f"(known: {', '.join(sorted(maps))})"
            )
        devices[dev.id] = (dev.name or sub_names.get(dev.id, dev.id), maps[dev.map])
    state = LineState(line, settings.state, alarms, metrics, devices)
    rejects = RejectLog()
    embedded = EmbeddedStore(settings.history, metrics)
    sinks: list[Sink] = [embedded]
    if settings.influx.url:
        sinks.append(InfluxSink(settings.influx, metrics))
    decoder = Decoder(
        line.id, frozenset(line.fleet.trains), frozenset(line.station_ids), line.length_m
    )
    field_clock = FieldClock(settings.state, alarms, metrics, tuple(line.fleet.trains))
    pipeline = Pipeline(decoder, state, sinks, metrics, rejects, clock, field_clock=field_clock)
    ingest = MqttIngest(settings.mqtt, pipeline.on_mqtt, metrics) if settings.mqtt.url else None
    pollers = [
        ModbusPoller(
            dev,
            maps[dev.map],
            settings.modbus,
            pipeline.on_substation,
            lambda d, h, r: pipeline.on_device_health(d, str(h), r),
            metrics,
            clock=clock,
        )
        for dev in settings.modbus.devices
    ]
    crew_store = CrewStore(
        settings.db.url, policy=settings.crew.crew_policy(), busy_timeout_s=settings.db.timeout_s
    )
    crew_link = CrewLink(crew_store, line, state, alarms, clock=clock)
    state.driver_check = crew_link.check
    security = SecurityStore(settings.db.url, settings.auth, clock=clock)
    db_health = DbHealth(
        lambda: crew_store.engine if crew_store.is_open else None,
        clock,
        timeout_s=settings.db.timeout_s,
    )

    def crew_link_health() -> list[Dependency]:
        err = crew_link.error
        return [Dependency("crew_link", Level.DEGRADED if err else Level.OK, err or "")]

    health = HealthMonitor(
        state=state,
        alarms=alarms,
        clock=clock,
        ingest=ingest,
        db=db_health,
        sinks=sinks,
        extra=crew_link_health,
        outage_grace_s=settings.state.outage_grace_s,
        # the broker's alarm (and the grouping under it) must come before any train goes stale
        debounce_s=min(2.0, settings.state.stale_after_s / 2),
    )
    rt = Runtime(
        settings,
        line,
        registry,
        metrics,
        alarms,
        state,
        rejects,
        pipeline,
        sinks,
        embedded,
        ingest,
        pollers,
        clock,
        crew=crew_store,
        crew_link=crew_link,
        simulations=SimulationService(
            settings.db.url, line, crew=crew_store, settings=settings.simulation
        ),
        sweeps=SweepService(line, dask_address=settings.simulation.dask_address),
        cancellations=CrewCancellations(
            crew_store, line, line.timetable(settings.state.timetable), clock=clock
        ),
        auth=FirstResolver(TokenResolver(settings.auth.tokens), security.bearer),
        sessions=security.session,
        # an open board keeps a control-room display signed in unless configured otherwise
        session_peek=security.session
        if settings.auth.board_keeps_session
        else security.session_peek,
        security=security,
        audit=security.audit,
        board_hub=BoardHub(
            lambda now_ms: live_board(state, crew_link, now_ms, health),
            settings.ws,
            BoardHubMetrics(registry),
            clock,
        ),
    )
    rt.outlooks = OutlookGate(
        cache_s=settings.crew.outlook_cache_s,
        days_per_minute=settings.crew.outlook_days_per_minute,
        concurrent=settings.crew.outlook_concurrent,
    )
    rt.reports = build_reports(rt)  # reads the live state, crew and what-ifs above
    rt.db_health, rt.health = db_health, health
    rt.recorder = OpsRecorder(OpsRecordStore(settings.db.url), state, alarms, clock=clock)
    return rt


async def _ticker(rt: Runtime) -> None:
    while True:
        await asyncio.sleep(rt.tick_s)
        try:
            rt.state.tick(rt.clock())
        except Exception:  # a bug in one check must not stop the board
            log.exception("state tick failed")


async def run_runtime(rt: Runtime, ready: asyncio.Event | None = None) -> None:
    """Run every part until cancelled; sinks are flushed on the way out."""
    async with contextlib.AsyncExitStack() as stack:
        if rt.crew is not None:
            await stack.enter_async_context(rt.crew)  # migrates the database to the latest
        if rt.security is not None:
            await stack.enter_async_context(rt.security)  # and the security tables
        if rt.simulations is not None:
            await stack.enter_async_context(rt.simulations)  # and the simulation runs table
        if rt.sweeps is not None:
            await stack.enter_async_context(rt.sweeps)
        if rt.reports is not None:
            await stack.enter_async_context(rt.reports)  # and the situation reports table
        if rt.outlooks is not None:
            await stack.enter_async_context(rt.outlooks)  # its solver processes stop with us
        if rt.recorder is not None:
            # today's alarms and trips back before anything can raise an alarm
            await stack.enter_async_context(rt.recorder)
        for s in rt.sinks:
            await stack.enter_async_context(s)
        if rt.ingest is not None:
            await stack.enter_async_context(rt.ingest)
        for p in rt.pollers:
            await stack.enter_async_context(p)
        async with asyncio.TaskGroup() as tg:
            for s in rt.sinks:
                tg.create_task(s.run(), name=f"sink:{s.name}")
            if rt.ingest is not None:
                tg.create_task(rt.ingest.run(), name="mqtt-ingest")
            for p in rt.pollers:
                tg.create_task(p.run(), name="modbus-poller")
            tg.create_task(_ticker(rt), name="state-ticker")
            if rt.board_hub is not None:
                tg.create_task(rt.board_hub.run(), name="board-hub")
            if rt.crew_link is not None:
                tg.create_task(rt.crew_link.run(), name="crew-link")
            if rt.simulations is not None:
                tg.create_task(rt.simulations.run(), name="simulations")
            if rt.security is not None:  # failed sign-in summaries for the audit log
                tg.create_task(rt.security.housekeeping(), name="security-housekeeping")
            if rt.sweeps is not None:
                tg.create_task(rt.sweeps.run(), name="sweeps")
            if rt.recorder is not None:
                tg.create_task(rt.recorder.run(), name="ops-recorder")
            if rt.db_health is not None:
                tg.create_task(rt.db_health.run(), name="db-probe")
            if rt.health is not None:
                tg.create_task(rt.health.run(), name="health")
            if rt.reports is not None:
                tg.create_task(rt.reports.run(), name="reports")  # 07:00/11:00/17:00, webhook
            if isinstance(rt.cancellations, CrewCancellations):
                tg.create_task(rt.cancellations.run(), name="crew-cancellations")
            log.info(
                "live side started",
                broker=rt.settings.mqtt.url,
                modbus_devices=len(rt.pollers),
                sinks=[s.name for s in rt.sinks],
            )
            if rt.freeze_gc:
                # everything built so far lives as long as the process: taking it out of the
                # collector's view turns 150–250 ms full collections (which stall every board
                # frame and the ingest) into a few ms (bench/board.py)
                gc.collect()
                gc.freeze()
            if ready is not None:
                ready.set()
