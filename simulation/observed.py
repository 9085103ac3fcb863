"""Observed days: absences by role and trips operated, the data a what-if is calibrated against.

The CSV (one row per day, dates consecutive)::

    date,driver_absent,technician_absent,occ_operator_absent,trips_operated
    2022-02-21,4,2,0,286
    2022-02-22,6,2,1,

``<role>_absent`` counts the staff of that role who could not be rostered when the day was
planned (03:00 local time, when the simulation plans it): F0 isolation, F1 quarantine, leave
or other sickness. ``trips_operated`` is the day's trips run; empty when unknown (a day is
then compared on absences only). :func:`observed_from_history` makes exactly these rows from
the crew store's status history (:mod:`cli.crew`'s ``crew export-observed``); the crew
store records no trips, so trips come from the operator's own daily figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path

from crew import Role, Roster, State, StatusHistory

ROLES: tuple[Role, ...] = (Role.DRIVER, Role.TECHNICIAN, Role.OCC_OPERATOR)
COLUMNS: tuple[str, ...] = ("date", *(f"{r.value}_absent" for r in ROLES), "trips_operated")
ABSENT: frozenset[State] = frozenset(
    {State.F0_ISOLATION, State.F1_QUARANTINE, State.LEAVE, State.SICK_OTHER}
)
PLAN_TIME = time(3, 0)  # the simulation's control centre plans each day at 03:00


@dataclass(frozen=True, slots=True)
class ObservedDay:
    day: date
    absent: Mapping[Role, int]
    trips_operated: int | None


class ObservedError(ValueError):
    """The observed CSV is unusable (the message names the line and column)."""


def read_observed(path: Path) -> list[ObservedDay]:
    """Read and check an observed CSV (columns as :data:`COLUMNS`, consecutive dates)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ObservedError(f"{path}: {exc.strerror or exc}") from None
    return parse_observed(text, str(path))


def parse_observed(text: str, name: str = "observed CSV") -> list[ObservedDay]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ObservedError(f"{name}: missing column(s) {', '.join(missing)}")
    out: list[ObservedDay] = []
    for n, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat((row.get("date") or "").strip())
        except ValueError:
            raise ObservedError(
                f"{name} line {n}: date {row.get('date')!r} is not YYYY-MM-DD"
            ) from None
        if out and day != out[-1].day + timedelta(days=1):
            raise ObservedError(f"{name} line {n}: {day} does not follow {out[-1].day}")
        absent = {r: _count(row, f"{r.value}_absent", f"{name} line {n}") or 0 for r in ROLES}
        trips = _count(row, "trips_operated", f"{name} line {n}", optional=True)
        out.append(ObservedDay(day, absent, trips))
    if not out:
        raise ObservedError(f"{name}: no days")
    return out


def _count(row: dict[str, str], col: str, where: str, *, optional: bool = False) -> int | None:
    raw = (row.get(col) or "").strip()
    if not raw and optional:
        return None
    try:
        v = int(raw)
    except ValueError:
        raise ObservedError(f"{where}: {col} {raw!r} is not a count") from None
    if v < 0:
        raise ObservedError(f"{where}: {col} is negative")
    return v


def write_observed(days: Iterable[ObservedDay]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for d in days:
        trips = "" if d.trips_operated is None else str(d.trips_operated)
        w.writerow([d.day.isoformat(), *(d.absent.get(r, 0) for r in ROLES), trips])
    return buf.getvalue()


def observed_from_history(
    roster: Roster,
    history: StatusHistory,
    first: date,
    last: date,
    tz: tzinfo,
    trips: Mapping[date, int] | None = None,
) -> list[ObservedDay]:
    """Each day's absences by role at :data:`PLAN_TIME` (local, ``tz``) from the status
    history; ``trips`` where the caller has them."""
    if last < first:
        raise ValueError(f"{last} is before {first}")
    out = []
    d = first
    while d <= last:
        at = datetime.combine(d, PLAN_TIME, tzinfo=tz)
        absent = dict.fromkeys(ROLES, 0)
        for person in roster.staff:
            if person.role in absent and history.state_at(person.id, at) in ABSENT:
                absent[person.role] += 1
        out.append(ObservedDay(d, absent, (trips or {}).get(d)))
        d += timedelta(days=1)
    return out


def read_trips(path: Path) -> dict[date, int]:
    """A ``date,trips_operated`` CSV (the operator's daily figures) as a mapping."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ObservedError(f"{path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    if not {"date", "trips_operated"} <= set(reader.fieldnames or []):
        raise ObservedError(f"{path}: needs the columns date, trips_operated")
    out: dict[date, int] = {}
    for n, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat((row.get("date") or "").strip())
        except ValueError:
            raise ObservedError(
                f"{path} line {n}: date {row.get('date')!r} is not YYYY-MM-DD"
            ) from None
        v = _count(row, "trips_operated", f"{path} line {n}", optional=True)
        if v is not None:
            out[day] = v
    return out
