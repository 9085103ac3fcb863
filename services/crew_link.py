"""The live link between telemetry and crew: is the driver at the cab cleared to drive?

The live state asks synchronously on every driver change (hot path: no I/O), so the link keeps
a crew snapshot in memory and reloads it whenever the store's revision moves; then it re-checks
every logged-on driver (someone marked F0 while driving raises the alarm at once). Logons are
booked as shifts worked (idempotent ids) so hours and overtime count in coverage. Every few
minutes the next shift's coverage is solved; a shortfall raises a warning on the board.

A database that cannot be reached is not hidden: the first failure is logged at ERROR, the
following ones at DEBUG until it works again (INFO), and :attr:`CrewLink.error` carries it to
``/healthz`` and the board (dependency ``crew_link``). Every loop goes on by itself; a logon
booking that could not be written is kept and retried, not dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog

from crew import (
    CrewOutlook,
    DutySpec,
    HoursLedger,
    Role,
    StaffingStandard,
    WorkRecord,
    clearance,
)
from crew.rules import CrewPolicy
from crew.store import CrewStore
from crew.store.errors import StoreError
from crew.store.outlook import (
    ShiftSummary,
    capacity_rows,
    shift_rows,
    shift_summaries,
    state_counts,
    stored_outlook,
)
from crew.store.records import CrewSnapshot
from line import Line
from line.catalogue import Message, name_of
from line.clock import Clock
from telemetry.alarms import AlarmBook, Priority
from telemetry.state import DriverVerdict, LineState

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Logon:
    driver: str
    train: str
    start: datetime
    end: datetime


class DriverClearance:
    """Answers :data:`telemetry.state.DriverCheck` at cab log-on from the crew snapshot that
    :class:`CrewLink` keeps loaded; the log-ons it clears are queued for booking as work.

    Built before the live state (which calls :meth:`check`) and given to the crew link (which
    fills :attr:`snapshot` and drains :attr:`logons`), so neither needs wiring afterwards.
    """

    def __init__(self, line: Line, policy: CrewPolicy, standard: StaffingStandard) -> None:
        self._line = line
        self._policy = policy
        self.standard = standard
        #: The crew record as last loaded; None until the first load.
        self.snapshot: CrewSnapshot | None = None
        self.logons: asyncio.Queue[_Logon] = asyncio.Queue(maxsize=10_000)

    # --- the synchronous check the live state calls ---------------------------------------
    def check(self, driver: str, train: str, ts_ms: int) -> DriverVerdict | None:
        snap = self.snapshot
        if snap is None:
            return None  # crew record not loaded yet: say nothing rather than guess
        person = snap.roster.by_id.get(driver)
        if person is None:
            return DriverVerdict(False, (Message("crew.problem.not_on_roster"),))
        at = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
        # Outside every rostered shift (a depot move at night) the health, test and
        # qualification rules still apply: check against a nominal one-hour duty.
        window = self._shift_window(at)
        start, end = window or (at, at + timedelta(hours=1))
        policy = self._policy
        ledger = HoursLedger(policy, [w for w in snap.work if not _is_same_shift(w, driver, start)])
        verdict = clearance(
            person,
            DutySpec(
                role=Role.DRIVER, line_id=self._line.id, rolling_stock=self.standard.rolling_stock
            ),
            start,
            end,
            roster=snap.roster,
            history=snap.history,
            ledger=ledger,
            policy=policy,
            as_of=at,
        )
        if window is not None:  # book rostered shifts only, not depot moves
            try:
                self.logons.put_nowait(_Logon(driver, train, start, end))
            except asyncio.QueueFull:  # dropping a booking beats blocking ingest
                log.warning("logon booking queue full: booking dropped", driver=driver)
        if verdict.ok:
            return DriverVerdict(True)
        return DriverVerdict(False, tuple(p.text for p in verdict.problems))

    def _shift_window(self, at: datetime) -> tuple[datetime, datetime] | None:
        tz = self._policy.tz
        local = at.astimezone(tz)
        for day in (local.date(), local.date() - timedelta(days=1)):
            for sh in self.standard.driver_shifts:
                start, end = sh.window(day, tz)
                if start <= at < end:
                    return start, end
        return None


class CrewLink:
    """Keeps the driver clearance's crew snapshot fresh, books cleared log-ons as work and
    watches the next shift's coverage (alarms, the board's crew summary)."""

    def __init__(
        self,
        store: CrewStore,
        line: Line,
        state: LineState,
        alarms: AlarmBook,
        clearance: DriverClearance,
        *,
        clock: Clock,
        refresh_s: float = 2.0,
        outlook_every_s: float = 300.0,
    ) -> None:
        self._store = store
        self._line = line
        self._state = state
        self._alarms = alarms
        self._clock = clock
        self._clearance = clearance
        self._std = clearance.standard
        self._refresh_s = refresh_s
        self._outlook_every_s = outlook_every_s
        self._changed = asyncio.Event()  # the crew record moved: re-solve the outlook soon
        #: Today's crew picture for the board (see :meth:`board_summary`); None until solved.
        self.summary: dict[str, Any] | None = None
        # shifts still to start with their coverage, as of the last check (handover drafts)
        self.upcoming: list[ShiftSummary] | None = None
        #: Why the link cannot reach the crew record now (None: it can); since when (ms).
        self.error: str | None = None
        self.error_since_ms: int | None = None

    def _failed(self, what: str, exc: BaseException) -> None:
        why = f"{what}: {type(exc).__name__}: {exc}".strip()[:300]
        if self.error is None:
            log.error("crew link failing", error=why)
            self.error_since_ms = self._clock()
        else:
            log.debug("crew link still failing", error=why)
        self.error = why

    def _recovered(self) -> None:
        if self.error is not None:
            log.info("crew link working again", down_ms=self._clock() - (self.error_since_ms or 0))
        self.error = self.error_since_ms = None

    @staticmethod
    def _work_id(driver: str, start: datetime) -> str:
        return f"logon:{driver}:{start.astimezone(UTC):%Y%m%dT%H%MZ}"

    # --- background work ------------------------------------------------------------------
    async def run(self) -> None:
        """Reload on change, book logons as work, and watch the next shift's coverage."""
        await asyncio.gather(self._reload_loop(), self._book_loop(), self._outlook_loop())

    async def reload(self) -> bool:
        """Load a fresh snapshot if the store changed; True when it did."""
        rev = await self._store.revision()
        snap = self._clearance.snapshot
        if snap is not None and snap.revision == rev:
            return False
        since = datetime.fromtimestamp(self._clock() / 1000, tz=UTC) - timedelta(days=8)
        first = snap is None
        self._clearance.snapshot = await self._store.snapshot(work_since=since)
        self._state.recheck_drivers()
        if not first:
            self._changed.set()
        return True

    async def _reload_loop(self) -> None:
        while True:
            try:
                await self.reload()
                self._recovered()
            except Exception as exc:  # the database is away: say so, try again
                self._failed("crew snapshot reload", exc)
            await asyncio.sleep(self._refresh_s)

    async def _book_loop(self) -> None:
        while True:
            lo = await self._clearance.logons.get()
            while True:
                try:
                    await self._store.record_work(
                        self._work_id(lo.driver, lo.start),
                        WorkRecord(staff_id=lo.driver, start=lo.start, end=lo.end),
                        actor="live-link",
                    )
                except StoreError as exc:  # another booking for the same shift: keep the first
                    log.debug("logon not booked", driver=lo.driver, error=str(exc))
                except Exception as exc:  # the database is away: keep the booking, retry
                    self._failed("logon booking", exc)
                    await asyncio.sleep(self._refresh_s)
                    continue
                break

    async def _outlook_loop(self) -> None:
        while True:
            try:
                await self.check_next_shift()
            except Exception as exc:
                self._failed("next-shift coverage check", exc)
            # wake early when the crew record changes (someone marked F0 shows on the board)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._outlook_every_s):
                    await self._changed.wait()
            self._changed.clear()

    async def check_next_shift(self) -> None:
        """Warn on the board when the next shift cannot be fully staffed."""
        now = datetime.fromtimestamp(self._clock() / 1000, tz=UTC)
        tz = self._store.policy.tz
        timetable = self._line.timetable(self._state.settings.timetable)
        snap, outlook = await stored_outlook(
            self._store,
            [(self._line, timetable)],
            start=now.astimezone(tz).date(),
            days=2,
            as_of=now,
            standard=self._std,
        )
        self.summary = self._board_summary(snap, outlook, now)
        upcoming = [
            s for day in outlook.days for s in shift_summaries(day.coverage) if s.start > now
        ]
        self.upcoming = upcoming
        key = "crew:next_shift:shortfall"
        if not upcoming or upcoming[0].missing == 0:
            self._alarms.clear(key)
            return
        nxt = upcoming[0]
        roles = tuple(
            Message("alarm.crew.role_missing", {"role": Message(f"crew.role.{r}"), "n": n})
            for r, n in sorted(nxt.by_role().items())
        )
        when = nxt.start.astimezone(tz)
        self._alarms.raise_alarm(
            key,
            Priority.MEDIUM,
            "crew",
            Message(
                "alarm.crew.shift_short",
                {
                    "shift": name_of("shift", nxt.shift_id),
                    "start": f"{when:%d/%m %H:%M}",
                    "roles": roles,
                },
            ),
        )

    def _board_summary(
        self, snap: CrewSnapshot, outlook: CrewOutlook, now: datetime
    ) -> dict[str, Any]:
        """Today's shifts, crew-constrained capacity and head counts by state (the board's
        ``crew``: ``api.schemas.board.CrewSummary``; shifts as ``/api/crew/coverage`` has them)."""
        today = outlook.days[0]
        counts = state_counts(snap, now)
        on_site = {
            m for c in snap.roster.cohorts if c.start <= now < c.planned_end for m in c.members
        }
        return {
            "as_of_ms": int(now.timestamp() * 1000),
            "revision": snap.revision,
            "service_date": today.service_date.isoformat(),
            "staffable": today.coverage.staffable,
            "first_unstaffable": _iso(outlook.first_unstaffable),
            "first_degraded": _iso(outlook.first_degraded),
            "staff": len(snap.roster.staff),
            "counts": counts,
            "on_site": len(on_site),
            "shifts": shift_rows(today.coverage, snap),
            "capacity": capacity_rows(today),
        }


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _is_same_shift(w: WorkRecord, driver: str, start: datetime) -> bool:
    return w.staff_id == driver and w.start == start
