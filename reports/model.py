"""What a situation report says, as one frozen pydantic model (stored as its JSON).

Facts only — numbers, ids, instants in UTC milliseconds, dates — no wording: the renderers
(:mod:`reports.layout`) say them in Vietnamese and English. A section that could not be
gathered is ``None`` and has a :class:`Gap` saying why, so a report is still produced when,
say, the coverage solver fails or no what-if has been run.
"""

from __future__ import annotations

import enum
from datetime import date

from pydantic import BaseModel, ConfigDict


class _M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReportKind(enum.StrEnum):
    SCHEDULED = "scheduled"  # produced by the scheduler for a slot (07:00, 11:00, 17:00)
    ON_DEMAND = "on_demand"  # asked for through the API
    OFFLINE = "offline"  # `metro-ops report` from the database alone: no live service facts


# --- service since the last report -----------------------------------------------------------
class LostTrip(_M):
    trip_id: str
    direction: int  # ICD track: 1 outbound, 2 inbound
    origin: str
    depart_ms: int  # planned departure


class DirectionHeadway(_M):
    """Departures from the origin terminal of one direction within the window."""

    direction: int
    departures: int  # trips actually run
    planned_mean_s: float | None  # mean interval between the planned departures
    actual_mean_s: float | None  # mean interval between the actual departures


class TripFacts(_M):
    """Trips planned to leave within the window, as the trip ledger judged them.

    The ledger keeps the current service day and judges only trips due after monitoring
    began (``monitoring_since_ms``), so a window reaching further back counts less.
    """

    service_date: date | None
    monitoring_since_ms: int | None
    planned: int  # planned departures in the window that the ledger judged
    run: int
    lost: int  # not run, and more than the grace period overdue
    pending: int  # not run yet, still within the grace period
    lost_trips: tuple[LostTrip, ...] = ()


class HeadwayFacts(_M):
    planned_s: int | None  # the timetable's headway in force at report time
    mean_now_s: dict[str, float | None]  # per track, from the live board at report time
    by_direction: tuple[DirectionHeadway, ...] = ()


class AlarmLine(_M):
    id: int
    priority: str  # critical, high, medium, low
    source: str
    message: str
    message_en: str
    first_raised_ms: int
    raised_ms: int
    active: bool
    state: str
    annunciations: int


class ConsoleRateFacts(_M):
    console: str  # traffic, power, crew, systems (telemetry.alarm_performance)
    total: int
    mean_per_10min: float
    max_per_10min: int


class AlarmPerformanceFacts(_M):
    """The alarm system's performance over the report's window (ISA-18.2 §16)."""

    periods: int  # whole 10-minute periods in the window
    periods_in_flood: int
    flood_pct: float
    consoles: tuple[ConsoleRateFacts, ...] = ()
    chattering: int = 0
    stale: int = 0
    top10_share_pct: float = 0.0
    bad_actors: tuple[tuple[str, str, int], ...] = ()  # (message vi, message en, occurrences)


class AlarmFacts(_M):
    raised: int  # alarms annunciated (new or returned) within the window
    raised_by_priority: dict[str, int]
    active: int  # open now and shown (not shelved)
    active_by_priority: dict[str, int]
    unacked: int
    shelved: int
    flood: bool
    top: tuple[AlarmLine, ...] = ()
    performance: AlarmPerformanceFacts | None = None  # None: reports made before it existed

    @property
    def incidents(self) -> int:
        """Critical and high-priority alarms raised in the window."""
        return self.raised_by_priority.get("critical", 0) + self.raised_by_priority.get("high", 0)


class RegularityHour(_M):
    """Headway regularity over one hour (``hour`` −1: the service day so far); ``direction``
    0 pools both tracks. See :mod:`telemetry.regularity` for the definitions and sources."""

    hour: int
    direction: int
    headways: int
    awt_s: float | None  # actual mean wait
    swt_s: float | None  # scheduled mean wait
    ewt_s: float | None  # excess waiting time, AWT − SWT
    bunching: int
    gaps: int


class RegularityFacts(_M):
    """Excess waiting time, bunching and gaps from the departures observed at the stations."""

    service_date: date
    bunch_factor: float
    gap_factor: float
    day: tuple[RegularityHour, ...] = ()  # the day so far: both tracks, then each
    hours: tuple[RegularityHour, ...] = ()  # both tracks, the hours of the report's period


class ServiceFacts(_M):
    trips: TripFacts
    headway: HeadwayFacts
    alarms: AlarmFacts
    regularity: RegularityFacts | None = None  # None: no departures recorded (or offline)


# --- crew ------------------------------------------------------------------------------------
class CrewCounts(_M):
    """Head counts at one instant. ``available`` is everyone fit for duty: not F0, F1, sick
    or on leave (on shift and resting count as available)."""

    staff: int
    f0: int
    f1: int
    sick: int
    leave: int
    on_site: int  # members of a 3-on-site cohort in force
    available: int


