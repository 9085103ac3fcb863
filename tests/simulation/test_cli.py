"""``metro-ops simulate``: result JSON and band charts written, same seed same file, bad input
refused naming what is wrong, and a run from the crew database ("from today")."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from crew import CrewPolicy, State, StatusEvent, synthetic_roster
from crew.store import CrewStore

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def invoke() -> Invoke:
    runner = CliRunner()
    clean = {k: None for k in os.environ if k.startswith("METRO_")}

    def run(*args: str) -> tuple[int, str, str]:
        r = runner.invoke(app, ["simulate", *args], env={**clean, "COLUMNS": "140"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        return r.exit_code, r.stdout, r.stderr

    return run


def test_simulate_writes_result_json_and_png(invoke: Invoke, tmp_path: Path) -> None:
    out, png = tmp_path / "result.json", tmp_path / "charts" / "result.png"
    args = ["--scenario", "wave-2022", "--days", "5", "--replications", "4", "--seed", "7"]
    code, stdout, stderr = invoke(*args, "--out", str(out), "--plot", str(png), "--workers", "2")
    assert code == 0, stderr
    data = json.loads(out.read_text())
    assert (data["scenario"], data["seed"], data["replications"]) == ("wave-2022", 7, 4)
    assert len(data["days"]) == 5
    for day in data["days"]:
        for key in ("trips_planned", "trips_operated", "trips_cancelled"):
            assert set(day[key]) >= {"p10", "p50", "p90"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert "trips operated" in stdout and "4 replications, seed 7" in stdout
    assert "5 days" in stderr  # the progress bar's label

    again = tmp_path / "again.json"
    code, _, stderr = invoke(*args, "--out", str(again), "--workers", "1", "-q")
    assert code == 0, stderr
    assert again.read_bytes() == out.read_bytes()


def test_simulate_refuses_bad_input(invoke: Invoke, tmp_path: Path) -> None:
    code, _, err = invoke("--scenario", "wave-2099", "--days", "3")
    assert code == 2 and "wave-2099" in err and "presets: baseline, wave-2022" in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "bad", "incidence": {"doubling_days": -2}}))
    code, _, err = invoke("--scenario", str(bad), "--days", "3")
    assert code == 2 and "incidence.doubling_days" in err
    code, _, err = invoke("--scenario", "baseline", "--days", "0")
    assert code == 2 and "--days" in err
    code, _, err = invoke("--scenario", "baseline", "--days", "3", "--from-today")
    assert code == 2 and "--crew-db" in err


def test_simulate_from_today_reads_the_crew_database(invoke: Invoke, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"
    now = datetime.now(UTC)
    roster = synthetic_roster(2)

    async def fill() -> None:
        async with CrewStore(url) as store:
            await store.replace_roster(roster, actor="test", context="simulation test")
            await store.record_status(
                StatusEvent(
                    event_id="f0-1",
                    staff_id="D001",
                    state=State.F0_ISOLATION,
                    effective=now - timedelta(hours=1),
                    until=now + timedelta(days=7),
                    recorded_at=now,
                ),
                actor="test",
            )

    asyncio.run(fill())
    out = tmp_path / "today.json"
    code, _, err = invoke(
        "--scenario", "baseline", "--from-today", "--crew-db", url,
        "--days", "2", "--replications", "1", "--workers", "1", "-q", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["scenario_spec"]["start"] == "today"
    start = datetime.fromisoformat(data["start_date"]).date()
    local_now = now.astimezone(CrewPolicy().tz).date()
    assert start in (local_now, local_now + timedelta(days=1))
    assert data["days"][0]["states"]["driver"]["f0_isolation"]["p50"] == 1
