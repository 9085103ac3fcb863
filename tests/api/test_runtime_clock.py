"""The runtime is built with one clock and every part runs on it: a test that injects a clock
sees its time in the board's frames, the start time and the sweep queue, not the machine's."""

from __future__ import annotations

from pathlib import Path

import orjson

from services.runtime import build_runtime
from simulation.scenario import scenario_preset
from simulation.sweep import SweepSpec
from tests.api.authkit import make_settings

FAKE_MS = 1_700_000_000_000  # 2023-11-14: nowhere near the machine's clock


def test_every_part_of_the_runtime_reads_the_injected_clock(tmp_path: Path) -> None:
    now = [FAKE_MS]
    rt = build_runtime(make_settings(tmp_path), clock=lambda: now[0], require_broker=False)
    assert rt.started_ms == FAKE_MS

    client = rt.board_hub.connect("test")
    now[0] += 1_000
    rt.board_hub.tick()
    frame = client.queue.get_nowait()
    assert frame is not None
    assert orjson.loads(frame.text)["ts_ms"] == FAKE_MS + 1_000

    spec = SweepSpec(
        scenario="wave-2022",
        days=1,
        replications=1,
        vary=[{"path": "policy_overrides.f1_mode", "values": ["quarantine"]}],
    )
    job = rt.sweeps.submit(spec, scenario_preset("wave-2022"), actor="planner")
    now[0] += 1_000
    rt.sweeps.cancel(job.id)
    assert (job.created_ms, job.finished_ms) == (FAKE_MS + 1_000, FAKE_MS + 2_000)
