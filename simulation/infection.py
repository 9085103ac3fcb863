"""The virus among staff, told once a day at midnight.

In order, so that a case found today does not infect anyone today:

1. cases are found without a test: an infection with symptoms is reported on its onset day;
   close contacts working under testing (F1, ``work_under_testing``) take their daily test;
2. infectious staff not yet found infect the members of their contact groups — shift team
   (while at work), dormitory room, the cohort on site — each with the scenario's daily
   attack probability for that kind of group;
3. everyone susceptible may catch it in the community at the day's incidence (times the
   staff's relative risk), much less while living on site;
4. the scenario's index cases for the day.

The pre-shift tests happen at sign-on (:mod:`simulation.shift`); a positive test or a report
declares the case: isolation, and contact tracing (:meth:`CrewState.declare_case`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from simulation.crewstate import DAY_S, CrewState
from simulation.operation import Operation
from simulation.scenario import Scenario


def infection(env: simpy.Environment, ops: Operation) -> Generator[Any, Any, None]:
    """Each midnight: reports, daily tests of contacts, transmission, new infections."""
    while True:
        day = int(env.now // DAY_S)
        p_day = ops.setup.community_p[day] if day < len(ops.setup.community_p) else 0.0
        spread(ops.crew, ops.setup.scenario, day, env.now, p_day)
        yield env.timeout(DAY_S)


def spread(crew: CrewState, scenario: Scenario, day: int, now: float, community_p: float) -> None:
    """One day of the disease among staff (see the module docstring); ``community_p`` is the
    day's probability of infection in the community (the incidence, before the staff's relative
    risk and the on-site factor)."""
    health = scenario.health
    rng = crew.rng
    n = len(crew.workforce)

    # 1. reports and daily tests of contacts working under testing (people infected and not
    # yet found, in index order: a report or a positive test draws from the health stream)
    onset = health.symptom_onset_days
    for i in sorted(crew.undetected):
        if crew.symptomatic[i] and day == crew.infected_day[i] + onset:
            crew.declare_case(i, now)
        elif not crew.f1_quarantines[i] and crew.contact(i, now):
            crew.test(i, now)

    # 2. transmission inside contact groups
    wf = crew.workforce
    attack = health.attack_per_day
    site = crew.cohort_on_site(day)
    spreaders = [
        i for i in sorted(crew.undetected) if crew.infectious(i, day) and not crew.excluded(i, now)
    ]
    new: list[int] = []
    for j in spreaders:
        groups = list(wf.people[j].groups)
        if site is not None and j in wf.groups[site].members:
            groups.append(site)
        for g in groups:
            grp = wf.groups[g]
            p = attack.get(grp.kind, 0.0)
            if p <= 0:
                continue
            for k in grp.members:
                if k != j and crew.susceptible(k) and not crew.excluded(k, now):
                    if rng.random() < p:
                        new.append(k)
    for k in new:
        if crew.susceptible(k):
            crew.infect(k, day)

    # 3. the community
    rr = health.staff_relative_risk
    p_day = community_p if rr == 1.0 else 1.0 - (1.0 - community_p) ** rr
    if p_day > 0:
        # staff of the on-site roles in the cohort on site run a lower risk
        on_site = crew.member_sets[site] & crew.site_bound if site is not None else frozenset()
        p_on_site = p_day * health.onsite_hazard_factor
        for i in list(crew.at_risk):  # everyone susceptible, in order (infect takes them off)
            if rng.random() < (p_on_site if i in on_site else p_day):
                crew.infect(i, day)

    # 4. index cases
    for seed in health.seed_cases:
        if seed.day != day:
            continue
        pool = [i for i in range(n) if crew.susceptible(i)]
        if seed.role is not None:
            pool = [i for i in pool if wf.people[i].role is seed.role]
        if seed.in_active_cohort:
            pool = [i for i in pool if site is not None and i in wf.groups[site].members]
        for i in rng.sample(pool, min(seed.count, len(pool))):
            crew.infect(i, day)
