"""A what-if that cannot end must not cost a core forever, nor hold up the server.

Over real HTTP (uvicorn), a real SQLite database and real worker processes: a scenario whose
batches would never end (trains failing every 1e-9 h) is refused with 422; a run that cannot
end all the same (built past the validation, as a model bug would make one) is cancelled —
its worker processes are gone within seconds and the cores idle, and the next run gets fresh
workers; it fails at the wall-clock limit saying so; the server stops promptly with it in
flight, also as a ``metro-ops serve`` process interrupted by Ctrl-C (SIGINT to its process
group, as a terminal sends it), without a traceback from any worker. The queue is capped per
user and in all (429 with Retry-After).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from services.settings import Settings
from simulation import Scenario, scenario_preset
from simulation.scenario import FleetModel
from tests.api.authkit import TOKENS, bearer, make_settings, serving
from tests.fixtures.metro_server import server_env
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port
from tests.poll import until, until_sync
from whatif.service import SimulationService
from whatif.settings import SimulationSettings

PL = bearer("planner")
PLANNER = "planner-bot (planner)"


def endless() -> Scenario:
    """Baseline with a train failure every 1e-9 h: one replication never finishes. Built
    without validation (which refuses it) — standing for any run that cannot end."""
    sc = scenario_preset("baseline")
    fleet = FleetModel.model_construct(
        **{**sc.fleet.model_dump(), "failures": True, "mtbf_h": 1e-9}
    )
    return sc.model_copy(update={"fleet": fleet, "name": "endless"})


def settings_with(tmp_path: Path, **simulation: Any) -> Settings:
    return make_settings(tmp_path).model_copy(
        update={"simulation": SimulationSettings(workers=2, **simulation)}
    )


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def cpu_s(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def busy(pids: list[int]) -> bool:
    """Some of ``pids`` burn CPU (measured over 0.3 s)."""
    before = cpu_s(pids)
    time.sleep(0.3)
    return cpu_s(pids) - before > 0.1


def descendants(pid: int) -> list[int]:
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


def idle_cores(pids: list[int]) -> bool:
    """``pids`` (this process's workers and fork server) used < 10 % of a core over 1 s."""
    before = cpu_s(pids)
    time.sleep(1.0)
    return cpu_s(pids) - before < 0.1


async def running_workers(svc: SimulationService, run_id: str) -> list[int]:
    """The workers of the running ``run_id``, once they are busy with it."""

    async def ready() -> list[int]:
        view = await svc.get(run_id)
        assert view.status.value in ("queued", "running"), view.record.error
        pids = svc.worker_pids()
        return pids if pids and await asyncio.to_thread(busy, pids) else []

    return await until(ready, 60, every_s=0.1, what="the endless run's workers busy")


async def status_of(http: httpx.AsyncClient, run_id: str, *statuses: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        body: dict[str, Any] = (await http.get(f"/api/simulations/{run_id}", headers=PL)).json()
        return body if body["status"] in statuses else None

    return await until(check, 60, every_s=0.1, what=f"run {run_id} {statuses}")


async def test_endless_scenario_refused_and_an_endless_run_cancelled(tmp_path: Path) -> None:
    async with serving(settings_with(tmp_path)) as served, served.client() as http:
        sc = scenario_preset("baseline").model_dump(mode="json")
        sc["fleet"] |= {"failures": True, "mtbf_h": 1e-9}
        body = {"scenario": sc, "days": 1, "replications": 1}
        r = await http.post("/api/simulations", json=body, headers=PL)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "scenario", "fleet", "mtbf_h"]

        svc = served.rt.simulations
        assert svc is not None
        run = await svc.submit(endless(), days=1, replications=1, seed=0, actor=PLANNER)
        workers = await running_workers(svc, run.id)

        t0 = time.monotonic()
        r = await http.post(f"/api/simulations/{run.id}/cancel", headers=PL)
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        await until(lambda: all(gone(p) for p in workers), 5, what=f"workers {workers} gone")
        assert time.monotonic() - t0 < 8
        helpers = descendants(os.getpid())  # the fork server, the resource tracker
        assert await asyncio.to_thread(idle_cores, helpers + workers)

        # fresh workers run the next what-if to its end
        r = await http.post(
            "/api/simulations",
            json={"scenario": "baseline", "days": 2, "replications": 2, "seed": 1},
            headers=PL,
        )
        assert r.status_code == 202, r.text
        done = await status_of(http, r.json()["id"], "done", "failed")
        assert done["status"] == "done", done["error"]
        assert not set(workers) & set(svc.worker_pids())


async def test_a_run_over_the_wall_clock_limit_fails_saying_so(tmp_path: Path) -> None:
    async with serving(settings_with(tmp_path, max_run_s=5)) as served, served.client() as http:
        svc = served.rt.simulations
        assert svc is not None
        run = await svc.submit(endless(), days=1, replications=1, seed=0, actor=PLANNER)
        workers = await until(svc.worker_pids, 30, what="the run's workers started")
        failed = await status_of(http, run.id, "failed", "cancelled", "done")
        assert failed["status"] == "failed"
        assert "wall-clock limit of 5 s" in failed["error"]
        assert "simulation.max_run_s" in failed["error"]
        await until(lambda: all(gone(p) for p in workers), 5, what=f"workers {workers} gone")


async def test_the_server_stops_promptly_with_an_endless_run(tmp_path: Path) -> None:
    t_exit = 0.0
    async with serving(settings_with(tmp_path)) as served:
        svc = served.rt.simulations
        assert svc is not None
        run = await svc.submit(endless(), days=1, replications=1, seed=0, actor=PLANNER)
        workers = await running_workers(svc, run.id)
        t_exit = time.monotonic()
    assert time.monotonic() - t_exit < 8  # `serving` gives up (and fails) after 15 s
    await until(lambda: all(gone(p) for p in workers), 5, what=f"workers {workers} gone")


async def test_the_queue_is_capped_per_user_and_in_all(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, queue_per_user=2, queue_total=3)
    async with serving(settings) as served, served.client() as http:
        svc = served.rt.simulations
        assert svc is not None
        body = {"scenario": "wave-2022", "days": 60, "replications": 2000}
        first = await svc.submit(endless(), days=1, replications=1, seed=0, actor=PLANNER)
        second = await http.post("/api/simulations", json=body, headers=PL)
        assert second.status_code == 202, second.text
        r = await http.post("/api/simulations", json=body, headers=PL)
        assert r.status_code == 429 and r.json()["detail"]["code"] == "whatif.refused.queue_mine"
        assert "queue_per_user" in r.json()["detail"]["message"]  # the setting to raise
        assert int(r.headers["retry-after"]) > 0
        admin = bearer("admin")
        assert (await http.post("/api/simulations", json=body, headers=admin)).status_code == 202
        r = await http.post("/api/simulations", json=body, headers=admin)
        assert r.status_code == 429 and r.json()["detail"]["code"] == "whatif.refused.queue_total"
        assert int(r.headers["retry-after"]) > 0

        # a cancelled run frees its place
        r = await http.post(f"/api/simulations/{second.json()['id']}/cancel", headers=PL)
        assert r.json()["status"] == "cancelled"
        assert (await http.post("/api/simulations", json=body, headers=PL)).status_code == 202
        await http.post(f"/api/simulations/{first.id}/cancel", headers=PL)


# --- `metro-ops serve` interrupted like a terminal's Ctrl-C ---------------------------------
SERVE_WITH_ENDLESS_RUNS = """
import sys
import simulation.scenario as scenario

scenario.MIN_MTBF_H = 0.0  # lets the API accept a scenario whose run cannot end
from cli.main import main

sys.argv = ["metro-ops", "serve"]
main()
"""


def test_ctrl_c_stops_serve_promptly_without_worker_tracebacks(
    tmp_path: Path, mosquitto: Broker
) -> None:
    """A what-if ran (the pool is warm), another cannot end: Ctrl-C stops the server within
    seconds, every worker with it, and nothing prints a traceback."""
    port = free_port()
    env = server_env(
        tmp_path,
        port,
        MQTT_URL=mosquitto.url,
        AUTH_TOKENS=f'{{"{TOKENS["planner"]}": "planner-bot:planner"}}',
        SIMULATION_WORKERS="2",
        LOG_LEVEL="info",
    )
    out = tmp_path / "server.out"
    with out.open("wb") as log:
        # its own session: a process group like a terminal's job, which Ctrl-C signals whole
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_WITH_ENDLESS_RUNS],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=PL, timeout=10) as http:

            def answers() -> bool:
                assert proc.poll() is None, out.read_text()
                try:
                    return http.get("/healthz").status_code > 0
                except httpx.TransportError:
                    return False

            until_sync(answers, 60, every_s=0.1, what="metro-ops serve answering")

            def run(scenario: Any, days: int, replications: int) -> str:
                body = {"scenario": scenario, "days": days, "replications": replications}
                r = http.post("/api/simulations", json=body)
                assert r.status_code == 202, r.text
                run_id: str = r.json()["id"]
                return run_id

            def status(run_id: str) -> str:
                status: str = http.get(f"/api/simulations/{run_id}").json()["status"]
                return status

            done = run("baseline", 2, 2)
            until_sync(lambda: status(done) == "done", 60, every_s=0.1, what="a what-if done")
            sc = scenario_preset("baseline").model_dump(mode="json")
            sc["fleet"] |= {"failures": True, "mtbf_h": 1e-9}
            stuck = run(sc, 1, 1)
            until_sync(lambda: status(stuck) == "running", 30, every_s=0.1, what="running")
            workers = until_sync(
                lambda: [p for p in descendants(proc.pid) if busy([p])],
                30,
                every_s=0.1,
                what="a busy worker",
            )
            everyone = descendants(proc.pid)

        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=20)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.read_text(errors="replace")
    assert took < 10, text[-3000:]
    assert code in (0, 130), text[-3000:]  # 130: ended by SIGINT, as uvicorn re-raises it
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-3000:]
    until_sync(lambda: all(gone(p) for p in everyone), 5, what=f"workers {workers} gone")
