"""The verdict a planner reads first: service levels held until a date, trips lost (by crews),
overtime and the binding constraint, as codes and parameters; and the verdict of a comparison,
with a warning when the runs differ in length or start date. Results of earlier versions
(no binding constraints, no crew-caused cancellations, no periods, no verdict) still get one.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from simulation import InProcessExecutor, WhatIfResult, compare_results, run_whatif
from simulation.verdict import compare_verdict, run_verdict, verdict_of, with_verdict
from tests.simulation.helpers import scenario

START = date(2022, 2, 7)
PERIODS_2026 = {
    "early": {"start": "05:30", "end": "06:30", "planned_headway_s": 600, "peak": False},
    "am_peak": {"start": "06:30", "end": "09:00", "planned_headway_s": 360, "peak": True},
    "midday": {"start": "09:00", "end": "16:30", "planned_headway_s": 600, "peak": False},
    "pm_peak": {"start": "16:30", "end": "19:30", "planned_headway_s": 360, "peak": True},
    "evening": {"start": "19:30", "end": "22:00", "planned_headway_s": 900, "peak": False},
}


def band(mean: float, p50: float | None = None) -> dict[str, float | None]:
    v = mean if p50 is None else p50
    return {"p10": v, "p50": v, "p90": v, "mean": mean, "mean_p10": mean, "mean_p90": mean}


def lost(p50: float | None, share: float, p10: float | None = None) -> dict[str, Any]:
    return {"p10": p10, "p50": p50, "p90": None, "share_lost": share}


def result(
    days: int,
    *,
    first_lost: dict[str, dict[str, Any]] | None = None,
    day_extra: dict[str, float] | None = None,
    cancelled_p50: float = 0.0,
    periods: dict[str, dict[str, Any]] | None = None,
    start: date = START,
) -> WhatIfResult:
    """A result as the runner makes it (or, without ``periods``/``day_extra``, as an earlier
    version stored it)."""
    levels = ("timetable", "peak_headway", "headway_10min", "headway_15min", "service")
    fl = {lv: lost(None, 0.0) for lv in levels} | (first_lost or {})
    rows = []
    for d in range(days):
        row: dict[str, Any] = {
            "day": d,
            "date": (start + timedelta(days=d)).isoformat(),
            "weekday": (start + timedelta(days=d)).weekday(),
            "trips_planned": band(200),
            "trips_cancelled": band(cancelled_p50 / days),
            "overtime_h": band(2.0),
        }
        for key, mean in (day_extra or {}).items():
            node = row
            *parents, leaf = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = band(mean)
        rows.append(row)
    return WhatIfResult(
        scenario="wave-2022",
        seed=7,
        replications=100,
        days_simulated=days,
        start_date=start,
        line="line2a",
        timetable="2026",
        events=0,
        scenario_spec={},
        summary={
            "total": {
                "trips_planned": band(200.0 * days),
                "trips_cancelled": band(cancelled_p50, cancelled_p50),
                "overtime_h": band(2.0 * days),
            },
            "max": {"overtime_h_person_month": band(12.0)},
            "first_day_lost": fl,
        },
        days=rows,
        periods=periods if periods is not None else PERIODS_2026,
    )


def codes(v: dict[str, Any]) -> list[str]:
    return [s["code"] for s in v["statements"]]


def test_levels_held_until_a_date_never_lost_and_lost_in_some_runs() -> None:
    r = result(
        60,
        first_lost={
            "timetable": lost(20.0, 0.8, p10=12.0),
            "peak_headway": lost(35.0, 0.6),
            "headway_10min": lost(None, 0.15, p10=50.0),
        },
    )
    v = run_verdict(r)
    assert (v["start_date"], v["end_date"], v["days"]) == ("2022-02-07", "2022-04-07", 60)
    timetable, peaks, ten, fifteen = v["statements"][:4]
    # "6-minute peaks hold until 14/03 (p50), in 60 % of runs they are lost"
    assert peaks == {
        "code": "level_held_until",
        "level": "peak_headway",
        "headway_s": 360,
        "date": "2022-03-13",
        "lost_date": "2022-03-14",
        "quantile": "p50",
        "share_lost": 0.6,
    }
    assert timetable["code"] == "level_held_until" and timetable["lost_date"] == "2022-02-27"
    # fewer than half of the runs lose it: "in 15 % of runs", with the p10 day
    assert ten == {
        "code": "level_lost_in_some_runs",
        "level": "headway_10min",
        "headway_s": 600,
        "share_lost": 0.15,
        "lost_date_p10": "2022-03-29",
    }
    # never lost: said so, to the run's last day; weaker levels (service) follow from it
    assert fifteen == {
        "code": "level_held_throughout",
        "level": "headway_15min",
        "headway_s": 900,
        "until": "2022-04-07",
    }
    assert codes(v)[4:] == ["trips_lost", "overtime", "binding_not_recorded"]


def test_a_level_lost_on_the_first_day_and_levels_that_ask_nothing_more() -> None:
    every_10 = {"day": {"start": "05:30", "end": "22:00", "planned_headway_s": 600, "peak": False}}
    r = result(14, first_lost={"timetable": lost(0.0, 1.0)}, periods=every_10)
    v = run_verdict(r)
    # 2021 timetable: no peaks, and "10 minutes" is the timetable itself
    assert [(s["code"], s.get("level")) for s in v["statements"][:2]] == [
        ("level_lost_from_start", "timetable"),
        ("level_held_throughout", "headway_15min"),
    ]
    assert v["statements"][0]["date"] == "2022-02-07"


def test_trips_lost_by_cause_and_the_binding_constraint() -> None:
    r = result(
        10,
        cancelled_p50=300.0,
        day_extra={
            "cancelled.crew": 25.0,
            "cancelled.fleet": 5.0,
            "binding.drivers_early": 0.7,
            "binding.trains": 0.1,
        },
    )
    v = run_verdict(r)
    trips = next(s for s in v["statements"] if s["code"] == "trips_lost")
    assert trips == {
        "code": "trips_lost",
        "p10": 300.0,
        "p50": 300.0,
        "p90": 300.0,
        "planned": 2000.0,
        "mean": 300.0,
        "crew_mean": 250.0,
        "fleet_mean": 50.0,
    }
    binding = v["statements"][-1]
    assert binding == {
        "code": "binding",
        "resource": "drivers_early",
        "share_of_days": 0.7,
        "first_date_p50": "2022-02-07",
    }


def test_results_of_earlier_versions_say_not_recorded_and_get_a_verdict() -> None:
    old = result(7, cancelled_p50=3.0, periods={})
    v = verdict_of(old)
    # no periods recorded: every level is listed (down to the first held throughout)
    assert v["statements"][0] == {
        "code": "level_held_throughout",
        "level": "timetable",
        "until": "2022-02-13",
    }
    trips = v["statements"][1]
    assert trips["code"] == "trips_lost" and trips["crew_mean"] is None
    assert v["statements"][-1] == {"code": "binding_not_recorded"}
    assert "verdict" not in old.summary
    assert with_verdict(old).summary["verdict"] == v
    # recorded but never binding is not "not recorded"
    none = run_verdict(result(7, day_extra={"binding.trains": 0.0}))
    assert none["statements"][-1] == {"code": "binding_none"}


def test_compare_says_how_many_days_longer_and_how_many_fewer_trips() -> None:
    a = result(30, first_lost={"peak_headway": lost(20.0, 0.9)}, cancelled_p50=2000.0)
    b = result(30, first_lost={"peak_headway": lost(29.0, 0.55)}, cancelled_p50=760.0)
    v = compare_verdict(a, b)
    assert v["warnings"] == []
    peaks = next(s for s in v["statements"] if s.get("level") == "peak_headway")
    # "B keeps 6-min peaks 9 days longer"
    assert peaks | {"share_lost_a": 0, "share_lost_b": 0} == {
        "code": "level_held_longer",
        "level": "peak_headway",
        "headway_s": 360,
        "share_lost_a": 0,
        "share_lost_b": 0,
        "better": "b",
        "days": 9,
        "quantile": "p50",
    }
    trips = next(s for s in v["statements"] if s["code"] == "trips_lost_diff")
    # "… and loses 1,240 fewer trips"
    assert (trips["diff"], trips["better"], trips["statistic"]) == (-1240.0, "b", "p50")


def test_compare_of_runs_of_different_lengths_warns_and_compares_the_common_days() -> None:
    a = result(30, cancelled_p50=3000.0, first_lost={"timetable": lost(20.0, 0.7)})
    b = result(14, cancelled_p50=700.0, start=date(2022, 2, 8))
    v = compare_verdict(a, b)
    assert v["warnings"] == [
        {"code": "length_differs", "days_a": 30, "days_b": 14, "compared_days": 14},
        {"code": "start_differs", "start_a": "2022-02-07", "start_b": "2022-02-08"},
    ]
    trips = next(s for s in v["statements"] if s["code"] == "trips_lost_diff")
    # 100 a day in A, 50 a day in B, over the 14 days both ran (means, not the bare totals)
    assert (trips["a"], trips["b"], trips["diff"], trips["statistic"], trips["days"]) == (
        1400.0,
        700.0,
        -700.0,
        "mean",
        14,
    )
    # A lost its timetable on day 20, after B's end: within the 14 days both held it (the
    # whole run's share, 70 %, is not a figure of the days compared)
    timetable = next(s for s in v["statements"] if s.get("level") == "timetable")
    assert timetable["code"] == "level_same"
    assert (timetable["share_lost_a"], timetable["share_lost_b"]) == (0.0, 0.0)
    cmp = compare_results(a, b)
    assert cmp["verdict"] == v
    assert cmp["first_day_lost"]["timetable"]["a"] == {"p50": None, "share_lost": 0.0}
    assert cmp["summary"]["total.trips_cancelled"]["comparable"] is False
    # the worst day of 30 is not the worst of the 14 days both ran
    assert cmp["summary"]["min.trips_share"]["comparable"] is False
    assert compare_results(a, a)["summary"]["min.trips_share"]["comparable"] is True
    assert cmp["a"]["verdict"]["days"] == 30 and cmp["b"]["verdict"]["days"] == 14


def test_compare_with_a_longer_run_reads_its_shares_over_the_days_both_ran() -> None:
    # B (14 days) lost the timetable in every run, but only from day 6; in one run of four on
    # day 3; A (5 days) held it: over A's 5 days, B lost it in 25 % of its runs
    by_day = [0.0, 0.0, 0.0, 0.25, 0.25, 0.25, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    b_lost = lost(6.0, 1.0, p10=4.0) | {"lost_by_day": by_day}
    a = result(5, cancelled_p50=0.5)
    b = result(14, first_lost={"timetable": b_lost, "headway_10min": b_lost})
    v = compare_verdict(a, b)
    assert {"code": "length_differs", "days_a": 5, "days_b": 14, "compared_days": 5} in v[
        "warnings"
    ]
    timetable = next(s for s in v["statements"] if s.get("level") == "timetable")
    assert timetable["code"] == "level_share_differs" and timetable["better"] == "a"
    assert (timetable["share_lost_a"], timetable["share_lost_b"]) == (0.0, 0.25)
    cmp = compare_results(a, b)
    assert cmp["first_day_lost"]["timetable"]["b"] == {"p50": None, "share_lost": 0.25}
    # held in the 5 days: the same, though B lost it later in every run
    late = lost(6.0, 1.0) | {"lost_by_day": [0.0] * 6 + [1.0] * 8}
    v = compare_verdict(a, result(14, first_lost={"timetable": late}))
    timetable = next(s for s in v["statements"] if s.get("level") == "timetable")
    assert timetable["code"] == "level_same", timetable


def test_compare_gives_trips_lost_to_the_precision_of_the_run_verdict() -> None:
    a = result(5, cancelled_p50=0.5)
    own = next(s for s in run_verdict(a)["statements"] if s["code"] == "trips_lost")
    assert own["p50"] == 0.5
    same = next(s for s in compare_verdict(a, a)["statements"] if s["code"] == "trips_lost_diff")
    assert (same["a"], same["b"], same["diff"], same["better"]) == (0.5, 0.5, 0.0, None)
    # over 5 common days of a 14-day run losing 0.3 trips in all: 5/14 of it, not 0
    b = result(14, cancelled_p50=0.3)
    diff = next(s for s in compare_verdict(a, b)["statements"] if s["code"] == "trips_lost_diff")
    assert (diff["a"], diff["b"], diff["better"]) == (0.5, 0.1, "b")


def test_a_real_run_carries_its_verdict_periods_and_binding_constraint() -> None:
    sc = scenario(absences=[{"role": "driver", "count": 46, "from_day": 2}])
    r = run_whatif(sc, 4, 2, 1, executor=InProcessExecutor())
    assert r.periods["am_peak"] == {
        "start": "06:30",
        "end": "09:00",
        "planned_headway_s": 360,
        "peak": True,
    }
    v = r.summary["verdict"]
    assert v == run_verdict(r)
    # 14 drivers from the third day: the full timetable goes on 04/03 in every run
    first = v["statements"][0]
    assert first["code"] == "level_held_until" and first["level"] == "timetable"
    assert (first["date"], first["lost_date"], first["share_lost"]) == (
        "2026-03-03",
        "2026-03-04",
        1.0,
    )
    assert WhatIfResult.from_json(r.to_json()) == r
    # no train failures: every trip lost was lost for want of crew
    trips = next(s for s in v["statements"] if s["code"] == "trips_lost")
    assert trips["p50"] > 0 and trips["crew_mean"] == trips["mean"] and trips["fleet_mean"] == 0
    # what limited it: the early shift's drivers, on both short days in every run (the late
    # shift's only on the first, when the early shift also fell short)
    assert v["statements"][-1] == {
        "code": "binding",
        "resource": "drivers_early",
        "share_of_days": 0.5,
        "first_date_p50": "2026-03-04",
    }
