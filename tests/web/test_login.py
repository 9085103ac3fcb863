"""The login page in chromium: after signing in, ``?next=`` leads only to a page of this site.
``/login?next=/%5Cevil.example/`` and ``next=/%09/evil.example/`` used to pass the check (the
browser reads them as ``//evil.example/``) and sent the freshly signed-in user elsewhere."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest

from accounts.identity import UserRole
from tests.web.conftest import HOME, MakeSession

EVIL = [
    "/%5Cevil.example/",  # /\evil.example/
    "/%09/evil.example/",  # /<tab>/evil.example/
    "/%5C%5Cevil.example",
    "%2F%0A%2Fevil.example",  # /<newline>/evil.example
    "//evil.example/",
    "https://evil.example/board",
    "javascript:alert(document.cookie)",
    "/login?next=//evil.example",
]


@pytest.mark.parametrize("next_", EVIL)
def test_next_never_leaves_the_site(session: MakeSession, next_: str) -> None:
    s = session(UserRole.OPERATOR)
    left: list[str] = []
    s.context.route(
        re.compile(r"^[a-z]+://evil\.example"),
        lambda route: (left.append(route.request.url), route.abort()),
    )
    page = s.goto(f"/login?next={next_}")
    page.fill("#username", s.user)
    page.fill("#password", s.password)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(s.app.url + HOME[UserRole.OPERATOR]) + "$"))
    page.wait_for_selector("#who")
    assert urlsplit(page.url).netloc == urlsplit(s.app.url).netloc
    assert not left, f"the browser went to {left}"


def test_next_on_this_site_is_kept(session: MakeSession) -> None:
    s = session(UserRole.OPERATOR)
    page = s.goto(f"/login?next={quote('/history?train=T03#speed')}")
    page.fill("#username", s.user)
    page.fill("#password", s.password)
    page.click("#login-submit")
    page.wait_for_url(s.app.url + "/history?train=T03#speed")
