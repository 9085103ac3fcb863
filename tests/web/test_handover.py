"""A full shift handover between two operators in real browsers, against the live app
(emulator over real MQTT): the outgoing operator flags a log entry for follow-up, opens the
handover (drafted by the system), edits the summary and signs; the incoming operator (another
user) reads it, acknowledges each item that requires it one by one, and accepts; both see it
accepted, and the shift log has both steps. Shifts that ended without a handover show as "not
handed over", in Vietnamese and in English."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.identity import UserRole
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp

NOTE = "T02: cửa kẹt, đội kỹ thuật đến lúc 14:30"
AT = r"\d\d:\d\d \d\d/\d\d/\d{4}"  # hh:mm dd/mm/yyyy
SPAN_VI = rf"Ca (ngày|chiều|đêm) · {AT} – {AT}$"
SPAN_EN = rf"(Day|Late|Night) shift · {AT} – {AT}$"


def test_full_handover_between_two_operators(session: MakeSession, app: LiveApp) -> None:
    out = session(UserRole.OPERATOR)
    page = out.login()

    # an open item: a log entry flagged for follow-up
    page.locator("#nav-shiftlog").click()
    page.wait_for_url(re.compile(r"/shiftlog$"))
    page.select_option("#w-category", "equipment")
    page.fill("#w-text", "Cửa tàu T02 kẹt, chờ đội kỹ thuật")
    page.check("#w-follow")
    page.get_by_role("button", name="Ghi sổ").click()
    flagged = page.locator("li.log-entry", has_text="Cửa tàu T02 kẹt")
    expect(flagged.locator(".log-follow")).to_have_text("Cần theo dõi")

    page.locator("#nav-handover").click()
    page.wait_for_url(re.compile(r"/handover$"))
    expect(page.locator("h1")).to_have_text("Bàn giao ca")
    # shifts that ended today without a handover say so
    missing = page.locator('li.ho-shift[data-status="not_handed_over"]')
    expect(missing.first).to_contain_text("Không bàn giao")
    # each shift by its name, its times hh:mm dd/mm/yyyy at both ends
    expect(page.locator("li.ho-shift .num").first).to_have_text(re.compile(SPAN_VI))
    expect(page.locator("#ho-shifts")).not_to_contain_text("occ_")

    # the outgoing operator opens the handover: drafted by the system
    page.get_by_role("button", name="Mở bàn giao ca").click()
    panel = page.locator("#ho-panel")
    expect(panel).to_have_attribute("data-state", "draft")
    expect(page.locator("#ho-title")).to_have_text(re.compile(f"^Bàn giao: {SPAN_VI}"))
    expect(page.locator("#ho-summary")).to_have_value(re.compile(r"^Bàn giao ca (ngày|chiều|đêm) "))
    expect(page.locator("#ho-summary")).to_have_value(re.compile(r"Báo động đang mở: \d+"))
    log_item = panel.locator('[data-section="log"] li.ho-item', has_text="Cửa tàu T02 kẹt")
    expect(log_item.locator(".ho-must")).to_have_text("Cần xác nhận")
    expect(panel.locator('[data-section="incidents"]')).to_contain_text("Không có.")
    drafted = page.locator("#ho-summary").input_value()
    page.fill("#ho-summary", f"{drafted}\n{NOTE}")
    page.get_by_role("button", name="Ký bàn giao").click()
    expect(panel).to_have_attribute("data-state", "signed")
    expect(page.locator("#ho-state")).to_contain_text(f"ký: {out.user}")
    expect(page.locator("#ho-summary")).to_have_js_property("readOnly", True)
    expect(page.locator("#ho-accept")).to_be_hidden()  # not by the one handing over
    expect(page.locator("button.ho-ack")).to_have_count(0)
    out.shot("handover-signed")

    # the incoming operator reads it, acknowledges item by item, accepts
    inc = session(UserRole.OPERATOR, user=app.second_operator)
    ipage = inc.login()
    ipage.locator("#nav-handover").click()
    ipage.wait_for_url(re.compile(r"/handover$"))
    ipanel = ipage.locator("#ho-panel")
    expect(ipanel).to_have_attribute("data-state", "signed")
    expect(ipage.locator("#ho-summary")).to_have_value(re.compile(re.escape(NOTE)))
    accept = ipage.get_by_role("button", name="Nhận bàn giao")
    expect(accept).to_be_disabled()  # items to acknowledge first
    acks = ipage.locator("button.ho-ack")
    required = ipanel.locator("li.ho-item.must-ack").count()
    assert required >= 1
    expect(acks).to_have_count(required)
    for left in range(required, 0, -1):
        expect(acks).to_have_count(left)
        expect(accept).to_be_disabled()
        acks.first.click()
    expect(acks).to_have_count(0)
    ilog = ipanel.locator('[data-section="log"] li.ho-item', has_text="Cửa tàu T02 kẹt")
    expect(ilog.locator(".ho-acked")).to_contain_text(f"đã xác nhận: {inc.user}")
    expect(accept).to_be_enabled()
    inc.shot("handover-acknowledged")
    accept.click()
    expect(ipanel).to_have_attribute("data-state", "accepted")
    expect(ipage.locator("#ho-state")).to_contain_text(f"nhận: {inc.user}")
    expect(ipage.locator('li.ho-shift[data-status="accepted"]')).to_have_count(1)

    # the outgoing operator's page follows; the shift log has both steps
    expect(panel).to_have_attribute("data-state", "accepted")
    expect(page.locator('li.ho-shift[data-status="accepted"]')).to_contain_text("Đã bàn giao")
    page.locator("#nav-shiftlog").click()
    page.wait_for_url(re.compile(r"/shiftlog$"))
    entries = page.locator("li.log-entry.system")
    expect(entries.filter(has_text=f"{out.user} đã ký")).to_have_count(1)
    expect(entries.filter(has_text=f"{inc.user} đã nhận bàn giao từ {out.user}")).to_have_count(1)

    # in English, for anyone signed in
    reader = session(UserRole.PLANNER, lang="en")
    rpage = reader.login()
    rpage.goto(app.url + "/handover")
    expect(rpage.locator("h1")).to_have_text("Shift handover")
    expect(rpage.locator('li.ho-shift[data-status="not_handed_over"]').first).to_contain_text(
        "Not handed over"
    )
    expect(rpage.locator("#ho-panel")).to_have_attribute("data-state", "accepted")
    expect(rpage.locator("#ho-title")).to_have_text(re.compile(f"^Handover: {SPAN_EN}"))
    expect(rpage.get_by_role("button", name="Open the shift handover")).to_be_hidden()
    reader.shot("handover-en")


def test_degraded_timetable_declared_logged_and_on_the_board(
    session: MakeSession, app: LiveApp
) -> None:
    viewer = session(UserRole.PLANNER)
    board = viewer.login()
    board.goto(app.url + "/board")
    banner = board.locator('[data-banner="timetable"]')
    expect(banner).to_have_count(0)

    op = session(UserRole.OPERATOR)
    page = op.login()
    page.locator("#nav-shiftlog").click()
    page.wait_for_url(re.compile(r"/shiftlog$"))
    form = page.locator("#tt-form")
    form.locator('input[value="degraded"]').check()
    page.fill("#tt-headway", "8")
    page.fill("#tt-reason", "thiếu 3 lái tàu")
    page.fill("#tt-from", "7:30 PM")  # 24-hour clock, whatever the browser's locale
    page.get_by_role("button", name="Công bố").click()
    expect(form.locator(".form-error")).to_contain_text("Nhập giờ dạng hh:mm (24 giờ)")
    page.fill("#tt-from", "7:30")
    page.get_by_role("button", name="Công bố").click()
    expect(form.locator(".form-error")).to_contain_text("Đã ghi quyết định")
    entry = page.locator("li.log-entry.system", has_text="công bố biểu đồ chạy tàu suy giảm")
    expect(entry).to_contain_text(f"{op.user} công bố biểu đồ chạy tàu suy giảm: giãn cách 8 phút")
    expect(page.locator('[data-banner="timetable"]')).to_contain_text("thiếu 3 lái tàu")

    # the board shows it (polled), and stops when the normal timetable is declared again
    expect(banner).to_contain_text(
        re.compile(r"BIỂU ĐỒ SUY GIẢM: giãn cách 8 phút từ 07:30.*thiếu 3 lái tàu"),
        timeout=20_000,
    )
    viewer.shot("board-degraded-timetable")
    form.locator('input[value="normal"]').check()
    expect(page.locator("#tt-headway")).to_be_disabled()
    page.fill("#tt-reason", "đủ lái tàu")
    page.get_by_role("button", name="Công bố").click()
    expect(page.locator("li.log-entry.system", has_text="trở lại biểu đồ")).to_have_count(1)
    expect(banner).to_have_count(0, timeout=20_000)
