"""Situation reports carry headway regularity: EWT, bunching and gaps from the departures the
Marey recorder saw, in the stored facts, the HTML and the PDF."""

from __future__ import annotations

from pathlib import Path

from line import load_line
from reports.model import ReportKind
from reports.service import ReportService
from services.runtime import build_runtime, report_sources
from simulation import InProcessExecutor
from tests.api.authkit import FakeClock
from tests.api.pdftext import text_runs
from tests.api.reportkit import DAY, html_fact, html_row, local_ms, pdf_fact, settings
from whatif.service import SimulationService


async def test_report_states_excess_wait_bunching_and_gaps(tmp_path: Path) -> None:
    clock = FakeClock(local_ms(DAY, "08:40"))
    rt = build_runtime(settings(tmp_path), require_broker=False, clock=clock)
    line = load_line()
    ch = {s.id: s.chainage_m for s in line.stations}

    def run(train: str, start_s: int, hold_s: int) -> None:
        """Cát Linh → La Thành → Thái Hà on track 1, standing 30 s (plus a hold at La Thành)."""
        t = start_s
        for a, b in (("CL", "LT"), ("LT", "TH")):
            for _ in range(30 + (hold_s if a == "LT" else 0)):
                rt.paths.observe(train, local_ms(DAY, "00:00") + t * 1000, ch[a], 1, "ATO", 0.0)
                t += 1
            x = ch[a]
            while x < ch[b]:
                rt.paths.observe(train, local_ms(DAY, "00:00") + t * 1000, x, 1, "ATO", 36.0)
                x += 15.0
                t += 1
        rt.paths.observe(train, local_ms(DAY, "00:00") + t * 1000, ch["TH"], 1, "ATO", 0.0)

    # 6-minute peak departures from 08:00; T02 held 5 minutes at La Thành
    eight = 8 * 3600
    run("T01", eight, 0)
    run("T02", eight + 360, 300)
    run("T03", eight + 720, 0)

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
            paths=rt.paths,
            planned_paths=rt.planned_paths,
        ),
        clock=rt.clock,
    )
    async with rt.crew, rt.simulations, svc:
        made = await svc.produce(kind=ReportKind.ON_DEMAND, slot_ms=None, actor="op")
        r = await svc.content(made.id)
        assert r.service is not None and r.service.regularity is not None
        reg = r.service.regularity
        both = next(d for d in reg.day if d.direction == 0)
        # at La Thành: 11 min (gap) then 1 min (bunching); at Cát Linh and Thái Hà: on time
        assert (both.bunching, both.gaps) == (1, 1)
        assert both.ewt_s is not None and both.ewt_s > 60
        assert [h.hour for h in reg.hours] == [8]
        page = await svc.html(made.id)
        assert html_fact(page, "Dồn tàu từ đầu ngày", "Bunching today") == "1"
        assert html_fact(page, "Giãn cách lớn từ đầu ngày", "Gaps today") == "1"
        ewt = html_fact(page, "EWT từ đầu ngày, cả hai chiều", "EWT today, both directions")
        assert ewt.startswith("+") and ewt.endswith(")")
        assert "Dồn tàu: giãn cách dưới 50% kế hoạch" in page
        row = html_row(page, "08:00–09:00")
        assert row[1:] == [str(both.headways), ewt.split(" ")[0], "1", "1"]
        runs = text_runs(await svc.pdf(made.id))
        assert pdf_fact(runs, "Giãn cách lớn từ đầu ngày", "Gaps today") == "1"
        assert pdf_fact(runs, "EWT từ đầu ngày, cả hai chiều", "EWT today, both directions") == ewt
