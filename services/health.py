"""Health of every dependency of the live side, one alarm per failed dependency, and the
grouping of its consequential alarms.

Each dependency has a level: ``ok``, ``degraded`` (working with a fallback or partly: InfluxDB
unreachable but points spooled, one PLC of five stale) or ``down``. ``/healthz`` answers 200
while the live board can be trusted (every dependency ok, or degraded-but-serving: database,
history, InfluxDB or PLC trouble) and 503 when it cannot (the broker is down: no train is
updating), naming the dependency (``untrusted_because``).

A dependency down for ``debounce_s`` raises one alarm naming it (``system:<name>:down``),
cleared when it recovers. From the broker's alarm on, and ``outage_grace_s`` after the broker
returns (at least until the gaps it caused are declared lost), the per-train "no telemetry" and
message-loss alarms it causes are withheld (ISA-18.2 designed suppression) — the board still
shows each train stale and its lost seq ranges — and when the grouping ends they are written
into the broker alarm's journal ("grouped": which trains, how many messages, which seq): a
14 s outage is one alarm, not 34. A blip shorter than the debounce raises no broker alarm and
groups nothing. PLCs keep their own per-device stale alarms (each is its own cause).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from line.catalogue import Message
from line.clock import Clock
from storage.engine import writer
from telemetry.alarms import AlarmBook, AlarmNotFound, Priority
from telemetry.mqtt import MqttIngest
from telemetry.sinks.base import Sink
from telemetry.sinks.embedded import EmbeddedStore
from telemetry.sinks.influx import InfluxSink
from telemetry.state import LineState

log = structlog.get_logger(__name__)

# dependencies with an alarm text of their own (alarm.dependency.<name> in the catalogue)
_DEPENDENCY_PRIORITY = {
    "broker": Priority.CRITICAL,
    "database": Priority.HIGH,
    "history": Priority.HIGH,
    "influx": Priority.MEDIUM,
}


class Level(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    level: Level
    detail: str = ""
    critical: bool = False  # down → the live board cannot be trusted (503)

    def as_dict(self, since_ms: int | None) -> dict[str, Any]:
        return {"status": self.level.value, "detail": self.detail or None, "since_ms": since_ms}


class DbHealth:
    """The database as the API and the background tasks see it, probed periodically.

    The probe takes the write lock (SQLite ``BEGIN IMMEDIATE``): a database another process has
    locked is as unusable for crew writes as a stopped server. Failures the API meets (mapped
    to 503) are reported here too, so the state changes before the next probe; a successful
    probe is the recovery.
    """

    def __init__(
        self,
        engine: Callable[[], AsyncEngine | None],
        clock: Clock,
        *,
        timeout_s: float = 5.0,
        every_s: float = 2.0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._timeout_s = timeout_s
        self._every_s = every_s
        self.error: str | None = None
        self.since_ms: int | None = None

    def failed(self, exc: BaseException) -> None:
        why = f"{type(exc).__name__}: {exc}".strip()[:300]
        if self.error is None:
            log.error("database unavailable", error=why)
            self.since_ms = self._clock()
        self.error = why

    def recovered(self) -> None:
        if self.error is not None:
            log.info("database available again", down_ms=self._clock() - (self.since_ms or 0))
            self.since_ms = self._clock()
        self.error = None

    async def probe(self) -> bool:
        engine = self._engine()
        if engine is None:
            return True  # not opened yet: nothing to say
        try:
            async with asyncio.timeout(self._timeout_s):
                async with writer(engine).begin() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means the database cannot serve us now
            self.failed(exc if str(exc) else TimeoutError(f"no answer in {self._timeout_s} s"))
            return False
        self.recovered()
        return True

    async def run(self) -> None:
        while True:
            await self.probe()
            await asyncio.sleep(self._every_s)


class HealthMonitor:
    """Evaluates every dependency; raises and clears their alarms; groups consequences."""

    def __init__(
        self,
        *,
        state: LineState,
        alarms: AlarmBook,
        clock: Clock,
        ingest: MqttIngest | None,
        db: DbHealth | None,
        sinks: Sequence[Sink],
        extra: Callable[[], list[Dependency]] | None = None,
        debounce_s: float = 2.0,
        outage_grace_s: float = 10.0,
        every_s: float = 0.5,
    ) -> None:
        self._state = state
        self._alarms = alarms
        self._clock = clock
        self._ingest = ingest
        self._db = db
        self._sinks = tuple(sinks)
        self._extra = extra
        self._debounce_ms = int(debounce_s * 1000)
        self._grace_ms = int(outage_grace_s * 1000)
        self._every_s = every_s
        self._since: dict[str, tuple[Level, int]] = {}  # name → (level, since ms)
        self._alarm_ids: dict[str, int] = {}  # dependency → the id of its latest alarm

    def dependencies(self) -> list[Dependency]:
        out: list[Dependency] = []
        if self._ingest is not None:
            up = self._ingest.connected
            out.append(
                Dependency(
                    "broker",
                    Level.OK if up else Level.DOWN,
                    "" if up else "MQTT broker not connected: train telemetry not updating",
                    critical=True,
                )
            )
        if self._db is not None:
            err = self._db.error
            out.append(Dependency("database", Level.DOWN if err else Level.OK, err or ""))
        for s in self._sinks:
            if isinstance(s, EmbeddedStore):
                problem = s.problem
                out.append(
                    Dependency("history", Level.DOWN if problem else Level.OK, problem or "")
                )
            elif isinstance(s, InfluxSink):
                # unreachable: points are spooled to disk and replayed later (degraded)
                outage = s.outage
                out.append(
                    Dependency("influx", Level.DEGRADED if outage else Level.OK, outage or "")
                )
        for sv in self._state.substations.values():
            out.append(
                Dependency(
                    f"plc:{sv.id}",
                    Level.DOWN if sv.stale else Level.OK,
                    sv.stale_reason or "" if sv.stale else "",
                )
            )
        if self._extra is not None:
            out.extend(self._extra())
        return out

    def report(self) -> dict[str, Any]:
        """The body of ``/healthz`` (and the board's ``health``): overall and per dependency."""
        now = self._clock()
        deps = self.dependencies()
        self._note(deps, now)
        untrusted = [d.name for d in deps if d.critical and d.level is Level.DOWN]
        worst = Level.OK
        if any(d.level is not Level.OK for d in deps):
            worst = Level.DEGRADED
        if untrusted:
            worst = Level.DOWN
        return {
            "status": worst.value,
            "live_board": not untrusted,
            "untrusted_because": untrusted,
            "dependencies": {d.name: d.as_dict(self._since[d.name][1]) for d in deps},
            "withheld_alarms": self._state.withheld,
        }

    def _note(self, deps: list[Dependency], now: int) -> None:
        for d in deps:
            prev = self._since.get(d.name)
            if prev is None or prev[0] is not d.level:
                self._since[d.name] = (d.level, now)

    def check(self) -> None:
        """One evaluation: alarms for dependencies down long enough; the grouping cause."""
        now = self._clock()
        deps = self.dependencies()
        self._note(deps, now)
        broker_alarmed = False
        for d in deps:
            if d.name.startswith("plc:"):
                continue  # PLCs have their own per-device stale alarm
            key = f"system:{d.name}:down"
            down_for = now - self._since[d.name][1]
            if d.level is not Level.OK and down_for >= self._debounce_ms:
                # grouping needs an alarm to group under: a blip shorter than the debounce
                # raises none, and its consequences (if any) are alarmed as usual
                broker_alarmed = broker_alarmed or d.name == "broker"
                if not self._alarms.is_active(key):
                    self._raise(d, key)
            elif d.level is Level.OK and self._alarms.is_active(key):
                self._alarms.clear(key)
        if broker_alarmed:
            self._state.set_cause("broker", now)
        elif self._state.end_cause(now, self._grace_ms):
            # the grouping is over: what it held goes into the broker alarm's journal
            alarm_id = self._alarm_ids.get("broker")
            if alarm_id is not None:
                with contextlib.suppress(AlarmNotFound):
                    self._alarms.note(alarm_id, "grouped", self._state.withheld_summary())

    def _raise(self, d: Dependency, key: str) -> None:
        prio = _DEPENDENCY_PRIORITY.get(d.name)
        # the broker's detail is left out: its alarm groups the per-train ones instead
        detail = d.detail[:200] if d.detail and d.name != "broker" else None
        suffix = Message("alarm.detail", {"text": detail}) if detail else None
        if prio is None:
            prio = Priority.HIGH
            msg = Message("alarm.dependency.other", {"name": d.name, "detail": suffix})
        else:
            msg = Message(f"alarm.dependency.{d.name}", {"detail": suffix})
        a = self._alarms.raise_alarm(key, prio, d.name, msg)
        if a is not None:
            self._alarm_ids[d.name] = a.id

    async def run(self) -> None:
        while True:
            try:
                self.check()
            except Exception:  # a bug here must not stop the board
                log.exception("health check failed")
            await asyncio.sleep(self._every_s)
