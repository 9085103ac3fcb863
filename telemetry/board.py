"""The board snapshot: the live state shaped for operators (trains, tracks, substations, KPIs)."""

from __future__ import annotations

from statistics import mean
from typing import Any

from telemetry.alarms import AlarmSubject
from telemetry.state import LineState, TrainView

ON_TIME_EARLY_S = -60.0
ON_TIME_LATE_S = 120.0


def _train(tv: TrainView, now_ms: int, station_names: dict[str, str]) -> dict[str, Any]:
    return {
        "train": tv.train,
        "online": tv.online,
        "stale": tv.stale,
        "age_s": None if tv.received_ms is None else round((now_ms - tv.received_ms) / 1000, 1),
        "ts_ms": tv.ts_ms,
        "seq": tv.seq.last_seq,
        "pos_m": tv.pos_m,
        "track": tv.track,
        "station": tv.station,
        "station_name": station_names.get(tv.station or ""),
        "prev_station": tv.prev_station,
        "next_station": tv.next_station,
        "speed_kmh": tv.speed_kmh,
        "doors": tv.doors,
        "load_pct": tv.load_pct,
        "mode": tv.mode,
        "in_service": tv.in_service,
        "driver": tv.driver,
        "faults": list(tv.faults),
        "deviation_s": None if tv.deviation_s is None else round(tv.deviation_s, 1),
        "lost_messages": tv.seq.lost,
        "lost_seq_ranges": [list(r) for r in tv.seq.lost_ranges],
    }


def board_snapshot(state: LineState, now_ms: int) -> dict[str, Any]:
    """JSON-ready snapshot for ``GET /api/board`` (and the websocket's first frame)."""
    line = state.line
    names = {s.id: s.name for s in line.stations}
    trains = [_train(tv, now_ms, names) for tv in state.trains.values()]
    planned_h = state.planned_headway_s(state.field_ts_ms) if state.field_ts_ms else None
    tracks = []
    for track in (1, 2):
        hs = [h for h in state.headways if h.track == track]
        tracks.append(
            {
                "track": track,
                "planned_headway_s": planned_h,
                "mean_headway_s": round(mean(h.headway_s for h in hs), 1) if hs else None,
                "headways": [
                    {
                        "leader": h.leader,
                        "follower": h.follower,
                        "headway_s": h.headway_s,
                        "status": h.status,
                    }
                    for h in hs
                ],
            }
        )
    subs = [
        {
            "id": sv.id,
            "name": sv.name,
            "ts_ms": sv.ts_ms,
            "stale": sv.stale,
            "stale_reason": sv.stale_reason,
            "values": sv.values,
            "bits": sv.bits,
            # the violated point and limit ("dc_voltage_v:low"): the alarm's kind
            "alarms": sorted(AlarmSubject.of_key(k).kind for k in sv.active_violations),
        }
        for sv in state.substations.values()
    ]
    in_service = [tv for tv in state.trains.values() if tv.in_service]
    devs = [tv.deviation_s for tv in in_service if tv.deviation_s is not None]
    planned_trains = None
    if state.field_ts_ms is not None:
        plan, t = state.plan_for(state.field_ts_ms)
        planned_trains = plan.trains_in_service_at(t)
    kpis = {
        "trains_in_service": len(in_service),
        "trains_planned": planned_trains,
        "trains_reporting": sum(1 for tv in state.trains.values() if not tv.stale and tv.ts_ms),
        "planned_headway_s": planned_h,
        "mean_headway_s": {str(t["track"]): t["mean_headway_s"] for t in tracks},
        "punctuality_pct": (
            round(100 * sum(ON_TIME_EARLY_S <= d <= ON_TIME_LATE_S for d in devs) / len(devs), 1)
            if devs
            else None
        ),
        "stale_substations": sum(1 for sv in state.substations.values() if sv.stale),
        "trips": state.trips.summary(state.plan_for(state.field_ts_ms)[1])
        if state.field_ts_ms
        else state.trips.summary(0),
        "alarms": state.alarms.summary(),
    }
    return {
        "line": {"id": line.id, "name": line.name, "length_m": line.length_m},
        "now_ms": now_ms,
        "field_ts_ms": state.field_ts_ms,
        "trains": trains,
        "tracks": tracks,
        "substations": subs,
        "alarms": [a.to_dict() for a in state.alarms.active()],
        "kpis": kpis,
    }
