"""Incidents in a browser, against the live app (emulator over real MQTT and Modbus): a
substation's undervoltage raises a real alarm, an operator acknowledges it and then makes an
incident from it on the page; the timeline shows the alarm's raise and acknowledgement (with
the operator) in Hanoi time; a note is added; the PDF and CSV downloads hold the incident.
A planner reads the incident but is offered no export; the English switch."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from playwright.sync_api import expect

from accounts.identity import UserRole
from line.clock import hanoi_time
from tests.api.pdftext import text_runs
from tests.poll import until_sync
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp

TITLE = "Sụt áp trạm SS2"


def test_incident_from_a_real_alarm(session: MakeSession, app: LiveApp) -> None:
    op = session(UserRole.OPERATOR)
    page = op.login()

    def ss2_alarm() -> dict[str, Any] | None:
        r = page.request.get(app.url + "/api/alarms?include_shelved=true&history=50")
        assert r.ok, r.text()
        body = r.json()
        found = [a for a in [*body["alarms"], *(body["history"] or [])] if a["device"] == "SS2"]
        return found[0] if found else None

    app.inject("undervoltage", substation="SS2")
    try:
        alarm = until_sync(ss2_alarm, timeout_s=60, what="the SS2 undervoltage alarm")
    finally:
        app.inject("undervoltage", substation="SS2", on=False)
    r = page.request.post(
        f"{app.url}/api/alarms/{alarm['id']}/ack", headers={"X-CSRF-Token": op.csrf()}
    )
    assert r.ok, r.text()

    page.locator("#nav-incidents").click()
    page.wait_for_url(re.compile(r"/incidents$"))
    expect(page.locator("h1")).to_have_text("Sự cố")
    option = page.locator(f'#c-alarm option[value="{alarm["id"]}"]')
    expect(option).to_have_count(1)
    page.select_option("#c-alarm", str(alarm["id"]))
    page.fill("#c-title", TITLE)
    page.get_by_role("button", name="Tạo sự cố").click()

    detail = page.locator("#inc-detail")
    expect(detail.locator("#d-title")).to_contain_text(TITLE)
    tag = f':has(.inc-alarm:text-is("Cảnh báo #{alarm["id"]}"))'
    raised = detail.locator(f'tr.inc-event.src-alarm[data-kind="alarm.raised"]{tag}')
    acked = detail.locator(f'tr.inc-event.src-alarm[data-kind="alarm.acked"]{tag}')
    expect(raised).to_have_count(1)
    expect(acked).to_have_count(1)
    expect(acked.locator(".inc-user")).to_have_text(op.user)
    expect(acked.locator(".inc-text")).to_contain_text("được xác nhận")
    # Hanoi time whatever the browser's zone (the context runs in Paris)
    expect(raised.locator("td").first).to_have_text(
        f"{hanoi_time(alarm['first_raised_ms']):%H:%M:%S %d/%m/%Y}"
    )
    incident_row = page.locator("#inc-list tbody tr", has_text=TITLE)
    expect(incident_row).to_have_count(1)
    incident_id = incident_row.get_attribute("data-incident")

    page.fill("#n-text", "Đội điện đã kiểm tra trạm SS2")
    page.get_by_role("button", name="Thêm ghi chú").click()
    expect(detail.locator('tr.inc-event[data-kind="note"]')).to_contain_text(
        "Đội điện đã kiểm tra trạm SS2"
    )
    # what people did, in words; the shift log's own entries by "Hệ thống", never "system"
    expect(detail.locator(".inc-user:text-is('system')")).to_have_count(0)
    if alarm["priority"] <= 2:  # a P1/P2 alarm is written to the shift log by the system
        expect(
            detail.locator("tr.inc-event.src-log .inc-user:text-is('Hệ thống')")
        ).not_to_have_count(0)
    made = detail.locator("tr.inc-event.src-audit", has_text="Tạo sự cố (Thành công)")
    expect(made).to_have_count(1)
    for text in detail.locator("tr.inc-event.src-audit .inc-text").all_inner_texts():
        assert not re.search(r"\w=|\(ok\)|incident\.create", text), text
    op.shot("incident")

    with page.expect_download() as dl:
        page.locator("#d-pdf").click()
    pdf = dl.value
    assert pdf.suggested_filename == f"incident-{incident_id}.pdf"
    with open(pdf.path(), "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF-")
    assert TITLE in "".join(text_runs(data))

    with page.expect_download() as dl:
        page.locator("#d-csv").click()
    got = dl.value
    assert got.suggested_filename == f"incident-{incident_id}.csv"
    with open(got.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    ours = [(r["kind"], r["alarm_id"]) for r in rows if r["source"] == "alarm"]
    assert ("alarm.raised", str(alarm["id"])) in ours, ours
    assert ("alarm.acked", str(alarm["id"])) in ours, ours
    key = ("alarm.acked", str(alarm["id"]))
    acked_row = next(r for r in rows if (r["kind"], r["alarm_id"]) == key)
    assert acked_row["user"] == op.user and re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", acked_row["time_hanoi"]
    )
    assert [r["text_vi"] for r in rows if r["kind"] == "note"] == ["Đội điện đã kiểm tra trạm SS2"]

    # a planner finds it and reads it, with no export or note offered
    planner = session(UserRole.PLANNER)
    planner.login()
    ppage = planner.goto("/incidents")
    expect(ppage.locator("#inc-create")).to_be_hidden()
    ppage.fill("#f-q", "sụt áp")
    ppage.locator("#inc-filters").get_by_role("button", name="Xem").click()
    expect(ppage.locator("#inc-list tbody tr")).to_have_count(1)
    ppage.locator("#inc-list a.inc-open").click()
    expect(ppage.locator("#d-title")).to_contain_text(TITLE)
    expect(ppage.locator("#d-exports")).to_be_hidden()
    expect(ppage.locator("#d-note")).to_be_hidden()
    expect(ppage.locator('tr.inc-event[data-kind="alarm.acked"]').first).to_be_visible()

    # English
    ppage.locator("#lang-switch").click()
    expect(ppage.locator("h1")).to_have_text("Incidents")
    en_tag = f':has(.inc-alarm:text-is("Alarm #{alarm["id"]}"))'
    expect(ppage.locator(f'tr.inc-event[data-kind="alarm.acked"]{en_tag}')).to_contain_text(
        "acknowledged"
    )
