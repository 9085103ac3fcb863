"""The control room in a browser: signing in per role, the live board on the emulator (13
trains moving, a field fault raising an alarm the operator acknowledges and shelves), role
limits in the UI and the API, the language switch, and a screenshot of every page."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from accounts.identity import UserRole
from tests.web.boxes import box, page_width
from tests.web.conftest import HOME, MakeSession
from tests.web.live_app import LiveApp, wait_until

ALL_PAGES = {
    "board", "crew", "whatif", "history", "marey", "reports", "shiftlog", "incidents",
    "alarmperf", "handover", "audit",
}  # fmt: skip
MENU = {
    UserRole.OPERATOR: {
        "board",
        "crew",
        "history",
        "marey",
        "reports",
        "shiftlog",
        "incidents",
        "handover",
        "alarmperf",
    },
    UserRole.PLANNER: {
        "board",
        "crew",
        "whatif",
        "history",
        "marey",
        "reports",
        "shiftlog",
        "incidents",
        "handover",
        "alarmperf",
    },
    UserRole.CREW_MANAGER: {
        "board",
        "crew",
        "history",
        "marey",
        "reports",
        "shiftlog",
        "incidents",
        "handover",
        "alarmperf",
    },
    UserRole.ADMIN: ALL_PAGES,
}


def menu_of(page: Page) -> set[str]:
    ids = page.locator("nav a").evaluate_all("els => els.map(e => e.id)")
    return {i.removeprefix("nav-") for i in ids}


def positions(page: Page) -> dict[str, float]:
    """Chainage of every train drawn on a track (not in the depot) of the line diagram."""
    got: dict[str, str] = page.locator("svg.line-diagram g.train").evaluate_all(
        """els => Object.fromEntries(els
             .filter(e => e.dataset.track === "1" || e.dataset.track === "2")
             .filter(e => !e.classList.contains("parked"))
             .map(e => [e.dataset.train, e.dataset.pos]))"""
    )
    return {k: float(v) for k, v in got.items() if v}


def test_each_role_signs_in_to_its_home_page_with_its_menu(session: MakeSession) -> None:
    for role, menu in MENU.items():
        s = session(role)
        page = s.login()
        assert menu_of(page) == menu, role
        expect(page.locator("#who")).to_contain_text(s.user)
        # the next page of a signed-in user needs no second sign-in
        page.goto(s.app.url + "/history")
        expect(page.locator("#nav-history")).to_have_attribute("aria-current", "page")

    s = session(UserRole.OPERATOR)
    page = s.goto("/login")
    page.fill("#username", s.user)
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    expect(page.locator("#login-form .form-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    page.fill("#username", "")
    page.click("#login-submit")
    # a form error names the field by its label and says why
    expect(page.locator("#login-form .form-error")).to_contain_text("Tên đăng nhập: bắt buộc nhập")
    expect(page.locator("#username")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("/login")


def test_board_shows_the_13_trains_moving(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    trains = page.locator("svg.line-diagram g.train")
    expect(trains).to_have_count(13, timeout=15_000)
    expect(page.locator("#trains tbody tr")).to_have_count(13)
    first = wait_until(lambda: positions(page) if len(positions(page)) >= 5 else None,
                       what="at least 5 trains on the line")  # fmt: skip

    def moved() -> set[str]:
        now = positions(page)
        return {t for t in first if t in now and abs(now[t] - first[t]) > 1.0}

    assert len(wait_until(lambda: moved() if len(moved()) >= 3 else None, timeout_s=15)) >= 3
    # the KPI tile counts what the diagram shows
    expect(page.locator("#kpi-telemetry .kpi-value")).to_have_text("13 / 13")
    # a frame touches only what changed: train rows are patched in place, unchanged tiles and
    # headings stay the same DOM nodes (a redraw would lose focus, hover and clicks)
    kept_js = "#trains tbody tr, #kpi-telemetry, #kpis h2"
    page.evaluate(f"() => document.querySelectorAll('{kept_js}').forEach((el) => (el.kept = 1))")
    before = positions(page)
    wait_until(
        lambda: any(abs(p - before.get(t, p)) > 1.0 for t, p in positions(page).items()) or None,
        what="a later frame moving a train",
    )
    kept = page.evaluate(
        f"() => [...document.querySelectorAll('{kept_js}')].map((el) => el.kept === 1)"
    )
    assert len(kept) == 15 and all(kept), kept
    # every train is keyboard-reachable and says where it is
    label = trains.first.get_attribute("aria-label") or ""
    assert label.startswith("T01"), label
    trains.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator('#trains tr[data-train="T01"]')).to_have_class(re.compile("selected"))
    s.shot("board-operator")


def test_a_field_fault_raises_an_alarm_the_operator_acknowledges_and_shelves(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    expect(page.locator("svg.line-diagram g.train")).to_have_count(13, timeout=15_000)
    unacked = page.locator('#alarms tr[data-key*=":fault:"][data-state="unack"]')
    app.inject("fault_rate", per_h=720.0)  # per driven train and hour
    try:
        expect(unacked.first).to_be_visible(timeout=20_000)
    finally:
        app.inject("fault_rate", per_h=0.0)
    row = unacked.first
    key = row.get_attribute("data-key") or ""
    train = key.split(":")[1]
    # the train carries the fault badge on the diagram and in its table row
    badge = page.locator(f'svg.line-diagram g.train[data-train="{train}"] .badge.fault')
    expect(badge).to_have_attribute("visibility", "visible")
    expect(page.locator(f'#trains tr[data-train="{train}"] .fault-tag')).to_be_visible()

    row.get_by_role("button", name="Xác nhận").click()
    acked = page.locator(f'#alarms tr[data-key="{key}"]')
    expect(acked).to_have_attribute("data-state", "acked")
    expect(acked).to_contain_text(f"đã xác nhận · {s.user}")
    alarms = page.request.get(app.url + "/api/alarms").json()["alarms"]
    assert next(a for a in alarms if a["key"] == key)["acked_by"] == s.user

    # shelving needs a reason: the form says which field and why, then shelves
    acked.get_by_role("button", name="Tạm ẩn").click()
    dialog = page.locator("#shelve-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Tạm ẩn").click()
    expect(dialog.locator(".form-error")).to_contain_text("Lý do: cần ít nhất 3 ký tự")
    expect(page.locator("#shelve-reason")).to_have_attribute("aria-invalid", "true")
    page.fill("#shelve-reason", "chờ đội bảo dưỡng kiểm tra")
    page.fill("#shelve-minutes", "15")
    dialog.get_by_role("button", name="Tạm ẩn").click()
    expect(dialog).to_be_hidden()
    if int(key_prio(page, key)) <= 2:  # P1/P2: a second person approves (test_alarm_management)
        other = session(UserRole.ADMIN)
        other.login()
        r = other.page.request.post(
            f"{app.url}/api/alarms/{acked.get_attribute('data-alarm')}/shelve/approve",
            headers={"X-CSRF-Token": other.csrf()},
        )
        assert r.ok, r.text()
    expect(page.locator(f'#alarms tr[data-key="{key}"]')).to_have_count(0)
    expect(page.locator("#alarm-summary")).to_contain_text("1 tạm ẩn")
    # the shelved list says who, until when and why, and puts it back on request
    page.get_by_role("button", name="Đã tạm ẩn (1)").click()
    shelved = page.locator(f'#shelved li[data-key="{key}"]')
    expect(shelved).to_contain_text(f"{s.user} tạm ẩn đến")
    expect(shelved).to_contain_text("chờ đội bảo dưỡng kiểm tra")
    shelved.get_by_role("button", name="Hiện lại").click()
    expect(page.locator(f'#alarms tr[data-key="{key}"]')).to_have_count(1)
    expect(page.locator("#shelved")).to_contain_text("Không có cảnh báo tạm ẩn.")


def key_prio(page: Page, key: str) -> int:
    url = page.url.split("/board")[0] + "/api/alarms?include_shelved=true"
    alarms = page.request.get(url).json()["alarms"]
    return int(next(a for a in alarms if a["key"] == key)["priority"])


def test_operator_gets_no_crew_editing_and_the_api_refuses_it(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    page.click("#nav-crew")
    page.wait_for_url(re.compile(r"/crew$"))
    expect(page.locator("#roster tbody tr").first).to_be_visible(timeout=10_000)
    # the roster is readable, but there is nothing to edit it with
    for gone in ("#entry-forms", "#status-form", "#case-form", "#cohort-new", "th.editor-only"):
        expect(page.locator(gone)).to_have_count(0)
    expect(page.get_by_role("button", name="F0")).to_have_count(0)
    expect(page.locator("#roster form, #cohorts form")).to_have_count(0)

    staff = page.request.get(app.url + "/api/crew/staff").json()
    body = {"staff_id": staff[0]["id"]}
    headers = {"X-CSRF-Token": s.csrf()}
    r = page.request.post(app.url + "/api/crew/cases", data=body, headers=headers)
    assert r.status == 403, r.text()
    assert "crew_manager" in r.json()["detail"]["needs"]
    event = {
        "event_id": "web-test-1",
        "staff_id": staff[0]["id"],
        "state": "leave",
        "effective": "2026-01-01T08:00:00+07:00",
        "until": "2026-01-02T08:00:00+07:00",
    }
    r = page.request.post(app.url + "/api/crew/status-events", data=event, headers=headers)
    assert r.status == 403, r.text()
    # and the what-if page is not for operators either: no menu entry, a clear page
    page.goto(app.url + "/whatif")
    expect(page.locator("#main .notice")).to_have_text("Trang này không dành cho vai trò của bạn.")


def test_language_switch_changes_the_ui_and_is_remembered(session: MakeSession) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#diagram-h")).to_have_text("Sơ đồ tuyến")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#diagram-h")).to_have_text("Line diagram")
    expect(page.locator("#nav-crew")).to_have_text("Crew")
    expect(page.locator("#kpi-trains .kpi-label")).to_have_text("Trains in service / planned")
    expect(page.locator("#lang-switch")).to_have_text("Tiếng Việt")
    page.reload()
    expect(page.locator("#alarms-h")).to_have_text("Alarms")
    page.click("#lang-switch")
    expect(page.locator("#alarms-h")).to_have_text("Cảnh báo")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_role_at_1366_scrolls_no_page_sideways_and_can_sign_out(
    session: MakeSession, lang: str
) -> None:
    """A laptop's 1366×768: the header of the longest menu (admin's, 11 pages) pushed the page
    to 1607 px and sign-out off-screen. Each role, each language: its home page, and the
    board, history, alarm performance and crew pages it may open."""
    for role in UserRole:
        s = session(role, lang=lang)
        s.context.pages[0].set_viewport_size({"width": 1366, "height": 768})
        page = s.login()
        pages = {HOME[role].strip("/")} | ({"board", "history", "alarmperf", "crew"} & MENU[role])
        for name in sorted(pages):
            page.goto(s.app.url + f"/{name}")
            page.wait_for_load_state("networkidle")
            s.shot(f"at-1366-{role.value}-{lang}-{name}")
            assert page_width(page) <= 1366, (role, lang, name, page_width(page))
            logout = box(page, "#logout")
            assert 0 <= logout["left"] and logout["right"] <= 1366, (role, lang, name, logout)
        s.context.close()


def test_clock_shows_hanoi_time_in_a_browser_elsewhere(session: MakeSession) -> None:
    s = session(UserRole.OPERATOR)  # the browser's own zone is Europe/Paris
    page = s.login()
    shown = page.locator("#clock").inner_text()
    hanoi = time.gmtime(time.time() + 7 * 3600)
    assert re.fullmatch(r"\d\d:\d\d:\d\d ICT", shown), shown
    assert int(shown[:2]) == hanoi.tm_hour or int(shown[:2]) == (hanoi.tm_hour + 1) % 24


def test_every_page_renders_with_a_screenshot(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.ADMIN)
    s.goto("/login")
    s.page.wait_for_selector("#login-form")
    s.shot("login")
    page = s.login()
    expect(page.locator("svg.line-diagram g.train")).to_have_count(13, timeout=15_000)
    expect(page.locator("#crew-tile .crew-verdict")).to_be_visible(timeout=20_000)
    s.shot("board")
    page.click("#nav-crew")
    expect(page.locator("#roster tbody tr").first).to_be_visible(timeout=10_000)
    expect(page.locator("#calendar .cal-day")).to_have_count(14, timeout=60_000)
    s.shot("crew")
    page.click("#nav-history")
    expect(page.locator("#chart1")).to_have_attribute("data-points", re.compile(r"^[1-9]"))
    expect(page.locator("#chart1 canvas")).to_have_count(1)
    s.shot("history")
    page.select_option("#h-kind", "substation")
    expect(page.locator("#c1-title")).to_contain_text("SS1")
    expect(page.locator("#chart1")).to_have_attribute("data-points", re.compile(r"^[1-9]"))
    page.click("#nav-audit")
    rows = page.locator("#audit tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator('#audit tbody tr[data-action="login"]').first).to_be_visible()
    s.shot("audit")
    page.click("#nav-whatif")
    expect(page.locator('[data-pane="a"] select[name="scenario"] option')).not_to_have_count(0)
    s.shot("whatif-empty")


def test_lost_connection_shows_a_banner_and_the_board_reconnects(session: MakeSession) -> None:
    """The board's websocket goes through a route the test controls: it drops the socket and
    refuses reconnections for a while, then lets them through again; and it corrupts one
    delta's ``seq`` (a lost frame), which the page answers with a resync request."""
    s = session(UserRole.OPERATOR)
    page = s.page
    routes: dict[str, Any] = {"allow": True, "live": [], "from_page": [], "tamper": False}

    def route(ws: WebSocketRoute) -> None:
        if not routes["allow"]:
            ws.close(code=1013, reason="test: server away")
            return
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if routes["tamper"] and isinstance(message, str) and '"delta"' in message[:40]:
                routes["tamper"] = False
                frame = json.loads(message)
                frame["seq"] += 5  # as if five frames were lost
                message = json.dumps(frame)
            ws.send(message)

        def to_server(message: str | bytes) -> None:
            routes["from_page"].append(message)
            server.send(message)

        server.on_message(to_page)
        ws.on_message(to_server)
        routes["live"].append(ws)

    page.route_web_socket(re.compile(r"/ws/board$"), route)
    s.login()
    conn = page.locator("#conn")
    banner = page.locator('#banners [data-banner="conn"]')
    expect(conn).to_have_attribute("data-state", "live", timeout=15_000)
    expect(page.locator("svg.line-diagram g.train")).to_have_count(13)

    # a lost delta: the page asks for a fresh snapshot and stays live, no banner
    routes["tamper"] = True
    # route handlers run only while this thread is inside a Playwright call: wait in one
    for _ in range(100):
        if any('"resync"' in str(m) for m in routes["from_page"]):
            break
        page.wait_for_timeout(100)
    assert any('"resync"' in str(m) for m in routes["from_page"]), "no resync request"
    expect(conn).to_have_attribute("data-state", "live")
    expect(banner).to_have_count(0)

    # the server goes away: banner, greyed data or polling, then back by itself
    routes["allow"] = False
    routes["live"].pop().close(code=1012, reason="test: restart")
    expect(banner).to_contain_text("đang kết nối lại", timeout=10_000)
    expect(conn).to_have_attribute("data-state", "reconnecting")
    s.shot("board-connection-lost")
    routes["allow"] = True
    expect(conn).to_have_attribute("data-state", "live", timeout=20_000)
    expect(banner).to_have_count(0)


