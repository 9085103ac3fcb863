"""``metro-ops crew …``: generate the demo roster, export and import it, print coverage."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
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


def test_import_refuses_a_short_row_and_keeps_the_columns_a_file_leaves_out(
    invoke: Invoke, tmp_path: Path
) -> None:
    assert invoke("crew", "generate-roster", "--seed", "4")[0] == 0
    exported = tmp_path / "roster.csv"
    assert invoke("crew", "export", str(exported))[0] == 0
    before = exported.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(before)))
    d011 = next(r for r in rows if r[0] == "D011")
    assert d011[8] and d011[9], "D011 has qualifications and groups to lose"

    # a row cut short (the tester's): an error naming the line, nothing imported
    short = tmp_path / "short.csv"
    short.write_text(f"{','.join(rows[0])}\n{','.join(d011[:5])}\n", encoding="utf-8")
    code, _, err = invoke("crew", "import", str(short))
    assert code == 1 and "line 2 (D011)" in err and "fewer cells than columns" in err

    # files without `groups`, or without `qualifications,groups`: those stay as they are
    for keep in (9, 8):
        part = tmp_path / f"first{keep}.csv"
        with part.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(r[:keep] for r in rows)
        code, out, err = invoke("crew", "import", str(part))
        assert code == 0, err
        assert "0 created, 0 updated, 0 deleted" in out

    again = tmp_path / "again.csv"
    assert invoke("crew", "export", str(again))[0] == 0
    assert again.read_text(encoding="utf-8") == before


def test_a_stored_row_that_cannot_be_read_is_reported_not_a_crash(
    invoke: Invoke, tmp_path: Path
) -> None:
    assert invoke("crew", "generate-roster", "--seed", "4")[0] == 0
    # a cohort as an earlier version saved it: its start before year 1 in UTC
    with sqlite3.connect(tmp_path / "metro.db") as db:
        db.execute(
            "INSERT INTO crew_cohort VALUES ('C4', 'Cohort 4', '[\"D003\"]', ?, ?, 10, 1, 0)",
            (-62135622000000000, 253402257600000000),
        )
    out_file = tmp_path / "roster.csv"
    code, _, err = invoke("crew", "export", str(out_file))
    assert code == 0, err
    assert "1 stored crew record(s) cannot be read" in err and "cohort C4" in err
    assert len(out_file.read_text(encoding="utf-8").splitlines()) == 161
    code, out, err = invoke("crew", "coverage", "--days", "1", "--from", "2030-01-02")
    assert code == 0, err
    assert "cohort C4" in err and "Shortfall by day and shift" in out


def test_report_refuses_an_instant_outside_the_crew_range(invoke: Invoke, tmp_path: Path) -> None:
    for at in ("9999-12-31T00:00:00", "0001-01-01T00:00:00+07:00"):
        code, _, err = invoke("report", "--at", at, "--out", str(tmp_path))
        assert code == 1, err
        assert "--at must be between 2000-01-01" in err
    assert list(tmp_path.glob("*.pdf")) == [] and list(tmp_path.glob("*.html")) == []
