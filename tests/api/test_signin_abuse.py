"""Abuse of the sign-in over real HTTP: a client cannot choose its address with
X-Forwarded-For unless the peer is a configured proxy, and a griefer who knows a user name
locks only their own address out — the account locks everywhere only at a much higher count."""

from __future__ import annotations

from pathlib import Path

import httpx

from accounts.identity import UserRole
from tests.api.authkit import PASSWORD, FakeClock, make_settings, serving


async def login(
    http: httpx.AsyncClient, user: str, password: str = PASSWORD, ip: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": ip} if ip else {}
    return await http.post(
        "/api/auth/login", json={"username": user, "password": password}, headers=headers
    )


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, ip_failures=6, ip_window_s=600)
    async with serving(settings) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        for i in range(6):  # a new "address" each time: all of them are this client's
            r = await login(http, f"user{i}", "guess", ip=f"203.0.113.{i}")
            assert r.status_code == 401
        r = await login(http, "dd01", ip="198.51.100.1")
        assert r.status_code == 429, "the throttle counts the real peer address"
        page = await served.rt.audit.query(action="login")
        assert {e.source_ip for e in page.entries} == {"127.0.0.1"}

    proxied = make_settings(tmp_path / "p", http={"trusted_proxies": ["127.0.0.1"]})
    async with serving(proxied) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        assert (await login(http, "dd01", ip="203.0.113.9")).status_code == 200
        page = await served.rt.audit.query(action="login")
        assert page.entries[0].source_ip == "203.0.113.9"  # the proxy's word is taken


async def test_a_griefer_locks_only_their_own_address(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = make_settings(
        tmp_path,
        http={"trusted_proxies": ["127.0.0.1"]},  # so the test can be several addresses
        lockout_failures=5,
        lockout_account_failures=12,
        ip_failures=100,
    )
    async with serving(settings, clock) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)
        griefer, desk = "198.51.100.66", "10.1.1.1"
        for i in range(5):
            r = await login(http, "dd01", "guess", ip=griefer)
            assert r.status_code == (401 if i < 4 else 423)
        assert (await login(http, "dd01", ip=griefer)).status_code == 423
        r = await login(http, "dd01", ip=desk)
        assert r.status_code == 200, "the owner, from their own desk, is not locked out"
        # a name without an account behaves the same (a 423 tells nothing)
        for i in range(5):
            r = await login(http, "nobody", "guess", ip=griefer)
            assert r.status_code == (401 if i < 4 else 423)
        assert (await login(http, "nobody", "guess", ip=desk)).status_code == 401

        # many addresses together: at 12 failures of the name the account locks everywhere
        for n, ip in enumerate(("198.51.100.1", "198.51.100.2", "198.51.100.3")):
            for i in range(4):
                r = await login(http, "dd01", "guess", ip=ip)
                assert r.status_code == (423 if n == 2 and i == 3 else 401), (ip, i)
        r = await login(http, "dd01", ip=desk)
        assert r.status_code == 423 and r.json()["detail"]["code"] == "auth.locked"
        user = await served.rt.security.users.get("dd01")
        assert user is not None and user.locked(clock())
        await served.rt.security.users.unlock("dd01")
        assert (await login(http, "dd01", ip=desk)).status_code == 200
        assert (await login(http, "dd01", ip=griefer)).status_code == 200, "unlock: all of it"
