"""Situation report content against a state fed by hand, over a real SQLite database.

Proves: the report says exactly the numbers of what happened in its period — trips run, lost
and pending from a trip ledger the test drives, the headway kept, alarms raised by priority
and those open now (from alarms the test raises, clears, acknowledges and shelves), crew
counts with their changes since the previous report (from status events and a cohort recorded
in the crew store), the three-day coverage outlook, and the latest finished what-if (or "no
forecast run" before there is one); the HTML says them in Vietnamese and English; the PDF is
a valid PDF with the Vietnamese font embedded and says the same numbers when read back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

from crew import Cohort, Role, State, StatusEvent
from crew.store.outlook import shift_summaries, stored_outlook
from line import Direction, Trip, plan_day
from line.catalogue import Message
from reports.model import ReportKind, SituationReport
from reports.service import ReportService
from services.handover_report import latest_handover
from services.runtime import Runtime, build_runtime, report_sources
from simulation import InProcessExecutor, scenario_preset
from telemetry.alarms import Priority
from tests.api.authkit import FakeClock
from tests.api.pdftext import page_count, text_runs
from tests.api.reportkit import DAY, HANOI, html_fact, html_row, local_ms, pdf_fact, settings
from tests.crew.builders import driver
from whatif.service import SimulationService

PREV = DAY - timedelta(days=1)
DELAY_S = 30  # every trip run leaves 30 s after its planned time


def at(hhmm: str, day: object = DAY) -> datetime:
    return datetime.fromtimestamp(local_ms(day, hhmm) / 1000, HANOI)  # type: ignore[arg-type]


def ev(sid: str, state: State, start: datetime, until: datetime | None = None) -> StatusEvent:
    return StatusEvent(
        event_id=f"{sid}-{state.value}-{start:%d%H%M}",
        staff_id=sid,
        state=state,
        effective=start,
        until=until,
        recorded_at=start,
    )


@contextlib.asynccontextmanager
async def opened(rt: Runtime) -> AsyncIterator[ReportService]:
    """The crew store, an in-process simulation service and the report service, opened."""
    rt.simulations = SimulationService(
        rt.settings.db.url, rt.line, crew=rt.crew, executor=InProcessExecutor(), clock=rt.clock
    )
    svc = ReportService(
        rt.settings.reports,
        rt.settings.db.url,
        report_sources(
            rt.settings,
            rt.line,
            rt.state,
            rt.crew,
            rt.simulations,
            handover=latest_handover(rt.handovers),
        ),
        clock=rt.clock,
    )
    async with rt.crew, rt.simulations, rt.shift_log, svc:
        yield svc


def run_trips(rt: Runtime, trips: list[Trip]) -> list[float]:
    """Each trip leaves its origin ``DELAY_S`` late; the departure times, as the ledger saw."""
    plan = rt.state.plan_for(local_ms(DAY, "12:00"))[0]
    times: list[float] = []
    for tr in trips:
        t = tr.depart_s + DELAY_S
        train = f"T{1 + tr.block % 13:02d}"
        rt.state.trips.observe(train, tr.origin, tr.direction, True, plan, t - 40)
        assert rt.state.trips.observe(train, None, tr.direction, True, plan, t) == tr
        times.append(t)
    return times


def mean_gap(ts: list[float]) -> float:
    ts = sorted(ts)
    return round((ts[-1] - ts[0]) / (len(ts) - 1), 1)


async def test_report_states_the_numbers_of_its_period(tmp_path: Path) -> None:
    clock = FakeClock(local_ms(DAY, "06:00"))
    rt = build_runtime(settings(tmp_path), require_broker=False, clock=clock)
    book = rt.alarms
    plan = plan_day(rt.line, rt.line.timetable(rt.settings.state.timetable), DAY)
    trips = sorted(plan.trips, key=lambda t: t.depart_s)
    s0620, s0700, s1050, s1100 = (6 * 3600 + 1200, 7 * 3600, 10 * 3600 + 3000, 11 * 3600)

    def chatter() -> int:
        a = book.raise_alarm(
            "chatter",
            Priority.HIGH,
            "SS2",
            Message("alarm.saved_text", {"vi": "Chập chờn", "en": "Chattering"}),
        )
        assert a is not None  # annunciated: new, or returned while unacknowledged
        return a.id

    async with opened(rt) as svc:
        # --- before the 07:00 report -----------------------------------------------------
        for sid in ("D1", "D2", "D3", "D4", "D5", "D6"):
            await rt.crew.create_staff(driver(sid), actor="test")
        for e in (
            ev("D1", State.F0_ISOLATION, at("08:00", PREV), at("08:00", PREV) + timedelta(days=7)),
            ev("D4", State.F1_QUARANTINE, at("09:00", PREV) - timedelta(days=1), at("09:00")),
            ev("D5", State.LEAVE, at("00:00", PREV), at("00:00", DAY + timedelta(days=2))),
        ):
            await rt.crew.record_status(e, actor="test")
        cohort = Cohort(
            id="C1",
            name="Tổ lái 3 tại chỗ",
            members=("D3", "D6"),
            start=at("10:00"),
            planned_end=at("10:00") + timedelta(days=14),
            beds_available=4,
        )
        await rt.crew.create_cohort(cohort, actor="test")

        a0 = book.raise_alarm(
            "old:cleared",
            Priority.LOW,
            "T02",
            Message("alarm.saved_text", {"vi": "Cũ", "en": "Old"}),
        )
        assert a0 is not None
        clock.now_ms = local_ms(DAY, "06:10")
        book.clear("old:cleared")
        book.ack(a0.id, "op")
        clock.now_ms = local_ms(DAY, "06:20")
        rt.state.trips.observe("T13", "CL", Direction.OUTBOUND, True, plan, s0620)  # monitoring
        clock.now_ms = local_ms(DAY, "06:30")
        a1 = book.raise_alarm(
            "old:active",
            Priority.LOW,
            "T03",
            Message("alarm.saved_text", {"vi": "Tàu T03 mất tín hiệu", "en": "T03 stale"}),
        )
        assert a1 is not None
        clock.now_ms = local_ms(DAY, "06:45")
        chattering = chatter()
        clock.now_ms = local_ms(DAY, "06:50")
        book.clear("chatter")  # returned unacknowledged: RTN_UNACK
        early = [t for t in trips if s0620 <= t.depart_s and t.depart_s + DELAY_S < s0700]
        run_trips(rt, early)

        clock.now_ms = local_ms(DAY, "07:00")
        first = await svc.produce(
            kind=ReportKind.SCHEDULED, slot_ms=local_ms(DAY, "07:00"), actor="scheduler"
        )
        r1 = await svc.content(first.id)
        assert r1.since_ms == local_ms(PREV, "17:00")  # no report before: the previous slot
        assert r1.service is not None
        assert (r1.service.trips.planned, r1.service.trips.run, r1.service.trips.lost) == (
            len(early),
            len(early),
            0,
        )
        assert r1.service.alarms.raised == 3  # old:cleared, old:active, chatter
        assert r1.forecast is None and r1.gap("forecast") is not None
        page1 = await svc.html(first.id)
        assert "Chưa chạy dự báo giả định nào." in page1 and "No forecast run yet." in page1

        # --- the period 07:00 → 11:00 --------------------------------------------------------
        window = [t for t in trips if s0700 <= t.depart_s < s1100]
        before_1050 = [t for t in window if t.depart_s < s1050]
        lost = [before_1050[4], before_1050[11], before_1050[19]]
        ran = [t for t in before_1050 if t not in lost]
        times = run_trips(rt, ran)
        pending = [t for t in window if t.depart_s >= s1050]

        clock.now_ms = local_ms(DAY, "08:00")
        a2 = book.raise_alarm(
            "win:crit",
            Priority.CRITICAL,
            "T05",
            Message(
                "alarm.saved_text", {"vi": "Tàu T05: không có lái tàu", "en": "T05: no driver"}
            ),
        )
        clock.now_ms = local_ms(DAY, "08:30")
        await rt.crew.record_status(
            ev("D2", State.F0_ISOLATION, at("08:30"), at("08:30") + timedelta(days=7)), actor="t"
        )
        await rt.crew.record_status(
            ev("D3", State.F1_QUARANTINE, at("08:30"), at("08:30") + timedelta(days=7)), actor="t"
        )
        clock.now_ms = local_ms(DAY, "09:00")
        a3 = book.raise_alarm(
            "win:med1",
            Priority.MEDIUM,
            "track 1",
            Message("alarm.saved_text", {"vi": "Giãn cách lớn", "en": "Gap"}),
        )
        assert a3 is not None
        clock.now_ms = local_ms(DAY, "09:05")
        book.clear("win:med1")
        clock.now_ms = local_ms(DAY, "09:10")
        book.ack(a3.id, "op")
        clock.now_ms = local_ms(DAY, "09:30")
        assert chatter() == chattering  # returns: the same alarm, reactivated in the period
        clock.now_ms = local_ms(DAY, "10:00")
        a4 = book.raise_alarm(
            "win:med2",
            Priority.MEDIUM,
            "SS3",
            Message("alarm.saved_text", {"vi": "Điện áp thấp", "en": "Undervoltage"}),
        )
        assert a2 is not None and a4 is not None
        clock.now_ms = local_ms(DAY, "10:01")
        book.ack(a4.id, "op")

        clock.now_ms = local_ms(DAY, "10:10")  # a what-if finishes
        sim_task = asyncio.create_task(rt.simulations.run())
        try:
            view = await rt.simulations.submit(
                scenario_preset("baseline"), days=2, replications=2, seed=7, actor="planner1"
            )
            for _ in range(600):
                view = await rt.simulations.get(view.id)
                if view.status.finished:
                    break
                await asyncio.sleep(0.05)
            assert view.status.value == "done", view.record.error
        finally:
            sim_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sim_task
        result = json.loads(await rt.simulations.result_json(view.id) or "{}")

        clock.now_ms = local_ms(DAY, "10:30")
        book.shelve(a1.id, "op", "đang sửa / being repaired", local_ms(DAY, "12:00"))

        clock.now_ms = local_ms(DAY, "11:00")
        rt.state.field_ts_ms = clock.now_ms  # as if the trains reported until now
        second = await svc.produce(
            kind=ReportKind.SCHEDULED, slot_ms=local_ms(DAY, "11:00"), actor="scheduler"
        )

    # ---------------------------------------------------------------------------------------
    r = await _reread(rt, second.id)
    assert (r.kind, r.slot_ms, r.at_ms) == (
        ReportKind.SCHEDULED,
        local_ms(DAY, "11:00"),
        local_ms(DAY, "11:00"),
    )
    assert r.since_ms == local_ms(DAY, "07:00")  # since the previous scheduled report
    assert r.gaps == ()
    s = r.service
    assert s is not None
    t = s.trips
    assert (t.planned, t.run, t.lost, t.pending) == (len(window), len(ran), 3, len(pending))
    assert len(window) == 64 and len(pending) > 0
    assert [x.trip_id for x in t.lost_trips] == [x.id for x in lost]
    assert t.monitoring_since_ms == local_ms(DAY, "06:20")
    h = s.headway
    assert h.planned_s == 600  # the 2026 timetable: 10 minutes from 09:00 to 16:30
    by_dir = {d.direction: d for d in h.by_direction}
    for d in Direction:
        mine = [x for x in window if x.direction is d]
        ran_d = [tm for tm, x in zip(times, ran, strict=True) if x.direction is d]
        assert by_dir[int(d)].departures == len(ran_d)
        assert by_dir[int(d)].planned_mean_s == mean_gap([x.depart_s for x in mine])
        assert by_dir[int(d)].actual_mean_s == mean_gap(ran_d)

    a = s.alarms
    assert a.raised == 4  # win:crit, win:med1, chatter (returned), win:med2
    assert a.raised_by_priority == {"critical": 1, "high": 1, "medium": 2, "low": 0}
    assert a.incidents == 2
    assert a.active == 3 and a.shelved == 1  # old:active is shelved
    assert a.active_by_priority == {"critical": 1, "high": 1, "medium": 1, "low": 0}
    assert a.unacked == 2  # win:crit, chatter
    assert [x.id for x in a.top] == [a2.id, chattering, a4.id, a3.id]  # by priority, open first
    perf = a.performance  # ISA-18.2 figures over the 24 ten-minute periods of 07:00 → 11:00
    assert perf is not None and perf.periods == 24
    assert perf.periods_in_flood == 0 and perf.chattering == 0 and perf.stale == 0
    assert {c.console: c.total for c in perf.consoles} == {
        "traffic": 0, "power": 0, "crew": 0, "systems": 4  # unscoped test keys: systems
    }  # fmt: skip
    assert {n for _, _, n in perf.bad_actors} == {1}

    c = r.crew
    assert c is not None
    assert c.now.model_dump() == {
        "staff": 6,
        "f0": 2,
        "f1": 1,
        "sick": 0,
        "leave": 1,
        "on_site": 2,
        "available": 2,
    }
    assert c.before.model_dump() == {
        "staff": 6,
        "f0": 1,
        "f1": 1,
        "sick": 0,
        "leave": 1,
        "on_site": 0,
        "available": 3,
    }
    assert (c.change("f0"), c.change("f1"), c.change("on_site"), c.change("available")) == (
        1,
        0,
        2,
        -1,
    )
    assert (c.new_f0, c.new_f1) == (1, 1)
    assert set(c.by_role) == {Role.DRIVER.value} and c.by_role["driver"] == c.now

    o = r.outlook
    assert o is not None and len(o.days) == 3
    assert o.first_unstaffable == DAY  # six drivers, two of them F0: nowhere near enough
    async with rt.crew:
        _, direct = await stored_outlook(
            rt.crew,
            [(rt.line, rt.line.timetable("2026"))],
            start=DAY,
            days=3,
            as_of=at("11:00"),
        )
    for day, said in zip(direct.days, o.days, strict=True):
        shifts = shift_summaries(day.coverage)
        assert said.service_date == day.service_date
        assert said.missing == sum(x.missing for x in shifts) > 0
        assert said.required == sum(x.required for x in shifts)
        assert [x.shift_id for x in said.short_shifts] == [x.shift_id for x in shifts if x.missing]
        assert len(said.degraded) == len(day.degraded)

    f = r.forecast
    assert f is not None
    assert (f.run_id, f.scenario, f.days, f.replications, f.seed) == (view.id, "baseline", 2, 2, 7)
    assert f.finished_ms == local_ms(DAY, "10:10") and f.submitted_by == "planner1"
    assert f.trips_cancelled.p50 == result["summary"]["total"]["trips_cancelled"]["p50"]
    assert f.trips_planned.p50 == result["summary"]["total"]["trips_planned"]["p50"] > 0

    # --- the same numbers in the HTML, in both languages -----------------------------------
    async with ReportService(
        rt.settings.reports,
        rt.settings.db.url,
        report_sources(rt.settings, rt.line, rt.state, rt.crew, rt.simulations),
    ) as again:
        page = await again.html(second.id)
        pdf = await again.pdf(second.id)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page
    expect = {
        ("Chuyến theo kế hoạch trong kỳ", "Trips planned in the period"): "64",
        ("Chuyến đã chạy", "Trips run"): str(len(ran)),
        ("Chuyến bị mất", "Trips lost"): "3",
        ("Chuyến chưa đến hạn xác nhận", "Trips not yet judged"): str(len(pending)),
        ("Cảnh báo phát sinh trong kỳ", "Alarms raised in the period"): "4",
        ("Sự cố (khẩn cấp và cao)", "Incidents (critical and high)"): "2",
        ("Cảnh báo đang hoạt động", "Alarms active now"): "3",
        ("Cảnh báo dao động", "Chattering alarms"): "0",
        ("F0 mới trong kỳ", "New F0 cases in the period"): "1",
        ("F1 mới trong kỳ", "New F1 contacts in the period"): "1",
        ("Ngày đầu tiên không đủ người", "First day that cannot be staffed"): "28/05/2026",
        ("Kịch bản", "Scenario"): "baseline",
        ("Giãn cách theo biểu đồ hiện tại", "Planned headway now"): "10:00",
        ("Kỳ báo cáo", "Period"): "07:00 28/05/2026 → 11:00 28/05/2026",
    }
    for (vi, en), value in expect.items():
        assert html_fact(page, vi, en) == value, (vi, en)
    assert html_row(page, "F0 (đang cách ly)") == [
        "F0 (đang cách ly)\nF0 (isolating)",
        "1",
        "2",
        "+1",
    ]
    assert html_row(page, "Sẵn sàng làm việc") == [
        "Sẵn sàng làm việc\nAvailable for duty",
        "3",
        "2",
        "−1",
    ]
    assert html_row(page, "Làm việc 3 tại chỗ")[1:] == ["0", "2", "+2"]
    assert html_row(page, "Khẩn cấp")[1:] == ["1", "1"]
    assert html_row(page, "Trung bình")[1:] == ["2", "1"]
    assert "Tàu T05: không có lái tàu" in page and "T05: no driver" in page
    assert "Chưa chạy dự báo" not in page

    # --- and in the PDF ---------------------------------------------------------------------
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in pdf and b"+DejaVuSans" in pdf  # the Unicode font, embedded
    assert page_count(pdf) >= 2
    runs = text_runs(pdf)
    for (vi, en), value in expect.items():
        assert pdf_fact(runs, vi, en) == value, (vi, en)
    i = runs.index("F0 (đang cách ly)")
    assert runs[i : i + 5] == ["F0 (đang cách ly)", "F0 (isolating)", "1", "2", "+1"]
    assert "Tàu T05: không có lái tàu" in " ".join(runs)  # a long message wraps in its cell


async def _reread(rt: Runtime, report_id: str) -> SituationReport:
    """The report as stored, read by a fresh service (nothing kept in memory)."""
    async with ReportService(
        rt.settings.reports,
        rt.settings.db.url,
        report_sources(rt.settings, rt.line, rt.state, rt.crew, rt.simulations),
    ) as svc:
        return await svc.content(report_id)
