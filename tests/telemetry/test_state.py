"""Live state: headways and schedule deviation against hand-computed values, seq handling."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from prometheus_client import CollectorRegistry

from line import load_line
from telemetry.alarms import AlarmBook
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.schemas import Decoded, Decoder, TrainTelemetry
from telemetry.state import LineState

# Monday 2026-11-23: 08:00 local (UTC+7) is in the 06:30–09:00 six-minute peak.
T0 = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)  # 08:00:00 local


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def env():  # type: ignore[no-untyped-def]
    line = load_line()
    clock = Clock()
    alarms = AlarmBook(clock)
    metrics = TelemetryMetrics(CollectorRegistry())
    state = LineState(line, StateSettings(timetable="2026"), alarms, metrics)
    return line, clock, alarms, state


def tel(train: str, seq: int, ts: int, pos_m: float, track: int = 1, **kw: object) -> Decoded:
    body = {
        "v": 1,
        "ts": ts,
        "train": train,
        "seq": seq,
        "pos_m": pos_m,
        "track": track,
        "speed_kmh": 40.0,
        "doors": "closed",
        "load_pct": 50,
        "mode": "ATO",
        "driver": "D001",
    }
    body.update(kw)
    return Decoded("telemetry", train, TrainTelemetry.model_validate(body))


def test_schedule_deviation_hand_computed(env) -> None:  # type: ignore[no-untyped-def]
    line, clock, _alarms, state = env
    # Outbound departs Cát Linh 08:00:00. Halfway to La Thành (500 m of 1000 m, run 90 s) is
    # planned at +45 s. Seen there at 08:01:00 → 15 s late.
    state.apply(tel("T01", 1, T0 + 60_000, 500.0), T0)
    assert state.trains["T01"].deviation_s == pytest.approx(15.0)
    # At La Thành (planned arrival +90 s, departure +120 s): on time anywhere in the dwell…
    state.apply(tel("T01", 2, T0 + 100_000, 1000.0, speed_kmh=0, doors="open"), T0)
    assert state.trains["T01"].deviation_s == pytest.approx(0.0)
    # …and 30 s late when still there at +150 s.
    state.apply(tel("T01", 3, T0 + 150_000, 1000.0, speed_kmh=0, doors="open"), T0)
    assert state.trains["T01"].deviation_s == pytest.approx(30.0)
    # Early: at Thái Hà (arrival +90+30+88 = +208 s) already at +178 s → 30 s early.
    state.apply(tel("T01", 4, T0 + 178_000, 1950.0, speed_kmh=0), T0)
    assert state.trains["T01"].deviation_s == pytest.approx(-30.0)


def test_headways_gap_and_bunching_hand_computed(env) -> None:  # type: ignore[no-untyped-def]
    line, clock, alarms, state = env
    ts = T0 + 1000
    # Planned times from Cát Linh, outbound: LT +90, TH +208 (90+30+88), LA +331 (208+30+93),
    # TD +469 (331+30+108), VD3 +594, PK +728, VQ +849, HD +975 (849+30+96).
    state.apply(tel("T01", 1, ts, 8700.0), clock.now)  # HD   +975
    state.apply(tel("T02", 1, ts, 4300.0), clock.now)  # TD   +469 → 506 s behind T01: gap
    state.apply(tel("T03", 1, ts, 3010.0), clock.now)  # LA   +331 → 138 s behind T02: bunching
    state.apply(tel("T04", 1, ts, 1000.0), clock.now)  # LT   +90  → 241 s behind T03: ok
    state.tick(clock.now)
    hs = {(h.leader, h.follower): h for h in state.headways if h.track == 1}
    assert hs[("T01", "T02")].headway_s == pytest.approx(506.0)
    assert hs[("T02", "T03")].headway_s == pytest.approx(138.0)
    assert hs[("T03", "T04")].headway_s == pytest.approx(241.0)
    # planned 360 s: gap above 1.5× (540)? 506 is not; bunching below 0.5× (180): 138 is.
    assert hs[("T01", "T02")].status == "ok"
    assert hs[("T02", "T03")].status == "bunching"
    assert hs[("T03", "T04")].status == "ok"
    assert alarms.is_active("headway:T03:bunching")
    # T01 moves on to La Khê (+975+30+99 = +1104): 635 s ahead of T02 → a gap (> 540)
    state.apply(tel("T01", 2, ts + 1000, 9830.0), clock.now)
    state.tick(clock.now)
    hs = {(h.leader, h.follower): h for h in state.headways if h.track == 1}
    assert hs[("T01", "T02")].headway_s == pytest.approx(635.0)
    assert hs[("T01", "T02")].status == "gap"
    assert alarms.is_active("headway:T02:gap")
    # T03 falls back to 300 s behind T02 → bunching clears
    state.apply(tel("T03", 2, ts + 1000, 2500.0), clock.now)
    state.tick(clock.now)
    assert not alarms.is_active("headway:T03:bunching")


def test_duplicates_and_older_never_overwrite_newer_state(env) -> None:  # type: ignore[no-untyped-def]
    _line, clock, _alarms, state = env
    assert state.apply(tel("T05", 10, T0 + 10_000, 2000.0), clock.now)
    assert not state.apply(tel("T05", 10, T0 + 10_000, 2000.0), clock.now)  # duplicate
    assert not state.apply(tel("T05", 9, T0 + 9_000, 1900.0), clock.now)  # older
    assert state.trains["T05"].pos_m == 2000.0
    assert state.apply(tel("T05", 11, T0 + 11_000, 2010.0), clock.now)
    assert state.trains["T05"].pos_m == 2010.0


def test_seq_gaps_are_counted_as_loss_after_grace(env) -> None:  # type: ignore[no-untyped-def]
    _line, clock, _alarms, state = env
    state.apply(tel("T06", 1, T0, 100.0), clock.now)
    state.apply(tel("T06", 5, T0 + 4000, 140.0), clock.now)
    clock.now += 5000
    state.tick(clock.now)
    assert state.trains["T06"].seq.lost == 3
    assert state.metrics.seq_gaps.labels("T06")._value.get() == 3


def test_seq_loss_raises_one_alarm_naming_the_ranges(env) -> None:  # type: ignore[no-untyped-def]
    _line, clock, alarms, state = env
    for seq in (1, 2, 5, 6, 9):  # 3–4 and 7–8 never arrive
        state.apply(tel("T06", seq, T0 + seq * 1000, 100.0 + seq), clock.now)
    clock.now += 5000
    state.tick(clock.now)
    (a,) = [a for a in alarms.active() if a.key == "train:T06:seq_loss"]
    assert a.message_en == "Train T06: 4 messages lost (seq 3–4, 7–8)"
    assert a.message == "Tàu T06: mất 4 bản tin (seq 3–4, 7–8)"
    assert a.state.value == "rtn_unack"  # happened and over: on the board until acknowledged
    state.tick(clock.now + 1000)
    assert alarms.get(a.id).annunciations == 1  # nothing new: not annunciated again
    # more loss before the ack: the same alarm, annunciated again, naming all of it
    state.apply(tel("T06", 20, T0 + 20_000, 200.0), clock.now)
    clock.now += 5000
    state.tick(clock.now)
    again = alarms.get(a.id)
    assert again.annunciations == 2
    assert again.message_en == "Train T06: 14 messages lost (seq 3–4, 7–8, 10–19)"
    # a gap too large to track is counted at once, and alarmed and counted like the others
    state.apply(tel("T06", 50_000, T0 + 21_000, 300.0), clock.now)
    state.tick(clock.now)
    assert state.metrics.seq_gaps.labels("T06")._value.get() == 4 + 10 + 49_979
    assert alarms.get(a.id).message_en.endswith(
        "49993 messages lost (seq 3–4, 7–8, 10–19, 21–49999)"
    )
    # once acknowledged, the next loss is a new alarm about the new loss only
    alarms.ack(a.id, "dd01")
    state.apply(tel("T06", 50_002, T0 + 22_000, 310.0), clock.now)
    clock.now += 5000
    state.tick(clock.now)
    (b,) = [x for x in alarms.active() if x.key == "train:T06:seq_loss"]
    assert b.id != a.id and b.message_en == "Train T06: 1 message lost (seq 50001)"


def test_stale_train_raises_alarm_and_recovers(env) -> None:  # type: ignore[no-untyped-def]
    _line, clock, alarms, state = env
    state.apply(tel("T07", 1, T0, 3000.0), clock.now)
    clock.now += 6000  # more than stale_after_s = 5
    state.tick(clock.now)
    assert state.trains["T07"].stale
    assert alarms.is_active("train:T07:stale")
    state.apply(tel("T07", 2, T0 + 6000, 3050.0), clock.now)
    assert not state.trains["T07"].stale
    assert not alarms.is_active("train:T07:stale")


def test_decoder_rejects_do_not_reach_state() -> None:
    line = load_line()
    dec = Decoder(line.id, frozenset(line.fleet.trains), frozenset(line.station_ids), line.length_m)
    body = orjson.dumps(
        {
            "v": 1,
            "ts": T0,
            "train": "T01",
            "seq": 1,
            "pos_m": 99999.0,
            "track": 1,
            "speed_kmh": 0,
            "doors": "closed",
            "load_pct": 0,
            "mode": "ATO",
            "driver": None,
        }
    )
    r = dec.decode("metro/2a/train/T01/telemetry", body)
    assert getattr(r, "reason", None) is not None and r.reason.value == "out_of_range"  # type: ignore[union-attr]


def test_driver_not_cleared_raises_critical_alarm_and_clears_on_change(env) -> None:  # type: ignore[no-untyped-def]
    from line.catalogue import Message
    from telemetry.alarms import Priority
    from telemetry.state import DriverVerdict

    _line, clock, alarms, state = env
    banned = {"D013"}

    def check(driver: str, train: str, ts: int) -> DriverVerdict:
        if driver in banned:
            state = Message("crew.state.f0_isolation")
            return DriverVerdict(False, (Message("crew.problem.status", {"state": state}),))
        return DriverVerdict(True)

    state.driver_check = check
    state.apply(tel("T02", 1, T0, 2000.0, driver="D013"), clock.now)
    (alarm,) = [a for a in alarms.active() if a.key == "train:T02:driver_not_cleared"]
    assert alarm.priority is Priority.CRITICAL
    assert alarm.message == "Tàu T02: lái tàu D013 chưa đủ điều kiện — đang F0 cách ly"
    assert alarm.message_en == "Train T02: driver D013 not cleared — F0 in isolation"
    state.apply(tel("T02", 2, T0 + 1000, 2010.0, driver="D014"), clock.now)
    assert not alarms.is_active("train:T02:driver_not_cleared")
    # crew data changes while D014 drives: a re-check raises it
    banned.add("D014")
    state.recheck_drivers()
    assert alarms.is_active("train:T02:driver_not_cleared")


def test_train_in_service_without_driver_is_critical(env) -> None:  # type: ignore[no-untyped-def]
    _line, clock, alarms, state = env
    state.apply(tel("T09", 1, T0, 6000.0, driver=None), clock.now)
    state.tick(clock.now)
    assert alarms.is_active("train:T09:no_driver")
    state.apply(tel("T09", 2, T0 + 1000, 6010.0, driver="D001"), clock.now)
    state.tick(clock.now)
    assert not alarms.is_active("train:T09:no_driver")
    # a train in the depot needs no driver
    state.apply(tel("T10", 1, T0, 13050.0, driver=None, mode="depot", speed_kmh=0), clock.now)
    state.tick(clock.now)
    assert not alarms.is_active("train:T10:no_driver")
