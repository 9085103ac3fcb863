"""Duties from the line model's timetable."""

from __future__ import annotations

from datetime import date

import pytest

from crew import DutyKind, Role, StaffingStandard, day_duties, train_slots
from line import load_line, plan_day
from tests.crew.builders import POLICY

MONDAY = date(2026, 3, 2)
SATURDAY = date(2026, 3, 7)


@pytest.fixture(scope="module")
def ln():  # type: ignore[no-untyped-def]
    return load_line()


def counts(dd) -> dict[tuple[str, str, str], int]:  # type: ignore[no-untyped-def]
    return {
        (r.shift_id, r.kind.value, r.spec.discipline or r.spec.post or ""): r.count
        for r in dd.requirements
    }


def test_2026_weekday_needs_nine_train_slots_per_shift(ln) -> None:  # type: ignore[no-untyped-def]
    dd = day_duties(ln, ln.timetable("2026"), MONDAY, StaffingStandard(), tz=POLICY.tz)
    c = counts(dd)
    # the peaks run 9 trains (06:30–09:00 in the early shift, 16:30–19:30 in the late one)
    assert c[("early", "train", "")] == 9 and c[("late", "train", "")] == 9
    assert c[("early", "relief", "")] == 2 and c[("early", "spare", "")] == 1  # 20 %, 10 % up
    occ = {k: v for k, v in c.items() if k[1] == "occ_post"}
    assert sum(occ.values()) == 3 * 5 and occ[("occ_night", "occ_post", "train_controller")] == 2
    tech = {k: v for k, v in c.items() if k[1] == "technician"}
    assert tech[("tech_night", "technician", "track")] == 3
    first = dd.requirements[0]
    assert first.id == "2a/2026-03-02/early/train" and first.hours == 8.5
    assert first.start.isoformat() == "2026-03-02T05:00:00+07:00"
    night = next(r for r in dd.requirements if r.shift_id == "occ_night")
    assert night.end.isoformat() == "2026-03-03T06:00:00+07:00"
    kinds = {r.kind: (r.essential, r.spec.role) for r in dd.requirements}
    assert kinds[DutyKind.TRAIN] == (True, Role.DRIVER)
    assert kinds[DutyKind.SPARE] == (False, Role.DRIVER)


def test_weekend_and_2021_need_six(ln) -> None:  # type: ignore[no-untyped-def]
    for tt, d in (("2026", SATURDAY), ("2021", date(2021, 11, 8))):
        dd = day_duties(ln, ln.timetable(tt), d, StaffingStandard(), tz=POLICY.tz)
        assert dd.slots_in("early") == 6 and dd.slots_in("late") == 6


def test_train_slots_cover_every_block_minute_with_the_fewest_drivers(ln) -> None:  # type: ignore[no-untyped-def]
    plan = plan_day(ln, ln.timetable("2026"), MONDAY)
    std = StaffingStandard()
    for sh in std.driver_shifts:
        slots = train_slots(plan, sh)
        a, b = sh.seconds()
        # no driver has two pieces at once
        for s in slots:
            for p, q in zip(s.pieces, s.pieces[1:], strict=False):
                assert p.end_s <= q.start_s
        # every minute a block is in service within the shift is driven by exactly one slot
        for t in range(a, b, 60):
            running = {
                tr.block for tr in plan.trips if tr.depart_s <= t < tr.arrive_s
            }  # in a trip (layovers count too, below)
            driven = [p.block for s in slots for p in s.pieces if p.start_s <= t < p.end_s]
            assert running <= set(driven) and len(driven) == len(set(driven))
        # and no fewer slots would do: the most blocks in service at once
        peak = max(plan.trains_in_service_at(t) for t in range(a, b, 60))
        assert len(slots) == peak


def test_the_standard_is_data(ln) -> None:  # type: ignore[no-untyped-def]
    std = StaffingStandard(
        occ_posts={"chief_controller": 1, "train_controller": 3},
        relief_ratio=0,
        spare_ratio=0,
        technicians={},
    )
    dd = day_duties(ln, ln.timetable("2026"), MONDAY, std, tz=POLICY.tz)
    assert {r.kind for r in dd.requirements} == {DutyKind.TRAIN, DutyKind.OCC_POST}
    assert sum(r.count for r in dd.requirements if r.kind is DutyKind.OCC_POST) == 12
    with pytest.raises(ValueError, match="unknown shifts"):
        StaffingStandard(technicians={"nope": {}})
