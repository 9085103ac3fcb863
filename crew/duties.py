"""The duties a service day needs: drivers from the timetable, technicians and control-centre posts.

Drivers. The day's plan (``line.plan_day``) chains trips into blocks: a block is one train in
service from its first departure to its last arrival. Each driver shift clips the blocks to its
window; the pieces are then partitioned into *train slots* — one driver each — by the classic
interval-partitioning greedy (earliest start first, reuse the slot that freed first), which uses
exactly as many slots as the most pieces running at once, the minimum possible. A driver may
thus take over another train when theirs goes to the depot; a handover at the end of a shift
happens where the train is. Relief drivers (meal breaks: Labour Code Art. 109) and spare
drivers (standby) are ratios of the train slots, rounded up.

Technicians and control-centre (OCC) posts are data: counts per discipline per technician
shift, and posts per OCC shift (after the London Metropolitan line closure of July 2021, when
control-room staff had to isolate, the control centre counts as much as the cabs).

Every duty becomes a :class:`Requirement`: one shift, one kind of duty, how many people, and
what they must hold (:class:`DutySpec`).
"""

from __future__ import annotations

import enum
import heapq
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crew.model import Discipline, QualKind, Role
from line import DayPlan, Line, Period, Timetable, plan_day


class DutyKind(enum.StrEnum):
    TRAIN = "train"  # drives a train slot
    RELIEF = "relief"  # relieves drivers for their breaks
    SPARE = "spare"  # standby driver
    TECHNICIAN = "technician"
    OCC_POST = "occ_post"


class ShiftDef(BaseModel):
    """A named shift; an ``end`` not after ``start`` means it ends the next day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    start: time
    end: time

    def window(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        """Start and end instants of this shift on the local day ``day``."""
        start = datetime.combine(day, self.start, tzinfo=tz)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return start, datetime.combine(end_day, self.end, tzinfo=tz)

    def seconds(self) -> tuple[int, int]:
        """Start and end as seconds after the service day's midnight (end may pass 86400)."""
        a = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        b = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return a, (b if b > a else b + 86400)


def _shift(sid: str, a: str, b: str) -> ShiftDef:
    return ShiftDef(id=sid, start=time.fromisoformat(a), end=time.fromisoformat(b))


def _default_technicians() -> dict[str, dict[Discipline, int]]:
    d = Discipline
    day = {d.ROLLING_STOCK: 4, d.SIGNALLING: 2, d.POWER: 2, d.TRACK: 1, d.STATION_SYSTEMS: 2}
    # engineering hours are at night: more track staff, fewer on station systems
    night = {d.ROLLING_STOCK: 4, d.SIGNALLING: 2, d.POWER: 2, d.TRACK: 3, d.STATION_SYSTEMS: 1}
    return {"tech_day": day, "tech_late": dict(day), "tech_night": night}


