"""The live board and its alarms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.deps import RuntimeDep
from api.live_board import live_board
from telemetry.alarms import AlarmError, AlarmNotFound, InvalidRequest

router = APIRouter(prefix="/api", tags=["board"])


class AckBody(BaseModel):
    user: str = Field(min_length=1, max_length=64, description="who acknowledges")


class ShelveBody(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=500)
    minutes: float = Field(gt=0, le=8 * 60, description="shelve for this long")


class CommentBody(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)


@router.get("/board")
def get_board(rt: RuntimeDep) -> dict[str, Any]:
    """Snapshot of the line: trains, tracks with headways, substations, alarms, KPIs."""
    return live_board(rt)


@router.get("/alarms")
def get_alarms(rt: RuntimeDep, include_shelved: bool = False, history: int = 0) -> dict[str, Any]:
    """Active alarms by priority (optionally shelved ones and recent history)."""
    out: dict[str, Any] = {
        "alarms": [a.to_dict() for a in rt.alarms.active(include_shelved=include_shelved)],
        "summary": rt.alarms.summary(),
    }
    if history:
        out["history"] = [a.to_dict() for a in rt.alarms.history(limit=min(history, 1000))]
    return out


def _alarm_call(fn: Any, *args: Any) -> dict[str, Any]:
    try:
        return dict(fn(*args).to_dict())
    except AlarmNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except InvalidRequest as exc:
        raise HTTPException(422, str(exc)) from exc
    except AlarmError as exc:
        raise HTTPException(409, str(exc)) from exc


@router.post("/alarms/{alarm_id}/ack")
def ack_alarm(alarm_id: int, body: AckBody, rt: RuntimeDep) -> dict[str, Any]:
    """Acknowledge an alarm (records who and when)."""
    return _alarm_call(rt.alarms.ack, alarm_id, body.user)


@router.post("/alarms/{alarm_id}/shelve")
def shelve_alarm(alarm_id: int, body: ShelveBody, rt: RuntimeDep) -> dict[str, Any]:
    until = rt.clock() + int(body.minutes * 60_000)
    return _alarm_call(rt.alarms.shelve, alarm_id, body.user, body.reason, until)


@router.post("/alarms/{alarm_id}/unshelve")
def unshelve_alarm(alarm_id: int, body: AckBody, rt: RuntimeDep) -> dict[str, Any]:
    return _alarm_call(rt.alarms.unshelve, alarm_id, body.user)


@router.post("/alarms/{alarm_id}/comment")
def comment_alarm(alarm_id: int, body: CommentBody, rt: RuntimeDep) -> dict[str, Any]:
    return _alarm_call(rt.alarms.comment, alarm_id, body.user, body.text)


@router.get("/rejects")
def get_rejects(rt: RuntimeDep) -> dict[str, Any]:
    """Rejected field messages: counts by reason and recent samples for diagnosis."""
    return rt.rejects.to_dict()
