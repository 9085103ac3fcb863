"""The GTFS static feed of a line (https://gtfs.org/schedule/reference/), from the line model.

:func:`build_static_feed` is a pure function of the line, the timetable in force and the dates
it is published for; :func:`feed_zip` packs its tables into the zip passengers' apps download.
One calendar service per service pattern of the timetable (e.g. ``2026-mon-fri``,
``2026-sat-sun``), valid from ``start`` for ``days`` days; its trips are the plan of a day of
that pattern (:func:`line.plan_day`), so they carry the same ids as GTFS-Realtime
(:mod:`feeds.ids`). Stop times follow the line's run times and dwells; blocks are the
plan's train slots. Public holidays are not modelled: they run the pattern of their weekday.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from feeds.config import GtfsSettings
from feeds.geo import station_coordinates
from feeds.ids import (
    AGENCY_ID,
    block_id,
    direction_id,
    gtfs_date,
    gtfs_time,
    gtfs_trip_id,
    route_id,
    service_id,
    shape_id,
)
from line import Direction, Line, Timetable, plan_day

ROUTE_TYPE_METRO = 1  # GTFS route_type 1: "Subway, Metro"
# A fixed timestamp inside the zip, so the same feed always makes the same bytes (and ETag).
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Table:
    """One GTFS file: its name (``stops.txt``), column names and rows of text values."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


def ascii_name(name: str) -> str:
    """The name without Vietnamese diacritics (``Vành Đai 3`` → ``Vanh Dai 3``): the
    English form used on the line's own signs."""
    name = name.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))


def _table(name: str, columns: Iterable[str], rows: Iterable[Iterable[object]]) -> Table:
    cols = tuple(columns)
    out = tuple(tuple("" if v is None else str(v) for v in r) for r in rows)
    for r in out:
        if len(r) != len(cols):
            raise ValueError(f"{name}: row of {len(r)} values for {len(cols)} columns")
    return Table(name, cols, out)


def _distance_m(line: Line, direction: Direction, chainage_m: float) -> float:
    """Distance along the trip from its origin (``shape_dist_traveled``), metres."""
    if direction is Direction.OUTBOUND:
        return chainage_m - line.stations[0].chainage_m
    return line.stations[-1].chainage_m - chainage_m