def test_a_blocked_live_connection_is_loud_at_once_and_unknown_is_never_green(
    session: MakeSession,
) -> None:
    """A proxy that accepts the websocket but passes nothing, and no HTTP either: within a few
    seconds a loud error banner, the board greyed, and no substation drawn green (nothing is
    known about it). When HTTP comes back the board fills by polling, under a warning."""
    s = session(UserRole.OPERATOR)
    page = s.page
    page.route_web_socket(re.compile(r"/ws/board$"), lambda ws: None)  # open, silent
    board_api = re.compile(r"/api/board$")
    page.route(board_api, lambda route: route.abort())
    s.login()
    banner = page.locator('#banners [data-banner="conn"]')
    expect(banner).to_contain_text("KHÔNG CÓ DỮ LIỆU TRỰC TIẾP", timeout=6_000)
    expect(banner).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("body")).to_have_class(re.compile(r"\bnolive\b"))
    green = "rgb(63, 185, 80)"  # --ok
    fills = page.locator("svg.line-diagram .ss").evaluate_all(
        "els => els.map(e => getComputedStyle(e).fill)"
    )
    assert len(fills) == 5 and green not in fills, fills
    s.shot("board-no-live-data")

    page.unroute(board_api)
    expect(page.locator("svg.line-diagram g.train")).to_have_count(13, timeout=15_000)
    expect(banner).to_have_class(re.compile(r"\bwarn\b"))
    expect(banner).to_contain_text("cập nhật 2 giây một lần")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bnolive\b"))


