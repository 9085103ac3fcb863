"""What-if in a browser: a planner runs two short scenarios, follows their progress and sees
p10–p90 charts and the comparison; each run's verdict in Vietnamese and English with dd/mm
dates; the comparison's verdict and its warning when the runs differ in length; a shared link
restores each pane's form with its results; a size preset then Run runs the scenario shown; a
bad parameter is named by the server and shown beside its field; an operator may not run one
(no page, 403 in the API)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Any

from playwright.sync_api import Locator, Page, expect

from accounts.identity import UserRole
from simulation import InProcessExecutor, WhatIfResult, run_whatif, scenario_preset
from simulation.verdict import BINDING_RESOURCES, run_verdict
from tests.web.conftest import MakeSession
from tests.web.live_app import LiveApp
from whatif.store import RunRecord, RunStatus, RunStore

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
    # scenarios by name, not by id; baseline never loses its timetable, and says so
    expect(page.locator('[data-pane="a"] .verdict li').first).to_have_text(
        re.compile(r"^Biểu đồ chạy tàu đầy đủ: không bao giờ mất — giữ được đến hết \d\d/\d\d")
    )
    table = page.locator("#compare-table")
    expect(table).to_contain_text("Tổng chuyến đã chạy (p50)")
    expect(table).to_contain_text("Đợt dịch đầu năm 2022")
    expect(table).not_to_contain_text("wave-2022")
    # periods by name and hours: the 2026 timetable's morning peak; 2022's one all-day period
    expect(page.locator('[data-pane="a"] select.period-select option:checked')).to_have_text(
        "Cao điểm sáng (06:30–09:00)"
    )
    expect(page.locator('[data-pane="b"] select.period-select option:checked')).to_have_text(
        "Cả ngày (05:30–22:00)"
    )
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
    expect(pane.locator(".field-error")).to_contain_text("phải lớn hơn 0")  # not pydantic's English


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


# 46 of the synthetic roster's 60 drivers away from the third day (Wednesday 04/03/2026): the
# full timetable is lost that day in every run (tests/simulation/test_verdict.py)
SHORT = {
    "name": "short-drivers",
    "start_date": "2026-03-02",
    "fleet": {"failures": False},
    "absences": [{"role": "driver", "count": 46, "from_day": 2}],
}


def run_pane(pane: Locator, *, days: int, replications: int, spec: dict[str, Any] | None) -> None:
    """Fill a pane's form (a preset is already chosen, or ``spec`` as JSON) and press Run."""
    if spec is not None:
        pane.locator("details.advanced summary").click()
        pane.locator('textarea[name="scenario_json"]').fill(json.dumps(spec))
    pane.locator('input[name="days"]').fill(str(days))
    pane.locator('input[name="replications"]').fill(str(replications))
    pane.get_by_role("button", name="Chạy", exact=True).click()


def run_ids(page: Page) -> dict[str, str]:
    m = re.search(r"#a=(\w+)&b=(\w+)", page.url)
    assert m, page.url
    return {"a": m.group(1), "b": m.group(2)}


