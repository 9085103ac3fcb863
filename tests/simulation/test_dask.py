"""The executor seam on a real Dask cluster: a LocalCluster of two worker processes gives the
same JSON as the in-process executor, for a fixed and an adaptive run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from simulation import InProcessExecutor, build_setup, run_setup, scenario_preset
from simulation.dask_executor import DaskExecutor, dask_executor
from simulation.stability import Adaptive
from tests.simulation.helpers import line2a


@pytest.fixture(scope="module")
def dask() -> Iterator[DaskExecutor]:
    # worker processes, one thread each (the model is pure Python: threads would share a GIL);
    # the context manager closes client and cluster even when a test fails
    with DaskExecutor.local(n_workers=2, threads_per_worker=1) as ex:
        yield ex


def test_dask_cluster_gives_the_local_executors_json(dask: DaskExecutor) -> None:
    info = dask.client.scheduler_info()["workers"]
    assert len(info) == 2 and all(w["nthreads"] == 1 for w in info.values())
    pids = set(dask.client.run(lambda: __import__("os").getpid()).values())
    assert len(pids) == 2 and __import__("os").getpid() not in pids  # real worker processes
    setup = build_setup(scenario_preset("wave-2022"), line2a(), 6)
    reference = run_setup(setup, 8, 11, executor=InProcessExecutor(), workers=1).to_json()
    assert run_setup(setup, 8, 11, executor=dask, workers=dask.workers()).to_json() == reference
    assert run_setup(setup, 8, 11, executor=dask, batch_size=1).to_json() == reference
    assert run_setup(setup, 8, 12, executor=dask, workers=2).to_json() != reference


def test_adaptive_run_stops_at_the_same_count_on_dask(dask: DaskExecutor) -> None:
    setup = build_setup(scenario_preset("wave-2022"), line2a(), 4)
    rule = Adaptive(min_replications=20, max_replications=120, step=10, window=2)
    local = run_setup(setup, rule, 5, executor=InProcessExecutor(), workers=1)
    remote = run_setup(setup, rule, 5, executor=dask, workers=2)
    assert remote.to_json() == local.to_json()
    assert remote.replications < 120 and remote.stability is not None


def test_dask_address_is_checked() -> None:
    for bad in ("local:x", "local:0"):
        with pytest.raises(ValueError, match="local:"), dask_executor(bad):
            pass


def test_cli_runs_on_a_local_dask_cluster(tmp_path: Path) -> None:
    out = tmp_path / "dask.json"
    clean = {k: None for k in os.environ if k.startswith("METRO_")}
    r = CliRunner().invoke(
        app,
        ["simulate", "--scenario", "wave-2022", "--days", "3", "--replications", "4",
         "--seed", "9", "--dask", "local:2", "-q", "--out", str(out)],
        env={**clean, "COLUMNS": "160"},
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "2 workers" in r.stdout  # the cluster's threads, not this machine's cores
    setup = build_setup(scenario_preset("wave-2022"), line2a(), 3)
    local = run_setup(setup, 4, 9, executor=InProcessExecutor(), workers=1)
    assert out.read_text() == local.to_json()
