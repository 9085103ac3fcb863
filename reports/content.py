"""Gathering a situation report's facts from the live state, the crew record and the what-ifs.

:func:`gather` asks each source in turn; a source that is missing (no live state when the
report is made offline) or fails (the coverage solver) leaves its section out with a
:class:`~reports.model.Gap`, and the rest of the report is still made. The pure functions
(:func:`service_facts`, :func:`crew_facts`, :func:`outlook_facts`, :func:`forecast_facts`)
take what they read as arguments, so tests hand them a state they built.

Windows: trips are judged by their *planned* departure in ``[since, at)``; alarms count when
they were annunciated (raised, or returned while unacknowledged) in it; crew changes compare
the record's state at ``since`` with the state at ``at`` (the record as it stands at ``at``:
a late entry back-dated into the window counts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

import structlog

from crew.coverage import SolverSettings
from crew.forecast import CrewOutlook
from crew.model import Roster, State
from crew.status import StatusHistory
from crew.store import CrewStore
from crew.store.outlook import capacity_rows, shift_summaries, stored_outlook
from line import Direction, Line
from line.clock import HANOI_ZONE
from reports.model import (
    AlarmFacts,
    AlarmLine,
    AlarmPerformanceFacts,
    Band,
    ConsoleRateFacts,
    CrewCounts,
    CrewFacts,
    DegradedPeriod,
    DirectionHeadway,
    ForecastFacts,
    Gap,
    HandoverFacts,
    HeadwayFacts,
    LevelLoss,
    LostTrip,
    OutlookDay,
    OutlookFacts,
    RegularityFacts,
    RegularityHour,
    ReportKind,
    ServiceFacts,
    ShortShift,
    SituationReport,
    TripFacts,
)
from simulation import WhatIfResult
from telemetry.alarm_performance import TEN_MIN_MS, alarm_performance
from telemetry.alarms import Alarm, AlarmBook, AlarmState, Priority
from telemetry.board import board_snapshot
from telemetry.marey import PathRecorder, PlannedPaths, build_day
from telemetry.regularity import HourRegularity
from telemetry.state import LineState
from telemetry.trips import TripLedger
from whatif.service import SimulationService
from whatif.store import RunRecord, RunStatus, RunStore

log = structlog.get_logger(__name__)

#: The latest finished what-if as of an instant (UTC ms): its record and result JSON.
ForecastReader = Callable[[int], Awaitable[tuple[RunRecord, str] | None]]
#: The latest shift handover signed at or before a moment (None: none yet); the running server
#: reads it from the shift log's handovers (``services.runtime``).
HandoverReader = Callable[[int], Awaitable[HandoverFacts | None]]

_ANNUNCIATIONS = frozenset({"raised", "reactivated"})
_UNFIT = {
    State.F0_ISOLATION: "f0",
    State.F1_QUARANTINE: "f1",
    State.SICK_OTHER: "sick",
    State.LEAVE: "leave",
}


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# --- service ---------------------------------------------------------------------------------
def trip_facts(ledger: TripLedger, *, since_ms: int, at_ms: int, tz: tzinfo) -> TripFacts:
    """Planned departures in ``[since_ms, at_ms)`` of the ledger's service day, judged."""
    day = ledger.service_date
    if day is None:
        return TripFacts(
            service_date=None, monitoring_since_ms=None, planned=0, run=0, lost=0, pending=0
        )
    midnight_ms = _ms(datetime.combine(day, time(), tz))
    now_s = (at_ms - midnight_ms) / 1000
    recs = [
        r for r in ledger.records(now_s) if since_ms <= midnight_ms + r.trip.depart_s * 1000 < at_ms
    ]
    lost = [r for r in recs if r.run_s is None and r.trip.depart_s + ledger.grace_s < now_s]
    run = sum(1 for r in recs if r.run_s is not None)
    since_s = ledger.summary(now_s).get("since_s")
    return TripFacts(
        service_date=day,
        monitoring_since_ms=midnight_ms + int(since_s) * 1000
        if isinstance(since_s, int | float)
        else None,
        planned=len(recs),
        run=run,
        lost=len(lost),
        pending=len(recs) - run - len(lost),
        lost_trips=tuple(
            LostTrip(
                trip_id=r.trip.id,
                direction=int(r.trip.direction),
                origin=r.trip.origin,
                depart_ms=midnight_ms + r.trip.depart_s * 1000,
            )
            for r in lost
        ),
    )


