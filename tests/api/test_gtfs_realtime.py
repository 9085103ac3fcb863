"""GTFS-Realtime builders over a live state fed directly, checked by decoding the protobufs.

Proves: one VehiclePosition per train in passenger service (none for depot or switched-off
trains) at the position, stop and status the state holds, on a trip id of the static feed with
the hand-computed delay; CANCELED trip updates for exactly the trips a degraded timetable drops
(and no train matched to one); passenger alerts in Vietnamese and English for a train stopped
between stations with a high alarm and for lost traction power, and none for a moving train or
a low-priority fault.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from datetime import UTC, date, datetime

import pytest
from google.transit import gtfs_realtime_pb2 as rt
from prometheus_client import CollectorRegistry

from crew import PeriodCapacity, period_capacity
from feeds import (
    FeedContext,
    GtfsSettings,
    as_json,
    build_static_feed,
    feed_zip,
    live_snapshot,
    service_alerts,
    thin_trips,
    trip_updates,
    vehicle_positions,
)
from feeds.ids import gtfs_trip_id, service_id_for
from line import Line, load_line, plan_day
from telemetry.alarms import AlarmBook
from telemetry.config import StateSettings, load_register_maps
from telemetry.metrics import TelemetryMetrics
from telemetry.registers import SubstationReading
from telemetry.schemas import Decoded, TrainEvent, TrainTelemetry
from telemetry.state import LineState

MONDAY = date(2026, 11, 23)
T0 = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)  # Mon 08:00 local
NOW = T0 + 60_000


def tel(train: str, pos_m: float, track: int = 1, ts: int = NOW, **kw: object) -> Decoded:
    body = {
        "v": 1,
        "ts": ts,
        "train": train,
        "seq": 1,
        "pos_m": pos_m,
        "track": track,
        "speed_kmh": 40.0,
        "doors": "closed",
        "load_pct": 50,
        "mode": "ATO",
        "driver": "D001",
    }
    body.update(kw)
    return Decoded("telemetry", train, TrainTelemetry.model_validate(body))


def fault(train: str, severity: str, seq: int = 2) -> Decoded:
    body = {
        "v": 1,
        "ts": NOW,
        "train": train,
        "seq": seq,
        "kind": "fault_raised",
        "code": "TRC-012",
        "severity": severity,
    }
    # JSON mode, as the decoder reads the wire (strict models take enums from JSON text)
    return Decoded("event", train, TrainEvent.model_validate_json(json.dumps(body)))


def decode(msg: rt.FeedMessage) -> rt.FeedMessage:
    """What a consumer gets: the bytes on the wire, parsed back."""
    out = rt.FeedMessage()
    out.ParseFromString(msg.SerializeToString())
    assert out.header.gtfs_realtime_version == "2.0"
    assert out.header.incrementality == rt.FeedHeader.FULL_DATASET
    return out


def translations(ts: rt.TranslatedString) -> dict[str, str]:
    return {t.language: t.text for t in ts.translation}


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line()


@pytest.fixture(scope="module")
def static_trips(line: Line) -> dict[str, dict[str, str]]:
    """trip id → its trips.txt row plus its first departure, from the static feed's zip."""
    blob = feed_zip(
        build_static_feed(line, line.timetable("2026"), start=MONDAY, days=7, info=GtfsSettings())
    )
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        trips = {
            r["trip_id"]: r
            for r in csv.DictReader(io.StringIO(zf.read("trips.txt").decode("utf-8")))
        }
        for r in csv.DictReader(io.StringIO(zf.read("stop_times.txt").decode("utf-8"))):
            if r["stop_sequence"] == "1":
                trips[r["trip_id"]]["first_departure"] = r["departure_time"]
    return trips


@pytest.fixture
def state(line: Line) -> tuple[LineState, AlarmBook]:
    alarms = AlarmBook(lambda: NOW)
    rmap = load_register_maps()["traction_substation"]
    st = LineState(
        line,
        StateSettings(timetable="2026"),
        alarms,
        TelemetryMetrics(CollectorRegistry()),
        {"SS2": ("TBA Láng", rmap)},
    )
    st.apply(tel("T01", 500.0), NOW)  # outbound, half way Cát Linh → La Thành
    st.apply(tel("T02", 8700.0, speed_kmh=0.0, doors="open", load_pct=120), NOW)  # at Hà Đông
    st.apply(tel("T03", 6000.0, track=2), NOW)  # inbound, between Phùng Khoang and VĐ3
    st.apply(tel("T04", 13050.0, mode="depot", speed_kmh=0.0), NOW)  # in the depot
    st.apply(tel("T05", 2000.0, mode="off", speed_kmh=0.0), NOW)  # switched off
    st.apply(tel("T06", 4800.0, track=2, speed_kmh=0.0), NOW)  # stopped between VĐ3 and TĐ
    st.apply(tel("T07", 7000.0, track=1, speed_kmh=55.0), NOW)  # moving, between PK and VQ
    st.apply(tel("T08", 10500.0, track=1, speed_kmh=0.0), NOW)  # stopped between LK and VK
    return st, alarms


