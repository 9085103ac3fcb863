"""The crew REST API over real HTTP (uvicorn) and a real SQLite database.

Proves: every crew route checks the token (401) and the role (403); versioned edits need
If-Match and a stale one gets 409 (no lost update); a retried status event is applied once;
bad data answers 4xx naming the field; a bad CSV imports nothing and reports every row; every
change is audited; coverage and capacity react to declared cases.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.routes.crew import router as crew_router
from api.server import make_server
from crew import synthetic_roster
from crew.csvio import write_roster_csv
from services.runtime import build_runtime
from services.settings import Settings
from tests.fixtures.ports import free_port

TOKENS = {
    "operator": "tok-operator-0123456789",
    "planner": "tok-planner-01234567890",
    "crew_manager": "tok-crew-manager-012345",
    "admin": "tok-admin-0123456789abc",
}
WRITERS = {"crew_manager", "admin"}


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


CM = auth("crew_manager")


def staff_body(sid: str = "D1", name: str = "Nguyễn Văn An", **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": sid,
        "name": name,
        "role": "driver",
        "line_id": "2a",
        "qualifications": [
            {"kind": "line_licence", "scope": "2a", "valid_until": "2030-01-01"},
            {"kind": "route_knowledge", "scope": "2a", "valid_until": "2030-01-01"},
        ],
    }
    body.update(kw)
    return body


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "auth": {"tokens": {t: f"{role}-user:{role}" for role, t in TOKENS.items()}},
            "crew": {"solver_time_limit_s": 5},
        }
    )


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    rt = build_runtime(settings, require_broker=False)
    port = free_port()
    server = make_server(rt, "127.0.0.1", port)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "HTTP server did not start"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(settings) as client:
        yield client


def crew_routes() -> list[tuple[str, str]]:
    out = []
    for r in crew_router.routes:
        path = getattr(r, "path", "")
        assert path.startswith("/api/crew"), path
        for m in sorted(getattr(r, "methods", set()) - {"HEAD", "OPTIONS"}):
            out.append((m, path))
    return out


async def test_every_crew_route_checks_token_and_role(http: httpx.AsyncClient) -> None:
    routes = crew_routes()
    assert len(routes) >= 25, routes
    for method, path in routes:
        url = path.replace("{staff_id}", "X").replace("{group_id}", "X")
        url = url.replace("{cohort_id}", "X") + "?days=1"
        r = await http.request(method, url)
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["detail"]["code"] == "auth.not_signed_in"
        r = await http.request(method, url, headers={"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401 and r.json()["detail"]["code"] == "auth.unknown_token"
        r = await http.request(method, url, headers={"Authorization": "Basic abc"})
        assert r.status_code == 401, (method, path)
        writes = method != "GET"
        for role in TOKENS:
            r = await http.request(method, url, headers=auth(role))
            if writes and role not in WRITERS:
                assert r.status_code == 403, (method, path, role, r.text)
                assert r.json()["detail"]["needs"] == ["admin", "crew_manager"]
            else:
                assert r.status_code not in (401, 403), (method, path, role, r.text)


async def test_staff_crud_with_etags_and_audit(http: httpx.AsyncClient) -> None:
    r = await http.post("/api/crew/staff", json=staff_body(), headers=CM)
    assert r.status_code == 201 and r.headers["etag"] == '"1"' and r.json()["version"] == 1
    assert (await http.post("/api/crew/staff", json=staff_body(), headers=CM)).status_code == 409

    r = await http.get("/api/crew/staff/D1", headers=auth("operator"))
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    renamed = staff_body(name="Nguyễn Văn Bình")
    r = await http.put("/api/crew/staff/D1", json=renamed, headers=CM)
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]
    r = await http.put("/api/crew/staff/D1", json=renamed, headers={**CM, "If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    stale = await http.put(
        "/api/crew/staff/D1", json=staff_body(name="Stale"), headers={**CM, "If-Match": '"1"'}
    )
    assert stale.status_code == 409 and stale.json()["detail"] == {
        "code": "crew.refused.version",
        "message": "Người khác vừa sửa nhân viên D1 (bạn sửa phiên bản 1, hiện là 2) — hãy tải lại",
    }
    r = await http.delete("/api/crew/staff/D1", headers={**CM, "If-Match": '"1"'})
    assert r.status_code == 409
    assert (await http.get("/api/crew/staff/D1", headers=CM)).json()["name"] == "Nguyễn Văn Bình"
    r = await http.delete("/api/crew/staff/D1", headers={**auth("admin"), "If-Match": '"2"'})
    assert r.status_code == 204
    assert (await http.get("/api/crew/staff/D1", headers=CM)).status_code == 404

    audit = (await http.get("/api/crew/audit", headers=auth("planner"))).json()
    assert [(a["action"], a["actor"]) for a in reversed(audit)] == [
        ("create", "crew_manager-user (crew_manager)"),
        ("update", "crew_manager-user (crew_manager)"),
        ("delete", "admin-user (admin)"),
    ]
    assert audit[1]["before"]["name"] == "Nguyễn Văn An"
    assert audit[1]["after"]["name"] == "Nguyễn Văn Bình"


async def test_concurrent_edits_one_wins_the_other_gets_409(http: httpx.AsyncClient) -> None:
    await http.post("/api/crew/staff", json=staff_body(), headers=CM)
    tag = (await http.get("/api/crew/staff/D1", headers=CM)).headers["etag"]
    a, b = await asyncio.gather(
        http.put("/api/crew/staff/D1", json=staff_body(name="Alice's edit"),
                 headers={**CM, "If-Match": tag}),
        http.put("/api/crew/staff/D1", json=staff_body(name="Bob's edit"),
                 headers={**auth("admin"), "If-Match": tag}),
    )  # fmt: skip
    assert sorted([a.status_code, b.status_code]) == [200, 409]
    winner = a if a.status_code == 200 else b
    now = (await http.get("/api/crew/staff/D1", headers=CM)).json()
    assert now["name"] == winner.json()["name"] and now["version"] == 2


async def test_status_event_retry_is_recorded_once(http: httpx.AsyncClient) -> None:
    await http.post("/api/crew/staff", json=staff_body(), headers=CM)
    ev = {
        "event_id": "tablet-7:0001",
        "staff_id": "D1",
        "state": "f1_quarantine",
        "effective": "2026-03-02T08:00:00+07:00",
        "until": "2026-03-09T08:00:00+07:00",
        "source": "phone call",
    }
    first = await http.post("/api/crew/status-events", json=ev, headers=CM)
    assert first.status_code == 201
    retries = await asyncio.gather(
        *(http.post("/api/crew/status-events", json=ev, headers=CM) for _ in range(4))
    )
    assert [r.status_code for r in retries] == [200] * 4
    assert all(r.json() == first.json() for r in retries)
    events = (await http.get("/api/crew/status-events?staff_id=D1", headers=CM)).json()
    assert [e["event_id"] for e in events] == ["tablet-7:0001"]
    appends = (await http.get("/api/crew/audit?entity=status_event", headers=CM)).json()
    assert len(appends) == 1
    other = await http.post(
        "/api/crew/status-events", json={**ev, "note": "x"}, headers={**CM, "Accept-Language": "en"}
    )
    assert other.status_code == 409 and "other content" in other.json()["detail"]["message"]

    work = {"work_id": "logon:T03:D1:0600", "staff_id": "D1",
            "start": "2026-03-02T05:00:00+07:00", "end": "2026-03-02T13:30:00+07:00"}  # fmt: skip
    codes = [(await http.post("/api/crew/work", json=work, headers=CM)).status_code
             for _ in range(2)]  # fmt: skip
    assert codes == [201, 200]
    assert len((await http.get("/api/crew/work?staff_id=D1", headers=CM)).json()) == 1
    r = await http.post("/api/crew/work", json={**work, "work_id": "w2", "end": work["start"]},
                        headers=CM)  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "end"]


async def test_bad_data_names_the_field(http: httpx.AsyncClient) -> None:
    r = await http.post("/api/crew/staff", json=staff_body(role="pilot"), headers=CM)
    assert r.status_code == 422
    assert ["body", "role"] in [e["loc"] for e in r.json()["detail"]]
    r = await http.post(
        "/api/crew/staff", json=staff_body(role="technician", qualifications=[]), headers=CM
    )
    assert r.status_code == 422 and "technician needs a discipline" in r.text
    bad_date = staff_body(qualifications=[{"kind": "line_licence", "scope": "2a",
                                           "valid_until": "soon"}])  # fmt: skip
    r = await http.post("/api/crew/staff", json=bad_date, headers=CM)
    assert ["body", "qualifications", 0, "valid_until"] in [e["loc"] for e in r.json()["detail"]]
    r = await http.put("/api/crew/staff/D9", json=staff_body("D1"),
                       headers={**CM, "If-Match": '"1"'})  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "id"]

    await http.post("/api/crew/staff", json=staff_body(), headers=CM)
    ev = {"event_id": "e1", "staff_id": "D1", "state": "f0_isolation",
          "effective": "2026-03-02T08:00:00+07:00"}  # fmt: skip
    r = await http.post("/api/crew/status-events", json=ev, headers=CM)
    assert r.status_code == 422
    needs = r.json()["detail"][0]
    assert needs["loc"] == ["body", "until"] and needs["code"] == "crew.refused.needs_until"
    assert needs["msg"] == "Trạng thái “F0 cách ly” cần thời điểm kết thúc"
    r = await http.post("/api/crew/status-events", json={**ev, "effective": "2026-03-02T08:00"},
                        headers=CM)  # fmt: skip
    assert r.status_code == 422
    assert ["body", "effective"] in [e["loc"] for e in r.json()["detail"]], "naive time refused"
    r = await http.post(
        "/api/crew/status-events",
        json={**ev, "staff_id": "NOBODY", "until": "2026-03-09T08:00:00+07:00"},
        headers=CM,
    )
    assert r.status_code == 404 and r.json()["detail"]["message"] == "Không có nhân viên NOBODY"
    r = await http.post(
        "/api/crew/groups",
        json={"id": "T", "kind": "shift_team", "name": "T", "members": ["D1", "GHOST"]},
        headers=CM,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "members"]
    r = await http.post(
        "/api/crew/cohorts",
        json={"id": "C", "name": "C", "members": ["D1"], "start": "2026-03-02T06:00:00+07:00",
              "planned_end": "2026-03-16T06:00:00+07:00", "beds_available": 0},
        headers=CM,
    )  # fmt: skip
    assert r.status_code == 422 and "beds" in r.text
    assert len((await http.get("/api/crew/audit", headers=CM)).json()) == 1, "only the create"


async def test_csv_import_export_and_a_bad_file(http: httpx.AsyncClient) -> None:
    text = write_roster_csv(synthetic_roster(2))
    r = await http.post("/api/crew/roster.csv", content=text.encode(), headers=CM)
    assert r.status_code == 200, r.text
    assert len(r.json()["created"]) > 160
    r = await http.get("/api/crew/roster.csv", headers=auth("operator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.replace("\r\n", "\n") == text.replace("\r\n", "\n")

    lines = text.splitlines()
    lines[3] = lines[3].replace(",occ_operator,", ",astronaut,")  # C003
    lines[7] = lines[7].split(",", 1)[0] + ",,driver,,no,2a,yes,yes,,"
    lines.append("Z1,Zed,driver,,no,2a,yes,yes,line_licence:2a:2030-01-01,")  # a new, good row
    audit_before = len((await http.get("/api/crew/audit?limit=1000", headers=CM)).json())
    r = await http.post("/api/crew/roster.csv", content="\n".join(lines).encode(), headers=CM)
    assert r.status_code == 422
    body = r.json()["detail"]
    assert "nothing was imported" in body["message"]
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(4, "role"), (8, "name")]
    assert (await http.get("/api/crew/staff/Z1", headers=CM)).status_code == 404
    audit_after = len((await http.get("/api/crew/audit?limit=1000", headers=CM)).json())
    assert audit_after == audit_before
    r = await http.post("/api/crew/roster.csv", content=b"\xff\xfe", headers=CM)
    assert r.status_code == 422 and "UTF-8" in r.text


async def test_declared_cases_show_in_status_coverage_and_capacity(
    http: httpx.AsyncClient,
) -> None:
    roster = synthetic_roster(5, reference=date.today())
    r = await http.post(
        "/api/crew/roster.csv", content=write_roster_csv(roster).encode(), headers=CM
    )
    assert r.status_code == 200
    day = date.today() + timedelta(days=1)
    while day.weekday() > 4:  # Monday to Friday: the weekday timetable with 6-minute peaks
        day += timedelta(days=1)
    q = f"?from={day.isoformat()}&days=1"
    cov = (await http.get("/api/crew/coverage" + q, headers=auth("operator"))).json()
    assert cov["first_unstaffable"] is None and cov["first_degraded"] is None
    shifts = {s["shift"]: s for s in cov["days"][0]["shifts"]}
    assert shifts["early"]["missing"] == 0 and shifts["early"]["required"] > 9

    # the F0 of one driver in each of the six driver teams: each team goes F1 as well, for 7
    # days from now (a case cannot be declared ahead of time), so still on `day` (≤ 3 days on)
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for case in ("D001", "D011", "D021", "D031", "D041", "D051"):
        r = await http.post("/api/crew/cases", json={"staff_id": case, "at": at}, headers=CM)
        assert r.status_code == 201, r.text
        contacts = r.json()["contacts"]
        assert all(case in c["reason"] for c in contacts)
        assert all(c["reason_code"] == "crew.trace.shares_group" for c in contacts)
        assert f"với F0 {case}" in contacts[0]["reason"]  # Vietnamese by default
    again = await http.post("/api/crew/cases", json={"staff_id": "D001", "at": at}, headers=CM)
    assert again.status_code == 200 and again.json()["new_events"] == 0

    status = (await http.get(f"/api/crew/status?at={day.isoformat()}T12:00:00Z",
                             headers=CM)).json()  # fmt: skip
    assert status["counts"]["f0_isolation"] == 6 and status["counts"]["f1_quarantine"] >= 54
    cov = (await http.get("/api/crew/coverage" + q, headers=auth("planner"))).json()
    assert cov["first_unstaffable"] == day.isoformat()
    early = next(s for s in cov["days"][0]["shifts"] if s["shift"] == "early")
    assert early["missing_by_role"]["driver"] > 0
    cap = (await http.get("/api/crew/capacity" + q, headers=auth("operator"))).json()
    assert cap["first_degraded"] == day.isoformat()
    peak = next(p for p in cap["days"][0]["periods"] if p["planned_headway_s"] == 360)
    assert peak["degraded"] and peak["trains"] < peak["planned_trains"]
    assert peak["headway_s"] is None or peak["headway_s"] > 360


async def test_cohorts_are_versioned_and_warn_when_longer_than_the_policy(
    http: httpx.AsyncClient,
) -> None:
    for sid in ("D1", "D2"):
        await http.post("/api/crew/staff", json=staff_body(sid), headers=CM)
    cohort = {
        "id": "3OS-A",
        "name": "3 tại chỗ đợt 1",
        "members": ["D1", "D2"],
        "start": "2026-03-02T06:00:00+07:00",
        "planned_end": "2026-03-16T06:00:00+07:00",
        "beds_available": 2,
    }
    r = await http.post("/api/crew/cohorts", json=cohort, headers=CM)
    assert r.status_code == 201 and r.json()["warnings"] == [] and r.headers["etag"] == '"1"'
    longer = {**cohort, "planned_end": "2026-03-30T06:00:00+07:00"}
    r = await http.put("/api/crew/cohorts/3OS-A", json=longer, headers={**CM, "If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    # the policy's word, in the request's language (Vietnamese unless it asks for English)
    assert r.json()["warnings"] == ["nhóm 3OS-A dài hơn 14 ngày"]
    assert r.json()["warning_messages"] == [
        {"code": "crew.cohort.too_long", "params": {"cohort": "3OS-A", "days": 14}}
    ]
    en = {**CM, "If-Match": '"2"', "Accept-Language": "en-GB,en;q=0.9"}
    r = await http.put("/api/crew/cohorts/3OS-A", json=longer, headers=en)
    assert r.json()["warnings"] == ["cohort 3OS-A lasts longer than 14 days"]
    r = await http.put("/api/crew/cohorts/3OS-A", json=cohort, headers={**CM, "If-Match": '"1"'})
    assert r.status_code == 409
    r = await http.delete("/api/crew/staff/D2", headers={**CM, "If-Match": '"1"'})
    assert r.status_code == 204
    r = await http.get("/api/crew/cohorts/3OS-A", headers=auth("operator"))
    assert r.json()["members"] == ["D1"] and r.json()["version"] == 3


async def test_ids_follow_one_pattern_and_odd_names_export(http: httpx.AsyncClient) -> None:
    r = await http.post("/api/crew/staff", json=staff_body("D1"), headers=CM)
    assert r.status_code == 201, r.text
    group = {"kind": "shift_team", "name": "x", "members": ["D1"]}
    cohort = {"name": "x", "members": ["D1"], "start": "2026-03-02T06:00:00+07:00",
              "planned_end": "2026-03-16T06:00:00+07:00", "beds_available": 5}  # fmt: skip
    for bad in ("BAD:ID", "a/b", "a;b", "with space", "x" * 33, ""):
        for path, body in (("groups", group), ("cohorts", cohort), ("staff", staff_body())):
            r = await http.post(f"/api/crew/{path}", json=body | {"id": bad}, headers=CM)
            assert r.status_code == 422, (path, bad, r.text)
            assert r.json()["detail"][0]["loc"] == ["body", "id"], (path, bad)
    assert len((await http.get("/api/crew/groups", headers=CM)).json()) == 0

    # names a spreadsheet would run, or with the CSV's own separators, export and import back
    r = await http.post(
        "/api/crew/staff", json=staff_body("D2", name='=HYPERLINK("http://x.example")'), headers=CM
    )
    assert r.status_code == 201, r.text
    odd = group | {"id": "T-A", "name": "Tổ A; ca đêm: 22:00", "members": ["D1", "D2"]}
    assert (await http.post("/api/crew/groups", json=odd, headers=CM)).status_code == 201
    r = await http.get("/api/crew/roster.csv", headers=auth("operator"))
    assert r.status_code == 200, r.text
    assert "'=HYPERLINK(" in r.text and "\n=HYPERLINK" not in r.text and ",=" not in r.text
    r2 = await http.post("/api/crew/roster.csv?replace=true", content=r.content, headers=CM)
    assert r2.status_code == 200, r2.text
    assert r2.json()["updated"] == [] and r2.json()["deleted"] == []
    got = (await http.get("/api/crew/staff/D2", headers=CM)).json()
    assert got["name"] == '=HYPERLINK("http://x.example")'
    assert (await http.get("/api/crew/groups/T-A", headers=CM)).json()["name"] == odd["name"]


async def test_f0_preview_names_the_contacts_and_who_is_on_shift_and_writes_nothing(
    http: httpx.AsyncClient,
) -> None:
    roster = synthetic_roster(5, reference=date.today())
    r = await http.post(
        "/api/crew/roster.csv", content=write_roster_csv(roster).encode(), headers=CM
    )
    assert r.status_code == 200
    day = date.today() + timedelta(days=3)
    while day.weekday() != 2:  # a Wednesday: the weekday timetable
        day += timedelta(days=1)
    q = f"?from={day.isoformat()}&days=1&assignments=true"
    cov = (await http.get("/api/crew/coverage" + q, headers=CM)).json()
    early = next(s for s in cov["days"][0]["shifts"] if s["shift"] == "early")
    drivers = next(r for r in early["by_role"] if r["role"] == "driver")
    # the whole early shift is covered, and the drivers left over are its spare
    assert drivers["assigned"] == drivers["required"] > 9 and drivers["missing"] == 0
    busy = {a["staff_id"] for a in cov["days"][0]["assignments"]}
    all_drivers = [p for p in roster.staff if p.role.value == "driver"]
    assert drivers["spare"] == len([p for p in all_drivers if p.id not in busy])

    # a driver rostered on the early shift, declared F0 during it
    on_early = next(
        a for a in cov["days"][0]["assignments"]
        if a["shift"] == "early" and a["staff_id"].startswith("D")
    )  # fmt: skip
    at = (datetime.fromisoformat(on_early["start"]) + timedelta(hours=1)).isoformat()
    before = (await http.get("/api/crew/status", headers=CM)).json()
    body = {"staff_id": on_early["staff_id"], "at": at}
    r = await http.get("/api/crew/cases/preview", params=body, headers=CM)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["case"]["staff_id"] == on_early["staff_id"]
    assert p["case"]["on_shift"] == "early" and p["case"]["on_train"] is None  # no live train
    assert p["contacts"], "a driver team shares the case's contact group"
    assert all(on_early["staff_id"] in c["reason"] for c in p["contacts"])
    on_shift = {c["staff_id"] for c in p["contacts"] if c["on_shift"]}
    rostered = {a["staff_id"] for a in cov["days"][0]["assignments"]
                if a["start"] <= at < a["end"]}  # fmt: skip
    assert on_shift == {c["staff_id"] for c in p["contacts"]} & rostered
    assert p["on_duty_now"] == len(on_shift) + 1
    # nothing written: same revision, nobody F0 or F1
    after = (await http.get("/api/crew/status", headers=CM)).json()
    assert after["revision"] == before["revision"]
    assert after["counts"]["f0_isolation"] == 0 == after["counts"]["f1_quarantine"]
    # unknown staff is a 404 naming them
    r = await http.get("/api/crew/cases/preview", params={"staff_id": "NOPE"}, headers=CM)
    assert r.status_code == 404 and "NOPE" in r.text


async def test_a_status_event_cannot_start_an_f0_only_extend_one(http: httpx.AsyncClient) -> None:
    """An F0 recorded as a status event would leave the case's contacts on duty: a new F0 is
    declared as a case (which marks them F1); a status event may extend a declared one."""
    await http.post("/api/crew/staff", json=staff_body(), headers=CM)
    now = datetime.now(UTC)
    ev = {"event_id": "st-f0", "staff_id": "D1", "state": "f0_isolation",
          "effective": now.isoformat(), "until": (now + timedelta(days=7)).isoformat()}  # fmt: skip
    r = await http.post("/api/crew/status-events", json=ev, headers=CM)
    assert r.status_code == 422, r.text
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body", "state"] and err["code"] == "crew.refused.f0_needs_case"
    assert err["msg"].startswith("D1 chưa là F0 lúc đó: ca F0 mới phải được khai báo")
    r = await http.post("/api/crew/status-events", json=ev, headers={**CM, "Accept-Language": "en"})
    assert "declared as a case (POST /api/crew/cases)" in r.json()["detail"][0]["msg"]
    assert (await http.get("/api/crew/status-events?staff_id=D1", headers=CM)).json() == []

    # declared as a case, the isolation may then be extended (or corrected) by a status event
    at = now - timedelta(hours=1)
    r = await http.post("/api/crew/cases", json={"staff_id": "D1", "at": at.isoformat()},
                        headers=CM)  # fmt: skip
    assert r.status_code == 201, r.text
    longer = {**ev, "until": (now + timedelta(days=10)).isoformat()}
    r = await http.post("/api/crew/status-events", json=longer, headers=CM)
    assert r.status_code == 201, r.text
    status = (await http.get("/api/crew/staff/D1/history", headers=CM)).json()["now"]
    assert status["state"] == "f0_isolation"
    assert datetime.fromisoformat(status["until"]) == now + timedelta(days=10)


async def test_a_status_ending_before_it_starts_names_until_in_the_askers_language(
    http: httpx.AsyncClient,
) -> None:
    await http.post("/api/crew/staff", json=staff_body(), headers=CM)
    ev = {"event_id": "st-back", "staff_id": "D1", "state": "sick_other",
          "effective": "2026-12-05T08:00:00+07:00",
          "until": "2026-12-01T08:00:00+07:00"}  # fmt: skip
    said = {}
    for lang in ("vi", "en"):
        r = await http.post(
            "/api/crew/status-events", json=ev, headers={**CM, "Accept-Language": lang}
        )
        assert r.status_code == 422, r.text
        (err,) = r.json()["detail"]
        assert err["loc"] == ["body", "until"]
        assert err["code"] == "crew.refused.until_before_effective"
        said[lang] = err["msg"]
    # the shift log's words for the same mistake, and no pydantic "Value error, " prefix
    assert said == {
        "vi": "Thời điểm kết thúc phải sau thời điểm bắt đầu",
        "en": "`until` must be after `effective`",
    }
    r = await http.post("/api/crew/status-events", json={**ev, "state": "available"}, headers=CM)
    assert r.json()["detail"][0]["loc"] == ["body", "until"]
    assert r.json()["detail"][0]["msg"] == "Trạng thái sẵn sàng không có thời điểm kết thúc"
    assert (await http.get("/api/crew/status-events?staff_id=D1", headers=CM)).json() == []


async def test_tests_and_cases_in_the_future_are_refused_planned_leave_is_not(
    http: httpx.AsyncClient,
) -> None:
    await http.post("/api/crew/staff", json=staff_body(), headers=CM)
    now = datetime.now(UTC)
    test = {"test_id": "t-2030", "staff_id": "D1", "kind": "rapid", "outcome": "negative",
            "taken_at": "2030-12-05T07:00:00+07:00"}  # fmt: skip
    for lang, said in (
        ("vi", "Thời điểm lấy mẫu không được muộn hơn hiện tại (cho phép lệch đồng hồ 5 phút)"),
        ("en", "a test cannot be taken in the future (more than 5 minutes from now)"),
    ):
        r = await http.post("/api/crew/tests", json=test, headers={**CM, "Accept-Language": lang})
        assert r.status_code == 422, r.text
        (err,) = r.json()["detail"]
        assert err["loc"] == ["body", "taken_at"] and err["msg"] == said
    an_hour = {**test, "taken_at": (now + timedelta(hours=1)).isoformat()}
    assert (await http.post("/api/crew/tests", json=an_hour, headers=CM)).status_code == 422
    assert (await http.get("/api/crew/tests?staff_id=D1", headers=CM)).json() == []
    # a tablet's clock a little ahead of the server's is no mistake
    skewed = {**test, "taken_at": (now + timedelta(minutes=2)).isoformat()}
    assert (await http.post("/api/crew/tests", json=skewed, headers=CM)).status_code == 201

    case = {"staff_id": "D1", "at": (now + timedelta(days=1)).isoformat()}
    r = await http.post("/api/crew/cases", json=case, headers=CM)
    assert r.status_code == 422, r.text
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body", "at"] and err["code"] == "crew.refused.case_in_future"
    status = (await http.get("/api/crew/status", headers=CM)).json()
    assert status["counts"]["f0_isolation"] == 0

    # status events may lie ahead: leave planned for next month
    leave = {"event_id": "leave-next-month", "staff_id": "D1", "state": "leave",
             "effective": (now + timedelta(days=30)).isoformat(),
             "until": (now + timedelta(days=37)).isoformat()}  # fmt: skip
    assert (await http.post("/api/crew/status-events", json=leave, headers=CM)).status_code == 201