def _mean_gap(times: Iterable[float]) -> float | None:
    ts = sorted(times)
    return round((ts[-1] - ts[0]) / (len(ts) - 1), 1) if len(ts) > 1 else None


def headway_facts(state: LineState, *, since_ms: int, at_ms: int, tz: tzinfo) -> HeadwayFacts:
    """The headway in force and kept now (the board), and over the window (departures)."""
    kpis = board_snapshot(state, at_ms)["kpis"]
    ledger = state.trips
    by_dir: list[DirectionHeadway] = []
    if ledger.service_date is not None:
        midnight_ms = _ms(datetime.combine(ledger.service_date, time(), tz))
        recs = [
            r
            for r in ledger.records((at_ms - midnight_ms) / 1000)
            if since_ms <= midnight_ms + r.trip.depart_s * 1000 < at_ms
        ]
        for d in Direction:
            mine = [r for r in recs if r.trip.direction is d]
            ran = [r.run_s for r in mine if r.run_s is not None]
            by_dir.append(
                DirectionHeadway(
                    direction=int(d),
                    departures=len(ran),
                    planned_mean_s=_mean_gap(r.trip.depart_s for r in mine),
                    actual_mean_s=_mean_gap(ran),
                )
            )
    return HeadwayFacts(
        planned_s=kpis["planned_headway_s"],
        mean_now_s=dict(kpis["mean_headway_s"]),
        by_direction=tuple(by_dir),
    )


def _annunciated_in(a: Alarm, since_ms: int, at_ms: int) -> bool:
    return any(e.what in _ANNUNCIATIONS and since_ms <= e.ts_ms < at_ms for e in a.events) or (
        since_ms <= a.first_raised_ms < at_ms
    )


def _alarm_line(a: Alarm) -> AlarmLine:
    return AlarmLine(
        id=a.id,
        priority=a.priority.name.lower(),
        source=a.source,
        message=a.message,
        message_en=a.message_en,
        first_raised_ms=a.first_raised_ms,
        raised_ms=a.raised_ms,
        active=a.active,
        state=a.state.value,
        annunciations=a.annunciations,
    )


def alarm_facts(book: AlarmBook, *, since_ms: int, at_ms: int, top: int) -> AlarmFacts:
    """Alarms raised within the window by priority, those open now, and the top ones."""
    open_all = book.active(include_shelved=True)
    everything = {a.id: a for a in book.everything()}
    raised = [a for a in everything.values() if _annunciated_in(a, since_ms, at_ms)]
    shown = book.active()
    zero = {p.name.lower(): 0 for p in Priority}
    raised_by = dict(zero)
    for a in raised:
        raised_by[a.priority.name.lower()] += 1
    active_by = dict(zero)
    for a in shown:
        active_by[a.priority.name.lower()] += 1
    listed = {a.id: a for a in [*shown, *raised]}
    ranked = sorted(listed.values(), key=lambda a: (a.priority, not a.active, -a.raised_ms))
    return AlarmFacts(
        raised=len(raised),
        raised_by_priority=raised_by,
        active=len(shown),
        active_by_priority=active_by,
        unacked=sum(1 for a in open_all if a.state in (AlarmState.UNACK, AlarmState.RTN_UNACK)),
        shelved=sum(1 for a in open_all if a.state is AlarmState.SHELVED),
        flood=book.flood,
        top=tuple(_alarm_line(a) for a in ranked[:top]),
        performance=_performance(list(everything.values()), since_ms, at_ms, book.flood_per_10min),
    )


