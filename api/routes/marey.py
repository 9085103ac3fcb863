"""The time-distance (Marey) graph and headway regularity of the service day. Any signed-in role.

``GET /api/marey`` is what the page draws: stations with chainages, the timetable's planned
paths, the trains' actual paths (the newest one per train still growing, ``live``), the
headways flagged as bunching or gaps, and the regularity figures. ``GET /api/regularity`` is
the figures alone. Times are seconds after local (Hanoi) midnight of ``service_date``; "now"
is the server's clock, or the field's when the board follows an emulator's clock (as in
``/api/history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from accounts.identity import READERS, Principal
from api.auth import require_roles
from api.deps import RuntimeDep
from api.schemas.base import Wire
from line import Line, Trip
from services.runtime import Runtime
from telemetry.marey import MareyDay, build_day
from telemetry.regularity import HourRegularity

router = APIRouter(prefix="/api", tags=["board"])
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
DirectionQ = Annotated[int, Query(ge=0, le=2, description="track: 1 outbound, 2 inbound, 0 both")]


class MareyStation(Wire):
    id: str
    name: str
    chainage_m: float


class MareyPath(Wire):
    id: str = Field(description="planned: the trip id; actual: train and run number")
    train: str
    direction: int = Field(description="ICD track: 1 outbound, 2 inbound")
    points: list[tuple[float, float]] = Field(description="(seconds after midnight, chainage m)")
    live: bool = Field(default=False, description="the train is on this path now")


class HeadwayMark(Wire):
    """An observed headway out of bounds, at the departure that ended it."""

    station: str
    direction: int
    t_s: float
    headway_s: float
    scheduled_s: float | None
    kind: Literal["bunching", "gap"]


class HourFigures(Wire):
    """Regularity of one hour (``hour`` −1: the day so far), ``direction`` 0 for both."""

    hour: int
    direction: int
    headways: int = Field(description="observed headways (departures per station, direction)")
    awt_s: float | None = Field(description="actual mean wait, s")
    swt_s: float | None = Field(description="scheduled mean wait, s")
    ewt_s: float | None = Field(description="excess waiting time AWT − SWT, s")
    bunching: int = Field(description="headways below bunch_factor × scheduled")
    gaps: int = Field(description="headways above gap_factor × scheduled")


class RegularityView(Wire):
    service_date: date
    now_s: float
    bunch_factor: float
    gap_factor: float
    hours: list[HourFigures] = Field(description="per hour and direction (0, 1, 2)")
    day: list[HourFigures] = Field(description="the day so far, per direction (0, 1, 2)")


class MareyView(Wire):
    service_date: date
    timetable: str
    now_s: float
    start_s: float = Field(description="the service day's first planned departure")
    end_s: float = Field(description="its last planned arrival")
    complete: bool = Field(
        description="false while today's earlier paths are still being read from history"
    )
    stations: list[MareyStation]
    planned: list[MareyPath]
    actual: list[MareyPath]
    marks: list[HeadwayMark]
    regularity: RegularityView


def _now_ms(rt: Runtime) -> int:
    # the server's clock; the field's only when the board follows an emulator's clock
    now = rt.clock()
    if rt.settings.state.clock == "field" and rt.state.field_ts_ms is not None:
        now = rt.state.field_ts_ms
    return now


def marey_day(rt: Runtime, directions: tuple[int, ...], *, with_planned: bool = True) -> MareyDay:
    plan, now_s = rt.state.plan_for(_now_ms(rt))
    st = rt.settings.state
    return build_day(
        rt.planned_paths,
        plan,
        rt.paths.day(plan.service_date),
        now_s,
        bunch_factor=st.bunch_factor,
        gap_factor=st.gap_factor,
        directions=directions,
        with_planned=with_planned,
    )


def _hour(h: HourRegularity) -> HourFigures:
    return HourFigures.model_validate(h, from_attributes=True)  # the same fields, by name


def regularity_of(day: MareyDay, *, bunch_factor: float, gap_factor: float) -> RegularityView:
    return RegularityView(
        service_date=day.service_date,
        now_s=day.now_s,
        bunch_factor=bunch_factor,
        gap_factor=gap_factor,
        hours=[_hour(h) for d in sorted(day.hours) for h in day.hours[d]],
        day=[_hour(h) for d in sorted(day.day) if (h := day.day[d]) is not None],
    )


def _directions(direction: int) -> tuple[int, ...]:
    return (direction,) if direction else (1, 2)


def view_of(
    line: Line,
    day: MareyDay,
    trips: Sequence[Trip],
    *,
    complete: bool,
    bunch_factor: float,
    gap_factor: float,
) -> MareyView:
    """The response for ``day`` (also what ``bench/marey.py`` times)."""
    return MareyView(
        service_date=day.service_date,
        timetable=day.timetable,
        now_s=day.now_s,
        start_s=min((t.depart_s for t in trips), default=0),
        end_s=max((t.arrive_s for t in trips), default=86400),
        complete=complete,
        stations=[
            MareyStation(id=s.id, name=s.name, chainage_m=s.chainage_m) for s in line.stations
        ],
        planned=[
            MareyPath(id=p.id, train=p.train, direction=p.direction, points=p.points)
            for p in day.planned
        ],
        actual=[
            MareyPath(id=p.id, train=p.train, direction=p.direction, points=p.points, live=p.live)
            for p in day.actual
        ],
        marks=[
            HeadwayMark(
                station=e.station,
                direction=e.direction,
                t_s=e.t_s,
                headway_s=e.headway_s,
                scheduled_s=e.scheduled_s,
                kind="gap" if e.kind == "gap" else "bunching",
            )
            for e in day.events
        ],
        regularity=regularity_of(day, bunch_factor=bunch_factor, gap_factor=gap_factor),
    )


@router.get("/marey")
def get_marey(
    _: Reader,
    rt: RuntimeDep,
    direction: DirectionQ = 0,
    planned: Annotated[
        bool, Query(description="include the planned paths (a live client takes them once)")
    ] = True,
) -> MareyView:
    """The time-distance graph of the service day: planned and actual paths, regularity."""
    day = marey_day(rt, _directions(direction), with_planned=planned)
    st = rt.settings.state
    return view_of(
        rt.line,
        day,
        rt.state.plan_for(_now_ms(rt))[0].trips,
        complete=rt.paths.backfilled,
        bunch_factor=st.bunch_factor,
        gap_factor=st.gap_factor,
    )


@router.get("/regularity")
def get_regularity(_: Reader, rt: RuntimeDep, direction: DirectionQ = 0) -> RegularityView:
    """Excess waiting time, bunching and gaps per hour and for the day so far."""
    day = marey_day(rt, _directions(direction), with_planned=False)
    st = rt.settings.state
    return regularity_of(day, bunch_factor=st.bunch_factor, gap_factor=st.gap_factor)
