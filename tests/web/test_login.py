"""The login page in chromium: after signing in, ``?next=`` leads only to a page of this site.
``/login?next=/%5Cevil.example/`` and ``next=/%09/evil.example/`` used to pass the check (the
browser reads them as ``//evil.example/``) and sent the freshly signed-in user elsewhere."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

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


def test_a_locked_name_is_told_how_long_to_wait_in_the_pages_language(
    session: MakeSession,
) -> None:
    """Five wrong passwords lock a user name for 15 minutes; the page says so in its language
    (the server's words, with the wait: they were English inside the Vietnamese page)."""
    s = session(UserRole.OPERATOR)
    page = s.goto("/login")
    error = page.locator("#login-form .form-error")
    for _ in range(4):
        page.fill("#username", "khong-co-ai")  # a name without an account locks alike
        page.fill("#password", "not-the-password")
        page.click("#login-submit")
        expect(error).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
        page.evaluate("document.querySelector('#login-form .form-error').textContent = ''")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    expect(error).to_have_text(
        "Đăng nhập sai quá nhiều lần với tên đăng nhập này: thử lại sau 900 giây,"
        " hoặc nhờ quản trị viên mở khóa"
    )
    page.click("#lang-switch")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    expect(error).to_contain_text("too many failed sign-ins for this user name: try again in")
