"""Situation reports over real HTTP (uvicorn on a free port, real SQLite), and the CLI.

Proves: operators, crew managers and admins make a report on demand, planners may not (403)
and nobody anonymous may read (401); the list shows every report newest first with headline
numbers and links; the HTML opens inline and the PDF downloads as an attachment, both named
after the report's time; unknown ids answer 404; making one is audited; a freshly started
server does not make a catch-up report before the live state had time to fill.
``metro-ops report`` makes a report offline from the database (crew facts, no live service
section), stores it and writes HTML and/or PDF; with ``--server`` it has a running server make
the complete report and downloads it.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from crew import State, StatusEvent
from crew.store import CrewStore
from reports.store import ReportStore
from tests.api.authkit import TOKENS, bearer, serving
from tests.api.pdftext import text_runs
from tests.api.reportkit import HANOI, html_fact, html_row, settings
from tests.crew.builders import driver

TITLE = "Báo cáo tình hình vận hành — Tuyến 2A Cát Linh – Hà Đông"


async def test_make_list_download_and_who_may(tmp_path: Path) -> None:
    s = settings(tmp_path, catch_up_delay_s=120)  # the default schedule, as in production
    async with serving(s) as served, served.client() as http:
        assert (await http.get("/api/reports")).status_code == 401
        assert (await http.post("/api/reports")).status_code == 401
        r = await http.post("/api/reports", headers=bearer("planner"))
        assert r.status_code == 403 and r.json()["detail"]["code"] == "auth.forbidden"
        # said in the UI's language, roles by their names (Vietnamese by default)
        assert r.json()["detail"]["message"] == (
            "planner-bot có vai trò Kế hoạch; việc này cần vai trò "
            "Quản trị, Quản lý tổ lái hoặc Điều độ viên"
        )
        r = await http.post("/api/reports", headers={**bearer("planner"), "Accept-Language": "en"})
        assert r.json()["detail"]["message"] == (
            "planner-bot has the planner role; this needs the "
            "administrator, crew manager or operator role"
        )

        made = []
        for role in ("operator", "crew_manager"):
            r = await http.post("/api/reports", headers=bearer(role))
            assert r.status_code == 201, r.text
            body = r.json()
            assert r.headers["location"] == f"/api/reports/{body['id']}"
            assert body["kind"] == "on_demand" and body["created_by"] == f"{role}-bot ({role})"
            made.append(body)

        r = await http.get("/api/reports", headers=bearer("planner"))
        assert r.status_code == 200
        listed = r.json()
        assert [x["id"] for x in listed] == [made[1]["id"], made[0]["id"]]  # newest first
        first = listed[1]
        assert first["links"] == {
            "html": f"/api/reports/{first['id']}.html",
            "pdf": f"/api/reports/{first['id']}.pdf",
        }
        assert first["summary"]["trips_run"] == 0 and first["summary"]["f0"] == 0
        assert first["webhook"]["status"] == "off"

        when = datetime.fromtimestamp(first["at_ms"] / 1000, HANOI)
        stem = f"bao-cao-tinh-hinh-{when:%Y%m%d-%H%M}-{first['id'][:8]}"
        r = await http.get(first["links"]["html"], headers=bearer("planner"))
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert r.headers["content-disposition"] == f'inline; filename="{stem}.html"'
        page = r.text
        assert TITLE in page
        assert html_fact(page, "Chuyến đã chạy", "Trips run") == "0"  # live, if quiet
        assert html_row(page, "F0 (đang cách ly)")[1:] == ["0", "0", "0"]
        assert "Chưa chạy dự báo giả định nào." in page

        r = await http.get(first["links"]["pdf"], headers=bearer("operator"))
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"] == f'attachment; filename="{stem}.pdf"'
        assert r.content.startswith(b"%PDF-") and len(r.content) == first["pdf_bytes"]
        assert TITLE in text_runs(r.content)

        r = await http.get(f"/api/reports/{first['id']}", headers=bearer("admin"))
        assert r.status_code == 200
        content = r.json()["content"]
        assert content["kind"] == "on_demand" and content["at_ms"] == first["at_ms"]
        assert content["service"]["trips"]["run"] == 0

        for path in ("nope", "nope.html", "nope.pdf"):
            r = await http.get(f"/api/reports/{path}", headers=bearer("operator"))
            assert r.status_code == 404, path

        r = await http.get("/api/audit", params={"action": "report"}, headers=bearer("admin"))
        assert r.status_code == 200, r.text
        entries = r.json()["entries"]
        assert sorted(e["detail"]["id"] for e in entries if e["action"] == "report.make") == sorted(
            m["id"] for m in made
        )
        # two minutes have not passed since the start: no catch-up report was made
        assert all(x["kind"] == "on_demand" for x in listed)


def _seed_crew(db_url: str) -> None:
    async def seed() -> None:
        async with CrewStore(db_url) as crew:
            for sid in ("D1", "D2", "D3"):
                await crew.create_staff(driver(sid), actor="test")
            start = datetime(2026, 5, 28, 8, 0, tzinfo=HANOI)
            await crew.record_status(
                StatusEvent(
                    event_id="D2-f0",
                    staff_id="D2",
                    state=State.F0_ISOLATION,
                    effective=start,
                    until=start + timedelta(days=7),
                    recorded_at=start,
                ),
                actor="test",
            )

    asyncio.run(seed())


def _invoke(db_url: str, *args: str) -> tuple[int, str, str]:
    clean = {k: None for k in os.environ if k.startswith("METRO_")}
    r = CliRunner().invoke(app, ["report", *args], env={**clean, "METRO_DB_URL": db_url})
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def test_cli_makes_an_offline_report(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"
    _seed_crew(db)
    out = tmp_path / "out"
    code, stdout, stderr = _invoke(db, "--at", "2026-05-28T11:00", "--out", str(out))
    assert code == 0, stderr
    rid = re.search(r"report ([0-9a-f]{32})", stdout).group(1)  # type: ignore[union-attr]
    assert "f0=1" in stdout and "available=2" in stdout
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"bao-cao-tinh-hinh-20260528-1100-{rid[:8]}.{x}" for x in ("html", "pdf")]
    page = (out / files[0]).read_text(encoding="utf-8")
    assert TITLE in page
    assert "Không có dữ liệu vận hành trực tiếp" in page and "No live service data" in page
    assert html_row(page, "F0 (đang cách ly)")[1:] == ["0", "1", "+1"]  # since 07:00
    assert html_fact(page, "Kỳ báo cáo", "Period") == "07:00 28/05/2026 → 11:00 28/05/2026"
    pdf = (out / files[1]).read_bytes()
    assert pdf.startswith(b"%PDF-") and "3. Nhân sự / Crew" in text_runs(pdf)

    async def stored() -> list[tuple[str, str]]:
        async with ReportStore(db) as store:
            return [(r.id, r.kind.value) for r in await store.list()]

    assert asyncio.run(stored()) == [(rid, "offline")]

    code, _, stderr = _invoke(db, "--format", "pdf", "--out", str(tmp_path / "only"))
    assert code == 0, stderr
    assert [p.suffix for p in (tmp_path / "only").iterdir()] == [".pdf"]

    code, _, stderr = _invoke(db, "--at", "yesterday-ish")
    assert code == 1 and "error:" in stderr
    code, _, stderr = _invoke(db, "--server", "http://127.0.0.1:9")
    assert code == 1 and "--token" in stderr


async def test_cli_asks_a_running_server(tmp_path: Path) -> None:
    s = settings(tmp_path, times=[])
    out = tmp_path / "from-server"
    async with serving(s) as served, served.client() as http:
        env = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")}
        env["METRO_API_TOKEN"] = TOKENS["crew_manager"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli.main",
            "report",
            "--server",
            served.base_url,
            "--format",
            "html",
            "--out",
            str(out),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(90):
            stdout, stderr = await proc.communicate()
        assert proc.returncode == 0, stderr.decode()
        listed = (await http.get("/api/reports", headers=bearer("operator"))).json()
    assert len(listed) == 1 and listed[0]["created_by"] == "crew_manager-bot (crew_manager)"
    files = list(out.iterdir())
    assert [f.suffix for f in files] == [".html"] and listed[0]["id"][:8] in files[0].name
    page = files[0].read_text(encoding="utf-8")
    assert html_fact(page, "Chuyến đã chạy", "Trips run") == "0"  # the live section is there
    assert f"report {listed[0]['id']}" in stdout.decode()
