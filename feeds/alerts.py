"""Which control-room conditions passengers are told about, and in what words (vi, en: the
catalogue's ``feeds.alert.*`` texts).

Only present (active, unshelved) alarms of priority high or critical are considered, and only
those that change a passenger's journey. The control room's wording (codes, driver ids) is not
passed on: each alert is written for passengers.

* **A train stopped between stations**: a high or critical alarm on a train (a fault, the
  emergency brake, a passenger alarm, no driver, lost telemetry…) while that train stands
  still between two stations → ``SIGNIFICANT_DELAYS`` on the line, naming the two stations
  and the trip. A train that is moving or at a platform is the board's business, not the
  passengers'.
* **Service suspended on a section**: loss of traction power at a substation (its DC bus
  below limit, its main breaker open, or an earth fault — third rail, so trains cannot run on
  the section it feeds) → ``NO_SERVICE`` at the stations of that section. The section is the
  stretch nearer this substation than its neighbours (the line's feeding zones are not
  published: an estimate, stated here).
* **Reduced service**: trips cancelled for lack of crew (see :mod:`feeds.cancellations`) →
  ``REDUCED_SERVICE`` on the line for the span of the cancelled trips, with their number.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.transit import gtfs_realtime_pb2 as rt

from feeds.ids import direction_id, gtfs_date, gtfs_time, route_id
from feeds.live import AlarmSnapshot, LiveSnapshot, TripMatch, posix_s
from line import DayPlan, Line, Trip
from line.catalogue import Message, render

PASSENGER_PRIORITIES = (1, 2)  # telemetry.alarms.Priority CRITICAL, HIGH
# substation alarm keys ``substation:{id}:{point}:{kind}`` meaning traction power is lost
TRACTION_LOSS = (("dc_bus_voltage", "low"), ("main_breaker_closed", "bit"), ("earth_fault", "bit"))


def translated(out: rt.TranslatedString, msg: Message) -> None:
    """Fill a GTFS-RT translated string: Vietnamese first (the feed language), then English."""
    for lang in ("vi", "en"):
        t = out.translation.add()
        t.text = render(msg, lang)
        t.language = lang


def _cause(key: str) -> rt.Alert.Cause:
    if ":fault:" in key or key.endswith(":stale") or key.endswith(":offline"):
        return rt.Alert.TECHNICAL_PROBLEM
    if ":passenger_alarm:" in key:
        return rt.Alert.OTHER_CAUSE
    return rt.Alert.UNKNOWN_CAUSE


def _stopped_train(
    line: Line, snap: LiveSnapshot, matches: dict[str, TripMatch]
) -> list[tuple[str, rt.Alert]]:
    by_train: dict[str, list[AlarmSnapshot]] = {}
    for a in snap.alarms:
        if a.priority in PASSENGER_PRIORITIES and a.key.startswith(f"train:{a.source}:"):
            by_train.setdefault(a.source, []).append(a)
    out = []
    for v in sorted(snap.vehicles, key=lambda v: v.train):
        alarms = by_train.get(v.train)
        if not alarms or not v.between_stations or not v.stopped:
            continue
        first = min(alarms, key=lambda a: (a.raised_ms, a.id))  # the alarm that stopped it
        a_name = line.station(v.prev_station or "").name
        b_name = line.station(v.next_station or "").name
        towards = line.stations[-1 if v.track == 1 else 0].name
        alert = rt.Alert()
        alert.cause = _cause(first.key)
        alert.effect = rt.Alert.SIGNIFICANT_DELAYS
        alert.severity_level = rt.Alert.WARNING
        alert.active_period.add().start = first.raised_ms // 1000
        sel = alert.informed_entity.add()
        sel.route_id = route_id(line)
        sel.direction_id = direction_id(v.direction)
        m = matches.get(v.train)
        if m is not None:
            alert.informed_entity.add().trip.trip_id = m.trip_id
        where = {"a": a_name, "b": b_name, "towards": towards}
        translated(alert.header_text, Message("feeds.alert.train_stopped", where))
        translated(alert.description_text, Message("feeds.alert.train_stopped.detail", where))
        out.append((f"alarm-{first.id}", alert))
    return out


def feeding_section(line: Line, substation_id: str) -> list[str]:
    """Stations nearer this substation than its neighbours (at least the nearest one)."""
    subs = sorted(line.substations, key=lambda s: s.chainage_m)
    i = next(k for k, s in enumerate(subs) if s.id == substation_id)
    lo = (subs[i - 1].chainage_m + subs[i].chainage_m) / 2 if i > 0 else float("-inf")
    hi = (subs[i].chainage_m + subs[i + 1].chainage_m) / 2 if i + 1 < len(subs) else float("inf")
    inside = [s.id for s in line.stations if lo <= s.chainage_m <= hi]
    if inside:
        return inside
    nearest = min(line.stations, key=lambda s: abs(s.chainage_m - subs[i].chainage_m))
    return [nearest.id]


def _power_loss(line: Line, snap: LiveSnapshot) -> list[tuple[str, rt.Alert]]:
    known = {s.id for s in line.substations}
    first_by_sub: dict[str, AlarmSnapshot] = {}
    for a in snap.alarms:
        dev = a.device
        if (
            dev in known
            and dev is not None
            and tuple(a.kind.split(":")) in TRACTION_LOSS
            and a.priority in PASSENGER_PRIORITIES
        ):
            held = first_by_sub.get(dev)
            if held is None or (a.raised_ms, a.id) < (held.raised_ms, held.id):
                first_by_sub[dev] = a
    out = []
    for sub_id, a in sorted(first_by_sub.items()):
        stations = feeding_section(line, sub_id)
        names = [line.station(s).name for s in stations]
        if len(names) > 1:
            where = Message("feeds.alert.between", {"a": names[0], "b": names[-1]})
        else:
            where = Message("feeds.alert.at", {"a": names[0]})
        alert = rt.Alert()
        alert.cause = rt.Alert.TECHNICAL_PROBLEM
        alert.effect = rt.Alert.NO_SERVICE
        alert.severity_level = rt.Alert.SEVERE
        alert.active_period.add().start = a.raised_ms // 1000
        for sid in stations:
            sel = alert.informed_entity.add()
            sel.route_id = route_id(line)
            sel.stop_id = sid
        translated(alert.header_text, Message("feeds.alert.power_loss", {"where": where}))
        translated(
            alert.description_text, Message("feeds.alert.power_loss.detail", {"where": where})
        )
        out.append((f"alarm-{a.id}", alert))
    return out


def _reduced_service(
    line: Line, cancelled: Sequence[Trip], plan: DayPlan
) -> list[tuple[str, rt.Alert]]:
    if not cancelled:
        return []
    start = min(t.depart_s for t in cancelled)
    end = max(t.arrive_s for t in cancelled)
    alert = rt.Alert()
    alert.cause = rt.Alert.OTHER_CAUSE
    alert.effect = rt.Alert.REDUCED_SERVICE
    alert.severity_level = rt.Alert.WARNING
    period = alert.active_period.add()
    period.start = posix_s(plan.service_date, start)
    period.end = posix_s(plan.service_date, end)
    alert.informed_entity.add().route_id = route_id(line)
    n = len(cancelled)
    a, b = gtfs_time(start)[:5], gtfs_time(end)[:5]
    translated(alert.header_text, Message("feeds.alert.reduced", {"from": a, "to": b}))
    translated(alert.description_text, Message("feeds.alert.reduced.detail", {"n": n}))
    return [(f"reduced-service-{gtfs_date(plan.service_date)}", alert)]


def passenger_alerts(
    line: Line,
    snap: LiveSnapshot,
    matches: dict[str, TripMatch],
    cancelled: Sequence[Trip],
    plan: DayPlan,
) -> list[tuple[str, rt.Alert]]:
    """(entity id, alert) pairs; ids stay the same while the condition lasts."""
    return (
        _power_loss(line, snap)
        + _stopped_train(line, snap, matches)
        + _reduced_service(line, cancelled, plan)
    )
