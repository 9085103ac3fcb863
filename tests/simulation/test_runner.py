"""The Monte Carlo runner: reproducible results, bands, progress, cancellation, executors.

The executor seam is tested with every executor available here: the in-process one (the
reference), a thread pool (any ``concurrent.futures.Executor``, as a Dask client's executor
is), the default local process pool (fork) and a fork-server pool (what the web server uses,
since it runs threads): all give byte-identical results for the same seed.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import subprocess
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from simulation import (
    Cancelled,
    InProcessExecutor,
    build_setup,
    run_setup,
    scenario_preset,
)
from simulation.results import bands
from simulation.runner import batches, start_method
from tests.simulation.helpers import line2a


def _setup(name: str = "wave-2022", days: int = 10):  # type: ignore[no-untyped-def]
    return build_setup(scenario_preset(name), line2a(), days)


def test_same_seed_same_json_with_every_executor() -> None:
    setup = _setup()
    reference = run_setup(setup, 6, 42, executor=InProcessExecutor(), workers=1).to_json()
    with ThreadPoolExecutor(2) as threads:
        assert run_setup(setup, 6, 42, executor=threads, batch_size=4).to_json() == reference
    assert run_setup(setup, 6, 42, workers=2).to_json() == reference  # local process pool
    assert multiprocessing.active_children() == []  # the run's own pool is shut down
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        assert run_setup(setup, 6, 42, executor=pool, batch_size=1).to_json() == reference
    other = run_setup(setup, 6, 43, executor=InProcessExecutor(), workers=1).to_json()
    assert other != reference
    data = json.loads(reference)
    assert (data["scenario"], data["seed"], data["replications"]) == ("wave-2022", 42, 6)


def test_result_has_a_band_per_day_for_every_figure() -> None:
    result = run_setup(_setup(days=8), 5, 1, executor=InProcessExecutor(), workers=1)
    data = json.loads(result.to_json())
    assert len(data["days"]) == 8
    for d, day in enumerate(data["days"]):
        assert day["day"] == d
        for key in ("trips_planned", "trips_operated", "trips_cancelled"):
            band = day[key]
            assert set(band) >= {"p10", "p50", "p90"}
            assert band["p10"] <= band["p50"] <= band["p90"]
        # the per-day outputs the planners asked for
        assert set(day["periods"]) == {"day"}  # the 2022 timetable: every 10 min all day
        for p in day["periods"].values():
            assert {"trips_operated", "headway_s", "achieved_headway_s"} <= set(p)
        # the crew's roles, and station staff (simulated in the what-if only)
        assert {"driver", "technician", "occ_operator", "station_staff"} == set(day["staff"])
        assert set(day["binding"]) == {
            "drivers_early",
            "drivers_late",
            "trains",
            "technicians",
            "control_centre",
            "station_staff",
        }
        assert {"available", "required", "assigned"} <= set(day["staff"]["driver"])
        for key in ("seat_capacity", "standing_capacity", "demand", "mean_wait_s", "overtime_h"):
            assert day[key]["p50"] is not None
        assert {"overtime_h_max_person", "legal_breaches", "level"} <= set(day)
    assert set(data["summary"]["first_day_lost"]) == {
        "timetable",
        "peak_headway",
        "headway_10min",
        "headway_15min",
        "service",
    }


def test_mean_band_narrows_as_replications_grow_outcome_band_does_not() -> None:
    """The p10-p90 spread of outcomes is the scenario's own uncertainty: it converges rather
    than shrinks. The band of the estimated mean is the Monte Carlo error: 1/sqrt(n)."""
    setup = _setup("doubling-4d", days=14)
    small = run_setup(setup, 8, 11, workers=2).summary["total"]["infections"]
    large = run_setup(setup, 64, 11, workers=2).summary["total"]["infections"]

    def width(b: dict[str, float], lo: str, hi: str) -> float:
        return b[hi] - b[lo]

    assert width(large, "mean_p10", "mean_p90") < width(small, "mean_p10", "mean_p90") / 2
    assert large["p10"] <= large["mean"] <= large["p90"]
    assert large["mean_p10"] <= large["mean"] <= large["mean_p90"]
    ratio = width(large, "p10", "p90") / width(small, "p10", "p90")
    assert 0.5 < ratio < 2, ratio


def test_progress_counts_up_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    run_setup(
        _setup(days=3),
        7,
        1,
        executor=InProcessExecutor(),
        workers=1,
        batch_size=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(2, 7), (4, 7), (6, 7), (7, 7)]


def test_cancel_in_process_stops_before_the_end() -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, _total: int) -> None:
        seen.append(done)
        cancel.set()

    with pytest.raises(Cancelled, match="cancelled after 1 of 50"):
        run_setup(
            _setup(days=3),
            50,
            1,
            executor=InProcessExecutor(),
            workers=1,
            batch_size=1,
            progress=progress,
            cancel=cancel,
        )
    assert seen == [1]


class Counting:
    """An executor wrapper that counts what the run submitted."""

    def __init__(self, inner: ProcessPoolExecutor) -> None:
        self.inner = inner
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return self.inner.submit(fn, *args, **kwargs)


def test_cancel_a_process_pool_run_submits_no_more_work() -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, _total: int) -> None:
        seen.append(done)
        cancel.set()

    with ProcessPoolExecutor(2) as pool:
        counting = Counting(pool)
        with pytest.raises(Cancelled):
            run_setup(
                _setup(days=60),
                400,
                1,
                executor=counting,
                workers=2,
                batch_size=2,
                progress=progress,
                cancel=cancel,
            )
        # of 200 batches, only those in flight when it was cancelled were ever submitted
        assert counting.submitted <= 2 + 1
        # the first batch's progress cancels; a batch finishing in the same wait is reported too
        assert seen in ([2], [2, 4])
    assert multiprocessing.active_children() == []


def test_batches_bound_the_work_per_batch() -> None:
    assert batches(200, 2, days=60) == [list(range(a, a + 5)) for a in range(0, 200, 5)]
    assert batches(5, 4, days=60) == [[0], [1], [2], [3], [4]]
    assert [len(b) for b in batches(100, 1, days=7)] == [13] * 7 + [9]
    assert batches(3, 1, batch_size=2) == [[0, 1], [2]]


def test_workers_fork_only_while_single_threaded() -> None:
    # a fresh interpreter has its main thread alone (this one may not: a Dask test leaves
    # distributed's offload thread behind for good)
    fresh = subprocess.run(
        [sys.executable, "-c", "from simulation.runner import start_method; print(start_method())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert fresh.stdout.strip() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="busy")
    other.start()
    try:
        assert start_method() == "forkserver"
    finally:
        stop.set()
        other.join()


def test_bands_treat_infinite_and_missing_values_as_above_every_number() -> None:
    """A period with no train has an infinite headway; a level never lost has no first day:
    quantiles that reach them are null, never a huge stand-in number."""
    m = np.array([[1.0, math.inf, 5], [2.0, 3.0, math.nan], [3.0, 4.0, 7], [4.0, math.inf, 9]])
    a, b, c = bands(m)
    assert (a["p10"], a["p50"], a["p90"], a["mean"]) == (1.3, 2.5, 3.7, 2.5)
    assert a["mean_p10"] is not None and a["mean_p10"] < 2.5 < a["mean_p90"]  # type: ignore[operator]
    assert (b["p10"], b["p50"], b["p90"], b["mean"]) == (3.3, None, None, None)
    assert (c["p50"], c["p90"]) == (8.0, None)
