"""``metro-ops crew …``: generate the demo roster, export and import it, print coverage."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def invoke(tmp_path: Path) -> Invoke:
    db = f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"
    runner = CliRunner()
    clean = {k: None for k in os.environ if k.startswith("METRO_")}

    def run(*args: str) -> tuple[int, str, str]:
        r = runner.invoke(app, list(args), env={**clean, "METRO_DB_URL": db, "COLUMNS": "140"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        return r.exit_code, r.stdout, r.stderr

    return run


def test_generate_export_import_round_trip(invoke: Invoke, tmp_path: Path) -> None:
    code, out, err = invoke("crew", "generate-roster", "--seed", "4")
    assert code == 0, err
    assert "160 staff" in out
    code, out, _ = invoke("crew", "generate-roster", "--seed", "4")
    assert code == 0 and "already" in out
    code, _, err = invoke("crew", "generate-roster", "--seed", "5")
    assert code == 1 and "--force" in err

    exported = tmp_path / "roster.csv"
    code, _, err = invoke("crew", "export", str(exported))
    assert code == 0, err
    rows = exported.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 161 and rows[0].startswith("id,name,role")
    drivers = [r for r in rows if r.startswith("D")]
    assert len(drivers) == 60 and sum(",yes," in r.split(",driver,")[1][:5] for r in drivers) == 14

    bad = tmp_path / "bad.csv"
    edited = [*rows]
    edited[1] = edited[1].replace(",occ_operator,", ",boss,")
    edited.append("N1,New Person,driver,,no,2a,yes,yes,line_licence:2a:31/12/2030,")
    bad.write_text("\n".join(edited), encoding="utf-8")
    code, _, err = invoke("crew", "import", str(bad))
    assert code == 1
    assert "line 2 (C001): role:" in err and "line 162 (N1): qualifications:" in err
    assert "nothing imported" in err

    good = tmp_path / "good.csv"
    good.write_text("\n".join([*rows, "N1,New Person,driver,,no,2a,yes,yes,,"]), encoding="utf-8")
    code, out, err = invoke("crew", "import", str(good), "--user", "lan")
    assert code == 0, err
    assert "1 created, 0 updated, 0 deleted" in out


def test_coverage_prints_shortfall_and_capacity_tables(invoke: Invoke) -> None:
    code, out, _ = invoke("crew", "coverage", "--days", "1", "--from", "2030-01-02")
    assert code == 0 and "roster is empty" in out
    assert "driver" in out and "no service" in out

    assert invoke("crew", "generate-roster")[0] == 0
    day = date.today() + timedelta(days=2)
    while day.weekday() != 2:  # a Wednesday: the weekday timetable
        day += timedelta(days=1)
    code, out, err = invoke("crew", "coverage", "--days", "2", "--from", day.isoformat())
    assert code == 0, err
    assert "Shortfall by day and shift" in out and "Crew-constrained capacity" in out
    for shift in ("early", "late", "tech_night", "occ_day"):
        assert shift in out
    assert "am_peak" in out and "6 min" in out
    assert f"Every essential duty is staffed through {day + timedelta(days=1)}" in out

    code, _, err = invoke("crew", "coverage", "--from", "tomorrow")
    assert code == 2 and "YYYY-MM-DD" in err
