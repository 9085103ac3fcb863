"""The what-if page's sensitivity sweep in a browser: a planner picks a base scenario and two
parameters by name, runs a small one-at-a-time sweep, and reads the tornado chart and table
with the factors in the order the API ranks them, the numbers and dd/mm dates, in Vietnamese
and in English; a long sweep shows its progress and is cancelled; a value the server refuses
is explained in the planner's language; an operator gets no sweep control (and the API
refuses them)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from accounts.identity import UserRole
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp

# baseline: the 2026 timetable, full staff, no infections, from Monday 02/03/2026
START = date(2026, 3, 2)
DAYS = 3
LABELS = {
    "vi": {
        "absences": "Số lái tàu vắng mặt (từ ngày đầu)",
        "incidence.series_scale": "Hệ số nhân số ca F0 (chuỗi số ca công bố)",
    },
    "en": {
        "absences": "Drivers absent (from the first day)",
        "incidence.series_scale": "Incidence scale (reported case series)",
    },
}


def fill_sweep(page: Page, *, drivers: str) -> None:
    """Baseline, 3 days x 2 replications, one at a time: the incidence scale (no infections in
    baseline: it cannot matter) and drivers absent (it must). The scale comes first on the
    form, so a page that kept the form's order would show it first."""
    sweep = page.locator("#sweep")
    sweep.locator('select[name="scenario"]').select_option("baseline")
    sweep.locator('input[name="days"]').fill(str(DAYS))
    sweep.locator('input[name="replications"]').fill("2")
    sweep.locator('input[name="seed"]').fill("1")
    sweep.get_by_label("Từng tham số một").check()
    sweep.get_by_label(LABELS["vi"]["incidence.series_scale"], exact=True).check()
    sweep.get_by_label(f"Giá trị của: {LABELS['vi']['incidence.series_scale']}").fill("2")
    sweep.get_by_label(LABELS["vi"]["absences"], exact=True).check()
    sweep.get_by_label(f"Giá trị của: {LABELS['vi']['absences']}").fill(drivers)


def day_text(x: float | None, lang: str) -> str:
    if x is None:
        return "—"
    if x >= DAYS:
        return "không mất" if lang == "vi" else "never lost"
    return (START + timedelta(days=int(x + 0.5))).strftime("%d/%m")


def check_result(page: Page, sweep: dict[str, Any], lang: str) -> None:
    ranking = sweep["result"]["ranking"]
    paths = [r["path"] for r in ranking]
    box = page.locator("#sweep")
    # the chart drawn in the page, one row per factor, largest swing on top
    rows = box.locator("svg.tornado g.tornado-row")
    expect(rows).to_have_count(len(paths))
    assert [rows.nth(i).get_attribute("data-path") for i in range(len(paths))] == paths
    expect(rows.first).to_contain_text(f"1. {LABELS[lang][paths[0]]}")
    expect(rows.first.locator("rect.t-bar")).to_have_count(2)  # trips lost and first day lost
    # the table: factors by name in the API's order, each value's figures
    names = box.locator(".sweep-table tr.factor th")
    expect(names).to_have_text([LABELS[lang][p] for p in paths])
    top = ranking[0]
    expect(box.locator(".sweep-table tr.factor").first).to_contain_text(
        f"Δ {round(top['swing_trips_lost'])}"
    )
    values = box.locator('.sweep-table tr.value[data-path="absences"]')
    expect(values).to_have_count(2)
    drivers = "lái tàu" if lang == "vi" else "drivers"
    base = "(gốc)" if lang == "vi" else "(base)"
    for row, b in zip(values.all(), top["by_value"], strict=True):
        count = sum(a["count"] for a in b["value"])
        expect(row).to_contain_text(f"{count} {drivers}")
        expect(row).to_contain_text(day_text(b["first_day_lost"], lang))
    expect(values.first).to_contain_text(base)
    expect(box).not_to_contain_text(sweep["id"])