COUNT_FIELDS: tuple[str, ...] = ("f0", "f1", "sick", "leave", "on_site", "available", "staff")


class CrewFacts(_M):
    revision: int
    now: CrewCounts
    before: CrewCounts  # at the start of the window, as the record stands now
    new_f0: int  # people with an F0 isolation taking effect within the window
    new_f1: int
    by_role: dict[str, CrewCounts]  # driver, technician, occ_operator, ... now

    def change(self, name: str) -> int:
        """``now - before`` of one count (see :data:`COUNT_FIELDS`)."""
        return int(getattr(self.now, name)) - int(getattr(self.before, name))


# --- coverage outlook ------------------------------------------------------------------------
class ShortShift(_M):
    shift_id: str
    start_ms: int
    end_ms: int
    required: int
    assigned: int
    missing: int
    essential_missing: int
    missing_by_role: dict[str, int]


class DegradedPeriod(_M):
    period: str
    start: str  # HH:MM local
    end: str
    planned_headway_s: int
    headway_s: int | None  # what the crew can run; None: no service
    planned_trains: int
    trains: int
    drivers: int


class OutlookDay(_M):
    service_date: date
    staffable: bool
    required: int
    assigned: int
    missing: int
    short_shifts: tuple[ShortShift, ...] = ()
    degraded: tuple[DegradedPeriod, ...] = ()


class OutlookFacts(_M):
    days: tuple[OutlookDay, ...]
    first_unstaffable: date | None
    first_degraded: date | None


# --- the what-if forecast --------------------------------------------------------------------
class Band(_M):
    p10: float | None
    p50: float | None
    p90: float | None


class LevelLoss(_M):
    """When a service level is first lost: median day and share of replications losing it."""

    level: str
    p50_day: float | None
    share_lost: float


class ForecastFacts(_M):
    run_id: str
    scenario: str
    start_date: date
    days: int
    replications: int
    seed: int
    submitted_by: str
    finished_ms: int
    trips_planned: Band
    trips_cancelled: Band
    min_trips_share: Band  # the worst day's share of planned trips run
    overtime_h: Band
    first_day_lost: tuple[LevelLoss, ...]


# --- the report ------------------------------------------------------------------------------
class Gap(_M):
    """A section left out, and why (Vietnamese, English)."""

    section: str  # service, crew, outlook, forecast
    vi: str
    en: str


class HandoverItemLine(_M):
    """One item of a handover (see ``shiftlog.handover``)."""

    section: str  # alarms, shelved, trips, crew, log, incidents
    text: str
    text_en: str
    must_ack: bool
    acked_by: str | None = None


class HandoverFacts(_M):
    """The latest signed shift handover at report time."""

    shift_id: str
    shift_start_ms: int
    shift_end_ms: int
    state: str  # signed (awaiting acceptance) or accepted
    summary: str
    signed_by: str | None
    signed_ms: int | None
    accepted_by: str | None = None
    accepted_ms: int | None = None
    items: tuple[HandoverItemLine, ...] = ()


class SituationReport(_M):
    """One situation report: the window ``[since_ms, at_ms)`` and the facts gathered at
    ``at_ms``. ``slot_ms`` is the scheduled slot it answers (None on demand)."""

    version: int = 1
    line_id: str
    line_name: str
    line_name_en: str
    timezone: str
    kind: ReportKind
    slot_ms: int | None
    at_ms: int
    since_ms: int
    service: ServiceFacts | None = None
    crew: CrewFacts | None = None
    outlook: OutlookFacts | None = None
    forecast: ForecastFacts | None = None
    handover: HandoverFacts | None = None  # the latest signed shift handover
    gaps: tuple[Gap, ...] = ()

    def gap(self, section: str) -> Gap | None:
        return next((g for g in self.gaps if g.section == section), None)

    def summary(self) -> dict[str, object]:
        """The headline numbers (for the list, and the webhook)."""
        s, c, o, f = self.service, self.crew, self.outlook, self.forecast
        return {
            "trips_planned": s.trips.planned if s else None,
            "trips_run": s.trips.run if s else None,
            "trips_lost": s.trips.lost if s else None,
            "alarms_raised": s.alarms.raised if s else None,
            "alarms_active": s.alarms.active if s else None,
            "incidents": s.alarms.incidents if s else None,
            "f0": c.now.f0 if c else None,
            "f1": c.now.f1 if c else None,
            "on_site": c.now.on_site if c else None,
            "available": c.now.available if c else None,
            "first_unstaffable": o.first_unstaffable.isoformat()
            if o and o.first_unstaffable
            else None,
            "first_degraded": o.first_degraded.isoformat() if o and o.first_degraded else None,
            "forecast_scenario": f.scenario if f else None,
        }
