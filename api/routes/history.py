"""Recent history per train and per substation (from the embedded store). Any signed-in role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from accounts.identity import READERS, Principal
from api.auth import require_roles
from api.deps import RuntimeDep
from api.lang import said
from api.schemas.ops import History
from telemetry.sinks.base import HistoryUnavailable

router = APIRouter(prefix="/api/history", tags=["history"])

MinutesQ = Annotated[float, Query(gt=0, le=7 * 24 * 60, description="look back this many minutes")]
FieldsQ = Annotated[str | None, Query(description="comma-separated fields, default all")]
Reader = Annotated[Principal, Depends(require_roles(*READERS))]


async def _recent(
    rt: Any, measurement: str, entity: str, minutes: float, fields: str | None, now_ms: int
) -> dict[str, Any]:
    wanted = [f for f in fields.split(",") if f] if fields else None
    since = now_ms - int(minutes * 60_000)
    try:
        rows = await rt.history.recent(measurement, entity, since, None, wanted)
    except HistoryUnavailable as exc:
        # never an empty or partial answer that looks complete
        raise HTTPException(
            503, f"history unavailable: {exc}", headers={"Retry-After": "10"}
        ) from exc
    return {"entity": entity, "measurement": measurement, "since_ms": since, "rows": rows}


@router.get("/trains/{train}", response_model=History)
async def train_history(
    train: str,
    _: Reader,
    rt: RuntimeDep,
    request: Request,
    minutes: MinutesQ = 30,
    fields: FieldsQ = None,
) -> dict[str, Any]:
    if train not in rt.line.fleet.trains:
        raise HTTPException(404, said("history.unknown_train", request, train=train))
    # the server's clock; field time only when the board follows an emulator's clock (a
    # field timestamp is never trusted over the server's: one from 2033 must not hide rows)
    now = rt.clock()
    if rt.settings.state.clock == "field" and rt.state.field_ts_ms is not None:
        now = rt.state.field_ts_ms
    return await _recent(rt, "train", train, minutes, fields, now)


@router.get("/substations/{device}", response_model=History)
async def substation_history(
    device: str,
    _: Reader,
    rt: RuntimeDep,
    request: Request,
    minutes: MinutesQ = 30,
    fields: FieldsQ = None,
) -> dict[str, Any]:
    if device not in rt.state.substations:
        raise HTTPException(404, said("history.unknown_substation", request, device=device))
    return await _recent(rt, "substation", device, minutes, fields, rt.clock())
