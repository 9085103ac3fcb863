"""Sensitivity sweeps API (``/api/simulations/sweeps``), for planners.

* ``POST /api/simulations/sweeps`` — a sweep: base scenario (preset name or inline object),
  ``design`` (``oat``/``factorial``), ``vary`` (``[{"path", "values"}]``), days, replications,
  seed (202, queued; 422 naming a bad variant; 429 when too many wait);
* ``GET  /api/simulations/sweeps`` — the latest sweeps, newest first, with progress;
* ``GET  /api/simulations/sweeps/{id}`` — one sweep: status, progress, the result once done
  (runs, and the factors ranked by swing: what the tornado chart shows);
* ``GET  /api/simulations/sweeps/{id}/tornado.png`` — the tornado chart;
* ``POST /api/simulations/sweeps/{id}/cancel`` — stop a queued or running sweep (409 for
  one that has ended).

Any role reads; ``planner`` and ``admin`` submit and cancel. This router is included before
``/api/simulations/{run_id}`` so ``/api/simulations/sweeps`` is not taken for a run id.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import ValidationError

from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.lang import lang_of, refusal_detail
from api.schemas import simulations as out
from api.schemas.base import PNG
from api.validation_text import invalid_input, invalid_nested
from line.catalogue import Invalid, Lang, Message, Refusal
from simulation import Scenario, scenario_from_data, scenario_preset
from simulation.sweep import SweepSpec, variants
from whatif.service import status_text
from whatif.sweeps import SweepAlreadyFinished, SweepNotFound, SweepQueueFull, SweepService

router = APIRouter(prefix="/api/simulations/sweeps", tags=["simulations"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Planner = Annotated[Principal, Depends(require_roles(UserRole.PLANNER, UserRole.ADMIN))]
# every run of a sweep keeps one float per replication, day and figure while it runs; the
# whole sweep is bounded so one request cannot hold the simulation cores for hours
MAX_SWEEP_REPLICATION_DAYS = 400_000


def _service(rt: RuntimeDep) -> SweepService:
    return rt.sweeps


ServiceDep = Annotated[SweepService, Depends(_service)]


def _json(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code, headers=headers, media_type="application/json")


def _base(spec: SweepSpec, lang: Lang) -> Scenario:
    """The base scenario: a preset by name (never a file path on the server), or inline."""
    if isinstance(spec.scenario, str):
        try:
            return scenario_preset(spec.scenario)
        except KeyError as exc:
            raise invalid_input(["body", "scenario"], exc, "unknown_preset", lang) from exc
    try:
        return scenario_from_data(spec.scenario)
    except ValidationError as exc:
        raise invalid_nested(["body", "scenario"], exc, lang) from exc


@router.post("", status_code=202, response_model=out.Sweep)
async def submit(body: SweepSpec, who: Planner, svc: ServiceDep, request: Request) -> Response:
    """Queue a sweep; follow it at ``Location``."""
    detail: dict[str, Any] = {
        "scenario": body.scenario if isinstance(body.scenario, str) else "(inline)",
        "design": body.design,
        "factors": [f.path for f in body.vary],
        "runs": body.runs_count(),
    }
    lang = lang_of(request)
    try:
        base = _base(body, lang)
        try:
            # the runs it will make: a value equal to the base's runs as the base
            runs = len(variants(body, base))
        except (KeyError, ValueError) as exc:
            raise invalid_input(["body", "vary"], exc, "invalid_variant", lang) from exc
        detail["runs"] = runs
        size = runs * body.days * body.replications
        if size > MAX_SWEEP_REPLICATION_DAYS:
            raise invalid_input(
                ["body", "replications"],
                Invalid(
                    Message(
                        "sweep.refused.too_large",
                        {"most": MAX_SWEEP_REPLICATION_DAYS, "size": size},
                    )
                ),
                "too_large",
                lang,
            )
        try:
            job = svc.submit(body, base, actor=who.actor)
        except SweepQueueFull as exc:
            raise HTTPException(429, refusal_detail(exc, request)) from exc
        except (KeyError, ValueError) as exc:
            raise invalid_input(["body", "vary"], exc, "invalid_variant", lang) from exc
    except HTTPException as exc:
        await audit_request(request, who, "simulation.sweep", result_of(exc.status_code), detail)
        raise
    detail["id"] = job.id
    await audit_request(request, who, "simulation.sweep", "ok", detail)
    return _json(job.as_dict(), 202, {"Location": f"/api/simulations/sweeps/{job.id}"})


@router.get("", response_model=list[out.Sweep])
async def list_sweeps(_who: Reader, svc: ServiceDep) -> Response:
    """The latest sweeps first (without their results)."""
    return _json([j.as_dict() for j in svc.list()])


@router.get("/{sweep_id}", response_model=out.SweepWithResult)
async def get_sweep(sweep_id: str, _who: Reader, svc: ServiceDep, request: Request) -> Response:
    """Status, progress, and the result once the sweep is done."""
    try:
        job = svc.get(sweep_id)
    except SweepNotFound as exc:
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    return _json({**job.as_dict(), "result": job.result})


@router.get("/{sweep_id}/tornado.png", response_class=Response, responses=PNG)
async def tornado(sweep_id: str, _who: Reader, svc: ServiceDep, request: Request) -> Response:
    """The tornado chart of a finished sweep (409 until it is done)."""
    try:
        png = svc.tornado_png(sweep_id)
    except SweepNotFound as exc:
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    if png is None:
        why = Message(
            "sweep.refused.no_chart",
            {"id": sweep_id, "status": status_text(svc.get(sweep_id).status)},
        )
        raise HTTPException(409, refusal_detail(Refusal(why), request))
    return Response(png, media_type="image/png")


@router.post("/{sweep_id}/cancel", response_model=out.Sweep)
async def cancel(sweep_id: str, who: Planner, svc: ServiceDep, request: Request) -> Response:
    """Stop a queued or running sweep (it reports ``cancelled`` once its workers stop); one
    that has already ended answers 409."""
    try:
        job = svc.cancel(sweep_id)
    except SweepNotFound as exc:
        await audit_request(request, who, "simulation.sweep_cancel", "not_found", {"id": sweep_id})
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    except SweepAlreadyFinished as exc:
        await audit_request(
            request, who, "simulation.sweep_cancel", result_of(409), {"id": sweep_id}
        )
        raise HTTPException(409, refusal_detail(exc, request)) from exc
    await audit_request(request, who, "simulation.sweep_cancel", "ok", {"id": sweep_id})
    return _json(job.as_dict())