def _performance(
    alarms: list[Alarm], since_ms: int, at_ms: int, flood_per_10min: int
) -> AlarmPerformanceFacts | None:
    """ISA-18.2 figures over the window's whole 10-minute periods (None below 10 minutes)."""
    if at_ms - since_ms < TEN_MIN_MS:
        return None
    p = alarm_performance(
        alarms, now_ms=at_ms, window_ms=at_ms - since_ms, flood_per_10min=flood_per_10min
    )
    return AlarmPerformanceFacts(
        periods=p.periods,
        periods_in_flood=p.periods_in_flood,
        flood_pct=round(p.flood_pct, 2),
        consoles=tuple(
            ConsoleRateFacts(
                console=c.console,
                total=c.total,
                mean_per_10min=round(c.mean_per_10min, 2),
                max_per_10min=c.max_per_10min,
            )
            for c in p.consoles
        ),
        chattering=len(p.chattering),
        stale=len(p.stale),
        top10_share_pct=round(p.top10_share_pct, 1),
        bad_actors=tuple((b.text_vi, b.text_en, b.occurrences) for b in p.bad_actors[:3]),
    )


def _regularity_hour(h: HourRegularity) -> RegularityHour:
    return RegularityHour.model_validate(h, from_attributes=True)  # the same fields, by name


