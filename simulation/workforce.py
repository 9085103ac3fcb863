"""The crew as the simulation sees it: the crew module's roster compiled to plain, indexed data.

A :class:`crew.Roster` is rich, validated and keyed by string ids; a replication touches every
person every simulated day, so the roster is compiled once per run into tuples indexed by
person: role, discipline, until when each qualification holds (as a day index), overtime
limits, contact groups and the 3-on-site cohort rotation. Nothing here changes during a
replication; the changing state (health, hours) lives in :mod:`simulation.crewstate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from crew import (
    CrewPolicy,
    Discipline,
    GroupKind,
    QualKind,
    Role,
    Roster,
    Staff,
    StaffingStandard,
)
from simulation.scenario import Absence, OnSite, Training

ALWAYS = 10**9  # a qualification without expiry within any run


@dataclass(frozen=True, slots=True)
class Person:
    """One member of staff. ``qualified_until`` is the last day index on which the person holds
    every qualification their role's duties need; ``posts`` the same per control-centre post."""

    index: int
    id: str
    role: Role
    discipline: Discipline | None
    qualified_until: int
    posts: tuple[tuple[str, int], ...]
    overtime_allowed: bool
    ot_month_limit_min: int
    ot_year_limit_min: int
    groups: tuple[int, ...]
    post_until: dict[str, int]

    def holds_post(self, post: str, day: int) -> bool:
        return self.post_until.get(post, -1) >= day


@dataclass(frozen=True, slots=True)
class Group:
    """A contact group: a shift team, a dormitory room, or a 3-on-site cohort."""

    index: int
    id: str
    kind: GroupKind
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FixedCohort:
    """A cohort with fixed dates, taken from the crew module's roster ("from today")."""

    group: int
    start_day: int
    end_day: int  # exclusive


