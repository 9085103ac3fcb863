"""The day's roster: who works which duty, and the service the drivers can staff.

Made by the control centre at 03:00 for the whole service day, with what it knows then. A
person may take a duty when the crew module's rules allow it (:mod:`crew.eligibility`, applied
here to the simulation's arrays): not isolating (F0), not quarantined (F1, unless F1s work under
testing), not on leave; qualified for the duty on the day; on site if the role must be; one
duty a day; the minimum rest since the last shift (Art. 110); at most the days a week
(Art. 111); and the overtime the duty adds within the person's daily, monthly and yearly limits
(Art. 107) — or not at all when the service policy allows no overtime. The pre-shift test is
still to come (taken at sign-on), so it is planned as negative, like
``plan_pending_tests_negative``.

Candidates are ranked as :mod:`crew.coverage` ranks them — no overtime before overtime, the
least worked in the past week first — and the slots filled by a maximum matching
(:func:`simulation.matching.assign`), in priority order: control-centre posts and train duties,
then technicians, then relief and spare drivers. With ``enforce_labour_limits=False`` the
limits become soft: a person past one is used only when no one else can, and it is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import filterfalse
from operator import itemgetter

from crew import Discipline, DutyKind, Role
from simulation.crewstate import DAY_S, F0, F1, LEAVE, NONE, PLAN_AT_S, CrewState
from simulation.matching import assign
from simulation.scenario import ServicePolicy
from simulation.service import (
    DutyWindow,
    OperatedPlan,
    PlanBook,
    ServiceChoice,
    ServicePlanner,
)
from simulation.setup import Setup

_FOREVER = 10**9  # a day index after any run
_person = itemgetter(4)  # the person in a flattened rank key (see Rostering._rank_windows)


@dataclass(slots=True, eq=False)
class DutyRun:
    """One duty on one day with the people rostered on it.

    ``label`` names it for records (``early/train``, ``tech_night/rolling_stock``,
    ``occ_day/chief_controller``); ``start_s``/``end_s`` are simulation seconds.
    """

    window: DutyWindow
    kind: DutyKind
    role: Role
    label: str
    start_s: float
    end_s: float
    members: list[int] = field(default_factory=list)  # rostered
    on: list[int] = field(default_factory=list)  # on the duty now
    discipline: Discipline | None = None
    post: str | None = None
    needed: int = 0


@dataclass(slots=True)
class DayRoster:
    """The day's duties, the service chosen and what it was chosen from."""

    day: int
    runs: list[DutyRun]
    straight: tuple[int, ...]
    peak: int
    plan: OperatedPlan
    trains_cap: int
    occ_down: list[tuple[float, float]]  # control-centre shifts that cannot be staffed
    available: dict[Role, int]
    # everyone's status code when the day was planned (crewstate's NONE, F0, F1, LEAVE)
    status: list[int] = field(default_factory=list)
    breaches_planned: int = 0
    # resources that limited the service adopted (``ServicePlanner.binding``; empty: the
    # timetable in full)
    binding: frozenset[str] = frozenset()
    # trips the plan drops only because failed trains were under repair (train faults); the
    # rest of the plan's shortfall is the crew's (drivers, controllers, technicians)
    by_plan_fleet: int = 0


