"""The time-distance (Marey) page in chromium, on the whole app fed by the field emulator.

The emulator runs the morning peak at 30×, its trains reporting at 3 Hz (a report every 10 field
seconds, as at 1 Hz and 10×: every dwell is seen), so departures and headways come within
half a minute.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.identity import UserRole
from line import load_line
from line.timetable import plan_day
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp, live_app

NUMBER = re.compile(r"^[+−-]?\d+:\d\d$")  # an EWT such as +0:42 or −0:05


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("marey"), speed=30.0, publish_hz=3.0) as running:
        yield running


def test_marey_page_draws_planned_and_actual_paths_and_regularity_tiles(
    session: MakeSession,
) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    page.click("#nav-marey")
    page.wait_for_url(re.compile(r"/marey$"))
    expect(page.locator("h1")).to_have_text("Biểu đồ chạy tàu (thời gian – quãng đường)")
    graph = page.locator("#marey-graph")
    # the timetable's day: every planned trip, dashed; the trains' paths, solid, growing
    # one dashed path per trip of the day shown: 2026 timetable, weekday or weekend pattern
    shown = page.request.get(page.url.replace("/marey", "/api/marey")).json()
    line = load_line()
    trips = len(
        plan_day(line, line.timetable("2026"), date.fromisoformat(shown["service_date"])).trips
    )
    assert trips > 190  # a whole day of service, both directions
    expect(graph.locator("path.planned")).to_have_count(trips, timeout=20_000)
    expect(graph.locator("path.actual").nth(4)).to_be_attached(timeout=30_000)
    expect(graph.locator("g.head").nth(4)).to_be_visible()
    # the service day as this UI writes dates (dd/mm/yyyy), not the API's ISO date
    day = date.fromisoformat(shown["service_date"]).strftime("%d/%m/%Y")
    expect(page.locator("#marey-note")).to_contain_text(f"Ngày khai thác {day},")
    expect(graph.locator("text.station-label").first).to_have_text("Cát Linh")
    expect(graph.locator("text.station-label")).to_have_count(12)
    for tile, label in [
        ("ewt-hour", "EWT giờ này"),
        ("ewt-day", "EWT từ đầu ngày"),
        ("bunching", "Dồn tàu hôm nay"),
        ("gaps", "Giãn cách lớn hôm nay"),
    ]:
        expect(page.locator(f"#kpi-{tile} .kpi-label")).to_have_text(label)
    # once departures have been seen at the stations, the excess wait is a figure, in the
    # tile, in the graph's hourly strip and in the table
    expect(page.locator("#kpi-ewt-day .kpi-value")).to_have_text(NUMBER, timeout=120_000)
    expect(graph.locator("g.ewt-cell").first).to_be_visible()
    expect(page.locator("table.marey-hours tbody tr").first).to_be_visible()

    # live: a poll extends a train's path in place (the same element, not a redraw)
    live = graph.locator("path.actual.live").first
    path_id = live.get_attribute("data-id")
    before = live.get_attribute("d")
    live.evaluate("el => { el.__kept = true; }")
    same = graph.locator(f'path.actual[data-id="{path_id}"]')
    expect(same).not_to_have_attribute("d", before or "", timeout=30_000)
    assert same.evaluate("el => el.__kept === true")
    s.shot("marey-vi")

    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Time-distance (Marey) graph")
    expect(page.locator("#kpi-ewt-day .kpi-label")).to_have_text("EWT today")
    expect(page.locator("#kpi-gaps .kpi-label")).to_have_text("Gaps today")
    expect(page.locator("#marey-legend")).to_contain_text("Planned (timetable)")
    expect(page.locator("table.marey-hours th").first).to_have_text("Hour")
    expect(page.locator("#marey-note")).to_contain_text(f"Service day {day},")
    expect(graph.locator("path.planned")).to_have_count(trips)
    s.shot("marey-en")

    # the layouts a control room and a phone use: the graph fits the page (a phone scrolls it)
    for w, h_ in ((1600, 900), (3840, 2160), (390, 844)):
        page.set_viewport_size({"width": w, "height": h_})
        if w > 900:
            expect(graph.locator("svg")).to_have_attribute(
                "width", re.compile(r"^\d+$"), timeout=5_000
            )
            page.wait_for_function(
                "w => Number(document.querySelector('#marey-svg').getAttribute('width')) <= w",
                arg=w,
            )
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        s.shot(f"marey-{w}x{h_}")
    page.set_viewport_size({"width": 1920, "height": 1080})

    # one track at a time
    page.select_option("#m-direction", "2")
    expect(graph.locator("path.planned.track-1")).to_have_count(0)
    expect(graph.locator("path.actual.track-2").first).to_be_attached()
    expect(graph.locator("path.actual.track-1")).to_have_count(0)


def test_every_role_reaches_the_page_from_the_menu(session: MakeSession) -> None:
    for role in (UserRole.PLANNER, UserRole.CREW_MANAGER):
        page = session(role).login()
        page.click("#nav-marey")
        expect(page.locator("#marey-graph path.planned").first).to_be_attached(timeout=20_000)
