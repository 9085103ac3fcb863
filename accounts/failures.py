"""Failed sign-ins in the audit log without a flood of rows.

A script hammering the sign-in wrote one audit row per attempt (203 rows at 215/s for 200
tries). Now, per source address and ``auth.audit_window_s`` window, the first
``auth.audit_failures_per_window`` failures are recorded one by one (which names were tried,
and how each ended); the rest are counted, and one ``login.failures`` row sums them up when
the window is over: how many, how they ended, the names tried most, first and last instant.
Successful sign-ins are always recorded one by one.

Summaries are written when the address fails again after its window, by :meth:`flush_due`
(called periodically by the runtime) and by :meth:`flush_all` when the store closes. The
counts live in memory, bounded by ``max_addresses`` (the oldest window is written out early).
"""

from __future__ import annotations

import collections
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from accounts.audit import AuditLog
from line.clock import Clock

TOP_NAMES = 10


@dataclass
class _Window:
    start_ms: int
    recorded: int = 0  # failures written one by one
    suppressed: int = 0  # counted only
    last_ms: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)


class FailureAudit:
    """Records failed sign-ins per address, one by one up to a number per window, then summed."""

    def __init__(
        self,
        audit: AuditLog,
        *,
        window_s: int,
        per_window: int,
        clock: Clock,
        max_addresses: int = 10_000,
    ) -> None:
        self._audit = audit
        self._window_ms = window_s * 1000
        self._per_window = per_window
        self._clock = clock
        self._max = max_addresses
        self._windows: OrderedDict[str, _Window] = collections.OrderedDict()

    async def failed(
        self, name: str, source_ip: str, result: str, detail: dict[str, object]
    ) -> None:
        now = self._clock()
        w = self._windows.get(source_ip)
        if w is not None and now - w.start_ms >= self._window_ms:
            await self._flush(source_ip)
            w = None
        if w is None:
            w = self._windows[source_ip] = _Window(start_ms=now)
            while len(self._windows) > self._max:
                await self._flush(next(iter(self._windows)))
        w.last_ms = now
        if w.recorded < self._per_window:
            w.recorded += 1
            await self._audit.record(
                "login", user=name, source_ip=source_ip, result=result, detail=detail
            )
            return
        w.suppressed += 1
        w.outcomes[result] += 1
        w.names[name] += 1

    async def flush_due(self) -> int:
        """Write the summaries of windows that are over; returns how many."""
        now = self._clock()
        due = [ip for ip, w in self._windows.items() if now - w.start_ms >= self._window_ms]
        for ip in due:
            await self._flush(ip)
        return len(due)

    async def flush_all(self) -> None:
        for ip in list(self._windows):
            await self._flush(ip)

    async def _flush(self, source_ip: str) -> None:
        w = self._windows.pop(source_ip, None)
        if w is None or not w.suppressed:
            return
        detail = {
            "count": w.suppressed,
            "outcomes": dict(w.outcomes),
            "names": dict(w.names.most_common(TOP_NAMES)),
            "distinct_names": len(w.names),
            "first_ms": w.start_ms,
            "last_ms": w.last_ms,
            "window_s": self._window_ms // 1000,
            "recorded_separately": w.recorded,
        }
        await self._audit.record(
            "login.failures", user="(many)", source_ip=source_ip, result="fail", detail=detail
        )
