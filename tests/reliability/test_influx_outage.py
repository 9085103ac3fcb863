"""The InfluxDB-API server (a real VictoriaMetrics) is down for five minutes of Line 2A data.

Five minutes of field data — 13 trains × 300 telemetry messages at 1 Hz through the real
decoder and pipeline, and 5 substations × 300 polls of the emulated PLC's registers — are fed
*while the server is down*, as fast as the pipeline takes them rather than over five minutes of
wall time (the sink sees the same points in the same order; only the test's clock is shorter).
Then:

* with the default spool bound, nothing is lost: after the server returns, its export API holds
  every point of every train and substation, at its own timestamp;
* with a spool bound below five minutes of data, the oldest points beyond the bound are dropped
  and counted (``metro_sink_points_total{outcome="dropped"}``), the newest arrive, and dropped +
  delivered is everything that was fed.

``tests/telemetry/test_sinks_influx.py`` proves the sink's mechanics on small synthetic series;
this is the operator's question at the line's real volume, through the ingest pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
from prometheus_client import CollectorRegistry

from line import load_line
from telemetry.alarms import AlarmBook
from telemetry.config import InfluxSettings, StateSettings, load_register_maps
from telemetry.emulator.substation import SubstationSim
from telemetry.metrics import TelemetryMetrics
from telemetry.pipeline import Pipeline
from telemetry.registers import SubstationReading
from telemetry.rejects import RejectLog
from telemetry.schemas import Decoder
from telemetry.sinks import InfluxSink
from telemetry.state import LineState
from tests.fixtures.victoria import Victoria
from tests.reliability.rig import metric, now_ms, wait_until

LINE = load_line()
TRAINS = tuple(LINE.fleet.trains)
SUBSTATIONS = tuple(s.id for s in LINE.substations)
OUTAGE_S = 300  # five minutes of field time
ICD_MAP = load_register_maps()["traction_substation"]


class Line2A:
    """The pipeline of a running metro-ops with an InfluxDB sink, fed Line 2A field data."""

    def __init__(self, settings: InfluxSettings) -> None:
        self.registry = CollectorRegistry()
        metrics = TelemetryMetrics(self.registry)
        self.sink = InfluxSink(settings, metrics)
        clock = now_ms
        state = LineState(
            LINE,
            StateSettings(),
            AlarmBook(clock),
            metrics,
            {sid: (sid, ICD_MAP) for sid in SUBSTATIONS},
        )
        decoder = Decoder(LINE.id, frozenset(TRAINS), frozenset(LINE.station_ids), LINE.length_m)
        self.pipeline = Pipeline(decoder, state, [self.sink], metrics, RejectLog(), clock)
        self.plcs = {sid: SubstationSim(sid, ICD_MAP, "127.0.0.1", 0, seed=i) for i, sid in
                     enumerate(SUBSTATIONS)}  # fmt: skip
        self.fed = 0

    def second(self, t_ms: int, k: int) -> None:
        """Field second ``k`` (at ``t_ms``): every train reports, every substation is polled."""
        for i, train in enumerate(TRAINS):
            body = {
                "v": 1,
                "ts": t_ms + i,
                "train": train,
                "seq": k + 1,
                "pos_m": (i * 1000 + k * 10.0) % LINE.length_m,
                "track": 1,
                "speed_kmh": 36.0,
                "doors": "closed",
                "load_pct": 60,
                "mode": "ATO",
                "driver": f"D{i + 1:03d}",
                "faults": [],
            }
            self.pipeline.on_mqtt(f"metro/2a/train/{train}/telemetry", orjson.dumps(body))
        for plc in self.plcs.values():
            plc.step(1.0)
            reading = SubstationReading(plc.device_id, t_ms, plc.values, plc.bits, None)
            self.pipeline.on_substation(reading)
        self.fed += len(TRAINS) + len(SUBSTATIONS)

    async def feed(self, t0_ms: int, first_s: int, seconds: int) -> None:
        """``seconds`` of field data from second ``first_s``, yielding to the sink between."""
        for k in range(first_s, first_s + seconds):
            self.second(t0_ms + k * 1000, k)
            if k % 10 == 9:
                await asyncio.sleep(0.005)  # the app's loop runs the sink's flush meanwhile

    def counted(self, outcome: str) -> float:
        return metric(self.registry, "metro_sink_points_total", sink="influx", outcome=outcome)


@contextlib.asynccontextmanager
async def running(sink: InfluxSink) -> AsyncIterator[None]:
    async with sink:
        task = asyncio.create_task(sink.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def influx(url: str, tmp_path: Path, **kw: object) -> InfluxSettings:
    base: dict[str, object] = {
        "url": url,
        "batch_size": 1000,
        "flush_interval_s": 0.05,
        "timeout_s": 1.0,
        "retry_max_s": 0.3,
        "spool_dir": tmp_path / "spool",
    }
    return InfluxSettings.model_validate(base | kw)


async def test_five_minutes_down_nothing_lost_after_it_returns(
    victoria: Victoria, tmp_path: Path
) -> None:
    app = Line2A(influx(victoria.url, tmp_path))
    t0 = now_ms() - (OUTAGE_S + 60) * 1000  # field time of the first second
    before = 10
    async with running(app.sink):
        await app.feed(t0, 0, before)
        await wait_until(lambda: app.sink.stats().written == app.fed, what="written before")
        victoria.stop()
        t_down = time.monotonic()
        await app.feed(t0, before, OUTAGE_S)
        # ships what is in memory on the sink's one worker thread, behind anything queued
        # there: afterwards every point fed is on disk (stats read mid-append would not be)
        await app.sink.flush()
        during = app.sink.stats()
        assert during.written == before * 18 and during.spooled == OUTAGE_S * 18
        assert during.dropped == 0 and list((tmp_path / "spool").glob("*.lp"))
        victoria.start()
        await wait_until(lambda: app.sink.stats().spooled == 0, timeout_s=30, what="replay")
        wall_s = time.monotonic() - t_down
    assert wall_s < 60  # five minutes of data, not five minutes of test

    total_s = before + OUTAGE_S
    for i, train in enumerate(TRAINS):
        got = await victoria.wait_samples("train_pos_m", total_s, train=train)
        assert sorted(got) == [t0 + k * 1000 + i for k in range(total_s)], train
    for sid in SUBSTATIONS:
        got = await victoria.wait_samples("substation_dc_bus_voltage", total_s, device=sid)
        assert sorted(got) == [t0 + k * 1000 for k in range(total_s)], sid
        assert all(600 < v < 900 for v in got.values())
    st = app.sink.stats()
    assert (st.written, st.spooled, st.dropped) == (app.fed, 0, 0)
    assert app.counted("written") == app.fed and app.counted("dropped") == 0
    assert app.counted("spooled") == OUTAGE_S * 18


async def test_beyond_the_spool_bound_the_oldest_are_dropped_and_counted(
    victoria: Victoria, tmp_path: Path
) -> None:
    bound = 2_000  # points: under two minutes of Line 2A (18 points a second)
    app = Line2A(influx(victoria.url, tmp_path, spool_max_points=bound))
    t0 = now_ms() - (OUTAGE_S + 60) * 1000
    victoria.stop()
    async with running(app.sink):
        await app.feed(t0, 0, OUTAGE_S)
        await app.sink.flush()
        during = app.sink.stats()
        assert during.written == 0
        assert bound * 15 // 16 <= during.spooled <= bound
        assert during.dropped + during.spooled == app.fed == OUTAGE_S * 18  # all accounted for
        assert app.counted("dropped") == during.dropped > 0
        victoria.start()
        await wait_until(lambda: app.sink.stats().spooled == 0, timeout_s=30, what="replay")
    st = app.sink.stats()
    assert st.written == during.spooled and st.dropped == during.dropped
    assert st.written + st.dropped == app.fed
    # the newest points were kept: each series holds its latest seconds, none older
    series = await victoria.export('{__name__=~"train_pos_m|substation_dc_bus_voltage"}')
    delivered = sum(len(s["timestamps"]) for s in series)
    # two fields of the 18 points a second are exported here (one per point): every point
    # kept is one sample
    assert delivered == st.written
    oldest_kept = min(min(s["timestamps"]) for s in series)
    newest = max(max(s["timestamps"]) for s in series)
    assert newest == t0 + (OUTAGE_S - 1) * 1000 + len(TRAINS) - 1
    assert oldest_kept >= t0 + (OUTAGE_S - bound // 18 - 2) * 1000
