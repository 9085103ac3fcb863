"""The shift log as CSV for a time range (administrators export it for an inquiry or archive).

Cells are neutralised as the roster CSV's are (``crew.csvio``): a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would run as a formula in a spreadsheet (CSV
injection, OWASP), so it gets a leading ``'``, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
import re

from line.clock import hanoi_time
from shiftlog.model import LogEntry
from shiftlog.store import MAX_PAGE, ShiftLogStore

_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
HEADER = [
    "id",
    "time",
    "author",
    "category",
    "text",
    "text_en",
    "train",
    "alarm_id",
    "staff_id",
    "corrects",
    "follow_up",
]
MAX_ROWS = 200_000  # an export is bounded; the range can be split


def formula_safe(cell: str) -> str:
    return "'" + cell if _FORMULA.match(cell) else cell


def _row(e: LogEntry) -> list[str]:
    cells = [
        str(e.id),
        hanoi_time(e.at_ms).isoformat(timespec="seconds"),
        e.author,
        e.category.value,
        e.text,
        e.text_en or "",
        e.train or "",
        "" if e.alarm_id is None else str(e.alarm_id),
        e.staff_id or "",
        "" if e.corrects is None else str(e.corrects),
        "yes" if e.follow_up else "no",
    ]
    return [formula_safe(c) for c in cells]


async def export_csv(store: ShiftLogStore, since_ms: int, until_ms: int) -> tuple[str, int]:
    """Entries written in ``[since_ms, until_ms)``, oldest first, as CSV; and how many."""
    entries: list[LogEntry] = []
    before: int | None = None
    while len(entries) < MAX_ROWS:
        page = await store.page(since_ms=since_ms, until_ms=until_ms, before=before, limit=MAX_PAGE)
        entries += page.entries
        if page.next_before is None:
            break
        before = page.next_before
    entries = entries[:MAX_ROWS]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEADER)
    for e in reversed(entries):
        w.writerow(_row(e))
    return out.getvalue(), len(entries)
