"""Degraded-timetable decisions: an operator declares that the line runs a degraded timetable
(a headway of so many minutes from a time, and why), or that it is back to the normal one.

Each decision is stored (table ``timetable_decision``, migration ``s0002``; append-only by
use: nothing here updates or deletes) and written in the shift log by itself; the newest one is
the decision in force, shown on the board. The crew-constrained cancellations the system
derives by itself are logged separately (``services.shiftlog_feed.CancellationFeed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, Text, select

from line.catalogue import Message, Refusal
from line.clock import Clock, hanoi_time
from shiftlog.handover_store import metadata
from shiftlog.model import SYSTEM_AUTHOR, Category, NewEntry
from shiftlog.service import ShiftLog
from storage.engine import writer

MAX_REASON = 500

timetable_decision = Table(
    "timetable_decision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("user", String(200), nullable=False),
    Column("degraded", Boolean, nullable=False),
    Column("headway_s", Integer, nullable=True),
    Column("from_ms", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    at_ms: int  # when it was declared
    user: str
    degraded: bool  # False: back to the normal timetable
    headway_s: int | None  # the degraded headway (None when back to normal)
    from_ms: int  # in force from
    reason: str


def _decision(row: Any) -> Decision:
    m = row._mapping
    return Decision(
        m["id"],
        m["at_ms"],
        m["user"],
        bool(m["degraded"]),
        m["headway_s"],
        m["from_ms"],
        m["reason"],
    )


def minutes(seconds: int) -> str:
    """A headway in minutes as people write it: 8, 7.5."""
    return f"{seconds / 60:.1f}".removesuffix(".0")


class InvalidDecision(Refusal, ValueError):
    """The decision cannot be recorded as given (the message says why)."""


class TimetableDecisions:
    """Record and read decisions, in the shift log's database (open the log first)."""

    def __init__(self, log_: ShiftLog, *, clock: Clock) -> None:
        self._log = log_
        self._clock = clock

    async def declare(
        self, user: str, *, degraded: bool, headway_s: int | None, from_ms: int, reason: str
    ) -> Decision:
        reason = reason.strip()
        if not reason:
            raise InvalidDecision(Message("timetable.refused.no_reason"))
        if len(reason) > MAX_REASON:
            raise InvalidDecision(Message("timetable.refused.reason_long", {"max": MAX_REASON}))
        if degraded and (headway_s is None or headway_s <= 0):
            raise InvalidDecision(Message("timetable.refused.no_headway"))
        if not degraded:
            headway_s = None
        at_ms = self._clock()
        async with writer(self._log.store.engine).begin() as conn:
            result = await conn.execute(
                timetable_decision.insert()
                .values(
                    at_ms=at_ms,
                    user=user,
                    degraded=degraded,
                    headway_s=headway_s,
                    from_ms=from_ms,
                    reason=reason,
                )
                .returning(*timetable_decision.c)
            )
            d = _decision(result.one())
        when = f"{hanoi_time(d.from_ms):%H:%M %d/%m}"
        msg = (
            Message(
                "log.timetable.degraded",
                {
                    "user": user,
                    "headway": minutes(d.headway_s or 0),
                    "from": when,
                    "reason": d.reason,
                },
            )
            if degraded
            else Message("log.timetable.normal", {"user": user, "from": when, "reason": d.reason})
        )
        self._log.post(NewEntry(author=SYSTEM_AUTHOR, category=Category.OPERATIONS, message=msg))
        return d

    async def recent(self, limit: int = 20) -> list[Decision]:
        """Newest first."""
        q = select(timetable_decision).order_by(timetable_decision.c.id.desc()).limit(limit)
        async with self._log.store.engine.connect() as conn:
            return [_decision(r) for r in (await conn.execute(q)).all()]

    async def current(self) -> Decision | None:
        """The degraded timetable in force or announced (None: the normal timetable)."""
        found = await self.recent(1)
        return found[0] if found and found[0].degraded else None
