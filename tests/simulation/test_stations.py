"""Station staff (simulated in the what-if only): a station short of its minimum closes, or
stops the line if so configured.

Defaults (estimates, ``StationStaffing``): 8 staff a station, 3 a shift, two shifts (05:00-13:30,
13:30-22:30), one fixed weekly rest day each: person ``j`` of station ``s`` (in line order)
rests on weekday (j + s) mod 7. On a Monday (weekday 0) station ``s`` has person
(7 - s) mod 7 resting, and Cát Linh (s = 0) and Văn Quán (s = 7) persons 0 and 7 too: 14 rest,
6 are at work at those two stations and 7 at each of the others.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulation import build_setup
from simulation.model import run_replication
from tests.simulation.helpers import line2a, replicate, scenario

LANG = "LA"  # Láng, the 4th station (s = 3): person 4 rests on Mondays


def _short_at_lang(**stations: object) -> dict[str, object]:
    # 5 of Láng's 8 on leave on day 0 (a Monday): the first 5 (person 4, resting anyway,
    # among them) -> 3 left, one shift's worth
    return {"absences": [{"station": LANG, "count": 5, "to_day": 0}], **stations}


def test_a_station_short_of_its_minimum_closes_its_late_shift_and_trains_pass() -> None:
    sc = scenario(timetable="2021", stations=_short_at_lang(redeploy=False))
    (row,) = replicate(sc, 1).rows
    # 96 less 5 on leave less 13 resting (14 on a Monday, Láng's among those on leave)
    assert row["staff.station_staff.available"] == 96 - 5 - 13
    assert row["staff.station_staff.required"] == 12 * 2 * 3
    assert row["stations.closed"] == 1 and row["stations.closed_shifts"] == 1
    assert row["binding.station_staff"] == 1.0
    # trains pass the closed station: every trip runs
    assert row["trips_operated"] == row["trips_planned"] == 198
    assert row["level.timetable"] == 1.0
    # everyone is in exactly one state; the open station-shifts' minimum crews are on shift
    states = [row[f"states.station_staff.{s}"] for s in ("f0_isolation", "f1_quarantine")]
    assert states == [0, 0]
    assert row["states.station_staff.leave"] == 5
    assert row["states.station_staff.on_shift"] == row["staff.station_staff.assigned"] == 69
    total = sum(
        row[f"states.station_staff.{s}"]
        for s in ("f0_isolation", "f1_quarantine", "leave", "on_shift", "available")
    )
    assert total == 96


def test_staff_redeployed_from_stations_with_a_surplus_keep_it_open() -> None:
    # 9 stations have one person over their 6 on a Monday (Cát Linh and Văn Quán none, Láng
    # short): 3 of them cover Láng's late shift
    sc = scenario(timetable="2021", stations=_short_at_lang())
    (row,) = replicate(sc, 1).rows
    assert row["stations.closed"] == 0
    assert row["binding.station_staff"] == 0.0
    assert row["staff.station_staff.assigned"] == 72


def test_close_line_stops_the_service_for_the_shift_a_station_cannot_open() -> None:
    """Láng's late shift (13:30-22:30) cannot open: with ``close_line`` no train runs after
    13:30. The 2021 early part, 05:30-13:30 at 10 min, runs 2 x 48 = 96 trips of 198."""
    sc = scenario(
        timetable="2021", stations=_short_at_lang(redeploy=False, short_station="close_line")
    )
    (row,) = replicate(sc, 1).rows
    assert row["trips_operated"] == 96
    assert row["cancelled.by_plan"] == 102
    assert {k for k, v in row.items() if k.startswith("binding.") and v} == {
        "binding.station_staff"
    }
    assert row["level.service"] == 0.0


def test_impossible_station_input_is_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="a station has 8"):
        scenario(stations={"absences": [{"station": LANG, "count": 9}]})
    with pytest.raises(ValueError, match="no station 'XX' on line 2a"):
        build_setup(scenario(stations={"absences": [{"station": "XX", "count": 1}]}), line2a(), 1)
    late = scenario(stations={"absences": [{"station": LANG, "count": 1, "from_day": 30}]})
    with pytest.raises(ValueError, match=r"starts on day 30, after the run's last day \(13\)"):
        build_setup(late, line2a(), 14)
    with pytest.raises(ValidationError, match="ends before it starts"):
        scenario(stations={"absences": [{"station": LANG, "count": 1, "from_day": 3, "to_day": 1}]})


def test_station_staff_catch_the_wave_and_f1_quarantine_closes_stations() -> None:
    """A steady 1,000 reported cases per 100,000 a day (x 2 infections per case: ~2 % of staff
    a day) under the 2021 rule of F1 quarantine: a case takes the rest of its station shift
    team (3) out for 7 days, and stations close. The station stream is its own: turning
    station staff off leaves every crew and service figure of the run unchanged."""
    sc = scenario(
        incidence={"start_per_100k": 1000, "peak_per_100k": 1000, "infections_per_case": 2},
    )
    assert sc.crew_policy().f1_mode.value == "quarantine"
    setup = build_setup(sc, line2a(), 14)
    rows = run_replication(setup, 5, 0).rows
    assert sum(r["states.station_staff.f0_isolation"] for r in rows) > 0
    assert sum(r["states.station_staff.f1_quarantine"] for r in rows) > 0
    assert any(r["stations.closed"] > 0 and r["binding.station_staff"] == 1.0 for r in rows)
    for r in rows:
        assert r["binding.station_staff"] == (1.0 if r["stations.closed"] else 0.0)
    off = sc.model_copy(update={"stations": sc.stations.model_copy(update={"enabled": False})})
    rows_off = run_replication(build_setup(off, line2a(), 14), 5, 0).rows
    for a, b in zip(rows, rows_off, strict=True):
        assert "stations.closed" not in b
        for key in ("trips_operated", "health.infections", "overtime_h", "staff.driver.assigned"):
            assert a[key] == b[key]
