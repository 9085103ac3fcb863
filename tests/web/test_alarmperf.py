"""The alarm performance page in chromium, on the live app fed by the field emulator: a real
substation alarm shows in the power console's rate and among the most frequent alarms."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from accounts.identity import UserRole
from tests.poll import until_sync
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
    expect(page.locator("#ap-flood .kpi-value")).to_have_text(re.compile(r"^\d+(,\d)? %$"))
    expect(page.locator("#ap-chart svg rect.ap-bar.power").first).to_be_attached()
    s.shot("alarmperf-vi")

    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Alarm system performance")
    expect(power.locator("th")).to_have_text("Traction power")
    # the window: the last hour still holds it
    page.select_option("#ap-hours", "1")
    expect(page.locator(f'#ap-bad tr[data-key="{alarm["key"]}"]')).to_be_visible()
