"""The audit trail over real HTTP: each audited action leaves its record (UTC ms, user, source
address, action, result), and administrators browse it with filters and pages.

Audited here: sign-in (ok, fail, locked, rate limited), sign-out, alarm acknowledge / shelve /
unshelve / comment (also when refused), crew changes (also a conflict), role and CSRF refusals,
and a simulation run recorded through ``Runtime.audit``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi.routing import APIRoute

from accounts.audit_text import ACTIONS
from accounts.identity import UserRole
from api.routes.crew import router as crew_router
from line.catalogue import Message
from telemetry.alarms import Priority
from tests.api.authkit import T0, FakeClock, bearer, make_settings, serving, sign_in

STAFF = {
    "id": "D1",
    "name": "Nguyễn Văn An",
    "role": "driver",
    "line_id": "2a",
    "qualifications": [
        {"kind": "line_licence", "scope": "2a", "valid_until": "2030-01-01"},
        {"kind": "route_knowledge", "scope": "2a", "valid_until": "2030-01-01"},
    ],
}


async def audit(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await http.get("/api/audit", params=params, headers=bearer("admin"))
    assert r.status_code == 200, r.text
    entries: list[dict[str, Any]] = r.json()["entries"]
    return entries


def brief(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["user"], e["action"], e["result"]) for e in reversed(entries)]


async def test_each_audited_action_leaves_a_record(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path, lockout_failures=2, ip_failures=5)
    async with serving(settings, clock) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        await served.add_user("cm01", UserRole.CREW_MANAGER)
        # sign-in: fail, then locked (2 failures here), unlocked, ok
        for _ in range(2):
            await http.post("/api/auth/login", json={"username": "dd01", "password": "x"})
        await served.rt.security.users.unlock("dd01")
        clock.advance(seconds=1)
        body = await sign_in(http, "dd01")
        assert (await audit(http, action="login"))[0]["at_ms"] == T0 + 1000

        a = served.rt.alarms.raise_alarm(
            "SS2:uv",
            Priority.MEDIUM,  # P1/P2 shelving takes two people (test_alarm_management_api)
            "SS2",
            Message("alarm.saved_text", {"vi": "Sụt áp", "en": "Undervolt"}),
        )
        assert a is not None
        base = f"/api/alarms/{a.id}"
        assert (await http.post(f"{base}/ack")).status_code == 200
        assert (await http.post(f"{base}/ack")).status_code == 409  # refused, and recorded
        assert (await http.post(f"{base}/comment", json={"text": "đã báo SCADA"})).is_success
        r = await http.post(f"{base}/shelve", json={"reason": "bảo trì", "minutes": 30})
        assert r.status_code == 200
        assert (await http.post(f"{base}/unshelve")).status_code == 200
        assert (await http.post("/api/alarms/999/ack")).status_code == 404
        # an operator may not change the crew record; a request without the CSRF token neither
        assert (await http.post("/api/crew/staff", json=STAFF)).status_code == 403
        r = await http.post(f"{base}/ack", headers={"X-CSRF-Token": "forged"})
        assert r.status_code == 403
        r = await http.post("/api/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
        assert r.status_code == 200

        async with served.client() as cm:
            await sign_in(cm, "cm01")
            assert (await cm.post("/api/crew/staff", json=STAFF)).status_code == 201
            assert (await cm.post("/api/crew/staff", json=STAFF)).status_code == 409
            r = await cm.delete("/api/crew/staff/D1", headers={"If-Match": '"1"'})
            assert r.status_code == 204

        # a simulation run, recorded the way the simulations API does it
        await served.rt.audit.record(
            "simulation.run",
            user="pl01",
            source_ip="10.1.2.3",
            detail={"scenario": "f0-doubling", "replications": 200},
        )

        entries = await audit(http, limit=100)
        assert brief(entries) == [
            ("dd01", "login", "fail"),
            ("dd01", "login", "locked"),
            ("dd01", "login", "ok"),
            ("dd01", "alarm.ack", "ok"),
            ("dd01", "alarm.ack", "conflict"),
            ("dd01", "alarm.comment", "ok"),
            ("dd01", "alarm.shelve", "ok"),
            ("dd01", "alarm.unshelve", "ok"),
            ("dd01", "alarm.ack", "not_found"),
            ("dd01", "access.denied", "denied"),
            ("dd01", "csrf.rejected", "denied"),
            ("dd01", "logout", "ok"),
            ("cm01", "login", "ok"),
            ("cm01", "crew.create_staff", "ok"),
            ("cm01", "crew.create_staff", "conflict"),
            ("cm01", "crew.delete_staff", "ok"),
            ("pl01", "simulation.run", "ok"),
        ]
        assert {e["source_ip"] for e in entries} == {"127.0.0.1", "10.1.2.3"}
        assert all(e["at_ms"] >= T0 for e in entries)
        by_action = {(e["action"], e["result"]): e["detail"] for e in entries}
        assert by_action[("alarm.shelve", "ok")] == {
            "alarm_id": a.id,
            "reason": "bảo trì",
            "minutes": 30,
        }
        assert by_action[("login", "locked")]["retry_after_s"] == 900
        created = by_action[("crew.create_staff", "ok")]
        assert created["method"] == "POST" and created["id"] == "D1"
        assert by_action[("crew.create_staff", "conflict")]["status"] == 409
        assert by_action[("crew.delete_staff", "ok")]["params"] == {"staff_id": "D1"}
        assert by_action[("access.denied", "denied")]["path"] == "/api/crew/staff"

        # and in words, in both languages: no action or result codes, no key=value
        words = {(e["action"], e["result"]): e for e in entries}
        for e in entries:
            for field in ("action_text", "result_text"):
                assert e[field] and e[field] != e[field.removesuffix("_text")], e
                assert e[f"{field}_en"] and e[f"{field}_en"] != e[field], e
            assert "=" not in e["detail_text"] + e["detail_text_en"], e
        shelved = words[("alarm.shelve", "ok")]
        assert (shelved["action_text"], shelved["result_text"]) == ("Tạm ẩn báo động", "Thành công")
        assert shelved["detail_text"] == f"báo động: #{a.id}; lý do: bảo trì; thời gian: 30 phút"
        assert shelved["detail_text_en"] == f"alarm: #{a.id}; reason: bảo trì; for: 30 min"
        assert [(i["name"], i["value"], i["as_recorded"]) for i in shelved["detail_items"]] == [
            ("báo động", f"#{a.id}", False),
            ("lý do", "bảo trì", True),  # what the operator wrote, as written
            ("thời gian", "30 phút", False),
        ]
        # a refusal in the reader's language, though recorded in English for scripts
        twice = words[("alarm.ack", "conflict")]
        assert twice["result_text"] == "Xung đột dữ liệu"
        assert "lỗi: Báo động #" in twice["detail_text"], twice
        assert "đã được xác nhận (bởi dd01)" in twice["detail_text"], twice
        assert "already acknowledged" in twice["detail"]["error"]
        denied = words[("access.denied", "denied")]
        assert denied["result_text_en"] == "Not allowed"
        assert "cần vai trò: Quản trị; Quản lý tổ lái" in denied["detail_text"], denied
        again = words[("crew.create_staff", "conflict")]  # the crew store's refusal, in words
        assert "lỗi: nhân viên D1 đã có" in again["detail_text"], again
        locked = words[("login", "locked")]
        assert "thử lại sau: 900 giây" in locked["detail_text"], locked


def test_every_audited_crew_route_has_words() -> None:
    """The crew routes audit themselves as ``crew.<route>``: each has a name in words."""
    for route in crew_router.routes:
        assert isinstance(route, APIRoute)
        audited = any(
            getattr(d.call, "__qualname__", "").startswith("audited_roles")
            for d in route.dependant.dependencies
        )
        if audited:
            assert f"crew.{route.name}" in ACTIONS, route.name


async def test_admins_browse_with_filters_and_pages(tmp_path: Path) -> None:
    clock = FakeClock()
    async with serving(make_settings(tmp_path), clock) as served, served.client() as http:
        log = served.rt.audit
        assert log is not None
        for i in range(7):
            await log.record("alarm.ack", user=f"dd0{i % 2}", source_ip="10.0.0.1")
            await log.record("login", user=f"dd0{i % 2}", source_ip="10.0.0.1")
            clock.advance(minutes=1)
        await log.record("alarmist", user="dd00", source_ip="10.0.0.1")  # not an alarm.* action

        assert len(await audit(http, action="alarm")) == 7, "alarm matches alarm.*, no more"
        assert len(await audit(http, user="dd01", action="alarm.ack")) == 3
        window = await audit(http, since=T0 + 2 * 60_000, until=T0 + 4 * 60_000)
        assert {e["at_ms"] for e in window} == {T0 + 120_000, T0 + 180_000}
        assert len(window) == 4

        seen: list[int] = []
        params: dict[str, Any] = {"limit": 4}
        while True:
            r = await http.get("/api/audit", params=params, headers=bearer("admin"))
            page = r.json()
            seen += [e["id"] for e in page["entries"]]
            if page["next_before_id"] is None:
                break
            params["before_id"] = page["next_before_id"]
        assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 15

        for role in ("operator", "planner", "crew_manager"):
            r = await http.get("/api/audit", headers=bearer(role))
            assert r.status_code == 403 and r.json()["detail"]["needs"] == ["admin"]
        assert (await http.get("/api/audit")).status_code == 401
        r = await http.get("/api/audit", params={"limit": 0}, headers=bearer("admin"))
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"]


async def test_audit_request_helper_for_other_routes(tmp_path: Path) -> None:
    """What the simulations API calls: ``audit_request(request, who, action, result, detail)``
    records the caller and their address; without an audit log it does nothing."""
    from fastapi import Request

    from accounts.identity import Principal
    from api.http_audit import audit_request

    async with serving(make_settings(tmp_path)) as served:
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/api/simulations",
            "headers": [],
            "client": ("10.9.8.7", 4242),
            "state": {"runtime": served.rt},
        }
        who = Principal("pl01", UserRole.PLANNER)
        await audit_request(Request(scope), who, "simulation.run", "ok", {"id": "s1"})
        scope["state"] = {}
        await audit_request(Request(scope), who, "simulation.run")  # no runtime: no-op
        (entry,) = (await served.rt.audit.query(action="simulation")).entries
        assert (entry.user, entry.source_ip, entry.detail) == ("pl01", "10.9.8.7", {"id": "s1"})


async def test_a_range_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    """Not an empty page that looks like "nothing happened": a 422 saying why, in the
    asker's language, as the shift log's."""
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        since, until = T0 + 3_600_000, T0
        r = await http.get(
            "/api/audit", params={"since": since, "until": until}, headers=bearer("admin")
        )
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == {
            "code": "audit.refused.until_before_since",
            "message": "Thời điểm kết thúc phải sau thời điểm bắt đầu",
        }
        r = await http.get(
            "/api/audit",
            params={"since": since, "until": until},
            headers={**bearer("admin"), "Accept-Language": "en"},
        )
        assert r.status_code == 422 and r.json()["detail"]["message"] == "until must be after since"
        r = await http.get(
            "/api/audit", params={"since": until, "until": since}, headers=bearer("admin")
        )
        assert r.status_code == 200, r.text
