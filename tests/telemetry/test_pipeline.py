"""The hot path: bad payloads are counted and rejected by reason; good traffic is unaffected."""

from __future__ import annotations

import time

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from line import load_line
from telemetry.alarms import AlarmBook
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.pipeline import Pipeline
from telemetry.rejects import RejectLog
from telemetry.schemas import Decoder, RejectReason
from telemetry.sinks.base import Point
from telemetry.state import LineState

LINE = load_line()
NOW = int(time.time() * 1000)


class ListSink:
    """A real (in-memory) sink: records what the pipeline hands to history."""

    name = "list"

    def __init__(self) -> None:
        self.points: list[Point] = []

    def write(self, points: object) -> None:
        self.points.extend(points)  # type: ignore[call-overload]


def rig() -> tuple[Pipeline, LineState, RejectLog, ListSink, TelemetryMetrics]:
    metrics = TelemetryMetrics(CollectorRegistry())
    clock = lambda: NOW  # noqa: E731
    state = LineState(LINE, StateSettings(), AlarmBook(clock), metrics)
    rejects = RejectLog()
    sink = ListSink()
    dec = Decoder(LINE.id, frozenset(LINE.fleet.trains), frozenset(LINE.station_ids), LINE.length_m)
    return Pipeline(dec, state, [sink], metrics, rejects, clock), state, rejects, sink, metrics  # type: ignore[list-item]


def good(train: str, seq: int, pos: float = 1234.5) -> bytes:
    return orjson.dumps(
        {
            "v": 1,
            "ts": NOW + seq,
            "train": train,
            "seq": seq,
            "pos_m": pos,
            "track": 1,
            "speed_kmh": 50.0,
            "doors": "closed",
            "load_pct": 40,
            "mode": "ATO",
            "driver": "D002",
            "faults": [],
        }
    )


def _dumps(d: dict[str, object]) -> bytes:
    try:
        return orjson.dumps(d)
    except TypeError:
        return b"{}"


def test_each_bad_kind_gets_its_reason() -> None:
    p, state, rejects, sink, metrics = rig()
    cases = {
        ("metro/2a/train/T01/telemetry", b"{not json"): RejectReason.BAD_JSON,
        ("metro/2a/train/T01/telemetry", b"[1,2]"): RejectReason.BAD_JSON,
        (
            "metro/2a/train/T01/telemetry",
            good("T01", 1).replace(b'"v":1', b'"v":9'),
        ): RejectReason.UNSUPPORTED_VERSION,
        (
            "metro/2a/train/T01/telemetry",
            good("T01", 1).replace(b'"ATO"', b'"FLY"'),
        ): RejectReason.INVALID,
        ("metro/2a/train/T99/telemetry", good("T99", 1)): RejectReason.UNKNOWN_TRAIN,
        ("metro/3/train/T01/telemetry", good("T01", 1)): RejectReason.UNKNOWN_LINE,
        ("metro/2a/train/T02/telemetry", good("T01", 1)): RejectReason.TOPIC_MISMATCH,
        ("metro/2a/train/T01/telemetry", good("T01", 1, pos=1e6)): RejectReason.OUT_OF_RANGE,
        ("metro/2a/station/XX/flow", b"{}"): RejectReason.UNKNOWN_STATION,
        ("metro/2a/train/T01", good("T01", 1)): RejectReason.BAD_TOPIC,
    }
    for (topic, payload), reason in cases.items():
        before = rejects.counts().get(reason.value, 0)
        p.on_mqtt(topic, payload)
        assert rejects.counts().get(reason.value, 0) == before + 1, (topic, payload, reason)
        assert metrics.rejects.labels(reason.value)._value.get() >= 1
    assert rejects.total == len(cases)
    assert sink.points == [] and state.trains["T01"].ts_ms is None
    # a sample is kept for diagnosis, with the offending payload
    assert any(s.payload.startswith("{not json") for s in rejects.samples(RejectReason.BAD_JSON))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    junk=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.text(max_size=8),
            st.one_of(
                st.none(),
                st.integers(),
                st.floats(),
                st.text(max_size=20),
                st.lists(st.integers(), max_size=3),
            ),
            max_size=14,
        ).map(_dumps),
        st.fixed_dictionaries(
            {
                "v": st.just(1),
                "ts": st.integers(),
                "train": st.sampled_from(["T01", "T13", "X"]),
                "seq": st.integers(),
                "pos_m": st.floats(allow_nan=True),
                "track": st.integers(0, 3),
                "speed_kmh": st.floats(),
                "doors": st.text(max_size=6),
                "load_pct": st.integers(),
                "mode": st.sampled_from(["ATO", "off", "bad"]),
                "driver": st.none(),
            }
        ).map(_dumps),
    ),
    topic=st.sampled_from(
        [
            "metro/2a/train/T01/telemetry",
            "metro/2a/train/T01/event",
            "metro/2a/train/T01/status",
            "metro/2a/station/HD/flow",
            "metro/2a/x",
            "",
        ]
    ),
)
def test_fuzzed_payloads_never_crash_and_good_traffic_flows(junk: bytes, topic: str) -> None:
    p, state, rejects, sink, _m = rig()
    p.on_mqtt("metro/2a/train/T05/telemetry", good("T05", 1))
    p.on_mqtt(topic, junk)  # must not raise
    p.on_mqtt("metro/2a/train/T05/telemetry", good("T05", 2, pos=1300.0))
    assert state.trains["T05"].pos_m == 1300.0
    assert sum(1 for pt in sink.points if pt.entity == "T05") == 2


