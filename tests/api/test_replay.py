"""GET /api/replay: a past moment of the line from history only, on SQLite and PostgreSQL.

A served runtime on a fake clock: train and substation points go into its embedded history
store, alarms are raised, acknowledged, commented, shelved and cleared in its alarm book (the
journal records them). Replaying each moment must show what was true then — and nothing of the
live state may change by replaying.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from line.catalogue import Message
from line.clock import wall_ms
from services.runtime import Runtime, build_runtime
from telemetry.alarms import Priority
from telemetry.sinks.base import Point
from tests.api.authkit import TOKENS, FakeClock, bearer, make_settings
from tests.api.test_ws import serving
from tests.poll import until

MIN = 60_000


@pytest.fixture
async def served(tmp_path: Path, db_url: str) -> AsyncIterator[tuple[Runtime, FakeClock, str]]:
    # near the wall clock: the history store's retention is judged on it
    clock = FakeClock(wall_ms() - 120 * MIN)
    rt = build_runtime(make_settings(tmp_path, db_url), clock=clock, require_broker=False)
    async with serving(rt) as ws_url:
        yield rt, clock, ws_url.replace("ws://", "http://").split("/ws/")[0]


def train_point(train: str, ts_ms: int, pos_m: float, *, track: int = 1) -> Point:
    return Point(
        "train",
        train,
        {
            "pos_m": pos_m,
            "track": track,
            "speed_kmh": 40.0,
            "load_pct": 55.0,
            "doors": "closed",
            "mode": "ATO",
            "driver": "D001",
            "faults": "",
            "seq": ts_ms // 1000,
        },
        ts_ms,
    )


def live(rt: Runtime, alarm_id: int) -> Any:
    return rt.alarms.get(alarm_id).to_dict(), rt.state.field_ts_ms, dict(rt.state.trains)


def ours(alarms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The test's alarm (the crew link may raise a next-shift shortfall at any time)."""
    return [a for a in alarms if a["key"].startswith("train:T07")]


