"""Forms that refuse what they cannot do, beside the field and in the page's language, and
send nothing: the shift log's export of more than 366 days (it used to navigate to the
server's bare JSON refusal), its entry with a mistyped alarm number or staff id or one the
roster does not have (the alarm used to be dropped silently, the staff id taken as it was),
an empty text in English (pydantic's "String should have at least 1 character"), the degraded
timetable's empty headway ("must be greater than 0"); the audit's range that ends before it
starts (an empty table); the what-if form's scenario list (an empty last entry, names cut
off), its invalid JSON (the browser's English message) and its days limit (the input said
365, the message and the API 366); the sweep's base value run twice."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from accounts.identity import UserRole
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp


def field_error(page: Page | Locator, input_sel: str) -> Locator:
    """The error shown beside an input (forms.js puts it right after the input)."""
    return page.locator(f"{input_sel} + .field-error")


def entries(page: Page, app: LiveApp, q: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = page.request.get(app.url + "/api/log", params={"q": q}).json()[
        "entries"
    ]
    return got


def test_shift_log_export_and_range_are_checked_before_sending(
    session: MakeSession, app: LiveApp
) -> None:
    admin = session(UserRole.ADMIN)
    page = admin.login()
    admin.goto("/shiftlog")
    filters = page.locator("#log-filters")
    expect(page.locator("#log-export")).to_be_visible()
    exports: list[str] = []
    page.on("request", lambda r: exports.append(r.url) if "export.csv" in r.url else None)

    # more than the server exports at once: said beside "Đến", and the app stays
    page.fill("#f-since", "01/01/2020 00:00")
    page.fill("#f-until", "05/12/2026 23:00")
    page.locator("#log-export").click()
    expect(field_error(filters, "#f-until")).to_have_text("Mỗi lần xuất tối đa 366 ngày")
    expect(page.locator("#f-until")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("h1")).to_have_text("Sổ ca")
    assert page.url.endswith("/shiftlog") and exports == [], (page.url, exports)

    # a range that ends before it starts: for the export and for the filter alike
    page.fill("#f-since", "05/12/2026 10:00")
    page.fill("#f-until", "04/12/2026 10:00")
    page.locator("#log-export").click()
    reversed_ = "Thời điểm kết thúc phải sau thời điểm bắt đầu"
    expect(field_error(filters, "#f-until")).to_have_text(reversed_)
    filters.get_by_role("button", name="Xem").click()
    expect(field_error(filters, "#f-until")).to_have_text(reversed_)
    assert exports == []

    # a year is exported (the download is not this test's: only that it is asked for)
    page.fill("#f-since", "05/12/2025 23:00")
    page.fill("#f-until", "05/12/2026 23:00")
    with page.expect_download() as download:
        page.locator("#log-export").click()
    assert download.value.suggested_filename == "shift-log-20251205-20261205.csv"
    expect(filters.locator(".field-error")).to_have_count(0)
    assert admin.errors == []


def test_shift_log_entry_links_are_checked(session: MakeSession, app: LiveApp) -> None:
    op = session(UserRole.OPERATOR)
    page = op.login()
    op.goto("/shiftlog")
    form = page.locator("#log-write")
    expect(form).to_be_visible()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    def write(text: str, **links: str) -> None:
        page.fill("#w-text", text)
        for sel, value in {"#w-alarm": "", "#w-staff": "", **links}.items():
            page.fill(sel, value)
        page.locator("#log-submit").click()

    # an alarm number that is no number: refused here, not written without its alarm
    write("Kiểm tra alarm_abc", **{"#w-alarm": "abc"})
    expect(field_error(form, "#w-alarm")).to_have_text("Số cảnh báo là số nguyên dương, ví dụ 12")
    expect(page.locator("#w-alarm")).to_have_attribute("aria-invalid", "true")
    # a staff id that cannot be one
    write("Kiểm tra staff_bad", **{"#w-staff": "NOPE/1"})
    expect(field_error(form, "#w-staff")).to_contain_text("Mã nhân viên gồm chữ, số")
    assert posts == []
    # one the roster does not have: the server's refusal, beside the field
    write("Kiểm tra staff_unknown", **{"#w-staff": "ZZZ999"})
    expect(field_error(form, "#w-staff")).to_have_text(
        "Không có nhân viên mã ZZZ999 trong danh sách tổ lái"
    )
    expect(form.locator(".form-error")).not_to_contain_text("Đã ghi")
    assert len(posts) == 1
    for text in ("alarm_abc", "staff_bad", "staff_unknown"):
        assert entries(page, app, text) == [], text
    assert op.errors == []


def test_an_empty_text_or_headway_is_required(session: MakeSession) -> None:
    op = session(UserRole.OPERATOR)
    page = op.login()
    op.goto("/shiftlog")
    form = page.locator("#log-write")
    expect(form).to_be_visible()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # the degraded timetable's headway left empty is missing, not zero
    tt = page.locator("#tt-form")
    page.fill("#tt-headway", "")
    page.fill("#tt-from", "10:00")
    page.fill("#tt-reason", "Thiếu lái tàu")
    tt.get_by_role("button", name="Công bố").click()
    expect(field_error(tt, "#tt-headway")).to_have_text("bắt buộc nhập")

    # English: an empty entry is "required", as the alarm comment dialog says
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("Shift log")
    page.fill("#w-text", "")
    page.locator("#log-submit").click()
    expect(field_error(form, "#w-text")).to_have_text("is required")
    assert posts == []
    assert op.errors == []


def test_audit_range_that_ends_before_it_starts_is_a_field_error(session: MakeSession) -> None:
    admin = session(UserRole.ADMIN)
    page = admin.login()
    with page.expect_response(lambda r: "/api/audit?" in r.url):
        admin.goto("/audit")
    form = page.locator("#audit-form")
    queries: list[str] = []
    page.on("request", lambda r: queries.append(r.url) if "/api/audit?" in r.url else None)
    page.fill("#a-since", "05/12/2026 10:00")
    page.fill("#a-until", "04/12/2026 10:00")
    form.get_by_role("button", name="Xem").click()
    expect(field_error(form, "#a-until")).to_have_text(
        "Thời điểm kết thúc phải sau thời điểm bắt đầu"
    )
    expect(page.locator("#a-until")).to_have_attribute("aria-invalid", "true")
    assert queries == []
    assert admin.errors == []


# the room a select's text has: its width less its padding and the arrow chromium draws
FITS = """(sel) => {
  const cs = getComputedStyle(sel);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 24;
  return [...sel.options].filter((o) => ctx.measureText(o.text).width > room).map((o) => o.text);
}"""


def test_whatif_scenario_list_has_whole_names_and_no_empty_entry(
    session: MakeSession,
) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    pane = page.locator('[data-pane="a"]')
    scenario = pane.locator('select[name="scenario"]')
    expect(scenario.locator("option").first).to_be_attached()
    # every name fits the select (here and on the sweep's), and the chosen one is its title
    for sel in (scenario, page.locator("#sweep-scenario")):
        assert sel.evaluate(FITS) == [], sel.evaluate(FITS)
    scenario.select_option("cohort-outbreak")
    expect(scenario).to_have_attribute("title", "Ổ dịch trong nhóm ở tại chỗ")
    presets = page.request.get(s.app.url + "/api/simulations/scenarios").json()
    # every entry is a preset, named: no empty one at the end
    options = scenario.locator("option").evaluate_all("os => os.map(o => [o.value, o.text])")
    assert [v for v, _ in options] == [p["name"] for p in presets], options
    assert all(text.strip() for _, text in options), options
    assert s.errors == []


def test_whatif_json_error_and_days_limit(session: MakeSession) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    pane = page.locator('[data-pane="a"]')
    expect(pane.locator('select[name="scenario"] option').first).to_be_attached()

    # invalid JSON: where, in Vietnamese
    pane.locator("details.advanced summary").click()
    pane.locator('textarea[name="scenario_json"]').fill('{"name": "x",\n  oops')
    pane.get_by_role("button", name="Chạy", exact=True).click()
    expect(pane.locator('textarea[name="scenario_json"] + .field-error')).to_have_text(
        "JSON không hợp lệ: ký tự o không đúng chỗ ở dòng 2, cột 3"
    )
    pane.locator('textarea[name="scenario_json"]').fill('{"name": "x", "days": ')
    pane.get_by_role("button", name="Chạy", exact=True).click()
    expect(pane.locator('textarea[name="scenario_json"] + .field-error')).to_contain_text(
        "văn bản dừng giữa chừng ở dòng 1, cột 23"
    )

    # the days the form takes are the days its message and the API take
    days = pane.locator('input[name="days"]')
    expect(days).to_have_attribute("max", "366")
    days.fill("367")
    pane.get_by_role("button", name="Chạy", exact=True).click()
    expect(pane.locator('input[name="days"] + .field-error')).to_have_text("số nguyên từ 1 đến 366")
    r = page.request.post(
        s.app.url + "/api/simulations",
        data={"scenario": "baseline", "days": 367, "replications": 1},
        headers={"X-CSRF-Token": s.csrf()},
    )
    assert r.status == 422 and "366" in r.json()["detail"][0]["msg"], r.text()
    assert s.errors == []


def test_a_sweep_value_equal_to_the_base_runs_once(session: MakeSession, app: LiveApp) -> None:
    """wave-2022 keeps drivers and technicians on site as reported: varying "3 on site" over
    that and "at home" is the base and one run, not the base twice."""
    s = session(UserRole.PLANNER)
    page = s.login()
    box = page.locator("#sweep")
    box.locator('select[name="scenario"]').select_option("wave-2022")
    box.locator('input[name="days"]').fill("2")
    box.locator('input[name="replications"]').fill("1")
    box.get_by_label("Từng tham số một").check()
    box.get_by_label("Chế độ 3 tại chỗ", exact=True).check()
    box.get_by_label("Xác suất truy vết F1 trong tổ/kíp", exact=True).check()
    box.get_by_label("Giá trị của: Xác suất truy vết F1 trong tổ/kíp").fill("0,25; 1")
    # the base, at home, 0.25 and 1 (tracing's base is 0.5): four runs
    expect(box.locator(".sweep-size")).to_have_text("4 lần chạy × 2 ngày × 1 lần lặp")
    box.get_by_role("button", name="Chạy phân tích độ nhạy").click()
    expect(box).to_have_attribute("data-status", "done", timeout=120_000)
    expect(box.locator(".sweep-about")).to_contain_text("4 lần chạy")
    onsite = box.locator('.sweep-table tr.value[data-path="onsite"]')
    expect(onsite).to_have_count(2)
    expect(onsite.first).to_contain_text(
        re.compile(r"lái tàu và kỹ thuật ở tại chỗ \(2 nhóm\) \(gốc\)")
    )
    expect(onsite.nth(1)).to_contain_text("mọi người ở nhà")
    assert s.errors == []
