"""When reports are due: local wall-clock slots (07:00, 11:00, 17:00), one report each.

:class:`Schedule` is the arithmetic (slots in a time zone, as UTC milliseconds).
:class:`ReportScheduler` runs it on the runtime's clock: at each check it takes the latest slot
that has begun and, if no report is stored for it, produces one. So:

* a slot is reported **once** — the stored report is the record, the store refuses a second
  one for the same slot (also across API replicas), and a produced slot is remembered;
* after a restart the **latest missed slot is caught up once** (down from 10:40 to 12:30: the
  11:00 report is made soon after 12:30); slots missed before it are skipped, since a report
  is about the present and the catch-up covers their period anyway. The catch-up waits
  ``catch_up_delay_s`` after the start, so the live state (trains, trips, alarms — derived
  from the telemetry stream) has filled before it is reported on;
* a failed attempt is retried at the next check (logged once at ERROR, then DEBUG).

Checks happen at each slot and at least every ``poll_s``; time comes from the injected clock,
so tests move it and call :meth:`ReportScheduler.step`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time, timedelta, tzinfo

import structlog

from line.clock import Clock
from reports.store import SlotTaken

log = structlog.get_logger(__name__)


class Schedule:
    """Report slots at local ``times`` in ``tz``; instants are UTC milliseconds."""

    def __init__(self, times: Sequence[time], tz: tzinfo) -> None:
        self.times = tuple(sorted(set(times)))
        self.tz = tz

    def _slots_around(self, t_ms: int) -> list[int]:
        day = datetime.fromtimestamp(t_ms / 1000, self.tz).date()
        return sorted(
            int(datetime.combine(day + timedelta(days=k), t, self.tz).timestamp() * 1000)
            for k in (-1, 0, 1)
            for t in self.times
        )

    def latest(self, t_ms: int) -> int | None:
        """The latest slot at or before ``t_ms`` (None without times)."""
        return next((s for s in reversed(self._slots_around(t_ms)) if s <= t_ms), None)

    def next(self, t_ms: int) -> int | None:
        """The first slot after ``t_ms``."""
        return next((s for s in self._slots_around(t_ms) if s > t_ms), None)


class ReportScheduler:
    """Produces one report per slot (see the module docstring).

    ``produce(slot_ms)`` makes and stores the report (raising
    :class:`~reports.store.SlotTaken` when another process did); ``reported(slot_ms)``
    says whether one is stored.
    """

    def __init__(
        self,
        schedule: Schedule,
        *,
        produce: Callable[[int], Awaitable[object]],
        reported: Callable[[int], Awaitable[bool]],
        clock: Clock,
        poll_s: float = 30.0,
        catch_up_delay_s: float = 0.0,
    ) -> None:
        self.schedule = schedule
        self._produce = produce
        self._reported = reported
        self._clock = clock
        self.poll_s = poll_s
        self.catch_up_delay_ms = round(catch_up_delay_s * 1000)
        self._started_ms: int | None = None
        self._done: set[int] = set()
        self._failing = False

    async def step(self) -> int | None:
        """Check once; the slot reported now, if any."""
        now = self._clock()
        if self._started_ms is None:
            self._started_ms = now
        slot = self.schedule.latest(now)
        if slot is None or slot in self._done:
            return None
        if slot < self._started_ms and now - self._started_ms < self.catch_up_delay_ms:
            return None  # missed while down: report it once the live state has filled
        try:
            if await self._reported(slot):
                self._done.add(slot)
                return None
            if now - slot > 60_000:
                log.info("catching up a missed report slot", slot=slot, late_s=(now - slot) // 1000)
            await self._produce(slot)
        except SlotTaken:
            self._done.add(slot)  # another replica reported it first
            return None
        except Exception:
            (log.debug if self._failing else log.exception)("scheduled report failed", slot=slot)
            self._failing = True
            return None
        if self._failing:
            log.info("scheduled reports recovered", slot=slot)
        self._failing = False
        self._done.add(slot)
        if len(self._done) > 64:  # only recent slots can come round again
            self._done = set(sorted(self._done)[-16:])
        return slot

    def _sleep_s(self) -> float:
        now = self._clock()
        wake = [w for w in (self.schedule.next(now),) if w is not None]
        if self._started_ms is not None and now < self._started_ms + self.catch_up_delay_ms:
            wake.append(self._started_ms + self.catch_up_delay_ms)
        until = (min(wake) - now) / 1000 + 0.05 if wake else self.poll_s
        return max(0.01, min(self.poll_s, until))

    async def run(self) -> None:
        """Check at every slot and every ``poll_s`` until cancelled."""
        log.info(
            "report schedule",
            times=[t.strftime("%H:%M") for t in self.schedule.times],
            tz=str(self.schedule.tz),
        )
        while True:
            await self.step()
            await asyncio.sleep(self._sleep_s())
