"""The live line: trains, headways per track, schedule deviation, substations.

Everything here is derived from the message stream (so it can be rebuilt by replay). Field
time (``ts`` of the messages, which the emulator may run faster than real time) drives the
timetable comparisons; wall time drives staleness. What each condition raises on the alarm
book (key, priority, text) is :mod:`telemetry.alarm_rules`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from line import DayPlan, Direction, Line, LocationKind, nearest_departure, plan_day
from line.catalogue import Message
from line.clock import HANOI_UTC_OFFSET_S as _UTC_OFFSET_S
from telemetry.alarm_rules import LineAlarms, seq_ranges
from telemetry.alarms import Alarm, AlarmBook, AlarmState
from telemetry.config import RegisterMap, StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.registers import SubstationReading, violations
from telemetry.schemas import (
    Decoded,
    EventKind,
    StationFlow,
    TrainEvent,
    TrainStatus,
    TrainTelemetry,
)
from telemetry.sequence import SeqTracker, SeqVerdict
from telemetry.trips import TripLedger

IN_SERVICE_MODES = frozenset({"ATO", "ATP", "RM"})
_DIRECTIONS = {1: Direction.OUTBOUND, 2: Direction.INBOUND}
_RANGES_SHOWN = 5  # lost seq ranges named in one alarm message (the board has the last 20)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def local_service_time(ts_ms: int) -> tuple[date, float]:
    """Field timestamp → (service date, seconds after local midnight).

    Plain arithmetic rather than datetime: it runs once per telemetry message.
    """
    local_s = ts_ms / 1000 + _UTC_OFFSET_S
    day = int(local_s // 86400)
    return _day(day), local_s - day * 86400


@lru_cache(maxsize=64)
def _day(days_since_epoch: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + days_since_epoch)


@dataclass(frozen=True, slots=True)
class DriverVerdict:
    """Whether a driver logged on at a cab is cleared to drive, and why not (catalogue texts)."""

    cleared: bool
    reasons: tuple[Message, ...] = ()


# (driver id, train id, field ts ms) → verdict; None when the checker knows nothing of them
DriverCheck = Callable[[str, str, int], DriverVerdict | None]


@dataclass(slots=True)
class TrainView:
    train: str
    seq: SeqTracker
    online: bool | None = None
    ts_ms: int | None = None
    received_ms: int | None = None
    pos_m: float | None = None
    track: int | None = None
    speed_kmh: float = 0.0
    doors: str = "closed"
    load_pct: float = 0.0
    mode: str = "off"
    driver: str | None = None
    faults: tuple[str, ...] = ()
    station: str | None = None
    prev_station: str | None = None
    next_station: str | None = None
    deviation_s: float | None = None
    stale: bool = False
    event_seqs: set[int] = field(default_factory=set)
    birth_ts: int | None = None  # ts of the last birth: a retained one seen again is no restart
    lost_reported: int = 0  # seq.lost already counted and alarmed
    ranges_reported: int = 0  # seq.ranges_noted already named in an alarm
    loss_alarm: Alarm | None = None  # the seq-loss alarm, until acknowledged
    loss_unacked: int = 0  # messages lost since that alarm was last acknowledged
    loss_ranges: list[tuple[int, int]] = field(default_factory=list)  # …and their seq ranges

    @property
    def in_service(self) -> bool:
        return self.mode in IN_SERVICE_MODES and self.pos_m is not None and not self.stale


@dataclass(slots=True)
class SubstationView:
    id: str
    name: str
    map: RegisterMap
    ts_ms: int | None = None
    values: dict[str, float] = field(default_factory=dict)
    bits: dict[str, bool] = field(default_factory=dict)
    stale: bool = False
    stale_reason: str | None = None
    active_violations: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Headway:
    track: int
    leader: str
    follower: str
    headway_s: float
    status: str  # "ok" | "gap" | "bunching"


class LineState:
    """Applies decoded messages and Modbus readings; :meth:`tick` runs the time-based checks."""

    def __init__(
        self,
        line: Line,
        settings: StateSettings,
        alarms: AlarmBook,
        metrics: TelemetryMetrics,
        substations: dict[str, tuple[str, RegisterMap]] | None = None,
        *,
        seq_grace_ms: int = 3000,
        driver_check: DriverCheck | None = None,
    ) -> None:
        self.line = line
        self.settings = settings
        self.alarms = alarms
        self.alarm_rules = LineAlarms(alarms)
        self.metrics = metrics
        self._timetable = line.timetable(settings.timetable)
        self.trains: dict[str, TrainView] = {
            t: TrainView(t, SeqTracker(grace_ms=seq_grace_ms)) for t in line.fleet.trains
        }
        self.substations: dict[str, SubstationView] = {
            sid: SubstationView(sid, name, rmap)
            for sid, (name, rmap) in (substations or {}).items()
        }
        self.flows: dict[str, StationFlow] = {}
        self.driver_check = driver_check
        self.field_ts_ms: int | None = None  # newest field timestamp seen
        self.headways: list[Headway] = []
        self._stale_msgs = {k: metrics.stale_messages.labels(k) for k in ("telemetry", "event")}
        # a series per train from the start: 0 rather than "No data" on a dashboard
        self._seq_gaps = {t: metrics.seq_gaps.labels(t) for t in line.fleet.trains}
        self._plan = lru_cache(maxsize=4)(self._build_plan)
        self.trips = TripLedger()
        # a failed dependency (the broker) whose consequences are grouped under its own alarm:
        # per-train stale and message-loss alarms are withheld while it lasts (and a grace
        # after, until the gaps it caused have been accounted)
        self._cause: str | None = None
        self._seq_grace_ms = seq_grace_ms
        self.ticks = 0  # tick() calls so far (tests wait on it)
        self._cause_until_ms: int | None = None
        self.withheld: dict[str, Any] = self._no_withheld(None)
        self._departures: dict[tuple[date, Direction], list[int]] = {}

    # --- timetable ------------------------------------------------------------------------
    def _build_plan(self, d: date) -> DayPlan:
        return plan_day(self.line, self._timetable, d)

    def departures(self, ts_ms: int, d: Direction) -> tuple[list[int], float]:
        """Sorted planned departures of the service day of ``ts_ms``, and its local seconds."""
        day, t = local_service_time(ts_ms)
        deps = self._departures.get((day, d))
        if deps is None:
            if len(self._departures) > 16:
                self._departures.clear()
            deps = self._departures[(day, d)] = self._plan(day).departures(d)
        return deps, t

    def plan_for(self, ts_ms: int) -> tuple[DayPlan, float]:
        d, t = local_service_time(ts_ms)
        return self._plan(d), t

    def planned_headway_s(self, ts_ms: int) -> int | None:
        plan, t = self.plan_for(ts_ms)
        p = plan.period_at(t)
        return p.headway_s if p else None

    # --- messages -------------------------------------------------------------------------
    def apply(self, d: Decoded, received_ms: int) -> bool:
        """Apply a decoded message; False when it was a duplicate or older than known state."""
        msg = d.msg
        if isinstance(msg, TrainTelemetry):
            return self.apply_telemetry(msg, received_ms)
        if isinstance(msg, TrainEvent):
            return self.apply_event(msg, received_ms)
        if isinstance(msg, TrainStatus):
            return self.apply_status(d.entity, msg)
        if isinstance(msg, StationFlow):
            self.flows[msg.station] = msg
            return True
        return False  # pragma: no cover

    def apply_telemetry(self, m: TrainTelemetry, received_ms: int) -> bool:
        tv = self.trains[m.train]
        # order by seq alone: a unit's clock may be ahead, behind or set back (ICD), and a
        # timestamp older than the last one is no reason to ignore a newer message
        verdict = tv.seq.observe(m.seq, m.ts, received_ms)
        if verdict is SeqVerdict.RESET:
            tv.event_seqs.clear()
        elif verdict is not SeqVerdict.NEWER:
            self._stale_msgs["telemetry"].inc()
            return False
        if m.mode != tv.mode or tv.ts_ms is None:  # first message: restored alarms' flags
            self.alarm_rules.train_mode(m.train, m.mode)
        tv.ts_ms, tv.received_ms = m.ts, received_ms
        tv.pos_m, tv.track, tv.speed_kmh = m.pos_m, m.track, m.speed_kmh
        tv.doors, tv.load_pct, tv.mode = m.doors, m.load_pct, m.mode
        tv.faults = m.faults
        if m.driver != tv.driver:
            tv.driver = m.driver
            self._check_driver(tv, m.ts)
        if tv.online is None:
            tv.online = True
        direction = _DIRECTIONS[m.track]
        loc = self.line.locate(m.pos_m, direction)
        tv.station = loc.station
        tv.prev_station, tv.next_station = loc.prev_station, loc.next_station
        if loc.station != self.trips.last_station(m.train):  # cheap: only on a change
            plan, t = self.plan_for(m.ts)
            self.trips.observe(m.train, loc.station, direction, tv.in_service, plan, t)
        if m.mode == "depot" or loc.kind is LocationKind.DEPOT:
            tv.deviation_s = None
        elif loc.station not in (self.line.stations[0].id, self.line.stations[-1].id):
            tv.deviation_s = self._deviation(m.ts, m.pos_m, direction, loc.station is not None)
        if self.field_ts_ms is None or m.ts > self.field_ts_ms:
            self.field_ts_ms = m.ts
        if tv.stale:
            tv.stale = False
            self.alarm_rules.train_fresh(tv.train)
        return True

    def _deviation(self, ts_ms: int, pos_m: float, d: Direction, at_station: bool) -> float | None:
        """Seconds late (+) or early (−) against the nearest planned trip at this position.

        At a platform a train is on time anywhere between planned arrival and departure.
        """
        deps, t = self.departures(ts_ms, d)
        arr = self.line.elapsed_at(pos_m, d)
        dep_time = nearest_departure(deps, t - arr)
        if dep_time is None:
            return None
        since = t - dep_time
        if not at_station:
            return since - arr
        if since < arr:
            return since - arr
        departs = arr + self.line.dwell_s
        return max(0.0, since - departs)

    def apply_event(self, m: TrainEvent, received_ms: int) -> bool:
        tv = self.trains[m.train]
        verdict = tv.seq.observe(m.seq, m.ts, received_ms)
        if verdict is SeqVerdict.RESET:
            tv.event_seqs.clear()  # a new sequence: the old numbers come again
        if m.seq in tv.event_seqs:
            self._stale_msgs["event"].inc()
            return False
        tv.event_seqs.add(m.seq)
        if len(tv.event_seqs) > 1000:
            tv.event_seqs = set(sorted(tv.event_seqs)[-500:])
        newer = verdict in (SeqVerdict.NEWER, SeqVerdict.RESET)
        k = m.kind
        # the ICD makes ``code`` optional: a fault without one is still a fault — found by
        # fuzzing, it was a KeyError
        if k is EventKind.FAULT_RAISED:
            self.alarm_rules.fault_raised(m.train, m.code, m.severity, m.detail)
            if newer and m.code and m.code not in tv.faults:
                tv.faults = (*tv.faults, m.code)
        elif k is EventKind.FAULT_CLEARED:
            self.alarm_rules.fault_cleared(m.train, m.code)
            if newer:
                tv.faults = tuple(f for f in tv.faults if f != m.code)
        elif k in (EventKind.CAB_LOGON, EventKind.CAB_LOGOFF):
            driver = m.driver if k is EventKind.CAB_LOGON else None
            if newer and driver != tv.driver:
                tv.driver = driver
                self._check_driver(tv, m.ts)
        else:
            self.alarm_rules.one_shot(m.train, k, m.seq)
        return True

    def _check_driver(self, tv: TrainView, ts_ms: int) -> None:
        if tv.driver is None or self.driver_check is None:
            self.alarm_rules.driver_cleared(tv.train)
            return
        verdict = self.driver_check(tv.driver, tv.train, ts_ms)
        if verdict is None or verdict.cleared:
            self.alarm_rules.driver_cleared(tv.train)
            return
        self.alarm_rules.driver_not_cleared(tv.train, tv.driver, verdict.reasons)

    def recheck_drivers(self) -> None:
        """Re-check every logged-on driver (crew data changed: someone became F0, …)."""
        for tv in self.trains.values():
            if tv.driver is not None and tv.ts_ms is not None:
                self._check_driver(tv, tv.ts_ms)

    def apply_status(self, train: str, m: TrainStatus) -> bool:
        tv = self.trains[train]
        if m.online:
            # A birth starts a new sequence whatever its timestamp (a unit restarted with its
            # clock set back must not freeze). The retained birth comes again at every
            # re-subscribe: the same birth (same ts) is not a new restart.
            if m.ts is None or m.ts != tv.birth_ts:
                tv.seq.reset()
                tv.event_seqs.clear()
                tv.birth_ts = m.ts
        tv.online = m.online
        if m.online:
            self.alarm_rules.online(train)
        else:
            self.alarm_rules.offline(train, tv.mode in IN_SERVICE_MODES)
        return True

    # --- substations ----------------------------------------------------------------------
    def apply_substation(self, r: SubstationReading) -> None:
        sv = self.substations.get(r.device)
        if sv is None:
            return
        sv.ts_ms, sv.values, sv.bits = r.ts_ms, r.values, r.bits
        sv.active_violations = self.alarm_rules.substation_limits(
            r.device, sv.name, violations(sv.map, r), sv.active_violations
        )

    def substation_health(self, device: str, healthy: bool, reason: str) -> None:
        sv = self.substations.get(device)
        if sv is None:
            return
        sv.stale, sv.stale_reason = (not healthy), (None if healthy else reason)
        self.alarm_rules.substation_stale(device, sv.name, healthy, reason)

    def sync_from_alarms(self) -> None:
        """After restoring a saved alarm book: take up the conditions it says are present, so
        each clears through the usual path when the field says it is gone (a restored
        "no telemetry" alarm clears at the train's first message, a substation's limit alarm
        at its next reading within limits)."""
        for tv in self.trains.values():
            if self.alarms.is_active(f"train:{tv.train}:stale"):
                tv.stale = True
        for sv in self.substations.values():
            prefix = f"substation:{sv.id}:"
            sv.active_violations = {
                a.key
                for a in self.alarms.active(include_shelved=True)
                if a.active and a.key.startswith(prefix) and a.key != f"{prefix}stale"
            }

    def restore_trips(self, saved: dict[str, Any] | None) -> None:
        """Today's trips as saved before a restart (see :meth:`TripLedger.restore`)."""
        plan = None
        if saved is not None and saved.get("service_date"):
            plan = self._plan(date.fromisoformat(saved["service_date"]))
        self.trips.restore(saved, plan)

    # --- grouping under a failed dependency ----------------------------------------------
    def set_cause(self, name: str, now_ms: int) -> None:
        """``name`` (e.g. the broker) is down: its consequences are withheld, not alarmed."""
        if self._cause != name:
            self.withheld = self._no_withheld(name)
        self._cause, self._cause_until_ms = name, None

    @staticmethod
    def _no_withheld(cause: str | None) -> dict[str, Any]:
        # lost_by_train: train → [messages lost, their last few seq ranges]
        return {"cause": cause, "stale_trains": [], "seq_loss": 0, "lost_by_train": {}}

    def withheld_summary(self) -> Message:
        """The grouped consequences in one line (for the cause's alarm journal)."""
        w = self.withheld
        parts = []
        if w["stale_trains"]:
            trains = ", ".join(sorted(w["stale_trains"]))
            parts.append(Message("alarm.journal.no_telemetry", {"trains": trains}))
        for train, (n, ranges) in sorted(w["lost_by_train"].items()):
            shown = seq_ranges(ranges)
            parts.append(Message("alarm.train.seq_loss", {"train": train, "n": n, "ranges": shown}))
        if not parts:
            return Message("alarm.journal.nothing")
        return Message("alarm.detail.list", {"items": tuple(parts)})

    def end_cause(self, now_ms: int, grace_ms: int) -> bool:
        """The dependency is back; consequences stay grouped ``grace_ms`` more (gaps it caused
        are declared lost only after the seq grace period). True when the grouping ends now."""
        if self._cause is not None and self._cause_until_ms is None:
            # at least until the gaps the outage left are declared lost (seq grace, twice:
            # the first message after it may come a little after the reconnect)
            self._cause_until_ms = now_ms + max(grace_ms, 2 * self._seq_grace_ms)
        if self._cause_until_ms is not None and now_ms >= self._cause_until_ms:
            self._cause = self._cause_until_ms = None
            return True
        return False

    @property
    def cause(self) -> str | None:
        """The failed dependency whose consequences are grouped now, if any."""
        return self._cause

    def _withholding(self) -> bool:
        return self._cause is not None

    # --- time-based checks ----------------------------------------------------------------
    def tick(self, now_ms: int) -> None:
        """Staleness, seq-loss accounting, headways and their alarms; alarm shelve expiry."""
        self.ticks += 1
        stale_ms = self.settings.stale_after_s * 1000
        withhold = self._withholding()
        for tv in self.trains.values():
            tv.seq.expire(now_ms)
            # by difference: a gap too large to track is counted lost at once, in observe()
            lost = tv.seq.lost - tv.lost_reported
            if lost:
                self._seq_gaps[tv.train].inc(lost)
                if withhold:  # counted and named on the board, grouped under the cause
                    new = min(tv.seq.ranges_noted - tv.ranges_reported, len(tv.seq.lost_ranges))
                    ranges = tv.seq.lost_ranges[len(tv.seq.lost_ranges) - new :]
                    tv.lost_reported = tv.seq.lost
                    tv.ranges_reported = tv.seq.ranges_noted
                    self.withheld["seq_loss"] += lost
                    by_train = self.withheld["lost_by_train"].setdefault(tv.train, [0, []])
                    by_train[0] += lost
                    by_train[1] = (by_train[1] + [list(r) for r in ranges])[-_RANGES_SHOWN:]
                else:
                    self._seq_loss(tv, lost)
            if tv.received_ms is None:
                continue
            if not tv.stale and now_ms - tv.received_ms > stale_ms:
                tv.stale = True
            if not tv.stale:
                continue
            if withhold:
                if tv.train not in self.withheld["stale_trains"]:
                    self.withheld["stale_trains"].append(tv.train)
            else:
                # stale on its own (or still silent after the cause is gone): its own alarm
                age_s = (now_ms - tv.received_ms) / 1000
                self.alarm_rules.train_stale(tv.train, age_s, tv.mode in IN_SERVICE_MODES)
        self._driverless()
        self._headways()
        self.alarms.tick()
        self.metrics.alarms_active.set(len(self.alarms.active(include_shelved=True)))

    def _seq_loss(self, tv: TrainView, lost: int) -> None:
        """Messages of this train that never arrived: an alarm naming their seq ranges.

        Raised and returned at once (like an emergency brake), so it stays on the board until
        acknowledged. More loss before that re-annunciates the same alarm, which then names
        everything lost since the last acknowledgement (the last few ranges of it).
        """
        tv.lost_reported = tv.seq.lost
        new = min(tv.seq.ranges_noted - tv.ranges_reported, len(tv.seq.lost_ranges))
        tv.ranges_reported = tv.seq.ranges_noted
        if tv.loss_alarm is None or tv.loss_alarm.state is AlarmState.NORMAL:
            tv.loss_unacked, tv.loss_ranges = 0, []  # acknowledged: a new account
        tv.loss_unacked += lost
        tv.loss_ranges = (tv.loss_ranges + tv.seq.lost_ranges[len(tv.seq.lost_ranges) - new :])[
            -_RANGES_SHOWN - 1 :
        ]
        shown = seq_ranges(tv.loss_ranges[-_RANGES_SHOWN:])
        if len(tv.loss_ranges) > _RANGES_SHOWN:
            shown = "…, " + shown
        alarm = self.alarm_rules.seq_loss(tv.train, tv.loss_unacked, shown)
        if alarm is not None:
            tv.loss_alarm = alarm

    def _driverless(self) -> None:
        """A train in passenger service with nobody logged on at the active cab."""
        for tv in self.trains.values():
            self.alarm_rules.driverless(tv.train, tv.in_service and tv.driver is None)

    def _headways(self) -> None:
        if self.field_ts_ms is None:
            self.headways = []
            return
        planned = self.planned_headway_s(self.field_ts_ms)
        out: list[Headway] = []
        flagged: set[str] = set()
        for d in Direction:
            on_track = [
                tv
                for tv in self.trains.values()
                if tv.in_service and tv.track == int(d) and tv.pos_m is not None
            ]
            # order by progress along the direction; leader first
            prog = sorted(
                (
                    (self.line.elapsed_at(tv.pos_m, d), tv)
                    for tv in on_track
                    if tv.pos_m is not None
                ),
                key=lambda x: -x[0],
            )
            for (e_lead, lead), (e_fol, fol) in zip(prog, prog[1:], strict=False):
                h = e_lead - e_fol
                status = "ok"
                if planned:
                    if h > planned * self.settings.gap_factor:
                        status = "gap"
                    elif h < planned * self.settings.bunch_factor:
                        status = "bunching"
                out.append(Headway(int(d), lead.train, fol.train, round(h, 1), status))
                if status != "ok" and planned:
                    flagged.add(
                        self.alarm_rules.headway(int(d), lead.train, fol.train, status, h, planned)
                    )
        self.alarm_rules.headways_ok(list(self.trains), flagged)
        self.headways = out
