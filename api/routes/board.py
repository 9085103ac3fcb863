"""The live board and its alarms.

Any signed-in role reads the board, the alarms and the rejected messages; acknowledging,
shelving, unshelving and commenting need an operator or an admin. Who did it is the signed-in
user (never a name in the body), and each of these actions leaves an audit record.

Alarm management (README "Alarm management"): a P1/P2 shelve is a request until a second,
different operator (or admin) approves it (``POST /api/alarms/{id}/shelve/approve``); bulk
acknowledge (``POST /api/alarms/ack``) acknowledges every unacknowledged alarm of the given
priorities through the same :func:`_ack` as a single acknowledgement, with one audit record
naming the ids.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from accounts.audit_text import audit_error
from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.lang import refusal_detail
from api.schemas import board as schemas
from services.alarm_actions import ActionKind, AlarmAction
from services.live_board import live_board
from telemetry.alarms import AlarmError, AlarmNotFound, AlarmState, InvalidRequest

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


class BulkAckBody(BaseModel):
    priorities: list[Annotated[int, Field(ge=1, le=4)]] = Field(
        min_length=1, max_length=4, description="the board's priority filter: acknowledge these"
    )


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
        await audit_request(request, who, action, result_of(code), {**detail, **audit_error(exc)})
        raise HTTPException(code, refusal_detail(exc, request)) from exc
    await audit_request(request, who, action, "ok", detail)
    # the action is stored already; the snapshot of the book follows it (a restart then has
    # less to replay). A database outage does not undo it: both keep retrying, /healthz says so
    with contextlib.suppress(Exception):
        await rt.recorder.save()
    return dict(alarm.to_dict())


def _ack(user: str) -> AlarmAction:
    """The one acknowledgement, for a single alarm and for bulk acknowledge: both go through
    ``rt.alarm_actions.act`` (stored in the database, shared with the other replicas)."""
    return AlarmAction(ActionKind.ACK, user)


@router.post("/alarms/{alarm_id}/ack", response_model=schemas.Alarm)
async def ack_alarm(
    alarm_id: AlarmId, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Acknowledge an alarm as the signed-in user (records who and when). No body needed."""
    return await _alarm_call(
        request, who, "alarm.ack", {"alarm_id": alarm_id},
        alarm_id, _ack(who.user),
    )  # fmt: skip


_UNACKED = (AlarmState.UNACK, AlarmState.RTN_UNACK)


@router.post("/alarms/ack", response_model=schemas.BulkAck)
async def ack_alarms(
    body: BulkAckBody, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Acknowledge every unacknowledged alarm of these priorities (the board's filter).

    Suppressed alarms are left alone (nobody was shown them as alarms), so are shelved ones.
    One alarm refused (e.g. acknowledged by someone else a moment before) does not stop the
    others: it is listed in ``refused`` with the reason.
    """
    wanted = set(body.priorities)
    ids = [
        a.id
        for a in rt.alarms.active()
        if int(a.priority) in wanted and a.state in _UNACKED and not a.suppressed
    ]
    acked: list[int] = []
    refused: list[dict[str, Any]] = []
    for alarm_id in ids:
        try:
            await rt.alarm_actions.act(alarm_id, _ack(who.user))
        except AlarmError as exc:
            refused.append({"id": alarm_id, "error": refusal_detail(exc, request)["message"]})
        else:
            acked.append(alarm_id)
    detail = {"priorities": sorted(wanted), "alarm_ids": acked, "refused": refused}
    await audit_request(request, who, "alarm.ack_bulk", "ok", detail)
    if acked:
        with contextlib.suppress(Exception):  # as in _alarm_call
            await rt.recorder.save()
    return {"acked": acked, "refused": refused}


@router.post("/alarms/{alarm_id}/shelve", response_model=schemas.Alarm)
async def shelve_alarm(
    alarm_id: AlarmId, body: ShelveBody, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Shelve an alarm for ``minutes`` with a reason.

    P1/P2: the reason must be of substance (at least 15 characters, two different words, six
    different letters or digits), at most ``state.shelve_max_min_high`` minutes (default 60),
    and nothing is shelved yet: the answer carries ``shelve_request``, and a second person
    approves it with ``POST /api/alarms/{id}/shelve/approve``. Refusals are 422 (reason,
    duration) or 409 (state) with the rule in ``detail``.
    """
    until = rt.clock() + int(body.minutes * 60_000)
    detail = {"alarm_id": alarm_id, "reason": body.reason, "minutes": body.minutes}
    return await _alarm_call(
        request, who, "alarm.shelve", detail,
        alarm_id, AlarmAction(ActionKind.SHELVE, who.user, body.reason, until),
    )  # fmt: skip


@router.post("/alarms/{alarm_id}/shelve/approve", response_model=schemas.Alarm)
async def approve_shelve(
    alarm_id: AlarmId, who: Operator, request: Request, rt: RuntimeDep
) -> dict[str, Any]:
    """Approve another person's P1/P2 shelve request (409 for your own, or none pending)."""
    return await _alarm_call(
        request, who, "alarm.shelve_approve", {"alarm_id": alarm_id},
        alarm_id, AlarmAction(ActionKind.APPROVE_SHELVE, who.user),
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
