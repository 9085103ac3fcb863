"""The sweeps API over real HTTP (uvicorn) with real worker processes: a planner submits a
one-at-a-time sweep, follows it to the ranking and the tornado chart; a long sweep is
cancelled; bad variants, oversized sweeps and non-planners are refused."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from line import load_line
from simulation import InProcessExecutor
from simulation.sweep import SweepSpec, run_sweep
from tests.api.authkit import bearer, make_settings, serving
from whatif.settings import SimulationSettings

PL = bearer("planner")
FIFTY_DRIVERS_AWAY = [{"role": "driver", "count": 50, "from_day": 1, "to_day": 1}]


async def wait_for(
    http: httpx.AsyncClient, sweep_id: str, statuses: set[str], timeout_s: float = 90
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        r = await http.get(f"/api/simulations/sweeps/{sweep_id}", headers=bearer("operator"))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in statuses:
            return body
        assert loop.time() < deadline, f"sweep {sweep_id} still {body['status']}"
        await asyncio.sleep(0.1)


async def test_planner_sweeps_and_reads_the_ranking(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        body = {
            "scenario": "baseline",
            "days": 3,
            "replications": 2,
            "seed": 1,
            "vary": [
                {"path": "demand.weekday_passengers", "values": [10000]},
                {"path": "absences", "values": [FIFTY_DRIVERS_AWAY]},
            ],
        }
        r = await http.post("/api/simulations/sweeps", json=body, headers=bearer("operator"))
        assert r.status_code == 403
        r = await http.post("/api/simulations/sweeps", json=body, headers=PL)
        assert r.status_code == 202, r.text
        sweep = r.json()
        assert r.headers["location"] == f"/api/simulations/sweeps/{sweep['id']}"
        assert sweep["progress"]["runs_total"] == 3 and sweep["design"] == "oat"

        r = await http.get(f"/api/simulations/sweeps/{sweep['id']}/tornado.png", headers=PL)
        assert r.status_code in (200, 409)  # 409 while it runs
        done = await wait_for(http, sweep["id"], {"done", "failed"})
        assert done["status"] == "done", done["error"]
        assert done["progress"]["runs_done"] == 3 and done["progress"]["fraction"] == 1.0
        assert done["executor"] == "local"
        ranking = done["result"]["ranking"]
        assert [f["path"] for f in ranking] == ["absences", "demand.weekday_passengers"]
        assert ranking[0]["swing_trips_lost"] > 50 and ranking[1]["swing_trips_lost"] == 0

        r = await http.get(f"/api/simulations/sweeps/{sweep['id']}/tornado.png", headers=PL)
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
        r = await http.get("/api/simulations/sweeps", headers=bearer("operator"))
        assert [s["id"] for s in r.json()] == [sweep["id"]]
        # the runs API is not confused by the sweeps path
        r = await http.get("/api/simulations", headers=PL)
        assert r.status_code == 200 and r.json() == []


async def test_bad_sweeps_are_refused_and_a_long_one_is_cancelled(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        vary = [{"path": "incidence.doubling_days", "values": [-1]}]
        r = await http.post(
            "/api/simulations/sweeps", json={"scenario": "wave-2022", "vary": vary}, headers=PL
        )
        assert r.status_code == 422 and "doubling_days=-1" in r.text
        r = await http.post(
            "/api/simulations/sweeps",
            json={"scenario": "/etc/passwd", "vary": [{"path": "onsite", "values": [None]}]},
            headers=PL,
        )
        assert r.status_code == 422 and "unknown scenario" in r.text
        big = {"path": "incidence.doubling_days", "values": [4, 8, 12, 16]}
        r = await http.post(
            "/api/simulations/sweeps",
            json={"scenario": "wave-2022", "vary": [big], "days": 366, "replications": 1000},
            headers=PL,
        )
        assert r.status_code == 422 and "tối đa 400.000 (lần quét này: 1.830.000)" in r.text
        r = await http.post("/api/simulations/sweeps", json={"scenario": "x"}, headers=PL)
        assert r.status_code == 422 and "vary" in r.text

        long = {"scenario": "wave-2022", "vary": [big], "days": 60, "replications": 1000}
        r = await http.post("/api/simulations/sweeps", json=long, headers=PL)
        assert r.status_code == 202, r.text
        sweep = r.json()
        running = await wait_for(http, sweep["id"], {"running"})
        while running["progress"]["replications_done"] == 0:
            running = await wait_for(http, sweep["id"], {"running"})
            await asyncio.sleep(0.1)
        r = await http.post(f"/api/simulations/sweeps/{sweep['id']}/cancel", headers=PL)
        assert r.status_code == 200
        stopped = await wait_for(http, sweep["id"], {"cancelled", "done", "failed"}, 30)
        assert stopped["status"] == "cancelled" and stopped["result"] is None
        # once it has ended there is nothing to cancel: a conflict, not a silent 200
        r = await http.post(f"/api/simulations/sweeps/{sweep['id']}/cancel", headers=PL)
        assert r.status_code == 409 and r.json()["detail"]["code"] == "sweep.refused.ended", r.text
        r = await http.post("/api/simulations/sweeps/nope/cancel", headers=PL)
        assert r.status_code == 404


async def test_sweeps_run_on_dask_when_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).model_copy(
        update={"simulation": SimulationSettings(dask_address="local:2")}
    )
    spec = SweepSpec(
        scenario="wave-2022",
        days=3,
        replications=3,
        seed=2,
        vary=[{"path": "policy_overrides.f1_mode", "values": ["quarantine"]}],
    )
    local = run_sweep(spec, load_line(), executor=InProcessExecutor(), workers=1)
    async with serving(settings) as served, served.client() as http:
        r = await http.post(
            "/api/simulations/sweeps", json=spec.model_dump(mode="json"), headers=PL
        )
        assert r.status_code == 202, r.text
        done = await wait_for(http, r.json()["id"], {"done", "failed"}, 180)
        assert done["status"] == "done", done["error"]
        assert done["executor"] == "dask local:2"
        assert done["result"] == local  # a 2-worker-process LocalCluster, the same numbers
