"""What-if simulation API (``/api/simulations``), for planners.

* ``GET  /api/simulations/scenarios`` — the preset scenarios with all their parameters;
* ``POST /api/simulations`` — run a preset (by name) or an inline scenario (202, queued);
* ``GET  /api/simulations`` — the latest runs, newest first, with status and progress;
* ``GET  /api/simulations/{id}`` — one run: status, progress, and the result once done;
* ``POST /api/simulations/{id}/cancel`` — stop a queued or running run (its worker processes
  are terminated and replaced); 409 for a run that has already ended;
* ``GET  /api/simulations/compare?a=…&b=…`` — two finished runs side by side, ``b - a``.

Every route needs a bearer token; any role reads, ``planner`` and ``admin`` run and cancel.
A bad request answers 422 naming the field (``["body", "scenario", "incidence",
"doubling_days"]``); a run beyond the queue's caps (``simulation.queue_per_user``,
``queue_total``) answers 429 with ``Retry-After``. A run that exceeds ``simulation.max_run_s``
fails saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.lang import lang_of, refusal_detail
from api.schemas import simulations as out
from api.validation_text import invalid_input, invalid_nested
from line.catalogue import Invalid, Lang, Message
from simulation import PRESETS, Scenario, WhatIfResult, scenario_from_data, scenario_preset
from simulation.verdict import with_verdict
from whatif.service import (
    QueueFull,
    RunAlreadyFinished,
    RunNotFinished,
    RunNotFound,
    RunView,
    SimulationService,
)

router = APIRouter(prefix="/api/simulations", tags=["simulations"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Planner = Annotated[Principal, Depends(require_roles(UserRole.PLANNER, UserRole.ADMIN))]
MAX_DAYS = 366
MAX_REPLICATIONS = 10_000
# a run keeps one float per replication, day and figure until it ends: ~200 MB at this size
MAX_REPLICATION_DAYS = 200_000


def _service(rt: RuntimeDep) -> SimulationService:
    return rt.simulations


ServiceDep = Annotated[SimulationService, Depends(_service)]


class SimulationIn(BaseModel):
    """A what-if to run: a preset name or a whole scenario, and the run's size and seed."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | dict[str, Any] = Field(
        description=f"a preset ({', '.join(PRESETS)}) or an inline scenario object"
    )
    days: int = Field(default=60, ge=1, le=MAX_DAYS)
    replications: int = Field(default=200, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    from_today: bool = Field(
        default=False, description="start from the crew record now instead of the scenario's"
    )

    @field_validator("replications")
    @classmethod
    def _size(cls, v: int, info: ValidationInfo) -> int:
        days = info.data.get("days")
        if isinstance(days, int) and days * v > MAX_REPLICATION_DAYS:
            raise Invalid(
                Message(
                    "simulation.refused.too_large",
                    {
                        "most": MAX_REPLICATION_DAYS,
                        "days": days,
                        "reps": MAX_REPLICATION_DAYS // days,
                    },
                )
            )
        return v


def _scenario(body: SimulationIn, lang: Lang) -> Scenario:
    if isinstance(body.scenario, str):
        try:
            sc = scenario_preset(body.scenario)
        except KeyError as exc:
            raise invalid_input(["body", "scenario"], exc, "unknown_preset", lang) from exc
    else:
        try:
            sc = scenario_from_data(body.scenario)
        except ValidationError as exc:
            raise invalid_nested(["body", "scenario"], exc, lang) from exc
    if body.from_today:
        sc = sc.model_copy(update={"start": "today"})
    return sc


def _json(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code, headers=headers, media_type="application/json")


def _current(result: str) -> bytes:
    """A stored result as this version serves it: one stored before verdicts gets its verdict
    (:func:`simulation.verdict.with_verdict`); others are passed on as stored."""
    data = orjson.loads(result)
    if isinstance(data.get("summary", {}).get("verdict"), dict):
        return result.encode()
    return with_verdict(WhatIfResult.model_validate(data)).to_json().encode()


def _with_result(view: RunView, result: str | None) -> Response:
    """The run and its stored result JSON, spliced without dumping it again."""
    head = orjson.dumps(view.as_dict())
    tail = _current(result) if result is not None else b"null"
    return Response(head[:-1] + b',"result":' + tail + b"}", media_type="application/json")


@router.get("/scenarios", response_model=list[out.Preset])
async def scenarios(_who: Reader) -> Response:
    """The preset scenarios, with every parameter."""
    out = []
    for name in PRESETS:
        sc = scenario_preset(name)
        out.append(
            {"name": name, "description": sc.description, "scenario": sc.model_dump(mode="json")}
        )
    return _json(out)


@router.post("", status_code=202, response_model=out.Run)
async def submit(body: SimulationIn, who: Planner, svc: ServiceDep, request: Request) -> Response:
    """Queue a what-if run; follow it at ``Location``."""
    detail: dict[str, Any] = {
        "scenario": body.scenario if isinstance(body.scenario, str) else "(inline)",
        "days": body.days,
        "replications": body.replications,
        "seed": body.seed,
    }
    lang = lang_of(request)
    try:
        sc = _scenario(body, lang)
        try:
            await svc.check(sc, body.days)
        except ValueError as exc:
            raise invalid_input(["body", "scenario"], exc, "impossible_input", lang) from exc
    except HTTPException as exc:
        await audit_request(request, who, "simulation.run", result_of(exc.status_code), detail)
        raise
    try:
        view = await svc.submit(
            sc, days=body.days, replications=body.replications, seed=body.seed, actor=who.actor
        )
    except QueueFull as exc:
        await audit_request(request, who, "simulation.run", result_of(429), detail)
        raise HTTPException(
            429, refusal_detail(exc, request), headers={"Retry-After": str(exc.retry_after_s)}
        ) from exc
    detail.update(id=view.id, scenario=sc.name)
    await audit_request(request, who, "simulation.run", "ok", detail)
    return _json(view.as_dict(), 202, {"Location": f"/api/simulations/{view.id}"})


@router.get("", response_model=list[out.Run])
async def list_runs(
    _who: Reader, svc: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Response:
    """The latest runs first (without their results)."""
    return _json([v.as_dict() for v in await svc.list(limit)])


@router.get("/compare", response_model=out.Comparison)
async def compare(
    _who: Reader,
    svc: ServiceDep,
    request: Request,
    a: Annotated[str, Query(min_length=1, max_length=64)],
    b: Annotated[str, Query(min_length=1, max_length=64)],
) -> Response:
    """Two finished runs side by side (``b - a``)."""
    try:
        return _json(await svc.compare(a, b))
    except RunNotFound as exc:
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    except RunNotFinished as exc:
        raise HTTPException(409, refusal_detail(exc, request)) from exc


@router.get("/{run_id}", response_model=out.RunWithResult)
async def get_run(run_id: str, _who: Reader, svc: ServiceDep, request: Request) -> Response:
    """Status, progress, and the result once the run is done."""
    try:
        view = await svc.get(run_id)
    except RunNotFound as exc:
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    return _with_result(view, await svc.result_json(run_id))


@router.post("/{run_id}/cancel", response_model=out.Run)
async def cancel(run_id: str, who: Planner, svc: ServiceDep, request: Request) -> Response:
    """Stop a queued or running run: its workers are terminated, and the answer says
    ``cancelled`` once it has stopped. A run that has already ended answers 409."""
    try:
        view = await svc.cancel(run_id)
    except RunNotFound as exc:
        await audit_request(request, who, "simulation.cancel", "not_found", {"id": run_id})
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    except RunAlreadyFinished as exc:
        # 409: nothing was stopped; the caller learns the run's final status from the detail
        await audit_request(request, who, "simulation.cancel", result_of(409), {"id": run_id})
        raise HTTPException(409, refusal_detail(exc, request)) from exc
    await audit_request(request, who, "simulation.cancel", "ok", {"id": run_id})
    return _json(view.as_dict())
