"""Composition root of the live side: builds every telemetry part from the settings and runs them.

One ``asyncio.TaskGroup`` owns the ingest, pollers, sinks and the state ticker; leaving
:func:`run_runtime` (cancellation) stops them all and flushes the sinks.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry

from accounts import AuditLog, SecurityStore
from accounts.identity import FirstResolver, PrincipalResolver, SessionResolver, TokenResolver
from crew import StaffingStandard
from crew.coverage import SolverSettings
from crew.store import CrewStore
from feeds.cancellations import CancelledTrips, CrewCancellations
from incidents import IncidentStore, TimelineBuilder
from incidents.export import IncidentPdf
from line import Line, load_line
from line.clock import Clock, wall_ms
from reports.content import HandoverReader, Sources, forecasts_from_service
from reports.render_pdf import find_fonts
from reports.service import ReportService
from services.alarm_actions import AlarmActions, AlarmActionStore
from services.crew_link import CrewLink, DriverClearance
from services.handover_draft import HandoverDrafter, open_incidents
from services.handover_report import latest_handover
from services.health import DbHealth, Dependency, HealthMonitor, Level
from services.incident_sources import (
    AlarmJournal,
    AuditTrail,
    CrewChanges,
    LostTrips,
    ShiftLogEntries,
)
from services.live import BoardHub, BoardHubMetrics
from services.live_board import live_board
from services.ops_record import OpsRecorder, OpsRecordStore
from services.replay import Replay, ReplaySources
from services.settings import Settings
from services.shiftlog_feed import AlarmFeed, CancellationFeed, CrewStatusFeed
from shiftlog import ShiftLog
from shiftlog.handovers import Handovers
from shiftlog.shifts import ShiftCalendar, ShiftSpec
from shiftlog.timetable import TimetableDecisions
from telemetry.alarm_journal import AlarmJournalRecorder, AlarmJournalStore
from telemetry.alarm_rules import DRIVER_ALARM_KINDS
from telemetry.alarms import Alarm, AlarmBook
from telemetry.clock import FieldClock
from telemetry.config import RegisterMap, load_register_maps
from telemetry.marey import PathRecorder, PlannedPaths
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
from whatif.outlook_gate import OutlookGate
from whatif.service import SimulationService
from whatif.sweeps import SweepService

log = structlog.get_logger(__name__)


class ConfigError(ValueError):
    """The settings cannot run: the message says what to set."""


@dataclass
class Runtime:
    settings: Settings
    line: Line
    registry: CollectorRegistry
    metrics: TelemetryMetrics
    alarms: AlarmBook
    alarm_actions: AlarmActions  # operators' actions on alarms: stored, shared by replicas
    state: LineState
    rejects: RejectLog
    pipeline: Pipeline
    sinks: list[Sink]
    history: HistoryReader
    ingest: MqttIngest | None
    pollers: list[ModbusPoller]
    crew: CrewStore  # opened and closed by run_runtime
    crew_link: CrewLink  # driver clearance at cab logon, next-shift coverage
    auth: PrincipalResolver  # bearer tokens: settings, then per-user API tokens
    sessions: SessionResolver  # browser session cookies
    session_peek: SessionResolver  # the websocket re-check's resolver
    security: SecurityStore  # users, sessions, sign-in; opened by run_runtime
    audit: AuditLog  # append-only audit log: `await rt.audit.record(...)`
    board_hub: BoardHub  # WS /ws/board: one tick, fanned out to every client
    cancellations: CancelledTrips  # trips the crew cannot run (GTFS-RT)
    simulations: SimulationService  # what-if runs; opened by run_runtime
    sweeps: SweepService  # sensitivity sweeps (in memory); opened by run_runtime
    reports: ReportService  # situation reports; opened by run_runtime
    outlooks: OutlookGate  # crew coverage/capacity: cached, bounded, rate-limited
    recorder: OpsRecorder  # today's record saved and restored; run_runtime
    db_health: DbHealth  # the database's state, probed; the API reports into it
    health: HealthMonitor  # every dependency: /healthz, the board, their alarms
    paths: PathRecorder  # the Marey graph's actual paths (fed by the pipeline); run_runtime
    planned_paths: PlannedPaths  # the Marey graph's planned paths, per day plan (cached)
    shift_log: ShiftLog  # the shift log; opened by run_runtime, fed by the alarm book
    shift_log_cancellations: CancellationFeed  # cancelled trips into the shift log
    shift_log_crew: CrewStatusFeed  # F0/F1 declared and cleared into the shift log
    incidents: IncidentStore  # stored incidents and their notes; opened by run_runtime
    timeline: TimelineBuilder  # an incident's timeline, from every source above
    incident_pdf: IncidentPdf  # the incident export as PDF (the reports' font)
    handovers: Handovers  # shift handovers (drafted from the live line); "not handed over"
    handover_drafter: HandoverDrafter  # what a handover's draft holds
    timetable: TimetableDecisions  # operators' degraded-timetable decisions (shift log db)
    alarm_journal: AlarmJournalRecorder  # every alarm change, durable, for replay; run_runtime
    replay: Replay  # a past moment of the line, from history only
    clock: Clock  # the one clock every part was built with (tests pass a fake one)
    started_ms: int  # by that clock
    tick_s: float = 0.5
    freeze_gc: bool = False  # a server process: see run_runtime


def report_sources(
    settings: Settings,
    line: Line,
    state: LineState,
    crew: CrewStore,
    simulations: SimulationService,
    *,
    paths: PathRecorder | None = None,
    planned_paths: PlannedPaths | None = None,
    handover: HandoverReader | None = None,
) -> Sources:
    """What a running server's situation reports read: its live state, crew store and what-ifs
    (and the Marey recorder's departures, for headway regularity)."""
    return Sources(
        line=line,
        timetable=settings.state.timetable,
        tz=settings.reports.tz,
        timezone=settings.reports.timezone,
        state=state,
        crew=crew,
        forecast=forecasts_from_service(simulations),
        solver=SolverSettings(time_limit_s=settings.crew.solver_time_limit_s),
        outlook_days=settings.reports.outlook_days,
        top_alarms=settings.reports.top_alarms,
        paths=paths,
        planned_paths=planned_paths,
        handover=handover,
    )


def control_room_shifts() -> ShiftCalendar:
    """The control-room (OCC) shifts operators hand over at, Hanoi time: the crew model's."""
    return ShiftCalendar([ShiftSpec(s.id, s.start, s.end) for s in StaffingStandard().occ_shifts])


def build_runtime(
    settings: Settings,
    *,
    clock: Clock = wall_ms,
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
    shift_log = ShiftLog(settings.db.url, clock=clock)

    def board_clock() -> int:
        # the board's now: the field's clock when the board follows one (demo, emulators)
        if settings.state.clock == "field" and state.field_ts_ms is not None:
            return state.field_ts_ms
        return clock()

    # replay's alarm history; stamped on the board's clock, as the trains' history is
    alarm_journal = AlarmJournalRecorder(
        AlarmJournalStore(settings.db.url),
        lambda: alarms.active(include_shelved=True),
        clock=board_clock,
    )
    alarms = AlarmBook(
        clock,
        flood_per_10min=settings.state.flood_per_10min,
        max_shelve_ms=int(settings.state.shelve_max_min * 60_000),
        max_shelve_high_ms=int(
            min(settings.state.shelve_max_min_high, settings.state.shelve_max_min) * 60_000
        ),
        # a driver not cleared matters before the train leaves the depot
        never_suppress=DRIVER_ALARM_KINDS,
        on_change=_each(
            AlarmFeed(shift_log, frozenset(line.fleet.trains)),  # P1/P2, shelves
            alarm_journal.on_change,
        ),
    )
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
    crew_policy = settings.crew.crew_policy()
    # the live state asks the crew record at each cab log-on; the crew link keeps it loaded
    clearance = DriverClearance(line, crew_policy, StaffingStandard())
    state = LineState(line, settings.state, alarms, metrics, devices, driver_check=clearance.check)
    rejects = RejectLog()
    embedded = EmbeddedStore(settings.history, metrics)
    sinks: list[Sink] = [embedded]
    if settings.influx.url:
        sinks.append(InfluxSink(settings.influx, metrics))
    decoder = Decoder(
        line.id, frozenset(line.fleet.trains), frozenset(line.station_ids), line.length_m
    )
    field_clock = FieldClock(settings.state, alarms, metrics, tuple(line.fleet.trains))
    # the Marey graph's recorder sees what the sinks see, but is no history store of its own
    # (not a /healthz dependency): it keeps today's paths and takes them up from history
    paths = PathRecorder(line, reader=embedded, clock=clock)
    planned_paths = PlannedPaths(line)
    pipeline = Pipeline(
        decoder, state, [*sinks, paths], metrics, rejects, clock, field_clock=field_clock
    )
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
        settings.db.url, policy=crew_policy, busy_timeout_s=settings.db.timeout_s
    )
    crew_link = CrewLink(crew_store, line, state, alarms, clearance, clock=clock)
    security = SecurityStore(settings.db.url, settings.auth, clock=clock)
    db_health = DbHealth(
        lambda: crew_store.engine if crew_store.is_open else None,
        clock,
        timeout_s=settings.db.timeout_s,
    )

    alarm_actions = AlarmActions(
        AlarmActionStore(settings.db.url), alarms, clock=clock, timeout_s=settings.db.timeout_s
    )

    def crew_link_health() -> list[Dependency]:
        err = crew_link.error
        actions_err = alarm_actions.error
        unreadable = crew_store.unreadable()
        return [
            Dependency("crew_link", Level.DEGRADED if err else Level.OK, err or ""),
            # rows the crew reads leave out (values that cannot be read back): someone's F0
            # may be missing from the clearance at logon, so the control room must know
            Dependency(
                "crew_record",
                Level.DEGRADED if unreadable else Level.OK,
                _unreadable_text(unreadable),
            ),
            # an action not yet stored or another replica's not yet read: this board may differ
            Dependency(
                "alarm_actions", Level.DEGRADED if actions_err else Level.OK, actions_err or ""
            ),
        ]

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
    simulations = SimulationService(
        settings.db.url, line, crew=crew_store, settings=settings.simulation
    )
    cancellations = CrewCancellations(
        crew_store, line, line.timetable(settings.state.timetable), clock=clock
    )
    timetable = TimetableDecisions(shift_log, clock=clock)
    incident_store = IncidentStore(settings.db.url, clock=clock)
    drafter = HandoverDrafter(
        alarms=alarms,
        state=state,
        cancellations=cancellations,
        crew_link=crew_link,
        log=shift_log.store,
        timetable=timetable,
        incidents=open_incidents(incident_store),
    )
    handovers = Handovers(shift_log, control_room_shifts(), drafter, clock=clock)
    reports = ReportService(
        settings.reports,
        settings.db.url,
        report_sources(
            settings,
            line,
            state,
            crew_store,
            simulations,
            paths=paths,
            planned_paths=planned_paths,
            handover=latest_handover(handovers),
        ),
        clock=clock,
    )
    return Runtime(
        settings,
        line,
        registry,
        metrics,
        alarms,
        alarm_actions,
        state,
        rejects,
        pipeline,
        sinks,
        embedded,
        ingest,
        pollers,
        crew=crew_store,
        crew_link=crew_link,
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
        cancellations=cancellations,
        simulations=simulations,
        sweeps=SweepService(line, dask_address=settings.simulation.dask_address, clock=clock),
        reports=reports,
        outlooks=OutlookGate(
            cache_s=settings.crew.outlook_cache_s,
            days_per_minute=settings.crew.outlook_days_per_minute,
            concurrent=settings.crew.outlook_concurrent,
        ),
        recorder=OpsRecorder(
            OpsRecordStore(settings.db.url), state, alarms, clock=clock, sync=alarm_actions
        ),
        db_health=db_health,
        health=health,
        paths=paths,
        planned_paths=planned_paths,
        shift_log=shift_log,
        shift_log_cancellations=CancellationFeed(shift_log, cancellations, clock=clock),
        shift_log_crew=CrewStatusFeed(shift_log, crew_store, clock=clock),
        incidents=incident_store,
        timeline=TimelineBuilder(
            [
                AlarmJournal(alarms),
                AuditTrail(security.audit, alarms),
                CrewChanges(crew_store),
                LostTrips(state, line),
                ShiftLogEntries(shift_log.store),
            ]
        ),
        incident_pdf=IncidentPdf(lambda: find_fonts(settings.reports.font_file)),
        handovers=handovers,
        handover_drafter=drafter,
        timetable=timetable,
        alarm_journal=alarm_journal,
        replay=Replay(
            ReplaySources(
                line=line,
                history=embedded,
                journal=alarm_journal.store,
                crew=crew_store,
                shift_log=shift_log,
                stale_after_ms=int(settings.state.stale_after_s * 1000),
                retention_ms=int(settings.history.retention_h * 3_600_000),
            )
        ),
        clock=clock,
        started_ms=clock(),
    )


def _unreadable_text(rows: list[str]) -> str:
    """The crew rows left out of reads, as one bounded line for /healthz and the alarm."""
    if not rows:
        return ""
    shown = "; ".join(rows[:3]) + (f"; +{len(rows) - 3} more" if len(rows) > 3 else "")
    return f"{len(rows)} stored crew record(s) cannot be read, left out: {shown}"


def _each(*callbacks: Callable[[Alarm], None]) -> Callable[[Alarm], None]:
    """One ``on_change`` calling every subscriber; one failing does not starve the next."""

    def call(alarm: Alarm) -> None:
        for cb in callbacks:
            try:
                cb(alarm)
            except Exception:
                log.exception("alarm subscriber failed", alarm_id=alarm.id)

    return call


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
        # each opens (and migrates) its tables; the recorder brings today's alarms and trips
        # back before anything can raise an alarm
        for part in (rt.crew, rt.security, rt.simulations, rt.sweeps, rt.reports, rt.outlooks):
            await stack.enter_async_context(part)
        await stack.enter_async_context(rt.shift_log)
        await stack.enter_async_context(rt.incidents)
        await stack.enter_async_context(rt.recorder)
        # after the recorder: the book and its cursor are back, the actions since are applied
        await stack.enter_async_context(rt.alarm_actions)
        # then the first keyframe is the alarm book as restored
        await stack.enter_async_context(rt.alarm_journal)
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
            tg.create_task(rt.paths.run(), name="marey-paths")
            tg.create_task(rt.board_hub.run(), name="board-hub")
            tg.create_task(rt.crew_link.run(), name="crew-link")
            tg.create_task(rt.simulations.run(), name="simulations")
            # failed sign-in summaries for the audit log
            tg.create_task(rt.security.housekeeping(), name="security-housekeeping")
            tg.create_task(rt.sweeps.run(), name="sweeps")
            tg.create_task(rt.recorder.run(), name="ops-recorder")
            tg.create_task(rt.alarm_journal.run(), name="alarm-journal")
            tg.create_task(rt.alarm_actions.run(), name="alarm-actions")
            tg.create_task(rt.db_health.run(), name="db-probe")
            tg.create_task(rt.health.run(), name="health")
            tg.create_task(rt.reports.run(), name="reports")  # 07:00/11:00/17:00, webhook
            tg.create_task(rt.shift_log.run(), name="shift-log")  # the system's entries
            tg.create_task(rt.shift_log_cancellations.run(), name="shift-log-cancellations")
            tg.create_task(rt.shift_log_crew.run(), name="shift-log-crew")
            tg.create_task(rt.handovers.run(), name="handovers")  # "not handed over"
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
