"""Calibration: the crew record exports observed days (absences by role at the 03:00 plan,
trips merged from the operator's figures), a scenario's fit is measured against them (MAE
checked by hand), and the incidence multiplier that made a set of days is found again."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from crew import CrewPolicy, State, StatusEvent, synthetic_roster
from crew.store import CrewStore
from simulation import InProcessExecutor, scenario_preset
from simulation.calibrate import calibrate, scaled
from simulation.observed import ROLES, ObservedDay, ObservedError, parse_observed
from simulation.runner import run_whatif
from tests.simulation.helpers import line2a

Invoke = Callable[..., tuple[int, str, str]]
FIRST = date(2026, 3, 2)


@pytest.fixture
def invoke(tmp_path: Path) -> Invoke:
    db = f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"
    runner = CliRunner()
    clean = {k: None for k in os.environ if k.startswith("METRO_")}

    def run(*args: str) -> tuple[int, str, str]:
        r = runner.invoke(app, list(args), env={**clean, "METRO_DB_URL": db, "COLUMNS": "160"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        return r.exit_code, r.stdout, r.stderr

    return run


def _event(eid: str, who: str, state: State, day: int, days: int) -> StatusEvent:
    tz = CrewPolicy().tz
    start = datetime.combine(FIRST + timedelta(days=day), time(1, 0), tzinfo=tz)
    return StatusEvent(
        event_id=eid,
        staff_id=who,
        state=state,
        effective=start,
        until=start + timedelta(days=days),
        recorded_at=start,
    )


def test_crew_record_exports_observed_days_and_a_scenario_is_scored(
    invoke: Invoke, tmp_path: Path
) -> None:
    db = tmp_path / "metro.db"
    roster = synthetic_roster(1)
    driver = next(p.id for p in roster.staff if p.role.value == "driver")
    tech = next(p.id for p in roster.staff if p.role.value == "technician")

    async def fill() -> None:
        async with CrewStore(f"sqlite+aiosqlite:///{db}") as store:
            await store.replace_roster(roster, actor="test", context="calibration test")
            # F0 from day 1 for 2 days, F1 on day 2 for one day (absent at day 2's 03:00 plan)
            await store.record_status(_event("a", driver, State.F0_ISOLATION, 1, 2), actor="t")
            await store.record_status(_event("b", tech, State.F1_QUARANTINE, 2, 1), actor="t")

    asyncio.run(fill())
    trips = tmp_path / "trips.csv"
    trips.write_text("date,trips_operated\n2026-03-02,300\n2026-03-04,0\n")
    out = tmp_path / "observed.csv"
    code, _, err = invoke(
        "crew", "export-observed", str(out), "--from", "2026-03-02", "--to", "2026-03-05",
        "--trips", str(trips),
    )  # fmt: skip
    assert code == 0, err
    assert out.read_text().splitlines() == [
        "date,driver_absent,technician_absent,occ_operator_absent,trips_operated",
        "2026-03-02,0,0,0,300",
        "2026-03-03,1,0,0,",
        "2026-03-04,1,1,0,0",
        "2026-03-05,1,0,0,",  # an F0 is out until a negative release test is recorded
    ]

    # baseline (nobody absent — no training days either — every trip run) against those
    # days, measured by hand
    spec = scenario_preset("baseline").model_dump(mode="json")
    spec["training"] = {"renew": False}
    scenario_file = tmp_path / "baseline.json"
    scenario_file.write_text(json.dumps(spec))
    report = tmp_path / "fit.json"
    code, stdout, err = invoke(
        "simulate", "calibrate", "--observed", str(out), "--scenario", str(scenario_file),
        "--no-fit", "--replications", "1", "--workers", "1", "-q", "--out", str(report),
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(report.read_text())
    given = data["as_given"]
    assert data["first_day"] == "2026-03-02" and data["days"] == 4 and data["fitted"] is None
    assert given["mae_absent"] == {
        "driver": 0.75,  # (0 + 1 + 1 + 1) / 4
        "technician": 0.25,
        "occ_operator": 0.0,
        "total": 1.0,
    }
    planned = [d["trips_operated"]["model"] for d in data["per_day"]]
    assert given["days_with_trips"] == 2
    assert given["mae_trips"] == pytest.approx((abs(planned[0] - 300) + planned[2]) / 2)
    assert "as given" in stdout and "0.75" in stdout and "1.00" in stdout


def test_observed_csv_is_checked_line_by_line() -> None:
    head = "date,driver_absent,technician_absent,occ_operator_absent,trips_operated\n"
    with pytest.raises(ObservedError, match="missing column"):
        parse_observed("date,driver_absent\n2026-03-02,1\n")
    with pytest.raises(ObservedError, match="line 3: 2026-03-04 does not follow 2026-03-02"):
        parse_observed(head + "2026-03-02,0,0,0,1\n2026-03-04,0,0,0,1\n")
    with pytest.raises(ObservedError, match="line 2: driver_absent is negative"):
        parse_observed(head + "2026-03-02,-1,0,0,1\n")
    with pytest.raises(ObservedError, match="no days"):
        parse_observed(head)


def test_fit_finds_the_incidence_multiplier_that_made_the_days_again() -> None:
    sc = scenario_preset("wave-2022")
    # "observed": the model's own daily means with the wave three times as high, another seed
    truth = run_whatif(scaled(sc, 3.0), 21, 12, 99, executor=InProcessExecutor(), line=line2a())
    observed = [
        ObservedDay(
            date.fromisoformat(d["date"]),
            {
                r: round(
                    sum(
                        d["states"][r.value][s]["mean"]
                        for s in ("f0_isolation", "f1_quarantine", "leave")
                    )
                )
                for r in ROLES
            },
            round(d["trips_operated"]["mean"]),
        )
        for d in truth.days
    ]
    report = calibrate(
        sc, observed, line2a(), replications=12, seed=7, steps=5,
        executor=InProcessExecutor(), workers=1,
    )  # fmt: skip
    assert report.fitted is not None
    assert 2.0 < report.fitted.multiplier < 4.5
    assert report.fitted.mae_absent["total"] < report.as_given.mae_absent["total"] / 2
    with pytest.raises(ValueError, match="no community incidence"):
        calibrate(scenario_preset("baseline"), observed, line2a(), replications=1)
