"""The command line words every verdict code, in English and Vietnamese, with dd/mm dates."""

from __future__ import annotations

import pytest

from simulation.verdict import RUN_CODES
from simulation.verdict_text import verdict_lines

STATEMENTS = [
    {"code": "level_held_throughout", "level": "timetable", "until": "2022-03-08"},
    {
        "code": "level_held_until",
        "level": "peak_headway",
        "headway_s": 360,
        "date": "2022-03-14",
        "lost_date": "2022-03-15",
        "quantile": "p50",
        "share_lost": 0.6,
    },
    {
        "code": "level_lost_from_start",
        "level": "headway_10min",
        "headway_s": 600,
        "date": "2022-02-07",
        "quantile": "p50",
        "share_lost": 1.0,
    },
    {
        "code": "level_lost_in_some_runs",
        "level": "service",
        "share_lost": 0.05,
        "lost_date_p10": "2022-02-20",
    },
    {
        "code": "trips_lost",
        "p10": 0.0,
        "p50": 12.0,
        "p90": 140.0,
        "planned": 11880.0,
        "mean": 30.5,
        "crew_mean": 25.0,
        "fleet_mean": 5.5,
    },
    {"code": "overtime", "hours_p50": 60.0, "person_month_max_p50": 22.5},
    {
        "code": "binding",
        "resource": "drivers_early",
        "share_of_days": 0.25,
        "first_date_p50": "2022-03-01",
    },
    {"code": "binding_none"},
    {"code": "binding_not_recorded"},
]
VERDICT = {"start_date": "2022-02-07", "end_date": "2022-04-07", "statements": STATEMENTS}


def test_every_run_code_is_worded() -> None:
    assert {s["code"] for s in STATEMENTS} == set(RUN_CODES)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_sentences_with_dd_mm_dates(lang: str) -> None:
    lines = verdict_lines(VERDICT, lang)  # type: ignore[arg-type]
    assert len(lines) == len(STATEMENTS)
    assert "14/03" in lines[1] and "6" in lines[1] and "60%" in lines[1]
    assert "2022-" not in " ".join(lines), "ISO dates are not for people"
    # numbers as the reader writes them: 11,880 and 5.5 in English, 11.880 and 5,5 in Vietnamese
    if lang == "en":
        assert "12 of 11,880" in lines[4] and "5.5" in lines[4]
    else:
        assert "12/11.880" in lines[4] and "25" in lines[4] and "5,5" in lines[4]
    if lang == "en":
        assert lines[1].startswith("6-minute peaks: kept until 14/03")
        assert "drivers on the early shift" in lines[6]
    else:
        assert "cao điểm 6 phút" in lines[1] and "lái tàu ca sáng" in lines[6]


def test_a_run_across_new_year_shows_the_year() -> None:
    v = {"start_date": "2021-12-20", "end_date": "2022-01-20", "statements": [STATEMENTS[0]]}
    assert "08/03/2022" in verdict_lines(v, "en")[0]