def test_history_points_carry_the_telemetry() -> None:
    p, _state, _rejects, sink, metrics = rig()
    p.on_mqtt("metro/2a/train/T03/telemetry", good("T03", 7, pos=4321.0))
    (pt,) = sink.points
    assert (pt.measurement, pt.entity, pt.ts_ms) == ("train", "T03", NOW + 7)
    assert pt.fields["pos_m"] == 4321.0 and pt.fields["speed_kmh"] == 50.0
    assert metrics.messages.labels("telemetry")._value.get() == 1


FIELD_BREAKERS = {
    "seq": st.sampled_from([-1, 2**31, "7", None, 1.5]),
    "pos_m": st.sampled_from([-0.1, "far", None]),
    "track": st.sampled_from([0, 3, "1", None]),
    "speed_kmh": st.sampled_from([-5, 1000, "fast"]),
    "doors": st.sampled_from(["ajar", 1, None]),
    "load_pct": st.sampled_from([-1, 151, "full"]),
    "mode": st.sampled_from(["auto", "", None]),
    "faults": st.sampled_from([["XYZ-1"], "TRC-012", [1]]),
    "ts": st.sampled_from([0, -5, "now"]),
}


@settings(max_examples=200, deadline=None)
@given(
    field=st.sampled_from(sorted(FIELD_BREAKERS)),
    data=st.data(),
    cut=st.integers(min_value=1, max_value=150),
)
def test_mutated_payloads_get_the_right_reason(field: str, data: st.DataObject, cut: int) -> None:
    p, state, rejects, _sink, _m = rig()
    body = orjson.loads(good("T08", 3))
    body[field] = data.draw(FIELD_BREAKERS[field])
    p.on_mqtt("metro/2a/train/T08/telemetry", orjson.dumps(body))
    assert rejects.counts() == {"invalid": 1}, (field, body[field])
    truncated = good("T08", 4)[:cut]
    p.on_mqtt("metro/2a/train/T08/telemetry", truncated)
    assert rejects.counts() == {"invalid": 1, "bad_json": 1}
    missing = orjson.loads(good("T08", 5))
    del missing[field]
    p.on_mqtt("metro/2a/train/T08/telemetry", orjson.dumps(missing))
    # faults is optional (default []): dropping it is valid; anything else required is invalid
    expected_invalid = 1 if field == "faults" else 2
    assert rejects.counts().get("invalid") == expected_invalid
    assert state.trains["T08"].ts_ms == (NOW + 5 if field == "faults" else None)
