"""The line as data: stations, geometry, run times, fleet and timetables.

Everything here is loaded from one data file (see ``line/data/line2a.toml``) so another line
needs no code change. This package is the shared model: telemetry, crew and simulation import
it; it imports none of them.
"""

from __future__ import annotations

import bisect
import enum
import tomllib
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_LINE_FILE = Path(__file__).parent / "data" / "line2a.toml"


class Direction(enum.IntEnum):
    """ICD track numbers: 1 outbound (chainage increasing), 2 inbound."""

    OUTBOUND = 1
    INBOUND = 2


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Station(_Frozen):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,3}$")
    name: str
    chainage_m: float = Field(ge=0)
    run_s: int = Field(ge=0, description="run time from the previous station, s")
    # WGS 84 position of the platform, for passenger feeds (GTFS) and maps; optional
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> Station:
        if (self.lat is None) != (self.lon is None):
            raise ValueError(f"station {self.id}: give both lat and lon, or neither")
        return self


class Substation(_Frozen):
    id: str
    name: str
    chainage_m: float = Field(ge=0)


class Depot(_Frozen):
    id: str
    name: str
    chainage_m: float = Field(ge=0)


class Fleet(_Frozen):
    trains: tuple[str, ...]
    planned_in_service: int
    planned_maintenance: int
    planned_reserve: int
    cars_per_train: int
    capacity_normal: int
    capacity_crush: int
    seats_per_train: int


class Period(_Frozen):
    """One part of a service day with a single planned headway."""

    start: time
    end: time
    headway_s: int = Field(gt=0)
    name: str

    @property
    def start_s(self) -> int:
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_s(self) -> int:
        return self.end.hour * 3600 + self.end.minute * 60 + self.end.second

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end_s <= self.start_s:
            raise ValueError(f"period {self.name}: end {self.end} is not after start {self.start}")
        return self


class ServicePattern(_Frozen):
    weekdays: tuple[int, ...] = Field(description="0 = Monday … 6 = Sunday")
    periods: tuple[Period, ...]

    @field_validator("periods")
    @classmethod
    def _contiguous(cls, periods: tuple[Period, ...]) -> tuple[Period, ...]:
        for a, b in zip(periods, periods[1:], strict=False):
            if a.end_s != b.start_s:
                raise ValueError(f"periods {a.name} and {b.name} are not contiguous")
        return periods


class Timetable(_Frozen):
    id: str
    name: str
    name_en: str
    patterns: tuple[ServicePattern, ...]

    def pattern_for(self, weekday: int) -> ServicePattern:
        for p in self.patterns:
            if weekday in p.weekdays:
                return p
        raise LookupError(f"timetable {self.id} has no pattern for weekday {weekday}")


class ServiceEra(_Frozen):
    """What ran from ``from_date`` until the next era: the timetable, the trains kept serviceable
    and the weekday ridership of the time, with where each figure comes from."""

    from_date: date
    timetable: str
    serviceable_trains: int | None = Field(default=None, ge=1)  # None: fleet less maintenance
    weekday_passengers: int = Field(ge=0)
    source: str


class LocationKind(enum.StrEnum):
    AT_STATION = "at_station"
    BETWEEN = "between"
    DEPOT = "depot"


class Location(NamedTuple):
    """Where a chainage lies: at a station (within its platform), or between two stations.

    ``prev_station``/``next_station`` are in the direction of travel. A NamedTuple rather than
    a frozen dataclass: it is built once per telemetry message and is several times cheaper.
    """

    kind: LocationKind
    station: str | None
    prev_station: str | None
    next_station: str | None
    fraction: float  # 0..1 along the segment (0 at prev_station)


