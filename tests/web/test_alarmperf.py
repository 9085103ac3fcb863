"""The alarm performance page in chromium, on the live app fed by the field emulator: a real
substation alarm shows in the power console's rate and among the most frequent alarms; the
page's layout at 1366×768 and 1920×1080 in both languages; the busiest-console tile says the
same as the console table."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.identity import UserRole
from tests.poll import until_sync
from tests.web.boxes import box, cut_off, page_width
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp


def test_alarm_performance_page_counts_a_real_alarm(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()

    def ss4_alarm() -> dict[str, Any] | None:
        body = page.request.get(app.url + "/api/alarms?include_shelved=true&history=50").json()
        found = [a for a in [*body["alarms"], *(body["history"] or [])] if a["device"] == "SS4"]
        return found[0] if found else None

    app.inject("undervoltage", substation="SS4")
    try:
        alarm = until_sync(ss4_alarm, timeout_s=60, what="the SS4 undervoltage alarm")
    finally:
        app.inject("undervoltage", substation="SS4", on=False)

    page.click("#nav-alarmperf")
    page.wait_for_url(re.compile(r"/alarmperf$"))
    expect(page.locator("h1")).to_have_text("Hiệu suất hệ thống cảnh báo")
    power = page.locator('#ap-consoles tr[data-console="power"]')
    expect(power.locator("th")).to_have_text("Cấp điện")
    assert int(power.locator("td").first.inner_text()) >= 1
    expect(page.locator(f'#ap-bad tr[data-key="{alarm["key"]}"]')).to_contain_text("Cấp điện")
    expect(page.locator("#ap-kpi-flood .kpi-value")).to_have_text(re.compile(r"^\d+(,\d)? %$"))
    expect(page.locator("#ap-chart svg rect.ap-bar.power").first).to_be_attached()
    s.shot("alarmperf-vi")

    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Alarm system performance")
    expect(power.locator("th")).to_have_text("Traction power")
    # the window: the last hour still holds it
    page.select_option("#ap-hours", "1")
    expect(page.locator(f'#ap-bad tr[data-key="{alarm["key"]}"]')).to_be_visible()


SECTIONS = ("consoles", "bad", "chatter", "stale", "shelved")


def number(text: str) -> float:
    """A figure as the page shows it (Vietnamese: decimal comma)."""
    return float(text.strip().replace(",", "."))


def check_layout(page: Page, w: int) -> None:
    """Tiles a tile's height, above the panels; each table under its own heading, inside
    its panel; nothing off-screen or cut."""
    assert page_width(page) <= w, page_width(page)
    tiles = page.locator("#ap-kpis .kpi")
    expect(tiles).to_have_count(7)
    heights = tiles.evaluate_all("ts => ts.map(t => t.getBoundingClientRect().height)")
    assert max(heights) < 140, heights  # they stretched to ~600 px
    kpis = box(page, "#ap-kpis")
    for name in SECTIONS:
        table = box(page, f"#ap-{name}")
        heading = box(page, f"#ap-{name}-h")
        panel = box(page, f"section:has(> #ap-{name}-h)")
        assert kpis["bottom"] <= panel["top"], (name, kpis, panel)  # drawn over the tiles
        # the heading right above its table, both inside the panel
        assert heading["bottom"] <= table["top"], (name, heading, table)
        for b in (heading, table):
            assert panel["left"] <= b["left"] and b["right"] <= panel["right"] + 0.5, (name, b)
            assert panel["top"] <= b["top"] and b["bottom"] <= panel["bottom"] + 0.5, (name, b)
    assert cut_off(page, "main") == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_alarm_performance_page_layout_and_busiest_console_tile(
    session: MakeSession, app: LiveApp, lang: str
) -> None:
    for n in range(3):
        got = app.inject(
            "raise_alarm", key=f"train:T0{n + 1}:fault:AP{lang}", priority=3, text=f"AP {n}"
        )
        assert got["id"] is not None
    s = session(UserRole.OPERATOR, lang=lang)
    s.login()
    page = s.goto("/alarmperf")
    rows = page.locator("#ap-consoles tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator('#ap-consoles tr[data-console="traffic"] td').first).not_to_have_text("0")
    # the stale and shelved tiles hold their counts (their tables once landed in them)
    for tile in ("stale", "shelved"):
        expect(page.locator(f"#ap-kpi-{tile} .kpi-value")).to_have_text(re.compile(r"^\d+$"))
    for w, h in ((1920, 1080), (1366, 768)):
        page.set_viewport_size({"width": w, "height": h})
        s.shot(f"alarmperf-{lang}-{w}x{h}")
        check_layout(page, w)

    # the busiest console's tile: ISA-18.2's average rate, the figure of the table's mean
    # column, with that console's busiest 10 minutes (the max column) beside it
    table = [
        (r.get_attribute("data-console"), [c.inner_text() for c in r.locator("td").all()])
        for r in rows.all()
    ]
    console, cells = max(table, key=lambda r: number(r[1][1]))
    mean, top = cells[1], cells[2]
    tile = page.locator("#ap-kpi-rate")
    expect(tile.locator(".kpi-label")).to_have_text(
        "Trung bình / 10 phút, bàn bận nhất" if lang == "vi" else "Mean / 10 min, busiest console"
    )
    expect(tile.locator(".kpi-value")).to_have_text(mean)
    name = page.locator(f'#ap-consoles tr[data-console="{console}"] th').inner_text()
    expect(tile.locator(".kpi-extra")).to_contain_text(name)
    expect(tile.locator(".kpi-extra")).to_contain_text(f" {top} ")
    assert number(top) >= 3
