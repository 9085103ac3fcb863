"""The changing state of the crew in one replication: health, isolation, quarantine, hours.

Times are simulation seconds (0 = local midnight of the start date); days are day indices. The
state follows the crew module's rules (:class:`crew.CrewPolicy`): a confirmed case (F0)
isolates ``f0_isolation_days`` and returns after a negative test; the members of its contact
groups (the policy's ``trace_group_kinds``: shift team, dormitory room, the cohort on site) become
close contacts (F1) and either quarantine ``f1_quarantine_days`` or keep working under daily
testing (``f1_mode``); staff of the ``onsite_required_roles`` may work only while their cohort is
on site.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from crew import CrewPolicy, F1Mode, GroupKind, Role, State
from simulation.hours import Calendar, Ledger
from simulation.scenario import Health
from simulation.workforce import Workforce

DAY_S = 86_400
PLAN_AT_S = 3 * 3600  # the control centre plans each day at 03:00

# status codes noted for everyone when the day is planned (F0 > F1 > leave > none, the crew's
# precedence; the day's record turns them into states)
NONE, F0, F1, LEAVE = 0, 1, 2, 3


@dataclass(slots=True)
class InitialState:
    """Where a run starts from ("from today"): statuses and hours already worked.

    Times are simulation seconds and may be negative (before the start). ``work`` lists shifts
    already worked as (person, day, start_s, end_s, minutes), in time order.
    """

    f0_until_s: dict[int, float] = field(default_factory=dict)
    f1_until_s: dict[int, float] = field(default_factory=dict)
    leave_until_s: dict[int, float] = field(default_factory=dict)
    immune: set[int] = field(default_factory=set)
    work: list[tuple[int, int, float, float, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DayRules:
    """The health rules in force on one day (the scenario's dated rule changes applied).

    ``f1_quarantine_home``/``f1_quarantine_on_site``: whether a close contact living at home,
    or in the 3-on-site cohort on site, quarantines (else works under daily testing).
    """

    f0_isolation_days: float
    f1_quarantine_days: float
    f1_quarantine_home: bool
    f1_quarantine_on_site: bool


@dataclass(slots=True)
class DayTally:
    """What happened to the crew's health on one day (for the day's record)."""

    infections: int = 0
    cases: int = 0  # declared F0
    contacts: int = 0  # people newly marked F1


class CrewState:
    """Health, status and hours of everyone in one replication."""

    def __init__(
        self,
        workforce: Workforce,
        policy: CrewPolicy,
        health: Health,
        calendar: Calendar,
        rng: random.Random,
        initial: InitialState | None = None,
        rules: tuple[DayRules, ...] = (),
    ) -> None:
        n = len(workforce)
        self.workforce = workforce
        self.policy = policy
        self.health = health
        self.rng = rng
        self.ledger = Ledger(n, policy, calendar)
        self.f0_until = [0.0] * n
        self.f1_until = [0.0] * n
        self.leave_until = [0.0] * n
        self.infected_day = [-1] * n  # day of infection; -1: not infected
        self.symptomatic = [False] * n
        self.detected = [False] * n
        self.immune = [False] * n
        q = policy.f1_mode is F1Mode.QUARANTINE
        self.rules = rules
        self.today = DayRules(policy.f0_isolation_days, policy.f1_quarantine_days, q, q)
        # per person: does an F1 stay away (quarantine) today, or work under daily testing?
        # Set each day from the rules in force and where the person lives (on site or home).
        self.f1_quarantines = [q] * n
        self.quarantine_f1 = q  # True when any F1 quarantines today (a shortcut for loops)
        self.trace_kinds = frozenset(policy.trace_group_kinds)
        self.trace_p = {k: health.trace_probability.get(k, 1.0) for k in policy.trace_group_kinds}
        self.absent_today: set[int] = set()
        self.member_sets = [frozenset(g.members) for g in workforce.groups]
        # staff of the roles that must live on site (fixed for the run)
        self.site_bound = frozenset(
            p.index for p in workforce.people if p.role in workforce.onsite_roles
        )
        # cohort on site: index into workforce.rotation and the day it moved in
        self.cohort_turn = 0
        self.cohort_since = 0
        self._tallies: dict[int, DayTally] = {}
        # the operation is told when someone must leave a duty (isolation, quarantine)
        self.on_removed: Callable[[int, float], None] = lambda i, t: None
        if initial is not None:
            for i, t in initial.f0_until_s.items():
                self.f0_until[i] = t
                self.detected[i] = True
                self.infected_day[i] = int(t // DAY_S) - 7
            for i, t in initial.f1_until_s.items():
                self.f1_until[i] = t
            for i, t in initial.leave_until_s.items():
                self.leave_until[i] = t
            for i in initial.immune:
                self.immune[i] = True
            for i, day, a, b, minutes in initial.work:
                self.ledger.book(i, day, a, b, minutes)
        # the people the daily infection pass looks at, kept up to date by ``infect`` and
        # ``declare_case`` (it runs every simulated day): infected and not yet found; and never
        # infected nor immune, in index order (the community's draws are made in that order)
        self.undetected: set[int] = set()
        self.at_risk = [i for i in range(n) if self.susceptible(i)]

    # --- status ---------------------------------------------------------------------------
    def isolating(self, i: int, t: float) -> bool:
        return self.f0_until[i] > t

    def contact(self, i: int, t: float) -> bool:
        """Marked F1 at ``t`` (whether quarantined or working under testing)."""
        return self.f1_until[i] > t

    def on_leave(self, i: int, t: float) -> bool:
        return i in self.absent_today or self.leave_until[i] > t

    def excluded(self, i: int, t: float) -> bool:
        """May not work at ``t``: isolating, quarantined, or on leave."""
        return (
            self.f0_until[i] > t
            or (self.f1_quarantines[i] and self.f1_until[i] > t)
            or i in self.absent_today
            or self.leave_until[i] > t
        )

    def state_at(self, i: int, t: float, worked: bool) -> State:
        """The one state of person ``i`` for the day's record (crew precedence:
        F0 > F1 > leave > on shift > available). An F1 who works under testing and worked
        counts as on shift."""
        if self.f0_until[i] > t:
            return State.F0_ISOLATION
        if self.f1_until[i] > t and (self.f1_quarantines[i] or not worked):
            return State.F1_QUARANTINE
        if self.on_leave(i, t):
            return State.LEAVE
        return State.ON_SHIFT if worked else State.AVAILABLE

    # --- 3-on-site ------------------------------------------------------------------------
    def cohort_on_site(self, day: int) -> int | None:
        """Group index of the cohort on site on ``day`` (rotation or fixed dates)."""
        wf = self.workforce
        if wf.rotation:
            return wf.rotation[self.cohort_turn % len(wf.rotation)]
        for c in wf.fixed_cohorts:
            if c.start_day <= day < c.end_day:
                return c.group
        return None

    def rotate_cohorts(self, day: int, t: float, swap_below_share: float | None) -> None:
        """Move the next cohort in when the turn is over, or early after an outbreak."""
        wf = self.workforce
        if not wf.rotation:
            return
        if day - self.cohort_since >= wf.cohort_days:
            self.cohort_turn += 1
            self.cohort_since = day
            self.set_f1_modes(day)
            return
        if swap_below_share is None or len(wf.rotation) < 2:
            return
        here = wf.groups[wf.rotation[self.cohort_turn % len(wf.rotation)]].members
        nxt = wf.groups[wf.rotation[(self.cohort_turn + 1) % len(wf.rotation)]].members

        f0, f1, leave = self.f0_until, self.f1_until, self.leave_until
        f1_stays_away, absent = self.f1_quarantines, self.absent_today

        def share_fit(members: tuple[int, ...]) -> float:
            # CrewState.excluded, inlined: this runs for the cohort on site every day
            fit = sum(
                1
                for m in members
                if not (
                    f0[m] > t or (f1_stays_away[m] and f1[m] > t) or m in absent or leave[m] > t
                )
            )
            return fit / max(1, len(members))

        fit_here = share_fit(here)  # the next cohort is looked at only when this one is short
        if fit_here < swap_below_share and share_fit(nxt) > fit_here:
            self.cohort_turn += 1
            self.cohort_since = day
            self.set_f1_modes(day)

    def set_f1_modes(self, day: int) -> None:
        """Whether each person's F1 status keeps them away today: the rule for contacts living
        on site (staff of the on-site roles in the cohort on site) or at home."""
        r = self.today
        home, site = r.f1_quarantine_home, r.f1_quarantine_on_site
        wf = self.workforce
        q = self.f1_quarantines
        if home == site or not wf.onsite_roles:
            q[:] = [home] * len(q)
        else:
            g = self.cohort_on_site(day)
            members = self.member_sets[g] if g is not None else frozenset()
            roles = wf.onsite_roles
            for p in wf.people:
                q[p.index] = site if (p.role in roles and p.index in members) else home
        self.quarantine_f1 = home or site

    def expected_cohort_on_site(self, day: int) -> int | None:
        """The cohort expected on site on a later ``day`` if the rotation keeps its turns."""
        wf = self.workforce
        if wf.rotation:
            turns = max(0, day - self.cohort_since) // wf.cohort_days
            return wf.rotation[(self.cohort_turn + turns) % len(wf.rotation)]
        return self.cohort_on_site(day)

    def on_site_ok(self, i: int, day: int) -> bool:
        """The 3-on-site rule: roles that must live on site work only with their cohort."""
        wf = self.workforce
        if wf.people[i].role not in wf.onsite_roles:
            return True
        g = self.cohort_on_site(day)
        return g is not None and i in self.member_sets[g]

    def in_cohort_on_site(self, i: int, day: int) -> bool:
        g = self.cohort_on_site(day)
        return g is not None and i in self.workforce.groups[g].members

    # --- disease --------------------------------------------------------------------------
    def infect(self, i: int, day: int) -> None:
        self.infected_day[i] = day
        self.symptomatic[i] = self.rng.random() < self.health.symptomatic_share
        self.detected[i] = False
        self.undetected.add(i)
        self.at_risk.remove(i)  # the callers infect only people susceptible
        self.tally(day).infections += 1

    def susceptible(self, i: int) -> bool:
        return self.infected_day[i] < 0 and not self.immune[i]

    def infectious(self, i: int, day: int) -> bool:
        d0 = self.infected_day[i]
        if d0 < 0:
            return False
        h = self.health
        return d0 + h.latent_days <= day < d0 + h.latent_days + h.infectious_days

    def test(self, i: int, t: float) -> bool:
        """A rapid test at ``t``: positive for an infectious person unless it misses; a
        positive test declares the case."""
        if i not in self.undetected:  # never infected, or found: negative (most tests)
            return False
        day = int(t // DAY_S)
        if self.detected[i] or not self.infectious(i, day):
            return False
        if self.rng.random() < self.health.rapid_test_miss_share:
            return False
        self.declare_case(i, t)
        return True

    def declare_case(self, i: int, t: float) -> None:
        """``i`` is a confirmed case at ``t``: isolation, and contact tracing of its groups."""
        if self.detected[i]:
            return
        self.detected[i] = True
        self.undetected.discard(i)
        day = int(t // DAY_S)
        self.tally(day).cases += 1
        p = self.policy
        extra = 0
        if p.f0_release_test_lead_h is not None:
            cap = self.health.release_max_extra_days
            while extra < cap and self.rng.random() < self.health.release_positive_share:
                extra += 1  # the release test is still positive: one more day
        rules = self.today
        self.f0_until[i] = max(self.f0_until[i], t + (rules.f0_isolation_days + extra) * DAY_S)
        self.on_removed(i, t)
        f1_until = t + rules.f1_quarantine_days * DAY_S
        for k in self.contacts_of(i, day):
            if self.f0_until[k] > t:
                continue  # already isolating: left as they are (crew.rules.trace_contacts)
            if self.f1_until[k] <= t:
                self.tally(day).contacts += 1
            self.f1_until[k] = max(self.f1_until[k], f1_until)
            if self.f1_quarantines[k]:
                self.on_removed(k, t)

    def contacts_of(self, i: int, day: int) -> list[int]:
        """Members of ``i``'s traced contact groups on ``day`` whom tracing finds (each with the
        scenario's trace probability for the kind of group), in a fixed order."""
        wf = self.workforce
        seen: set[int] = set()
        out: list[int] = []
        groups = list(wf.people[i].groups)
        g = self.cohort_on_site(day)
        if g is not None and i in wf.groups[g].members:
            groups.append(g)
        rng = self.rng
        for gi in groups:
            grp = wf.groups[gi]
            p = self.trace_p.get(grp.kind, 0.0)
            if p <= 0.0:
                continue
            for k in grp.members:
                if k != i and k not in seen and (p >= 1.0 or rng.random() < p):
                    seen.add(k)
                    out.append(k)
        return out

    # --- bookkeeping ----------------------------------------------------------------------
    def tally(self, day: int) -> DayTally:
        t = self._tallies.get(day)
        if t is None:
            t = self._tallies[day] = DayTally()
        return t

    def take_tally(self, day: int) -> DayTally:
        """The health events of ``day`` (and forget them)."""
        return self._tallies.pop(day, None) or DayTally()

    def start_day(self, day: int) -> None:
        """Begin ``day``: the rules in force, fixed absences, the hours ring."""
        if 0 <= day < len(self.rules):
            self.today = self.rules[day]
        self.set_f1_modes(day)
        self.absent_today = self.workforce.absent_on(day)
        self.ledger.new_day(day)

    def role_of(self, i: int) -> Role:
        return self.workforce.people[i].role

    def group_kind(self, g: int) -> GroupKind:
        return self.workforce.groups[g].kind
