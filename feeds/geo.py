"""Chainage → WGS 84 position and heading, from the stations' coordinates in the line data.

The line data gives each station's position (approximate, see ``line/data/line2a.toml``) but
not the track's geometry between them, so a train between two stations is placed on the
straight line joining them, in proportion to its chainage. That is good to a few hundred
metres — enough for a journey planner's map, not for surveying.
"""

from __future__ import annotations

import bisect
import math

from line import Direction, Line


class NoCoordinates(ValueError):
    """The line data has no station coordinates (``lat``/``lon``): no passenger feed."""


def station_coordinates(line: Line) -> list[tuple[float, float]]:
    """(lat, lon) of every station in line order; :class:`NoCoordinates` if any is missing."""
    out = []
    for s in line.stations:
        if s.lat is None or s.lon is None:
            raise NoCoordinates(
                f"station {s.id} ({s.name}) has no lat/lon in the line data: "
                "the GTFS feeds need every station's position"
            )
        out.append((s.lat, s.lon))
    return out


def position_at(line: Line, pos_m: float) -> tuple[float, float]:
    """(lat, lon) at chainage ``pos_m``; clamped to the first and last station."""
    coords = station_coordinates(line)
    ch = [s.chainage_m for s in line.stations]
    if pos_m <= ch[0]:
        return coords[0]
    if pos_m >= ch[-1]:
        return coords[-1]
    i = bisect.bisect_right(ch, pos_m)  # ch[i-1] <= pos < ch[i]
    f = (pos_m - ch[i - 1]) / (ch[i] - ch[i - 1])
    (la0, lo0), (la1, lo1) = coords[i - 1], coords[i]
    return la0 + f * (la1 - la0), lo0 + f * (lo1 - lo0)


def bearing_deg(line: Line, pos_m: float, direction: Direction) -> float:
    """Heading in degrees clockwise from true north, along the segment and the direction."""
    coords = station_coordinates(line)
    ch = [s.chainage_m for s in line.stations]
    i = min(max(bisect.bisect_right(ch, pos_m), 1), len(ch) - 1)
    a, b = coords[i - 1], coords[i]
    if direction is Direction.INBOUND:
        a, b = b, a
    lat0, lat1 = math.radians(a[0]), math.radians(b[0])
    dlon = math.radians(b[1] - a[1])
    y = math.sin(dlon) * math.cos(lat1)
    x = math.cos(lat0) * math.sin(lat1) - math.sin(lat0) * math.cos(lat1) * math.cos(dlon)
    return math.degrees(math.atan2(y, x)) % 360.0
