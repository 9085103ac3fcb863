"""The control centre's service policy against cases worked out by hand (issue 12, item 5).

The line model's figures used throughout: a trip takes 1,402 s (23.4 min) end to end, the
planned turnback 180 s at each terminal, so a round trip (the cycle) is 2 x 1,402 + 2 x 180 =
3,164 s = 52.7 min and a headway ``h`` needs ceil(3,164 / h) trains. The 2021 timetable runs
every 10 minutes from 05:30 to 22:00 (6 trains); the driver shifts are 05:00-13:30 and
13:30-22:30, so the service day is cut at 13:30 into 480 min (early) and 510 min (late).
``n`` trains run the even headway ceil(3,164 / n) s rounded up to a whole minute. In a part of
the day ``D`` minutes long at ``h`` minutes, ``line.plan_day`` departs each direction from the
part's start every ``h``: ceil(D / h) outbound and, when the trains needed are odd, the
inbound half a headway later, ceil((D - h/2) / h).
"""

from __future__ import annotations

import pytest

from crew import even_headway
from line import load_line
from simulation import build_setup
from simulation.policy_assumptions import policy_assumptions, station_assumptions
from simulation.records import binding_resources
from simulation.scenario import ServicePolicy, StationStaffing
from simulation.service import ServicePlanner, departures, headway_for
from tests.simulation.helpers import drivers_only, line2a, replicate, scenario

BINDING = ("drivers_early", "drivers_late", "trains", "technicians", "control_centre")


def _binding(row: dict[str, float]) -> set[str]:
    return {k.removeprefix("binding.") for k, v in row.items() if k.startswith("binding.") and v}


def test_the_line_figures_the_hand_calculations_use() -> None:
    line = load_line()
    assert line.cycle_time_s == 3164
    assert [line.trains_needed(h) for h in (360, 600, 660, 840, 1080)] == [9, 6, 5, 4, 3]
    # n trains -> even headway in whole minutes
    assert {n: even_headway(line, n, 60) for n in (3, 4, 5, 6, 7, 8, 9)} == {
        3: 1080,  # 1,054.7 s -> 18 min
        4: 840,  # 791 s -> 14 min
        5: 660,  # 632.8 s -> 11 min
        6: 540,  # 527.3 s -> 9 min
        7: 480,  # 452 s -> 8 min
        8: 420,  # 395.5 s -> 7 min
        9: 360,  # 351.6 s -> 6 min
    }
    assert departures(line, 480 * 60, 660) == 44 + 44
    assert departures(line, 510 * 60, 660) == 47 + 46
    assert departures(line, 480 * 60, 600) == 48 + 48


@pytest.mark.parametrize(
    ("drivers", "trips", "headway_s", "overtime_h", "binding"),
    [
        # 10 drivers: 5 a shift -> 5 trains at 11 min all day.
        #   early 480 min: ceil(480/11) = 44 + ceil(474.5/11) = 44 -> 88
        #   late  510 min: ceil(510/11) = 47 + ceil(504.5/11) = 46 -> 93
        # 181 trips (the "~180"; the 15-minute step gave 132). 6 + 4 would give
        # 96 + 2 x ceil(510/14) = 96 + 74 = 170; 4 + 6: 70 + 102 = 172. Both shifts bind.
        (10, 181, 660, 0.0, {"drivers_early", "drivers_late"}),
        # 11 drivers: 5 early at 11 min (88) + 6 late at 10 min (2 x 51 = 102) = 190;
        # 6 + 5 gives 96 + 93 = 189. Only the early shift is short. (Was 132.)
        (11, 190, 660, 0.0, {"drivers_early"}),
        # 5 drivers: one shift at most. Standard shifts: 5 late at 11 min serve 510 min (93).
        # The long-shift lever: the early shift lengthened to the legal 12 h (05:00-17:00),
        # the late one shortened: 5 trains at 11 min from 05:30 to 17:00 (690 min):
        # ceil(690/11) = 63 + ceil(684.5/11) = 63 -> 126 trips, 17:00-22:00 suspended (no
        # drivers left). (The same 690 min from 10:30 with a 12 h late shift ties; the
        # earlier variant is taken.) Each 12 h duty is 2 h beyond the 10 h normal day of
        # shift work on a weekly basis (Labour Code Art. 105(2), 107): 5 x 2 = 10 h overtime.
        # (Was 0 trips: the all-day period needed 3 trains through both shifts.)
        (5, 126, None, 10.0, {"drivers_early", "drivers_late"}),
    ],
)
def test_ten_eleven_and_five_drivers_on_the_2021_timetable(
    drivers: int,
    trips: int,
    headway_s: int | None,
    overtime_h: float,
    binding: set[str],
) -> None:
    sc = scenario(timetable="2021", absences=drivers_only(drivers))
    (row,) = replicate(sc, 1).rows
    assert row["trips_planned"] == 198
    assert row["trips_operated"] == trips
    assert row["cancelled.by_plan"] == 198 - trips  # planned so: nothing lost on the day
    assert row["periods.day.headway_s"] == (headway_s if headway_s else float("inf"))
    assert row["staff.driver.assigned"] == drivers
    assert row["overtime_h"] == overtime_h
    assert row["legal_breaches"] == 0
    assert _binding(row) == binding
    assert row["level.timetable"] == 0.0
    assert row["level.service"] == (1.0 if headway_s else 0.0)


