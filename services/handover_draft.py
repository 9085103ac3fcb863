"""What the system drafts when an operator opens a handover: open and shelved alarms (the alarm
book), trips lost today and why (the trip ledger and the crew-constrained cancellations), crew
short on the next shift (the crew link's coverage), open shift log items, and incidents.

It lives in ``services`` because it joins the live line and the crew record to the shift log.
Incidents: the open incidents of the incident record (:func:`open_incidents`, wired in
``services/runtime.py``); without one (:data:`NO_INCIDENTS`) the section stays empty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time

from feeds.cancellations import CancelledTrips
from incidents import IncidentStore
from incidents.model import Status
from line.catalogue import Message, Param, name_of, render_both
from line.clock import HANOI, hanoi_time
from services.crew_link import CrewLink
from shiftlog.handover import Draft, Item, Section
from shiftlog.handovers import shift_when
from shiftlog.shifts import Shift
from shiftlog.store import ShiftLogStore
from shiftlog.timetable import TimetableDecisions, minutes
from telemetry.alarms import AlarmBook, AlarmState, Priority
from telemetry.state import LineState

#: Open incidents of a shift as handover items (a hook for the incident record).
IncidentSource = Callable[[Shift, int], Awaitable[list[Item]]]

MUST_ACK_PRIORITIES = (Priority.CRITICAL, Priority.HIGH)  # P1 and P2 are acknowledged one by one
LISTED_TRIPS = 10  # trips named in the "lost" item; the count covers them all
NEXT_SHIFT_MS = 8 * 3_600_000  # crew shifts starting within this of the handover are "next"


async def NO_INCIDENTS(_shift: Shift, _now_ms: int) -> list[Item]:
    """No incident record is wired in: the incidents section stays empty."""
    return []


def open_incidents(store: IncidentStore, *, limit: int = 50) -> IncidentSource:
    """The incidents still open, each handed over to acknowledge."""

    async def read(_shift: Shift, _now_ms: int) -> list[Item]:
        out = []
        for i in reversed(await store.search(status=Status.OPEN, limit=limit)):  # oldest first
            msg = Message(
                "handover.item.incident",
                {
                    "id": i.id,
                    "title": i.title,
                    "start": f"{hanoi_time(i.start_ms):%d/%m %H:%M}",
                    "user": i.created_by,
                },
            )
            out.append(_item(f"incident:{i.id}", Section.INCIDENTS, msg, must_ack=True))
        return out

    return read


def _item(key: str, section: Section, msg: Message, *, must_ack: bool = False) -> Item:
    vi, en = render_both(msg)
    return Item(key, section, vi, en, must_ack)


def _hm(ms: int) -> str:
    return f"{hanoi_time(ms):%H:%M}"


class HandoverDrafter:
    """``await drafter(shift, now_ms)`` → the draft of that shift's handover."""

    def __init__(
        self,
        *,
        alarms: AlarmBook,
        state: LineState,
        cancellations: CancelledTrips,
        crew_link: CrewLink,
        log: ShiftLogStore,
        incidents: IncidentSource = NO_INCIDENTS,
        timetable: TimetableDecisions | None = None,
    ) -> None:
        self._alarms = alarms
        self._state = state
        self._cancellations = cancellations
        self._crew_link = crew_link
        self._log = log
        self._incidents = incidents
        self._timetable = timetable

    @property
    def has_incidents(self) -> bool:
        """Whether an incident record fills the incidents section."""
        return self._incidents is not NO_INCIDENTS

    def alarm_items(self) -> list[Item]:
        out = []
        for a in self._alarms.active(include_shelved=True):
            base: dict[str, Param] = {
                "priority": int(a.priority),
                "alarm_id": a.id,
                "text": a.text,
            }
            if a.state is AlarmState.SHELVED:
                until = _hm(a.shelved_until_ms) if a.shelved_until_ms else "?"
                msg = Message(
                    "handover.item.shelved",
                    {
                        **base,
                        "user": a.shelved_by or "",
                        "until": until,
                        "reason": a.shelve_reason or "",
                    },
                )
                section = Section.SHELVED
            else:
                acked = (
                    Message("handover.item.acked", {"user": a.acked_by})
                    if a.acked_by
                    else Message("handover.item.unacked")
                )
                msg = Message("handover.item.alarm", {**base, "acked": acked})
                section = Section.ALARMS
            out.append(
                _item(f"alarm:{a.id}", section, msg, must_ack=a.priority in MUST_ACK_PRIORITIES)
            )
        return out

    def trip_items(self, now_ms: int) -> tuple[list[Item], int]:
        ledger = self._state.trips
        day = ledger.service_date
        if day is None:
            return [_item("trips", Section.TRIPS, Message("handover.item.trips_none"))], 0
        midnight_ms = int(datetime.combine(day, time(), HANOI).timestamp() * 1000)
        now_s = (now_ms - midnight_ms) / 1000
        lost = [r for r in ledger.records(now_s) if r.trip.id in ledger.lost_ids(now_s)]
        if not lost:
            return [_item("trips", Section.TRIPS, Message("handover.item.trips_none"))], 0
        cancelled_ids = self._cancellations.cancelled_trips(day)
        cancelled = {
            r.trip.id for r in lost if any(c.endswith("-" + r.trip.id) for c in cancelled_ids)
        }
        names = ", ".join(
            f"{r.trip.id} {_hm(midnight_ms + int(r.trip.depart_s * 1000))}"
            + (" (*)" if r.trip.id in cancelled else "")
            for r in lost[:LISTED_TRIPS]
        )
        more = "…" if len(lost) > LISTED_TRIPS else ""
        msg = Message(
            "handover.item.trips_lost",
            {
                "lost": len(lost),
                "cancelled": len(cancelled),
                "not_run": len(lost) - len(cancelled),
                "list": f": {names}{more}",
            },
        )
        return [_item("trips", Section.TRIPS, msg)], len(lost)

    def crew_items(self, shift: Shift, now_ms: int) -> tuple[list[Item], int]:
        upcoming = self._crew_link.upcoming
        if upcoming is None:
            return [_item("crew", Section.CREW, Message("handover.item.crew_unknown"))], 0
        out = []
        short = 0
        for s in upcoming:
            start_ms = int(s.start.timestamp() * 1000)
            if not (now_ms < start_ms < shift.end_ms + NEXT_SHIFT_MS):
                continue
            for role, n in sorted(s.by_role().items()):
                short += n
                msg = Message(
                    "handover.item.crew_short",
                    {
                        "shift": name_of("shift", s.shift_id),
                        "start": f"{hanoi_time(start_ms):%d/%m %H:%M}",
                        "n": n,
                        "role": Message(f"crew.role.{role}"),
                    },
                )
                key = f"crew:{s.service_date.isoformat()}:{s.shift_id}:{role}"
                out.append(_item(key, Section.CREW, msg, must_ack=True))
        if not out:
            out.append(_item("crew", Section.CREW, Message("handover.item.crew_ok")))
        return out, short

    async def log_items(self) -> list[Item]:
        out = []
        for e in await self._log.open_items():
            text = e.text if len(e.text) <= 300 else e.text[:299] + "…"
            msg = Message(
                "handover.item.log",
                {
                    "id": e.id,
                    "author": e.author,
                    "at": f"{hanoi_time(e.at_ms):%d/%m %H:%M}",
                    "text": text,
                },
            )
            out.append(_item(f"log:{e.id}", Section.LOG, msg, must_ack=True))
        return out

    async def timetable_items(self) -> list[Item]:
        """The degraded timetable in force, if one is: the incoming shift runs it."""
        d = None if self._timetable is None else await self._timetable.current()
        if d is None:
            return []
        msg = Message(
            "handover.item.timetable",
            {
                "headway": minutes(d.headway_s or 0),
                "from": f"{hanoi_time(d.from_ms):%H:%M %d/%m}",
                "reason": d.reason,
                "user": d.user,
            },
        )
        return [_item(f"timetable:{d.id}", Section.TRIPS, msg, must_ack=True)]

    async def __call__(self, shift: Shift, now_ms: int) -> Draft:
        alarms = self.alarm_items()
        trips, lost = self.trip_items(now_ms)
        trips = [*await self.timetable_items(), *trips]
        crew, short = self.crew_items(shift, now_ms)
        logged = await self.log_items()
        incidents = await self._incidents(shift, now_ms)
        open_alarms = [i for i in alarms if i.section is Section.ALARMS]
        summary = render_both(
            Message(
                "handover.summary",
                {
                    "shift": name_of("shift", shift.id),
                    "when": shift_when(shift),
                    "alarms": len(open_alarms),
                    "urgent": sum(1 for i in open_alarms if i.must_ack),
                    "shelved": len(alarms) - len(open_alarms),
                    "lost": lost,
                    "short": short,
                    "open": len(logged),
                },
            )
        )[0]
        return Draft(summary, tuple([*alarms, *trips, *crew, *logged, *incidents]))
