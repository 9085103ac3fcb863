"""Crew screens in a browser: a crew manager declares a driver F0 and the operator's board
changes (coverage tile, and the badge on the train that driver is driving); a cohort edited
meanwhile by someone else answers "someone else changed this — reload"; form errors name
the field; the status form records no F0 (that is the case form's, which confirms and marks
the contacts F1) and chooses no state for the user; the F0 confirmation counts each contact
once; a test or a case dated in the future is refused beside its field."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from playwright.sync_api import expect

from accounts.identity import UserRole
from line.clock import HANOI
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp, wait_until


def local_input(t: datetime) -> str:
    """What a user types in a date-time input: Hanoi wall clock as dd/mm/yyyy hh:mm."""
    return t.astimezone(HANOI).strftime("%d/%m/%Y %H:%M")


def test_driver_declared_f0_changes_the_operators_board(session: MakeSession, app: LiveApp) -> None:
    op = session(UserRole.OPERATOR)
    board = op.login()
    tile = board.locator("#crew-tile")
    expect(tile).to_have_attribute("data-f0", "0", timeout=20_000)
    expect(tile.locator(".counts [data-state=f0_isolation] .n")).to_have_text("0")

    def driving() -> tuple[str, str] | None:
        trains = board.request.get(app.url + "/api/board").json()["trains"]
        on = [t for t in trains if t["in_service"] and t["driver"] and not t["stale"]]
        return (on[0]["train"], on[0]["driver"]) if on else None

    train, driver = wait_until(driving, what="a train in service with a driver")
    badge = board.locator(f'svg.line-diagram g.train[data-train="{train}"] .badge.driver')
    expect(badge).to_have_attribute("visibility", "hidden")

    cm = session(UserRole.CREW_MANAGER)
    crew = cm.login()
    crew.fill("#f-text", driver)
    row = crew.locator(f'#roster tr[data-staff="{driver}"]')
    expect(row).to_have_attribute("data-state", "available")
    row.get_by_role("button", name="F0").click()
    expect(crew.locator("#c-staff")).to_have_value(driver)
    # the case as of this morning, before the emulated shift's 07:30 (never in the future)
    now = datetime.now(HANOI)
    at = min(now, datetime.combine(now.date(), time(7, 0), HANOI))
    crew.fill("#c-at", local_input(at))
    # first a confirmation: who goes F1, and that the case is driving a train right now
    declare = crew.locator("#case-form").get_by_role("button", name="Khai báo F0")
    declare.click()
    dialog = crew.locator("#case-dialog")
    expect(dialog).to_be_visible(timeout=30_000)  # a coverage solve, when not cached
    expect(dialog.locator("#case-self-duty")).to_contain_text(f"đang lái tàu {train}")
    expect(dialog.locator("#case-on-duty")).to_contain_text(train)
    expect(dialog.locator("#case-contacts li").first).to_contain_text(f"với F0 {driver}")
    cm.shot("crew-f0-confirm")
    dialog.get_by_role("button", name="Huỷ").click()  # cancelled: nothing is written
    expect(dialog).to_be_hidden()
    expect(crew.locator("#case-form .form-error")).not_to_contain_text("Đã khai báo")
    expect(row).to_have_attribute("data-state", "available")
    declare.click()
    dialog.get_by_role("button", name="Xác nhận khai báo F0").click()
    expect(crew.locator("#case-form .form-error.ok")).to_contain_text(
        f"Đã khai báo F0 cho {driver}"
    )
    # each contact with the reason, in Vietnamese (the server renders it in the UI's language)
    expect(crew.locator("#case-result li").first).to_contain_text(f"với F0 {driver}")
    expect(row).to_have_attribute("data-state", "f0_isolation")
    expect(row.locator(".state-pill")).to_have_text("F0 cách ly")
    cm.shot("crew-after-f0")

    # the operator's board, without a reload: the tile counts the case, and the train that
    # driver is at the controls of carries the "driver not cleared" badge and an alarm
    expect(tile).to_have_attribute("data-f0", "1", timeout=30_000)
    expect(tile.locator(".counts [data-state=f0_isolation] .n")).to_have_text("1")
    expect(badge).to_have_attribute("visibility", "visible", timeout=15_000)
    alarm = board.locator(f'#alarms tr[data-key="train:{train}:driver_not_cleared"]')

    def alarm_row_shown() -> bool:
        # a contact of the case may be driving too: the same alarm on two trains is one group
        # row (issue 15's grouping), whose alarms show below it once opened
        for toggle in board.locator('#alarms tr.group [aria-expanded="false"]').all():
            toggle.click()
        return alarm.count() > 0

    wait_until(alarm_row_shown, timeout_s=15, what="the driver alarm's row")
    expect(alarm).to_contain_text(f"lái tàu {driver} chưa đủ điều kiện — đang F0 cách ly đến")
    expect(board.locator(f'#trains tr[data-train="{train}"] .driver-tag')).to_be_visible()
    # the crew tile beside it does not say "staffed": it names the train
    expect(tile.locator(".crew-verdict.alert")).to_contain_text(train)
    assert int(tile.get_attribute("data-driver-issues") or 0) >= 1
    op.shot("board-after-f0")
    # and the crew manager's screen says so too: a banner and today's calendar day in red
    expect(crew.locator(f'#driver-alerts li[data-train="{train}"]')).to_contain_text(driver)
    today = crew.locator("#calendar .cal-day").first
    expect(today).to_have_class(re.compile(r"\bshort\b"))
    expect(today.locator(".verdict")).to_contain_text("lái tàu chưa đủ điều kiện")
    expect(today.locator('.cal-roles tr[data-role="driver"] td.spare')).to_have_text(
        re.compile(r"^\d+$")
    )
    # the same alarm after the English switch, without a reload
    board.click("#lang-switch")
    wait_until(alarm_row_shown, timeout_s=15, what="the driver alarm's row")
    expect(alarm).to_contain_text(f"driver {driver} not cleared — F0 in isolation until")


def test_cohort_warning_comes_in_the_language_of_the_ui(session: MakeSession, app: LiveApp) -> None:
    for lang, member, said in (
        ("en", "D001", "Cohort saved. cohort COH-{lang} lasts longer than 14 days"),
        ("vi", "D002", "Đã lưu nhóm. nhóm COH-{lang} dài hơn 14 ngày"),
    ):
        # the browser's own language is Vietnamese: the UI's switch decides
        cm = session(UserRole.CREW_MANAGER, lang=lang)
        page = cm.login()
        # the form checks members against the roster: wait until it is loaded
        expect(page.locator(f'#roster tr[data-staff="{member}"]')).to_have_count(1)
        page.locator("#cohort-new-box summary").click()
        start = datetime.now(HANOI) + timedelta(days=60)  # clear of other tests' cohorts
        page.fill("#n-id", f"COH-{lang}")
        page.fill("#n-name", "3 on-site, long")
        page.fill("#n-start", local_input(start))
        page.fill("#n-end", local_input(start + timedelta(days=20)))
        page.fill("#n-beds", "2")
        page.fill("#n-members", member)
        page.locator("#cohort-new").get_by_role("button", name=re.compile("^(Save|Lưu)$")).click()
        expect(page.locator("#cohort-new .form-error")).to_have_text(said.format(lang=lang))


def test_cohort_changed_meanwhile_answers_reload(session: MakeSession, app: LiveApp) -> None:
    cm = session(UserRole.CREW_MANAGER)
    page = cm.login()
    drivers = [
        s["id"] for s in page.request.get(app.url + "/api/crew/staff").json()
        if s["role"] == "driver"
    ][:3]  # fmt: skip
    page.locator("#cohort-new-box summary").click()
    start = datetime.now(HANOI)
    page.fill("#n-id", "COH-WEB")
    page.fill("#n-name", "Nhóm A depot Phú Lương")
    page.fill("#n-start", local_input(start))
    page.fill("#n-end", local_input(start + timedelta(days=7)))
    page.fill("#n-beds", "2")
    page.fill("#n-members", " ".join(drivers))
    page.locator("#cohort-new").get_by_role("button", name="Lưu").click()
    # three people, two beds: the field is named, with the reason
    expect(page.locator("#cohort-new .form-error")).to_contain_text(
        "Số giường: 3 thành viên nhưng chỉ có 2 giường"
    )
    page.fill("#n-beds", "4")
    page.locator("#cohort-new").get_by_role("button", name="Lưu").click()
    card = page.locator('#cohorts [data-cohort="COH-WEB"]')
    expect(card).to_contain_text("3 người / 4 giường")
    expect(card.locator(".bed.used")).to_have_count(3)
    cm.shot("crew-cohort")

    card.locator("details.edit summary").click()
    # someone else saves a change first (version 1 → 2)
    cohort = page.request.get(app.url + "/api/crew/cohorts/COH-WEB")
    body = {k: v for k, v in cohort.json().items() if k != "version"} | {"beds_available": 5}
    r = page.request.put(
        app.url + "/api/crew/cohorts/COH-WEB",
        data=body,
        headers={"If-Match": cohort.headers["etag"], "X-CSRF-Token": cm.csrf()},
    )
    assert r.status == 200, r.text()
    card.locator('input[name="beds_available"]').fill("6")
    card.get_by_role("button", name="Lưu").click()
    message = card.locator(".form-error")
    expect(message).to_contain_text("Người khác vừa thay đổi mục này — hãy tải lại")
    message.get_by_role("button", name="Tải lại").click()
    expect(page.locator('#cohorts [data-cohort="COH-WEB"]')).to_contain_text("3 người / 5 giường")


def test_status_form_errors_name_the_field(session: MakeSession) -> None:
    cm = session(UserRole.CREW_MANAGER)
    page = cm.login()
    form = page.locator("#status-form")
    page.fill("#s-staff", "NOBODY-1")
    page.select_option("#s-state", "f1_quarantine")
    form.get_by_role("button", name="Lưu").click()
    errors = form.locator(".form-error")
    expect(errors).to_contain_text("Mã nhân viên: không có trong danh sách nhân sự")
    expect(errors).to_contain_text("Đến: trạng thái này cần thời điểm kết thúc")
    expect(page.locator("#s-until")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#s-staff + .field-error")).to_be_visible()

    # an error the server finds comes back as 422 and is shown beside the field it names, in
    # the page's language (it was pydantic's English, for the whole form)
    staff = page.locator("#roster tbody tr").first.get_attribute("data-staff") or ""
    page.fill("#s-staff", staff)
    page.select_option("#s-state", "leave")
    page.fill("#s-effective", "05/12/2026 08:00")
    page.fill("#s-until", "01/12/2026 08:00")
    form.get_by_role("button", name="Lưu").click()
    backwards = "Thời điểm kết thúc phải sau thời điểm bắt đầu"
    expect(page.locator("#s-until + .field-error")).to_have_text(backwards)
    expect(page.locator("#s-until")).to_have_attribute("aria-invalid", "true")
    expect(errors).to_contain_text(f"Đến: {backwards}")
    expect(errors).not_to_contain_text("Value error")
    expect(errors).not_to_contain_text("until")


def test_crew_page_fits_a_phone_and_its_buttons_a_finger(session: MakeSession) -> None:
    """At 390 × 844 the page is no wider than the screen, the roster's rows are cards with
    every action on screen, and the F0 button is at least 44 × 44 px (WCAG 2.5.5)."""
    cm = session(UserRole.CREW_MANAGER)
    page = cm.page
    page.set_viewport_size({"width": 390, "height": 844})
    cm.login()
    expect(page.locator("#roster tr[data-staff]").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    header = page.locator("#app-header").bounding_box()
    assert header is not None and header["width"] <= 390 and header["height"] < 844 / 4
    f0 = page.locator('#roster [data-action="declare-f0"]').first
    box = f0.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    cm.shot("crew-phone")


def test_status_form_offers_no_f0_and_chooses_no_state_for_you(
    session: MakeSession, app: LiveApp
) -> None:
    """An F0 entered as a status skipped the confirmation and left the contacts on duty; and
    F0 was the form's default, on opening the page and from a roster row's button."""
    cm = session(UserRole.CREW_MANAGER)
    page = cm.login()
    state = page.locator("#s-state")
    expect(state).to_have_value("")
    expect(state.locator("option:checked")).to_have_text("— Chọn trạng thái —")
    expect(state.locator('option[value="f0_isolation"]')).to_have_count(0)
    expect(state.locator('option[value="f1_quarantine"]')).to_have_count(1)

    staff = page.request.get(app.url + "/api/crew/staff").json()
    person = next(s["id"] for s in staff if s["role"] == "occ_operator")
    events = f"{app.url}/api/crew/status-events?staff_id={person}"
    recorded = len(page.request.get(events).json())
    page.fill("#f-text", person)
    page.locator(f'#roster tr[data-staff="{person}"]').get_by_role(
        "button", name="Trạng thái…"
    ).click()
    expect(page.locator("#s-staff")).to_have_value(person)
    expect(state).to_have_value("")
    expect(state).to_be_focused()
    form = page.locator("#status-form")
    form.get_by_role("button", name="Lưu").click()
    expect(page.locator("#s-state + .field-error")).to_have_text("hãy chọn một trạng thái")
    expect(form.locator(".form-error")).to_contain_text("Trạng thái: hãy chọn một trạng thái")
    assert len(page.request.get(events).json()) == recorded, "nothing is recorded"

    # where an F0 goes instead: the case form, which confirms and marks the contacts F1
    hint = page.locator("#s-f0-hint")
    expect(hint).to_contain_text("dùng “Khai báo ca F0” bên dưới")
    hint.get_by_role("button", name="Khai báo ca F0…").click()
    expect(page.locator("#c-staff")).to_have_value(person)
    expect(page.locator("#case-form").get_by_role("button", name="Khai báo F0")).to_be_focused()
    cm.shot("crew-status-no-f0")


def test_f0_confirmation_counts_each_contact_once_with_every_reason(
    session: MakeSession, app: LiveApp
) -> None:
    """Someone in the case's shift team and dormitory room was listed (and counted) twice."""
    cm = session(UserRole.CREW_MANAGER)
    page = cm.login()
    status = page.request.get(app.url + "/api/crew/status").json()
    free = {p["staff_id"] for p in status["staff"] if p["state"] == "available"}
    groups = page.request.get(app.url + "/api/crew/groups").json()

    def shared(a: str, b: str) -> int:
        return sum(a in g["members"] and b in g["members"] for g in groups)

    case, twice = next(
        (a, b)
        for g in groups
        for a in g["members"]
        for b in g["members"]
        if a != b and a in free and b in free and shared(a, b) >= 2
    )
    preview = page.request.get(
        app.url + "/api/crew/cases/preview", params={"staff_id": case}
    ).json()
    people = {c["staff_id"] for c in preview["contacts"]}
    assert len(people) < len(preview["contacts"]), "the API lists a contact once per group"

    page.fill("#c-staff", case)
    page.locator("#case-form").get_by_role("button", name="Khai báo F0").click()
    dialog = page.locator("#case-dialog")
    expect(dialog).to_be_visible(timeout=30_000)  # a coverage solve, when not cached
    listed = dialog.locator("#case-contacts li")
    expect(listed).to_have_count(len(people))
    expect(dialog.locator("#case-contacts-count")).to_have_text(
        f"{len(people)} người sẽ bị đánh dấu F1 (cách ly):"
    )
    assert sorted(listed.evaluate_all("els => els.map(e => e.dataset.staff)")) == sorted(people)
    row = dialog.locator(f'#case-contacts li[data-staff="{twice}"]')
    reasons = sum(c["staff_id"] == twice for c in preview["contacts"])  # groups, cohorts
    assert reasons >= 2
    expect(row.locator(".reason")).to_have_count(reasons)
    expect(row.locator(".reason").first).to_contain_text(f"với F0 {case}")
    cm.shot("crew-f0-confirm-once")
    dialog.get_by_role("button", name="Huỷ").click()  # nothing written
    expect(dialog).to_be_hidden()