class Rostering:
    """Makes each day's roster for one replication."""

    def __init__(self, setup: Setup, crew: CrewState, book: PlanBook, rank: list[int]) -> None:
        self.setup = setup
        self.crew = crew
        self.book = book
        self.rank = rank  # a per-replication tie-break between equally loaded people
        self.service: ServicePolicy = setup.scenario.service
        p = setup.policy
        self.rest_s = p.min_rest_between_shifts_h * 3600
        self.max_days = p.max_work_days_per_week
        self.max_day_min = round(p.max_hours_per_day * 60)
        self.planners = {
            k: ServicePlanner(setup.line, pat, self.service) for k, pat in setup.patterns.items()
        }
        self.rostered: set[int] = set()
        # per person, fixed for the run: the last day qualified (a column for the ranking loop)
        wf = crew.workforce
        self.qualified_until = [p.qualified_until for p in wf.people]
        self.role_of = [p.role for p in wf.people]
        # people whose qualification has lapsed, and the last day that set holds (_lapsed)
        self._lapsed_set: frozenset[int] = frozenset()
        self._lapsed_valid_until = -_FOREVER
        # per control-centre post: who holds it, and the last day that stays true (see
        # :meth:`_post_holders`)
        self._holders: dict[str, tuple[int, frozenset[int]]] = {}
        # trains that could be ready had none failed (the night inspection's capacity, within
        # the serviceable fleet); the operation sets it
        self.trains_without_failures: Callable[[], int] = lambda: len(setup.units)

    # --- eligibility ----------------------------------------------------------------------
    def limits_broken(self, i: int, day: int, start_s: float, minutes: int) -> int:
        """How many working-time limits a duty would break (rest, days a week, hours a day,
        overtime allowed, monthly and yearly overtime)."""
        led = self.crew.ledger
        broken = 0
        if led.last_end_s[i] + self.rest_s > start_s:
            broken += 1
        if minutes > self.max_day_min:
            broken += 1
        if led.week_key[i] == led.calendar.of[day][1]:  # this week
            if led.week_days[i] >= self.max_days and led.day_key[i] != day:
                broken += 1
            if led.week_normal[i] + minutes <= led.normal_week_min and minutes <= (
                led.normal_day_min
            ):
                return broken  # no overtime: the overtime limits cannot be broken
        elif minutes <= led.normal_day_min:
            return broken
        ot = led.overtime_if(i, day, minutes)
        if ot > 0:
            person = self.crew.workforce.people[i]  # only here: most duties add no overtime
            if not person.overtime_allowed:
                broken += 1
            if led.month_overtime(i, day) + ot > person.ot_month_limit_min:
                broken += 1
            if led.year_overtime(i, day) + ot > person.ot_year_limit_min:
                broken += 1
        return broken

    def preference(
        self, i: int, day: int, start_s: float, minutes: int
    ) -> tuple[int, int, int, int] | None:
        """How good a choice person ``i`` is for a duty (lower is better), None if ineligible.

        The key is (breaks a limit, adds overtime, minutes worked in the past week, tie-break).
        """
        crew = self.crew
        person = crew.workforce.people[i]
        if i in self.rostered or day > person.qualified_until:
            return None
        if crew.excluded(i, start_s) or not crew.on_site_ok(i, day):
            return None
        led = crew.ledger
        soft = 0
        if led.last_end_s[i] + self.rest_s > start_s:
            soft += 1
        if led.days_in_week(i, day) >= self.max_days:
            soft += 1
        if minutes > self.max_day_min:
            soft += 1
        ot = led.overtime_if(i, day, minutes)
        if ot > 0:
            if not self.service.overtime:
                return None
            if not person.overtime_allowed:
                soft += 1
            if led.month_overtime(i, day) + ot > person.ot_month_limit_min:
                soft += 1
            if led.year_overtime(i, day) + ot > person.ot_year_limit_min:
                soft += 1
        if soft and self.service.enforce_labour_limits:
            return None
        return (soft, 1 if ot > 0 else 0, led.recent_minutes(i, day), self.rank[i])

    def _ranked(self, people: tuple[int, ...] | list[int], day: int, w: DutyWindow) -> list[int]:
        return self._rank_windows(people, day, [w])[0]

    def _rank_windows(
        self, people: tuple[int, ...] | list[int], day: int, windows: list[DutyWindow]
    ) -> list[list[int]]:
        """Eligible people for each window, best first (:meth:`preference`, inlined: it runs
        for every person and duty every simulated day)."""
        if not windows:
            return []
        crew = self.crew
        led = crew.ledger
        cal = led.calendar
        wk, mk, yk = cal.week(day), cal.month(day), cal.year(day)
        nd, nw = led.normal_day_min, led.normal_week_min
        # the ledger's columns as locals: this loop runs for everyone, every duty, every day
        week_key, week_days, week_normal = led.week_key, led.week_days, led.week_normal
        day_key, day_min, last_end = led.day_key, led.day_min, led.last_end_s
        month_key, month_ot, year_key, year_ot = (
            led.month_key,
            led.month_ot,
            led.year_key,
            led.year_ot,
        )
        recent_ring, slot, rank = led.recent, day % 7, self.rank
        wf = crew.workforce
        everyone = wf.people
        f0, f1, leave = crew.f0_until, crew.f1_until, crew.leave_until
        f1_stays_away = crew.f1_quarantines
        site = crew.cohort_on_site(day)
        on_site = crew.member_sets[site] if site is not None else frozenset()
        # who may not work today whatever the window: rostered already, absent, not qualified
        # or bound to a site they are not on (set operations in C, one look-up per person)
        skip = self.rostered | crew.absent_today | self._lapsed(day) | (crew.site_bound - on_site)
        enforce = self.service.enforce_labour_limits
        overtime_ok = self.service.overtime
        rest_s, max_days, max_day_min = self.rest_s, self.max_days, self.max_day_min
        base = day * DAY_S
        # per window: start, minutes, and whether it alone breaks the daily maximum
        starts = [
            (base + w.start_s, w.minutes, 1 if w.minutes > max_day_min else 0) for w in windows
        ]
        # sort keys flattened to (soft, adds overtime, recent minutes, tie-break, person): the
        # same order as ((soft, overtime, recent, tie-break), person), one tuple fewer each
        out: list[list[tuple[int, int, int, int, int]]] = [[] for _ in windows]
        # the usual person is free, rested and within the normal day and week for every window
        # of the call: one key, kept once in ``common`` and added to each window's list in C
        common: list[tuple[int, int, int, int, int]] = []
        first_start = min(start for start, _, _ in starts)
        longest = max(minutes for _, minutes, _ in starts)
        any_too_long = any(soft_w for _, _, soft_w in starts)
        for i in filterfalse(skip.__contains__, people):
            away = f0[i]
            if leave[i] > away:
                away = leave[i]
            f1_away = f1[i] if f1_stays_away[i] else 0.0  # as max(f0, leave, f1 or 0.0)
            if f1_away > away:
                away = f1_away
            if week_key[i] == wk:
                w_normal = week_normal[i]
                soft_p = 1 if week_days[i] >= max_days else 0
            else:
                w_normal = 0
                soft_p = 1 if 0 >= max_days else 0
            if soft_p and enforce:
                continue  # the week's working days are used up: every window breaks the limit
            today = day_key[i] == day
            before = day_min[i] if today else 0
            # a duty of at most ``room`` minutes stays within the normal day and week (no
            # overtime: the formula below gives 0), the usual case
            room = nd - before
            if nw - w_normal < room:
                room = nw - w_normal
            rested_from = last_end[i] + rest_s
            if (
                not soft_p
                and away <= first_start
                and rested_from <= first_start
                and longest <= room
                and not any_too_long
            ):  # the inner loop below would give (0, 0, recent, tie-break, i) for every window
                ring = recent_ring[i]
                common.append((0, 0, sum(ring) - (ring[slot] if today else 0), rank[i], i))
                continue
            recent = -1
            for k, (start, minutes, soft_w) in enumerate(starts):
                if away > start:
                    continue
                soft = soft_p + soft_w
                if rested_from > start:
                    soft += 1
                if minutes <= room:
                    adds_ot = 0
                else:  # Ledger.overtime_if
                    over = before + minutes - nd
                    daily = (over if over > 0 else 0) - (before - nd if before > nd else 0)
                    wn = w_normal + minutes - daily - nw
                    ot = daily + (wn if wn > 0 else 0) - (w_normal - nw if w_normal > nw else 0)
                    adds_ot = 1 if ot > 0 else 0
                    if ot > 0:
                        if not overtime_ok:
                            continue
                        p = everyone[i]
                        if not p.overtime_allowed:
                            soft += 1
                        m = month_ot[i] if month_key[i] == mk else 0
                        if m + ot > p.ot_month_limit_min:
                            soft += 1
                        y = year_ot[i] if year_key[i] == yk else 0
                        if y + ot > p.ot_year_limit_min:
                            soft += 1
                if soft and enforce:
                    continue
                if recent < 0:  # minutes in the past week (Ledger.recent_minutes)
                    ring = recent_ring[i]
                    recent = sum(ring) - (ring[slot] if today else 0)
                out[k].append((soft, adds_ot, recent, rank[i], i))
        result = []
        for keyed in out:
            keyed += common
            keyed.sort()
            result.append(list(map(_person, keyed)))  # the person of each key, in C
        return result

    # --- the day ----------------------------------------------------------------------------
    def roster_day(
        self,
        day: int,
        trains_ready: int,
        occ_night_down: bool,
        inspection_short: bool = False,
        *,
        closed: Sequence[tuple[int, int]] = (),
    ) -> DayRoster:
        """Roster ``day``: control centre, technicians, then drivers and the service.

        ``inspection_short``: last night's inspection, not the fleet, set ``trains_ready`` (so
        a service short of trains was bound by the technicians). ``closed``: times of the day
        (day-relative s) the line may not run because a station cannot be staffed
        (``StationStaffing.short_station="close_line"``)."""
        self.rostered = set()
        available, status = self._status(day, day * DAY_S + PLAN_AT_S)
        runs, occ_down = self._control_centre(day)
        if occ_night_down:  # last night's shift could not be staffed: no service before 06:00
            occ_down.append((day * DAY_S - 2 * 3600, day * DAY_S + 6 * 3600))
        runs += self._technicians(day)
        driver_runs, choice, plan, binding, fleet = self._drivers(
            day, trains_ready, occ_down, inspection_short, closed
        )
        runs += driver_runs
        return DayRoster(
            day=day,
            runs=runs,
            straight=choice.straight,
            peak=choice.peak,
            plan=plan,
            trains_cap=trains_ready,
            occ_down=occ_down,
            available=available,
            status=status,
            binding=binding,
            by_plan_fleet=fleet,
        )

    def _status(self, day: int, t: float) -> tuple[dict[Role, int], list[int]]:
        """People free to work ``day`` by role (qualified, not excluded at ``t``, on site if
        their role must be), and everyone's status code at ``t`` for the day's record.

        One pass over everyone for both (:meth:`CrewState.excluded`, ``on_site_ok`` and
        ``state_at``, inlined): it runs every simulated day."""
        crew = self.crew
        status: list[int] = []
        free: list[int] = []
        f0, f1, leave = crew.f0_until, crew.f1_until, crew.leave_until
        f1_stays_away, absent = crew.f1_quarantines, crew.absent_today
        site = crew.cohort_on_site(day) if crew.site_bound else None
        on_site = crew.member_sets[site] if site is not None else frozenset()
        # not qualified today, or bound to a site they are not on (set operations in C)
        barred = self._lapsed(day) | (crew.site_bound - on_site)
        for i in range(len(f0)):
            if f0[i] > t:
                status.append(F0)
                continue
            away = i in absent or leave[i] > t
            if f1[i] > t:
                status.append(F1)
                if f1_stays_away[i]:
                    continue
            elif away:
                status.append(LEAVE)
                continue
            else:
                status.append(NONE)
            if not away and i not in barred:
                free.append(i)
        available = {r: 0 for r in Role}
        available.update(Counter(map(self.role_of.__getitem__, free)))  # by role, in C
        return available, status

    def _lapsed(self, day: int) -> frozenset[int]:
        """People no longer qualified on ``day``: kept until the next qualification lapses
        (their last days are fixed for the run, and days only move forward)."""
        if day > self._lapsed_valid_until:
            last_days = self.qualified_until
            self._lapsed_set = frozenset(i for i, q in enumerate(last_days) if q < day)
            self._lapsed_valid_until = min((q for q in last_days if q >= day), default=_FOREVER)
        return self._lapsed_set

    def _fill(self, slots: list[list[int]], slot_run: list[DutyRun]) -> None:
        """Put the best matching of people to ``slots`` on their duties."""
        for run, i in zip(slot_run, assign(slots), strict=True):
            if i >= 0:
                run.members.append(i)
                self.rostered.add(i)

    def _control_centre(self, day: int) -> tuple[list[DutyRun], list[tuple[float, float]]]:
        """Every post of every control-centre shift in one matching (one duty a day each);
        the shifts whose essential posts stay empty."""
        setup = self.setup
        wf = self.crew.workforce
        base = day * DAY_S
        ess = self.service.occ_essential_posts
        runs: list[DutyRun] = []
        slots: list[list[int]] = []
        slot_run: list[DutyRun] = []
        people = wf.by_role[Role.OCC_OPERATOR]
        ranked_by_window = self._rank_windows(people, day, [w for w, _ in setup.occ_shifts])
        for (w, posts), ranked in zip(setup.occ_shifts, ranked_by_window, strict=True):
            for post in sorted(posts, key=lambda p: (p not in ess, p)):
                run = DutyRun(
                    w, DutyKind.OCC_POST, Role.OCC_OPERATOR, f"{w.id}/{post}",
                    base + w.start_s, base + w.end_s, post=post, needed=posts[post],
                )  # fmt: skip
                runs.append(run)
                # the ranked people who hold the post (a C-level filter: every post, every day)
                cands = list(filter(self._post_holders(post, day).__contains__, ranked))
                for _ in range(posts[post]):
                    slots.append(cands)
                    slot_run.append(run)
        self._fill(slots, slot_run)
        down = [
            (run.start_s, run.end_s)
            for run in runs
            if run.post in ess and len(run.members) < ess[run.post]
        ]
        return runs, down

    def _post_holders(self, post: str, day: int) -> frozenset[int]:
        """Control-centre staff who hold ``post`` on ``day`` (:meth:`Person.holds_post`).

        Certificates only lapse during a run (their last days are fixed), and days only move
        forward: the set is kept until the first of its holders' certificates lapses."""
        cached = self._holders.get(post)
        if cached is not None and day <= cached[0]:
            return cached[1]
        wf = self.crew.workforce
        until = {
            i: u
            for i in wf.by_role[Role.OCC_OPERATOR]
            if (u := wf.people[i].post_until.get(post, -1)) >= day
        }
        holders = frozenset(until)
        self._holders[post] = (min(until.values(), default=day), holders)
        return holders

    @cached_property
    def _tech_staff(self) -> tuple[dict[Discipline, list[int]], list[DutyWindow], list[int]]:
        """Technicians by trade, the technician shifts, and the order they are filled in (the
        night shift first): fixed for the run."""
        wf = self.crew.workforce
        by_disc: dict[Discipline, list[int]] = {}
        for i in wf.by_role[Role.TECHNICIAN]:
            d = wf.people[i].discipline
            if d is not None:
                by_disc.setdefault(d, []).append(i)
        windows = [w for w, _ in self.setup.tech_shifts]
        night = max(range(len(windows)), key=lambda k: windows[k].end_s)
        order = [night, *(k for k in range(len(windows)) if k != night)]
        return by_disc, windows, order

    def _technicians(self, day: int) -> list[DutyRun]:
        """One matching per trade; the night shift (it inspects tomorrow's trains) first."""
        setup = self.setup
        base = day * DAY_S
        by_disc, windows, order = self._tech_staff
        runs: list[DutyRun] = []
        weekday = self.crew.ledger.calendar.date(day).weekday()
        for disc in Discipline:
            slots: list[list[int]] = []
            slot_run: list[DutyRun] = []
            staff = by_disc.get(disc, [])
            ranked_by_window = self._rank_windows(staff, day, windows)
            for k in order:
                w, counts = setup.tech_shifts[k]
                n = counts.get(disc, 0)
                if n <= 0:
                    continue
                run = DutyRun(
                    w, DutyKind.TECHNICIAN, Role.TECHNICIAN, f"{w.id}/{disc.value}",
                    base + w.start_s, base + w.end_s, discipline=disc, needed=n,
                )  # fmt: skip
                runs.append(run)
                for _ in range(n):
                    slots.append(ranked_by_window[k])
                    slot_run.append(run)
            # the week's working days rationed as for drivers (Art. 111): the night shift,
            # first in the list, keeps its places; the later shifts give theirs up
            need = len(slots)
            budget = self.week_budget(day, staff, Role.TECHNICIAN, [need] * (7 - weekday))
            if budget is not None and budget < need:
                del slots[max(0, budget) :], slot_run[max(0, budget) :]
            self._fill(slots, slot_run)
        return runs

    def _drivers(
        self,
        day: int,
        trains_ready: int,
        occ_down: list[tuple[float, float]],
        inspection_short: bool = False,
        closed: Sequence[tuple[int, int]] = (),
    ) -> tuple[list[DutyRun], ServiceChoice, OperatedPlan, frozenset[str], int]:
        """The service the drivers can run, its train duties, then relief and spare drivers;
        the resources that limited the service (:meth:`ServicePlanner.binding`); and the
        trips the plan lost to train faults alone."""
        setup = self.setup
        wf = self.crew.workforce
        base = day * DAY_S
        key = setup.day_pattern[day]
        pat = setup.patterns[key]
        planner = self.planners[key]
        peak = pat.peak if pat.peak is not None and self.service.peak_duties else None
        drivers = wf.by_role[Role.DRIVER]
        ranked: dict[str, list[int]] = {}  # eligible drivers by window id, best first

        def windows_of(v: int) -> list[DutyWindow]:
            return [*pat.variants[v].shifts, *([peak] if peak is not None else [])]

        def masks_of(v: int) -> list[int]:
            """Drivers per set of the variant's duty types they may take (see ``choose``);
            the long-shift windows are ranked only when asked for."""
            windows = windows_of(v)
            missing = [w for w in windows if w.id not in ranked]
            for w, lst in zip(missing, self._rank_windows(drivers, day, missing), strict=True):
                ranked[w.id] = lst
            masks = [0] * (1 << (len(pat.shifts) + 1))
            bits: dict[int, int] = {}
            for b, w in enumerate(windows):
                for i in ranked[w.id]:
                    bits[i] = bits.get(i, 0) | (1 << b)
            for m in bits.values():
                masks[m] += 1
            return masks

        budget = self.driver_budget(day)
        occ = [(a - base, b - base) for a, b in occ_down]
        stopped = [*occ, *closed]  # no service while either holds
        choice, plan, cap = self._service(key, masks_of, trains_ready, stopped, budget)
        fleet = 0
        if plan.trips < self.book.plan(key, pat.planned_headways).trips:
            unfailed = max(trains_ready, self.trains_without_failures())
            if unfailed > trains_ready:  # would the trains under repair have run more trips?
                _, alt, _ = self._service(key, masks_of, unfailed, stopped, budget)
                fleet = max(0, alt.trips - plan.trips)
        windows = windows_of(choice.variant)
        counts = [*choice.straight, choice.peak]
        shifts = pat.variants[choice.variant].shifts
        # the split peak duties first: only drivers free for both peaks can take them (and
        # the day's driver pools are tried in this order, see ``Operation.depart``)
        order = list(range(len(shifts)))
        if len(windows) > len(shifts):
            order.insert(0, len(windows) - 1)
        full = plan
        plan = self.book.staffed(key, plan, tuple((windows[b], counts[b]) for b in order))
        binding = planner.binding(choice, cap, occ, closed)
        for s, n in enumerate(plan.trips_by_segment):
            if n < full.trips_by_segment[s]:  # departures no driver was rostered for
                binding.update(planner.drivers_of(choice, s))
        if "trains" in binding and cap == trains_ready and inspection_short:
            binding.discard("trains")  # the trains were there; the inspection was not
            binding.add("technicians")

        slots: list[list[int]] = []
        slot_run: list[DutyRun] = []
        runs: list[DutyRun] = []
        for b in order:
            w = windows[b]
            run = DutyRun(
                w, DutyKind.TRAIN, Role.DRIVER, f"{w.id}/train",
                base + w.start_s, base + w.end_s, needed=counts[b],
            )  # fmt: skip
            runs.append(run)
            for _ in range(counts[b]):
                slots.append(ranked[w.id])
                slot_run.append(run)
        self._fill(slots, slot_run)
        left = None if budget is None else budget - sum(len(r.members) for r in runs)

        # relief and spare drivers for the straight shifts that run trains
        slots, slot_run = [], []
        for kind in (DutyKind.RELIEF, DutyKind.SPARE):
            for b, w in enumerate(shifts):
                n = choice.straight[b]
                need = pat.relief(n) if kind is DutyKind.RELIEF else pat.spare(n)
                if left is not None:
                    need = min(need, left - len(slots))
                if need <= 0:
                    continue
                run = DutyRun(
                    w, kind, Role.DRIVER, f"{w.id}/{kind.value}",
                    base + w.start_s, base + w.end_s, needed=need,
                )  # fmt: skip
                runs.append(run)
                cands = list(filterfalse(self.rostered.__contains__, ranked[w.id]))
                for _ in range(need):
                    slots.append(cands)
                    slot_run.append(run)
        self._fill(slots, slot_run)
        return runs, choice, plan, frozenset(binding), fleet

    def _service(
        self,
        key: int,
        masks_of: Callable[[int], Sequence[int]],
        trains: int,
        stopped: Sequence[tuple[float, float] | tuple[int, int]],
        budget: int | None,
    ) -> tuple[ServiceChoice, OperatedPlan, int]:
        """The best service with ``trains`` ready, and the train cap it was planned with (the
        blocks of a plan may need more trains than its peak: the cap is trimmed until the plan
        fits)."""
        planner = self.planners[key]
        cap = trains
        while True:
            choice = planner.choose(masks_of, cap, stopped, budget)
            plan = self.book.plan(key, choice.headways, choice.variant)
            if plan.trains_used <= trains or cap <= 0:
                return choice, plan, cap
            cap -= 1

    def driver_budget(self, day: int) -> int | None:
        """Drivers the day may use so that the rest of the calendar week can still be run.

        Art. 111 allows ``max_work_days_per_week`` working days in a week. Rostering day by day
        with no look-ahead would use everyone from Monday and leave Sunday with nobody: when the
        working days left this week — each driver's days left, counted over the days they are
        expected to be free to work (known leave, isolation and quarantine ends, the cohort
        rotation) — fall short of what the rest of the week's timetable needs, the day gets its
        share in proportion to its need. ``None``: no rationing needed (or limits not enforced).
        """
        setup = self.setup
        weekday = self.crew.ledger.calendar.date(day).weekday()
        needs = [
            setup.requirements[setup.pattern_key(d)].driver for d in range(day, day + 7 - weekday)
        ]
        return self.week_budget(day, self.crew.workforce.by_role[Role.DRIVER], Role.DRIVER, needs)

    def week_budget(
        self, day: int, people: tuple[int, ...] | list[int], role: Role, needs: list[int]
    ) -> int | None:
        """People of ``role`` among ``people`` the day may use, when the working days they have
        left this week fall short of ``needs`` (today's and the rest of the week's, in order);
        ``None``: no rationing needed. See :meth:`driver_budget`."""
        if not self.service.enforce_labour_limits:
            return None
        crew = self.crew
        wf = crew.workforce
        led = crew.ledger
        span = range(day, day + len(needs))
        total = sum(needs)
        # what is known now about each remaining day: planned absences, the cohort on site
        plan_at = [d * DAY_S + PLAN_AT_S for d in span]
        absent = [wf.absent_on(d) for d in span]
        on_site: list[frozenset[int] | None] = [None] * len(span)
        if role in wf.onsite_roles:
            for k, d in enumerate(span):
                g = crew.expected_cohort_on_site(d)
                on_site[k] = crew.member_sets[g] if g is not None else frozenset()
        f0, f1, leave = crew.f0_until, crew.f1_until, crew.leave_until
        f1_stays_away = crew.f1_quarantines
        qualified_until = self.qualified_until
        week_key, week_days = led.week_key, led.week_days
        wk = led.calendar.week(day)
        max_days = self.max_days
        last, first_plan, n_days = span[-1], plan_at[0], len(span)
        # the usual week: the same cohort (or none) on site every remaining day; then a person
        # free, qualified and not known absent throughout has min(left, days) days, and one off
        # site none, without walking the days
        same = all(s == on_site[0] for s in on_site)
        site0 = on_site[0]
        absent_any = set().union(*absent)
        supply = 0
        candidates: Iterable[int] = people
        if same and site0 is not None:  # off site all week: no days (filtered in C)
            candidates = filter(site0.__contains__, people)
        for i in candidates:
            left = max_days - (week_days[i] if week_key[i] == wk else 0)
            if left <= 0:
                continue
            qualified = qualified_until[i]
            away = max(f0[i], leave[i], f1[i] if f1_stays_away[i] else 0.0)
            if same and qualified >= last and away <= first_plan and i not in absent_any:
                n = left if left < n_days else n_days
            else:
                n = 0
                for k, d in enumerate(span):
                    if d > qualified or away > plan_at[k] or i in absent[k]:
                        continue
                    site = on_site[k]
                    if site is not None and i not in site:
                        continue
                    n += 1
                    if n >= left:
                        break
            supply += n
            if supply >= total:
                return None
        return supply * needs[0] // total if total else None

    def call_in(self, role: Role, day: int, run: DutyRun, t: float) -> int | None:
        """The best person off duty who may still take ``run`` from ``t`` (a no-show's cover)."""
        crew = self.crew
        wf = crew.workforce
        minutes = max(1, int(run.end_s - t) // 60)
        best: tuple[tuple[int, int, int, int], int] | None = None
        for i in wf.by_role[role]:
            p = wf.people[i]
            if run.discipline is not None and p.discipline is not run.discipline:
                continue
            if run.post is not None and not p.holds_post(run.post, day):
                continue
            k = self.preference(i, day, t, minutes)
            if k is not None and (best is None or k < best[0]):
                best = (k, i)
        if best is None:
            return None
        self.rostered.add(best[1])
        return best[1]
