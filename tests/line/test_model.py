from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from line import Direction, LocationKind, load_line


@pytest.fixture(scope="module")
def ln():  # type: ignore[no-untyped-def]
    return load_line()


def test_line_2a_facts(ln) -> None:  # type: ignore[no-untyped-def]
    assert ln.station_ids == (
        "CL",
        "LT",
        "TH",
        "LA",
        "TD",
        "VD3",
        "PK",
        "VQ",
        "HD",
        "LK",
        "VK",
        "YN",
    )
    assert ln.stations[0].name == "Cát Linh" and ln.stations[-1].name == "Yên Nghĩa"
    assert ln.length_m == 13050.0
    assert len(ln.fleet.trains) == 13
    spacing = (ln.stations[-1].chainage_m - ln.stations[0].chainage_m) / 11
    assert 1100 <= spacing <= 1200  # "about 1.15 km apart on average"
    # "just over 23 minutes" end to end; a round trip of 52–54 minutes
    assert 23 * 60 < ln.trip_time_s < 24 * 60
    assert 52 * 60 <= ln.cycle_time_s <= 54 * 60


def test_trains_needed_matches_published_figures(ln) -> None:  # type: ignore[no-untyped-def]
    # the trial ran 9 trains at a 6-minute peak and 6 at 10 minutes
    assert ln.trains_needed(360) == 9
    assert ln.trains_needed(600) == 6
    assert ln.trains_needed(900) == 4


def test_locate_station_segment_and_depot(ln) -> None:  # type: ignore[no-untyped-def]
    at = ln.locate(4330.0)
    assert at.kind is LocationKind.AT_STATION and at.station == "TD"
    mid = ln.locate(5000.0, Direction.OUTBOUND)
    assert mid.kind is LocationKind.BETWEEN
    assert (mid.prev_station, mid.next_station) == ("TD", "VD3")
    assert mid.fraction == pytest.approx((5000 - 4300) / (5370 - 4300))
    back = ln.locate(5000.0, Direction.INBOUND)
    assert (back.prev_station, back.next_station) == ("VD3", "TD")
    assert back.fraction == pytest.approx(1 - mid.fraction)
    assert ln.locate(12950.0).kind is LocationKind.DEPOT


def test_elapsed_time_profile(ln) -> None:  # type: ignore[no-untyped-def]
    # outbound: LT is reached after CL→LT run 90 s; TH after 90 + 30 dwell + 88
    assert ln.elapsed_at(0.0, Direction.OUTBOUND) == 0
    assert ln.elapsed_at(1000.0, Direction.OUTBOUND) == 90
    assert ln.elapsed_at(1950.0, Direction.OUTBOUND) == 90 + 30 + 88
    # halfway between CL and LT: linear in distance
    assert ln.elapsed_at(500.0, Direction.OUTBOUND) == pytest.approx(45)
    # inbound starts at Yên Nghĩa; Văn Khê after its 136 s segment
    assert ln.elapsed_at(12750.0, Direction.INBOUND) == 0
    assert ln.elapsed_at(11000.0, Direction.INBOUND) == 136
    assert ln.elapsed_at(0.0, Direction.INBOUND) == ln.trip_time_s


def test_bad_line_file_is_rejected_with_reason(tmp_path: Path) -> None:
    src = load_line().model_dump(mode="json")
    src["stations"][2]["chainage_m"] = 10.0  # out of order
    import tomllib  # noqa: F401  (the loader reads TOML; validate the dict directly here)

    from line.model import Line

    with pytest.raises(ValidationError, match="increasing chainage"):
        Line.model_validate(src)


def test_the_service_history_says_which_timetable_ran_when(ln) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    # commercial service from 6 Nov 2021: every 10 minutes all day; 6-minute peaks later
    assert ln.timetable_on(date(2021, 11, 6)).id == "2021"
    assert ln.timetable_on(date(2022, 3, 8)).id == "2021"
    assert ln.era_on(date(2022, 3, 8)).weekday_passengers == 10_000
    assert ln.timetable_on(date(2026, 3, 2)).id == "2026"
    assert all(e.source for e in ln.service_history)
    with pytest.raises(LookupError, match="no service history for 2021-11-05"):
        ln.timetable_on(date(2021, 11, 5))
    bad = ln.model_dump() | {
        "service_history": [
            {"from_date": "2022-01-01", "timetable": "1999", "weekday_passengers": 1, "source": "x"}
        ]
    }
    with pytest.raises(ValidationError, match="unknown timetable 1999"):
        type(ln).model_validate(bad)
