"""The emulator's pure parts: train motion from the plan, drivers, demand, traction, messages."""

from __future__ import annotations

import random
import re
from datetime import date
from functools import cache

import orjson
import pytest

from line import DayPlan, Direction, Line, Trip, load_line, plan_day
from telemetry.emulator.demand import Demand
from telemetry.emulator.kinematics import plan_run
from telemetry.emulator.onboard import OnboardUnit
from telemetry.emulator.traction import feeder_currents, train_current_a
from telemetry.emulator.trains import DaySchedule, Mode, TrainSample, build_day
from telemetry.schemas import Decoded, Decoder, Reject, RejectReason

WEEKDAY = date(2026, 11, 23)  # a Monday
SATURDAY = date(2026, 11, 28)


@cache
def _line() -> Line:
    return load_line()


@cache
def _day(
    d: date = WEEKDAY, timetable: str = "2026", seed: int = 1, perturb: bool = True
) -> DaySchedule:
    ln = _line()
    return build_day(ln, plan_day(ln, ln.timetable(timetable), d), seed=seed, perturb=perturb)


def _decoder(ln: Line) -> Decoder:
    return Decoder(ln.id, frozenset(ln.fleet.trains), frozenset(ln.station_ids), ln.length_m)


# --- kinematics -----------------------------------------------------------------------------


def test_run_profile_takes_the_scheduled_time_and_stops_at_both_ends() -> None:
    p = plan_run(1000.0, 90.0, 1.0, 0.9, 80 / 3.6)
    assert p.duration_s == pytest.approx(90.0)
    assert p.at(0)[1] == 0.0
    assert p.at(90.0) == (pytest.approx(1000.0), 0.0, 0.0)
    assert p.at(p.t_acc_s + 1)[1] == pytest.approx(p.v_mps)  # cruising
    assert p.at(89.0)[2] == -0.9  # braking at the end


def test_run_profile_is_capped_at_max_speed_and_never_faster_than_possible() -> None:
    capped = plan_run(5000.0, 200.0, 1.0, 0.9, 80 / 3.6)
    assert capped.v_mps == pytest.approx(80 / 3.6)
    assert capped.duration_s < 300.0
    tight = plan_run(300.0, 10.0, 1.0, 0.9, 80 / 3.6)  # impossible: triangular, late
    assert tight.t_cruise_s == pytest.approx(0.0)
    assert tight.duration_s > 10.0
    assert tight.at(tight.duration_s)[0] == pytest.approx(300.0)


# --- trains on the plan ---------------------------------------------------------------------


def test_unperturbed_trains_keep_the_plan_at_every_station() -> None:
    ln = _line()
    day = _day(perturb=False)
    offsets = {d: ln.arrival_offsets_s(d) for d in Direction}
    checked = 0
    for sim in day.trains.values():
        for run in sim.runs:
            if run.trip is None:
                continue
            trip = run.trip
            for stop, (sid, arr, dep) in zip(run.stops, offsets[trip.direction], strict=True):
                assert stop.station == sid
                assert stop.arrive_s == pytest.approx(trip.depart_s + arr)
                assert stop.depart_s == pytest.approx(trip.depart_s + dep)
                x = ln.station(sid).chainage_m
                at_arrival = sim.state_at(trip.depart_s + arr)
                assert at_arrival.pos_m == pytest.approx(x, abs=0.5)
                assert at_arrival.speed_kmh == pytest.approx(0.0, abs=0.1)
                checked += 1
            at_departure = sim.state_at(trip.depart_s - 1)
            assert at_departure.pos_m == ln.station(trip.origin).chainage_m
            assert at_departure.trip == trip.id
            assert at_departure.doors == "open"  # boarding
    assert checked > 500


def test_trains_never_jump_between_legs() -> None:
    for tt, d in (("2026", WEEKDAY), ("2026", SATURDAY), ("2021", WEEKDAY)):
        for sim in _day(d, tt).trains.values():
            assert sim.legs[0].t0 == 0.0
            for a, b in zip(sim.legs, sim.legs[1:], strict=False):
                assert a.t1 == pytest.approx(b.t0), (sim.train, a, b)
                assert a.pos1 == pytest.approx(b.pos0), (sim.train, a, b)


