"""The shift log in a browser, against the live app (emulator over real MQTT): a P1 alarm from
the field writes its entry by itself; an operator writes an entry and a correction, shown with
the entry it corrects; a planner's open page gets them live, without redrawing what it shows;
the English switch."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.identity import UserRole
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp


def test_p1_alarm_entry_operator_entry_and_correction(session: MakeSession, app: LiveApp) -> None:
    watcher = session(UserRole.PLANNER)
    watcher.login()
    wpage = watcher.goto("/shiftlog")
    expect(wpage.locator("h1")).to_have_text("Sổ ca")
    expect(wpage.locator("#log-write")).to_be_hidden()  # planners read only

    op = session(UserRole.OPERATOR)
    page = op.login()
    page.locator("#nav-shiftlog").click()
    page.wait_for_url(re.compile(r"/shiftlog$"))

    # a critical fault from the emulated field: a P1 alarm, logged by the system
    auto = page.locator("li.log-entry.system", has_text="Báo động P1")
    app.inject("fault_rate", per_h=3600.0)  # per driven train and hour; ~2 % are critical
    try:
        expect(auto.first).to_be_visible(timeout=90_000)
    finally:
        app.inject("fault_rate", per_h=0.0)
    first_auto = auto.first
    expect(first_auto.locator(".log-author")).to_have_text("Hệ thống")
    expect(first_auto.locator(".log-train")).to_have_text(re.compile(r"^T\d\d$"))
    expect(first_auto.locator(".log-alarm")).to_have_text(re.compile(r"#\d+$"))

    # the planner's page has it too, by polling; mark a node to prove it is not redrawn later
    expect(wpage.locator("li.log-entry.system", has_text="Báo động P1").first).to_be_visible()
    wpage.evaluate("document.querySelector('li.log-entry').dataset.seen = 'yes'")
    seen_id = wpage.locator("li.log-entry[data-seen=yes]").get_attribute("data-entry")

    # the operator writes an entry
    page.select_option("#w-category", "operations")
    page.fill("#w-text", "T03 dừng tại ga Láng 4 phút, đã báo đội kỹ thuật")
    page.fill("#w-train", "T03")
    page.get_by_role("button", name="Ghi sổ").click()
    mine = page.locator("li.log-entry:not(.system)", has_text="dừng tại ga Láng")
    expect(mine).to_have_count(1)
    expect(mine.locator(".log-author")).to_have_text(op.user)
    entry_id = mine.get_attribute("data-entry")

    # and corrects it: the correction is a new entry shown with the one it corrects
    mine.get_by_role("button", name="Sửa").click()
    expect(page.locator("#log-correcting")).to_contain_text(f"#{entry_id}")
    page.fill("#w-text", "Sửa: dừng tại ga Thái Hà, không phải Láng")
    page.get_by_role("button", name="Ghi sổ").click()
    fix = page.locator("li.log-entry", has_text="Sửa: dừng tại ga Thái Hà")
    expect(fix).to_have_count(1)
    expect(fix.locator("blockquote.log-corrected")).to_contain_text("T03 dừng tại ga Láng 4 phút")
    expect(fix.locator("blockquote.log-corrected")).to_have_attribute(
        "data-corrects", entry_id or ""
    )
    original = page.locator(f'li.log-entry[data-entry="{entry_id}"]')
    expect(original.locator(".log-corrected-by")).to_contain_text("Đã được sửa bởi #")
    expect(original).to_contain_text("T03 dừng tại ga Láng 4 phút")  # nothing rewritten

    # live on the planner's page, without redrawing the entries it already showed
    wfix = wpage.locator("li.log-entry", has_text="Sửa: dừng tại ga Thái Hà")
    expect(wfix).to_have_count(1)
    expect(wfix.locator("blockquote.log-corrected")).to_be_visible()
    expect(
        wpage.locator(f'li.log-entry[data-entry="{entry_id}"] .log-corrected-by')
    ).to_be_visible()
    expect(wpage.locator(f'li.log-entry[data-entry="{seen_id}"]')).to_have_attribute(
        "data-seen", "yes"
    )

    # search, and English at the switch
    page.fill("#f-q", "thái hà")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("li.log-entry")).to_have_count(1)
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("Shift log")
    page.fill("#f-q", "")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("li.log-entry.system", has_text="P1 alarm").first).to_be_visible()
    op.shot("shiftlog")
    assert op.errors == [] and watcher.errors == []
