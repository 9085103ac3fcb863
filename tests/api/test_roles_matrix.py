"""Every route × every role (and anonymous), from one table, over real HTTP.

The table below is the access policy. The test walks the app's routes: a route missing from
the table fails it (so a new route must say who may use it), and so does a table row with no
route. Each HTTP route is called anonymously (401 unless public), with each role's bearer
token and with each role's browser session (403 naming the roles when the role may not; never
401/403 when it may), and each unsafe route with a session but without the CSRF header (403).
Websocket routes: anonymous is refused, every allowed role gets a first frame.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from accounts.identity import UserRole
from api.app import create_app
from tests.api.authkit import TOKENS, Served, make_settings, serving, sign_in

OP, PL, CM, AD = UserRole.OPERATOR, UserRole.PLANNER, UserRole.CREW_MANAGER, UserRole.ADMIN
PUBLIC: frozenset[UserRole] | None = None  # anyone, signed in or not
ANY = frozenset(UserRole)  # any signed-in role
OPS = frozenset({OP, AD})  # acts on alarms
CREW = frozenset({CM, AD})  # writes the crew record
PLAN = frozenset({PL, AD})  # runs what-if simulations
ADMIN = frozenset({AD})

POLICY: dict[tuple[str, str], frozenset[UserRole] | None] = {
    # framework: the API's own description is public
    ("GET", "/openapi.json"): PUBLIC,
    # ops: probes and the Prometheus scraper have no account (metrics: counters only)
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    # sign-in
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): PUBLIC,  # ends the caller's own session, if any
    ("GET", "/api/auth/me"): ANY,
    ("GET", "/api/audit"): ADMIN,
    # live board
    ("GET", "/api/board"): ANY,
    ("GET", "/api/line"): ANY,
    ("GET", "/api/alarms"): ANY,
    ("POST", "/api/alarms/{alarm_id}/ack"): OPS,
    ("POST", "/api/alarms/{alarm_id}/shelve"): OPS,
    ("POST", "/api/alarms/{alarm_id}/shelve/approve"): OPS,
    ("POST", "/api/alarms/ack"): OPS,
    ("POST", "/api/alarms/{alarm_id}/unshelve"): OPS,
    ("POST", "/api/alarms/{alarm_id}/comment"): OPS,
    ("GET", "/api/rejects"): ANY,
    ("WS", "/ws/board"): ANY,
    # history
    ("GET", "/api/history/trains/{train}"): ANY,
    ("GET", "/api/history/substations/{device}"): ANY,
    # replay of a past moment: read only, everyone signed in
    ("GET", "/api/replay"): ANY,
    ("GET", "/api/replay/range"): ANY,
    # time-distance graph and headway regularity
    ("GET", "/api/marey"): ANY,
    ("GET", "/api/alarms/performance"): ANY,
    ("GET", "/api/regularity"): ANY,
    # crew
    ("GET", "/api/crew/staff"): ANY,
    ("POST", "/api/crew/staff"): CREW,
    ("GET", "/api/crew/staff/{staff_id}"): ANY,
    ("PUT", "/api/crew/staff/{staff_id}"): CREW,
    ("DELETE", "/api/crew/staff/{staff_id}"): CREW,
    ("GET", "/api/crew/staff/{staff_id}/history"): ANY,
    ("GET", "/api/crew/groups"): ANY,
    ("POST", "/api/crew/groups"): CREW,
    ("GET", "/api/crew/groups/{group_id}"): ANY,
    ("PUT", "/api/crew/groups/{group_id}"): CREW,
    ("DELETE", "/api/crew/groups/{group_id}"): CREW,
    ("GET", "/api/crew/cohorts"): ANY,
    ("POST", "/api/crew/cohorts"): CREW,
    ("GET", "/api/crew/cohorts/{cohort_id}"): ANY,
    ("PUT", "/api/crew/cohorts/{cohort_id}"): CREW,
    ("DELETE", "/api/crew/cohorts/{cohort_id}"): CREW,
    ("GET", "/api/crew/status"): ANY,
    ("GET", "/api/crew/status-events"): ANY,
    ("POST", "/api/crew/status-events"): CREW,
    ("GET", "/api/crew/tests"): ANY,
    ("POST", "/api/crew/tests"): CREW,
    ("POST", "/api/crew/cases"): CREW,
    ("GET", "/api/crew/cases/preview"): ANY,
    ("GET", "/api/crew/work"): ANY,
    ("POST", "/api/crew/work"): CREW,
    ("GET", "/api/crew/coverage"): ANY,
    ("GET", "/api/crew/capacity"): ANY,
    ("GET", "/api/crew/roster.csv"): ANY,
    ("POST", "/api/crew/roster.csv"): CREW,
    ("GET", "/api/crew/audit"): ANY,
    # what-if simulation: planners run and cancel, everyone reads
    ("GET", "/api/simulations"): ANY,
    ("POST", "/api/simulations"): PLAN,
    ("GET", "/api/simulations/scenarios"): ANY,
    ("GET", "/api/simulations/compare"): ANY,
    ("GET", "/api/simulations/{run_id}"): ANY,
    ("POST", "/api/simulations/{run_id}/cancel"): PLAN,
    ("GET", "/api/simulations/sweeps"): ANY,
    ("POST", "/api/simulations/sweeps"): PLAN,
    ("GET", "/api/simulations/sweeps/{sweep_id}"): ANY,
    ("GET", "/api/simulations/sweeps/{sweep_id}/tornado.png"): ANY,
    ("POST", "/api/simulations/sweeps/{sweep_id}/cancel"): PLAN,
    # shift log: everyone reads; operators and crew managers write (the category decides which)
    ("GET", "/api/log"): ANY,
    ("POST", "/api/log"): frozenset({OP, CM, AD}),
    # incidents: everyone reads; operators create, annotate, close and export them
    ("GET", "/api/timeline"): ANY,
    ("GET", "/api/incidents"): ANY,
    ("POST", "/api/incidents"): OPS,
    ("GET", "/api/incidents/{incident_id}"): ANY,
    ("GET", "/api/incidents/{incident_id}/timeline"): ANY,
    ("POST", "/api/incidents/{incident_id}/notes"): OPS,
    ("POST", "/api/incidents/{incident_id}/close"): OPS,
    ("GET", "/api/incidents/{incident_id}/timeline.csv"): OPS,
    ("GET", "/api/incidents/{incident_id}/timeline.pdf"): OPS,
    ("GET", "/api/log/export.csv"): ADMIN,  # admins export
    # handover: operators hand over and take over, everyone reads
    ("GET", "/api/handover"): ANY,
    ("POST", "/api/handover"): OPS,
    ("GET", "/api/handover/{handover_id}"): ANY,
    ("PUT", "/api/handover/{handover_id}"): OPS,
    ("POST", "/api/handover/{handover_id}/sign"): OPS,
    ("POST", "/api/handover/{handover_id}/items/{key}/ack"): OPS,
    ("POST", "/api/handover/{handover_id}/accept"): OPS,
    # degraded-timetable decisions: operators decide, everyone reads
    ("GET", "/api/timetable/decision"): ANY,
    ("POST", "/api/timetable/decision"): OPS,
    # situation reports: everyone reads; those who act on them make one on demand
    ("GET", "/api/reports"): ANY,
    ("POST", "/api/reports"): frozenset({OP, CM, AD}),
    ("GET", "/api/reports/{report_id}"): ANY,
    ("GET", "/api/reports/{report_id}.html"): ANY,
    ("GET", "/api/reports/{report_id}.pdf"): ANY,
    # passenger feeds: public information by design
    ("GET", "/gtfs/static.zip"): PUBLIC,
    ("GET", "/gtfs-rt/vehicle-positions"): PUBLIC,
    ("GET", "/gtfs-rt/trip-updates"): PUBLIC,
    ("GET", "/gtfs-rt/alerts"): PUBLIC,
    # the web UI's pages and assets: files only; every datum comes from the API above
    ("MOUNT", "/static"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("GET", "/board"): PUBLIC,
    ("GET", "/crew"): PUBLIC,
    ("GET", "/whatif"): PUBLIC,
    ("GET", "/history"): PUBLIC,
    ("GET", "/marey"): PUBLIC,
    ("GET", "/reports"): PUBLIC,
    ("GET", "/shiftlog"): PUBLIC,
    ("GET", "/incidents"): PUBLIC,
    ("GET", "/handover"): PUBLIC,
    ("GET", "/alarmperf"): PUBLIC,
    ("GET", "/audit"): PUBLIC,
}

# Values for path parameters: real ids where one exists, else a name nobody uses.
PARAMS = {"alarm_id": "1", "train": "T01", "device": "SS1", "incident_id": "1"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def app_routes(served: Served) -> set[tuple[str, str]]:
    """(method, path) of every route of the app, with "WS" and "MOUNT" for those kinds."""
    found: set[tuple[str, str]] = set()
    for ctx in iter_route_contexts(create_app(served.rt).routes):
        route, path = ctx.original_route, ctx.path
        assert path is not None
        if isinstance(route, Mount):
            found.add(("MOUNT", path))
        elif isinstance(route, WebSocketRoute) or type(route).__name__ == "APIWebSocketRoute":
            found.add(("WS", path))
        else:
            found |= {(m, path) for m in (ctx.methods or set()) - {"HEAD", "OPTIONS"}}
    return found


def url_of(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace("{" + name + "}", value)
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "X" + path[end + 1 :]
    return path + "?days=1"


def _needs(allowed: frozenset[UserRole]) -> list[str]:
    return sorted(r.value for r in allowed)


async def _check_http(
    served: Served,
    anon: httpx.AsyncClient,
    browsers: dict[UserRole, httpx.AsyncClient],
    method: str,
    path: str,
    allowed: frozenset[UserRole] | None,
) -> None:
    url = url_of(path)
    r = await anon.request(method, url)
    if allowed is None:
        assert r.status_code not in (401, 403), (method, path, r.status_code, r.text[:200])
        return
    assert r.status_code == 401, (method, path, "anonymous", r.status_code)
    for role in UserRole:
        token = {"Authorization": f"Bearer {TOKENS[role.value]}"}
        via_token = await anon.request(method, url, headers=token)
        via_session = await browsers[role].request(method, url)
        for how, r in (("token", via_token), ("session", via_session)):
            if role in allowed:
                assert r.status_code not in (401, 403), (method, path, role, how, r.text[:300])
            else:
                assert r.status_code == 403, (method, path, role, how, r.status_code)
                detail = r.json()["detail"]
                assert detail["code"] == "auth.forbidden", (method, path, role, how)
                assert detail["needs"] == _needs(allowed), (method, path, role, how)
    if method in UNSAFE:
        role = min(allowed)
        r = await browsers[role].request(method, url, headers={"X-CSRF-Token": ""})
        assert r.status_code == 403, (method, path, role, "no CSRF token")
        assert r.json()["detail"]["code"] == "auth.csrf"


async def _ws_refused(url: str, **kw: object) -> bool:
    try:
        async with asyncio.timeout(10), connect(url, **kw) as ws:  # type: ignore[arg-type]
            await ws.recv()
    except InvalidStatus:
        return True
    except ConnectionClosed as exc:
        return exc.rcvd is not None and exc.rcvd.code in (1008, 4401, 4403)
    return False


async def _check_ws(served: Served, path: str, allowed: frozenset[UserRole] | None) -> None:
    base = served.base_url.replace("http://", "ws://") + path
    if allowed is not None:
        assert await _ws_refused(base), f"WS {path} let an anonymous client in"
    for role in UserRole:
        url = f"{base}?token={TOKENS[role.value]}"
        if allowed is None or role in allowed:
            async with asyncio.timeout(10), connect(url) as ws:
                assert await ws.recv(), (path, role)
        else:
            assert await _ws_refused(url), (path, role)


@pytest.mark.slow
async def test_every_route_checks_its_role(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, contextlib.AsyncExitStack() as stack:
        routes = app_routes(served)
        assert not routes - POLICY.keys(), f"routes with no row in POLICY: {routes - POLICY.keys()}"
        assert not POLICY.keys() - routes, f"POLICY rows with no route: {POLICY.keys() - routes}"

        anon = await stack.enter_async_context(served.client())
        browsers = {}
        for role in UserRole:
            await served.add_user(f"{role.value}1", role)
            browsers[role] = await stack.enter_async_context(served.client())
            await sign_in(browsers[role], f"{role.value}1")

        for (method, path), allowed in sorted(POLICY.items(), key=lambda kv: kv[0][1]):
            if method == "WS":
                await _check_ws(served, path, allowed)
            elif method == "MOUNT":
                r = await anon.get(path + "/js/api.js")
                assert r.status_code == 200, "static files are public"
            else:
                await _check_http(served, anon, browsers, method, path, allowed)
        for role, browser in browsers.items():  # nothing above signed anyone out
            assert (await browser.get("/api/auth/me")).status_code == 200, role
