"""GTFS identifiers shared by the static feed and GTFS-Realtime, so the two always agree.

A service day's trips come from :func:`line.plan_day`, whose trip ids (``1001``, ``2001``…)
repeat every day and differ between the timetable's service patterns (weekdays, weekends).
GTFS needs ids unique in the feed, so the service id names the timetable and the pattern's
days, and the trip id prefixes the planned id with it: ``2026-mon-fri-1001``. Every day of one
pattern has the same plan, so a date's trip ids follow from the date alone.
"""

from __future__ import annotations

from datetime import date

from line import Direction, Line, Timetable, Trip
from line.model import ServicePattern

AGENCY_ID = "HNMETRO"
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def route_id(line: Line) -> str:
    """One route per line: the line id in capitals (``2A``)."""
    return line.id.upper()


def pattern_label(pattern: ServicePattern) -> str:
    """``mon-fri`` for a run of consecutive days, else the days joined: ``mon_wed_fri``."""
    days = sorted(pattern.weekdays)
    if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
        return f"{_DAY_NAMES[days[0]]}-{_DAY_NAMES[days[-1]]}"
    return "_".join(_DAY_NAMES[d] for d in days)


def service_id(timetable: Timetable, pattern: ServicePattern) -> str:
    """The calendar service of one pattern of a timetable: ``2026-mon-fri``."""
    return f"{timetable.id}-{pattern_label(pattern)}"


def service_id_for(timetable: Timetable, service_date: date) -> str:
    """The service that runs on ``service_date``."""
    return service_id(timetable, timetable.pattern_for(service_date.weekday()))


def gtfs_trip_id(service: str, trip: Trip) -> str:
    """The feed's trip id of a planned trip of ``service``."""
    return f"{service}-{trip.id}"


def block_id(service: str, block: int) -> str:
    """The feed's block (one train's chain of trips) of ``service``."""
    return f"{service}-b{block:02d}"


def direction_id(direction: Direction) -> int:
    """GTFS ``direction_id``: 0 outbound (ICD track 1), 1 inbound (track 2)."""
    return 0 if direction is Direction.OUTBOUND else 1


def shape_id(line: Line, direction: Direction) -> str:
    return f"{route_id(line)}-{direction_id(direction)}"


def gtfs_date(d: date) -> str:
    """GTFS dates are ``YYYYMMDD``."""
    return d.strftime("%Y%m%d")


def gtfs_time(seconds: int) -> str:
    """GTFS times are ``HH:MM:SS`` after local noon minus 12 h, and may pass ``24:00:00``."""
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"
