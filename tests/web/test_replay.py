"""Replay on the board, in chromium, against the whole app fed by the field emulator at 60×.

Scrubbing back 30 minutes must draw every train where the history put it — checked against the
emulator's own record of where each train was at the moment of the report drawn — under an
unmistakable XEM LẠI band, with the live frames no longer applied; play moves the replayed
time on; "back to live" returns to the live board. Every role may replay (read only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from accounts.identity import UserRole
from line.clock import HANOI
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp, live_app, service_start, wait_until

SPEED = 60.0  # 30 field minutes in 30 s
MIN = 60_000


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("replay"), speed=SPEED) as running:
        yield running


def drawn(page: Page) -> dict[str, tuple[float, int, int]]:
    """Train → (chainage, track, report time) of every train drawn on a track."""
    got: dict[str, list[str]] = page.locator("svg.line-diagram g.train").evaluate_all(
        """els => Object.fromEntries(els
             .filter(e => e.dataset.track === "1" || e.dataset.track === "2")
             .filter(e => !e.classList.contains("parked") && e.dataset.pos && e.dataset.ts)
             .map(e => [e.dataset.train, [e.dataset.pos, e.dataset.track, e.dataset.ts]]))"""
    )
    return {k: (float(p), int(tr), int(ts)) for k, (p, tr, ts) in got.items()}


def hm(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, HANOI).strftime("%H:%M")


def scrub_to(page: Page, ms: int) -> None:
    """Drag the scrubber to ``ms`` (what the browser does on a drag: set value, fire input)."""
    page.locator("#replay-scrub").evaluate(
        "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }", ms
    )


def shown_ms(page: Page) -> int:
    return int(page.locator("#replay-bar").get_attribute("data-shown-ms") or 0)


def test_scrubbing_back_30_minutes_draws_the_trains_where_history_put_them(
    session: MakeSession, app: LiveApp
) -> None:
    start_ms = int(service_start().timestamp() * 1000)
    # 33 field minutes of service behind us (half a minute of wall time at 60×)
    wait_until(
        lambda: app.inject("where")["now_ms"] - start_ms >= 33 * MIN,
        timeout_s=90,
        what="33 emulated minutes",
    )
    s = session(UserRole.OPERATOR)
    page = s.login()
    wait_until(lambda: len(drawn(page)) >= 5, what="the live board's trains")
    expect(page.locator("body")).not_to_have_class(re.compile("replaying"))

    page.click("#replay-open")
    expect(page.locator("body")).to_have_class(re.compile("replaying"))
    end = int(page.locator("#replay-scrub").get_attribute("max") or 0)
    target = end - 30 * MIN
    scrub_to(page, target)
    wait_until(lambda: shown_ms(page) == target, what="the moment 30 minutes back drawn")
    expect(page.locator("#replay-badge")).to_have_text(f"XEM LẠI {hm(target)}")
    s.shot("replay-30-minutes-back")

    trains = drawn(page)
    assert len(trains) >= 5, trains  # the morning peak
    # reporting then (one report a field minute at 60×): not drawn as stale
    fresh = page.locator("svg.line-diagram g.train:not(.stale):not(.parked)")
    assert fresh.count() >= 5
    record = app.inject("where", ts_ms=target)
    for train, (pos, track, ts) in trains.items():
        # the report drawn is the train's latest at or before the moment (one a field minute)
        assert target - 3 * MIN <= ts <= target, (train, ts, target)
        # …and it says where the emulator had the train when it made that report
        was = app.inject("where", ts_ms=ts)["trains"][train]
        assert abs(pos - was["pos_m"]) <= 1.0 and track == was["track"], (train, pos, was)
    # the trains moved since: what is drawn is not the live line
    live_now = app.inject("where")["trains"]
    assert any(abs(trains[t][0] - live_now[t]["pos_m"]) > 100 for t in trains)
    assert record["at_ms"] == target

    # live frames keep coming (the field moves on) but are not applied while replaying
    moved_on = app.inject("where")["now_ms"] + 2 * MIN
    wait_until(lambda: app.inject("where")["now_ms"] > moved_on, what="two field minutes")
    assert drawn(page) == trains and shown_ms(page) == target
    # no alarm can be acted on in a replay
    expect(page.locator("#alarms button[data-action]")).to_have_count(0)

    # play at 60×: the replayed time moves on, and the trains with it
    page.select_option("#replay-speed", "60")
    page.click("#replay-play")
    wait_until(lambda: shown_ms(page) >= target + 2 * MIN, what="replay time advancing")
    page.click("#replay-play")  # pause
    expect(page.locator("#replay-badge")).not_to_have_text(f"XEM LẠI {hm(target)}")
    later = drawn(page)
    assert any(later[t][2] > trains[t][2] for t in later if t in trains)

    # played up to the end of the span read at opening, it goes on into what was recorded since
    scrub_to(page, end - MIN)
    page.click("#replay-play")
    wait_until(lambda: shown_ms(page) > end + MIN, what="play past the span read at opening")
    page.click("#replay-play")

    page.click("#replay-live")
    expect(page.locator("body")).not_to_have_class(re.compile("replaying"))
    expect(page.locator("#replay-badge")).to_have_count(0)
    wait_until(
        lambda: min(ts for _, _, ts in drawn(page).values()) > target + 25 * MIN,
        what="the live trains back on the board",
    )


def test_every_role_may_replay_in_english_too(session: MakeSession, app: LiveApp) -> None:
    for role in (UserRole.PLANNER, UserRole.CREW_MANAGER):
        s = session(role, lang="en")
        page = s.login()
        page.goto(app.url + "/board")
        page.click("#replay-open")
        expect(page.locator("#replay-badge")).to_have_text(re.compile(r"^REPLAY \d\d:\d\d$"))
        expect(page.locator("#replay-live")).to_have_text("Back to live")
        wait_until(lambda p=page: shown_ms(p) > 0, what=f"{role} sees a replayed moment")  # type: ignore[misc]
