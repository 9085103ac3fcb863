"""Roster realism: qualifications renewed before they lapse, tracing by group, F1 rules by where
a contact lives and by date, and impossible inputs refused with a clear message."""

from __future__ import annotations

from typing import Any

import pytest

from crew import GroupKind, Role
from simulation import build_setup, scenario_preset
from simulation.crewstate import DAY_S
from simulation.model import plan_book
from simulation.operation import Operation
from tests.simulation.helpers import line2a, replicate, scenario


@pytest.mark.parametrize("renew", [True, False])
def test_a_year_long_baseline_keeps_its_qualified_staff_only_with_training(renew: bool) -> None:
    """The synthetic roster's qualifications expire 180-900 days out (and a few within three
    weeks). Without renewal they lapse one by one: by day 364 some 27 of the 60 drivers may no
    longer drive. With training scheduled 30 days before expiry nobody lapses, the timetable
    holds all 365 days, and the trainees are away (as leave) on their training day."""
    base = scenario_preset("baseline")
    sc = base.model_copy(update={"training": base.training.model_copy(update={"renew": renew})})
    setup = build_setup(sc, line2a(), 365)
    rep = replicate(sc, 365)
    last = rep.rows[-1]["staff.driver.available"]
    if renew:
        assert all(r["level.timetable"] == 1.0 for r in rep.rows)
        assert last >= 55
        wf = setup.workforce
        assert wf.training, "nobody trained: the test tests nothing"
        day, people = min(wf.training.items())
        role = wf.people[min(people)].role.value
        assert rep.rows[day][f"states.{role}.leave"] >= 1
        assert all(p.qualified_until >= 365 for p in wf.people if p.qualified_until >= 0)
    else:
        assert last <= 40


def _declare(sc_fields: dict[str, Any], nth: int = 0) -> tuple[Operation, int]:
    """One case declared among ``role`` at 10:00 on day 0 of a scenario; the world and case."""
    sc = scenario(**sc_fields)
    setup = build_setup(sc, line2a(), 3)
    ops = Operation(setup, "t", plan_book(setup))
    ops.crew.start_day(0)
    case = setup.workforce.by_role[Role.DRIVER][nth]
    ops.crew.declare_case(case, 10 * 3600.0)
    return ops, case


def test_tracing_marks_each_member_of_a_group_with_its_probability() -> None:
    everyone = {GroupKind.SHIFT_TEAM: 1.0, GroupKind.DORMITORY_ROOM: 1.0}
    ops, case = _declare({"health": {"trace_probability": everyone}})
    team = [g for g in ops.crew.workforce.people[case].groups]
    marked = {i for i in range(len(ops.crew.workforce)) if ops.crew.contact(i, 11 * 3600.0)}
    members = {m for g in team for m in ops.crew.workforce.groups[g].members} - {case}
    assert marked == members and len(marked) >= 9  # the whole team of 10 (and any roommates)
    nobody = {GroupKind.SHIFT_TEAM: 0.0, GroupKind.DORMITORY_ROOM: 0.0}
    ops, case = _declare({"health": {"trace_probability": nobody}})
    assert not any(ops.crew.contact(i, 11 * 3600.0) for i in range(len(ops.crew.workforce)))


def test_f1_on_site_works_under_testing_while_f1_at_home_quarantines() -> None:
    fields = {
        "onsite": {"roles": ["driver"], "drivers_per_cohort": 25},
        "f1_mode_on_site": "work_under_testing",
        "health": {"trace_probability": {"shift_team": 1.0, "dormitory_room": 1.0}},
    }
    ops, case = _declare(fields, nth=20)  # team C: drivers 20-29, cohorts 0-24 and 25-49
    crew = ops.crew
    t = 11 * 3600.0
    contacts = [i for i in range(len(crew.workforce)) if crew.contact(i, t)]
    on_site = [i for i in contacts if crew.in_cohort_on_site(i, 0)]
    at_home = [i for i in contacts if not crew.in_cohort_on_site(i, 0)]
    assert on_site and at_home
    assert not any(crew.excluded(i, t) for i in on_site)
    assert all(crew.excluded(i, t) for i in at_home)


