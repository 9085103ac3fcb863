"""Passenger feeds: GTFS static (timetable) and GTFS-Realtime (vehicles, trip updates, alerts).

Builders are pure functions of the line, the service day's plan and a snapshot of the live
state, so tests feed them directly; ``api.routes.gtfs`` serves them over HTTP.
"""

from feeds.cancellations import (
    CancelledTrips,
    CrewCancellations,
    NoCancellations,
    thin_trips,
)
from feeds.config import GtfsSettings
from feeds.geo import NoCoordinates, bearing_deg, position_at
from feeds.live import LiveSnapshot, VehicleSnapshot, live_snapshot, match_trips
from feeds.realtime import (
    FeedContext,
    as_json,
    service_alerts,
    trip_updates,
    vehicle_positions,
)
from feeds.static import Table, build_static_feed, feed_zip

__all__ = [
    "CancelledTrips",
    "CrewCancellations",
    "FeedContext",
    "GtfsSettings",
    "LiveSnapshot",
    "NoCancellations",
    "NoCoordinates",
    "Table",
    "VehicleSnapshot",
    "as_json",
    "bearing_deg",
    "build_static_feed",
    "feed_zip",
    "live_snapshot",
    "match_trips",
    "position_at",
    "service_alerts",
    "thin_trips",
    "trip_updates",
    "vehicle_positions",
]
