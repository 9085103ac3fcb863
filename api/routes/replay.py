"""Replay of a past moment of the line: read only, from history only. Any signed-in role."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from accounts.identity import READERS, Principal
from api.auth import require_roles
from api.deps import RuntimeDep
from api.schemas.replay import Replay, ReplayRange
from telemetry.sinks.base import HistoryUnavailable

router = APIRouter(prefix="/api/replay", tags=["replay"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
AtQ = Annotated[
    str,
    Query(
        min_length=1,
        max_length=40,
        description="the moment: epoch milliseconds, or ISO 8601 with an offset",
    ),
]


def parse_at(value: str) -> int:
    """Epoch ms or ISO 8601 with an offset → epoch ms; ValueError says what is wrong."""
    if value.isdigit():
        ms = int(value)
        if ms > 10**14:
            raise ValueError("at: epoch milliseconds out of range")
        return ms
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("at: give epoch milliseconds or ISO 8601 with an offset") from None
    if when.tzinfo is None:
        raise ValueError("at: ISO 8601 needs an offset (e.g. +07:00)")
    return int(when.timestamp() * 1000)


def board_now(rt: Any) -> int:
    """The board's now: the field's clock when the board follows one (as /api/history)."""
    now: int = rt.clock()
    if rt.settings.state.clock == "field" and rt.state.field_ts_ms is not None:
        now = rt.state.field_ts_ms
    return now


@router.get("", response_model=Replay)
async def replay_at(at: AtQ, _: Reader, rt: RuntimeDep) -> dict[str, Any]:
    try:
        at_ms = parse_at(at)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    span = rt.replay.range(board_now(rt))
    if not span["earliest_ms"] <= at_ms <= span["now_ms"]:
        raise HTTPException(422, "at: outside the history retained (see GET /api/replay/range)")
    try:
        snapshot: dict[str, Any] = await rt.replay.at(at_ms)
    except HistoryUnavailable as exc:
        raise HTTPException(
            503, f"history unavailable: {exc}", headers={"Retry-After": "10"}
        ) from exc
    return snapshot


@router.get("/range", response_model=ReplayRange)
async def replay_range(_: Reader, rt: RuntimeDep) -> dict[str, Any]:
    span: dict[str, Any] = rt.replay.range(board_now(rt))
    return span
