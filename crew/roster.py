"""A synthetic but realistic roster for Line 2A (for the demo, tests and benchmarks).

Sized from the published figures (see shared DESIGN): a driving department of 86 — 46 main
drivers, 14 substitute drivers and 26 rolling-stock technicians — plus signalling, power, track
and station-systems technicians and 30 control-centre operators. Shift teams of drivers (6 of
10), technicians (by discipline) and control-centre crews (5 of 6); about 40 % of drivers and
technicians live at the depot dormitory, 4 to a room; a few qualifications expire within three
weeks of ``reference``. Everything else is drawn from ``random.Random(seed)``, so a seed always
gives the same roster.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from crew.model import (
    Cohort,
    ContactGroup,
    Discipline,
    GroupKind,
    Qualification,
    QualKind,
    Role,
    Roster,
    Staff,
)

MAIN_DRIVERS = 46
SUBSTITUTE_DRIVERS = 14
TECHNICIANS = {
    Discipline.ROLLING_STOCK: 26,  # with the 60 drivers: the driving department of 86
    Discipline.SIGNALLING: 12,
    Discipline.POWER: 12,
    Discipline.TRACK: 10,
    Discipline.STATION_SYSTEMS: 10,
}
OCC_POSTS = {  # certificate held first, extra certificates some also hold
    "chief_controller": (6, ("train_controller",)),
    "train_controller": (12, ("passenger_information",)),
    "power_controller": (6, ()),
    "passenger_information": (6, ()),
}

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Hữu", "Quang", "Thanh", "Ngọc", "Xuân")
_GIVEN = tuple(
    "An Bình Cường Dũng Giang Hà Hải Hùng Huy Lan Linh Long Mai Nam Phong Quân Sơn Thắng Trang "
    "Tuấn Việt Yến".split()
)


def synthetic_roster(
    seed: int,
    *,
    line_id: str = "2a",
    rolling_stock: str = "CRRC-4car",
    reference: date = date(2026, 1, 1),
    id_prefix: str = "",
    cohort_start: datetime | None = None,
    cohort_days: int = 14,
    depot_beds: int = 60,
) -> Roster:
    """The Line 2A roster for ``seed``.

    ``id_prefix`` makes ids unique when several lines' rosters are merged (see
    :func:`merge_rosters`). With ``cohort_start``, drivers and rolling-stock technicians are
    split into two 3-on-site cohorts of ``cohort_days`` each, back to back, for
    ``depot_beds`` beds.
    """
    rng = random.Random(seed)
    pre = id_prefix

    def name() -> str:
        return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"

    def until() -> date:
        return reference + timedelta(days=rng.randint(180, 900))

    staff: list[Staff] = []
    drivers: list[str] = []
    for i in range(MAIN_DRIVERS + SUBSTITUTE_DRIVERS):
        sid = f"{pre}D{i + 1:03d}"
        drivers.append(sid)
        quals: tuple[Qualification, ...] = (
            Qualification(kind=QualKind.LINE_LICENCE, scope=line_id, valid_until=until()),
            Qualification(kind=QualKind.ROUTE_KNOWLEDGE, scope=line_id, valid_until=until()),
            Qualification(kind=QualKind.ROLLING_STOCK, scope=rolling_stock, valid_until=until()),
        )
        staff.append(
            Staff(
                id=sid,
                name=name(),
                role=Role.DRIVER,
                substitute=i >= MAIN_DRIVERS,
                line_id=line_id,
                qualifications=quals,
            )
        )
    techs: dict[Discipline, list[str]] = {}
    k = 0
    for disc, n in TECHNICIANS.items():
        for _ in range(n):
            k += 1
            sid = f"{pre}K{k:03d}"
            techs.setdefault(disc, []).append(sid)
            cert = Qualification(
                kind=QualKind.DISCIPLINE_CERT, scope=disc.value, valid_until=until()
            )
            staff.append(
                Staff(
                    id=sid,
                    name=name(),
                    role=Role.TECHNICIAN,
                    discipline=disc,
                    line_id=line_id,
                    qualifications=(cert,),
                )
            )
    occ: list[str] = []
    for post, (n, extra) in OCC_POSTS.items():
        for _ in range(n):
            sid = f"{pre}C{len(occ) + 1:03d}"
            occ.append(sid)
            quals = tuple(
                Qualification(kind=QualKind.OCC_POST, scope=p, valid_until=until())
                for p in (post, *extra)
            )
            staff.append(
                Staff(
                    id=sid,
                    name=name(),
                    role=Role.OCC_OPERATOR,
                    line_id=line_id,
                    qualifications=quals,
                )
            )

    # a few certificates about to expire: the crew manager should see them coming
    near = rng.sample(range(len(staff)), 5)
    for idx in near:
        s = staff[idx]
        q0 = s.qualifications[0]
        soon = q0.model_copy(update={"valid_until": reference + timedelta(days=rng.randint(3, 20))})
        staff[idx] = s.model_copy(update={"qualifications": (soon, *s.qualifications[1:])})

    groups: list[ContactGroup] = []
    for t in range(6):
        members = tuple(drivers[t * 10 : (t + 1) * 10])
        groups.append(
            _group(f"{pre}DT-{'ABCDEF'[t]}", GroupKind.SHIFT_TEAM, f"Tổ lái {'ABCDEF'[t]}", members)
        )
    for disc, ids in techs.items():
        size = 6 if len(ids) >= 12 else 5
        for t in range(0, len(ids), size):
            n = t // size + 1
            groups.append(
                _group(
                    f"{pre}KT-{disc.value}-{n}",
                    GroupKind.SHIFT_TEAM,
                    f"Tổ kỹ thuật {disc.value} {n}",
                    tuple(ids[t : t + size]),
                )
            )
    for t in range(5):
        # every shift team gets each post (OCC staff are listed post by post): one F1 team
        # must not quarantine all the chief controllers at once
        crew = tuple(occ[t::5])
        groups.append(
            _group(f"{pre}OCC-{t + 1}", GroupKind.SHIFT_TEAM, f"Kíp điều độ {t + 1}", crew)
        )
    field_staff = drivers + [sid for ids in techs.values() for sid in ids]
    lodgers = rng.sample(field_staff, round(0.4 * len(field_staff)))
    for r in range(0, len(lodgers), 4):
        room = f"{pre}R{101 + r // 4}"
        groups.append(
            _group(
                room, GroupKind.DORMITORY_ROOM, f"Phòng {101 + r // 4}", tuple(lodgers[r : r + 4])
            )
        )

    cohorts: list[Cohort] = []
    if cohort_start is not None:
        onsite = drivers + techs[Discipline.ROLLING_STOCK]
        halves = (tuple(onsite[0::2]), tuple(onsite[1::2]))
        for n, members in enumerate(halves):
            start = cohort_start + timedelta(days=n * cohort_days)
            cohorts.append(
                Cohort(
                    id=f"{pre}3OS-{'AB'[n]}",
                    name=f"3 tại chỗ đợt {n + 1}",
                    members=members,
                    start=start,
                    planned_end=start + timedelta(days=cohort_days),
                    beds_available=depot_beds,
                )
            )
    return Roster(staff=tuple(staff), groups=tuple(groups), cohorts=tuple(cohorts))


def _group(gid: str, kind: GroupKind, name: str, members: tuple[str, ...]) -> ContactGroup:
    return ContactGroup(id=gid, kind=kind, name=name, members=members)


def merge_rosters(*rosters: Roster) -> Roster:
    """One roster from several (e.g. one per line); ids must not collide."""
    return Roster(
        staff=tuple(s for r in rosters for s in r.staff),
        groups=tuple(g for r in rosters for g in r.groups),
        cohorts=tuple(c for r in rosters for c in r.cohorts),
    )
