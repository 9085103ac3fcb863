"""What-if runs the API must refuse up front rather than accept and fail, over real HTTP
(uvicorn), a real SQLite database and real worker processes: a run "from today" whose case
series ended long ago, or against a crew record without staff (422, in the asker's
language); an MTBF too large to be a rate runs with no train failures; cancelling a run that
has ended is a conflict (409), not a silent 200; a comparison of runs of different lengths
reads every figure over the days both ran.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from crew import CrewPolicy, synthetic_roster
from simulation import scenario_preset
from tests.api.authkit import bearer, make_settings, serving
from tests.api.test_simulations_api import PL, submit, wait_for


async def refused(http: httpx.AsyncClient, body: dict[str, Any], lang: str) -> dict[str, Any]:
    r = await http.post("/api/simulations", json=body, headers=PL | {"Accept-Language": lang})
    assert r.status_code == 422, r.text
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body", "scenario"], err
    return dict(err)


async def test_runs_from_today_are_checked_against_the_crew_record_when_submitted(
    tmp_path: Any,
) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        body = {"scenario": "baseline", "days": 2, "replications": 1, "from_today": True}
        # nobody in the crew record: every trip would be lost for want of staff
        err = await refused(http, body, "en")
        assert err["code"] == "scenario.refused.no_staff", err
        assert "the crew record has no staff" in err["msg"]
        err = await refused(http, body, "vi")
        assert "Hồ sơ nhân sự không có nhân viên nào" in err["msg"]

        local_today = datetime.now(CrewPolicy().tz).date()
        await served.rt.crew.replace_roster(
            synthetic_roster(5, reference=local_today), actor="test", context="test"
        )
        # the 2022 wave's case series ended on 30/04/2022: it cannot start today
        wave = body | {"scenario": "wave-2022"}
        err = await refused(http, wave, "en")
        assert err["code"] == "scenario.refused.series_ends_early", err
        assert "incidence series hanoi-2022 ends 2022-04-30" in err["msg"]
        err = await refused(http, wave, "vi")
        assert "Chuỗi số ca mắc hanoi-2022 kết thúc ngày 2022-04-30" in err["msg"]
        r = await http.get("/api/simulations", headers=PL)
        assert r.json() == []  # nothing was queued

        ok = await submit(http, **body)
        done = await wait_for(http, ok["id"], {"done", "failed"})
        assert done["status"] == "done", done["error"]


async def test_a_huge_mtbf_runs_without_failures_and_an_ended_run_cannot_be_cancelled(
    tmp_path: Any,
) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        del served
        sc = scenario_preset("baseline").model_dump(mode="json")
        sc["fleet"] |= {"failures": True, "mtbf_h": 1e308}
        run = await submit(http, scenario=sc, days=2, replications=2, seed=1)
        done = await wait_for(http, run["id"], {"done", "failed"})
        assert done["status"] == "done", done["error"]
        for day in done["result"]["days"]:
            assert day["cancelled"]["fleet"]["p90"] == 0, day["cancelled"]

        r = await http.post(f"/api/simulations/{run['id']}/cancel", headers=PL)
        assert r.status_code == 409, r.text
        assert r.json()["detail"]["code"] == "whatif.refused.ended"
        assert "đã kết thúc (đã xong)" in r.json()["detail"]["message"]
        r = await http.post(
            f"/api/simulations/{run['id']}/cancel", headers={**PL, "Accept-Language": "en"}
        )
        assert r.json()["detail"]["message"].endswith("is done: it has already ended")
        r = await http.get(f"/api/simulations/{run['id']}", headers=bearer("operator"))
        assert r.json()["status"] == "done" and r.json()["result"] is not None


async def test_runs_of_different_lengths_compare_over_the_days_both_ran(tmp_path: Any) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        del served
        short = await submit(http, scenario="wave-2022", days=5, replications=4, seed=1)
        long = await submit(http, scenario="cohort-outbreak", days=14, replications=4, seed=1)
        for run in (short, long):
            done = await wait_for(http, run["id"], {"done", "failed"}, 120)
            assert done["status"] == "done", done["error"]
        whole = done["result"]["summary"]["first_day_lost"]["timetable"]
        # the long run loses its timetable in every run, but after the 5 days compared
        assert whole["share_lost"] == 1.0 and whole["lost_by_day"][4] == 0.0, whole

        r = await http.get(
            "/api/simulations/compare", params={"a": short["id"], "b": long["id"]}, headers=PL
        )
        assert r.status_code == 200, r.text
        cmp = r.json()
        assert cmp["verdict"]["compared_days"] == 5
        timetable = next(s for s in cmp["verdict"]["statements"] if s.get("level") == "timetable")
        assert timetable["code"] == "level_same", timetable
        assert (timetable["share_lost_a"], timetable["share_lost_b"]) == (0.0, 0.0)
        assert cmp["first_day_lost"]["timetable"]["b"] == {"p50": None, "share_lost": 0.0}

        # a run compared with itself: trips lost as its own verdict gives them
        r = await http.get(
            "/api/simulations/compare", params={"a": short["id"], "b": short["id"]}, headers=PL
        )
        cmp = r.json()
        own = next(s for s in cmp["a"]["verdict"]["statements"] if s["code"] == "trips_lost")
        same = next(s for s in cmp["verdict"]["statements"] if s["code"] == "trips_lost_diff")
        assert same["a"] == same["b"] == own["p50"], (same, own)
