"""Browser tests: Debian's chromium driven by Playwright (sync API) against the whole app.

Each test module starts one app (:func:`tests.web.live_app.live_app`) and one browser; each
test gets fresh browser contexts (cookies, storage) per user. Screenshots go to
``test-artifacts/`` at the repository root. A page error (an uncaught exception in the UI's
JavaScript) fails the test that caused it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from accounts.identity import UserRole
from tests.web.live_app import LiveApp, live_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# PITFALLS.md: flags that keep Debian's chromium quiet and working in a container
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOME = {
    UserRole.OPERATOR: "/board",
    UserRole.PLANNER: "/whatif",
    UserRole.CREW_MANAGER: "/crew",
    UserRole.ADMIN: "/board",
}

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip(
        "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )


def _leftover_threads(before: set[int | None]) -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.ident not in before
        and t.is_alive()
        and not t.daemon
        # the default executor of Playwright's own event loop: created lazily during a test,
        # it lives as long as the module's browser. The app runs in another process, so no
        # other event loop exists in this one.
        and not t.name.startswith("asyncio_")
    ]


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """The suite's thread-leak check (tests/conftest.py), minus Playwright's executor."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 5
    while (extra := _leftover_threads(before)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not extra, f"test left threads running: {[t.name for t in extra]}"


@pytest.fixture(autouse=True)
def _no_leaked_tasks(_no_leaked_threads: None) -> Iterator[None]:
    """Replaces the suite's async task-leak check here: Playwright's sync API runs its own
    event loop in the test thread, so no pytest-asyncio loop may run beside it. These tests
    start no tasks of their own; the app's tasks live on its loop in its thread, and
    :func:`live_app` fails the module if that loop does not stop cleanly."""
    yield


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app on the emulator, one per test module."""
    with live_app(tmp_path_factory.mktemp("web")) as running:
        yield running


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()


class Session:
    """One signed-in user's browser context and page; page errors are collected."""

    def __init__(
        self,
        app: LiveApp,
        context: BrowserContext,
        role: UserRole,
        user: tuple[str, str] | None = None,
    ) -> None:
        self.app = app
        self.context = context
        self.role = role
        self.user, self.password = user or app.users[role]
        self.errors: list[str] = []
        self.page: Page = context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def goto(self, path: str) -> Page:
        self.page.goto(self.app.url + path)
        return self.page

    def login(self) -> Page:
        """Sign in through the login page, as a person would."""
        page = self.goto(HOME[self.role])
        page.wait_for_url(re.compile(r"/login\?next="))
        page.fill("#username", self.user)
        page.fill("#password", self.password)
        page.click("#login-submit")
        try:
            page.wait_for_url(re.compile(re.escape(HOME[self.role]) + "$"))
        except PlaywrightError as exc:
            shown = page.locator("#login-form .form-error").all_inner_texts()
            raise AssertionError(
                f"{self.user} not signed in: at {page.url}, shows {shown}"
            ) from exc
        page.wait_for_selector("#who")
        return page

    def shot(self, name: str) -> Path:
        """A full-page screenshot as a test artifact."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def csrf(self) -> str:
        for c in self.context.cookies():
            if c["name"] == "metro_csrf":
                return c["value"]
        raise AssertionError("no metro_csrf cookie: not signed in")


MakeSession = Callable[..., Session]


@pytest.fixture
def session(app: LiveApp, browser: Browser) -> Iterator[MakeSession]:
    """``session(role)`` → a fresh signed-out browser context for that role's user (or for
    ``user=(name, password)`` of that role, e.g. ``app.second_operator``), in a browser set to
    ``locale`` and ``timezone_id`` (by default a Vietnamese browser in Paris)."""
    contexts: list[Session] = []

    def make(
        role: UserRole,
        *,
        lang: str | None = None,
        user: tuple[str, str] | None = None,
        locale: str = "vi-VN",
        timezone_id: str = "Europe/Paris",
    ) -> Session:
        ctx = browser.new_context(
            viewport={"width": 1920, "height": 1080},
            locale=locale,
            # a browser elsewhere: the UI must still show Hanoi time
            timezone_id=timezone_id,
        )
        if lang:
            ctx.add_init_script(f"localStorage.setItem('metro.lang', '{lang}')")
        s = Session(app, ctx, role, user)
        contexts.append(s)
        return s

    yield make
    errors = [e for s in contexts for e in s.errors]
    for s in contexts:
        s.context.close()
    assert not errors, f"JavaScript errors in the UI: {errors}"
