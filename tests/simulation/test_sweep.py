"""Sensitivity sweeps: ``--vary`` syntax, variants, one-at-a-time and factorial designs, the
ranking a planner reads (tornado chart), a sweep file, and bad input refused."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from simulation import InProcessExecutor, scenario_preset
from simulation.sweep import (
    Factor,
    SweepSpec,
    load_sweep,
    parse_vary,
    run_sweep,
    variants,
    with_value,
)
from tests.simulation.helpers import line2a

Invoke = Callable[..., tuple[int, str, str]]
FIFTY_DRIVERS_AWAY = '[{"role":"driver","count":50,"from_day":1,"to_day":1}]'


@pytest.fixture
def invoke() -> Invoke:
    runner = CliRunner()
    clean = {k: None for k in os.environ if k.startswith("METRO_")}

    def run(*args: str) -> tuple[int, str, str]:
        r = runner.invoke(app, ["simulate", *args], env={**clean, "COLUMNS": "200"})
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        return r.exit_code, r.stdout, r.stderr

    return run


def test_vary_values_are_json_or_text_and_none_clears() -> None:
    f = parse_vary('absences=[],[{"role":"driver","count":3}]')
    assert f.path == "absences" and f.values == ([], [{"role": "driver", "count": 3}])
    assert parse_vary("onsite=none,null").values == (None, None)
    assert Factor(path="onsite", values=("none",)).values == (None,)  # a file's (TOML: no null)
    assert parse_vary("incidence.doubling_days=4, 8.5").values == (4, 8.5)
    assert parse_vary("policy_overrides.f1_mode=quarantine").values == ("quarantine",)
    for bad in ("f1_mode", "=1,2", "a.b=", "a..b=1", "x=1,,2"):
        with pytest.raises(ValueError, match="--vary"):
            parse_vary(bad)


def test_a_variant_sets_one_field_and_is_validated_like_any_scenario() -> None:
    base = scenario_preset("wave-2022")
    assert with_value(base, "onsite", None).onsite is None
    assert with_value(base, "incidence.doubling_days", 4).incidence.doubling_days == 4
    q = with_value(base, "policy_overrides.f1_mode", "quarantine")
    assert q.crew_policy().f1_mode.value == "quarantine"
    no_onsite = with_value(base, "onsite", None)
    assert with_value(no_onsite, "onsite.drivers_per_cohort", 20).onsite is not None
    with pytest.raises(ValueError, match="no field 'speed'"):
        with_value(base, "speed.max", 3)
    with pytest.raises(ValueError, match="doubling_days=-1"):
        with_value(base, "incidence.doubling_days", -1)


def test_one_at_a_time_holds_the_others_at_the_base_factorial_crosses_them() -> None:
    base = scenario_preset("wave-2022")
    vary = [
        {"path": "policy_overrides.f1_mode", "values": ["quarantine", "work_under_testing"]},
        {"path": "onsite", "values": [None]},
    ]
    oat = variants(SweepSpec(scenario="wave-2022", vary=vary), base)
    assert [s for s, _ in oat][0] == {
        "policy_overrides.f1_mode": "work_under_testing",  # the preset's rule, resolved
        "onsite": base.model_dump(mode="json")["onsite"],
    }
    assert len(oat) == 1 + 2  # work_under_testing is the preset's rule: the base run itself
    fact = variants(SweepSpec(scenario="wave-2022", design="factorial", vary=vary), base)
    assert len(fact) == 2
    assert {s["policy_overrides.f1_mode"] for s, _ in fact} == {"quarantine", "work_under_testing"}
    assert all(sc.onsite is None for _, sc in fact)
    too_big = [{"path": f"incidence.{k}", "values": list(range(5))} for k in ("a", "b", "c")]
    with pytest.raises(ValueError, match="125 runs: a sweep is at most 64"):
        SweepSpec(scenario="x", design="factorial", vary=too_big)


def test_sweep_ranks_the_parameter_that_loses_trips_first(invoke: Invoke, tmp_path: Path) -> None:
    out, png = tmp_path / "sweep.json", tmp_path / "tornado.png"
    code, stdout, stderr = invoke(
        "sweep", "--scenario", "baseline", "--days", "3", "--replications", "2",
        "--vary", "demand.weekday_passengers=10000,45000",
        "--vary", f"absences=[],{FIFTY_DRIVERS_AWAY}",
        "--out", str(out), "--plot", str(png), "--workers", "1", "-q",
    )  # fmt: skip
    assert code == 0, stderr
    sweep = json.loads(out.read_text())
    ranking = sweep["ranking"]
    assert [r["path"] for r in ranking] == ["absences", "demand.weekday_passengers"]
    absences, demand = ranking
    # 50 of 60 drivers away on day 1 loses trips; ridership changes no trip
    assert absences["swing_trips_lost"] > 50 and demand["swing_trips_lost"] == 0
    labels = [v["label"] for v in absences["by_value"]]
    assert len(labels) == 2 and labels[0] == "[] (base)" and "(base)" not in labels[1]
    assert sweep["runs"][0]["trips_lost"]["mean"] == 0  # the base: baseline loses nothing
    # absences=[] is baseline's own value: the base run, not a second one
    assert len(sweep["runs"]) == 1 + 2 + 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "absences" in stdout and "4 runs" in stdout

    # the same sweep from a file gives the same JSON (and the command line adds to a file)
    spec = tmp_path / "sweep.toml"
    spec.write_text(
        'scenario = "baseline"\ndays = 3\nreplications = 2\n'
        '[[vary]]\npath = "demand.weekday_passengers"\nvalues = [10000, 45000]\n'
        f"[[vary]]\npath = \"absences\"\nvalues = [[], {FIFTY_DRIVERS_AWAY.replace(':', '=')}]\n"
        .replace('"role"=', "role=").replace('"count"=', "count=")
        .replace('"from_day"=', "from_day=").replace('"to_day"=', "to_day=")
    )  # fmt: skip
    again = tmp_path / "again.json"
    code, _, stderr = invoke("sweep", "--file", str(spec), "--out", str(again), "-q")
    assert code == 0, stderr
    assert json.loads(again.read_text()) == sweep


def test_factorial_main_effects_average_over_the_other_factors() -> None:
    spec = SweepSpec(
        scenario="baseline",
        design="factorial",
        days=2,
        replications=1,
        vary=[
            {"path": "absences", "values": [[], json.loads(FIFTY_DRIVERS_AWAY)]},
            {"path": "service.peak_duties", "values": [True, False]},
        ],
    )
    sweep = run_sweep(spec, line2a(), executor=InProcessExecutor(), workers=1)
    assert len(sweep["runs"]) == 4
    lost = {
        (json.dumps(r["settings"]["absences"]), r["settings"]["service.peak_duties"]): r[
            "trips_lost"
        ]["mean"]
        for r in sweep["runs"]
    }
    by_absence = next(r for r in sweep["ranking"] if r["path"] == "absences")["by_value"]
    none_away = (lost[("[]", True)] + lost[("[]", False)]) / 2
    assert by_absence[0]["trips_lost"] == none_away == 0


def test_sweep_refuses_bad_input_in_one_line(invoke: Invoke) -> None:
    code, _, err = invoke("sweep", "--scenario", "baseline", "--vary", "timetable=2026,1999")
    assert code == 2 and "1999" in err and "Traceback" not in err
    code, _, err = invoke("sweep", "--scenario", "baseline")
    assert code == 2 and "nothing to vary" in err
    code, _, err = invoke("sweep", "--scenario", "baseline", "--vary", "service.overtime=maybe")
    assert code == 2 and "service.overtime" in err and len(err.strip().splitlines()) == 1
    code, _, err = invoke("sweep", "--vary", "onsite=none")
    assert code == 2 and "--scenario" in err


def test_a_value_that_is_the_base_runs_once_as_the_base() -> None:
    """One at a time around wave-2022 (whose drivers and technicians live on site as
    reported): "on site as reported", written with only the fields the page sends, is the
    base's own value; the base runs once and the ranking lists it once, marked the base."""
    base = scenario_preset("wave-2022")
    reported = {"roles": ["driver", "technician"], "drivers_per_cohort": 30,
                "technicians_per_cohort": 35}  # fmt: skip
    spec = SweepSpec(
        scenario="wave-2022",
        days=2,
        replications=1,
        vary=[
            {"path": "onsite", "values": [reported, None]},
            {"path": "health.trace_probability.shift_team", "values": [0.25, 1, 0.5, 0.25]},
        ],
    )
    runs = variants(spec, base)
    # the base, on site at home, tracing 0.25 and 1 (0.5 is the base's, 0.25 said twice)
    assert len(runs) == 1 + 1 + 2
    assert len({sc.model_dump_json() for _, sc in runs}) == len(runs)
    assert runs[0][0]["onsite"] == base.model_dump(mode="json")["onsite"]
    sweep = run_sweep(spec, line2a(), executor=InProcessExecutor(), workers=1)
    assert len(sweep["runs"]) == 4
    by_path = {r["path"]: r["by_value"] for r in sweep["ranking"]}
    onsite = [b["label"] for b in by_path["onsite"]]
    assert len(onsite) == 2 and onsite[0].endswith("(base)") and onsite[1] == "none", onsite
    tracing = [b["label"] for b in by_path["health.trace_probability.shift_team"]]
    assert tracing == ["0.25", "1", "0.5 (base)"], tracing
    assert [f["values"] for f in sweep["factors"]][1] == [0.25, 1, 0.5]


def test_the_published_factorial_keeps_its_sixteen_cells() -> None:
    """simulation/README.md's table: 16 different scenarios, none taken for another."""
    spec = load_sweep(Path("simulation/data/sweeps/factorial-f1-tracing-onsite-timetable.toml"))
    runs = variants(spec, scenario_preset(str(spec.scenario)))
    assert len(runs) == 16 == len({sc.model_dump_json() for _, sc in runs})
