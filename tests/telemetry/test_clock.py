"""Unit clocks against the server's: order by seq, skew measured and alarmed, no future time.

The ingest path from the payload on (decode → clock check → live state → history points), on a
controlled server clock; the same faults over real mosquitto and ``serve`` are in
``tests/faults/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from line import load_line
from telemetry.alarms import AlarmBook
from telemetry.clock import FieldClock
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.pipeline import Pipeline
from telemetry.rejects import RejectLog
from telemetry.schemas import Decoder
from telemetry.sinks.base import Point
from telemetry.state import LineState

LINE = load_line()
T0 = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)  # Mon 08:00 local


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class ListSink:
    name = "list"

    def __init__(self) -> None:
        self.points: list[Point] = []

    def write(self, points: Any) -> None:
        self.points.extend(points)


class Rig:
    def __init__(self, **state: Any) -> None:
        self.clock = Clock()
        self.registry = CollectorRegistry()
        self.metrics = TelemetryMetrics(self.registry)
        self.alarms = AlarmBook(self.clock)
        settings = StateSettings(**state)
        self.state = LineState(LINE, settings, self.alarms, self.metrics)
        self.sink = ListSink()
        dec = Decoder(
            LINE.id, frozenset(LINE.fleet.trains), frozenset(LINE.station_ids), LINE.length_m
        )
        fc = FieldClock(settings, self.alarms, self.metrics, tuple(LINE.fleet.trains))
        self.pipeline = Pipeline(
            dec, self.state, [self.sink], self.metrics, RejectLog(), self.clock, field_clock=fc
        )

    def tel(self, train: str, seq: int, ts: int, pos_m: float) -> None:
        body = {
            "v": 1, "ts": ts, "train": train, "seq": seq, "pos_m": pos_m, "track": 1,
            "speed_kmh": 40.0, "doors": "closed", "load_pct": 50, "mode": "ATO",
            "driver": "D001", "faults": [],
        }  # fmt: skip
        self.pipeline.on_mqtt(f"metro/2a/train/{train}/telemetry", orjson.dumps(body))

    def status(self, train: str, online: bool, ts: int | None) -> None:
        body: dict[str, Any] = {"v": 1, "online": online}
        if ts is not None:
            body["ts"] = ts
        self.pipeline.on_mqtt(f"metro/2a/train/{train}/status", orjson.dumps(body))

    def run(self, train: str, seqs: range, pos0: float, *, skew_ms: int = 0) -> None:
        """One message a second, each 10 m further, the unit's clock ``skew_ms`` off."""
        for i, seq in enumerate(seqs):
            self.clock.now += 1000
            self.tel(train, seq, self.clock.now + skew_ms, pos0 + 10 * i)
            self.state.tick(self.clock.now)

    def sample(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


def test_one_message_ten_minutes_ahead_neither_freezes_the_train_nor_moves_board_time() -> None:
    r = Rig()
    r.run("T05", range(1, 4), 3000.0)
    r.clock.now += 1000
    r.tel("T05", 4, r.clock.now + 600_000, 3030.0)  # the unit's clock jumps 10 min ahead
    assert r.state.field_ts_ms is not None and r.state.field_ts_ms <= r.clock.now
    assert r.sample("metro_ts_clamped_total", kind="telemetry") == 1
    assert r.sample("metro_clock_skew_seconds", unit="T05") == 600.0
    skew = [a for a in r.alarms.active() if a.key == "clock:T05:skew"]
    assert skew and "+600 s" in skew[0].message_en
    # correct messages with higher seq go on moving the train: no freeze, no stale alarm
    r.run("T05", range(5, 25), 3040.0)
    tv = r.state.trains["T05"]
    assert tv.pos_m == 3040.0 + 19 * 10 and not tv.stale
    assert not r.alarms.is_active("train:T05:stale")
    # the skew alarm returned to normal and waits for its acknowledgement (it happened)
    assert not r.alarms.is_active("clock:T05:skew")
    assert r.alarms.get(skew[0].id).state.value == "rtn_unack"
    # history got the time of receipt, not 10 minutes ahead
    assert max(p.ts_ms for p in r.sink.points) <= r.clock.now


def test_clock_stepping_back_30_s_does_not_freeze_the_train() -> None:
    r = Rig()
    r.run("T02", range(1, 6), 1000.0)
    r.run("T02", range(6, 16), 1100.0, skew_ms=-30_000)  # NTP stepped the unit's clock back
    tv = r.state.trains["T02"]
    assert tv.pos_m == 1100.0 + 9 * 10 and tv.seq.last_seq == 15 and not tv.stale
    assert r.sample("metro_stale_messages_total", kind="telemetry") == 0


def test_unit_clock_an_hour_behind_is_shown_live_and_flagged() -> None:
    r = Rig()
    r.run("T09", range(1, 4), 2000.0, skew_ms=-3_600_000)
    assert r.state.trains["T09"].pos_m == 2020.0
    assert r.sample("metro_clock_skew_seconds", unit="T09") == -3600.0
    assert r.alarms.is_active("clock:T09:skew")
    # known units have a series from the start
    assert r.registry.get_sample_value("metro_clock_skew_seconds", {"unit": "T13"}) == 0.0


def test_restart_with_clock_set_back_resumes_after_its_birth() -> None:
    r = Rig()
    r.status("T07", True, r.clock.now)
    r.run("T07", range(5000, 5010), 4000.0)
    # the unit restarts: seq from 1 again, its clock back where it started an hour ago
    r.status("T07", False, None)  # the will (no ts)
    r.status("T07", True, r.clock.now - 3_600_000)
    r.run("T07", range(1, 6), 4200.0, skew_ms=-3_600_000)
    tv = r.state.trains["T07"]
    assert tv.pos_m == 4240.0 and tv.seq.last_seq == 5 and tv.online and not tv.stale


def test_restart_whose_birth_was_lost_resumes_within_a_few_messages() -> None:
    r = Rig()
    r.run("T08", range(9000, 9005), 4000.0)
    r.run("T08", range(1, 16), 4500.0, skew_ms=-600_000)  # new stream, older clock, no birth
    tv = r.state.trains["T08"]
    assert tv.seq.last_seq == 15 and tv.pos_m == 4500.0 + 14 * 10


def test_retained_birth_seen_again_at_resubscribe_is_not_a_restart() -> None:
    r = Rig()
    birth = r.clock.now
    r.status("T03", True, birth)
    r.run("T03", range(1, 5), 1000.0)
    r.status("T03", True, birth)  # the broker hands the retained birth out again
    r.clock.now += 1000
    r.tel("T03", 2, r.clock.now, 500.0)  # a stale straggler is still older, not a new stream
    assert r.state.trains["T03"].pos_m == 1030.0


def test_far_future_ts_never_becomes_the_boards_time() -> None:
    r = Rig()
    r.run("T05", range(1, 3), 3000.0)
    r.clock.now += 1000
    r.tel("T05", 3, 2_000_000_000_000, 3100.0)
    assert r.state.field_ts_ms == r.clock.now
    assert max(p.ts_ms for p in r.sink.points) == r.clock.now


def test_field_mode_follows_the_emulators_clock() -> None:
    r = Rig(clock="field")
    r.run("T01", range(1, 3), 1000.0, skew_ms=5 * 3600_000)  # an emulator at another hour
    assert r.state.field_ts_ms == r.clock.now + 5 * 3600_000
    assert not r.alarms.is_active("clock:T01:skew")


def test_labelled_counters_have_series_at_zero_for_known_labels() -> None:
    r = Rig()
    for reason in ("bad_json", "invalid", "unknown_train", "out_of_range"):
        assert r.registry.get_sample_value("metro_rejects_total", {"reason": reason}) == 0.0
    for train in LINE.fleet.trains:
        value = r.registry.get_sample_value("metro_seq_gap_messages_total", {"train": train})
        assert value == 0.0
    for kind in ("telemetry", "event", "flow"):
        assert r.registry.get_sample_value("metro_ts_clamped_total", {"kind": kind}) == 0.0
