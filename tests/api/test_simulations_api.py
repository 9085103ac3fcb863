"""The what-if API over real HTTP (uvicorn), a real SQLite database and real worker processes.

Proves: a planner submits a run (preset or inline scenario), follows its progress to the
result, compares two results, cancels a running and a queued run; results survive a restart
of the server; operators and anonymous callers may read but not run (403/401); bad input is
refused with 422 naming the field; a run "from today" starts from the crew database.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from crew import CrewPolicy, synthetic_roster
from simulation import PRESETS, scenario_preset
from tests.api.authkit import bearer, make_settings, serving
from tests.poll import until

PL = bearer("planner")


async def wait_for(
    http: httpx.AsyncClient, run_id: str, statuses: set[str], timeout_s: float = 60
) -> dict[str, Any]:
    """Poll the run until its status is one of ``statuses``."""

    async def check() -> dict[str, Any] | None:
        r = await http.get(f"/api/simulations/{run_id}", headers=bearer("operator"))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body if body["status"] in statuses else None

    return await until(check, timeout_s, every_s=0.1, what=f"run {run_id} {statuses}")


async def submit(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await http.post("/api/simulations", json=body, headers=PL)
    assert r.status_code == 202, r.text
    data: dict[str, Any] = r.json()
    assert r.headers["location"] == f"/api/simulations/{data['id']}"
    assert data["status"] == "queued"
    return data


async def test_planner_runs_follows_compares_and_cancels(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with serving(settings) as served, served.client() as http:
        r = await http.get("/api/simulations/scenarios", headers=bearer("operator"))
        assert r.status_code == 200
        presets = {p["name"]: p for p in r.json()}
        assert set(presets) == set(PRESETS)
        assert presets["wave-2022"]["scenario"]["incidence"]["series"] == "hanoi-2022"

        base = await submit(http, scenario="baseline", days=7, replications=4, seed=1)
        # an inline scenario: the 2022 wave with F1 staff quarantined instead, on today's
        # timetable
        inline = presets["wave-2022"]["scenario"] | {"name": "wave-f1-quarantine"}
        inline["policy_preset"] = "hanoi-2021"
        inline["timetable"] = "2026"  # against today's timetable, like the baseline
        wave = await submit(http, scenario=inline, days=7, replications=4, seed=1)

        done = await wait_for(http, base["id"], {"done", "failed"})
        assert done["status"] == "done", done["error"]
        assert done["progress"] == {"done": 4, "total": 4, "fraction": 1.0}
        result = done["result"]
        assert (result["scenario"], result["seed"], result["replications"]) == ("baseline", 1, 4)
        assert len(result["days"]) == 7
        for day in result["days"]:
            assert day["trips_operated"]["p50"] == day["trips_planned"]["p50"] > 0
            assert day["trips_cancelled"] == {
                "p10": 0.0,
                "p50": 0.0,
                "p90": 0.0,
                "mean": 0.0,
                "mean_p10": 0.0,
                "mean_p90": 0.0,
            }
        done = await wait_for(http, wave["id"], {"done", "failed"})
        assert done["status"] == "done", done["error"]
        assert done["result"]["scenario"] == "wave-f1-quarantine"

        r = await http.get(
            "/api/simulations/compare",
            params={"a": base["id"], "b": wave["id"]},
            headers=bearer("operator"),
        )
        assert r.status_code == 200, r.text
        cmp = r.json()
        assert (cmp["a"]["id"], cmp["b"]["id"]) == (base["id"], wave["id"])
        planned = cmp["summary"]["total.trips_planned"]
        assert planned["a"]["p50"] == planned["b"]["p50"] and planned["diff_p50"] == 0
        operated = cmp["summary"]["total.trips_operated"]
        assert operated["diff_p50"] == operated["b"]["p50"] - operated["a"]["p50"]
        assert len(cmp["days"]) == 7

        # a long run: cancelled while it runs; another one cancelled while it waits its turn
        long = await submit(http, scenario="wave-2022", days=60, replications=2000, seed=3)
        queued = await submit(http, scenario="wave-2022", days=60, replications=2000, seed=4)
        running = await wait_for(http, long["id"], {"running"})
        for _ in range(200):  # until the first replications are in
            running = await wait_for(http, long["id"], {"running"})
            if running["progress"]["done"] > 0:
                break
            await asyncio.sleep(0.1)
        assert 0 < running["progress"]["done"] < 2000
        r = await http.post(f"/api/simulations/{queued['id']}/cancel", headers=PL)
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        r = await http.post(f"/api/simulations/{long['id']}/cancel", headers=PL)
        assert r.status_code == 200
        stopped = await wait_for(http, long["id"], {"cancelled", "done", "failed"}, 30)
        assert stopped["status"] == "cancelled" and stopped["result"] is None
        assert stopped["progress"]["done"] < 2000
        r = await http.get(
            "/api/simulations/compare",
            params={"a": base["id"], "b": long["id"]},
            headers=PL,
        )
        assert r.status_code == 409 and r.json()["detail"]["code"] == "whatif.refused.no_result"
        assert "đã hủy" in r.json()["detail"]["message"]  # the run cancelled, in words
        r = await http.get(
            "/api/simulations/compare", params={"a": base["id"], "b": "nope"}, headers=PL
        )
        assert r.status_code == 404

        r = await http.get("/api/simulations", headers=bearer("crew_manager"))
        assert r.status_code == 200
        listed = [(x["id"], x["status"]) for x in r.json()]
        assert listed == [
            (queued["id"], "cancelled"),
            (long["id"], "cancelled"),
            (wave["id"], "done"),
            (base["id"], "done"),
        ]
        assert r.json()[-1]["submitted_by"] == "planner-bot (planner)"

    # a restart: the results are still there, exactly as computed
    async with serving(settings) as served, served.client() as http:
        again = await wait_for(http, base["id"], {"done"})
        assert again["result"] == result
        r = await http.get(f"/api/simulations/{long['id']}", headers=PL)
        assert r.json()["status"] == "cancelled"


async def test_only_planners_run_and_bad_input_names_the_field(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        body = {"scenario": "baseline", "days": 3, "replications": 2}
        r = await http.post("/api/simulations", json=body)
        assert r.status_code == 401
        for role in ("operator", "crew_manager"):
            r = await http.post("/api/simulations", json=body, headers=bearer(role))
            assert r.status_code == 403 and "planner" in r.json()["detail"]["needs"]
            r = await http.post("/api/simulations/x/cancel", headers=bearer(role))
            assert r.status_code == 403
        assert (await http.get("/api/simulations")).status_code == 401
        assert (await http.get("/api/simulations", headers=bearer("operator"))).json() == []

        async def invalid(payload: dict[str, Any]) -> list[Any]:
            r = await http.post("/api/simulations", json=payload, headers=PL)
            assert r.status_code == 422, r.text
            return [e["loc"] for e in r.json()["detail"]]

        assert await invalid(body | {"days": 0}) == [["body", "days"]]
        assert await invalid(body | {"replications": 100_000}) == [["body", "replications"]]
        assert await invalid(body | {"seed": -1}) == [["body", "seed"]]
        too_big = body | {"days": 366, "replications": 1000}
        assert await invalid(too_big) == [["body", "replications"]]
        assert await invalid(body | {"scenario": "wave-2099"}) == [["body", "scenario"]]
        assert await invalid(body | {"colour": "red"}) == [["body", "colour"]]
        sc = scenario_preset("wave-2022").model_dump(mode="json")
        sc["incidence"]["doubling_days"] = -4
        assert await invalid(body | {"scenario": sc}) == [
            ["body", "scenario", "incidence", "doubling_days"]
        ]
        r = await http.post("/api/simulations", json=body | {"scenario": "wave-2099"}, headers=PL)
        assert "presets: baseline" in r.json()["detail"][0]["msg"]
        # impossible against the roster or the run's length: refused before it is queued, in
        # the asker's language (Vietnamese by default), with the rule's code
        for patch, code, words_en, words_vi in (
            ({"absences": [{"role": "driver", "count": 100}]}, "scenario.refused.absence_count",
             "100 absent, but the roster has 60 (driver)",
             "100 người vắng mặt, nhưng danh sách chỉ có 60 lái tàu"),
            ({"health": {"seed_cases": [{"day": 5}]}}, "scenario.refused.seed_after_end",
             "after the run's last day (2)", "sau ngày cuối của lần chạy (2)"),
        ):  # fmt: skip
            bad = scenario_preset("baseline").model_dump(mode="json") | patch
            for lang, words in (("en", words_en), ("vi", words_vi)):
                r = await http.post(
                    "/api/simulations",
                    json=body | {"scenario": bad},
                    headers=PL | {"Accept-Language": lang},
                )
                assert r.status_code == 422, r.text
                err = r.json()["detail"][0]
                assert err["loc"] == ["body", "scenario"] and words in err["msg"], err
                assert err["type"] == "impossible_input" and err["code"] == code, err
        # a scenario's own rule, refused by its validator: the same, with the field's place
        sc = scenario_preset("baseline").model_dump(mode="json")
        sc["service"]["headway_steps_s"] = [600, 360]
        r = await http.post("/api/simulations", json=body | {"scenario": sc}, headers=PL)
        (err,) = r.json()["detail"]
        assert err["loc"] == ["body", "scenario", "service"], err
        assert err["msg"] == "Các bậc giãn cách phải dương và tăng dần", err
        assert err["type"] == "value_error", err
        assert err["code"] == "scenario.refused.headway_steps", err
        r = await http.get("/api/simulations/compare", params={"a": "x"}, headers=PL)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "b"]
        assert (await http.get("/api/simulations/nope", headers=PL)).status_code == 404
        assert (await http.post("/api/simulations/nope/cancel", headers=PL)).status_code == 404
        assert (await http.get("/api/simulations", headers=PL)).json() == []  # nothing queued

        # "from today": the run starts from the crew record in the database
        local_today = datetime.now(CrewPolicy().tz).date()
        roster = synthetic_roster(5, reference=local_today)  # qualifications valid from today
        await served.rt.crew.replace_roster(roster, actor="test", context="test")
        today = await submit(http, scenario="baseline", days=2, replications=1, from_today=True)
        done = await wait_for(http, today["id"], {"done", "failed"})
        assert done["status"] == "done", done["error"]
        assert done["result"]["scenario_spec"]["start"] == "today"
        start = date.fromisoformat(done["result"]["start_date"])
        assert start in (local_today, local_today + timedelta(days=1))
        assert done["result"]["days"][0]["staff"]["driver"]["available"]["p50"] == 60
