"""Date-time inputs in a browser whose locale is en-US: they show and take Hanoi wall-clock
time as dd/mm/yyyy hh:mm (24 h) whatever the browser's locale and zone, and a mistyped
date-time is refused with a field error — nothing is recorded, no filter runs without the bound
the user typed. (``<input type="datetime-local">`` showed mm/dd/yyyy with AM/PM there.)"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from accounts.identity import UserRole
from line.clock import HANOI
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp

BAD = ("31/02/2026 08:00", "2026/13/01")
EN_ERROR = "Enter date and time as dd/mm/yyyy hh:mm"
US = {"locale": "en-US", "timezone_id": "America/New_York"}


def posts_to(page: Page, path: str) -> list[Request]:
    """The POST requests the page sends to ``path`` from now on."""
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and path in r.url else None)
    return sent


def test_crew_dates_are_hanoi_dd_mm_yyyy_in_an_en_us_browser(
    session: MakeSession, app: LiveApp
) -> None:
    cm = session(UserRole.CREW_MANAGER, lang="en", **US)
    before = datetime.now(HANOI).replace(second=0, microsecond=0)
    page = cm.login()
    effective = page.locator("#s-effective")
    # prefilled with the current Hanoi time, day first, 24 h (the minute may roll over)
    expect(effective).to_have_value(re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    shown = datetime.strptime(effective.input_value(), "%d/%m/%Y %H:%M").replace(tzinfo=HANOI)
    assert before <= shown <= datetime.now(HANOI), (effective.input_value(), before)
    expect(effective).to_have_attribute("placeholder", "dd/mm/yyyy hh:mm")
    expect(page.locator("#dt-hint")).to_have_text(re.compile("Hanoi time"))
    assert "dt-hint" in (effective.get_attribute("aria-describedby") or "")

    # leaving the field puts what was typed in canonical form
    effective.fill("1/2/2026 8:00")
    effective.press("Tab")
    expect(effective).to_have_value("01/02/2026 08:00")

    staff = page.locator("#roster tbody tr").first.get_attribute("data-staff") or ""
    events = f"{app.url}/api/crew/status-events?staff_id={staff}"
    recorded = len(page.request.get(events).json())
    posted = posts_to(page, "/api/crew/status-events")
    form = page.locator("#status-form")
    page.fill("#s-staff", staff)
    page.select_option("#s-state", "available")
    for bad in BAD:
        effective.fill(bad)
        form.get_by_role("button", name="Save").click()
        expect(page.locator("#s-effective + .field-error")).to_have_text(EN_ERROR)
        expect(effective).to_have_attribute("aria-invalid", "true")
        expect(form.locator(".form-error")).to_contain_text(f"From: {EN_ERROR}")
    assert not posted and len(page.request.get(events).json()) == recorded

    # a valid entry (one-digit day, month and hour) is stored as that Hanoi instant
    effective.fill("5/1/2026 7:30")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-error.ok")).to_contain_text(f"Recorded: {staff}")
    stored = page.request.get(events).json()
    assert len(stored) == recorded + 1 and len(posted) == 1
    new = [e for e in stored if e["event_id"] == posted[0].post_data_json["event_id"]]
    assert datetime.fromisoformat(new[0]["effective"]) == datetime(2026, 1, 5, 7, 30, tzinfo=HANOI)
    assert posted[0].post_data_json["effective"] == "2026-01-05T07:30:00+07:00"
    cm.shot("dates-crew-en-us")


def bound_ms(v: str) -> int:
    """A since/until query value (milliseconds, or an ISO string) as milliseconds."""
    return int(v) if v.isdigit() else int(datetime.fromisoformat(v).timestamp() * 1000)


@pytest.mark.parametrize(
    ("path", "role", "form_id", "field", "api_path"),
    [
        ("/audit", UserRole.ADMIN, "#audit-form", "#a-since", "/api/audit?"),
        ("/shiftlog", UserRole.OPERATOR, "#log-filters", "#f-until", "/api/log?"),
        ("/incidents", UserRole.PLANNER, "#inc-filters", "#f-since", "/api/incidents?"),
    ],
)
def test_a_filter_with_a_mistyped_bound_runs_no_query(
    session: MakeSession,
    app: LiveApp,
    path: str,
    role: UserRole,
    form_id: str,
    field: str,
    api_path: str,
) -> None:
    s = session(role, **US)
    page = s.login()

    # the list queries the filter runs (the shift log also polls for new entries: after=…)
    def listing(url: str) -> bool:
        return api_path in url and "after=" not in url

    with page.expect_response(lambda r: listing(r.url)):  # the page's first listing
        s.goto(path)
    form = page.locator(form_id)
    queries: list[str] = []
    page.on("request", lambda r: queries.append(r.url) if listing(r.url) else None)
    for bad in BAD:
        page.fill(field, bad)
        form.locator("button[type=submit]").click()
        expect(form.locator(f"{field} + .field-error")).to_have_text(
            "Nhập ngày giờ dạng dd/mm/yyyy hh:mm"
        )
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
    assert not queries, queries

    page.fill(field, "4/12/2026 9:05")
    with page.expect_request(lambda r: listing(r.url)) as got:
        form.locator("button[type=submit]").click()
    expect(page.locator(field)).not_to_have_attribute("aria-invalid", "true")
    q = parse_qs(urlsplit(got.value.url).query)
    name = "since" if "since" in field else "until"
    expected = datetime(2026, 12, 4, 9, 5, tzinfo=HANOI)
    assert bound_ms(q[name][0]) == int(expected.timestamp() * 1000), q


def test_replay_goes_to_a_typed_hanoi_time_and_marks_a_mistyped_one(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.OPERATOR, **US)
    page = s.login()
    with page.expect_response(lambda r: "/api/replay/range" in r.url) as got:
        page.click("#replay-open")
    span = got.value.json()
    goto = page.locator("#replay-goto")
    expect(goto).to_have_value(re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    seeks: list[str] = []
    page.on("request", lambda r: seeks.append(r.url) if "/api/replay?at=" in r.url else None)
    for bad in BAD:
        goto.fill(bad)
        goto.press("Enter")
        expect(goto).to_have_attribute("aria-invalid", "true")
    assert not seeks, seeks

    # this minute, typed day first (kept inside the span held, as the scrubber is)
    now = datetime.now(HANOI).replace(second=0, microsecond=0)
    want = min(span["now_ms"], max(span["earliest_ms"], int(now.timestamp() * 1000)))
    goto.fill(now.strftime("%-d/%-m/%Y %-H:%M"))
    with page.expect_request(lambda r: "/api/replay?at=" in r.url) as sent:
        goto.press("Enter")
    assert parse_qs(urlsplit(sent.value.url).query)["at"] == [str(want)]
    expect(goto).not_to_have_attribute("aria-invalid", "true")
    shown = datetime.fromtimestamp(want / 1000, HANOI).strftime("%d/%m/%Y %H:%M")
    expect(goto).to_have_value(shown)
