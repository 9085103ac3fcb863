"""What-if in a browser: a planner runs two short scenarios, follows their progress and sees
p10–p90 charts and the comparison; a bad parameter is named by the server and shown beside
its field; an operator may not run one (no page, 403 in the API)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from api.auth import UserRole
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp

DAYS = 3
CHARTS = ("trips", "headway", "staff", "overtime")


def test_planner_runs_two_short_whatifs_and_sees_the_charts(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    for side, scenario in (("a", "baseline"), ("b", "wave-2022")):
        pane = page.locator(f'[data-pane="{side}"]')
        pane.locator('select[name="scenario"]').select_option(scenario)
        expect(pane.locator(".scenario-desc")).not_to_be_empty()
        pane.get_by_role("button", name="Nhanh (7 ngày × 10)").click()
        expect(pane.locator('input[name="replications"]')).to_have_value("10")
        pane.locator('input[name="days"]').fill(str(DAYS))
        pane.locator('input[name="replications"]').fill("4")
        pane.get_by_role("button", name="Chạy", exact=True).click()
        # live progress while it runs: the status line and a progress bar
        expect(pane.locator(".run-status")).not_to_be_empty()
    for side in ("a", "b"):
        pane = page.locator(f'[data-pane="{side}"]')
        expect(pane).to_have_attribute("data-status", "done", timeout=90_000)
        expect(pane.locator(".run-progress")).to_be_hidden()
        for chart in CHARTS:
            box = pane.locator(f'[data-chart="{chart}"]')
            expect(box).to_have_attribute("data-points", str(DAYS))
            expect(box.locator("canvas")).to_have_count(1)
        # the band's three series and the legend name them
        expect(pane.locator('[data-chart="trips"] .u-legend')).to_contain_text("đã chạy p90")
        expect(pane.locator(".run-summary")).to_contain_text("Giữ nguyên biểu đồ")
    table = page.locator("#compare-table")
    expect(table).to_contain_text("Tổng chuyến đã chạy (p50)")
    expect(table).to_contain_text("wave-2022")
    # the run ids are in the URL: a reload shows the same runs
    assert re.search(r"#a=\w+&b=\w+", page.url), page.url
    s.shot("whatif")
    page.reload()
    expect(page.locator('[data-pane="b"]')).to_have_attribute("data-status", "done")
    expect(page.locator('[data-pane="b"] [data-chart="staff"] canvas')).to_have_count(1)


def test_a_bad_scenario_parameter_is_named_beside_its_field(session: MakeSession) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    pane = page.locator('[data-pane="a"]')
    pane.locator('input[name="doubling_days"]').fill("-3")
    pane.locator('input[name="days"]').fill("0")
    pane.get_by_role("button", name="Chạy", exact=True).click()
    errors = pane.locator(".form-error")
    expect(errors).to_contain_text("Số ngày: số nguyên từ 1 đến 366")  # checked here
    pane.locator('input[name="days"]').fill("2")
    pane.get_by_role("button", name="Chạy", exact=True).click()
    # checked by the server (422 with loc body.scenario.incidence.doubling_days)
    expect(errors).to_contain_text("Số ngày ca F0 tăng gấp đôi:")
    doubling = pane.locator('input[name="doubling_days"]')
    expect(doubling).to_have_attribute("aria-invalid", "true")
    expect(pane.locator(".field-error")).to_contain_text("greater than 0")


def test_operator_cannot_run_a_whatif(session: MakeSession, app: LiveApp) -> None:
    s = session(UserRole.OPERATOR)
    page = s.login()
    expect(page.locator("#nav-whatif")).to_have_count(0)
    r = page.request.post(
        app.url + "/api/simulations",
        data={"scenario": "baseline", "days": 1, "replications": 1},
        headers={"X-CSRF-Token": s.csrf()},
    )
    assert r.status == 403, r.text()