async def replay(http: httpx.AsyncClient, at: int | str) -> dict[str, Any]:
    r = await http.get("/api/replay", params={"at": str(at)})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_replay_shows_trains_and_alarms_as_they_were(
    served: tuple[Runtime, FakeClock, str],
) -> None:
    rt, clock, base = served
    t0 = clock()
    store = rt.sinks[0]
    store.write(
        [
            train_point("T07", t0 + 1 * MIN, 1_000.0),
            train_point("T07", t0 + 10 * MIN, 5_000.0),
            train_point("T03", t0 + 10 * MIN, 9_000.0, track=2),
            Point("substation", "SS1", {"dc_voltage_v": 812.5, "breaker_closed": True}, t0 + MIN),
        ]
    )
    await store.flush()  # type: ignore[attr-defined]

    key = "train:T07:fault:E12"
    clock.advance(minutes=2)  # t0+2: raised
    alarm = rt.alarms.raise_alarm(
        key, Priority.HIGH, "T07", Message("alarm.train.offline", {"train": "T07"})
    )
    assert alarm is not None
    clock.advance(minutes=2)  # t0+4: acknowledged and commented
    rt.alarms.ack(alarm.id, "dd01")
    rt.alarms.comment(alarm.id, "dd01", "tổ bảo dưỡng đã được báo")
    clock.advance(minutes=2)  # t0+6: shelved
    rt.alarms.shelve(alarm.id, "dd01", "chờ tổ bảo dưỡng kiểm tra", clock() + 60 * MIN)
    rt.alarms.approve_shelve(alarm.id, "dd02")  # P2: a second person approves
    clock.advance(minutes=2)  # t0+8: unshelved (active: unacknowledged again), then cleared
    rt.alarms.unshelve(alarm.id, "dd01")
    rt.alarms.ack(alarm.id, "dd02")
    rt.alarms.clear(key)
    await rt.alarm_journal.flush()

    async def logged() -> bool:  # the shift log's own entry for the P1/P2 alarm, written
        return bool((await rt.shift_log.store.page(limit=5)).entries)

    await until(logged, timeout_s=10, what="the alarm's shift log entry")
    live_before = live(rt, alarm.id)
    clock.advance(minutes=10)  # now t0+18: every moment replayed is in the past

    async with httpx.AsyncClient(base_url=base, headers=bearer("operator")) as http:
        r = (await http.get("/api/replay/range")).json()
        assert r["now_ms"] == clock() and r["earliest_ms"] < t0

        early = await replay(http, t0 + 1 * MIN + 30_000)
        trains = {t["train"]: t for t in early["board"]["trains"]}
        assert trains["T07"]["pos_m"] == 1_000.0 and trains["T07"]["ts_ms"] == t0 + MIN
        assert "T03" not in trains  # it had not reported yet
        assert ours(early["board"]["alarms"]) == [] and early["alarms_recorded"]
        assert early["board"]["substations"][0]["values"]["dc_voltage_v"] == 812.5

        raised = await replay(http, t0 + 3 * MIN)
        (a,) = ours(raised["board"]["alarms"])
        assert (a["id"], a["state"], a["acked_by"]) == (alarm.id, "unack", None)
        assert raised["board"]["kpis"]["alarms"]["unacked"] >= 1

        acked = await replay(http, t0 + 5 * MIN)
        (a,) = ours(acked["board"]["alarms"])
        assert (a["state"], a["acked_by"]) == ("acked", "dd01")
        assert [c["text"] for c in a["comments"]] == ["tổ bảo dưỡng đã được báo"]

        shelved = await replay(http, t0 + 7 * MIN)
        assert ours(shelved["board"]["alarms"]) == []
        (s,) = ours(shelved["shelved_alarms"])
        assert (s["shelved_by"], s["shelve_reason"]) == ("dd01", "chờ tổ bảo dưỡng kiểm tra")

        later = await replay(http, t0 + 12 * MIN)
        assert ours(later["board"]["alarms"]) == ours(later["shelved_alarms"]) == []
        trains = {t["train"]: t for t in later["board"]["trains"]}
        assert trains["T07"]["pos_m"] == 5_000.0 and trains["T03"]["track"] == 2
        # a report overdue (beyond the train's own spacing + stale_after_s) is stale, as the
        # live board would say: T03 reported once, two minutes ago; T07 every nine minutes
        assert trains["T03"]["stale"] and trains["T03"]["age_s"] == 120.0
        assert not trains["T07"]["stale"]
        fresh = await replay(http, t0 + 10 * MIN)
        assert not {t["train"]: t for t in fresh["board"]["trains"]}["T03"]["stale"]
        # the ISO form names the same moment
        iso = await replay(http, _iso(t0 + 12 * MIN))
        assert iso["board"]["trains"] == later["board"]["trains"]
        # the P1/P2 alarm wrote itself into the shift log, and the log replays with it
        assert any(e["code"] == "log.alarm.raised" for e in later["log"])

    assert live(rt, alarm.id) == live_before  # replaying changed nothing live


def _iso(ms: int) -> str:
    from datetime import datetime

    from line.clock import HANOI

    return datetime.fromtimestamp(ms / 1000, HANOI).isoformat()


async def test_every_role_may_replay_and_bad_moments_are_refused(
    served: tuple[Runtime, FakeClock, str],
) -> None:
    rt, clock, base = served
    at = str(clock() - MIN)
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/api/replay", params={"at": at})).status_code == 401
        for role in TOKENS:
            r = await http.get("/api/replay", params={"at": at}, headers=bearer(role))
            assert r.status_code == 200, (role, r.text)
        for bad, why in [
            ("yesterday", "ISO 8601"),
            ("2026-12-04T07:42:00", "offset"),
            (str(clock() + 60 * MIN), "outside the history retained"),
            (str(clock() - 8 * 24 * 60 * MIN), "outside the history retained"),
        ]:
            r = await http.get("/api/replay", params={"at": bad}, headers=bearer("planner"))
            assert r.status_code == 422, (bad, r.text)
            assert why in r.text
