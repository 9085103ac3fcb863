"""Crew records as data: staff, qualifications, contact groups, 3-on-site cohorts, status events.

Everything here is a frozen pydantic model with opaque string ids ("D023", "K107", "C012"), so
the store, the REST layer and the CSV import can validate and serialise them unchanged.

Health and availability are never a mutable flag on ``Staff``: they are an append-only history
of :class:`StatusEvent` and :class:`TestResult` records, and the state at any instant is derived
from it (see :mod:`crew.status`). A wrong entry is corrected by a later event, never by an edit.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from line.catalogue import Invalid, Message

ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,32}$"
"""Every crew record id (staff, contact group, cohort): 1–32 letters, digits, ``_ . -``. It
appears in URLs (``/api/crew/groups/{id}``) and in the roster CSV's ``kind:id:name`` items, so
``/``, ``:``, ``;`` and spaces are refused where an id is created (API 422, CSV import)."""

RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""An id of :data:`ID_PATTERN`."""

StaffId = RecordId
"""Opaque staff id such as ``D023`` (driver), ``K107`` (technician), ``C012`` (control centre)."""

# --- the one range of every crew date and instant ---------------------------------------------
# Python's datetime ends at year 9999 and the store keeps instants as microseconds from 1970:
# 9999-12-31T23:00-12:00 is a valid input whose UTC value no datetime can hold, and 0001-01-01
# cannot move a day back. A crew record is about the present (the COVID regime, shifts,
# certificates a few years ahead), so every crew date lies in this century and every instant in
# it in UTC — far from those edges, with room for the days the rules add (14 days of
# isolation, a 62-day outlook). The API, the CSV import and the store refuse anything else.
FIRST_DAY: Final = date(2000, 1, 1)
LAST_DAY: Final = date(2099, 12, 31)
FIRST_INSTANT: Final = datetime.combine(FIRST_DAY, time(), UTC)
END_INSTANT: Final = datetime.combine(LAST_DAY + timedelta(days=1), time(), UTC)  # excluded


