"""GTFS static feed: parsed back from the zip with csv, checked as a consumer would.

Proves: every required file and column of the GTFS reference is there; references resolve
(every stop_times trip and stop, every trip's route, service and shape); stop times increase
along each trip; the calendar covers the published dates with the right weekdays; the trips
of a date are exactly the line model's plan of that date, at its times; station coordinates
are on the line in Hanoi; identical input gives identical bytes (stable ETag).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta

import pytest

from feeds import GtfsSettings, NoCoordinates, build_static_feed, feed_zip
from feeds.ids import gtfs_trip_id, service_id_for
from line import Direction, Line, load_line, plan_day

MONDAY = date(2026, 11, 23)

REQUIRED = {
    "agency.txt": {"agency_name", "agency_url", "agency_timezone"},
    "stops.txt": {"stop_id", "stop_name", "stop_lat", "stop_lon"},
    "routes.txt": {"route_id", "route_short_name", "route_type"},
    "trips.txt": {"route_id", "service_id", "trip_id"},
    "stop_times.txt": {"trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"},
    "calendar.txt": {
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    },
    "feed_info.txt": {"feed_publisher_name", "feed_publisher_url", "feed_lang"},
    "shapes.txt": {"shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"},
}


def read_feed(blob: bytes) -> dict[str, list[dict[str, str]]]:
    out = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8")
            out[name] = list(csv.DictReader(io.StringIO(text)))
    return out


def seconds(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line()


@pytest.fixture(scope="module")
def feed(line: Line) -> dict[str, list[dict[str, str]]]:
    tables = build_static_feed(
        line, line.timetable("2026"), start=MONDAY, days=30, info=GtfsSettings()
    )
    return read_feed(feed_zip(tables))


def test_every_required_file_and_column_is_there(feed: dict[str, list[dict[str, str]]]) -> None:
    for name, cols in REQUIRED.items():
        assert name in feed, name
        assert feed[name], f"{name} is empty"
        assert cols <= set(feed[name][0]), (name, cols - set(feed[name][0]))
    agency = feed["agency.txt"][0]
    assert agency["agency_timezone"] == "Asia/Ho_Chi_Minh"
    assert agency["agency_url"].startswith("https://")
    assert feed["routes.txt"][0]["route_type"] == "1"  # metro


def test_references_resolve(feed: dict[str, list[dict[str, str]]]) -> None:
    stops = {s["stop_id"] for s in feed["stops.txt"]}
    routes = {r["route_id"] for r in feed["routes.txt"]}
    services = {c["service_id"] for c in feed["calendar.txt"]}
    shapes = {s["shape_id"] for s in feed["shapes.txt"]}
    trip_ids = [t["trip_id"] for t in feed["trips.txt"]]
    assert len(trip_ids) == len(set(trip_ids)), "trip ids must be unique"
    for t in feed["trips.txt"]:
        assert t["route_id"] in routes
        assert t["service_id"] in services
        assert t["shape_id"] in shapes
    timed = set()
    for st in feed["stop_times.txt"]:
        assert st["trip_id"] in set(trip_ids) and st["stop_id"] in stops, st
        timed.add(st["trip_id"])
    assert timed == set(trip_ids), "every trip has stop times"
    agency_ids = {a["agency_id"] for a in feed["agency.txt"]}
    assert {r["agency_id"] for r in feed["routes.txt"]} <= agency_ids


def test_stop_times_increase_along_every_trip(
    feed: dict[str, list[dict[str, str]]], line: Line
) -> None:
    by_trip: dict[str, list[dict[str, str]]] = {}
    for st in feed["stop_times.txt"]:
        by_trip.setdefault(st["trip_id"], []).append(st)
    for tid, rows in by_trip.items():
        rows.sort(key=lambda r: int(r["stop_sequence"]))
        seqs = [int(r["stop_sequence"]) for r in rows]
        assert len(set(seqs)) == len(seqs) == len(line.stations), tid
        last = -1
        dist = -1.0
        for r in rows:
            arr, dep = seconds(r["arrival_time"]), seconds(r["departure_time"])
            assert last <= arr <= dep, (tid, r)
            last = dep
            assert float(r["shape_dist_traveled"]) > dist
            dist = float(r["shape_dist_traveled"])
        # a terminal-to-terminal trip visits every station once, in line order
        ids = [r["stop_id"] for r in rows]
        assert ids in (list(line.station_ids), list(reversed(line.station_ids))), tid


def test_calendar_covers_the_dates_with_their_weekdays(
    feed: dict[str, list[dict[str, str]]],
) -> None:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for k in range(30):
        d = MONDAY + timedelta(days=k)
        running = [
            c["service_id"]
            for c in feed["calendar.txt"]
            if c["start_date"] <= d.strftime("%Y%m%d") <= c["end_date"]
            and c[days[d.weekday()]] == "1"
        ]
        assert len(running) == 1, (d, running)  # exactly one service every day
    after = (MONDAY + timedelta(days=30)).strftime("%Y%m%d")
    assert all(c["end_date"] < after for c in feed["calendar.txt"])
    info = feed["feed_info.txt"][0]
    assert info["feed_start_date"] == "20261123" and info["feed_end_date"] == "20261222"
    assert info["feed_lang"] == "vi"


def test_a_dates_trips_are_the_line_models_plan(
    feed: dict[str, list[dict[str, str]]], line: Line
) -> None:
    tt = line.timetable("2026")
    for d in (MONDAY, MONDAY + timedelta(days=5)):  # a weekday and a Saturday
        plan = plan_day(line, tt, d)
        sid = service_id_for(tt, d)
        trips = {t["trip_id"]: t for t in feed["trips.txt"] if t["service_id"] == sid}
        assert set(trips) == {gtfs_trip_id(sid, t) for t in plan.trips}
        first_stop = {
            st["trip_id"]: st
            for st in feed["stop_times.txt"]
            if st["stop_sequence"] == "1" and st["trip_id"] in trips
        }
        for t in plan.trips:
            tid = gtfs_trip_id(sid, t)
            assert seconds(first_stop[tid]["departure_time"]) == t.depart_s
            assert first_stop[tid]["stop_id"] == t.origin
            assert trips[tid]["direction_id"] == ("0" if t.direction is Direction.OUTBOUND else "1")
    # hand-checked: the first weekday trip leaves Cát Linh 05:30:00 and reaches Yên Nghĩa
    # after the line's run times and dwells (23 min 22 s)
    rows = [st for st in feed["stop_times.txt"] if st["trip_id"] == "2026-mon-fri-1001"]
    assert rows[0]["departure_time"] == "05:30:00" and rows[0]["stop_id"] == "CL"
    assert rows[-1]["arrival_time"] == "05:53:22" and rows[-1]["stop_id"] == "YN"


def test_stations_lie_in_hanoi_along_the_line(
    feed: dict[str, list[dict[str, str]]], line: Line
) -> None:
    stops = {s["stop_id"]: s for s in feed["stops.txt"]}
    assert list(stops) == list(line.station_ids)
    lats = [float(stops[s]["stop_lat"]) for s in line.station_ids]
    lons = [float(stops[s]["stop_lon"]) for s in line.station_ids]
    assert all(20.9 < la < 21.1 for la in lats) and all(105.7 < lo < 105.9 for lo in lons)
    # the line runs south-west from Cát Linh to Yên Nghĩa
    assert lats == sorted(lats, reverse=True) and lons == sorted(lons, reverse=True)
    en = {t["field_value"]: t["translation"] for t in feed["translations.txt"]}
    assert en["Vành Đai 3"] == "Vanh Dai 3" and en["Cát Linh"] == "Cat Linh"


def test_same_input_same_bytes_and_no_coordinates_is_an_error(line: Line) -> None:
    tt = line.timetable("2021")
    a = feed_zip(build_static_feed(line, tt, start=MONDAY, days=7, info=GtfsSettings()))
    b = feed_zip(build_static_feed(line, tt, start=MONDAY, days=7, info=GtfsSettings()))
    assert a == b
    assert {c["service_id"] for c in read_feed(a)["calendar.txt"]} == {"2021-mon-sun"}
    bare = line.model_copy(
        update={
            "stations": tuple(
                s.model_copy(update={"lat": None, "lon": None}) for s in line.stations
            )
        }
    )
    with pytest.raises(NoCoordinates, match="no lat/lon"):
        build_static_feed(bare, tt, start=MONDAY, days=7, info=GtfsSettings())
