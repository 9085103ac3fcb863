"""Adaptive replications: a run stops when the headline medians stop moving, at the same count
whatever the executor, and every result says how stable its headline is."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from click.testing import Result
from typer.testing import CliRunner

from cli.main import app
from simulation import InProcessExecutor, build_setup, run_setup, scenario_preset
from simulation.stability import Adaptive, median_half_width, verdict
from tests.simulation.helpers import line2a


def _setup(name: str, days: int):  # type: ignore[no-untyped-def]
    return build_setup(scenario_preset(name), line2a(), days)


def test_adaptive_run_stops_once_stable_and_equals_a_fixed_run_of_that_size() -> None:
    setup = _setup("wave-2022", 5)
    rule = Adaptive(min_replications=20, max_replications=200, step=10, window=2)
    result = run_setup(setup, rule, 7, executor=InProcessExecutor(), workers=1)
    st = result.stability
    assert st is not None and st["mode"] == "adaptive" and st["converged"] is True
    n = result.replications
    assert 20 <= n < 200 and n % 10 == 0 and st["replications"] == n
    # the rule is met at n and was not at the checkpoint before (when there was one to judge)
    heads = np.array([[c[1], c[2]] for c in st["checkpoints"]])
    last = heads[-3:]
    assert np.abs(last[:, 0] - last[-1, 0]).max() <= st["trips_lost"]["tolerance"]
    assert np.abs(last[:, 1] - last[-1, 1]).max() <= 1.0
    # the replications kept are exactly a fixed run's: same figures, same events
    fixed = run_setup(setup, n, 7, executor=InProcessExecutor(), workers=1)
    a, b = json.loads(result.to_json()), json.loads(fixed.to_json())
    assert a.pop("stability")["mode"] == "adaptive" and b.pop("stability")["mode"] == "fixed"
    assert a == b
    # a pool finishing batches out of order stops at the same count, byte for byte
    with ThreadPoolExecutor(2) as threads:
        again = run_setup(setup, rule, 7, executor=threads, workers=2, batch_size=5)
    assert again.to_json() == result.to_json()


def test_adaptive_run_that_never_settles_stops_at_its_maximum_and_says_so() -> None:
    setup = _setup("cohort-outbreak", 8)
    rule = Adaptive(
        min_replications=10,
        max_replications=30,
        step=5,
        window=4,
        trips_abs=0.0,
        trips_rel=0.0,
        days_abs=0.0,
    )
    result = run_setup(setup, rule, 3, executor=InProcessExecutor(), workers=1)
    st = result.stability
    assert st is not None
    assert result.replications == 30 and st["replications"] == 30
    assert st["converged"] is False and st["trips_lost"]["last_change"] > 0


def test_fixed_run_reports_the_headline_and_its_monte_carlo_error() -> None:
    setup = _setup("cohort-outbreak", 8)
    small = run_setup(setup, 20, 3, executor=InProcessExecutor(), workers=1).stability
    assert small is not None and small["mode"] == "fixed" and small["replications"] == 20
    assert small["converged"] is False  # below the default minimum of 80: not judged stable
    trips = small["trips_lost"]
    assert trips["p50"] is not None and trips["p50"] > 0 and trips["half_width_90"] > 0
    assert small["first_day_lost"]["level"] == "timetable"
    assert [c[0] for c in small["checkpoints"]] == [20]


def test_median_half_width_is_distribution_free_and_narrows_as_one_over_root_n() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 100, 1600)
    w100, w1600 = median_half_width(x[:100]), median_half_width(x)
    # binomial order statistics around rank n/2 ± 1.645·√n/2: for U(0,100) about 8.2 at n=100
    assert 6 < w100 < 11
    assert 0.15 < w1600 / w100 < 0.4  # √(100/1600) = 0.25, give or take the sample
    assert median_half_width(np.array([5.0])) == float("inf")


def test_verdict_needs_the_minimum_and_a_full_window() -> None:
    flat = np.zeros((100, 2))
    rule = Adaptive(min_replications=40, step=10, window=3)
    assert verdict(flat, 30, rule)[0] is False  # below the minimum
    assert verdict(flat, 40, rule)[0] is True
    moving = flat.copy()
    moving[30:, 1] = 5.0  # the first day lost jumps once the 31st replication is in
    assert verdict(moving, 60, rule)[0] is False and verdict(moving, 100, rule)[0] is True


def test_cli_runs_until_stable_and_prints_how_stable(tmp_path: Path) -> None:
    runner = CliRunner()
    clean = {k: None for k in os.environ if k.startswith("METRO_")}

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["simulate", *args], env={**clean, "COLUMNS": "200"})

    out = tmp_path / "auto.json"
    r = invoke(
        "--scenario", "baseline", "--days", "2", "--replications", "auto:200",
        "--workers", "1", "-q", "--out", str(out),
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    st = json.loads(out.read_text())["stability"]
    # baseline loses nothing, ever: stable at the first checkpoint the rule may judge
    assert st["mode"] == "adaptive" and st["converged"] and st["replications"] == 80
    assert "headline stable (adaptive)" in r.stdout
    for bad in ("0", "auto:x", "lots"):
        r = invoke("--scenario", "baseline", "--replications", bad)
        assert r.exit_code == 2 and f"--replications {bad}" in r.stderr
