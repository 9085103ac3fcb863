"""Heavy crew requests cannot take the server down: ``GET /api/crew/coverage`` and ``/capacity``
are bounded in days, identical requests share one solve, each user's new solves are rate
limited (429 with Retry-After), and the live board keeps answering fast while many solves
are asked for at once (over real HTTP, a real SQLite crew store and CP-SAT)."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from crew import synthetic_roster
from tests.api.authkit import Served, bearer, make_settings, serving


async def with_roster(served: Served) -> None:
    await served.rt.crew.replace_roster(synthetic_roster(1), actor="test", context="test")


async def board_ms(http: httpx.AsyncClient) -> float:
    t0 = time.perf_counter()
    r = await http.get("/api/board", headers=bearer("operator"))
    assert r.status_code == 200, r.text
    return (time.perf_counter() - t0) * 1000


async def test_identical_requests_share_a_solve_and_heavy_users_are_limited(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    crew = settings.crew.model_copy(update={"outlook_days_per_minute": 8})
    async with (
        serving(settings.model_copy(update={"crew": crew})) as served,
        served.client() as http,
    ):
        await with_roster(served)
        gate = served.rt.outlooks
        assert gate is not None
        r = await http.get("/api/crew/coverage?days=62", headers=bearer("planner"))
        assert r.status_code == 422 and "crew.outlook_max_days" in r.text
        r = await http.get("/api/crew/capacity?days=32", headers=bearer("planner"))
        assert r.status_code == 422

        # five identical requests at once: one solve, five equal answers, then from the cache
        url = "/api/crew/coverage?from=2026-06-01&days=3"
        rs = await asyncio.gather(*(http.get(url, headers=bearer("operator")) for _ in range(5)))
        assert [r.status_code for r in rs] == [200] * 5
        assert len({r.content for r in rs}) == 1
        assert gate.solves == 1
        assert (await http.get(url, headers=bearer("planner"))).content == rs[0].content
        assert gate.solves == 1

        # each new solve costs its days (8 a minute here: the 3 above, then 5 of 1 day); the
        # next one within the minute is refused, for this user only
        first = date(2026, 7, 1)
        for i in range(5):
            q = f"/api/crew/capacity?from={first + timedelta(days=i)}&days=1"
            assert (await http.get(q, headers=bearer("operator"))).status_code == 200
        q = f"/api/crew/capacity?from={first + timedelta(days=9)}&days=1"
        r = await http.get(q, headers=bearer("operator"))
        assert r.status_code == 429, r.text
        assert 0 < int(r.headers["retry-after"]) <= 60
        assert "outlook_days_per_minute" in r.json()["detail"]
        assert (await http.get(q, headers=bearer("planner"))).status_code == 200
        assert (await http.get(url, headers=bearer("operator"))).status_code == 200  # cached


async def test_the_board_stays_fast_while_heavy_coverage_requests_run(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await with_roster(served)
        for _ in range(5):  # warm-up: connections, first-request costs
            await board_ms(http)
        unloaded = statistics.median([await board_ms(http) for _ in range(30)])

        # six different month-long outlooks at once, by four users
        roles = ["operator", "planner", "crew_manager", "admin", "operator", "planner"]
        heavy = [
            asyncio.create_task(
                http.get(
                    f"/api/crew/coverage?from={date(2026, 6, 1) + timedelta(days=7 * i)}&days=31",
                    headers=bearer(role),
                    timeout=120,
                )
            )
            for i, role in enumerate(roles)
        ]
        loaded: list[float] = []
        while not all(t.done() for t in heavy) or len(loaded) < 10:
            loaded.append(await board_ms(http))
        assert [t.result().status_code for t in heavy] == [200] * 6
        # measured here, board median unloaded → loaded: 1.9 → 2.0 ms with the gate (solves
        # in a worker process, one at a time); 6 → 37 ms with them in one thread; 14 → 177 ms
        # with six threads at once (3.6 → 268 ms in the issue). Generous against noise.
        median = statistics.median(loaded)
        assert median < max(10 * unloaded, 50.0), (unloaded, median, sorted(loaded)[-5:])