@dataclass(frozen=True, slots=True)
class Workforce:
    """Everyone, their groups, and who must live on site when."""

    people: tuple[Person, ...]
    groups: tuple[Group, ...]
    by_role: dict[Role, tuple[int, ...]]
    onsite_roles: frozenset[Role]
    rotation: tuple[int, ...]  # group indices of rotating cohorts, in turn order
    cohort_days: int
    fixed_cohorts: tuple[FixedCohort, ...]
    absences: tuple[tuple[tuple[int, ...], Absence], ...]
    # day index -> people away at qualification training that day
    training: dict[int, frozenset[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.people)

    def absent_on(self, day: int) -> set[int]:
        """People away on ``day`` known in advance: scenario absences, training days."""
        out: set[int] = set(self.training.get(day, ()))
        for members, a in self.absences:
            if a.covers(day):
                out.update(members)
        return out


def _until(
    person: Staff, kinds: list[tuple[QualKind, str]], start: date, default: int = ALWAYS
) -> int:
    """Last day index on which ``person`` holds all ``kinds`` (-1 if one is missing)."""
    last = default
    for kind, scope in kinds:
        held = [q.valid_until for q in person.qualifications if q.kind is kind and q.scope == scope]
        if not held:
            return -1
        last = min(last, (max(held) - start).days)
    return last


def compile_workforce(
    roster: Roster,
    policy: CrewPolicy,
    standard: StaffingStandard,
    *,
    line_id: str,
    start: date,
    onsite: OnSite | None,
    absences: tuple[Absence, ...] = (),
    training: Training | None = None,
    horizon: int = 0,
) -> Workforce:
    """Compile ``roster`` for a run starting on ``start``.

    With ``onsite``, staff of the on-site roles are split in roster order into rotating cohorts
    of the scenario's sizes (the roster's own cohorts are then ignored); without it, the
    roster's cohorts are kept with their dates.
    """
    staff = roster.staff
    index = {s.id: i for i, s in enumerate(staff)}
    groups: list[Group] = []
    for cg in roster.groups:
        groups.append(Group(len(groups), cg.id, cg.kind, tuple(index[m] for m in cg.members)))

    by_role: dict[Role, list[int]] = {r: [] for r in Role}
    for i, s in enumerate(staff):
        by_role[s.role].append(i)

    rotation: list[int] = []
    fixed: list[FixedCohort] = []
    cohort_days = policy.cohort_days
    if onsite is not None:
        chunks: list[list[int]] = []
        for role in onsite.roles:
            size = onsite.per_cohort(role)
            members = by_role[role]
            if role is Role.TECHNICIAN:
                # mix the trades: each cohort gets its share of every discipline
                members = sorted(members, key=lambda i: (staff[i].discipline or "", i))
                n = max(1, -(-len(members) // size))
                parts = [members[k::n] for k in range(n)]
            else:
                parts = [members[k : k + size] for k in range(0, len(members), size)]
            for k, part in enumerate(parts):
                if k == len(chunks):
                    chunks.append([])
                chunks[k].extend(part)
        for k, members in enumerate(chunks):
            cohort = Group(
                len(groups), f"3OS-{k + 1}", GroupKind.ONSITE_COHORT, tuple(sorted(members))
            )
            groups.append(cohort)
            rotation.append(cohort.index)
    else:
        tz = policy.tz
        for c in roster.cohorts:
            cohort = Group(
                len(groups),
                c.id,
                GroupKind.ONSITE_COHORT,
                tuple(sorted(index[m] for m in c.members)),
            )
            groups.append(cohort)
            a = (c.start.astimezone(tz).date() - start).days
            b = (c.planned_end.astimezone(tz).date() - start).days
            fixed.append(FixedCohort(cohort.index, a, max(b, a + 1)))

    member_of: dict[int, list[int]] = {}
    for g in groups:
        if g.kind is GroupKind.ONSITE_COHORT:
            continue  # cohorts are looked up by the rotation, not as standing groups
        for m in g.members:
            member_of.setdefault(m, []).append(g.index)

    driver_quals = [
        (QualKind.LINE_LICENCE, line_id),
        (QualKind.ROUTE_KNOWLEDGE, line_id),
        (QualKind.ROLLING_STOCK, standard.rolling_stock),
    ]
    people: list[Person] = []
    trainees: dict[int, set[int]] = {}
    for i, s in enumerate(staff):
        posts: tuple[tuple[str, int], ...] = ()
        if s.line_id is not None and s.line_id != line_id:
            qualified = -1
        elif s.role is Role.DRIVER:
            qualified = _until(s, driver_quals, start)
        elif s.role is Role.TECHNICIAN and s.discipline is not None:
            qualified = _until(s, [(QualKind.DISCIPLINE_CERT, s.discipline.value)], start)
        else:
            scopes = sorted({q.scope for q in s.qualifications if q.kind is QualKind.OCC_POST})
            posts = tuple((p, _until(s, [(QualKind.OCC_POST, p)], start)) for p in scopes)
            qualified = max((u for _, u in posts), default=-1)
        if training is not None and training.renew:
            qualified, posts = _renew(i, qualified, posts, training, horizon, trainees)
        month_h, year_h = policy.overtime_limits_h(s)
        people.append(
            Person(
                index=i,
                id=s.id,
                role=s.role,
                discipline=s.discipline,
                qualified_until=qualified,
                posts=posts,
                overtime_allowed=s.overtime_allowed,
                ot_month_limit_min=round(month_h * 60),
                ot_year_limit_min=round(year_h * 60),
                groups=tuple(member_of.get(i, ())),
                post_until=dict(posts),
            )
        )

    absent = tuple((tuple(by_role[a.role][: a.count]), a) for a in absences)
    return Workforce(
        people=tuple(people),
        groups=tuple(groups),
        by_role={r: tuple(v) for r, v in by_role.items()},
        onsite_roles=frozenset(policy.onsite_required_roles),
        rotation=tuple(rotation),
        cohort_days=cohort_days,
        fixed_cohorts=tuple(fixed),
        absences=absent,
        training={d: frozenset(v) for d, v in trainees.items()},
    )


def _renew(
    i: int,
    qualified: int,
    posts: tuple[tuple[str, int], ...],
    training: Training,
    horizon: int,
    trainees: dict[int, set[int]],
) -> tuple[int, tuple[tuple[str, int], ...]]:
    """Renew person ``i``'s qualifications before they expire: a training day ``lead_days``
    before the earliest expiry within ``horizon`` days (the day before it expires if that lead
    is already past), then every ``validity_days`` less the lead. A qualification already
    lapsed or missing at the start is not renewed (that takes a full course, not a refresher).
    """
    held = [u for _, u in posts if u >= 0] if posts else ([qualified] if qualified >= 0 else [])
    if not held:
        return qualified, posts
    first = min(held)
    if first >= ALWAYS:
        return qualified, posts
    day = first - training.lead_days if first >= training.lead_days else max(0, first - 1)
    while day < horizon:
        trainees.setdefault(day, set()).add(i)
        day += training.validity_days - training.lead_days
    renewed = tuple((p, ALWAYS if u >= 0 else u) for p, u in posts)
    return ALWAYS, renewed
