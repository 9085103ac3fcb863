"""Alarm management on the board, in chromium against the whole app (ISA-18.2 / EEMUA 191):
the priority filter, grouping of one kind across trains, compact rows, bulk acknowledge of
what the filter shows, the P1 banner and the remembered sound switch, the P1 shelving rules
(reason, maximum, a second person), suppression of a train in the depot shown as a greyed
group, one colour per priority on list and diagram, focus after Acknowledge, and screenshots
at the four screen sizes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.identity import UserRole
from tests.web.boxes import box, cut_off, page_width
from tests.web.conftest import MakeSession, Session
from tests.web.live_app import LiveApp, wait_until

GOOD_REASON = "Cảm biến cửa hỏng, đội bảo trì đang kiểm tra tại ga"


@pytest.fixture(autouse=True)
def _retire(app: LiveApp) -> Iterator[None]:
    """Each test's alarms are closed after it: the module's app (and its trains) is shared."""
    yield
    app.inject("retire_test_alarms")


def raise_alarm(app: LiveApp, key: str, priority: int, text: str | None = None) -> int:
    got = app.inject("raise_alarm", key=key, priority=priority, text=text or key)
    assert got["id"] is not None, got
    return int(got["id"])


def api_alarm(page: Page, app: LiveApp, alarm_id: int) -> dict[str, Any]:
    body = page.request.get(app.url + "/api/alarms?include_shelved=true").json()
    return next(a for a in body["alarms"] if a["id"] == alarm_id)


def in_service(page: Page, app: LiveApp, n: int) -> list[str]:
    """``n`` trains in passenger service now (their alarms are not suppressed) and without
    open alarms (the module's app is shared by its tests)."""

    def pick() -> list[str] | None:
        trains = page.request.get(app.url + "/api/board").json()["trains"]
        alarms = page.request.get(app.url + "/api/alarms?include_shelved=true").json()["alarms"]
        taken = {a["train"] for a in alarms}  # earlier tests' alarms: a train of its own
        ok = [
            t["train"]
            for t in trains
            if t["mode"] in ("ATO", "ATP", "RM") and t["train"] not in taken
        ]
        return ok[:n] if len(ok) >= n else None

    return wait_until(pick, what=f"{n} trains in service")


def board(s: Session) -> Page:
    page = s.login()
    expect(page.locator("svg.line-diagram g.train")).to_have_count(13, timeout=15_000)
    return page


def test_filter_grouping_bulk_acknowledge_banner_and_sound(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.OPERATOR)
    page = board(s)
    *three, fourth = in_service(page, app, 4)
    group = [raise_alarm(app, f"train:{t}:fault:G3", 3, f"Tàu {t}: lỗi G3") for t in three]
    p1 = raise_alarm(app, f"train:{fourth}:fault:G1", 1, f"Tàu {fourth}: lỗi G1")
    # three of one kind across trains: one row with a count, expandable
    head = page.locator('#alarms tr.group[data-group="g:3|fault:G3"]')
    expect(head).to_have_attribute("data-count", "3")
    expect(head).to_contain_text("×3")
    expect(page.locator('#alarms tr[data-key$=":fault:G3"]:not(.child)')).to_have_count(0)
    head.get_by_role("button", name="Mở nhóm").click()
    expect(page.locator('#alarms tr.child[data-key$=":fault:G3"]')).to_have_count(3)
    # compact: one line per alarm whose text fits (these; a long one, such as a headway
    # alarm of the emulated line, wraps rather than being cut)
    ours = f'#alarms tr.alarm[data-key$=":fault:G3"], #alarms tr.alarm[data-alarm="{p1}"]'
    heights = page.locator(ours).evaluate_all(
        "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert len(heights) == 4 and max(heights) <= 32, heights

    # an unacknowledged P1: a banner; the sound switch is off by default, then on, remembered
    banner = page.locator('[data-banner="p1"]')
    expect(banner).to_contain_text("P1 chưa xác nhận")
    sound = page.locator("#sound-toggle")
    expect(sound).to_have_attribute("aria-pressed", "false")
    expect(page.locator("body")).to_have_attribute("data-alarm-sound", "off")
    sound.click()
    expect(sound).to_have_text("Chuông: bật")
    expect(page.locator("body")).to_have_attribute("data-alarm-sound", "on")

    # filter to P1 only: the P3 group is out of the list; bulk acknowledge what is shown
    for p in (2, 3, 4):
        page.locator(f'#prio-filter button[data-prio="{p}"]').click()
    expect(head).to_have_count(0)
    expect(page.locator(f'#alarms tr[data-alarm="{p1}"]')).to_be_visible()
    bulk = page.locator("#ack-filtered")
    expect(bulk).to_contain_text("Xác nhận tất cả đang lọc")
    bulk.click()
    expect(page.locator(f'#alarms tr[data-alarm="{p1}"]')).to_have_attribute("data-state", "acked")
    assert api_alarm(page, app, p1)["acked_by"] == s.user
    assert all(api_alarm(page, app, i)["state"] == "unack" for i in group)  # not in the filter
    wait_until(lambda: banner.count() == 0, what="P1 banner gone once no P1 is unacknowledged")
    expect(page.locator("body")).to_have_attribute("data-alarm-sound", "off")
    audit = page.request.get(app.url + "/api/audit?action=alarm.ack_bulk")
    assert audit.status == 403  # an operator does not read the audit; an admin does below
    page.reload()
    expect(page.locator("#sound-toggle")).to_have_attribute("aria-pressed", "true")


def test_p1_shelving_needs_a_reason_a_limit_and_a_second_person(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.OPERATOR)
    page = board(s)
    (train,) = in_service(page, app, 1)
    alarm_id = raise_alarm(app, f"train:{train}:fault:S1", 1, f"Tàu {train}: lỗi S1")
    row = page.locator(f'#alarms tr[data-alarm="{alarm_id}"]')
    row.get_by_role("button", name="Tạm ẩn").click()
    dialog = page.locator("#shelve-dialog")
    expect(dialog.locator("#shelve-hint")).to_contain_text("cần một điều độ viên khác duyệt")
    page.fill("#shelve-reason", "bảo trì")
    dialog.get_by_role("button", name="Tạm ẩn").click()
    expect(dialog.locator(".form-error")).to_contain_text("ít nhất 15 ký tự")
    page.fill("#shelve-reason", "a" * 20)  # long enough, but filler: the server refuses it
    page.fill("#shelve-minutes", "30")
    dialog.get_by_role("button", name="Tạm ẩn").click()
    expect(dialog.locator(".form-error")).to_contain_text("không phải ký tự lặp lại hay vô nghĩa")
    page.fill("#shelve-reason", GOOD_REASON)
    page.fill("#shelve-minutes", "90")
    dialog.get_by_role("button", name="Tạm ẩn").click()
    expect(dialog.locator(".form-error")).to_contain_text("từ 1 đến 60 phút")
    page.fill("#shelve-minutes", "30")
    dialog.get_by_role("button", name="Tạm ẩn").click()
    expect(dialog).to_be_hidden()
    # a request: still on the list, waiting; its author cannot approve it
    expect(row).to_contain_text("chờ người thứ hai duyệt tạm ẩn")
    expect(row.locator("[data-action=approve]")).to_have_count(0)
    assert api_alarm(page, app, alarm_id)["state"] == "unack"
    # a second person approves it on their board
    other = session(UserRole.ADMIN)
    page2 = board(other)
    row2 = page2.locator(f'#alarms tr[data-alarm="{alarm_id}"]')
    row2.get_by_role("button", name="Duyệt tạm ẩn").click()
    expect(row2).to_have_count(0)
    expect(row).to_have_count(0)
    got = api_alarm(page, app, alarm_id)
    assert (got["state"], got["shelved_by"], got["shelve_reason"]) == (
        "shelved",
        s.user,
        GOOD_REASON,
    )


def test_alarms_of_a_train_in_the_depot_are_suppressed_greyed_never_hidden(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.OPERATOR)
    page = board(s)

    def depot_train() -> str | None:
        trains = page.request.get(app.url + "/api/board").json()["trains"]
        return next((t["train"] for t in trains if t["mode"] in ("depot", "off")), None)

    train = wait_until(depot_train, what="a train in the depot")
    alarm_id = raise_alarm(app, f"train:{train}:fault:D7", 2, f"Tàu {train}: lỗi D7")
    assert api_alarm(page, app, alarm_id)["suppressed"] is True
    head = page.locator('#alarms tr[data-group="suppressed"]')
    expect(head).to_contain_text("Bị chặn theo trạng thái")
    row = page.locator(f'#alarms tr[data-alarm="{alarm_id}"]')
    expect(row).to_have_count(0)  # collapsed
    head.get_by_role("button", name="Mở nhóm").click()
    expect(row).to_have_attribute("data-suppressed", "true")
    expect(row).to_contain_text("bị chặn (tàu ngoài khai thác)")
    # greyed: no priority stripe, the stale grey text colour
    colour = row.locator("td").nth(2).evaluate("e => getComputedStyle(e).color")
    grey = page.evaluate("getComputedStyle(document.body).getPropertyValue('--stale')")
    assert colour == "rgb(139, 148, 158)" and grey.strip() == "#8b949e", (colour, grey)
    # not counted as needing acknowledgement, and bulk acknowledge leaves it alone
    summary = page.request.get(app.url + "/api/alarms").json()["summary"]
    assert summary["suppressed"] >= 1
    r = page.request.post(
        app.url + "/api/alarms/ack",
        data={"priorities": [1, 2, 3, 4]},
        headers={"X-CSRF-Token": s.csrf()},
    )
    assert r.ok and alarm_id not in r.json()["acked"]
    assert api_alarm(page, app, alarm_id)["state"] == "unack"


def test_one_colour_per_priority_on_list_and_diagram(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = board(s)
    low, high = in_service(page, app, 2)
    raise_alarm(app, f"train:{low}:fault:C4", 4, f"Tàu {low}: lỗi C4")
    raise_alarm(app, f"train:{high}:fault:C1", 1, f"Tàu {high}: lỗi C1")
    for train, p in ((low, 4), (high, 1)):
        badge = page.locator(f'svg.line-diagram g.train[data-train="{train}"] .badge.fault')
        expect(badge).to_have_class(f"badge fault p{p}")
        fill = badge.locator("circle").evaluate("e => getComputedStyle(e).fill")
        row = page.locator(f'#alarms tr[data-key="train:{train}:fault:C{p}"]')
        list_badge = row.locator(".prio").evaluate("e => getComputedStyle(e).backgroundColor")
        stripe = row.locator("td").first.evaluate(
            "e => getComputedStyle(e).getPropertyValue('--stripe')"
        )
        legend = page.locator(f"#legend .badge-sample.fault.p{p}").evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        assert fill == list_badge == legend, (train, fill, list_badge, legend)
        assert stripe.strip() == f"var(--p{p})" or stripe.strip().startswith("#"), stripe
    # unacknowledged blinks, acknowledged is solid: the colour stays
    row = page.locator(f'#alarms tr[data-key="train:{high}:fault:C1"]')
    assert (
        row.locator("td").first.evaluate("e => getComputedStyle(e).animationName") == "stripe-blink"
    )
    row.get_by_role("button", name="Xác nhận").click()
    expect(row).to_have_attribute("data-state", "acked")
    assert row.locator("td").first.evaluate("e => getComputedStyle(e).animationName") == "none"


def test_keyboard_alarms_come_before_trains_and_focus_stays_after_acknowledge(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.OPERATOR)
    page = board(s)
    a, b = in_service(page, app, 2)
    first = raise_alarm(app, f"train:{a}:fault:K1", 2, f"Tàu {a}: lỗi K1")
    second = raise_alarm(app, f"train:{b}:fault:K2", 2, f"Tàu {b}: lỗi K2")
    expect(page.locator(f'#alarms tr[data-alarm="{second}"]')).to_be_visible()
    # in document (tab) order the alarm list comes before the diagram's and table's trains
    before = page.evaluate(
        """() => {
          const alarm = document.querySelector('#alarms button');
          const train = document.querySelector('svg.line-diagram g.train[tabindex]');
          return !!(alarm.compareDocumentPosition(train) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert before
    # newest first within a priority: the second alarm's row is above the first's
    ack = page.locator(f'#alarms tr[data-alarm="{second}"] [data-action=ack]')
    expected = page.evaluate(
        """id => { const row = document.querySelector(`#alarms tr[data-alarm="${id}"]`);
                   for (let r = row.nextElementSibling; r; r = r.nextElementSibling) {
                     const b = r.querySelector('[data-action=ack]')
                       ?? r.querySelector('button[data-focus-key]');
                     if (b) return b.dataset.focusKey; }
                   return `shelve-${id}`; }""",
        second,
    )
    ack.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f'#alarms tr[data-alarm="{second}"]')).to_have_attribute(
        "data-state", "acked"
    )
    wait_until(
        lambda: page.evaluate("document.activeElement?.dataset?.focusKey") == expected or None,
        what=f"focus on {expected} after acknowledging",
    )
    assert first  # the row below (or another below it) kept the keyboard


def test_board_at_the_screen_sizes(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = board(s)
    (train,) = in_service(page, app, 1)
    raise_alarm(app, f"train:{train}:fault:W1", 1, f"Tàu {train}: lỗi W1")
    for w, h in ((1366, 768), (1600, 900), (1920, 1080), (3840, 2160), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        expect(page.locator(f'#alarms tr[data-key="train:{train}:fault:W1"]')).to_be_visible()
        top = page.locator("#alarms tbody tr").first
        top.scroll_into_view_if_needed()
        # the sticky banners/header do not cover the top alarm
        covered = top.evaluate(
            """r => { const b = r.getBoundingClientRect();
                      const el = document.elementFromPoint(b.left + 30, b.top + b.height / 2);
                      return !(el && r.contains(el)); }"""
        )
        s.shot(f"alarms-board-{w}x{h}")
        assert not covered, (w, h)
        # nothing wider than the screen; on a desktop the trains table and the crew tile fit
        width = page_width(page)
        assert width <= w, (w, h, width)
        if w != 1600:  # 1600×900 shortens a train's place (…) so that 13 rows fit its height
            assert cut_off(page, "main") == [], (w, h)
        if w >= 1600:
            fit = page.evaluate(
                """() => {
                  const wrap = document.querySelector('.trains-panel .table-wrap');
                  const crew = document.querySelector('#crew-tile').getBoundingClientRect();
                  const side = document.querySelector('.side-panel').getBoundingClientRect();
                  return [wrap.scrollHeight - wrap.clientHeight, crew.bottom - side.bottom,
                          wrap.scrollWidth - wrap.clientWidth];
                }"""
            )
            assert fit[0] <= 1 and fit[1] <= 1 and fit[2] <= 1, (w, h, fit)


LONG = "Tàu {t}: kẹt cửa toa 3, cửa không đóng được, tàu dừng tại ga chờ nhân viên"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_alarm_list_cuts_nothing_at_1366_and_1920(
    session: MakeSession, app: LiveApp, lang: str
) -> None:
    """A laptop (1366×768) and the wall (1920×1080): the page never scrolls sideways, sign-out
    is on screen, and every alarm cell is whole — the long message wraps, the time, the state
    ("cleared, unacknowledged" included) and the three buttons are not cut — and so is every
    cell of the trains table, a driver's "not cleared" tag included."""
    s = session(UserRole.OPERATOR, lang=lang)
    page = board(s)
    a, b = in_service(page, app, 2)
    # the driver of a third train declared F0 by the crew manager: that train's row carries
    # the widest tag of the trains table (once per module: a second declaration changes nothing)
    trains = page.request.get(app.url + "/api/board").json()["trains"]
    c = next(t for t in trains if t["train"] not in (a, b) and t.get("driver"))
    cm = session(UserRole.CREW_MANAGER)
    cm.login()
    declared = cm.page.request.post(
        app.url + "/api/crew/cases",
        data={"staff_id": c["driver"]},
        headers={"X-CSRF-Token": cm.csrf()},
        timeout=60_000,
    )
    assert declared.status in (200, 201), declared.text()
    tag = page.locator(f'#trains tr[data-train="{c["train"]}"] .driver-tag')
    expect(tag).to_be_visible(timeout=30_000)
    raise_alarm(app, f"train:{a}:fault:L1", 1, LONG.format(t=a))
    raise_alarm(app, f"train:{b}:fault:L2", 2, f"Tàu {b}: lỗi L2")
    app.inject("clear_alarm", key=f"train:{b}:fault:L2")  # returned, not acknowledged
    cleared = page.locator(f'#alarms tr[data-key="train:{b}:fault:L2"]')
    expect(cleared).to_have_attribute("data-state", "rtn_unack")
    long_row = page.locator(f'#alarms tr[data-key="train:{a}:fault:L1"]')
    for w, h in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": w, "height": h})
        expect(long_row.locator("[data-action=comment]")).to_be_visible()
        long_row.scroll_into_view_if_needed()
        s.shot(f"alarms-cut-{lang}-{w}x{h}")
        assert page_width(page) <= w, (lang, w, page_width(page))
        logout = box(page, "#logout")
        assert logout["left"] >= 0 and logout["right"] <= w, (lang, w, logout)
        assert cut_off(page, "#alarms") == [], (lang, w)
        assert cut_off(page, "#trains") == [], (lang, w)
        # the message is read whole: wrapped onto lines of at least ~12 letters, not cut
        message = long_row.locator("td").nth(2)
        expect(message).to_contain_text(LONG.format(t=a))
        assert (
            box(page, f'#alarms tr[data-key="train:{a}:fault:L1"] td:nth-child(3)')["width"] >= 150
        ), (lang, w)
        # the buttons are in their row's action cell, each whole
        for action in ("ack", "shelve", "comment"):
            btn = box(page, f'#alarms tr[data-key="train:{a}:fault:L1"] [data-action={action}]')
            cell = box(page, f'#alarms tr[data-key="train:{a}:fault:L1"] td.actions')
            assert cell["left"] <= btn["left"] and btn["right"] <= cell["right"] + 0.5, (
                lang,
                w,
                action,
            )
