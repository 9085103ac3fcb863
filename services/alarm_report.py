"""The alarm book's performance over a window ending now, for the API (the situation reports
compute theirs over their own period, in ``reports.content``)."""

from __future__ import annotations

from telemetry.alarm_performance import AlarmPerformance, alarm_performance
from telemetry.alarms import AlarmBook


def performance_now(book: AlarmBook, *, now_ms: int, hours: int) -> AlarmPerformance:
    """Performance over the last ``hours`` of the book's open and closed alarms (``now_ms``
    from the clock the book runs on)."""
    return alarm_performance(
        book.everything(),
        now_ms=now_ms,
        window_ms=hours * 3600 * 1000,
        flood_per_10min=book.flood_per_10min,
    )
