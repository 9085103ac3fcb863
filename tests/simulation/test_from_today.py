"""A what-if "from today": the crew record's statuses and hours carry into the run.

The crew store hands over its snapshot (roster, status history, shifts worked); the run starts
with the next plan to make (tomorrow, after 03:00), with today's isolations, quarantines and
leave still running and this week's working days already counted.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from crew import (
    CrewPolicy,
    Role,
    State,
    StatusEvent,
    StatusHistory,
    WorkRecord,
    synthetic_roster,
)
from simulation import CrewSnapshot, build_setup, scenario_preset
from simulation.model import run_replication
from tests.simulation.helpers import line2a

TZ = CrewPolicy().tz
SATURDAY = date(2026, 3, 7)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=TZ)


def event(sid: str, state: State, start: datetime, days: float | None) -> StatusEvent:
    return StatusEvent(
        event_id=f"{sid}-{state}",
        staff_id=sid,
        state=state,
        effective=start,
        until=None if days is None else start + timedelta(days=days),
        recorded_at=start,
    )


def test_a_run_from_today_starts_with_todays_statuses_and_hours() -> None:
    roster = synthetic_roster(3)
    drivers = [s.id for s in roster.staff if s.role is Role.DRIVER]
    sick, contact, away, tired = drivers[0], drivers[1], drivers[2], drivers[3]
    now = at(SATURDAY, "10:00")
    history = StatusHistory(
        [
            event(sick, State.F0_ISOLATION, now - timedelta(days=2), 7),  # 5 days left
            event(contact, State.F1_QUARANTINE, now - timedelta(days=1), 7),
            event(away, State.LEAVE, now - timedelta(days=1), 3),
        ]
    )
    # `tired` has worked Monday to Saturday of this ISO week: Sunday is their rest day
    work = tuple(
        WorkRecord(tired, at(SATURDAY - timedelta(days=k), "05:00"), at(SATURDAY, "13:30"))
        if k == 0
        else WorkRecord(
            tired,
            at(SATURDAY - timedelta(days=k), "05:00"),
            at(SATURDAY - timedelta(days=k), "13:30"),
        )
        for k in range(6)
    )
    snap = CrewSnapshot(roster, history, work, now)
    sc = scenario_preset("baseline").model_copy(update={"start": "today"})
    setup = build_setup(sc, line2a(), 4, crew_state=snap)
    assert setup.start == SATURDAY + timedelta(days=1)  # today's plan is already made
    index = {p.id: p.index for p in setup.workforce.people}
    rep = run_replication(setup, 1, 0, trace=True)
    assert rep.trace is not None
    worked_on: dict[int, set[int]] = {}
    for t, i in rep.trace.sign_ons:
        worked_on.setdefault(int(t // 86_400), set()).add(i)

    day0 = rep.rows[0]
    assert day0["states.driver.f0_isolation"] == 1
    assert day0["states.driver.f1_quarantine"] == 1  # baseline policy: F1 quarantine
    assert day0["states.driver.leave"] == 1
    # the isolation ends 5 days after `now` (day 4 of the run and beyond): off all 4 days
    assert all(index[sick] not in worked_on.get(d, set()) for d in range(4))
    assert all(r["states.driver.f0_isolation"] == 1 for r in rep.rows)
    # leave ends Monday morning (day 1): only the quarantine and isolation are left by day 2
    assert rep.rows[2]["states.driver.leave"] == 0
    assert index[tired] not in worked_on[0]  # six days worked this week already
    assert all(r["trips_operated"] == r["trips_planned"] for r in rep.rows)


def test_a_run_from_today_needs_the_crew_record() -> None:
    sc = scenario_preset("baseline").model_copy(update={"start": "today"})
    with pytest.raises(ValueError, match="crew state"):
        build_setup(sc, line2a(), 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        CrewSnapshot(synthetic_roster(1), StatusHistory(), (), datetime(2026, 3, 7, 10))


def test_snapshot_of_a_crew_store_record() -> None:
    class Record:  # what crew.store.CrewSnapshot carries
        roster = synthetic_roster(1)
        history = StatusHistory()
        work: tuple[WorkRecord, ...] = ()

    early = at(SATURDAY, "02:00")
    snap = CrewSnapshot.of(Record(), early)
    sc = scenario_preset("baseline").model_copy(update={"start": "today"})
    # before 03:00 today's plan is still to be made: the run starts today
    assert build_setup(sc, line2a(), 1, crew_state=snap).start == SATURDAY
