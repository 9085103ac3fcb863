"""Headway regularity: excess waiting time, bunching and gaps, against hand-computed figures."""

from __future__ import annotations

import pytest

from telemetry.regularity import (
    classify,
    excess_wait_s,
    headway_events,
    hourly,
    mean_wait_s,
    whole_day,
)

PERIODS = [(5 * 3600 + 1800, 22 * 3600, 360)]  # 6-minute headway all day
TEN = 10 * 3600


def test_mean_wait_of_regular_headways_is_half_the_headway() -> None:
    assert mean_wait_s([600, 600, 600]) == 300


def test_mean_wait_grows_with_irregularity() -> None:
    # 5 and 15 minutes: (300² + 900²) / (2 × 1200) = 375 s, not the 300 s of the mean headway
    assert mean_wait_s([300, 900]) == pytest.approx(375.0)
    assert excess_wait_s([300, 900], [600, 600]) == pytest.approx(75.0)


def test_no_headways_no_figure() -> None:
    assert mean_wait_s([]) is None
    assert excess_wait_s([], [600]) is None


def test_classify_against_half_and_one_and_a_half_of_scheduled() -> None:
    kw = {"bunch_factor": 0.5, "gap_factor": 1.5}
    assert classify(179, 360, **kw) == "bunching"
    assert classify(180, 360, **kw) == "ok"
    assert classify(540, 360, **kw) == "ok"
    assert classify(541, 360, **kw) == "gap"
    assert classify(9999, None, **kw) == "ok"  # nothing scheduled: nothing to judge


def test_one_station_hour_by_hand() -> None:
    # departures 10:00, 10:06, 10:07 (bunched), 10:20 (after a gap), 10:26
    obs = {("LT", 1): [TEN, TEN + 360, TEN + 420, TEN + 1200, TEN + 1560]}
    plan = {("LT", 1): [TEN + k * 360 for k in range(11)]}
    (h,) = hourly(obs, plan, PERIODS)
    # actual headways 360, 60, 780, 360: AWT = (360²+60²+780²+360²) / (2 × 1560) = 279.23 s
    # scheduled headways ending in (10:00, 10:26]: 10:06, 10:12, 10:18, 10:24 → SWT 180 s
    assert h.hour == 10
    assert h.headways == 4
    assert h.awt_s == pytest.approx(871200 / 3120)
    assert h.swt_s == pytest.approx(180.0)
    assert h.ewt_s == pytest.approx(871200 / 3120 - 180)
    assert (h.bunching, h.gaps) == (1, 1)


def test_perfect_service_has_no_excess_wait() -> None:
    times = [TEN + k * 360 for k in range(20)]
    obs = {("LT", 1): times, ("TH", 1): [t + 120 for t in times]}
    plan = {("LT", 1): times, ("TH", 1): [t + 120 for t in times]}
    for h in hourly(obs, plan, PERIODS):
        assert h.ewt_s == pytest.approx(0.0)
        assert (h.bunching, h.gaps) == (0, 0)


def test_a_lost_train_is_one_long_headway() -> None:
    # the 10:12 train never came: 10:06 → 10:18 is 12 minutes, a gap, and riders waited longer
    obs = {("LT", 1): [TEN, TEN + 360, TEN + 1080, TEN + 1440]}
    plan = {("LT", 1): [TEN + k * 360 for k in range(5)]}
    (h,) = hourly(obs, plan, PERIODS)
    # AWT = (360² + 720² + 360²) / (2 × 1440) = 270 s; SWT over 4 planned headways = 180 s
    assert h.awt_s == pytest.approx(270.0)
    assert h.swt_s == pytest.approx(180.0)
    assert h.ewt_s == pytest.approx(90.0)
    assert h.gaps == 1


def test_headway_belongs_to_the_hour_it_ends_in() -> None:
    obs = {("LT", 1): [TEN - 120, TEN + 240, TEN + 600]}  # 09:58, 10:04, 10:10
    plan = {("LT", 1): [TEN - 120 + k * 360 for k in range(4)]}
    hours = hourly(obs, plan, PERIODS)
    assert [h.hour for h in hours] == [10]
    assert hours[0].headways == 2


def test_directions_pooled_or_apart() -> None:
    obs = {("LT", 1): [TEN, TEN + 360, TEN + 720], ("LT", 2): [TEN, TEN + 100, TEN + 720]}
    plan = {k: [TEN + i * 360 for i in range(3)] for k in obs}
    (both,) = hourly(obs, plan, PERIODS)
    (out,) = hourly(obs, plan, PERIODS, direction=1)
    (inb,) = hourly(obs, plan, PERIODS, direction=2)
    assert (both.headways, out.headways, inb.headways) == (4, 2, 2)
    assert out.ewt_s == pytest.approx(0.0)
    # inbound: 100 and 620 s → (100² + 620²) / (2 × 720) = 273.89 s against 180 s
    assert inb.ewt_s == pytest.approx((100**2 + 620**2) / 1440 - 180)
    assert inb.bunching == 1 and inb.direction == 2
    # pooled: (2 × 360² + 100² + 620²) / (2 × 1440) against 180
    assert both.ewt_s == pytest.approx((2 * 360**2 + 100**2 + 620**2) / 2880 - 180)


def test_whole_day_pools_every_headway() -> None:
    obs = {("LT", 1): [TEN, TEN + 360, TEN + 3600, TEN + 3960]}
    plan = {("LT", 1): [TEN + k * 360 for k in range(12)]}
    day = whole_day(obs, plan, PERIODS)
    assert day is not None and day.hour == -1
    assert day.headways == 3
    assert day.gaps == 1  # 10:06 → 11:00
    assert whole_day({}, plan, PERIODS) is None


def test_headway_events_name_station_time_and_kind() -> None:
    obs = {("LT", 1): [TEN, TEN + 60, TEN + 1000]}
    events = headway_events(obs, PERIODS)
    assert [(e.station, e.direction, e.t_s, e.headway_s, e.kind) for e in events] == [
        ("LT", 1, TEN + 60, 60, "bunching"),
        ("LT", 1, TEN + 1000, 940, "gap"),
    ]
    assert events[0].scheduled_s == 360


def test_a_change_of_headway_is_judged_against_the_timetable_not_the_new_period() -> None:
    # 10 minutes until 06:30, then 6: the 06:20 → 06:30 departure is the timetable's own
    # 10-minute interval, no gap against the 6-minute peak that starts at 06:30
    periods = [(5 * 3600 + 1800, 6 * 3600 + 1800, 600), (6 * 3600 + 1800, 9 * 3600, 360)]
    plan = [6 * 3600 + k * 600 for k in range(4)] + [6 * 3600 + 1800 + k * 360 for k in range(1, 5)]
    obs = {("LT", 1): plan}
    (h,) = hourly(obs, {("LT", 1): plan}, periods)
    assert (h.bunching, h.gaps) == (0, 0)
    assert h.ewt_s == pytest.approx(0.0)
    assert [e.kind for e in headway_events(obs, periods, scheduled={("LT", 1): plan})] == ["ok"] * 7
    # judged by the period alone, the 06:30 departure would look like a gap
    assert "gap" in [e.kind for e in headway_events(obs, periods)]