def build_static_feed(
    line: Line, timetable: Timetable, *, start: date, days: int, info: GtfsSettings
) -> list[Table]:
    """Every table of the feed for ``timetable`` from ``start`` for ``days`` days."""
    if days < 1:
        raise ValueError("days must be at least 1")
    coords = station_coordinates(line)
    end = start + timedelta(days=days - 1)
    rid = route_id(line)
    first, last = line.stations[0], line.stations[-1]

    agency = _table(
        "agency.txt",
        (
            "agency_id",
            "agency_name",
            "agency_url",
            "agency_timezone",
            "agency_lang",
            "agency_phone",
        ),
        [
            (
                AGENCY_ID,
                info.agency_name,
                info.agency_url,
                info.timezone,
                info.lang,
                info.agency_phone,
            )
        ],
    )
    stops = _table(
        "stops.txt",
        ("stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type"),
        [
            (s.id, s.id, s.name, f"{lat:.6f}", f"{lon:.6f}", 0)
            for s, (lat, lon) in zip(line.stations, coords, strict=True)
        ],
    )
    routes = _table(
        "routes.txt",
        ("route_id", "agency_id", "route_short_name", "route_long_name", "route_type"),
        [(rid, AGENCY_ID, rid, f"{first.name} – {last.name}", ROUTE_TYPE_METRO)],
    )
    shapes_rows: list[tuple[object, ...]] = []
    for d in Direction:
        order = list(range(len(line.stations)))
        if d is Direction.INBOUND:
            order.reverse()
        for seq, i in enumerate(order, start=1):
            lat, lon = coords[i]
            dist = _distance_m(line, d, line.stations[i].chainage_m)
            shapes_rows.append((shape_id(line, d), f"{lat:.6f}", f"{lon:.6f}", seq, f"{dist:.1f}"))
    shapes = _table(
        "shapes.txt",
        ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence", "shape_dist_traveled"),
        shapes_rows,
    )

    calendar_rows: list[tuple[object, ...]] = []
    trip_rows: list[tuple[object, ...]] = []
    stop_time_rows: list[tuple[object, ...]] = []
    offsets = {d: line.arrival_offsets_s(d) for d in Direction}
    for pattern in timetable.patterns:
        sample = next(
            (
                start + timedelta(days=k)
                for k in range(min(days, 7))
                if (start + timedelta(days=k)).weekday() in pattern.weekdays
            ),
            None,
        )
        if sample is None:  # the pattern has no day in the published window
            continue
        sid = service_id(timetable, pattern)
        calendar_rows.append(
            (
                sid,
                *(int(wd in pattern.weekdays) for wd in range(7)),
                gtfs_date(start),
                gtfs_date(end),
            )
        )
        plan = plan_day(line, timetable, sample)
        for trip in plan.trips:
            tid = gtfs_trip_id(sid, trip)
            trip_rows.append(
                (
                    rid,
                    sid,
                    tid,
                    line.station(trip.destination).name,
                    direction_id(trip.direction),
                    block_id(sid, trip.block),
                    shape_id(line, trip.direction),
                )
            )
            rows = offsets[trip.direction]
            for seq, (stop, arr, dep) in enumerate(rows, start=1):
                dist = _distance_m(line, trip.direction, line.station(stop).chainage_m)
                stop_time_rows.append(
                    (
                        tid,
                        gtfs_time(trip.depart_s + round(arr)),
                        gtfs_time(trip.depart_s + round(dep)),
                        stop,
                        seq,
                        1 if seq == len(rows) else 0,  # pickup_type: none at the terminus
                        1 if seq == 1 else 0,  # drop_off_type: none at the origin
                        f"{dist:.1f}",
                        1,
                    )
                )
    if not calendar_rows:
        raise ValueError(f"timetable {timetable.id} runs on no day from {start} to {end}")
    calendar = _table(
        "calendar.txt",
        (
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
        ),
        calendar_rows,
    )
    trips = _table(
        "trips.txt",
        (
            "route_id",
            "service_id",
            "trip_id",
            "trip_headsign",
            "direction_id",
            "block_id",
            "shape_id",
        ),
        trip_rows,
    )
    stop_times = _table(
        "stop_times.txt",
        (
            "trip_id",
            "arrival_time",
            "departure_time",
            "stop_id",
            "stop_sequence",
            "pickup_type",
            "drop_off_type",
            "shape_dist_traveled",
            "timepoint",
        ),
        stop_time_rows,
    )
    # English names for apps showing English: the signs' unaccented forms and the line's name
    translation_rows: list[tuple[object, ...]] = [
        ("stops", "stop_name", "en", ascii_name(s.name), s.name) for s in line.stations
    ]
    translation_rows += [
        ("trips", "trip_headsign", "en", ascii_name(s.name), s.name) for s in (first, last)
    ]
    translation_rows.append(
        (
            "routes",
            "route_long_name",
            "en",
            f"{ascii_name(first.name)} – {ascii_name(last.name)}",
            f"{first.name} – {last.name}",
        )
    )
    translations = _table(
        "translations.txt",
        ("table_name", "field_name", "language", "translation", "field_value"),
        translation_rows,
    )
    feed_info = _table(
        "feed_info.txt",
        (
            "feed_publisher_name",
            "feed_publisher_url",
            "feed_lang",
            "default_lang",
            "feed_start_date",
            "feed_end_date",
            "feed_version",
            "feed_contact_email",
            "feed_contact_url",
        ),
        [
            (
                info.publisher_name or info.agency_name,
                info.publisher_url or info.agency_url,
                info.lang,
                info.lang,
                gtfs_date(start),
                gtfs_date(end),
                f"{timetable.id}-{gtfs_date(start)}",
                info.contact_email,
                info.publisher_url or info.agency_url,
            )
        ],
    )
    return [
        agency,
        stops,
        routes,
        trips,
        stop_times,
        calendar,
        shapes,
        translations,
        feed_info,
    ]


def feed_zip(tables: Iterable[Table]) -> bytes:
    """The feed as a zip of UTF-8 CSV files (byte-identical for identical tables)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for t in tables:
            text = io.StringIO()
            w = csv.writer(text, lineterminator="\r\n")
            w.writerow(t.columns)
            w.writerows(t.rows)
            info = zipfile.ZipInfo(t.name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.getvalue().encode("utf-8"))
    return buf.getvalue()