def test_a_duty_at_the_far_terminal_gets_a_train_by_an_empty_run() -> None:
    ln = _line()
    trip_s = int(ln.trip_time_s)

    def trip(i: str, block: int, dep: int) -> Trip:
        return Trip(i, Direction.OUTBOUND, "CL", "YN", dep, dep + trip_s, "day", 600, block, "T01")

    # T01 ends its first duty at Yên Nghĩa and the plan wants it at Cát Linh 40 minutes later,
    # where no train stands: it must run there empty (doors shut, not in service)
    plan = DayPlan(WEEKDAY, "test", (), (trip("1001", 0, 6 * 3600), trip("1002", 1, 7 * 3600)), 2)
    day = build_day(ln, plan, seed=1, perturb=False)
    runs = day.trains["T01"].runs
    assert [(r.trip.id if r.trip else None, r.direction) for r in runs] == [
        ("1001", Direction.OUTBOUND),
        (None, Direction.INBOUND),
        ("1002", Direction.OUTBOUND),
    ]
    empty = runs[1]
    mid = day.trains["T01"].state_at(empty.stops[5].arrive_s + 10)
    assert (mid.doors, mid.in_service, mid.trip, mid.load_pct) == ("closed", False, None, 0.0)
    assert mid.driver is not None and mid.speed_kmh == 0
    assert day.trains["T01"].state_at(7 * 3600 - 1).pos_m == 0.0
    assert [r.trip.id for s in day.trains.values() for r in s.runs if r.trip] == ["1001", "1002"]


def test_every_planned_trip_is_run_once() -> None:
    day = _day(perturb=False)
    run_ids = sorted(r.trip.id for s in day.trains.values() for r in s.runs if r.trip)
    assert run_ids == sorted(t.id for t in day.plan.trips)


def test_dwelling_trains_stand_with_doors_open() -> None:
    ln = _line()
    day = _day()
    for sim in day.trains.values():
        for run in sim.runs:
            if run.trip is None:
                continue
            for stop in run.stops[1:-1]:
                s = sim.state_at((stop.arrive_s + stop.depart_s) / 2)
                assert (s.speed_kmh, s.doors) == (0.0, "open")
                assert s.pos_m == ln.station(stop.station).chainage_m
                assert s.mode is Mode.ATO and s.in_service and s.driver is not None


def test_speed_limit_direction_and_position_bounds_over_a_whole_day() -> None:
    ln = _line()
    day = _day()
    for sim in day.trains.values():
        last: TrainSample | None = None
        for t in range(0, 86400, 7):
            s = sim.state_at(t)
            assert 0 <= s.speed_kmh <= ln.max_speed_kmh + 1e-9
            assert 0 <= s.pos_m <= ln.length_m
            assert 0 <= s.load_pct <= 150
            if s.speed_kmh > 0 and s.mode is Mode.ATO:
                # chainage grows on track 1 and falls on track 2, within a trip
                if last is not None and last.trip == s.trip and last.track == s.track:
                    step = s.pos_m - last.pos_m
                    assert (step >= 0) if s.track == 1 else (step <= 0), (sim.train, t)
            last = s


@pytest.mark.parametrize(("hour", "expected"), [(8.0, 9), (12.0, 6), (18.0, 9)])
def test_trains_in_service_on_a_weekday_of_the_2026_timetable(hour: float, expected: int) -> None:
    assert _day(perturb=False).in_service_at(hour * 3600) == expected
    assert abs(_day().in_service_at(hour * 3600) - expected) <= 1


def test_weekend_runs_six_trains_all_day() -> None:
    day = _day(SATURDAY)
    assert {day.in_service_at(h * 3600) for h in (7, 12, 18)} == {6}


def test_trains_without_a_trip_rest_in_the_depot_or_stabled_without_driver() -> None:
    ln = _line()
    day = _day()
    for t in (3 * 3600, 12 * 3600, 23.5 * 3600):
        for s in day.states_at(t).values():
            if s.in_service or s.trip is not None:
                continue
            if s.mode is Mode.DEPOT:
                assert s.pos_m == ln.length_m == ln.depot.chainage_m
            if s.mode in (Mode.DEPOT, Mode.OFF):
                assert s.driver is None and s.speed_kmh == 0 and s.doors == "closed"
    night = day.states_at(3 * 3600).values()
    assert all(s.mode in (Mode.DEPOT, Mode.OFF) for s in night)
    spare = [tid for tid, sim in day.trains.items() if not sim.runs]
    assert spare, "the 2026 weekday needs fewer than 13 trains"
    assert all(day.trains[t].state_at(9 * 3600).mode is Mode.DEPOT for t in spare)


