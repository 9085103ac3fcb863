"""The board hub without a server: deltas hold exactly what changed, one tick serves every
client, and a client that stops draining its queue is reset to a snapshot, not waited for."""

from __future__ import annotations

import copy
import time
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from services.live import BoardClient, BoardDiff, BoardHub, BoardHubMetrics
from services.settings import WsSettings


def train(tid: str, pos: float, **kw: Any) -> dict[str, Any]:
    return {"train": tid, "pos_m": pos, "age_s": 0.4, "stale": False, "faults": []} | kw


def board(**kw: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "line": {"id": "2A"},
        "now_ms": 1000,
        "field_ts_ms": 900,
        "trains": [train("T01", 100.0), train("T02", 200.0)],
        "tracks": [{"track": 1, "headways": []}],
        "substations": [{"id": "SS1", "values": {"v": 750.0}}],
        "alarms": [],
        "kpis": {"trains_in_service": 2},
    }
    b.update(kw)
    return b


def test_delta_carries_only_what_changed() -> None:
    d = BoardDiff()
    first = d.update(board())
    assert first is not None and len(first["trains"]) == 2 and "now_ms" not in first
    assert d.update(board(now_ms=1200)) is None  # the clock alone is no change

    moved = board(trains=[train("T01", 100.0), train("T02", 250.0)], kpis={"trains_in_service": 1})
    delta = d.update(moved)
    assert delta == {
        "trains": [train("T02", 250.0)],
        "removed_trains": [],
        "kpis": {"trains_in_service": 1},
    }

    gone = d.update(board(trains=[train("T01", 100.0)], kpis={"trains_in_service": 1}))
    assert gone == {"trains": [], "removed_trains": ["T02"]}


def test_age_alone_is_no_change_but_a_stale_train_ages_in_whole_seconds() -> None:
    d = BoardDiff()
    d.update(board())
    assert d.update(board(trains=[train("T01", 100.0, age_s=0.9), train("T02", 200.0)])) is None
    stale = [train("T01", 100.0, age_s=12.2, stale=True), train("T02", 200.0)]
    delta = d.update(board(trains=stale))
    assert delta is not None and [t["train"] for t in delta["trains"]] == ["T01"]
    stale[0] = train("T01", 100.0, age_s=12.8, stale=True)
    assert d.update(board(trains=stale)) is None
    stale[0] = train("T01", 100.0, age_s=13.1, stale=True)
    delta = d.update(board(trains=stale))
    assert delta is not None and delta["trains"][0]["age_s"] == 13.1


def test_in_place_changes_of_live_values_are_seen_and_vanished_keys_go_null() -> None:
    d = BoardDiff()
    b = board(crew={"coverage": 0.9})
    d.update(b)
    b = copy.copy(b)
    b["substations"][0]["values"]["v"] = 610.0  # the same dict object, changed in place
    delta = d.update(b)
    assert delta is not None and delta["substations"][0]["values"]["v"] == 610.0
    del b["crew"]
    assert d.update(b) == {"trains": [], "removed_trains": [], "crew": None}


class Feed:
    """A board whose train T01 moves when told to."""

    def __init__(self) -> None:
        self.pos = 0.0
        self.calls = 0

    def __call__(self, now_ms: int) -> dict[str, Any]:
        self.calls += 1
        return board(now_ms=now_ms, trains=[train("T01", self.pos), train("T02", 5.0)])


def make_hub(feed: Feed, **kw: Any) -> tuple[BoardHub, CollectorRegistry]:
    reg = CollectorRegistry()
    settings = WsSettings(**({"queue_frames": 3, "heartbeat_s": 0.001} | kw))
    return BoardHub(feed, settings, BoardHubMetrics(reg), clock=lambda: 1), reg


def frames(c: BoardClient) -> list[dict[str, Any]]:
    out = []
    while not c.queue.empty():
        f = c.queue.get_nowait()
        assert f is not None
        msg = orjson.loads(f.text)
        assert msg["type"] == f.kind
        out.append(msg)
    return out


def test_one_board_per_tick_for_all_clients_snapshot_then_deltas() -> None:
    feed = Feed()
    hub, reg = make_hub(feed, heartbeat_s=60.0)
    hub.tick(1000)
    assert feed.calls == 0  # nobody watching: nothing computed
    a, b = hub.connect("a"), hub.connect("b")
    hub.tick(1200)
    assert feed.calls == 1
    fa, fb = frames(a), frames(b)
    assert fa == fb and fa[0]["type"] == "snapshot" and len(fa) == 1
    assert fa[0]["board"]["trains"][0]["pos_m"] == 0.0 and fa[0]["ts_ms"] == 1200
    seq0 = fa[0]["seq"]

    feed.pos = 10.0
    hub.tick(1400)
    hub.tick(1600)  # nothing changed: no frame (heartbeat not due)
    feed.pos = 20.0
    hub.tick(1800)
    got = frames(a)
    assert [(m["type"], m["seq"]) for m in got] == [("delta", seq0 + 1), ("delta", seq0 + 2)]
    assert got[1]["trains"] == [train("T01", 20.0)] and got[1]["removed_trains"] == []
    assert frames(b) == got  # the very same frames, serialised once
    assert reg.get_sample_value("metro_ws_clients") == 2


def test_heartbeat_when_nothing_changes() -> None:
    hub, _ = make_hub(Feed(), heartbeat_s=0.001)
    c = hub.connect()
    hub.tick(1)
    snap = frames(c)[0]
    time.sleep(0.002)  # heartbeat_s of quiet
    hub.tick(2)
    assert frames(c) == [{"type": "heartbeat", "seq": snap["seq"], "ts_ms": 2}]


def test_a_client_that_stops_draining_is_reset_to_a_snapshot() -> None:
    feed = Feed()
    hub, reg = make_hub(feed, queue_frames=3, heartbeat_s=60.0)
    slow, fast = hub.connect("slow"), hub.connect("fast")
    hub.tick(0)
    frames(fast)
    for i in range(1, 6):  # the slow client never drains: 1 snapshot + 2 deltas fill it
        feed.pos = float(i)
        hub.tick(i)
        assert [m["seq"] for m in frames(fast)] == [hub.seq]  # the other client is unaffected
    got = frames(slow)
    assert got[0]["type"] == "snapshot", got  # the backlog was replaced by the present
    assert got[0]["board"]["trains"][0]["pos_m"] >= 3.0
    # after the fresh snapshot the client follows contiguously again
    assert [m["seq"] for m in got] == list(range(got[0]["seq"], got[0]["seq"] + len(got)))
    assert reg.get_sample_value("metro_ws_resyncs_total", {"reason": "slow_client"}) == 1

    hub.request_resync(slow)
    feed.pos = 99.0
    hub.tick(99)
    assert [m["type"] for m in frames(slow)] == ["snapshot"]
    assert [m["type"] for m in frames(fast)] == ["delta"]
    hub.disconnect(slow, "client_closed")
    hub.disconnect(slow, "client_closed")  # idempotent
    assert reg.get_sample_value("metro_ws_clients") == 1
    assert reg.get_sample_value("metro_ws_disconnects_total", {"reason": "client_closed"}) == 1
