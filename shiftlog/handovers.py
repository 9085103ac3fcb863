"""Handovers as the running system uses them: open one for the shift on now (drafted by the
system), edit, sign, acknowledge items, accept; each step that matters writes a shift log
entry; a shift that ended without a signed handover is reported as "not handed over" (on the
overview at once, and in the shift log when its end passes).

What the draft contains is not this package's business: the caller passes a ``drafter`` (the
composition root joins the alarm book, the trip ledger, the crew coverage and the log).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from line.catalogue import Message, Param, name_of
from line.clock import Clock, hanoi_time
from shiftlog.handover import Draft, Handover, HandoverState
from shiftlog.handover_store import HandoverNotFound, HandoverRefused, HandoverStore
from shiftlog.model import SYSTEM_AUTHOR, Category, NewEntry
from shiftlog.service import ShiftLog
from shiftlog.shifts import Shift, ShiftCalendar

log = structlog.get_logger(__name__)

Drafter = Callable[[Shift, int], Awaitable[Draft]]

#: After a shift's end, how long its outgoing operator may still open its handover (a handover
#: begun a few minutes late belongs to the shift that ended, not to the one just starting).
LATE_MS = 30 * 60_000
#: How far back the overview lists ended shifts.
OVERVIEW_MS = 24 * 3_600_000


class HandoverStatus:
    CURRENT = "current"  # on now, no handover signed yet
    DRAFT = "draft"
    SIGNED = "signed"
    ACCEPTED = "accepted"
    DUE = "due"  # ended less than LATE_MS ago, no handover signed yet
    NOT_HANDED_OVER = "not_handed_over"  # ended (LATE_MS ago) without a signed handover


@dataclass(frozen=True, slots=True)
class ShiftStatus:
    shift: Shift
    status: str
    handover: Handover | None


def shift_when(shift: Shift) -> str:
    """A shift's span as the UI writes times: ``06:00 05/12/2026–14:00 05/12/2026``."""
    a, b = hanoi_time(shift.start_ms), hanoi_time(shift.end_ms)
    return f"{a:%H:%M %d/%m/%Y}–{b:%H:%M %d/%m/%Y}"


def _names(shift: Shift) -> dict[str, Param]:
    return {"shift": name_of("shift", shift.id), "when": shift_when(shift)}


def _status(shift: Shift, h: Handover | None, now_ms: int) -> str:
    if h is not None and h.state is not HandoverState.DRAFT:
        return h.state.value
    if shift.end_ms + LATE_MS <= now_ms:
        return HandoverStatus.NOT_HANDED_OVER
    if shift.end_ms <= now_ms:
        return HandoverStatus.DUE
    return HandoverStatus.DRAFT if h is not None else HandoverStatus.CURRENT


class Handovers:
    def __init__(
        self,
        log_: ShiftLog,
        calendar: ShiftCalendar,
        drafter: Drafter,
        *,
        clock: Clock,
        poll_s: float = 30.0,
    ) -> None:
        self._log = log_
        self.store = HandoverStore(log_.store)
        self.calendar = calendar
        self._drafter = drafter
        self._clock = clock
        self._poll_s = poll_s
        self._checked_until: int | None = None

    def _post(self, msg: Message) -> None:
        self._log.post(NewEntry(author=SYSTEM_AUTHOR, category=Category.OPERATIONS, message=msg))

    async def shift_to_hand_over(self, now_ms: int) -> Shift:
        """The shift a handover opened now is for: the one on now, or the one that ended less
        than :data:`LATE_MS` ago while it has no signed handover."""
        on = self.calendar.at(now_ms)
        before = self.calendar.at(on.start_ms - 1)
        if now_ms - before.end_ms < LATE_MS:
            h = await self.store.for_shift(before.start_ms)
            if h is None or h.state is HandoverState.DRAFT:
                return before
        return on

    async def open(self, user: str) -> tuple[Handover, bool]:
        now = self._clock()
        shift = await self.shift_to_hand_over(now)
        existing = await self.store.for_shift(shift.start_ms)
        if existing is not None:
            return existing, False
        draft = await self._drafter(shift, now)
        return await self.store.open(shift, user, draft, now)

    async def edit(self, handover_id: int, user: str, summary: str) -> Handover:
        h = await self.store.get(handover_id)
        if h.opened_by != user:
            raise HandoverRefused(
                Message("handover.refused.not_opener_edit", {"user": h.opened_by})
            )
        return await self.store.edit(handover_id, summary)

    async def sign(self, handover_id: int, user: str) -> Handover:
        h = await self.store.get(handover_id)
        if h.opened_by != user:
            raise HandoverRefused(
                Message("handover.refused.not_opener_sign", {"user": h.opened_by})
            )
        signed = await self.store.sign(handover_id, user, self._clock())
        shift = Shift(signed.shift_id, signed.shift_start_ms, signed.shift_end_ms)
        must = sum(1 for i in signed.items if i.must_ack)
        self._post(
            Message(
                "log.handover.signed",
                {**_names(shift), "user": user, "items": len(signed.items), "must": must},
            )
        )
        return signed

    def _incoming(self, h: Handover, user: str) -> None:
        if user == h.signed_by or user == h.opened_by:
            raise HandoverRefused(Message("handover.refused.incoming"))

    async def ack(self, handover_id: int, key: str, user: str) -> Handover:
        self._incoming(await self.store.get(handover_id), user)
        return await self.store.ack(handover_id, key, user, self._clock())

    async def accept(self, handover_id: int, user: str) -> Handover:
        self._incoming(await self.store.get(handover_id), user)
        done = await self.store.accept(handover_id, user, self._clock())
        shift = Shift(done.shift_id, done.shift_start_ms, done.shift_end_ms)
        self._post(
            Message(
                "log.handover.accepted",
                {**_names(shift), "user": user, "by": done.signed_by or ""},
            )
        )
        return done

    async def overview(self) -> tuple[ShiftStatus, list[ShiftStatus]]:
        """The shift on now and the shifts ended in the last 24 h (newest first), each with its
        handover and status."""
        now = self._clock()
        on = self.calendar.at(now)
        ended = self.calendar.ended(now - OVERVIEW_MS, now)
        since = min([s.start_ms for s in ended] + [on.start_ms])
        by_start = {h.shift_start_ms: h for h in await self.store.between(since, now + 1)}

        def status(s: Shift) -> ShiftStatus:
            h = by_start.get(s.start_ms)
            return ShiftStatus(s, _status(s, h, now), h)

        return status(on), [status(s) for s in ended]

    async def check_ended(self) -> None:
        """Write "not handed over" for each shift that ended (:data:`LATE_MS` ago) since the
        last check without a signed handover. The first check after a start only notes the
        time: a restart must not log the same shift twice (its entry was written when its end
        passed)."""
        now = self._clock()
        since = self._checked_until
        self._checked_until = now
        if since is None:
            return
        for shift in self.calendar.ended(since - LATE_MS, now - LATE_MS):
            h = await self.store.for_shift(shift.start_ms)
            if h is None or h.state is HandoverState.DRAFT:
                self._post(Message("log.handover.missing", _names(shift)))

    async def run(self) -> None:
        failing = False
        while True:
            try:
                await self.check_ended()
                failing = False
            except Exception:  # the database may be away: try again, say so once
                if not failing:
                    log.exception("handover check failed")
                    failing = True
            await asyncio.sleep(self._poll_s)


__all__ = ["Drafter", "HandoverNotFound", "HandoverRefused", "Handovers", "ShiftStatus"]