class StaffingStandard(BaseModel):
    """How many people each shift needs, besides the drivers the timetable implies.

    Defaults are a plausible standard for Line 2A (the operator's is not published): two
    driver shifts covering service (05:30–22:00) with preparation time, three 8-hour technician
    and control-centre shifts, five control-centre posts per shift.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    driver_shifts: tuple[ShiftDef, ...] = (
        _shift("early", "05:00", "13:30"),
        _shift("late", "13:30", "22:30"),
    )
    relief_ratio: float = Field(default=0.2, ge=0)  # relief drivers per train slot
    spare_ratio: float = Field(default=0.1, ge=0)  # spare drivers per train slot
    rolling_stock: str = "CRRC-4car"  # the stock drivers must know (qualification scope)
    technician_shifts: tuple[ShiftDef, ...] = (
        _shift("tech_day", "06:00", "14:00"),
        _shift("tech_late", "14:00", "22:00"),
        _shift("tech_night", "22:00", "06:00"),
    )
    technicians: dict[str, dict[Discipline, int]] = Field(default_factory=_default_technicians)
    occ_shifts: tuple[ShiftDef, ...] = (
        _shift("occ_day", "06:00", "14:00"),
        _shift("occ_late", "14:00", "22:00"),
        _shift("occ_night", "22:00", "06:00"),
    )
    occ_posts: dict[str, int] = Field(
        default_factory=lambda: {
            "chief_controller": 1,
            "train_controller": 2,
            "power_controller": 1,
            "passenger_information": 1,
        }
    )
    # a shortfall in these kinds means the timetable cannot be staffed
    essential: frozenset[DutyKind] = frozenset(
        {DutyKind.TRAIN, DutyKind.TECHNICIAN, DutyKind.OCC_POST}
    )
    # the solver fills higher priorities first
    priority: dict[DutyKind, int] = Field(
        default_factory=lambda: {
            DutyKind.TRAIN: 10,
            DutyKind.OCC_POST: 10,
            DutyKind.TECHNICIAN: 5,
            DutyKind.RELIEF: 3,
            DutyKind.SPARE: 1,
        }
    )
    # How a controller degrades a period short of drivers (crew.capacity.headway_for_trains):
    # "even" — the even headway the drivers there can keep, rounded up to whole minutes (the
    # line's published headways are whole minutes); "steps" — the ladder below (6 → 10 → 15).
    headway_rule: Literal["even", "steps"] = "even"
    headway_steps_s: tuple[int, ...] = (360, 600, 900)
    headway_granularity_s: int = Field(default=60, ge=1, le=900)
    # fewer trains than this and the period is suspended (1: run whatever can run)
    floor_trains: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _check(self) -> StaffingStandard:
        ids = [s.id for s in (*self.driver_shifts, *self.technician_shifts, *self.occ_shifts)]
        if len(set(ids)) != len(ids):
            raise ValueError("shift ids must be unique")
        unknown = set(self.technicians) - {s.id for s in self.technician_shifts}
        if unknown:
            raise ValueError(f"technician counts for unknown shifts {sorted(unknown)}")
        if list(self.headway_steps_s) != sorted(set(self.headway_steps_s)):
            raise ValueError("headway steps must increase")
        missing = set(DutyKind) - set(self.priority)
        if missing:
            raise ValueError(f"no priority for {sorted(missing)}")
        return self


@dataclass(frozen=True, slots=True)
class DutySpec:
    """Who can do a duty: the role and what they must hold on the day."""

    role: Role
    line_id: str
    rolling_stock: str | None = None  # drivers
    discipline: Discipline | None = None  # technicians
    post: str | None = None  # control-centre operators

    def required_qualifications(self) -> tuple[tuple[QualKind, str], ...]:
        if self.role is Role.DRIVER:
            out = [(QualKind.LINE_LICENCE, self.line_id), (QualKind.ROUTE_KNOWLEDGE, self.line_id)]
            if self.rolling_stock:
                out.append((QualKind.ROLLING_STOCK, self.rolling_stock))
            return tuple(out)
        if self.role is Role.TECHNICIAN and self.discipline is not None:
            return ((QualKind.DISCIPLINE_CERT, self.discipline.value),)
        if self.role is Role.OCC_OPERATOR and self.post is not None:
            return ((QualKind.OCC_POST, self.post),)
        return ()


@dataclass(frozen=True, slots=True)
class Requirement:
    """``count`` people doing one kind of duty in one shift of one service day."""

    id: str
    line_id: str
    service_date: date
    shift_id: str
    start: datetime
    end: datetime
    kind: DutyKind
    spec: DutySpec
    count: int
    essential: bool
    priority: int

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class DutyPiece:
    """Part of a block (one train in service) inside one driver shift; seconds after midnight."""

    block: int
    train: str
    start_s: int
    end_s: int


@dataclass(frozen=True, slots=True)
class TrainSlot:
    """The pieces one driver drives in one shift, in time order."""

    shift_id: str
    index: int
    pieces: tuple[DutyPiece, ...]


@dataclass(frozen=True, slots=True)
class DayDuties:
    """Everything one line needs staffed on one service day."""

    line_id: str
    service_date: date
    timetable_id: str
    periods: tuple[Period, ...]
    requirements: tuple[Requirement, ...]
    train_slots: tuple[TrainSlot, ...]
    driver_shifts: tuple[ShiftDef, ...]

    def slots_in(self, shift_id: str) -> int:
        return sum(1 for s in self.train_slots if s.shift_id == shift_id)


def train_slots(plan: DayPlan, shift: ShiftDef) -> tuple[TrainSlot, ...]:
    """Partition the day's blocks, clipped to ``shift``, into the fewest driver slots."""
    a, b = shift.seconds()
    spans: dict[int, tuple[int, int, str]] = {}
    for tr in plan.trips:
        s, e, train = spans.get(tr.block, (tr.depart_s, tr.arrive_s, tr.train))
        spans[tr.block] = (min(s, tr.depart_s), max(e, tr.arrive_s), train)
    pieces = sorted(
        (
            DutyPiece(blk, train, max(s, a), min(e, b))
            for blk, (s, e, train) in spans.items()
            if max(s, a) < min(e, b)
        ),
        key=lambda p: (p.start_s, p.block),
    )
    free: list[tuple[int, int]] = []  # (free from, slot index)
    slots: list[list[DutyPiece]] = []
    for p in pieces:
        if free and free[0][0] <= p.start_s:
            _, i = heapq.heappop(free)
        else:
            i = len(slots)
            slots.append([])
        slots[i].append(p)
        heapq.heappush(free, (p.end_s, i))
    return tuple(TrainSlot(shift.id, i, tuple(ps)) for i, ps in enumerate(slots))