def context(line: Line, cancelled: frozenset[str] = frozenset()) -> FeedContext:
    tt = line.timetable("2026")
    return FeedContext(line, tt, plan_day(line, tt, MONDAY), cancelled)


def test_vehicle_positions_are_the_trains_in_service(
    line: Line, state: tuple[LineState, AlarmBook], static_trips: dict[str, dict[str, str]]
) -> None:
    st, alarms = state
    feed = decode(vehicle_positions(context(line), live_snapshot(st, alarms, NOW + 500)))
    assert feed.header.timestamp == (NOW + 500) // 1000
    vps = {e.vehicle.vehicle.id: e.vehicle for e in feed.entity}
    assert set(vps) == {"T01", "T02", "T03", "T06", "T07", "T08"}  # not depot, not off

    cl, lt, hd = line.station("CL"), line.station("LT"), line.station("HD")
    assert cl.lat and cl.lon and lt.lat and lt.lon and hd.lat and hd.lon
    t01 = vps["T01"]
    # GTFS-RT positions are float32: about a metre of resolution here
    assert t01.position.latitude == pytest.approx((cl.lat + lt.lat) / 2, abs=1e-5)
    assert t01.position.longitude == pytest.approx((cl.lon + lt.lon) / 2, abs=1e-5)
    assert t01.position.speed == pytest.approx(40.0 / 3.6)
    assert 180 < t01.position.bearing < 270  # heading south-west, towards La Thành
    assert (t01.stop_id, t01.current_stop_sequence) == ("LT", 2)
    assert t01.current_status == rt.VehiclePosition.IN_TRANSIT_TO
    assert t01.timestamp == NOW // 1000
    # its trip is the 08:00 outbound departure of the static feed
    trip = static_trips[t01.trip.trip_id]
    assert trip["first_departure"] == "08:00:00" and trip["direction_id"] == "0"
    assert t01.trip.start_date == "20261123" and t01.trip.start_time == "08:00:00"

    t02 = vps["T02"]
    assert (t02.position.latitude, t02.position.longitude) == pytest.approx(
        (hd.lat, hd.lon), abs=1e-5
    )
    assert (t02.stop_id, t02.current_stop_sequence) == ("HD", 9)
    assert t02.current_status == rt.VehiclePosition.STOPPED_AT
    assert t02.occupancy_status == rt.VehiclePosition.CRUSHED_STANDING_ROOM_ONLY
    assert t02.occupancy_percentage == 120

    t03 = vps["T03"]  # inbound: heading north-east, next stop Vành Đai 3 (inbound seq 7)
    assert 0 < t03.position.bearing < 90
    assert (t03.stop_id, t03.current_stop_sequence) == ("VD3", 7)
    assert static_trips[t03.trip.trip_id]["direction_id"] == "1"
    # every matched trip is a real trip of the static feed, and no two trains share one
    trips = [vp.trip.trip_id for vp in vps.values() if vp.HasField("trip")]
    assert len(trips) == len(set(trips)) and set(trips) <= set(static_trips)
    assert as_json(feed)["entity"][0]["vehicle"]["vehicle"]["id"] == "T01"


def test_trip_updates_carry_delay_and_cancelled_trips(
    line: Line, state: tuple[LineState, AlarmBook], static_trips: dict[str, dict[str, str]]
) -> None:
    st, alarms = state
    tt = line.timetable("2026")
    plan = plan_day(line, tt, MONDAY)
    # the morning peak can man 6 of its 9 trains (10-minute headway instead of 6)
    caps = [PeriodCapacity("2a", MONDAY, "am_peak", 23400, 32400, 360, 9, 6, 6, 600)]
    cancelled = frozenset(thin_trips(plan, tt, caps))
    peak = [t for t in plan.trips if t.period == "am_peak"]
    assert len(cancelled) == len(peak) - 2 * math.ceil(25 * 6 / 9)  # 8 of 25 per direction
    assert cancelled <= set(static_trips)

    feed = decode(trip_updates(context(line, cancelled), live_snapshot(st, alarms, NOW)))
    updates = {e.trip_update.trip.trip_id: e.trip_update for e in feed.entity}
    canceled = {
        tid
        for tid, tu in updates.items()
        if tu.trip.schedule_relationship == rt.TripDescriptor.CANCELED
    }
    over = {f"2026-mon-fri-{t.id}" for t in peak if t.arrive_s < 8 * 3600 + 60}
    assert canceled == cancelled - over  # cancelled trips not yet over, all of them
    assert canceled and over & cancelled  # (both kinds exist in this scenario)
    running = {tid: tu for tid, tu in updates.items() if tid not in canceled}
    assert not set(running) & cancelled  # nobody is matched to a cancelled trip
    t01 = next(tu for tu in running.values() if tu.vehicle.id == "T01")
    # hand-computed as on the board: 500 m of 1000 m to La Thành (run 90 s) is planned at
    # +45 s; seen at 08:01:00 → 15 s late, towards La Thành (stop 2)
    assert t01.delay == 15
    assert [(u.stop_id, u.stop_sequence, u.arrival.delay) for u in t01.stop_time_update] == [
        ("LT", 2, 15)
    ]
    assert static_trips[t01.trip.trip_id]["first_departure"] == "08:00:00"