def test_a_test_or_a_case_in_the_future_is_refused_beside_its_field(
    session: MakeSession, app: LiveApp
) -> None:
    cm = session(UserRole.CREW_MANAGER)
    page = cm.login()
    staff = page.request.get(app.url + "/api/crew/staff").json()
    person = next(s["id"] for s in staff if s["role"] == "technician")
    tests = f"{app.url}/api/crew/tests?staff_id={person}"
    recorded = len(page.request.get(tests).json())
    form = page.locator("#test-form")
    page.fill("#t-staff", person)
    page.fill("#t-taken", "05/12/2030 07:00")
    form.get_by_role("button", name="Lưu").click()
    ahead = "Thời điểm lấy mẫu không được muộn hơn hiện tại (cho phép lệch đồng hồ 5 phút)"
    expect(page.locator("#t-taken + .field-error")).to_have_text(ahead)
    expect(page.locator("#t-taken")).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".form-error")).to_contain_text(f"Lấy mẫu lúc: {ahead}")
    assert len(page.request.get(tests).json()) == recorded, "nothing is recorded"

    # a case is a fact too: refused before any confirmation is asked
    case_form = page.locator("#case-form")
    page.fill("#c-staff", person)
    page.fill("#c-at", local_input(datetime.now(HANOI) + timedelta(days=1)))
    case_form.get_by_role("button", name="Khai báo F0").click()
    expect(page.locator("#c-at + .field-error")).to_have_text(
        "Thời điểm ca F0 không được muộn hơn hiện tại (cho phép lệch đồng hồ 5 phút)"
    )
    expect(page.locator("#case-dialog")).to_be_hidden()
