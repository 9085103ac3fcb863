"""Situation reports in a browser: an operator makes one on demand and finds it listed with
its headline numbers, its page and its PDF; a planner reads the list but is offered no button
to make one (the API refuses it with 403 anyway)."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.identity import UserRole
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp


def test_operator_makes_a_report_and_downloads_it(session: MakeSession, app: LiveApp) -> None:
    op = session(UserRole.OPERATOR)
    op.login()
    page = op.goto("/reports")
    expect(page.locator("#make-form")).to_be_visible()
    before = page.locator("#reports tbody tr[data-report]").count()
    page.get_by_role("button", name="Lập báo cáo ngay").click()
    expect(page.locator("#make-form .form-error.ok")).to_have_text(
        "Đã lập báo cáo.", timeout=60_000
    )
    rows = page.locator("#reports tbody tr[data-report]")
    expect(rows).to_have_count(before + 1)
    newest = rows.first
    expect(newest).to_have_attribute("data-kind", "on_demand")
    expect(newest.locator("td").nth(1)).to_have_text("Lập theo yêu cầu")
    # the crew column carries the crew module's counts, not dashes
    crew = newest.locator("td").nth(4).inner_text()
    assert "—" not in crew, crew
    op.shot("reports")

    with page.expect_download() as dl:
        newest.locator("a.pdf").click()
    pdf = dl.value
    assert pdf.suggested_filename.startswith("bao-cao-tinh-hinh-")
    assert pdf.suggested_filename.endswith(".pdf")
    with open(pdf.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"

    html = page.request.get(app.url + newest.locator("a.html").get_attribute("href")).text()
    assert "Hà Đông" in html or "Ha Dong" in html

    # English switch
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("Situation reports")
    expect(newest.locator("td").nth(1)).to_have_text("On demand")


def test_planner_reads_reports_but_is_offered_no_make_button(
    session: MakeSession, app: LiveApp
) -> None:
    pl = session(UserRole.PLANNER)
    pl.login()
    page = pl.goto("/reports")
    expect(page.locator("#reports tbody tr").first).to_be_visible()
    expect(page.locator("#make-form")).to_be_hidden()
    r = page.request.post(app.url + "/api/reports", headers={"X-CSRF-Token": pl.csrf()})
    assert r.status == 403
    assert pl.errors == []
