"""Replay: the line at any past moment, rebuilt from what was recorded — never from live state.

:meth:`Replay.at` reads, for an instant ``T`` (epoch ms):

- **trains and substations** from the telemetry history (the :class:`HistoryReader` the runtime
  wires: the embedded store, which keeps history also when InfluxDB is configured): each one's
  latest point at or before ``T``, one indexed lookup per entity (``points_series`` index:
  measurement, entity, ts_ms), so a seek costs the same at any depth of history. A train whose
  latest report is overdue (older than 1.5 × its own report spacing plus ``state.stale_after_s``)
  is shown stale, as the live board would;
- **alarms open at T** with their acks, shelves and comments, from the alarm journal
  (:mod:`telemetry.alarm_journal`: keyframes and event rows);
- **crew status changes** recorded by ``T`` and effective in the ``window_h`` hours before it
  (the crew store's append-only status events);
- **the shift log** as it stood at ``T`` (entries written in the ``window_h`` before it, read
  only), which holds the trips cancelled for want of drivers and degraded-timetable decisions
  as they were recorded (``cancellations`` are those entries of code ``log.trips.cancelled``).

The answer carries a whole board (the same shape as ``GET /api/board``), so the web board
draws it with its own components. What history does not record is left empty, never
invented: schedule deviation, headways, trip counts, crew coverage and health are ``null``
or empty in a replayed board.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crew.store import CrewStore
from line import Direction, Line
from shiftlog import ShiftLog
from telemetry.alarm_journal import AlarmJournalStore
from telemetry.alarms import AlarmState, Priority
from telemetry.sinks.base import HistoryReader
from telemetry.state import IN_SERVICE_MODES

#: how far back a train's or substation's latest point is looked for (beyond: not shown)
LOOKBACK_MS = 15 * 60_000
CANCELLED_CODE = "log.trips.cancelled"
#: the ICD's track numbers (docs/icd.md): 1 outbound, 2 inbound
TRACKS = {1: Direction.OUTBOUND, 2: Direction.INBOUND}


@dataclass(frozen=True, slots=True)
class ReplaySources:
    """Where a replay reads from; all read-only."""

    line: Line
    history: HistoryReader
    journal: AlarmJournalStore
    crew: CrewStore
    shift_log: ShiftLog
    stale_after_ms: int
    retention_ms: int
    window_h: float = 12.0
    max_days: float = 7.0


class Replay:
    """Builds replayed boards; holds no state of its own."""

    def __init__(self, sources: ReplaySources) -> None:
        self._s = sources

    async def at(self, at_ms: int) -> dict[str, Any]:
        """The line at ``at_ms``: ``board`` (the live board's shape) and what else was
        recorded by then. Raises :class:`~telemetry.sinks.base.HistoryUnavailable`."""
        s = self._s
        trains, subs, alarms, crew_events, log = await asyncio.gather(
            self._trains(at_ms),
            self._substations(at_ms),
            s.journal.open_at(at_ms),
            self._crew_events(at_ms),
            self._log(at_ms),
        )
        shown = [a for a in (alarms or []) if a["state"] != AlarmState.SHELVED.value]
        shown.sort(key=lambda a: (a["priority"], -a["raised_ms"]))
        board = {
            "line": {"id": s.line.id, "name": s.line.name, "length_m": s.line.length_m},
            "now_ms": at_ms,
            "field_ts_ms": at_ms,
            "trains": trains,
            "tracks": [
                {"track": t, "planned_headway_s": None, "mean_headway_s": None, "headways": []}
                for t in (1, 2)
            ],
            "substations": subs,
            "alarms": shown,
            "kpis": _kpis(trains, subs, alarms or []),
            "crew": None,
            "health": None,
        }
        return {
            "at_ms": at_ms,
            "board": board,
            "alarms_recorded": alarms is not None,
            "shelved_alarms": [a for a in (alarms or []) if a["state"] == "shelved"],
            "crew_events": crew_events,
            "log": log,
            "cancellations": [e for e in log if e["code"] == CANCELLED_CODE],
        }

    def range(self, now_ms: int) -> dict[str, int]:
        """The span a scrubber may cover: the history retained (``history.retention_h``), at
        most ``max_days`` back, to ``now_ms``."""
        span = min(self._s.retention_ms, int(self._s.max_days * 86_400_000))
        return {"now_ms": now_ms, "earliest_ms": now_ms - span}

    async def _latest(
        self, measurement: str, entity: str, at_ms: int
    ) -> tuple[dict[str, Any], int] | None:
        """The latest point at or before ``at_ms``, and the spacing of the entity's reports
        then (0 with one point): the newest two rows, one index range scan."""
        rows = await self._s.history.recent(
            measurement, entity, at_ms - LOOKBACK_MS, at_ms, None, 2
        )
        if not rows:
            return None
        ts = [int(r["ts_ms"]) for r in rows]  # type: ignore[call-overload]
        return dict(rows[-1]), (ts[-1] - ts[-2] if len(ts) > 1 else 0)

    def _stale(self, at_ms: int, ts_ms: int, spacing_ms: int) -> bool:
        # stale, as the live board says it, when a report is overdue: history holds field time
        # only (not when each report arrived), so "overdue" is judged against the unit's own
        # spacing — 1 s in the field, a minute of field time from an emulator at 60x — with
        # half a spacing for jitter, plus state.stale_after_s
        return at_ms - ts_ms > spacing_ms * 3 // 2 + self._s.stale_after_ms

    async def _trains(self, at_ms: int) -> list[dict[str, Any]]:
        line = self._s.line
        names = {st.id: st.name for st in line.stations}
        ids = sorted(line.fleet.trains)
        points = await asyncio.gather(*(self._latest("train", t, at_ms) for t in ids))
        out = []
        for train, got in zip(ids, points, strict=True):
            if got is None:
                continue
            p, spacing = got
            ts = int(p["ts_ms"])
            track = int(p["track"])
            pos = float(p["pos_m"])
            loc = line.locate(pos, TRACKS.get(track, Direction.OUTBOUND))
            stale = self._stale(at_ms, ts, spacing)
            mode = str(p.get("mode") or "") or None
            faults = [f for f in str(p.get("faults") or "").split(",") if f]
            out.append(
                {
                    "train": train,
                    "online": True,
                    "stale": stale,
                    "age_s": round((at_ms - ts) / 1000, 1),
                    "ts_ms": ts,
                    "seq": p.get("seq"),
                    "pos_m": pos,
                    "track": track,
                    "station": loc.station,
                    "station_name": names.get(loc.station or ""),
                    "prev_station": loc.prev_station,
                    "next_station": loc.next_station,
                    "speed_kmh": p.get("speed_kmh"),
                    "doors": p.get("doors"),
                    "load_pct": p.get("load_pct"),
                    "mode": mode,
                    "in_service": mode in IN_SERVICE_MODES and not stale,
                    "driver": str(p.get("driver") or "") or None,
                    "faults": faults,
                    "deviation_s": None,  # not recorded: judged live against the timetable
                    "lost_messages": 0,
                    "lost_seq_ranges": [],
                }
            )
        return out

    async def _substations(self, at_ms: int) -> list[dict[str, Any]]:
        line = self._s.line
        out = []
        for ss in line.substations:
            got = await self._latest("substation", ss.id, at_ms)
            if got is None:
                continue
            p, spacing = got
            ts = int(p.pop("ts_ms"))
            values = {k: v for k, v in p.items() if not isinstance(v, bool)}
            bits = {k: v for k, v in p.items() if isinstance(v, bool)}
            out.append(
                {
                    "id": ss.id,
                    "name": ss.name,
                    "ts_ms": ts,
                    "stale": self._stale(at_ms, ts, spacing),
                    "stale_reason": None,
                    "values": {
                        k: v for k, v in values.items() if isinstance(v, int | float) or v is None
                    },
                    "bits": bits,
                    "alarms": [],
                }
            )
        return out

    async def _crew_events(self, at_ms: int) -> list[dict[str, Any]]:
        since = datetime.fromtimestamp((at_ms - self._window_ms) / 1000, UTC)
        at = datetime.fromtimestamp(at_ms / 1000, UTC)
        events = await self._s.crew.status_events()
        picked = [e for e in events if e.recorded_at <= at and since <= e.effective <= at]
        picked.sort(key=lambda e: (e.effective, e.recorded_at), reverse=True)
        return [
            {
                "staff_id": e.staff_id,
                "state": str(e.state),
                "effective_ms": int(e.effective.timestamp() * 1000),
                "recorded_ms": int(e.recorded_at.timestamp() * 1000),
                "until_ms": None if e.until is None else int(e.until.timestamp() * 1000),
                "source": e.source,
            }
            for e in picked[:200]
        ]

    async def _log(self, at_ms: int) -> list[dict[str, Any]]:
        page = await self._s.shift_log.store.page(
            since_ms=at_ms - self._window_ms, until_ms=at_ms + 1, limit=200
        )
        return [
            {
                "id": e.id,
                "at_ms": e.at_ms,
                "author": e.author,
                "category": e.category.value,
                "code": e.message.code if e.message is not None else None,
                "text": e.text,
                "text_en": e.text_en,
                "train": e.train,
            }
            for e in page.entries
        ]

    @property
    def _window_ms(self) -> int:
        return int(self._s.window_h * 3_600_000)


def _kpis(
    trains: list[dict[str, Any]], subs: list[dict[str, Any]], alarms: list[dict[str, Any]]
) -> dict[str, Any]:
    by_state = {s.value: 0 for s in AlarmState if s is not AlarmState.NORMAL}
    by_priority = {p.name.lower(): 0 for p in Priority}
    for a in alarms:
        by_state[a["state"]] = by_state.get(a["state"], 0) + 1
        if a["state"] != AlarmState.SHELVED.value:
            by_priority[str(a["priority_name"])] += 1
    return {
        "trains_in_service": sum(1 for t in trains if t["in_service"]),
        "trains_planned": None,
        "trains_reporting": sum(1 for t in trains if not t["stale"]),
        "planned_headway_s": None,
        "mean_headway_s": {"1": None, "2": None},
        "punctuality_pct": None,
        "stale_substations": sum(1 for s in subs if s["stale"]),
        # trips are counted live against the timetable, not recorded per moment
        "trips": {"service_date": None, "due": 0, "run": 0, "lost": 0, "extra": 0},
        "alarms": {
            "open": len(alarms),
            "shown": sum(by_priority.values()),
            "unacked": by_state["unack"] + by_state["rtn_unack"],
            "shelved": by_state["shelved"],
            "by_state": by_state,
            "by_priority": by_priority,
            "rate_per_10min": 0,
            "flood_per_10min": 0,
            "flood": False,
        },
    }
