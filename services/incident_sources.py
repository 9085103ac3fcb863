"""Where an incident's timeline comes from: the alarm book's journal, the audit log, the crew
store's status events, the trip ledger and the shift log, each as an
:class:`incidents.TimelineSource`.

It lives in ``services`` because it joins the domain (telemetry's alarm book and trip ledger,
the crew store) and two application packages (``accounts``' audit log, the ``shiftlog``) to a
third (``incidents``), none of which may know the others. Texts are catalogue messages
(``incident.*`` in ``line/texts.py``) rendered in both languages here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from accounts import AuditLog
from accounts.audit_text import action_text, detail_text, result_text
from crew.store import CrewStore
from incidents import Source, TimelineEvent
from line import Line
from line.catalogue import Message, render_both
from line.clock import HANOI, hanoi_time
from shiftlog import ShiftLogStore
from telemetry.alarms import Alarm, AlarmBook, AlarmNotFound
from telemetry.state import LineState

#: journal lines the catalogue names; any other (a future kind) is shown as its code
KNOWN_WHAT = frozenset(
    {
        "raised",
        "reactivated",
        "cleared",
        "acked",
        "shelved",
        "unshelved",
        "shelve_expired",
        "returned_while_shelved",
        "grouped",
    }
)
#: audit actions that are not part of an incident: signing in and out
_NOT_EVENTS = ("login", "logout")
_PAGE = 500
MAX_PER_SOURCE = 5000  # bounds each source's read, like the timeline itself


def _event(at_ms: int, source: Source, kind: str, msg: Message, **links: Any) -> TimelineEvent:
    vi, en = render_both(msg)
    return TimelineEvent(at_ms=at_ms, source=source, kind=kind, text=vi, text_en=en, **links)


class AlarmJournal:
    """Every journal line (raise, clear, ack, shelve…) and comment of the alarms the book
    still holds (open ones and up to ``history_max`` closed ones), in the window."""

    name = "alarms"

    def __init__(self, alarms: AlarmBook) -> None:
        self._alarms = alarms

    def _all(self) -> list[Alarm]:
        return [*self._alarms.active(include_shelved=True), *self._alarms.history(10**9)]

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]:
        out: list[TimelineEvent] = []
        for a in self._all():
            train = a.subject.train if a.subject else None
            for e in a.events:
                if not start_ms <= e.ts_ms < end_ms:
                    continue
                what: Message | str = (
                    Message(f"incident.what.{e.what}") if e.what in KNOWN_WHAT else e.what
                )
                msg = Message(
                    "incident.alarm",
                    {
                        "alarm_id": a.id,
                        "priority": int(a.priority),
                        "what": what,
                        "user": Message("incident.alarm.by", {"user": e.user}) if e.user else None,
                        "text": a.text,
                        "detail": _journal_detail(e.detail, e.note),
                    },
                )
                out.append(
                    _event(
                        e.ts_ms,
                        Source.ALARM,
                        f"alarm.{e.what}",
                        msg,
                        user=e.user,
                        train=train,
                        alarm_id=a.id,
                        ref=f"alarm {a.id}",
                    )
                )
            for c in a.comments:
                if start_ms <= c.ts_ms < end_ms:
                    msg = Message(
                        "incident.alarm.comment",
                        {"user": c.user, "alarm_id": a.id, "comment": c.text},
                    )
                    out.append(
                        _event(
                            c.ts_ms,
                            Source.ALARM,
                            "alarm.comment",
                            msg,
                            user=c.user,
                            train=train,
                            alarm_id=a.id,
                            ref=f"alarm {a.id}",
                        )
                    )
        return out


def _journal_detail(text: str | None, note: Message | None) -> Message | None:
    """ " — reason (30 phút)": what the person wrote, then what the system added."""
    if text and note:
        return Message("incident.alarm.detail_note", {"text": text, "note": note})
    if note:
        return Message("incident.alarm.note", {"note": note})
    return Message("alarm.detail", {"text": text}) if text else None


def _as_id(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


class AuditTrail:
    """What people did (the audit log), signing in and out aside. An alarm action that the
    alarm book's journal still shows is left to the journal (one line per act, not two); one
    whose alarm has aged out of the book is shown from the audit log."""

    name = "audit"

    def __init__(self, audit: AuditLog, alarms: AlarmBook) -> None:
        self._audit = audit
        self._alarms = alarms

    def _journal_has(self, alarm_id: int | None) -> bool:
        if alarm_id is None:
            return False
        try:
            self._alarms.get(alarm_id)
        except AlarmNotFound:
            return False
        return True

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]:
        out: list[TimelineEvent] = []
        before: int | None = None
        read = 0
        while read < MAX_PER_SOURCE:
            page = await self._audit.query(
                since_ms=start_ms, until_ms=end_ms, before_id=before, limit=_PAGE
            )
            read += len(page.entries)
            for a in page.entries:
                if a.action.split(".")[0] in _NOT_EVENTS:
                    continue
                alarm_id = _as_id(a.detail.get("alarm_id"))
                if (
                    a.action.startswith("alarm.")
                    and a.result == "ok"
                    and self._journal_has(alarm_id)
                ):
                    continue
                train = a.detail.get("train")
                staff = a.detail.get("staff_id")
                said = detail_text(a.detail)
                msg = Message(
                    "incident.audit",
                    {
                        "user": a.user,
                        "action": action_text(a.action),
                        "result": result_text(a.result),
                        "detail": Message("alarm.detail", {"text": said}) if said else None,
                    },
                )
                out.append(
                    _event(
                        a.at_ms,
                        Source.AUDIT,
                        f"audit.{a.action}",
                        msg,
                        user=a.user,
                        train=train if isinstance(train, str) else None,
                        alarm_id=alarm_id,
                        staff_id=staff if isinstance(staff, str) else None,
                        ref=f"audit {a.id}",
                    )
                )
            if page.next_before_id is None:
                break
            before = page.next_before_id
        return out


class CrewChanges:
    """Crew status changes recorded in the window (F0, F1, sick, back to available…), at the
    time they were recorded: when the control room could know."""

    name = "crew"

    def __init__(self, crew: CrewStore) -> None:
        self._crew = crew

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]:
        out: list[TimelineEvent] = []
        names = {v.item.id: v.item.name for v in await self._crew.staff()}
        for ev in await self._crew.status_events():
            at = int(ev.recorded_at.timestamp() * 1000)
            if not start_ms <= at < end_ms:
                continue
            effective = ev.effective.astimezone(HANOI)
            msg = Message(
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
            )
            out.append(
                _event(
                    at,
                    Source.CREW,
                    f"crew.{ev.state.value}",
                    msg,
                    staff_id=ev.staff_id,
                    ref=f"crew event {ev.event_id}",
                )
            )
        return out


class LostTrips:
    """Trips of the current service day that nobody ran (the trip ledger), at their planned
    departure. The ledger keeps today only: earlier days' lost trips are in the shift log
    (the cancellations) and the situation reports."""

    name = "trips"

    def __init__(self, state: LineState, line: Line) -> None:
        self._state = state
        self._line = line

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]:
        ledger = self._state.trips
        now = self._state.field_ts_ms
        day = ledger.service_date
        if now is None or day is None:
            return []
        _, t_s = self._state.plan_for(now)
        lost = ledger.lost_ids(t_s)
        midnight = datetime.combine(day, time(0), HANOI)
        stations = {s.id: s.name for s in self._line.stations}
        out: list[TimelineEvent] = []
        for r in ledger.records(t_s):
            if r.trip.id not in lost:
                continue
            at = int((midnight + timedelta(seconds=r.trip.depart_s)).timestamp() * 1000)
            if not start_ms <= at < end_ms:
                continue
            msg = Message(
                "incident.trip.lost",
                {
                    "trip": r.trip.id,
                    "origin": stations.get(r.trip.origin, r.trip.origin),
                    "depart": f"{hanoi_time(at):%H:%M}",
                },
            )
            out.append(
                _event(at, Source.TRIP, "trip.lost", msg, train=r.trip.train or None, ref=r.trip.id)
            )
        return out


class ShiftLogEntries:
    """Shift log entries written in the window, by people and by the system."""

    name = "shift log"

    def __init__(self, store: ShiftLogStore) -> None:
        self._store = store  # the shift log's store, opened by the runtime

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]:
        out: list[TimelineEvent] = []
        before: int | None = None
        store = self._store
        while len(out) < MAX_PER_SOURCE:
            page = await store.page(since_ms=start_ms, until_ms=end_ms, before=before, limit=_PAGE)
            for e in page.entries:
                vi, en = (e.text, e.text_en) if e.message is None else render_both(e.message)
                out.append(
                    TimelineEvent(
                        at_ms=e.at_ms,
                        source=Source.LOG,
                        kind=f"log.{e.category.value}",
                        text=vi,
                        text_en=en or vi,
                        user=e.author,
                        train=e.train,
                        alarm_id=e.alarm_id,
                        staff_id=e.staff_id,
                        ref=f"log {e.id}",
                    )
                )
            if page.next_before is None:
                break
            before = page.next_before
        return out