def regularity_facts(
    state: LineState,
    paths: PathRecorder,
    planned: PlannedPaths,
    *,
    since_ms: int,
    at_ms: int,
) -> RegularityFacts | None:
    """EWT, bunching and gaps of the service day of ``at_ms``: the day so far, and the hours
    that overlap the report's period. None when no departure has been recorded that day."""
    plan, now_s = state.plan_for(at_ms)
    recorded = paths.day(plan.service_date)
    if recorded is None or not recorded.departures:
        return None
    cfg = state.settings
    day = build_day(
        planned,
        plan,
        recorded,
        now_s,
        bunch_factor=cfg.bunch_factor,
        gap_factor=cfg.gap_factor,
        with_planned=False,
    )
    first_hour = int((now_s - (at_ms - since_ms) / 1000) // 3600)
    return RegularityFacts(
        service_date=plan.service_date,
        bunch_factor=cfg.bunch_factor,
        gap_factor=cfg.gap_factor,
        day=tuple(_regularity_hour(h) for d in (0, 1, 2) if (h := day.day.get(d)) is not None),
        hours=tuple(
            _regularity_hour(h)
            for h in day.hours.get(0, [])
            if first_hour <= h.hour <= int(now_s // 3600)
        ),
    )


def service_facts(
    state: LineState,
    *,
    since_ms: int,
    at_ms: int,
    tz: tzinfo,
    top_alarms: int = 10,
    paths: PathRecorder | None = None,
    planned: PlannedPaths | None = None,
) -> ServiceFacts:
    return ServiceFacts(
        trips=trip_facts(state.trips, since_ms=since_ms, at_ms=at_ms, tz=tz),
        headway=headway_facts(state, since_ms=since_ms, at_ms=at_ms, tz=tz),
        alarms=alarm_facts(state.alarms, since_ms=since_ms, at_ms=at_ms, top=top_alarms),
        regularity=regularity_facts(state, paths, planned, since_ms=since_ms, at_ms=at_ms)
        if paths is not None and planned is not None
        else None,
    )


# --- crew ------------------------------------------------------------------------------------
def crew_counts(roster: Roster, history: StatusHistory, at: datetime) -> CrewCounts:
    """Head counts by state at ``at`` (see :class:`~reports.model.CrewCounts`)."""
    return _counts(roster, history, at, [s.id for s in roster.staff])


def _counts(roster: Roster, history: StatusHistory, at: datetime, ids: list[str]) -> CrewCounts:
    n = {"f0": 0, "f1": 0, "sick": 0, "leave": 0}
    for sid in ids:
        key = _UNFIT.get(history.state_at(sid, at))
        if key is not None:
            n[key] += 1
    wanted = set(ids)
    on_site = {m for c in roster.cohorts if c.active_at(at) for m in c.members if m in wanted}
    return CrewCounts(
        staff=len(ids), on_site=len(on_site), available=len(ids) - sum(n.values()), **n
    )


def _new_cases(history: StatusHistory, state: State, since: datetime, at: datetime) -> int:
    return len(
        {e.staff_id for e in history.events if e.state is state and since <= e.effective < at}
    )


def crew_facts(
    roster: Roster, history: StatusHistory, revision: int, *, since_ms: int, at_ms: int
) -> CrewFacts:
    since, at = _at(since_ms), _at(at_ms)
    roles: dict[str, list[str]] = {}
    for s in roster.staff:
        roles.setdefault(s.role.value, []).append(s.id)
    return CrewFacts(
        revision=revision,
        now=crew_counts(roster, history, at),
        before=crew_counts(roster, history, since),
        new_f0=_new_cases(history, State.F0_ISOLATION, since, at),
        new_f1=_new_cases(history, State.F1_QUARANTINE, since, at),
        by_role={r: _counts(roster, history, at, ids) for r, ids in sorted(roles.items())},
    )


def outlook_facts(outlook: CrewOutlook) -> OutlookFacts:
    """Per day: staffable or not, the shifts short of people, the periods that cannot run
    their planned headway."""
    days = []
    for d in outlook.days:
        shifts = shift_summaries(d.coverage)
        short = tuple(
            ShortShift(
                shift_id=s.shift_id,
                start_ms=_ms(s.start),
                end_ms=_ms(s.end),
                required=s.required,
                assigned=s.assigned,
                missing=s.missing,
                essential_missing=s.essential_missing,
                missing_by_role=s.by_role(),
            )
            for s in shifts
            if s.missing
        )
        degraded = tuple(
            DegradedPeriod.model_validate(
                {k: row[k] for k in DegradedPeriod.model_fields if k in row}
            )
            for row in capacity_rows(d)
            if row["degraded"]
        )
        days.append(
            OutlookDay(
                service_date=d.service_date,
                staffable=d.coverage.staffable,
                required=sum(s.required for s in shifts),
                assigned=sum(s.assigned for s in shifts),
                missing=sum(s.missing for s in shifts),
                short_shifts=short,
                degraded=degraded,
            )
        )
    return OutlookFacts(
        days=tuple(days),
        first_unstaffable=outlook.first_unstaffable,
        first_degraded=outlook.first_degraded,
    )


# --- forecast --------------------------------------------------------------------------------
def _band(node: Any) -> Band:
    node = node if isinstance(node, dict) else {}
    return Band(p10=node.get("p10"), p50=node.get("p50"), p90=node.get("p90"))


def forecast_facts(record: RunRecord, result: WhatIfResult) -> ForecastFacts:
    """The headline of a finished what-if: cancellations, the worst day, levels lost."""
    s = result.summary
    total, worst = s.get("total", {}), s.get("min", {})
    lost = s.get("first_day_lost", {})
    return ForecastFacts(
        run_id=record.id,
        scenario=result.scenario,
        start_date=result.start_date,
        days=result.days_simulated,
        replications=result.replications,
        seed=result.seed,
        submitted_by=record.submitted_by,
        finished_ms=record.finished_ms or record.created_ms,
        trips_planned=_band(total.get("trips_planned")),
        trips_cancelled=_band(total.get("trips_cancelled")),
        min_trips_share=_band(worst.get("trips_share")),
        overtime_h=_band(total.get("overtime_h")),
        first_day_lost=tuple(
            LevelLoss(level=k, p50_day=v.get("p50"), share_lost=float(v.get("share_lost", 0.0)))
            for k, v in lost.items()
        ),
    )


def forecasts_from_service(svc: SimulationService, *, scan: int = 50) -> ForecastReader:
    """The latest finished what-if of a running simulation service."""

    async def latest(at_ms: int) -> tuple[RunRecord, str] | None:
        return await _latest([v.record for v in await svc.list(scan)], at_ms, svc.result_json)

    return latest


def forecasts_from_store(store: RunStore, *, scan: int = 50) -> ForecastReader:
    """The latest finished what-if read straight from the database (no service running)."""

    async def latest(at_ms: int) -> tuple[RunRecord, str] | None:
        return await _latest(await store.list(scan), at_ms, store.result)

    return latest


async def _latest(
    records: list[RunRecord], at_ms: int, result: Callable[[str], Awaitable[str | None]]
) -> tuple[RunRecord, str] | None:
    done = [
        r
        for r in records
        if r.status is RunStatus.DONE and r.finished_ms is not None and r.finished_ms <= at_ms
    ]
    for rec in sorted(done, key=lambda r: r.finished_ms or 0, reverse=True):
        text = await result(rec.id)
        if text is not None:
            return rec, text
    return None


# --- all of it -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sources:
    """Where the facts come from; ``None`` for a source this process does not have."""

    line: Line
    timetable: str
    tz: tzinfo
    timezone: str = HANOI_ZONE
    state: LineState | None = None
    crew: CrewStore | None = None
    forecast: ForecastReader | None = None
    solver: SolverSettings | None = None
    outlook_days: int = 3
    top_alarms: int = 10
    paths: PathRecorder | None = None  # the Marey recorder: departures for regularity
    planned_paths: PlannedPaths | None = None
    handover: HandoverReader | None = None  # the latest signed shift handover


_NO_HANDOVER_SOURCE = Gap(
    section="handover",
    vi="Không có dữ liệu bàn giao ca (báo cáo lập ngoài máy chủ vận hành).",
    en="No shift handovers (report made away from the running server).",
)


_NO_LIVE = Gap(
    section="service",
    vi="Không có dữ liệu vận hành trực tiếp (báo cáo lập ngoài máy chủ vận hành).",
    en="No live service data (report made away from the running server).",
)
_NO_CREW = Gap(section="crew", vi="Không có cơ sở dữ liệu nhân sự.", en="No crew database.")
_NO_FORECAST = Gap(
    section="forecast", vi="Chưa chạy dự báo giả định nào.", en="No forecast run yet."
)


def _failed(section: str, exc: Exception) -> Gap:
    return Gap(section=section, vi=f"Không lấy được dữ liệu: {exc}", en=f"Not available: {exc}")


async def gather(
    src: Sources, *, kind: ReportKind, at_ms: int, since_ms: int, slot_ms: int | None = None
) -> SituationReport:
    """Every section of the report for the window ``[since_ms, at_ms)``."""
    gaps: list[Gap] = []
    service = crew = outlook = forecast = None
    if src.state is None:
        gaps.append(_NO_LIVE)
    else:
        try:
            service = service_facts(
                src.state,
                since_ms=since_ms,
                at_ms=at_ms,
                tz=src.tz,
                top_alarms=src.top_alarms,
                paths=src.paths,
                planned=src.planned_paths,
            )
        except Exception as exc:  # a bug in one section must not lose the report
            log.exception("report: service facts failed")
            gaps.append(_failed("service", exc))
    if src.crew is None:
        gaps += [_NO_CREW, _NO_CREW.model_copy(update={"section": "outlook"})]
    else:
        try:
            snap = await src.crew.snapshot()
            crew = crew_facts(
                snap.roster, snap.history, snap.revision, since_ms=since_ms, at_ms=at_ms
            )
        except Exception as exc:
            log.exception("report: crew facts failed")
            gaps.append(_failed("crew", exc))
        try:
            outlook = outlook_facts(await _outlook(src, at_ms))
        except Exception as exc:
            log.exception("report: coverage outlook failed")
            gaps.append(_failed("outlook", exc))
    if src.forecast is None:
        gaps.append(_NO_FORECAST)
    else:
        try:
            found = await src.forecast(at_ms)
            if found is None:
                gaps.append(_NO_FORECAST)
            else:
                forecast = forecast_facts(found[0], WhatIfResult.from_json(found[1]))
        except Exception as exc:
            log.exception("report: forecast failed")
            gaps.append(_failed("forecast", exc))
    handover = None
    if src.handover is None:
        gaps.append(_NO_HANDOVER_SOURCE)
    else:
        try:
            handover = await src.handover(at_ms)  # None: none signed yet (not a gap)
        except Exception as exc:
            log.exception("report: latest handover failed")
            gaps.append(_failed("handover", exc))
    return SituationReport(
        line_id=src.line.id,
        line_name=src.line.name,
        line_name_en=src.line.name_en,
        timezone=src.timezone,
        kind=kind,
        slot_ms=slot_ms,
        at_ms=at_ms,
        since_ms=since_ms,
        service=service,
        crew=crew,
        outlook=outlook,
        forecast=forecast,
        handover=handover,
        gaps=tuple(gaps),
    )


async def _outlook(src: Sources, at_ms: int) -> CrewOutlook:
    assert src.crew is not None
    at = _at(at_ms)
    start: date = at.astimezone(src.tz).date()
    _snap, outlook = await stored_outlook(
        src.crew,
        [(src.line, src.line.timetable(src.timetable))],
        start=start,
        days=src.outlook_days,
        as_of=at,
        solver=src.solver,
    )
    return outlook
