"""What the live line writes in the shift log by itself: P1/P2 alarms annunciated and alarm
shelves (from the alarm book's ``on_change``), the crew-constrained cancellations of the day's
trips (followed from :class:`feeds.cancellations.CancelledTrips`), and crew status changes
(F0/F1 declared, and cleared: back to available; followed from the crew store).

It lives in ``services`` because it joins the domain (telemetry's alarm book, the feeds) to an
application package (``shiftlog``): neither needs to know the other. The entries are catalogue
messages (``log.*`` codes in ``line/texts.py``), rendered in both languages at the edge, by
author ``system``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import date

import structlog

from crew import State
from crew.store import CrewStore
from feeds.cancellations import CancelledTrips
from line.catalogue import Message, Param
from line.clock import Clock, hanoi_time, wall_ms
from shiftlog import SYSTEM_AUTHOR, Category, NewEntry, ShiftLog
from telemetry.alarms import Alarm, AlarmEvent, Priority

log = structlog.get_logger(__name__)

LOGGED_PRIORITIES = (Priority.CRITICAL, Priority.HIGH)  # P1 and P2
_SEEN_MAX = 10_000  # alarms remembered, so a comment does not log the same raise twice


class AlarmFeed:
    """``on_change`` of the alarm book: one entry per P1/P2 annunciation and per shelve."""

    def __init__(self, log_: ShiftLog, trains: frozenset[str]) -> None:
        self._log = log_
        self._trains = trains
        # alarm id -> the journal event last logged: on_change also fires for comments, acks
        # and clears, which must not log the raise again
        self._seen: OrderedDict[int, AlarmEvent] = OrderedDict()

    def __call__(self, a: Alarm) -> None:
        if not a.events:
            return
        last = a.events[-1]
        if self._seen.get(a.id) is last:
            return
        msg: Message | None = None
        if last.what in ("raised", "reactivated") and a.priority in LOGGED_PRIORITIES:
            params: dict[str, Param] = {
                "priority": int(a.priority),
                "alarm_id": a.id,
                "text": a.text,
            }
            if last.what == "raised":
                msg = Message("log.alarm.raised", params)
            else:
                msg = Message("log.alarm.reactivated", params)
        elif last.what == "shelved":
            minutes = 0
            if a.shelved_until_ms is not None:
                minutes = max(1, round((a.shelved_until_ms - last.ts_ms) / 60_000))
            msg = Message(
                "log.alarm.shelved",
                {
                    "alarm_id": a.id,
                    "user": last.user or "",
                    "minutes": minutes,
                    "reason": a.shelve_reason or "",
                    "text": a.text,
                },
            )
        if msg is None:
            return
        self._seen[a.id] = last
        self._seen.move_to_end(a.id)
        while len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)
        self._log.post(
            NewEntry(
                author=SYSTEM_AUTHOR,
                category=Category.OPERATIONS,
                message=msg,
                train=a.source if a.source in self._trains else None,
                alarm_id=a.id,
            )
        )


class CancellationFeed:
    """Writes an entry when the set of today's cancelled trips changes (more or fewer).

    The first look after a start only takes the current set as known: a restart must not log
    the same cancellations again (the entry that reported them is already in the log).
    """

    def __init__(
        self,
        log_: ShiftLog,
        cancellations: CancelledTrips,
        *,
        clock: Clock,
        poll_s: float = 30.0,
    ) -> None:
        self._log = log_
        self._cancellations = cancellations
        self._clock = clock
        self._poll_s = poll_s
        self._known: tuple[date, frozenset[str]] | None = None

    def check(self) -> None:
        today = hanoi_time(self._clock()).date()
        now = frozenset(self._cancellations.cancelled_trips(today))
        known = self._known
        self._known = (today, now)
        if known is None or known[0] != today or known[1] == now:
            return
        added, restored = len(now - known[1]), len(known[1] - now)
        self._log.post(
            NewEntry(
                author=SYSTEM_AUTHOR,
                category=Category.OPERATIONS,
                message=Message(
                    "log.trips.cancelled",
                    {
                        "date": f"{today:%d/%m/%Y}",
                        "n": len(now),
                        "added": added,
                        "restored": restored,
                    },
                ),
            )
        )

    async def run(self) -> None:
        while True:
            try:
                self.check()
            except Exception:  # a failing source must not stop the log
                log.exception("cancelled trips check failed")
            await asyncio.sleep(self._poll_s)


LOGGED_STATES = (State.F0_ISOLATION, State.F1_QUARANTINE, State.AVAILABLE)


class CrewStatusFeed:
    """Writes an entry per crew status event recorded as F0, F1 or available (cleared).

    It follows the crew store's revision and writes the events recorded after the newest crew
    entry the system wrote before (so a restart neither repeats nor misses them); on a log with
    none, after the moment it started (the roster's past is not news).
    """

    def __init__(
        self, log_: ShiftLog, crew: CrewStore, *, clock: Clock = wall_ms, poll_s: float = 5.0
    ) -> None:
        self._log = log_
        self._crew = crew
        self._clock = clock
        self._poll_s = poll_s
        self._revision: int | None = None
        self._after_ms: int | None = None
        self._seen: set[str] = set()

    async def check(self) -> None:
        if self._after_ms is None:
            latest = await self._log.store.latest_at(author=SYSTEM_AUTHOR, category=Category.CREW)
            self._after_ms = self._clock() if latest is None else latest
        rev = await self._crew.revision()
        if rev == self._revision:
            return
        names = {v.item.id: v.item.name for v in await self._crew.staff()}
        events = await self._crew.status_events()
        for ev in sorted(events, key=lambda e: e.recorded_at):
            recorded_ms = int(ev.recorded_at.timestamp() * 1000)
            if ev.event_id in self._seen or recorded_ms <= self._after_ms:
                continue
            self._seen.add(ev.event_id)
            if ev.state not in LOGGED_STATES:
                continue
            effective = hanoi_time(int(ev.effective.timestamp() * 1000))
            self._log.post(
                NewEntry(
                    author=SYSTEM_AUTHOR,
                    category=Category.CREW,
                    message=Message(
                        "log.crew.status",
                        {
                            "staff": ev.staff_id,
                            "name": names.get(ev.staff_id, ""),
                            "state": Message(f"crew.state.{ev.state.value}"),
                            "effective": f"{effective:%d/%m %H:%M}",
                            "source": Message("log.crew.source", {"text": ev.source})
                            if ev.source
                            else None,
                        },
                    ),
                    staff_id=ev.staff_id,
                )
            )
        self._revision = rev

    async def run(self) -> None:
        logged = False
        while True:
            try:
                await self.check()
                logged = False
            except Exception:  # the crew store may be away: try again, say so once
                if not logged:
                    log.exception("crew status check for the shift log failed")
                    logged = True
            await asyncio.sleep(self._poll_s)
