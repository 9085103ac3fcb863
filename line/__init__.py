"""Shared line model: stations, geometry, run times, fleet and timetables (data-driven)."""

from line.model import (
    DEFAULT_LINE_FILE,
    Direction,
    Line,
    Location,
    LocationKind,
    Period,
    ServiceEra,
    Station,
    Substation,
    Timetable,
    load_line,
)
from line.timetable import (
    DayPlan,
    PeriodNeed,
    Trip,
    nearest_departure,
    plan_day,
    trains_needed_per_period,
)

__all__ = [
    "DEFAULT_LINE_FILE",
    "DayPlan",
    "Direction",
    "Line",
    "Location",
    "LocationKind",
    "Period",
    "PeriodNeed",
    "ServiceEra",
    "Station",
    "Substation",
    "Timetable",
    "Trip",
    "load_line",
    "nearest_departure",
    "plan_day",
    "trains_needed_per_period",
]