class Line(_Frozen):
    """A metro line: ordered stations, run times, fleet and timetables."""

    id: str
    name: str
    name_en: str
    length_m: float
    max_speed_kmh: float
    accel_mps2: float
    decel_mps2: float
    dwell_s: int
    turnback_min_s: int
    turnback_s: int
    fleet: Fleet
    depot: Depot
    stations: tuple[Station, ...]
    substations: tuple[Substation, ...]
    timetables: tuple[Timetable, ...]
    # which timetable, fleet and ridership were in force when (dates ascending)
    service_history: tuple[ServiceEra, ...] = ()
    platform_half_m: float = 70.0  # a 4-car train is ~80 m; ±70 m counts as "at the station"

    @model_validator(mode="after")
    def _check(self) -> Line:
        ch = [s.chainage_m for s in self.stations]
        if len(ch) < 2 or any(b <= a for a, b in zip(ch, ch[1:], strict=False)):
            raise ValueError("stations must be at least two, in increasing chainage")
        if ch[-1] > self.length_m:
            raise ValueError("last station lies beyond the line length")
        if len({s.id for s in self.stations}) != len(self.stations):
            raise ValueError("station ids must be unique")
        dates = [e.from_date for e in self.service_history]
        if dates != sorted(set(dates)):
            raise ValueError("service history eras must have increasing dates")
        known = {t.id for t in self.timetables}
        for e in self.service_history:
            if e.timetable not in known:
                raise ValueError(f"service era from {e.from_date}: unknown timetable {e.timetable}")
        return self

    # --- lookups -----------------------------------------------------------------------
    @cached_property
    def station_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stations)

    @cached_property
    def _chainages(self) -> list[float]:
        return [s.chainage_m for s in self.stations]

    def station(self, station_id: str) -> Station:
        for s in self.stations:
            if s.id == station_id:
                return s
        raise KeyError(station_id)

    def timetable(self, timetable_id: str) -> Timetable:
        for t in self.timetables:
            if t.id == timetable_id:
                return t
        known = ", ".join(t.id for t in self.timetables)
        raise KeyError(f"unknown timetable {timetable_id!r}; known: {known}")

    def era_on(self, day: date) -> ServiceEra:
        """The service era in force on ``day`` (LookupError before the first)."""
        dates = [e.from_date for e in self.service_history]
        k = bisect.bisect_right(dates, day) - 1
        if k < 0:
            first = f"; the first starts {dates[0]}" if dates else ""
            raise LookupError(f"line {self.id} has no service history for {day}{first}")
        return self.service_history[k]

    def timetable_on(self, day: date) -> Timetable:
        """The timetable in force on ``day``, from the service history."""
        return self.timetable(self.era_on(day).timetable)

    def locate(self, pos_m: float, direction: Direction = Direction.OUTBOUND) -> Location:
        """Position → station or segment, with neighbours named in the direction of travel."""
        if type(direction) is not Direction:
            direction = Direction(direction)
        if pos_m > self.stations[-1].chainage_m + self.platform_half_m:
            return Location(LocationKind.DEPOT, None, None, None, 0.0)
        ch = self._chainages
        i = bisect.bisect_right(ch, pos_m)  # stations[i-1] <= pos < stations[i]
        for j in (i - 1, i):
            if 0 <= j < len(ch) and abs(ch[j] - pos_m) <= self.platform_half_m:
                sid = self.stations[j].id
                return Location(LocationKind.AT_STATION, sid, sid, sid, 0.0)
        lo, hi = max(i - 1, 0), min(i, len(ch) - 1)
        a, b = self.stations[lo], self.stations[hi]
        frac = 0.0 if hi == lo else (pos_m - a.chainage_m) / (b.chainage_m - a.chainage_m)
        if direction is Direction.OUTBOUND:
            return Location(LocationKind.BETWEEN, None, a.id, b.id, frac)
        return Location(LocationKind.BETWEEN, None, b.id, a.id, 1.0 - frac)

    # --- running times -----------------------------------------------------------------
    def arrival_offsets_s(self, direction: Direction) -> list[tuple[str, float, float]]:
        """(station, arrival offset, departure offset) from the origin terminal, in order."""
        n = len(self.stations)
        order = range(n) if direction is Direction.OUTBOUND else range(n - 1, -1, -1)
        rows: list[tuple[str, float, float]] = []
        t = 0.0
        prev: int | None = None
        for k, idx in enumerate(order):
            if prev is not None:
                # run time belongs to the segment between prev and idx (stored on the later one)
                seg = max(prev, idx)
                t += self.stations[seg].run_s
            arr = t
            if 0 < k < n - 1:
                t += self.dwell_s
            rows.append((self.stations[idx].id, arr, t))
            prev = idx
        return rows

    @cached_property
    def trip_time_s(self) -> float:
        """Terminal-to-terminal running time including intermediate dwells, s."""
        return self.arrival_offsets_s(Direction.OUTBOUND)[-1][1]

    @cached_property
    def cycle_time_s(self) -> float:
        """Round trip with the planned turnback at both terminals, s."""
        return 2 * self.trip_time_s + 2 * self.turnback_s

    def trains_needed(self, headway_s: float) -> int:
        """Trains needed to run a headway: ceil(cycle / headway)."""
        return -(-int(self.cycle_time_s) // int(headway_s))

    @cached_property
    def _time_profile(self) -> dict[Direction, tuple[list[float], list[float]]]:
        """Per direction: a searchable chainage axis and planned elapsed time since departure.

        The axis is the chainage outbound and the negated chainage inbound, so it increases
        along the direction of travel in both cases. Inside a segment time is interpolated
        linearly in distance: the live board uses it for headway-in-time and schedule
        deviation, where a few seconds of kinematic error are irrelevant next to dwell and
        turnback variation.
        """
        prof: dict[Direction, tuple[list[float], list[float]]] = {}
        for d in Direction:
            sign = 1.0 if d is Direction.OUTBOUND else -1.0
            xs: list[float] = []
            ts: list[float] = []
            for sid, arr, dep in self.arrival_offsets_s(d):
                c = sign * self.station(sid).chainage_m
                xs += [c, c]
                ts += [arr, dep]
            prof[d] = (xs, ts)
        return prof

    def elapsed_at(self, pos_m: float, direction: Direction) -> float:
        """Planned seconds from origin departure until a train reaches ``pos_m`` (not dwelling).

        At a station it returns the planned arrival time there.
        """
        if type(direction) is not Direction:
            direction = Direction(direction)
        axis, ts = self._time_profile[direction]
        key = pos_m if direction is Direction.OUTBOUND else -pos_m
        if key <= axis[0]:
            return ts[0]
        if key >= axis[-1]:
            return ts[-1]
        i = bisect.bisect_left(axis, key)
        x0, x1, t0, t1 = axis[i - 1], axis[i], ts[i - 1], ts[i]
        if x1 == x0:
            return t0
        return t0 + (t1 - t0) * (key - x0) / (x1 - x0)


def load_line(path: Path | None = None) -> Line:
    """Load and validate a line data file (defaults to Line 2A)."""
    p = path or DEFAULT_LINE_FILE
    with p.open("rb") as f:
        data = tomllib.load(f)
    return Line.model_validate(data)