def test_verdicts_in_both_languages_compare_warning_shared_link_and_size_preset(
    session: MakeSession, app: LiveApp
) -> None:
    s = session(UserRole.PLANNER)
    page = s.login()
    a, b = page.locator('[data-pane="a"]'), page.locator('[data-pane="b"]')
    a.locator('select[name="scenario"]').select_option("baseline")
    run_pane(a, days=4, replications=2, spec=None)
    run_pane(b, days=3, replications=2, spec=SHORT)
    for pane in (a, b):
        expect(pane).to_have_attribute("data-status", "done", timeout=90_000)

    # the verdict first, in Vietnamese, dates as dd/mm
    first = b.locator(".verdict li").first
    expect(first).to_have_text(
        "Biểu đồ chạy tàu đầy đủ: giữ được đến 03/03 (p50), mất từ 04/03; mất ở 100 % số lần lặp."
    )
    trips = b.locator('.verdict li[data-code="trips_lost"]')
    expect(trips).to_contain_text("chuyến kế hoạch")
    expect(trips).to_contain_text("do thiếu nhân sự, 0 do hỏng tàu")  # no failures in SHORT
    expect(b.locator(".run-summary")).to_contain_text("02/03/2026 – 04/03/2026 (3 ngày)")
    expect(b.locator(".run-summary")).to_contain_text("short-drivers (tự soạn)")
    # what limited service, in words and by day: the early shift's drivers from 04/03
    expect(b.locator('.verdict li[data-code="binding"]')).to_have_text(
        "Ràng buộc chính: lái tàu ca sáng (33 % số ngày), ở đa số lần lặp từ 04/03."
    )
    early = b.locator('.binding-strip [data-resource="drivers_early"] .binding-cell')
    expect(early).to_have_count(3)
    expect(early.nth(2)).to_have_attribute("title", "04/03: lái tàu ca sáng — 100 % số lần lặp")
    expect(a.locator(".binding-strip")).to_have_attribute("data-state", "none")
    # the comparison: its verdict, and a warning since B ran 3 days and A 4
    box = page.locator("#compare")
    expect(box.locator('[data-code="length_differs"]')).to_have_text(
        "Hai lần chạy dài khác nhau (A: 4 ngày, B: 3 ngày): chỉ so 3 ngày đầu; "
        "tổng của cả lần chạy không so được với nhau."
    )
    expect(box.locator('#compare-verdict li[data-level="timetable"]')).to_have_text(
        "Biểu đồ chạy tàu đầy đủ: A giữ được suốt (p50), B mất từ 04/03."
    )
    trips = box.locator('#compare-verdict li[data-code="trips_lost_diff"]')
    expect(trips).to_contain_text("A mất ít hơn")
    expect(trips).to_contain_text("trung bình trong 3 ngày đầu")
    # a whole-run total over different lengths is not shown as a bare difference
    cancelled = box.locator('#compare-table tr[data-key="total.trips_cancelled"] td.diff')
    expect(cancelled).to_have_text("⚠ không so được")
    # chart axes too: "02/03", not Vietnamese CLDR's "02-03"
    got = page.evaluate(
        "async () => (await import('/static/js/fmt.js'))"
        ".fmtDm(Date.parse('2026-03-02T12:00+07:00'))"
    )
    assert got == "02/03", got
    text = page.locator("main").inner_text()
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{2}-\d{2}\b", text), text
    assert "am_peak" not in text and "short_drivers" not in text
    s.shot("whatif-verdict-vi")

    page.click("#lang-switch")
    expect(first).to_have_text(
        "The full timetable: held until 03/03 (p50), lost from 04/03; lost in 100 % of runs."
    )
    expect(b.locator('.verdict li[data-code="binding"]')).to_have_text(
        "The binding constraint: drivers on the early shift (33 % of days), "
        "in most runs from 04/03."
    )
    expect(box.locator('[data-code="length_differs"]')).to_contain_text(
        "The runs differ in length (A: 4 days, B: 3 days)"
    )
    expect(box.locator('#compare-verdict li[data-level="timetable"]')).to_have_text(
        "The full timetable: A holds it throughout (p50), B loses it from 04/03."
    )
    expect(cancelled).to_have_text("⚠ not comparable")
    s.shot("whatif-verdict-en")
    page.click("#lang-switch")

    # a shared link, panes swapped: each form shows the scenario of the results beside it
    ids = run_ids(page)
    other = session(UserRole.PLANNER)
    page2 = other.login()
    page2.goto(f"{app.url}/whatif#a={ids['b']}&b={ids['a']}")
    a2, b2 = page2.locator('[data-pane="a"]'), page2.locator('[data-pane="b"]')
    for pane in (a2, b2):
        expect(pane).to_have_attribute("data-status", "done")
    expect(a2.locator(".run-summary")).to_contain_text("short-drivers (tự soạn)")
    expect(a2.locator('select[name="scenario"] option:checked')).to_have_text(
        "short-drivers (tự soạn)"
    )
    shown = json.loads(a2.locator('textarea[name="scenario_json"]').input_value())
    assert shown["name"] == "short-drivers" and shown["absences"][0]["count"] == 46
    expect(a2.locator('input[name="days"]')).to_have_value("3")
    expect(a2.locator('input[name="replications"]')).to_have_value("2")
    expect(b2.locator('select[name="scenario"]')).to_have_value("baseline")
    expect(b2.locator(".run-summary")).to_contain_text("Cơ sở: không dịch, đủ người")
    expect(b2.locator('input[name="days"]')).to_have_value("4")
    expect(a2).to_have_attribute("data-form-changed", "false")

    # a size preset, then Run: the scenario shown runs (it once ran baseline)
    a2.get_by_role("button", name="Nhanh (7 ngày × 10)").click()
    expect(a2).to_have_attribute("data-form-changed", "true")
    expect(a2.locator(".form-changed")).to_contain_text("short-drivers (tự soạn)")
    a2.get_by_role("button", name="Chạy", exact=True).click()
    expect(page2).not_to_have_url(re.compile(f"#a={ids['b']}"))  # the new run is followed
    expect(a2).to_have_attribute("data-status", "done", timeout=90_000)
    new_id = run_ids(page2)["a"]
    run = page2.request.get(f"{app.url}/api/simulations/{new_id}").json()
    assert (run["scenario"], run["days"], run["replications"]) == ("short-drivers", 7, 10)
    assert run["scenario_spec"]["absences"][0] | {"to_day": 0} == SHORT["absences"][0] | {
        "to_day": 0
    }
    expect(a2).to_have_attribute("data-form-changed", "false")
    expect(a2.locator(".run-summary")).to_contain_text("(7 ngày)")

    # a preset chosen in the list, a size preset, Run: that preset runs
    b2.locator('select[name="scenario"]').select_option("wave-2022")
    b2.get_by_role("button", name="Nhanh (7 ngày × 10)").click()
    b2.get_by_role("button", name="Chạy", exact=True).click()
    expect(page2).not_to_have_url(re.compile(f"&b={ids['a']}"))
    expect(b2).to_have_attribute("data-status", "done", timeout=90_000)
    run = page2.request.get(f"{app.url}/api/simulations/{run_ids(page2)['b']}").json()
    assert (run["scenario"], run["days"], run["replications"]) == ("wave-2022", 7, 10)
    expect(b2.locator(".run-summary")).to_contain_text("Đợt dịch đầu năm 2022")
    expect(b2.locator('select[name="scenario"]')).to_have_value("wave-2022")