def test_planner_runs_a_sweep_and_reads_the_tornado(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    fill_sweep(page, drivers="50")
    box = page.locator("#sweep")
    expect(box.locator(".sweep-size")).to_have_text("3 lần chạy × 3 ngày × 2 lần lặp")
    box.get_by_role("button", name="Chạy phân tích độ nhạy").click()
    # live progress while it runs, then done
    expect(box.locator(".sweep-status")).not_to_be_empty()
    expect(box).to_have_attribute("data-status", "done", timeout=120_000)
    expect(box.locator(".sweep-progress")).to_be_hidden()
    listed = page.request.get(app.url + "/api/simulations/sweeps").json()
    sweep = page.request.get(app.url + f"/api/simulations/sweeps/{listed[0]['id']}").json()
    ranking = sweep["result"]["ranking"]
    # what the test relies on: 50 of 60 drivers away lose trips, a case scale without cases not
    assert [r["path"] for r in ranking] == ["absences", "incidence.series_scale"], ranking
    assert ranking[0]["swing_trips_lost"] > 0 and ranking[1]["swing_trips_lost"] == 0
    first_day = ranking[0]["by_value"][1]["first_day_lost"]
    assert first_day is not None and first_day < DAYS, ranking  # lost within the run: a date
    check_result(page, sweep, "vi")
    expect(box.locator("g.tornado-row").nth(1)).to_contain_text("không đổi")
    s.shot("sweep-vi")

    page.locator("#lang-switch").click()
    expect(box.locator("#sweep-h")).to_have_text("Sensitivity: which parameters matter most")
    check_result(page, sweep, "en")
    expect(box.locator("g.tornado-row").nth(1)).to_contain_text("no change")
    s.shot("sweep-en")

    png = box.locator("a.sweep-png")
    r = page.request.get(app.url + str(png.get_attribute("href")))
    assert r.status == 200 and r.body()[:8] == b"\x89PNG\r\n\x1a\n"
    # a reload shows the sweep again
    page.reload()
    expect(box).to_have_attribute("data-status", "done")
    expect(box.locator("g.tornado-row")).to_have_count(2)


def test_a_refused_value_is_explained_in_the_planners_language(session: MakeSession) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    box = page.locator("#sweep")
    fill_sweep(page, drivers="10; 999")  # the roster has 60 drivers
    box.get_by_role("button", name="Chạy phân tích độ nhạy").click()
    expect(box.locator(".form-error")).to_contain_text(
        "Máy chủ không chấp nhận một giá trị: Đợt vắng mặt 1: 999 người vắng mặt, nhưng danh sách "
        "chỉ có 60 lái tàu"
    )
    # checked before sending: too many runs for one sweep
    box.get_by_label("Mọi tổ hợp (giai thừa)").check()
    values = "; ".join(str(n) for n in range(1, 11))
    box.get_by_label(f"Giá trị của: {LABELS['vi']['absences']}").fill(values)
    box.get_by_label(f"Giá trị của: {LABELS['vi']['incidence.series_scale']}").fill(values)
    box.get_by_role("button", name="Chạy phân tích độ nhạy").click()
    expect(box.locator(".form-error")).to_contain_text(
        "100 lần chạy: một phân tích có tối đa 64 lần chạy"
    )


def test_planner_follows_and_cancels_a_long_sweep(session: MakeSession) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    box = page.locator("#sweep")
    fill_sweep(page, drivers="10; 20; 30")
    box.locator('input[name="days"]').fill("60")
    box.locator('input[name="replications"]').fill("200")
    box.get_by_role("button", name="Chạy phân tích độ nhạy").click()
    expect(box).to_have_attribute("data-status", "running", timeout=30_000)
    expect(box.locator(".sweep-progress")).to_be_visible()
    expect(box.locator(".sweep-status")).to_contain_text(re.compile(r"đang chạy · \d+/5 lần chạy"))
    box.get_by_role("button", name="Huỷ phân tích").click()
    expect(box).to_have_attribute("data-status", "cancelled", timeout=60_000)
    expect(box.locator(".sweep-status")).to_have_text("đã huỷ")
    expect(box.locator(".sweep-progress")).to_be_hidden()
    expect(box.locator("svg.tornado")).to_have_count(0)


def test_operator_sees_no_sweep_control(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    page.goto(app.url + "/whatif")
    expect(page.locator("#main .notice.error")).to_be_visible()
    expect(page.locator("#sweep")).to_have_count(0)
    expect(page.get_by_role("button", name="Chạy phân tích độ nhạy")).to_have_count(0)
    r = page.request.post(
        app.url + "/api/simulations/sweeps",
        data={"scenario": "baseline", "vary": [{"path": "timetable", "values": ["2021"]}]},
        headers={"X-CSRF-Token": s.csrf()},
    )
    assert r.status == 403, r.text()