def test_the_f1_quarantine_follows_the_rule_in_force_on_the_date() -> None:
    rules = [
        {"from_date": "2026-03-01", "f1_quarantine_days": 7, "source": "s1"},
        {"from_date": "2026-03-04", "f1_quarantine_days": 5, "source": "s2"},
    ]
    fields = {"rules": rules, "health": {"trace_probability": {"shift_team": 1.0}}}
    sc = scenario(**fields)
    setup = build_setup(sc, line2a(), 3)
    assert [r.f1_quarantine_days for r in setup.day_rules] == [7, 7, 5]
    ops = Operation(setup, "t", plan_book(setup))
    crew = ops.crew
    for day in (0, 2):
        crew.start_day(day)
        case = setup.workforce.by_role[Role.DRIVER][day]
        t = day * DAY_S + 10 * 3600.0
        crew.declare_case(case, t)
        contact = next(i for i in crew.contacts_of(case, day) if crew.f0_until[i] <= t)
        assert crew.f1_until[contact] == t + setup.day_rules[day].f1_quarantine_days * DAY_S


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"absences": [{"role": "driver", "count": 100}]},
            "100 absent, but the roster has 60 (driver)",
        ),
        (
            {"absences": [{"role": "technician", "count": 1, "from_day": 30}]},
            "after the run's last day (9)",
        ),
        (
            {"absences": [{"role": "driver", "count": 1, "from_day": 5, "to_day": 2}]},
            "before it starts",
        ),
        (
            {"health": {"seed_cases": [{"day": 12}]}},
            "index case 1 on day 12 is after the run's last day",
        ),
        (
            {"health": {"seed_cases": [{"day": 1, "count": 61, "role": "driver"}]}},
            "the roster has 60 (driver)",
        ),
        (
            {"health": {"seed_cases": [{"day": 1, "in_active_cohort": True}]}},
            "no 3-on-site cohorts",
        ),
        ({"start_date": "2021-01-04"}, "no timetable in force"),
        (
            {"incidence": {"series": "hanoi-2022"}, "start_date": "2021-12-06"},
            "incidence series hanoi-2022 starts 2022-01-02",
        ),
        ({"incidence": {"series": "hanoi-2022"}}, "ends 2022-04-30, before the run starts"),
    ],
)
def test_impossible_inputs_are_refused_with_a_clear_message(
    fields: dict[str, Any], message: str
) -> None:
    sc = scenario(**fields)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_setup(sc, line2a(), 10)


def test_technicians_in_cohorts_work_only_while_their_cohort_is_on_site() -> None:
    """When a scenario puts technicians on site, each cohort gets its share of every trade and
    only the cohort on site signs on; its trades still cover the night inspection."""
    sc = scenario(
        onsite={"roles": ["driver", "technician"], "drivers_per_cohort": 30},
        timetable="2021",
    )
    setup = build_setup(sc, line2a(), 7)
    wf = setup.workforce
    first = set(wf.groups[wf.rotation[0]].members)
    techs = set(wf.by_role[Role.TECHNICIAN])
    assert len(first & techs) == 35
    trades = {wf.people[i].discipline for i in first & techs}
    assert len(trades) == 5  # every trade in the cohort
    rep = replicate(sc, 7, trace=True)
    assert rep.trace is not None
    signed = {i for _, i in rep.trace.sign_ons if i in techs}
    assert signed and signed <= first
    assert all(r["trains.ready"] >= 6 for r in rep.rows)  # the night shift inspected them
    assert all(r["trips_operated"] == r["trips_planned"] for r in rep.rows)


def test_train_faults_are_counted_apart_from_the_crew() -> None:
    """Trains failing every 2 service hours and staying in repair for days: the next morning
    fewer trains are ready than 10-minute service needs, so the plan is cut — for the trains,
    not the crew (drivers, controllers and technicians are all there)."""
    sc = scenario(
        timetable="2021",
        fleet={"failures": True, "mtbf_h": 2.0, "repair_mean_h": 500.0},
    )
    rep = replicate(sc, 2)
    day1 = rep.rows[1]
    assert day1["trains.ready"] < 6  # 10 minutes needs 6
    assert day1["cancelled.by_plan_fleet"] > 0 and day1["cancelled.by_plan_crew"] == 0
    for r in rep.rows:
        assert r["cancelled.crew"] == 0
        assert r["cancelled.fleet"] == r["trips_cancelled"] > 0