def test_without_the_long_shift_lever_five_drivers_run_the_late_half_without_overtime() -> None:
    """5 drivers on standard shifts: early only (480 min, 88 trips) or late only (510 min,
    ceil(510/11) + ceil(504.5/11) = 47 + 46 = 93 trips); the late half serves longer. A 9 h
    late duty is within the 10 h normal day: no overtime."""
    sc = scenario(timetable="2021", absences=drivers_only(5), service={"long_shifts": False})
    (row,) = replicate(sc, 1).rows
    assert row["trips_operated"] == 93
    assert row["overtime_h"] == 0


def test_never_zero_trips_while_a_shift_can_run_the_floor_of_three_trains() -> None:
    """3 drivers: 3 trains at ceil(3,164 / 3) = 1,055 s -> 18 min on a 12 h early shift,
    05:30-17:00: ceil(690/18) = 39 + ceil((690 - 9)/18) = 38 -> 77 trips. 2 drivers are below
    ``floor_trains`` (a 27-minute service): the line is suspended, as with 1 train."""
    got = {}
    for n in (1, 2, 3, 4, 6, 8):
        (row,) = replicate(scenario(timetable="2021", absences=drivers_only(n)), 1).rows
        got[n] = row["trips_operated"]
    assert got[1] == got[2] == 0
    assert got[3] == 77
    assert all(got[n] > 0 for n in (4, 6, 8))
    # 6 drivers: 3 + 3 run the whole day at 18 min (2 x 55 = 110, +1 inbound: 111) rather than
    # 6 trains to 17:00 and nothing after: service time comes before trips
    assert got[6] == 111
    # a floor of 2 trains (27 min: ceil(3164 / 2) = 1,582 s -> 27 min) runs 2 drivers too
    sc = scenario(timetable="2021", absences=drivers_only(2), service={"floor_trains": 2})
    (row,) = replicate(sc, 1).rows
    assert row["trips_operated"] > 0


def test_half_minute_granularity_runs_four_trains_every_thirteen_and_a_half_minutes() -> None:
    """4 trains: 791 s rounds up to 14 min (840 s) in whole minutes, to 13.5 min (810 s) in
    half minutes. 4 drivers run 4 trains on a 12 h early shift, 05:30-17:00 (41,400 s; 4
    trains: even, no inbound offset): 2 x ceil(41,400/840) = 2 x 50 = 100 trips, or
    2 x ceil(41,400/810) = 2 x 52 = 104."""
    line = load_line()
    trips = {}
    for g in (60, 30):
        sc = scenario(
            timetable="2021", absences=drivers_only(4), service={"headway_granularity_s": g}
        )
        assert headway_for(line, 4, 600, sc.service) == {60: 840, 30: 810}[g]
        (row,) = replicate(sc, 1).rows
        trips[g] = row["trips_operated"]
        assert row["overtime_h"] == 4 * 2.0
    assert trips == {60: 100, 30: 104}


def test_a_late_shift_shortage_leaves_the_early_shift_at_its_planned_headway() -> None:
    """Six drivers can work only the early shift, two only the late one: the early part of the
    2021 day keeps its 10 minutes; the late part, 2 trains (below the floor), is suspended -
    not the whole day thinned to what the late shift can run."""
    sc = scenario(timetable="2021", service={"long_shifts": False})
    setup = build_setup(sc, line2a(), 1)
    pat = setup.patterns[setup.day_pattern[0]]
    planner = ServicePlanner(setup.line, pat, sc.service)
    masks = [0] * 8  # bit 0: early, bit 1: late, bit 2: split peak duty
    masks[0b001] = 6
    masks[0b010] = 2
    choice = planner.choose(lambda v: masks, cap=11, occ_down=[])
    segs = pat.variants[choice.variant].segments
    assert [(s.start_s, s.end_s) for s in segs] == [(19_800, 48_600), (48_600, 79_200)]
    assert choice.headways == (600, None)
    assert planner.binding(choice, 11, []) == {"drivers_late"}


