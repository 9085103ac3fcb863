"""Scenarios are validated data: presets load, files round-trip, bad data names its field."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from crew import F1Mode, Role
from simulation import (
    PRESETS,
    load_scenario,
    resolve_scenario,
    scenario_from_data,
    scenario_preset,
)


def test_the_presets_load_and_say_what_they_are() -> None:
    assert PRESETS[:5] == ("baseline", "wave-2022", "no-on-site", "doubling-4d", "cohort-outbreak")
    assert {p for p in PRESETS if p.startswith("backtest-2022")} == {
        "backtest-2022",
        "backtest-2022-no-on-site",
        "backtest-2022-doubling-4d",
        "backtest-2022-cohort-outbreak",
    }
    got = {name: scenario_preset(name) for name in PRESETS}
    assert all(sc.name == name and sc.description for name, sc in got.items())
    base = got["baseline"]
    assert base.incidence.per_100k(30) == 0 and not base.fleet.failures and not base.absences
    wave = got["wave-2022"]
    assert wave.crew_policy().f1_mode is F1Mode.WORK_UNDER_TESTING
    assert wave.crew_policy().onsite_required_roles == {Role.DRIVER, Role.TECHNICIAN}
    assert wave.timetable is None and wave.incidence.series == "hanoi-2022"  # by date
    # no-on-site: the same wave, nobody on site
    no_site = got["no-on-site"]
    assert no_site.onsite is None and no_site.incidence == wave.incidence
    # doubling every 4 days: twice the incidence 4 days later while growing
    fast = got["doubling-4d"].incidence
    assert fast.per_100k(8) == pytest.approx(4 * fast.per_100k(0))
    assert fast.per_100k(60) < fast.peak_per_100k
    outbreak = got["cohort-outbreak"]
    assert outbreak.crew_policy().f1_mode is F1Mode.QUARANTINE
    assert outbreak.health.seed_cases and outbreak.health.seed_cases[0].in_active_cohort


def test_incidence_curve_grows_peaks_and_declines() -> None:
    inc = scenario_from_data(
        {
            "name": "curve",
            "incidence": {
                "start_per_100k": 36.0,
                "doubling_days": 12.0,
                "peak_per_100k": 330.0,
                "plateau_days": 3.0,
                "halving_days": 10.0,
                "infections_per_case": 2.0,
            },
        }
    ).incidence
    peak = inc.peak_day
    assert 30 < peak < 45  # 36 -> 330 per 100k doubling every 12 days: ~38 days
    assert inc.per_100k(peak + 1) == pytest.approx(inc.peak_per_100k)
    assert inc.per_100k(peak + inc.plateau_days + inc.halving_days) == pytest.approx(
        inc.peak_per_100k / 2
    )
    p = inc.daily_infection_probability(peak)
    assert 0.005 < p < 0.008  # 330 per 100k reported x 2 infections per case


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_scenario_file_round_trips(tmp_path: Path, suffix: str) -> None:
    sc = scenario_preset("cohort-outbreak")
    path = tmp_path / f"mine{suffix}"
    if suffix == ".json":
        path.write_text(sc.model_dump_json())
    else:
        path.write_text(
            'name = "mine"\nstart_date = 2022-02-07\n[incidence]\nstart_per_100k = 10.0\n'
            "peak_per_100k = 100.0\ndoubling_days = 5.0\n"
        )
    got = load_scenario(path)
    assert resolve_scenario(str(path)) == got
    if suffix == ".json":
        assert got == sc
    else:
        assert got.incidence.doubling_days == 5.0 and got.name == "mine"


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"incidence": {"doubling_days": 0}}, ("incidence", "doubling_days")),
        ({"incidence": {"start_per_100k": 50, "peak_per_100k": 10}}, ("incidence",)),
        ({"health": {"rapid_test_miss_share": 1.5}}, ("health", "rapid_test_miss_share")),
        ({"service": {"headway_steps_s": [600, 360]}}, ("service",)),
        ({"service": {"peak_tail_depart_s": 3000}}, ("service",)),
        ({"service": {"headway_rule": "fastest"}}, ("service", "headway_rule")),
        ({"service": {"headway_granularity_s": 0}}, ("service", "headway_granularity_s")),
        ({"service": {"long_shift_h": 14}}, ()),
        ({"absences": [{"role": "pilot", "count": 3}]}, ("absences", 0, "role")),
        ({"policy_preset": "nowhere"}, ()),
        ({"policy_overrides": {"f0_isolation_days": -1}}, ()),
        ({"surprise": 1}, ("surprise",)),
    ],
)
def test_bad_scenarios_are_rejected_naming_the_field(
    patch: dict[str, object], loc: tuple[object, ...]
) -> None:
    data = {"name": "bad", **patch}
    with pytest.raises(ValidationError) as info:
        scenario_from_data(data)
    errors = info.value.errors()
    assert errors[0]["loc"] == loc, errors
    if patch.get("policy_preset"):
        assert "nowhere" in str(info.value)
    if patch.get("service") == {"long_shift_h": 14}:
        assert "above the crew policy's daily maximum of 12 h" in str(info.value)


def test_growth_can_be_given_as_a_rate_instead_of_a_doubling_time() -> None:
    sc = scenario_from_data(
        {
            "name": "r",
            "incidence": {"start_per_100k": 10, "peak_per_100k": 80, "growth_per_day": 0.1},
        }
    )
    assert sc.incidence.doubling_days == pytest.approx(6.931, abs=1e-3)  # ln 2 / 0.1
    assert sc.incidence.per_100k(10) == pytest.approx(10 * math.e)
    for bad in ({"growth_per_day": 0}, {"growth_per_day": 0.1, "doubling_days": 5}):
        with pytest.raises(ValidationError) as info:
            scenario_from_data({"name": "r", "incidence": bad})
        assert info.value.errors()[0]["loc"] == ("incidence",)


def test_unknown_names_list_the_presets() -> None:
    with pytest.raises(KeyError, match="wave-2022"):
        resolve_scenario("no-such-scenario")
    with pytest.raises(ValueError, match=r"\.toml or \.json"):
        load_scenario(Path(__file__))


def test_a_scenario_serialises_to_plain_json() -> None:
    for name in PRESETS:
        data = json.loads(scenario_preset(name).model_dump_json())
        assert scenario_from_data(data) == scenario_preset(name)
