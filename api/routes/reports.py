"""Situation reports API (``/api/reports``).

* ``POST /api/reports`` — make a report now (201, ``Location`` of its JSON);
* ``GET  /api/reports`` — the latest reports, newest first, with headline numbers and links;
* ``GET  /api/reports/{id}`` — one report's record and all its facts (JSON);
* ``GET  /api/reports/{id}.html`` — the report as a page (``Content-Disposition: inline``);
* ``GET  /api/reports/{id}.pdf`` — the report as a PDF download (``attachment``).

Any signed-in role reads. Making one on demand is for the people who act on it — operators,
crew managers and administrators; planners read them (their what-ifs feed the forecast section).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request
from api.schemas import reports as out
from api.schemas.base import HTML, PDF
from reports.model import ReportKind
from reports.service import ReportNotFound, ReportService
from reports.store import ReportRecord

router = APIRouter(prefix="/api/reports", tags=["reports"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Producer = Annotated[
    Principal, Depends(require_roles(UserRole.OPERATOR, UserRole.CREW_MANAGER, UserRole.ADMIN))
]
ReportId = Annotated[str, Path(min_length=1, max_length=64)]


def _service(rt: RuntimeDep) -> ReportService:
    return rt.reports


ServiceDep = Annotated[ReportService, Depends(_service)]


def _json(data: object, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code, headers=headers, media_type="application/json")


def _filename(svc: ReportService, rec: ReportRecord, ext: str) -> str:
    when = datetime.fromtimestamp((rec.slot_ms or rec.at_ms) / 1000, svc.settings.tz)
    return f"bao-cao-tinh-hinh-{when:%Y%m%d-%H%M}-{rec.id[:8]}.{ext}"


async def _record(svc: ReportService, report_id: str) -> ReportRecord:
    try:
        return await svc.get(report_id)
    except ReportNotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@router.post("", status_code=201, response_model=out.Report)
async def make_report(who: Producer, svc: ServiceDep, request: Request) -> Response:
    """Make a situation report now: the period since the last scheduled report, facts as of
    now. Takes a few seconds (the coverage outlook is solved)."""
    rec = await svc.produce(kind=ReportKind.ON_DEMAND, actor=who.actor)
    await audit_request(request, who, "report.make", "ok", {"id": rec.id})
    return _json(rec.as_dict(), 201, {"Location": f"/api/reports/{rec.id}"})


@router.get("", response_model=list[out.Report])
async def list_reports(
    _who: Reader, svc: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Response:
    """The latest reports first, with their headline numbers and download links."""
    return _json([r.as_dict() for r in await svc.list(limit)])


@router.get("/{report_id}.html", response_class=Response, responses=HTML)
async def report_html(report_id: ReportId, _who: Reader, svc: ServiceDep) -> Response:
    """The report as a self-contained page."""
    rec = await _record(svc, report_id)
    return Response(
        await svc.html(report_id),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{_filename(svc, rec, "html")}"'},
    )


@router.get("/{report_id}.pdf", response_class=Response, responses=PDF)
async def report_pdf(report_id: ReportId, _who: Reader, svc: ServiceDep) -> Response:
    """The report as a PDF download."""
    rec = await _record(svc, report_id)
    return Response(
        await svc.pdf(report_id),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(svc, rec, "pdf")}"'},
    )


@router.get("/{report_id}", response_model=out.ReportWithContent)
async def get_report(report_id: ReportId, _who: Reader, svc: ServiceDep) -> Response:
    """One report: its record and every fact it states."""
    rec = await _record(svc, report_id)
    body = rec.as_dict()
    body["content"] = (await svc.content(report_id)).model_dump(mode="json")
    return _json(body)
