"""Every assumption is sourced or labelled, served with each result, and the README's table is
the one the code builds."""

from __future__ import annotations

import json
from pathlib import Path

from simulation import InProcessExecutor, build_setup, run_setup, scenario_preset
from simulation.assumptions import assumptions, markdown
from tests.simulation.helpers import line2a

README = Path(__file__).parents[2] / "simulation" / "README.md"


def _resolve(data: dict[str, object], path: str) -> bool:
    node: object = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def test_every_row_has_a_source_and_its_parameter_exists() -> None:
    for name in ("baseline", "backtest-2022", "backtest-2022-cohort-outbreak"):
        sc = scenario_preset(name)
        rows = assumptions(build_setup(sc, line2a(), 7))
        assert len(rows) >= 50
        spec = sc.model_dump(mode="json")
        for r in rows:
            assert r.value != "" and r.source.strip(), r
            if r.parameter is None or r.parameter.startswith("policy_overrides."):
                continue  # crew-policy fields: checked below
            assert _resolve(spec, r.parameter) or spec.get(r.parameter.split(".")[0]) is None, r
        policy = sc.crew_policy().model_dump()
        for r in rows:
            if r.parameter and r.parameter.startswith("policy_overrides."):
                assert r.parameter.split(".", 1)[1] in policy, r
    # the back-test's dated rules are rows, each with its document
    rows = assumptions(build_setup(scenario_preset("backtest-2022"), line2a(), 7))
    dated = [r for r in rows if r.section == "rules by date"]
    assert [r.name for r in dated] == ["from 2021-12-16", "from 2022-01-31", "from 2022-02-21"]
    assert "762/BYT-DP" in dated[-1].source and "NOT verified" in dated[1].source


def test_each_result_carries_the_assumptions_of_its_run() -> None:
    setup = build_setup(scenario_preset("backtest-2022"), line2a(), 2)
    data = json.loads(run_setup(setup, 2, 1, executor=InProcessExecutor(), workers=1).to_json())
    got = {(r["section"], r["name"]): r for r in data["assumptions"]}
    assert got[("line", "timetable")]["value"] == "2021"
    assert got[("line", "weekday passengers")]["value"] == "10000"
    assert got[("wave", "reported cases")]["parameter"] == "incidence.series"


def test_the_readme_shows_the_table_the_code_builds() -> None:
    table = markdown(assumptions(build_setup(scenario_preset("baseline"), line2a(), 7)))
    text = README.read_text()
    start = "<!-- assumptions:baseline:start -->\n"
    end = "<!-- assumptions:baseline:end -->"
    assert text[text.index(start) + len(start) : text.index(end)] == table, (
        "simulation/README.md is out of date: paste `python -m simulation.assumptions baseline`"
    )
