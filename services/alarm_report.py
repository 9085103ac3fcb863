"""The alarm book's performance now: one place for the API and the situation reports."""

from __future__ import annotations

from telemetry.alarm_performance import AlarmPerformance, alarm_performance
from telemetry.alarms import AlarmBook

HISTORY_LIMIT = 10_000  # the book keeps at most this many closed alarms


def performance_now(book: AlarmBook, *, now_ms: int, hours: int) -> AlarmPerformance:
    """Performance over the last ``hours`` of the book's open and closed alarms (``now_ms``
    from the clock the book runs on)."""
    alarms = [*book.active(include_shelved=True), *book.history(limit=HISTORY_LIMIT)]
    return alarm_performance(
        alarms,
        now_ms=now_ms,
        window_ms=hours * 3600 * 1000,
        flood_per_10min=book.flood_per_10min,
    )