def test_the_long_shift_lever_serves_the_early_drivers_until_five() -> None:
    sc = scenario(timetable="2021")
    setup = build_setup(sc, line2a(), 1)
    pat = setup.patterns[setup.day_pattern[0]]
    assert [v.id for v in pat.variants] == ["standard", "long:early", "long:late"]
    assert [(w.start_s, w.end_s) for w in pat.variants[1].shifts] == [
        (18_000, 61_200),  # 05:00-17:00: 12 h
        (61_200, 81_000),  # 17:00-22:30
    ]
    assert [(w.start_s, w.end_s) for w in pat.variants[2].shifts] == [
        (18_000, 37_800),  # 05:00-10:30
        (37_800, 81_000),  # 10:30-22:30: 12 h
    ]
    planner = ServicePlanner(setup.line, pat, sc.service)
    masks = [0] * 8
    masks[0b001] = 6
    masks[0b010] = 2
    choice = planner.choose(lambda v: masks, cap=11, occ_down=[])
    assert pat.variants[choice.variant].id == "long:early"
    assert choice.headways == (600, None)  # 05:30-17:00 every 10 min, then suspended


def test_binding_keys_are_named_and_zero_when_the_timetable_runs() -> None:
    sc = scenario(timetable="2026")
    setup = build_setup(sc, line2a(), 1)
    assert binding_resources(setup) == (*BINDING, "station_staff")
    (row,) = replicate(sc, 1).rows
    assert row["level.timetable"] == 1.0
    assert all(row[f"binding.{r}"] == 0.0 for r in binding_resources(setup))


def test_a_fleet_short_of_trains_binds_trains_and_a_short_inspection_the_technicians() -> None:
    sc = scenario(timetable="2021")
    setup = build_setup(sc, line2a(), 1)
    pat = setup.patterns[setup.day_pattern[0]]
    planner = ServicePlanner(setup.line, pat, sc.service)
    masks = [0] * 8
    masks[0b011] = 30  # plenty of drivers for either shift
    choice = planner.choose(lambda v: masks, cap=4, occ_down=[])
    assert choice.headways == (840, 840)  # 4 trains: 14 min
    assert planner.binding(choice, 4, []) == {"trains"}
    # every technician absent on day 0: nobody inspects overnight, no train is ready on day 1
    sc = scenario(
        timetable="2021", absences=[{"role": "technician", "count": 70, "from_day": 0, "to_day": 0}]
    )
    rows = replicate(sc, 2).rows
    assert rows[0]["binding.technicians"] == 0.0
    assert rows[1]["trips_operated"] == 0
    assert _binding(rows[1]) == {"technicians"}


def test_the_summary_counts_the_days_each_resource_bound() -> None:
    # 10 drivers on days 0 and 1 of three: both shifts short on two days, nothing on the third
    sc = scenario(timetable="2021", absences=drivers_only(10, to_day=1))
    rep = replicate(sc, 3)
    assert [_binding(r) for r in rep.rows] == [{"drivers_early", "drivers_late"}] * 2 + [set()]
    assert {k: v for k, v in rep.summary.items() if k.startswith("days_bound.")} == {
        "days_bound.drivers_early": 2,
        "days_bound.drivers_late": 2,
        "days_bound.trains": 0,
        "days_bound.technicians": 0,
        "days_bound.control_centre": 0,
        "days_bound.station_staff": 0,
    }


def test_an_unstaffed_control_centre_binds_the_control_centre() -> None:
    sc = scenario(
        timetable="2021",
        absences=[{"role": "occ_operator", "count": 30, "from_day": 0, "to_day": 0}],
    )
    (row,) = replicate(sc, 1).rows
    assert row["trips_operated"] == 0
    assert _binding(row) == {"control_centre"}


def test_the_steps_rule_keeps_the_old_ladder() -> None:
    line = load_line()
    sc = scenario(service={"headway_rule": "steps"})
    # 5 trains for a 10-minute period: the 15-minute step (4 trains), not 11 min
    assert headway_for(line, 5, 600, sc.service) == 900
    assert headway_for(line, 5, 600, scenario().service) == 660
    assert headway_for(line, 2, 600, scenario().service) is None  # below the floor
    assert headway_for(line, 9, 360, scenario().service) == 360


def test_every_service_policy_and_station_number_has_a_source_or_its_reasoning() -> None:
    sc = scenario()
    rows = policy_assumptions(sc.service, 12.0) + station_assumptions(sc.stations)
    params = [r[4] for r in rows]
    assert len(params) == len(set(params))
    assert set(params) == {f"service.{f}" for f in ServicePolicy.model_fields} | {
        f"stations.{f}" for f in StationStaffing.model_fields if f != "absences"
    }
    for name, value, _unit, source, _param in rows:
        assert name and value and len(source) > 10, name
    got = {r[4]: r[1] for r in rows}
    assert got["service.long_shift_h"] == "12"  # the crew policy's daily maximum by default
    assert got["service.headway_granularity_s"] == "60"
    assert got["service.peak_lead_s"] == "30"  # minutes
