"""Account hygiene over real HTTP and the real ``metro-ops users`` command: a new password ends
the user's sessions and API tokens; common and breached-style passwords are refused (NIST SP
800-63B); a user has at most ``auth.max_sessions`` browser sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import PasswordRejected
from accounts.identity import UserRole
from tests.api.authkit import make_settings, serving, sign_in


async def test_a_new_password_revokes_api_tokens_and_sessions(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path)) as served, served.client() as http:
        await served.add_user("script", UserRole.PLANNER)
        users = served.rt.security.users
        token = await users.issue_token("script", "nightly export")
        auth = {"Authorization": f"Bearer {token}"}
        await sign_in(http, "script")
        assert (await http.get("/api/auth/me", headers=auth)).status_code == 200
        await users.set_password("script", "a fresh one for spring")
        r = await http.get("/api/auth/me", headers=auth)
        assert (r.status_code, r.json()["detail"]["code"]) == (401, "auth.unknown_token")
        assert (await http.get("/api/auth/me")).status_code == 401, "the session ended too"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("qwertyuiop", "common or breached"),
        ("Password123!", "common or breached"),
        ("basketball2024", "common or breached"),
        ("iloveyou 12345", "common or breached"),
        ("HanoiMetro2026!", "word of this service"),
        ("zzzzzzzzzzzz", "too few characters"),
    ],
)
async def test_common_and_breached_style_passwords_are_refused(
    tmp_path: Path, password: str, why: str
) -> None:
    async with serving(make_settings(tmp_path)) as served:
        with pytest.raises(PasswordRejected, match=why):
            await served.add_user("dd01", UserRole.OPERATOR, password=password)
        await served.add_user("dd01", UserRole.OPERATOR, password="tàu điện trên cao 2A")
        with pytest.raises(PasswordRejected, match=why):
            await served.rt.security.users.set_password("dd01", password)


async def test_sessions_per_user_are_capped_oldest_first(tmp_path: Path) -> None:
    async with serving(make_settings(tmp_path, max_sessions=2)) as served:
        await served.add_user("dd01", UserRole.OPERATOR)
        browsers = [served.client() for _ in range(3)]
        try:
            for b in browsers:
                await sign_in(b, "dd01")
            codes = [(await b.get("/api/auth/me")).status_code for b in browsers]
            assert codes == [401, 200, 200], "the oldest session ended"
        finally:
            for b in browsers:
                await b.aclose()
