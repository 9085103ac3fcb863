"""Signing in over real HTTP (uvicorn) and a real SQLite database.

Proves: sign-in sets the session cookie HttpOnly/SameSite=Strict (Secure over https) and a
readable CSRF cookie; /me and sign-out; unsafe requests with the cookie need the CSRF header;
the alarm actor is the signed-in user; sessions end when idle or too old (moved clock, no
sleeping); five failures lock an account (and a name without one, alike), unlock clears it;
failures per address are rate limited; bearer tokens (settings and per-user) work without
CSRF and follow the user's role; the websocket helper accepts a token or a same-origin cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import WebSocket

from accounts.identity import UserRole
from api.auth import principal_from_websocket
from line.catalogue import Message
from telemetry.alarms import Priority
from tests.api.authkit import (
    PASSWORD,
    TOKENS,
    FakeClock,
    Served,
    bearer,
    make_settings,
    serving,
    sign_in,
)

WRONG = "auth.wrong_password"  # the refusal's catalogue code


def code(r: httpx.Response) -> str:
    """A refusal's catalogue code (``detail``: ``{"code", "message"}``)."""
    detail = r.json()["detail"]
    assert isinstance(detail, dict) and detail["message"], detail
    return str(detail["code"])


def set_cookies(r: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, lower-cased for flag checks."""
    out = {}
    for h in r.headers.get_list("set-cookie"):
        out[h.split("=", 1)[0]] = h.lower()
    return out


def raise_alarm(served: Served, key: str = "T03:fault") -> int:
    a = served.rt.alarms.raise_alarm(
        key,
        Priority.HIGH,
        "T03",
        Message("alarm.saved_text", {"vi": "Tàu T03 lỗi", "en": "T03 fault"}),
    )
    assert a is not None
    return a.id


async def login(http: httpx.AsyncClient, user: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/auth/login", json={"username": user, "password": password})


async def test_sign_in_cookies_me_and_sign_out(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR, display_name="Nguyễn Văn An")
        r = await http.get("/api/auth/me")
        assert (r.status_code, code(r)) == (401, "auth.not_signed_in")
        assert "Authorization: Bearer" in r.json()["detail"]["message"]
        assert (await http.get("/api/board")).status_code == 401

        r = await login(http, "dd01", "not the password")
        assert (r.status_code, code(r)) == (401, WRONG)
        assert "set-cookie" not in r.headers

        r = await login(http, "DD01")  # user names are case-insensitive
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["user"] == "dd01" and body["role"] == "operator"
        assert body["display_name"] == "Nguyễn Văn An" and body["idle_timeout_s"] == 1800
        cookies = set_cookies(r)
        session, csrf = cookies["metro_session"], cookies["metro_csrf"]
        for flag in ("httponly", "samesite=strict", "path=/"):
            assert flag in session, session
        assert "secure" not in session  # plain http: a Secure cookie would never come back
        assert "httponly" not in csrf and "samesite=strict" in csrf
        assert http.cookies["metro_csrf"] == body["csrf_token"]
        assert http.cookies["metro_session"] not in (body["csrf_token"], "")

        me = (await http.get("/api/auth/me")).json()
        assert me == {**body, "via": "session"}
        assert (await http.get("/api/board")).status_code == 200

        old_cookie = http.cookies["metro_session"]
        r = await http.post("/api/auth/logout")
        assert (r.status_code, code(r)) == (403, "auth.csrf")
        r = await http.post("/api/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
        assert r.status_code == 200 and r.json() == {"signed_out": True}
        assert "metro_session" not in http.cookies and "metro_csrf" not in http.cookies
        assert (await http.get("/api/auth/me")).status_code == 401
        # the old cookie, replayed, is dead on the server too
        r = await http.get("/api/auth/me", headers={"Cookie": f"metro_session={old_cookie}"})
        assert (r.status_code, code(r)) == (401, "auth.session_ended")


async def test_cookies_are_secure_over_https(tmp_path: Path) -> None:
    proxied = make_settings(tmp_path, http={"trusted_proxies": ["127.0.0.1"]})
    async with serving(proxied) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        # behind a TLS-terminating proxy on this host (configured as trusted): its
        # X-Forwarded-Proto says the browser used https
        r = await http.post(
            "/api/auth/login",
            json={"username": "dd01", "password": PASSWORD},
            headers={"X-Forwarded-Proto": "https"},
        )
        assert r.status_code == 200
        cookies = set_cookies(r)
        assert "; secure" in cookies["metro_session"] and "; secure" in cookies["metro_csrf"]


async def test_unsafe_requests_with_the_cookie_need_the_csrf_token(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        body = await sign_in(http, "dd01")
        token = body["csrf_token"]
        alarm = raise_alarm(served)
        url = f"/api/alarms/{alarm}/ack"
        for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "x" + token[1:]}):
            r = await http.post(url, headers=headers)
            assert (r.status_code, code(r)) == (403, "auth.csrf")
        del http.headers["X-CSRF-Token"]
        r = await http.post(url, json={"user": "someone-else"})
        assert r.status_code == 403
        assert served.rt.alarms.active()[0].state.value == "unack", "refused, so not acked"
        # reads need no token; with it the ack goes through, by the signed-in user
        assert (await http.get("/api/alarms")).status_code == 200
        r = await http.post(url, json={"user": "someone-else"}, headers={"X-CSRF-Token": token})
        assert r.status_code == 200 and r.json()["acked_by"] == "dd01"
        # another browser's token does not fit this session
        async with served.client() as other:
            await served.add_user("dd02", UserRole.OPERATOR)
            theirs = (await sign_in(other, "dd02"))["csrf_token"]
        r = await http.post(
            f"/api/alarms/{raise_alarm(served, 'T04:x')}/ack", headers={"X-CSRF-Token": theirs}
        )
        assert r.status_code == 403


async def test_bearer_requests_need_no_csrf_and_win_over_a_cookie(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await served.add_user("planner1", UserRole.PLANNER)
        await sign_in(http, "planner1")
        del http.headers["X-CSRF-Token"]
        alarm = raise_alarm(served)
        r = await http.post(f"/api/alarms/{alarm}/ack", headers=bearer("operator"))
        assert r.status_code == 200 and r.json()["acked_by"] == "operator-bot"
        me = (await http.get("/api/auth/me", headers=bearer("admin"))).json()
        assert me["user"] == "admin-bot" and me["via"] == "token" and me["csrf_token"] is None
        r = await http.get("/api/auth/me", headers={"Authorization": "Bearer nope-nope-nope"})
        assert (r.status_code, code(r)) == (401, "auth.unknown_token")


async def test_idle_and_old_sessions_end(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path)
    async with serving(settings, clock) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        await sign_in(http, "dd01")
        for _ in range(3):  # used every 29 minutes: stays signed in
            clock.advance(minutes=29)
            assert (await http.get("/api/auth/me")).status_code == 200
        clock.advance(minutes=30, seconds=1)
        r = await http.get("/api/auth/me")
        assert (r.status_code, code(r)) == (401, "auth.session_ended")

        await sign_in(http, "dd01")
        for _ in range(35):  # busy all day: 11 h 40 min
            clock.advance(minutes=20)
            assert (await http.get("/api/auth/me")).status_code == 200
        clock.advance(minutes=20)  # 12 h: the absolute lifetime
        assert (await http.get("/api/auth/me")).status_code == 401


async def test_five_failures_lock_the_account_and_unlock_clears_it(tmp_path: Path) -> None:
    clock = FakeClock()
    async with serving(make_settings(tmp_path), clock) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        for _ in range(4):
            assert (await login(http, "dd01", "guess")).status_code == 401
        r = await login(http, "dd01", "guess")
        assert r.status_code == 423 and int(r.headers["retry-after"]) == 15 * 60
        r = await login(http, "dd01")  # the right password does not help while locked
        assert (r.status_code, code(r)) == (423, "auth.locked")
        # in the asker's language (Vietnamese unless asked otherwise), with the wait
        assert "thử lại sau 900 giây" in r.json()["detail"]["message"]
        r = await http.post(
            "/api/auth/login",
            json={"username": "dd01", "password": PASSWORD},
            headers={"Accept-Language": "en"},
        )
        assert "try again in 900 s" in r.json()["detail"]["message"]
        assert "set-cookie" not in r.headers
        clock.advance(minutes=10)
        assert int((await login(http, "dd01")).headers["retry-after"]) == 5 * 60

        # a name without an account answers exactly alike: no way to tell which names exist
        for i in range(5):
            r = await login(http, "nobody", "guess")
            assert r.status_code == (401 if i < 4 else 423)
            if i < 4:
                assert code(r) == WRONG
        assert (await login(http, "nobody", "guess")).status_code == 423

        await served.rt.security.users.unlock("dd01")
        assert (await login(http, "dd01")).status_code == 200

        for _ in range(5):
            await login(http, "dd01", "guess")
        assert (await login(http, "dd01")).status_code == 423
        clock.advance(minutes=15)  # the lock runs out by itself
        assert (await login(http, "dd01")).status_code == 200
        # a success resets the count: four more failures do not lock
        for _ in range(4):
            assert (await login(http, "dd01", "guess")).status_code == 401
        assert (await login(http, "dd01")).status_code == 200


async def test_failures_from_one_address_are_rate_limited(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path, ip_failures=6, ip_window_s=60)
    async with serving(settings, clock) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        for i in range(6):  # spread over names, so no account locks
            assert (await login(http, f"user{i}", "guess")).status_code == 401
            clock.advance(seconds=5)
        r = await login(http, "dd01")
        assert (r.status_code, code(r)) == (429, "auth.rate_limited")
        assert int(r.headers["retry-after"]) == 60 - 30  # the oldest failure leaves then
        clock.advance(seconds=31)
        assert (await login(http, "dd01")).status_code == 200


async def test_disabled_accounts_fail_like_wrong_passwords(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        await sign_in(http, "dd01")
        await served.rt.security.users.set_disabled("dd01", True)
        assert (await http.get("/api/auth/me")).status_code == 401, "its session ended"
        r = await login(http, "dd01")
        assert (r.status_code, code(r)) == (401, WRONG)


async def test_per_user_api_tokens_follow_the_user(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await served.add_user("script", UserRole.PLANNER)
        users = served.rt.security.users
        token = await users.issue_token("script", "nightly export")
        auth = {"Authorization": f"Bearer {token}"}
        me = (await http.get("/api/auth/me", headers=auth)).json()
        assert (me["user"], me["role"], me["via"]) == ("script", "planner", "token")
        r = await http.post("/api/crew/staff", json={}, headers=auth)
        assert r.status_code == 403
        await users.set_role("script", UserRole.CREW_MANAGER)  # takes effect at once
        assert (await http.post("/api/crew/staff", json={}, headers=auth)).status_code == 422
        async with served.rt.security.db.reading() as s:
            from sqlalchemy import text

            stored = (await s.execute(text("SELECT token_hash FROM auth_api_token"))).scalars()
            assert token not in list(stored)
        await users.set_disabled("script", True)
        assert (await http.get("/api/auth/me", headers=auth)).status_code == 401
        await users.set_disabled("script", False)
        assert await users.revoke_tokens("script") == 1
        r = await http.get("/api/auth/me", headers=auth)
        assert (r.status_code, code(r)) == (401, "auth.unknown_token")


def _ws(served: Served, query: str = "", headers: dict[str, str] | None = None) -> WebSocket:
    scope: dict[str, Any] = {
        "type": "websocket",
        "path": "/ws/board",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "state": {"runtime": served.rt},
        "client": ("10.0.0.7", 50000),
    }

    async def receive() -> dict[str, Any]:
        raise AssertionError("the helper must not read from the socket")

    async def send(_msg: Any) -> None:
        raise AssertionError("the helper must not write to the socket")

    return WebSocket(scope, receive, send)


async def test_websocket_principal_from_token_or_same_origin_cookie(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        await sign_in(http, "dd01")
        cookie = f"metro_session={http.cookies['metro_session']}"
        host = served.base_url.removeprefix("http://")

        who = await principal_from_websocket(_ws(served, f"token={TOKENS['planner']}"))
        assert who is not None and (who.user, who.role) == ("planner-bot", UserRole.PLANNER)
        headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
        who = await principal_from_websocket(_ws(served, headers=headers))
        assert who is not None and who.role is UserRole.ADMIN
        assert await principal_from_websocket(_ws(served, "token=forged-token-123456")) is None

        same = {"Host": host, "Origin": served.base_url, "Cookie": cookie}
        who = await principal_from_websocket(_ws(served, headers=same))
        assert who is not None and (who.user, who.role) == ("dd01", UserRole.OPERATOR)
        foreign = {**same, "Origin": "https://evil.example"}
        assert await principal_from_websocket(_ws(served, headers=foreign)) is None
        assert await principal_from_websocket(_ws(served, headers={"Host": host})) is None
        await http.post("/api/auth/logout")
        assert await principal_from_websocket(_ws(served, headers=same)) is None


@pytest.mark.parametrize("body", [{}, {"username": "dd01"}, {"username": "", "password": "x"}])
async def test_malformed_sign_in_is_422_naming_the_field(
    tmp_path: Path, body: dict[str, str]
) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        r = await http.post("/api/auth/login", json=body)
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"][:2] in (["body", "username"], ["body", "password"])
        r = await http.post("/api/auth/login", content="username=dd01&password=x")
        assert r.status_code == 422, "not JSON: refused (a cross-site form cannot post JSON)"