def test_a_short_early_shift_cancels_morning_trips_only(line: Line) -> None:
    """A weekend's one period (05:30–22:00) with no driver on the early shift and the late shift
    full: the trips leaving before the 13:30 change are cancelled, none after it."""
    tt = line.timetable("2026")
    sunday = date(2026, 11, 29)
    plan = plan_day(line, tt, sunday)
    periods = tt.pattern_for(sunday.weekday()).periods
    change = 13 * 3600 + 1800
    shifts = [(5 * 3600, change, 0), (change, 22 * 3600 + 1800, 9)]
    cancelled = thin_trips(plan, tt, period_capacity(line, sunday, periods, shifts))
    sid = service_id_for(tt, sunday)
    morning = {gtfs_trip_id(sid, t) for t in plan.trips if t.depart_s < change}
    assert morning and cancelled == morning


def test_alerts_for_passengers_in_vietnamese_and_english(
    line: Line, state: tuple[LineState, AlarmBook]
) -> None:
    st, alarms = state
    st.apply(fault("T06", "major"), NOW)  # high alarm, stopped between stations → alert
    st.apply(fault("T07", "critical"), NOW)  # moving → the board's business only
    st.apply(fault("T08", "minor"), NOW)  # low priority → nothing for passengers
    st.apply_substation(
        SubstationReading("SS2", NOW, {"dc_bus_voltage": 120.0}, {}, heartbeat=1)
    )  # traction power lost at SS2
    feed = decode(service_alerts(context(line), live_snapshot(st, alarms, NOW)))
    assert len(feed.entity) == 2
    power, stopped = (e.alert for e in feed.entity)

    assert power.effect == rt.Alert.NO_SERVICE
    assert [s.stop_id for s in power.informed_entity] == ["TH", "LA", "TD"]
    assert translations(power.header_text) == {
        "vi": "Tạm dừng chạy tàu từ ga Thái Hà đến ga Thượng Đình",
        "en": "Service suspended between Thái Hà and Thượng Đình",
    }
    assert set(translations(power.description_text)) == {"vi", "en"}

    assert stopped.effect == rt.Alert.SIGNIFICANT_DELAYS
    assert stopped.cause == rt.Alert.TECHNICAL_PROBLEM
    assert translations(stopped.header_text) == {
        "vi": "Tàu dừng giữa ga Vành Đai 3 và ga Thượng Đình",
        "en": "Train stopped between Vành Đai 3 and Thượng Đình",
    }
    desc = translations(stopped.description_text)
    assert "hướng đi Cát Linh" in desc["vi"] and "towards Cát Linh" in desc["en"]
    assert "TRC-012" not in desc["vi"] + desc["en"]  # control-room codes stay inside
    trips = [s.trip.trip_id for s in stopped.informed_entity if s.HasField("trip")]
    assert len(trips) == 1 and trips[0].startswith("2026-mon-fri-2")  # an inbound trip
    assert stopped.active_period[0].start == NOW // 1000

    # the power comes back and the train moves on: the alerts go
    st.apply_substation(SubstationReading("SS2", NOW, {"dc_bus_voltage": 750.0}, {}, heartbeat=2))
    body = {**tel("T06", 4700.0, track=2, speed_kmh=30.0).msg.model_dump(), "seq": 3}
    st.apply(Decoded("telemetry", "T06", TrainTelemetry.model_validate(body)), NOW)
    assert not decode(service_alerts(context(line), live_snapshot(st, alarms, NOW))).entity


def test_reduced_service_alert_when_trips_are_cancelled(
    line: Line, state: tuple[LineState, AlarmBook]
) -> None:
    st, alarms = state
    tt = line.timetable("2026")
    plan = plan_day(line, tt, MONDAY)
    caps = [PeriodCapacity("2a", MONDAY, "pm_peak", 59400, 70200, 360, 9, 0, 0, None, True)]
    cancelled = frozenset(thin_trips(plan, tt, caps))
    assert len(cancelled) == sum(1 for t in plan.trips if t.period == "pm_peak")  # no driver
    feed = decode(service_alerts(context(line, cancelled), live_snapshot(st, alarms, NOW)))
    (entity,) = feed.entity
    a = entity.alert
    assert entity.id == "reduced-service-20261123"
    assert a.effect == rt.Alert.REDUCED_SERVICE
    # first cancelled departure 16:30; the last (inbound 19:27, phase-shifted by half the
    # 6-minute headway) would have arrived at 19:27 + 23 min 22 s = 19:50:22
    assert translations(a.header_text) == {
        "vi": "Giảm tần suất chạy tàu từ 16:30 đến 19:50",
        "en": "Reduced service from 16:30 to 19:50",
    }
    assert str(len(cancelled)) in translations(a.description_text)["en"]
    local = datetime.fromtimestamp(a.active_period[0].start, UTC).astimezone(
        datetime.fromisoformat("2026-01-01T00:00:00+07:00").tzinfo
    )
    assert (local.date(), local.hour, local.minute) == (MONDAY, 16, 30)
