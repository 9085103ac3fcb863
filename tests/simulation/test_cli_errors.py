"""``metro-ops simulate`` (and its neighbours ``audit prune``, ``report``) says what is wrong in
one line per problem and exits 2 — no traceback, and before any simulation runs, so nothing
is computed and lost or written half-way; a crew database is the one asked for, never a new
empty one made by a typo; the summary is in the language asked for, dates as dd/mm.

The real commands, through the project's CLI runner (an exception escaping a command fails
the test with it).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import dask
import distributed  # noqa: F401  (its config defaults, before dask.config.set below)
import pytest
from typer.testing import CliRunner

from cli.main import app
from crew import synthetic_roster
from crew.store import CrewStore
from tests.simulation.test_cli import Invoke, invoke  # noqa: F401  (the CLI runner fixture)

SMALL = ("--days", "2", "--replications", "1", "--workers", "1", "-q")


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err and "errors.pydantic.dev" not in err, err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), err
    return err


def test_outputs_that_cannot_be_written_are_refused_before_the_run(
    invoke: Invoke,  # noqa: F811
    tmp_path: Path,
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    for option, path in (("--out", afile / "r.json"), ("--plot", afile / "charts" / "r.png")):
        started = time.perf_counter()
        code, out, err = invoke("--scenario", "baseline", *SMALL, option, str(path))
        err = one_line_error(code, err)
        assert f"{option} {path}" in err and "is a file, not a folder" in err
        assert out == ""  # nothing simulated, no summary printed
        assert time.perf_counter() - started < 30
    # a plot file whose extension is no image format: which ones work
    code, out, err = invoke("--scenario", "baseline", *SMALL, "--plot", str(tmp_path / "x.txt"))
    err = one_line_error(code, err)
    assert ".txt extension is no image format" in err and ".png" in err and ".svg" in err
    assert not (tmp_path / "x.txt").exists()
    # the sweep and the calibration alike
    code, _, err = invoke(
        "sweep", "--scenario", "baseline", "--vary", "onsite=none", "--out", str(afile / "s.json")
    )
    assert "--out" in one_line_error(code, err)
    observed = tmp_path / "observed.csv"
    observed.write_text("date,driver_absent,technician_absent,occ_operator_absent\n")
    code, _, err = invoke(
        "calibrate", "--observed", str(observed), "--scenario", "baseline",
        "--fitted-scenario", str(afile / "fit.json"),
    )  # fmt: skip
    assert "--fitted-scenario" in one_line_error(code, err)


def test_bad_dask_addresses_say_so(invoke: Invoke) -> None:  # noqa: F811
    code, out, err = invoke("--scenario", "baseline", *SMALL, "--dask", "bogus")
    err = one_line_error(code, err)
    assert "--dask bogus" in err and "tcp://host:8786" in err and out == ""
    # nothing listens on port 1: the connection times out (shortened here from Dask's 30 s;
    # distributed is imported above, so leaving the block restores its config, not drops it)
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code, out, err = invoke("--scenario", "baseline", *SMALL, "--dask", "tcp://127.0.0.1:1")
    err = one_line_error(code, err)
    assert "could not connect to a Dask scheduler" in err and "tcp://127.0.0.1:1" in err


def _crew_db(path: Path, with_roster: bool) -> None:
    async def fill() -> None:
        async with CrewStore(f"sqlite+aiosqlite:///{path}") as store:
            if with_roster:
                await store.replace_roster(synthetic_roster(2), actor="test", context="test")

    asyncio.run(fill())


def test_crew_database_urls(invoke: Invoke, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "metro.db"
    _crew_db(db, with_roster=True)
    out = tmp_path / "today.json"
    # the URL the README documents (the server's db.url form): the async driver is added
    code, _, err = invoke(
        "--scenario", "baseline", "--from-today", "--crew-db", f"sqlite:///{db}", *SMALL,
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out.read_text())["scenario_spec"]["start"] == "today"

    # a typo in the path: refused, and no empty database is left behind
    typo = tmp_path / "x" / "typo.db"
    code, out_text, err = invoke(
        "--scenario", "baseline", "--from-today", "--crew-db", f"sqlite+aiosqlite:///{typo}",
        *SMALL,
    )  # fmt: skip
    err = one_line_error(code, err)
    assert f"no crew database at {typo}" in err and out_text == ""
    assert not typo.exists() and not typo.parent.exists()

    # a database without staff: refused rather than "every trip lost"
    empty = tmp_path / "empty.db"
    _crew_db(empty, with_roster=False)
    code, out_text, err = invoke(
        "--scenario", "baseline", "--from-today", "--crew-db", f"sqlite:///{empty}", *SMALL
    )
    err = one_line_error(code, err)
    assert "the crew record has no staff" in err and out_text == ""

    for url, words in (
        ("bogus://x", "unsupported database 'bogus'"),
        ("sqlite+pysqlite:///x.db", "is synchronous"),
        ("not a url", "not a database URL"),
    ):
        code, _, err = invoke("--scenario", "baseline", "--from-today", "--crew-db", url, *SMALL)
        assert words in one_line_error(code, err), err


def test_scenario_file_errors_one_line_per_field_and_quotes_kept(
    invoke: Invoke,  # noqa: F811
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nstart_date = "2026-02-30"\n[incidence]\ndoubling_days = -1\n')
    code, _, err = invoke("--scenario", str(bad), *SMALL)
    err = one_line_error(code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("error: start_date: ") and "day value" in lines[0]
    assert lines[1] == "error: incidence.doubling_days: Input should be greater than 0"

    code, _, err = invoke("--scenario", "nonexist.toml", *SMALL)
    assert "no preset or file 'nonexist.toml';" in one_line_error(code, err)
    code, _, err = invoke("--scenario", "baseline", "--line", "nonexist.toml", *SMALL)
    assert "error: nonexist.toml: No such file or directory" in one_line_error(code, err)
    code, _, err = invoke(
        "sweep", "--scenario", "baseline", "--vary", "nosuch=1", "--days", "2", "-q"
    )
    assert "a scenario has no field 'nosuch'" in one_line_error(code, err)


def test_a_huge_mtbf_runs_with_no_failures(invoke: Invoke, tmp_path: Path) -> None:  # noqa: F811
    sc = tmp_path / "reliable.toml"
    sc.write_text('name = "reliable"\n[fleet]\nfailures = true\nmtbf_h = 1e308\n')
    out = tmp_path / "r.json"
    code, _, err = invoke("--scenario", str(sc), *SMALL, "--out", str(out))
    assert code == 0, err
    days = json.loads(out.read_text())["days"]
    assert all(d["cancelled"]["fleet"]["p90"] == 0 for d in days)
    code, _, err = invoke(
        "sweep", "--scenario", str(sc), "--vary", "onsite=none", "--days", "2",
        "--replications", "1", "--workers", "1", "-q",
    )  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_summary_speaks_the_language_asked_for(
    invoke: Invoke,  # noqa: F811
    lang: str,
) -> None:
    code, out, err = invoke(
        "--scenario", "cohort-outbreak", "--days", "14", "--replications", "1", "--workers",
        "1", "-q", "--lang", lang,
    )  # fmt: skip
    assert code == 0, err
    assert "± None" not in out and "1 replications" not in out
    assert "2022-" not in out, "ISO dates are not for planners"
    if lang == "en":
        assert "14 days from 07/02/2022" in out and "1 replication, seed 7" in out
        assert "trips planned" in out and "The full timetable: first day lost" in out
        assert "(one replication: no margin yet)" in out
        assert "of 3,112 (p50" in out and "│ 3,112 │" in out
    else:
        assert "14 ngày từ 07/02/2022" in out and "1 lần chạy, seed 7" in out
        assert "chuyến theo kế hoạch" in out and "ngày đầu mất biểu đồ chạy tàu" in out
        for english in ("trips planned", "figure", "replication", "headline", "days from"):
            assert english not in out, english
        assert "/3.112 (p50" in out  # 3,112 trips planned, as Vietnamese writes it: 3.112
        assert "│ 3.112 │" in out
    # the first day the timetable was lost: a date (dd/mm), not a day index
    lost_row = next(line for line in out.splitlines() if "(100%" in line)
    assert "/02" in lost_row, lost_row


def test_audit_prune_and_report_refuse_impossible_options(tmp_path: Path) -> None:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("METRO_")}
    env = clean | {"METRO_DB_URL": f"sqlite:///{tmp_path / 'metro.db'}"}
    runner = CliRunner()
    r = runner.invoke(
        app, ["audit", "prune", "--older-than-days", "1000000", "--export", "x.jsonl"], env=env
    )
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    err = one_line_error(r.exit_code, r.stderr)
    assert "--older-than-days 1000000" in err and "at most" in err

    afile = tmp_path / "afile"
    afile.write_text("")
    r = runner.invoke(app, ["report", "--out", str(afile / "reports")], env=env)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    err = one_line_error(r.exit_code, r.stderr)
    assert f"--out {afile / 'reports'}" in err and "is a file, not a folder" in err