def day_duties(
    line: Line,
    timetable: Timetable,
    service_date: date,
    standard: StaffingStandard,
    *,
    tz: tzinfo,
) -> DayDuties:
    """The requirements of one line on one service day (``tz``: the line's local time)."""
    plan = plan_day(line, timetable, service_date)
    reqs: list[Requirement] = []
    slots: list[TrainSlot] = []

    def add(shift: ShiftDef, kind: DutyKind, spec: DutySpec, count: int, tag: str) -> None:
        if count <= 0:
            return
        start, end = shift.window(service_date, tz)
        reqs.append(
            Requirement(
                id=f"{line.id}/{service_date.isoformat()}/{shift.id}/{tag}",
                line_id=line.id,
                service_date=service_date,
                shift_id=shift.id,
                start=start,
                end=end,
                kind=kind,
                spec=spec,
                count=count,
                essential=kind in standard.essential,
                priority=standard.priority[kind],
            )
        )

    driver = DutySpec(Role.DRIVER, line.id, rolling_stock=standard.rolling_stock)
    for sh in standard.driver_shifts:
        ts = train_slots(plan, sh)
        slots += ts
        n = len(ts)
        add(sh, DutyKind.TRAIN, driver, n, "train")
        add(sh, DutyKind.RELIEF, driver, math.ceil(n * standard.relief_ratio - 1e-9), "relief")
        add(sh, DutyKind.SPARE, driver, math.ceil(n * standard.spare_ratio - 1e-9), "spare")
    for sh in standard.technician_shifts:
        for disc, n in sorted(standard.technicians.get(sh.id, {}).items()):
            spec = DutySpec(Role.TECHNICIAN, line.id, discipline=disc)
            add(sh, DutyKind.TECHNICIAN, spec, n, f"tech-{disc.value}")
    for sh in standard.occ_shifts:
        for post, n in sorted(standard.occ_posts.items()):
            spec = DutySpec(Role.OCC_OPERATOR, line.id, post=post)
            add(sh, DutyKind.OCC_POST, spec, n, f"occ-{post}")
    return DayDuties(
        line.id,
        service_date,
        timetable.id,
        plan.periods,
        tuple(reqs),
        tuple(slots),
        standard.driver_shifts,
    )
