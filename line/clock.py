"""Time, defined once for the whole project: the clock type, the wall clock, and Hanoi time.

Every component that needs "now" takes a :data:`Clock` (milliseconds since the Unix epoch) as a
constructor argument: the composition root (``services.runtime.build_runtime``) passes one
clock to all of them, and tests pass a fake one they move by hand. :func:`wall_ms` is the real
clock, the default where a component may be built without one (a CLI command).

Line 2A runs on Hanoi time (Indochina Time, UTC+7; IANA ``Asia/Ho_Chi_Minh``). Vietnam has
kept no daylight saving time since 1975 (IANA tz database, ``asia`` file, zone
Asia/Ho_Chi_Minh), so the fixed offset :data:`HANOI` is exact and needs no tz database;
the timetable, the service day, shifts and report times are all in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TypeAlias

#: A source of "now" in milliseconds since the Unix epoch (UTC).
Clock: TypeAlias = Callable[[], int]

#: IANA name of Hanoi's time zone (GTFS ``agency_timezone``, report settings).
HANOI_ZONE = "Asia/Ho_Chi_Minh"
#: Hanoi's offset from UTC in seconds (no daylight saving time).
HANOI_UTC_OFFSET_S = 7 * 3600
#: Hanoi time as a fixed-offset ``tzinfo``.
HANOI = timezone(timedelta(seconds=HANOI_UTC_OFFSET_S), HANOI_ZONE)


def wall_ms() -> int:
    """The wall clock: milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


def hanoi_time(ms: int) -> datetime:
    """The aware Hanoi date and time of ``ms`` (milliseconds since the epoch)."""
    return datetime.fromtimestamp(ms / 1000, HANOI)