def test_perturbations_are_seeded_bounded_and_a_late_train_stays_late() -> None:
    ln = _line()
    a, b, other = _day(seed=1), build_day(ln, _day(seed=1).plan, seed=1), _day(seed=2)
    assert a.trains["T03"].runs == b.trains["T03"].runs
    assert a.trains["T03"].runs != other.trains["T03"].runs
    offsets = {d: ln.arrival_offsets_s(d) for d in Direction}
    late_max = 0.0
    late_any = 0
    for sim in a.trains.values():
        for run in sim.runs:
            if run.trip is None:
                continue
            lateness = [
                st.arrive_s - (run.trip.depart_s + arr)
                for st, (_, arr, _) in zip(run.stops, offsets[run.direction], strict=True)
            ]
            assert min(lateness) >= -1e-6  # never ahead of the plan
            # no recovery within a trip: lateness only grows station by station
            assert all(y >= x - 1e-6 for x, y in zip(lateness[1:], lateness[2:], strict=False))
            late_max = max(late_max, lateness[-1])
            late_any += lateness[-1] > 30
    assert late_any > 20  # realistic: many trips end somewhat late
    assert late_max < 15 * 60


def test_drivers_log_on_for_duties_and_never_drive_two_trains_at_once() -> None:
    day = _day()
    spans: dict[str, list[tuple[float, float, str]]] = {}
    for sim in day.trains.values():
        kinds = [e.kind for e in sim.events if e.kind.startswith("cab_")]
        assert kinds == ["cab_logon", "cab_logoff"] * (len(kinds) // 2)
        for d in sim.duties:
            assert re.fullmatch(r"D0[0-4]\d", d.driver)
            assert sim.state_at(d.on_s + 1).driver == d.driver
            spans.setdefault(d.driver, []).append((d.on_s, d.off_s, sim.train))
        for run in sim.runs:
            assert sim.state_at(run.stops[0].depart_s).driver is not None
    for driver, ss in spans.items():
        ss.sort()
        for (_, end, _), (start, _, _) in zip(ss, ss[1:], strict=False):
            assert start >= end, driver
    # reliefs: more duties than blocks
    assert sum(len(s.duties) for s in day.trains.values()) > day.plan.blocks


# --- demand and traction --------------------------------------------------------------------


def test_demand_peaks_in_the_rush_hours_and_flows_balance() -> None:
    ln = _line()
    dm = Demand(ln)
    assert dm.riders_per_h(8 * 3600) > 2.5 * dm.riders_per_h(12 * 3600)
    assert dm.riders_per_h(18 * 3600) > 2.5 * dm.riders_per_h(12 * 3600)
    assert dm.riders_per_h(3 * 3600) == 0
    assert sum(dm.riders_per_h(m * 60) / 60 for m in range(1440)) == pytest.approx(45_000)
    rates = [dm.station_rates_per_h(8 * 3600, i) for i in range(len(ln.stations))]
    assert sum(e for e, _ in rates) == pytest.approx(sum(x for _, x in rates))
    # the morning peak runs towards the city: the inbound train near Cát Linh is fuller
    assert dm.load_pct(8 * 3600, Direction.INBOUND, 1, 360) > dm.load_pct(
        8 * 3600, Direction.OUTBOUND, 1, 360
    )


def _sample(pos: float, speed: float, accel: float, mode: Mode = Mode.ATO) -> TrainSample:
    return TrainSample("T01", 0.0, pos, 1, speed, accel, "closed", mode, "D001", 50.0, "1001", True)


def test_traction_current_is_high_accelerating_low_cruising_and_shared_nearby() -> None:
    ln = _line()
    cap = ln.fleet.capacity_normal
    accelerating = train_current_a(_sample(1000, 40, 1.0), cap)
    cruising = train_current_a(_sample(1000, 50, 0.0), cap)
    braking = train_current_a(_sample(1000, 40, -0.9), cap)
    assert accelerating > 1500 > 300 > cruising > 0 > braking
    assert train_current_a(_sample(13050, 0, 0, Mode.DEPOT), cap) == 0
    near_ss2 = feeder_currents(ln, [_sample(3200, 40, 1.0)])  # right at SS2
    assert near_ss2["SS2"] == pytest.approx(accelerating)
    assert near_ss2["SS1"] == near_ss2["SS3"] == 0
    between = feeder_currents(ln, [_sample(4800, 40, 1.0)])  # halfway SS2–SS3
    assert between["SS2"] == pytest.approx(between["SS3"])
    assert feeder_currents(ln, [_sample(4800, 40, -0.9)])["SS2"] == 0  # no regen into a rectifier


# --- on-board messages ----------------------------------------------------------------------


def _unit_tick(unit: OnboardUnit, n: int, **kw: float) -> list[tuple[str, bytes]]:
    sample = _sample(5000, 40, 0.0)
    out = []
    for i in range(n):
        msgs = unit.tick(
            1_000_000 + i * 1000 if i else None,
            1_000_000 + (i + 1) * 1000,
            sample,
            [],
            fault_rate_per_h=kw.get("fault_rate_per_h", 0.0),
            gap_rate=kw.get("gap_rate", 0.0),
            malformed_rate=kw.get("malformed_rate", 0.0),
        )
        out += [(m.topic, m.payload) for m in msgs]
    return out


def test_onboard_seq_counts_every_message_and_gaps_are_injected() -> None:
    plain = _unit_tick(OnboardUnit("2a", "T01", random.Random(1)), 50, fault_rate_per_h=200)
    seqs = [orjson.loads(p)["seq"] for _, p in plain]
    assert seqs == list(range(len(seqs)))  # events and telemetry share the counter
    assert any(t.endswith("/event") for t, _ in plain)
    gappy = _unit_tick(OnboardUnit("2a", "T01", random.Random(1)), 50, gap_rate=0.3)
    seqs = [orjson.loads(p)["seq"] for _, p in gappy]
    steps = [b - a for a, b in zip(seqs, seqs[1:], strict=False)]
    assert all(s >= 1 for s in steps) and sum(s > 1 for s in steps) > 5


def test_faults_are_raised_shown_and_cleared() -> None:
    ln = _line()
    dec = _decoder(ln)
    unit = OnboardUnit("2a", "T01", random.Random(3))
    raised, cleared, shown = set(), set(), set()
    for topic, payload in _unit_tick(unit, 3600, fault_rate_per_h=20):
        d = dec.decode(topic, payload)
        assert isinstance(d, Decoded), d
        body = orjson.loads(payload)
        if body.get("kind") == "fault_raised":
            assert body["severity"] and body["driver"] == "D001"
            raised.add(body["code"])
        elif body.get("kind") == "fault_cleared":
            cleared.add(body["code"])
        elif "faults" in body:
            shown.update(body["faults"])
    assert raised and raised == shown and cleared <= raised and cleared


def test_malformed_payloads_are_all_rejected_by_the_decoder() -> None:
    dec = _decoder(_line())
    reasons = set()
    for topic, payload in _unit_tick(
        OnboardUnit("2a", "T01", random.Random(5)), 200, malformed_rate=1.0
    ):
        r = dec.decode(topic, payload)
        assert isinstance(r, Reject), payload
        reasons.add(r.reason)
    assert {
        RejectReason.BAD_JSON,
        RejectReason.INVALID,
        RejectReason.UNKNOWN_TRAIN,
        RejectReason.TOPIC_MISMATCH,
    } <= reasons


def test_trains_at_rest_are_in_the_depot_not_beside_trains_in_service() -> None:
    ln = _line()
    day = _day()
    platforms = {s.chainage_m for s in ln.stations}
    # before service and after it, every train is in the depot
    for t_s in (3 * 3600.0, 4.5 * 3600.0, 23.9 * 3600.0):
        for s in day.states_at(t_s).values():
            assert s.mode is Mode.DEPOT and s.pos_m == ln.depot.chainage_m, (t_s, s)
    # through the day no train stands powered off on a platform, beside trains in service
    for minute in range(5 * 60, 23 * 60, 5):
        for s in day.states_at(minute * 60.0).values():
            assert s.mode is not Mode.OFF, (minute, s)
            if s.mode is Mode.DEPOT:
                assert s.pos_m not in platforms