def day_refusal() -> Message:
    """Why a date outside :data:`FIRST_DAY`–:data:`LAST_DAY` is refused."""
    return Message(
        "crew.refused.out_of_range", {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
    )


def instant_refusal() -> Message:
    """Why an instant outside :data:`FIRST_INSTANT`–:data:`END_INSTANT` (UTC) is refused."""
    return Message(
        "crew.refused.out_of_range",
        {"first": f"{FIRST_DAY}T00:00:00Z", "last": f"{LAST_DAY}T23:59:59Z"},
    )


def day_in_range(d: date) -> bool:
    return FIRST_DAY <= d <= LAST_DAY


def instant_in_range(t: datetime) -> bool:
    """``t`` (aware) lies in the crew range; compared in UTC, so any offset is fine."""
    return FIRST_INSTANT <= t < END_INSTANT


def _check_day(d: date) -> date:
    if not day_in_range(d):
        raise Invalid(day_refusal())
    return d


def _check_instant(t: datetime) -> datetime:
    if not instant_in_range(t):
        raise Invalid(instant_refusal())
    return t


CrewDate = Annotated[date, AfterValidator(_check_day)]
"""A date in :data:`FIRST_DAY`–:data:`LAST_DAY`."""

CrewInstant = Annotated[AwareDatetime, AfterValidator(_check_instant)]
"""An aware instant from 2000-01-01 to 2099-12-31 in UTC (see :data:`FIRST_INSTANT`)."""

MAX_BEDS: Final = 100_000
"""A bound, not a fact: far above any depot's dormitory, far below what a database integer
holds (a larger number was a 500 from SQLite)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(enum.StrEnum):
    DRIVER = "driver"
    TECHNICIAN = "technician"
    OCC_OPERATOR = "occ_operator"  # control-centre operator (điều độ viên)

    @property
    def text(self) -> Message:
        """The role's name in texts (``crew.role.<value>``)."""
        return Message(f"crew.role.{self.value}")


class Discipline(enum.StrEnum):
    """A technician's trade."""

    ROLLING_STOCK = "rolling_stock"
    SIGNALLING = "signalling"
    POWER = "power"
    TRACK = "track"
    STATION_SYSTEMS = "station_systems"


class QualKind(enum.StrEnum):
    """What a qualification certifies; its ``scope`` says for what (a line, a stock, a post)."""

    LINE_LICENCE = "line_licence"  # driver's licence for the line; scope = line id
    ROUTE_KNOWLEDGE = "route_knowledge"  # scope = line id
    ROLLING_STOCK = "rolling_stock"  # scope = rolling-stock type, e.g. "CRRC-2A"
    DISCIPLINE_CERT = "discipline_cert"  # technician; scope = Discipline value
    OCC_POST = "occ_post"  # control-centre post certificate; scope = post name


class Qualification(_Frozen):
    """A certificate valid from ``valid_from`` through ``valid_until`` (both inclusive)."""

    kind: QualKind
    scope: str = Field(min_length=1)
    valid_until: CrewDate
    valid_from: CrewDate | None = None

    def valid_on(self, day: date) -> bool:
        """True when the certificate covers the whole of ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and day <= self.valid_until


class Staff(_Frozen):
    """One member of staff. ``discipline`` is set for technicians and only for them."""

    id: StaffId
    # a name people can read: the roster CSV refuses an empty one, so the API does too
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    role: Role
    discipline: Discipline | None = None
    substitute: bool = False  # a substitute (reserve) driver (lái tàu dự bị)
    line_id: str | None = None  # the line the person works on; None: any line
    qualifications: tuple[Qualification, ...] = ()
    # Labour Code 2019 Art. 137(1): no overtime for a woman from the 7th month of pregnancy or
    # raising a child under 12 months; the crew manager records it here.
    overtime_allowed: bool = True
    # Resolution 17/2022/UBTVQH15 Art. 1(1)(a)–(đ) excludes some employees (under 18, some
    # disabilities, heavy/hazardous jobs, pregnancy, a child under 12 months) from the raised
    # 300 h/60 h limits: for them the standard limits of the policy apply.
    extended_overtime_allowed: bool = True

    @model_validator(mode="after")
    def _discipline_only_for_technicians(self) -> Staff:
        if (self.role is Role.TECHNICIAN) != (self.discipline is not None):
            raise ValueError("a technician needs a discipline; other roles must not have one")
        return self

    def qualified(self, kind: QualKind, scope: str, day: date) -> bool:
        """Holds a ``kind`` qualification for ``scope`` that is valid on ``day``."""
        return any(
            q.kind is kind and q.scope == scope and q.valid_on(day) for q in self.qualifications
        )


class GroupKind(enum.StrEnum):
    """Kinds of contact group used by contact tracing."""

    SHIFT_TEAM = "shift_team"  # tổ / kíp: people who work the same shifts together
    DORMITORY_ROOM = "dormitory_room"  # a room at the depot dormitory
    ONSITE_COHORT = "onsite_cohort"  # a 3-on-site cohort (see Cohort)


def _sorted_unique(members: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(members)) != len(members):
        raise ValueError("members must be unique")
    return tuple(sorted(members))


class ContactGroup(_Frozen):
    """People in close, repeated contact: a shift team or a dormitory room."""

    id: RecordId
    kind: GroupKind
    name: str
    members: tuple[StaffId, ...]

    _members = field_validator("members")(_sorted_unique)


class Cohort(_Frozen):
    """A 3-on-site cohort ("3 tại chỗ": work, eat and rest at the workplace).

    Members live at the depot from ``start`` until ``planned_end``; each needs a bed, so the
    cohort is valid only when the members fit the beds available.
    """

    id: RecordId
    name: str
    members: tuple[StaffId, ...]
    start: CrewInstant
    planned_end: CrewInstant
    beds_available: int = Field(ge=0, le=MAX_BEDS)

    _members = field_validator("members")(_sorted_unique)

    @model_validator(mode="after")
    def _check(self) -> Cohort:
        if self.planned_end <= self.start:
            raise ValueError(f"cohort {self.id}: planned end is not after its start")
        if len(self.members) > self.beds_available:
            raise ValueError(
                f"cohort {self.id}: {len(self.members)} members but only "
                f"{self.beds_available} beds at the depot"
            )
        return self

    def active_at(self, t: datetime) -> bool:
        return self.start <= t < self.planned_end

    def as_contact_group(self) -> ContactGroup:
        """The cohort as a contact group of kind ``ONSITE_COHORT`` (same id)."""
        return ContactGroup(
            id=self.id, kind=GroupKind.ONSITE_COHORT, name=self.name, members=self.members
        )


class Roster(_Frozen):
    """All staff with their contact groups and cohorts; ids are unique and references resolve."""

    staff: tuple[Staff, ...]
    groups: tuple[ContactGroup, ...] = ()
    cohorts: tuple[Cohort, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Roster:
        ids = [s.id for s in self.staff]
        if len(set(ids)) != len(ids):
            raise ValueError("staff ids must be unique")
        gids = [g.id for g in self.groups] + [c.id for c in self.cohorts]
        if len(set(gids)) != len(gids):
            raise ValueError("group and cohort ids must be unique")
        known = set(ids)
        everything: list[ContactGroup | Cohort] = [*self.groups, *self.cohorts]
        for g in everything:
            unknown = [m for m in g.members if m not in known]
            if unknown:
                raise ValueError(f"group {g.id} names unknown staff {unknown}")
        return self

    @cached_property
    def by_id(self) -> dict[str, Staff]:
        return {s.id: s for s in self.staff}

    def person(self, staff_id: str) -> Staff:
        try:
            return self.by_id[staff_id]
        except KeyError:
            raise KeyError(f"unknown staff {staff_id!r}") from None

    def groups_of(self, staff_id: str, at: datetime) -> list[ContactGroup]:
        """Contact groups ``staff_id`` belongs to at ``at``: teams, rooms and active cohorts."""
        out = [g for g in self.groups if staff_id in g.members]
        out += [
            c.as_contact_group() for c in self.cohorts if c.active_at(at) and staff_id in c.members
        ]
        return out

    def cohort_of(self, staff_id: str, at: datetime) -> Cohort | None:
        """The cohort ``staff_id`` is on site with at ``at``, if any."""
        for c in self.cohorts:
            if c.active_at(at) and staff_id in c.members:
                return c
        return None


class State(enum.StrEnum):
    """Availability states; at any instant a person is in exactly one."""

    AVAILABLE = "available"
    ON_SHIFT = "on_shift"
    REST = "rest"
    LEAVE = "leave"
    F1_QUARANTINE = "f1_quarantine"  # close contact of a case
    F0_ISOLATION = "f0_isolation"  # confirmed case; return needs a negative test after `until`
    SICK_OTHER = "sick_other"


#: States whose event must say until when it lasts.
STATES_NEEDING_UNTIL = frozenset({State.F1_QUARANTINE, State.F0_ISOLATION, State.SICK_OTHER})


class StatusEvent(_Frozen):
    """One appended fact: from ``effective`` (until ``until``, if given) the person is ``state``.

    ``event_id`` is the client's id for the fact, so a retried write is applied once.
    ``recorded_at`` orders events with the same ``effective`` time (the later record wins).
    ``source`` says where it came from, e.g. ``"tracing: F0 D012 via team DT-A"``.
    """

    event_id: str = Field(min_length=1)
    staff_id: StaffId
    state: State
    effective: CrewInstant
    # validated even when left out: a state that must end needs it (the check below)
    until: CrewInstant | None = Field(default=None, validate_default=True)
    recorded_at: CrewInstant
    source: str = ""
    note: str = ""

    @field_validator("until")
    @classmethod
    def _until_fits(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        """``until`` as the state needs it. A field validator (not a model one), so a refusal
        names ``until`` and a form puts it beside that input; said in the catalogue's words,
        so the API renders it in the asker's language."""
        state, effective = info.data.get("state"), info.data.get("effective")
        if state in STATES_NEEDING_UNTIL and until is None:
            raise Invalid(
                Message("crew.refused.needs_until", {"state": Message(f"crew.state.{state.value}")})
            )
        if state is State.AVAILABLE and until is not None:
            raise Invalid(Message("crew.refused.available_until"))
        if until is not None and effective is not None and until <= effective:
            raise Invalid(Message("crew.refused.until_before_effective"))
        return until


class TestKind(enum.StrEnum):
    __test__ = False  # not a pytest test class despite the name

    RAPID = "rapid"  # rapid antigen test
    PCR = "pcr"


class TestOutcome(enum.StrEnum):
    __test__ = False

    NEGATIVE = "negative"
    POSITIVE = "positive"


class TestResult(_Frozen):
    """A COVID-19 test taken at ``taken_at``. A positive result does not by itself create an
    F0 event: the crew manager declares the case (see :func:`crew.rules.declare_f0`), but a
    positive result already bars the person from shifts (see :mod:`crew.eligibility`)."""

    __test__ = False  # not a pytest test class despite the name

    test_id: str = Field(min_length=1)
    staff_id: StaffId
    kind: TestKind
    outcome: TestOutcome
    taken_at: CrewInstant
    recorded_at: CrewInstant
