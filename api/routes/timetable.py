"""Degraded-timetable decisions (``/api/timetable/decision``).

* ``GET`` — the degraded timetable in force (or announced), and the latest decisions.
* ``POST`` ``{"degraded": true, "headway_min": 8, "from": "07:30", "reason": "…"}`` — an
  operator declares a degraded timetable (headway in minutes, from a Hanoi time today), or
  ``{"degraded": false, "from": …, "reason": …}`` the normal timetable again (201).

Operators (and administrators) decide; everyone signed in reads. Each decision is audited
(``timetable.decide``) and written in the shift log by itself; the board shows the one in force.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from accounts.audit_text import audit_error
from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.lang import refusal_detail
from api.schemas.timetable import TimetableDecision, TimetableDecisions
from line.clock import HANOI, hanoi_time
from shiftlog.timetable import MAX_REASON, Decision, InvalidDecision

router = APIRouter(prefix="/api/timetable", tags=["timetable"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Operator = Annotated[Principal, Depends(require_roles(UserRole.OPERATOR, UserRole.ADMIN))]


def _no_nul(v: str) -> str:
    if "\x00" in v:
        raise ValueError("must not contain NUL characters")
    return v


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    degraded: bool
    headway_min: float | None = Field(default=None, gt=0, le=60)
    from_: time = Field(alias="from", description="Hanoi time today, HH:MM")
    reason: Annotated[str, AfterValidator(_no_nul)] = Field(min_length=1, max_length=MAX_REASON)


def _out(d: Decision) -> TimetableDecision:
    return TimetableDecision(
        id=d.id,
        at_ms=d.at_ms,
        user=d.user,
        degraded=d.degraded,
        headway_s=d.headway_s,
        from_ms=d.from_ms,
        reason=d.reason,
    )


@router.get("/decision")
async def decisions(_who: Reader, rt: RuntimeDep) -> TimetableDecisions:
    """The degraded timetable in force, and the latest decisions."""
    recent = await rt.timetable.recent()
    current = recent[0] if recent and recent[0].degraded else None
    return TimetableDecisions(
        current=None if current is None else _out(current), recent=[_out(d) for d in recent]
    )


@router.post("/decision", status_code=201)
async def decide(
    body: DecisionIn, who: Operator, request: Request, rt: RuntimeDep
) -> TimetableDecision:
    """Declare a degraded timetable, or the normal one again."""
    detail: dict[str, Any] = {
        "degraded": body.degraded,
        "headway_min": body.headway_min,
        "from": body.from_.isoformat("minutes"),
    }
    if body.degraded and body.headway_min is None:
        await audit_request(request, who, "timetable.decide", result_of(422), detail)
        raise HTTPException(422, "a degraded timetable needs headway_min")
    today = hanoi_time(rt.clock()).date()
    from_ms = int(datetime.combine(today, body.from_, HANOI).timestamp() * 1000)
    try:
        d = await rt.timetable.declare(
            who.user,
            degraded=body.degraded,
            headway_s=None if body.headway_min is None else round(body.headway_min * 60),
            from_ms=from_ms,
            reason=body.reason,
        )
    except InvalidDecision as exc:
        await audit_request(
            request, who, "timetable.decide", result_of(422), {**detail, **audit_error(exc)}
        )
        raise HTTPException(422, refusal_detail(exc, request)) from exc
    await audit_request(request, who, "timetable.decide", "ok", {**detail, "id": d.id})
    return _out(d)