def band_of(v: float) -> dict[str, float]:
    return {"p10": v, "p50": v, "p90": v, "mean": v, "mean_p10": v, "mean_p90": v}


def store_result(app: LiveApp, run_id: str, result: WhatIfResult) -> None:
    """Put a finished run with ``result`` into the app's database, as the service would."""

    async def add() -> None:
        url = f"sqlite+aiosqlite:///{app.log.parent / 'metro.db'}"
        async with RunStore(url) as store:
            await store.add(
                RunRecord(
                    id=run_id,
                    scenario=result.scenario,
                    spec={"scenario": result.scenario_spec},
                    days=result.days_simulated,
                    replications=result.replications,
                    seed=result.seed,
                    status=RunStatus.QUEUED,
                    submitted_by="planner",
                    created_ms=0,
                    started_ms=0,
                    finished_ms=None,
                    done=0,
                    error="",
                )
            )
            await store.set(
                run_id, status=RunStatus.DONE, finished_ms=1, done=1, result=result.to_json()
            )

    # Playwright's sync API owns this thread's event loop: the store gets a thread of its own
    worker = threading.Thread(target=asyncio.run, args=(add(),))
    worker.start()
    worker.join()


def test_what_limited_service_is_shown_by_day(session: MakeSession, app: LiveApp) -> None:
    # the binding.<resource> day figures as the service policy records them (banded: the mean
    # is the share of runs): early-shift drivers limit days 2-4, the trains day 4
    real = run_whatif(scenario_preset("baseline"), 4, 1, 3, executor=InProcessExecutor())
    shares = {"drivers_early": [0, 0.5, 1, 1], "trains": [0, 0, 0, 0.25]}
    days = []
    for d, day in enumerate(real.days):
        binding = {r: 0.0 for r in BINDING_RESOURCES} | {r: s[d] for r, s in shares.items()}
        days.append(day | {"binding": {r: band_of(v) for r, v in binding.items()}})
    with_binding = real.model_copy(update={"days": days})
    result = with_binding.model_copy(
        update={"summary": real.summary | {"verdict": run_verdict(with_binding)}}
    )
    store_result(app, "bound-by-drivers", result)

    s = session(UserRole.PLANNER)
    page = s.login()
    page.goto(f"{app.url}/whatif#a=bound-by-drivers")
    pane = page.locator('[data-pane="a"]')
    expect(pane).to_have_attribute("data-status", "done")
    # 2.5 of 4 days on average; in most runs from the third day (04/03)
    expect(pane.locator('.verdict li[data-code="binding"]')).to_have_text(
        "Ràng buộc chính: lái tàu ca sáng (63 % số ngày), ở đa số lần lặp từ 04/03."
    )
    strip = pane.locator(".binding-strip")
    expect(strip).to_have_attribute("data-state", "shown")
    rows = strip.locator(".binding-row")
    expect(rows).to_have_count(2)  # only the resources that ever limited service
    early = strip.locator('[data-resource="drivers_early"]')
    expect(early.locator(".binding-label")).to_have_text("lái tàu ca sáng")
    cells = early.locator(".binding-cell")
    expect(cells).to_have_count(4)
    expect(cells.nth(1)).to_have_attribute("title", "03/03: lái tàu ca sáng — 50 % số lần lặp")
    assert [cells.nth(i).get_attribute("data-share") for i in range(4)] == ["0", "0.5", "1", "1"]
    trains = strip.locator('[data-resource="trains"] .binding-cell')
    expect(trains.nth(3)).to_have_attribute("title", "05/03: đoàn tàu sẵn sàng — 25 % số lần lặp")
    s.shot("whatif-binding")
