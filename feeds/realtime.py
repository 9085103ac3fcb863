"""GTFS-Realtime feeds (https://gtfs.org/realtime/reference/) built with the standard bindings.

Three pure builders over a :class:`FeedContext` (line, timetable, the service day's plan and its
cancelled trips) and a :class:`~feeds.live.LiveSnapshot`:

* :func:`vehicle_positions` — every train in passenger service: position (interpolated between
  the stations' coordinates), heading, speed, occupancy, the stop it is at or heading to, and
  the trip it runs (ids of the static feed);
* :func:`trip_updates` — the delay of every running trip at its next stop, and every cancelled
  trip of the day not yet over (``CANCELED``);
* :func:`service_alerts` — passenger-facing alerts in Vietnamese and English
  (:mod:`feeds.alerts`).

Each returns a ``FeedMessage`` (full dataset); :func:`as_json` is its debugging form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]  # no stubs shipped
from google.transit import gtfs_realtime_pb2 as rt

from feeds.alerts import passenger_alerts
from feeds.geo import bearing_deg, position_at
from feeds.ids import (
    direction_id,
    gtfs_date,
    gtfs_time,
    gtfs_trip_id,
    route_id,
    service_id_for,
)
from feeds.live import LiveSnapshot, TripMatch, match_trips, stop_sequences
from line import DayPlan, Line, Timetable, Trip
from telemetry.state import local_service_time

_VP = rt.VehiclePosition


@dataclass(frozen=True, slots=True)
class FeedContext:
    """The timetable side of the feed: the plan of the service day in progress."""

    line: Line
    timetable: Timetable
    plan: DayPlan
    cancelled: frozenset[str]  # GTFS trip ids of ``plan`` that will not run


def _message(now_ms: int) -> rt.FeedMessage:
    msg = rt.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.incrementality = rt.FeedHeader.FULL_DATASET
    msg.header.timestamp = now_ms // 1000
    return msg


def _trip_descriptor(
    ctx: FeedContext, trip: Trip, trip_id: str, out: rt.TripDescriptor
) -> rt.TripDescriptor:
    out.trip_id = trip_id
    out.route_id = route_id(ctx.line)
    out.direction_id = direction_id(trip.direction)
    out.start_date = gtfs_date(ctx.plan.service_date)
    out.start_time = gtfs_time(trip.depart_s)
    return out


def occupancy(line: Line, load_pct: float) -> _VP.OccupancyStatus:
    """ICD ``load_pct`` (100 = normal load) → GTFS-RT occupancy, from the fleet's seats and
    crush capacity (seats are about 24 % of normal load on Line 2A)."""
    fleet = line.fleet
    seats_pct = 100.0 * fleet.seats_per_train / fleet.capacity_normal
    crush_pct = 100.0 * fleet.capacity_crush / fleet.capacity_normal
    if load_pct < 5:
        return _VP.EMPTY
    if load_pct < 0.8 * seats_pct:
        return _VP.MANY_SEATS_AVAILABLE
    if load_pct < seats_pct:
        return _VP.FEW_SEATS_AVAILABLE
    if load_pct < 100:
        return _VP.STANDING_ROOM_ONLY
    if load_pct < crush_pct:
        return _VP.CRUSHED_STANDING_ROOM_ONLY
    return _VP.FULL


def _matches(ctx: FeedContext, snap: LiveSnapshot) -> dict[str, TripMatch]:
    return match_trips(ctx.line, ctx.timetable, ctx.plan, snap.vehicles, set(ctx.cancelled))


def vehicle_positions(ctx: FeedContext, snap: LiveSnapshot) -> rt.FeedMessage:
    """One ``VehiclePosition`` per train in passenger service."""
    msg = _message(snap.now_ms)
    matches = _matches(ctx, snap)
    seqs = stop_sequences(ctx.line)
    for v in sorted(snap.vehicles, key=lambda v: v.train):
        e = msg.entity.add()
        e.id = f"vehicle-{v.train}"
        vp = e.vehicle
        vp.vehicle.id = v.train
        vp.vehicle.label = v.train
        m = matches.get(v.train)
        if m is not None:
            _trip_descriptor(ctx, m.trip, m.trip_id, vp.trip)
        lat, lon = position_at(ctx.line, v.pos_m)
        vp.position.latitude = lat
        vp.position.longitude = lon
        vp.position.bearing = bearing_deg(ctx.line, v.pos_m, v.direction)
        vp.position.speed = v.speed_kmh / 3.6  # GTFS-RT: metres per second
        vp.position.odometer = v.pos_m  # chainage along the line, metres
        stop = v.station or v.next_station
        if stop is not None:
            vp.stop_id = stop
            vp.current_stop_sequence = seqs[v.direction][stop]
            vp.current_status = _VP.STOPPED_AT if v.station else _VP.IN_TRANSIT_TO
        vp.timestamp = v.ts_ms // 1000
        vp.occupancy_status = occupancy(ctx.line, v.load_pct)
        vp.occupancy_percentage = max(0, round(v.load_pct))
    return msg


def trip_updates(ctx: FeedContext, snap: LiveSnapshot) -> rt.FeedMessage:
    """Delays of the running trips at their next stop; cancelled trips not yet over."""
    msg = _message(snap.now_ms)
    matches = _matches(ctx, snap)
    seqs = stop_sequences(ctx.line)
    by_train = {v.train: v for v in snap.vehicles}
    for train, m in sorted(matches.items(), key=lambda kv: kv[1].trip_id):
        v = by_train[train]
        stop = v.station or v.next_station
        e = msg.entity.add()
        e.id = f"trip-{m.trip_id}"
        tu = e.trip_update
        _trip_descriptor(ctx, m.trip, m.trip_id, tu.trip)
        tu.trip.schedule_relationship = rt.TripDescriptor.SCHEDULED
        tu.vehicle.id = train
        tu.vehicle.label = train
        tu.timestamp = v.ts_ms // 1000
        tu.delay = m.delay_s
        if stop is not None:
            stu = tu.stop_time_update.add()
            stu.stop_sequence = seqs[v.direction][stop]
            stu.stop_id = stop
            if v.station is None:  # heading there: its arrival is late by the delay
                stu.arrival.delay = m.delay_s
            stu.departure.delay = m.delay_s  # consumers carry it on to the later stops
    day, now_s = local_service_time(snap.field_ms)
    sid = service_id_for(ctx.timetable, ctx.plan.service_date)
    for trip in sorted(ctx.plan.trips, key=lambda t: (t.depart_s, t.id)):
        tid = gtfs_trip_id(sid, trip)
        if tid not in ctx.cancelled:
            continue
        if day == ctx.plan.service_date and trip.arrive_s < now_s:
            continue  # over: nobody is waiting for it any more
        e = msg.entity.add()
        e.id = f"trip-{tid}"
        tu = e.trip_update
        _trip_descriptor(ctx, trip, tid, tu.trip)
        tu.trip.schedule_relationship = rt.TripDescriptor.CANCELED
        tu.timestamp = snap.now_ms // 1000
    return msg


def service_alerts(ctx: FeedContext, snap: LiveSnapshot) -> rt.FeedMessage:
    """Alerts for passengers (Vietnamese and English), see :mod:`feeds.alerts`."""
    msg = _message(snap.now_ms)
    matches = _matches(ctx, snap)
    sid = service_id_for(ctx.timetable, ctx.plan.service_date)
    cancelled = [t for t in ctx.plan.trips if gtfs_trip_id(sid, t) in ctx.cancelled]
    for alert_id, alert in passenger_alerts(ctx.line, snap, matches, cancelled, ctx.plan):
        e = msg.entity.add()
        e.id = alert_id
        e.alert.CopyFrom(alert)
    return msg


def as_json(msg: rt.FeedMessage) -> dict[str, Any]:
    """The feed as JSON (field names as in the reference), for people debugging it."""
    out: dict[str, Any] = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    return out
