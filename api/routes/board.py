"""The live board and its alarms.

Any signed-in role reads the board, the alarms and the rejected messages; acknowledging,
shelving, unshelving and commenting need an operator or an admin. Who did it is the signed-in
user (never a name in the body), and each of these actions leaves an audit record.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.schemas import board as schemas
from services.alarm_actions import ActionKind, AlarmAction
from services.live_board import live_board
from telemetry.alarms import AlarmError, AlarmNotFound, InvalidRequest

if TYPE_CHECKING:
    from services.runtime import Runtime

router = APIRouter(prefix="/api", tags=["board"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Operator = Annotated[Principal, Depends(require_roles(UserRole.OPERATOR, UserRole.ADMIN))]
#: Every integer parameter is bounded: an unbounded one reaches code that cannot hold it (500).
AlarmId = Annotated[int, Path(ge=1, le=2**62)]


class ShelveBody(BaseModel):
    reason: str = Field(min_length=3, max_length=500)
    minutes: float = Field(gt=0, le=8 * 60, description="shelve for this long")


class CommentBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@router.get("/board", response_model=schemas.Board)
def get_board(_: Reader, rt: RuntimeDep) -> dict[str, Any]:
    """Snapshot of the line: trains, tracks with headways, substations, alarms, KPIs."""
    return live_board(rt.state, rt.crew_link, rt.clock(), rt.health)


@router.get("/alarms", response_model=schemas.AlarmList, response_model_exclude_none=False)
def get_alarms(
    _: Reader,
    rt: RuntimeDep,
    include_shelved: bool = False,
    history: Annotated[int, Query(ge=0, le=1000, description="recent closed alarms")] = 0,
) -> dict[str, Any]:
    """Active alarms by priority (optionally shelved ones and recent history)."""
    out: dict[str, Any] = {
        "alarms": [a.to_dict() for a in rt.alarms.active(include_shelved=include_shelved)],
        "summary": rt.alarms.summary(),
    }
    if history:
        out["history"] = [a.to_dict() for a in rt.alarms.history(limit=history)]
    return out


async def _alarm_call(
    request: Request,
    who: Principal,
    action: str,
    detail: dict[str, Any],
    alarm_id: int,
    act: AlarmAction,
) -> dict[str, Any]:
    """Run one alarm action through the one path every action takes (stored in the database
    before the answer, shared with the other replicas), audit it (also when refused), map its
    errors to HTTP."""
    rt: Runtime = request.state.runtime
    try:
        alarm = await rt.alarm_actions.act(alarm_id, act)
    except AlarmError as exc:
        if isinstance(exc, AlarmNotFound):
            code = 404
        elif isinstance(exc, InvalidRequest):
            code = 422
        else:
            code = 409  # e.g. acknowledging twice
        await audit_request(request, who, action, result_of(code), {**detail, "error": str(exc)})
        raise HTTPException(code, str(exc)) from exc
    await audit_request(request, who, action, "ok", detail)
    # the action is stored already; the snapshot of the book follows it (a restart then has
    # less to replay). A database outage does not undo it: both keep retrying, /healthz says so
    with contextlib.suppress(Exception):
        await rt.recorder.save()
    return dict(alarm.to_dict())


@router.post("/alarms/{alarm_id}/ack", response_model=schemas.Alarm)
async def ack_alarm(
    alarm_id: AlarmId, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Acknowledge an alarm as the signed-in user (records who and when). No body needed."""
    return await _alarm_call(
        request, who, "alarm.ack", {"alarm_id": alarm_id},
        alarm_id, AlarmAction(ActionKind.ACK, who.user),
    )  # fmt: skip


@router.post("/alarms/{alarm_id}/shelve", response_model=schemas.Alarm)
async def shelve_alarm(
    alarm_id: AlarmId, body: ShelveBody, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Shelve an alarm for ``minutes`` with a reason."""
    until = rt.clock() + int(body.minutes * 60_000)
    detail = {"alarm_id": alarm_id, "reason": body.reason, "minutes": body.minutes}
    return await _alarm_call(
        request, who, "alarm.shelve", detail,
        alarm_id, AlarmAction(ActionKind.SHELVE, who.user, body.reason, until),
    )  # fmt: skip


@router.post("/alarms/{alarm_id}/unshelve", response_model=schemas.Alarm)
async def unshelve_alarm(
    alarm_id: AlarmId, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Put a shelved alarm back on the list. No body needed."""
    return await _alarm_call(
        request, who, "alarm.unshelve", {"alarm_id": alarm_id},
        alarm_id, AlarmAction(ActionKind.UNSHELVE, who.user),
    )  # fmt: skip


@router.post("/alarms/{alarm_id}/comment", response_model=schemas.Alarm)
async def comment_alarm(
    alarm_id: AlarmId, body: CommentBody, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Add a comment to an alarm."""
    return await _alarm_call(
        request, who, "alarm.comment", {"alarm_id": alarm_id, "text": body.text},
        alarm_id, AlarmAction(ActionKind.COMMENT, who.user, body.text),
    )  # fmt: skip


@router.get("/rejects", response_model=schemas.Rejects)
def get_rejects(_: Reader, rt: RuntimeDep) -> dict[str, Any]:
    """Rejected field messages: counts by reason and recent samples for diagnosis."""
    return rt.rejects.to_dict()
