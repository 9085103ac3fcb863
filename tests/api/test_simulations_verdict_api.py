"""The what-if API serves verdicts (over real HTTP, a real SQLite database, real workers).

Proves: a finished run's result carries its verdict and periods, and the run the scenario it
ran; the comparison carries both runs' verdicts and its own, warning when the runs differ in
length and not offering whole-run totals as differences; a result stored by an earlier version
(no verdict, no periods) is served with a verdict made on reading, and compares.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulation import InProcessExecutor, run_whatif, scenario_preset
from tests.api.authkit import T0, bearer, make_settings, serving
from tests.api.test_simulations_api import submit, wait_for
from whatif.store import RunRecord, RunStatus, RunStore

PL = bearer("planner")
SHORT = {
    "name": "short-drivers",
    "start_date": "2026-03-02",
    "fleet": {"failures": False},
    "absences": [{"role": "driver", "count": 46, "from_day": 2}],
}


async def test_runs_and_comparisons_carry_their_verdicts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    # a result as an earlier version stored it: no verdict, no periods, no binding constraints
    old = run_whatif(scenario_preset("baseline"), 2, 1, 5, executor=InProcessExecutor())
    stored = json.loads(old.to_json())
    del stored["summary"]["verdict"], stored["periods"]
    for day in stored["days"]:  # nor the figures added since
        day.pop("binding", None)
        day["cancelled"].pop("crew", None)
        day["cancelled"].pop("fleet", None)
    async with RunStore(settings.db.url) as store:
        await store.add(
            RunRecord(
                id="old-run",
                scenario="baseline",
                spec={"scenario": old.scenario_spec},
                days=2,
                replications=1,
                seed=5,
                status=RunStatus.QUEUED,
                submitted_by="planner-bot (planner)",
                created_ms=T0,
                started_ms=T0,
                finished_ms=None,
                done=0,
                error="",
            )
        )
        await store.set(
            "old-run",
            status=RunStatus.DONE,
            finished_ms=T0 + 1,
            done=1,
            result=json.dumps(stored),
        )

    async with serving(settings) as served, served.client() as http:
        base = await submit(http, scenario="baseline", days=4, replications=2, seed=1)
        short = await submit(http, scenario=SHORT, days=3, replications=2, seed=1)
        done = await wait_for(http, short["id"], {"done", "failed"})
        assert done["status"] == "done", done["error"]
        assert done["scenario_spec"]["absences"][0]["count"] == 46
        result = done["result"]
        assert result["periods"]["am_peak"]["planned_headway_s"] == 360
        first = result["summary"]["verdict"]["statements"][0]
        assert (first["code"], first["level"], first["lost_date"]) == (
            "level_held_until",
            "timetable",
            "2026-03-04",
        )
        assert (await wait_for(http, base["id"], {"done", "failed"}))["status"] == "done"

        r = await http.get(
            "/api/simulations/compare", params={"a": base["id"], "b": short["id"]}, headers=PL
        )
        assert r.status_code == 200, r.text
        cmp = r.json()
        assert cmp["verdict"]["warnings"] == [
            {"code": "length_differs", "days_a": 4, "days_b": 3, "compared_days": 3}
        ]
        assert cmp["summary"]["total.trips_cancelled"]["comparable"] is False
        timetable = next(s for s in cmp["verdict"]["statements"] if s.get("level") == "timetable")
        assert timetable["code"] == "level_held_only_by" and timetable["better"] == "a"
        assert cmp["b"]["verdict"] == result["summary"]["verdict"]

        # the earlier version's result: served with a verdict made now, and comparable
        r = await http.get("/api/simulations/old-run", headers=PL)
        assert r.status_code == 200, r.text
        got = r.json()["result"]
        assert got["periods"] == {}
        assert got["summary"]["verdict"]["statements"][0] == {
            "code": "level_held_throughout",
            "level": "timetable",
            "until": old.days[-1]["date"],
        }
        assert got["summary"]["verdict"]["statements"][-1] == {"code": "binding_not_recorded"}
        r = await http.get(
            "/api/simulations/compare", params={"a": "old-run", "b": base["id"]}, headers=PL
        )
        assert r.status_code == 200, r.text
        assert r.json()["verdict"]["warnings"][0]["code"] == "length_differs"