def test_stale_telemetry_is_greyed_with_its_age(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    train = "T05"  # in service at the emulated 07:30
    g = page.locator(f'svg.line-diagram g.train[data-train="{train}"]')
    expect(g).not_to_have_class(re.compile(r"\bstale\b"), timeout=15_000)
    app.inject("silence_train", train=train)  # its radio goes quiet; the rest carry on
    try:
        expect(g).to_have_class(re.compile(r"\bstale\b"), timeout=15_000)
        expect(g.locator("text.age")).to_have_text(re.compile(r"^\d+ giây$"))
        row = page.locator(f'#trains tr[data-train="{train}"]')
        expect(row).to_have_class(re.compile(r"\bstale\b"))
        first = int((row.locator("td.stale-age").inner_text()).split()[0])
        # the age keeps growing on screen while nothing arrives
        expect(row.locator("td.stale-age")).not_to_have_text(f"{first} giây", timeout=5_000)
        assert "dữ liệu cũ" in (g.get_attribute("aria-label") or "")
        s.shot("board-stale-train")
    finally:
        app.inject("silence_train", train=train, on=False)
    expect(g).not_to_have_class(re.compile(r"\bstale\b"), timeout=15_000)


def test_a_failed_dependency_is_named_in_a_banner(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    expect(page.locator("svg.line-diagram g.train")).to_have_count(13, timeout=15_000)
    banner = page.locator('[data-banner="health"]')
    expect(banner).to_have_count(0)
    app.inject("freeze_plc", substation="SS3")  # its heartbeat stops: stale after 3 polls
    try:
        # degraded but serving: a warning naming the PLC, not the "cannot be trusted" error
        expect(banner).to_have_text(
            re.compile(r"hạn chế — plc:SS3: không hoạt động"), timeout=15_000
        )
        expect(banner).to_have_class(re.compile(r"\bwarn\b"))
        s.shot("board-dependency-banner")
    finally:
        app.inject("freeze_plc", substation="SS3", on=False)
    expect(banner).to_have_count(0, timeout=15_000)
