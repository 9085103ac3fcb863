"""The shift log: what operators and crew managers write down during a shift, and what the
system writes by itself (P1/P2 alarms, shelves, cancelled trips, crew status changes).

Append-only: :mod:`shiftlog.store` has no update or delete, and the table refuses them (a
trigger on both databases); a correction is a new entry pointing at the one it corrects.
"""

from shiftlog.model import SYSTEM_AUTHOR, Category, LogEntry, NewEntry
from shiftlog.service import ShiftLog
from shiftlog.store import EntryNotFound, InvalidEntry, Page, ShiftLogStore

__all__ = [
    "SYSTEM_AUTHOR",
    "Category",
    "EntryNotFound",
    "InvalidEntry",
    "LogEntry",
    "NewEntry",
    "Page",
    "ShiftLog",
    "ShiftLogStore",
]
