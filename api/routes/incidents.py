"""Incidents and their timelines (``/api/incidents``, ``/api/timeline``).

* ``GET  /api/timeline?start_ms=&end_ms=`` — every event of a window, oldest first, before
  anything is stored (the page's preview).
* ``GET  /api/incidents`` — incidents newest first: ``q`` (text in the title or a note, any
  case), ``since``/``until`` (the window overlaps them; ISO 8601 with an offset), ``status``.
* ``POST /api/incidents`` — create one (201) from ``{"title", "start_ms", "end_ms"}`` or from an
  alarm, ``{"title", "alarm_id", "margin_min"}``: the window runs from the alarm's first
  raise to its clear (or now, while it is open), ``margin_min`` (10) either side.
* ``GET  /api/incidents/{id}``, ``GET /api/incidents/{id}/timeline`` — it, with notes; its
  timeline (notes written within the window among the events).
* ``POST /api/incidents/{id}/notes`` (201), ``POST /api/incidents/{id}/close``.
* ``GET  /api/incidents/{id}/timeline.csv`` and ``.pdf`` — the export (downloads).

Everyone signed in reads; operators (and admins) create, annotate, close and export. Creating,
noting, closing and exporting are audited (``incident.create`` …), refusals too. A window must
be finite, end after it starts and last at most 7 days: otherwise 422 saying which.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from accounts.audit_text import audit_error
from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.lang import refusal_detail
from api.schemas.base import CSV, PDF
from api.schemas.incidents import (
    Incident,
    IncidentList,
    IncidentNote,
    IncidentSummary,
    Timeline,
    TimelineEvent,
)
from incidents import (
    AlreadyClosed,
    IncidentNotFound,
    InvalidIncident,
    InvalidWindow,
    Status,
    check_window,
)
from incidents import Incident as StoredIncident
from incidents import Timeline as BuiltTimeline
from incidents.export import note_events, to_csv
from incidents.model import MAX_NOTE, MAX_TITLE
from incidents.store import MAX_PAGE
from line.clock import hanoi_time
from telemetry.alarms import AlarmNotFound

EPOCH_MS_MAX = 4_102_444_800_000  # 2100-01-01: any later instant is a typo

router = APIRouter(tags=["incidents"])

OP, AD = UserRole.OPERATOR, UserRole.ADMIN
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Operator = Annotated[Principal, Depends(require_roles(OP, AD))]

MAX_ID = 2**31 - 1
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _no_nul(v: str) -> str:
    # PostgreSQL cannot store NUL in text: refused here as bad input, not a server error
    if "\x00" in v:
        raise ValueError("must not contain NUL characters")
    return v


Clean = Annotated[str, AfterValidator(_no_nul)]


class IncidentIn(BaseModel):
    """A new incident: a window (``start_ms``, ``end_ms``), or an alarm to start from."""

    model_config = ConfigDict(extra="forbid")

    title: Clean = Field(min_length=1, max_length=MAX_TITLE)
    start_ms: float | None = Field(default=None, description="ms since the epoch")
    end_ms: float | None = None
    alarm_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    margin_min: int = Field(default=10, ge=0, le=240, description="around the alarm's span")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Clean = Field(min_length=1, max_length=MAX_NOTE)


def _summary(i: StoredIncident) -> IncidentSummary:
    return IncidentSummary(
        id=i.id,
        title=i.title,
        start_ms=i.start_ms,
        end_ms=i.end_ms,
        status=i.status,
        alarm_id=i.alarm_id,
        created_by=i.created_by,
        created_ms=i.created_ms,
        closed_by=i.closed_by,
        closed_ms=i.closed_ms,
    )


def _full(i: StoredIncident) -> Incident:
    notes = [IncidentNote(id=n.id, at_ms=n.at_ms, author=n.author, text=n.text) for n in i.notes]
    return Incident(**_summary(i).model_dump(), notes=notes)


def _timeline(t: BuiltTimeline, incident_id: int | None) -> Timeline:
    return Timeline(
        incident_id=incident_id,
        start_ms=t.start_ms,
        end_ms=t.end_ms,
        events=[
            TimelineEvent(
                at_ms=e.at_ms,
                hanoi=f"{hanoi_time(e.at_ms):%Y-%m-%d %H:%M:%S}",
                source=e.source,
                kind=e.kind,
                text=e.text,
                text_en=e.text_en,
                user=e.user,
                train=e.train,
                alarm_id=e.alarm_id,
                staff_id=e.staff_id,
                ref=e.ref,
            )
            for e in t.events
        ],
        truncated=t.truncated,
        failed=t.failed,
    )


async def _get(rt: Any, incident_id: int, request: Request) -> StoredIncident:
    try:
        found: StoredIncident = await rt.incidents.get(incident_id)
    except IncidentNotFound as exc:
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    return found


async def _built(rt: Any, incident: StoredIncident) -> BuiltTimeline:
    built: BuiltTimeline = await rt.timeline.build(
        incident.start_ms, incident.end_ms, extra=note_events(incident)
    )
    return built


@router.get("/api/timeline")
async def window_timeline(
    _who: Reader,
    request: Request,
    rt: RuntimeDep,
    start_ms: Annotated[
        float,
        Query(
            ge=0,
            le=EPOCH_MS_MAX,
            allow_inf_nan=False,
            description="the window's start, ms since the epoch",
        ),
    ],
    end_ms: Annotated[
        float,
        Query(
            ge=0, le=EPOCH_MS_MAX, allow_inf_nan=False, description="the window's end (exclusive)"
        ),
    ],
) -> Timeline:
    """Every event of a window, oldest first (nothing is stored)."""
    try:
        built = await rt.timeline.build(start_ms, end_ms)
    except InvalidWindow as exc:
        raise HTTPException(422, refusal_detail(exc, request)) from exc
    return _timeline(built, None)


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


@router.get("/api/incidents")
async def list_incidents(
    _who: Reader,
    rt: RuntimeDep,
    q: Annotated[
        str | None, AfterValidator(_no_nul), Query(max_length=200, description="text contained")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="window ends after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="window starts before")] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> IncidentList:
    """Incidents newest first, filtered."""
    if since is not None and until is not None and until <= since:
        raise HTTPException(422, "until must be after since")
    found = await rt.incidents.search(
        q=q.strip() if q else None,
        since_ms=_ms(since),
        until_ms=_ms(until),
        status=status,
        limit=limit,
    )
    return IncidentList(incidents=[_summary(i) for i in found])


def _window(body: IncidentIn, rt: Any) -> tuple[float, float]:
    if body.alarm_id is not None:
        if body.start_ms is not None or body.end_ms is not None:
            raise HTTPException(422, "give either a window (start_ms, end_ms) or an alarm_id")
        try:
            alarm = rt.alarms.get(body.alarm_id)
        except AlarmNotFound as exc:
            raise HTTPException(422, str(exc)) from exc
        margin = body.margin_min * 60_000
        start = (alarm.first_raised_ms or alarm.raised_ms) - margin
        end = (alarm.cleared_ms if alarm.cleared_ms is not None else rt.clock()) + margin
        return start, end
    if body.start_ms is None or body.end_ms is None:
        raise HTTPException(422, "give a window (start_ms and end_ms) or an alarm_id")
    return body.start_ms, body.end_ms


@router.post("/api/incidents", status_code=201)
async def create_incident(
    body: IncidentIn, who: Operator, request: Request, rt: RuntimeDep
) -> Incident:
    """Create an open incident over a window, or around an alarm."""
    detail: dict[str, Any] = {"title": body.title, "alarm_id": body.alarm_id}
    try:
        start, end = _window(body, rt)
        check_window(start, end)  # the clear message before anything is stored
        made = await rt.incidents.create(
            title=body.title, start_ms=start, end_ms=end, author=who.user, alarm_id=body.alarm_id
        )
    except HTTPException as exc:
        detail["error"] = str(exc.detail)
        await audit_request(request, who, "incident.create", result_of(exc.status_code), detail)
        raise
    except (InvalidWindow, InvalidIncident) as exc:
        detail.update(audit_error(exc))
        await audit_request(request, who, "incident.create", "invalid", detail)
        raise HTTPException(422, refusal_detail(exc, request)) from exc
    detail.update(id=made.id, start_ms=made.start_ms, end_ms=made.end_ms)
    await audit_request(request, who, "incident.create", "ok", detail)
    return _full(made)


@router.get("/api/incidents/{incident_id}")
async def get_incident(
    incident_id: IncidentId, _who: Reader, request: Request, rt: RuntimeDep
) -> Incident:
    """The incident with its notes."""
    return _full(await _get(rt, incident_id, request))


@router.get("/api/incidents/{incident_id}/timeline")
async def incident_timeline(
    incident_id: IncidentId, _who: Reader, request: Request, rt: RuntimeDep
) -> Timeline:
    """The incident's timeline: every event of its window and its notes, oldest first."""
    incident = await _get(rt, incident_id, request)
    return _timeline(await _built(rt, incident), incident.id)


@router.post("/api/incidents/{incident_id}/notes", status_code=201)
async def add_note(
    incident_id: IncidentId, body: NoteIn, who: Operator, request: Request, rt: RuntimeDep
) -> IncidentNote:
    """Add a note to an open incident."""
    detail: dict[str, Any] = {"id": incident_id}
    try:
        note = await rt.incidents.add_note(incident_id, author=who.user, text=body.text)
    except (IncidentNotFound, InvalidIncident) as exc:
        code = 404 if isinstance(exc, IncidentNotFound) else 409
        if isinstance(exc, InvalidIncident) and not isinstance(exc, AlreadyClosed):
            code = 422
        await audit_request(
            request, who, "incident.note", result_of(code), {**detail, **audit_error(exc)}
        )
        raise HTTPException(code, refusal_detail(exc, request)) from exc
    await audit_request(request, who, "incident.note", "ok", {**detail, "note_id": note.id})
    return IncidentNote(id=note.id, at_ms=note.at_ms, author=note.author, text=note.text)


@router.post("/api/incidents/{incident_id}/close")
async def close_incident(
    incident_id: IncidentId, who: Operator, request: Request, rt: RuntimeDep
) -> Incident:
    """Close an open incident (it takes no more notes)."""
    try:
        closed = await rt.incidents.close(incident_id, author=who.user)
    except (IncidentNotFound, AlreadyClosed) as exc:
        code = 404 if isinstance(exc, IncidentNotFound) else 409
        await audit_request(
            request, who, "incident.close", result_of(code), {"id": incident_id, "error": str(exc)}
        )
        raise HTTPException(code, refusal_detail(exc, request)) from exc
    await audit_request(request, who, "incident.close", "ok", {"id": incident_id})
    return _full(closed)


async def _export(
    incident_id: int, fmt: str, who: Principal, request: Request, rt: Any
) -> tuple[StoredIncident, BuiltTimeline]:
    try:
        incident = await _get(rt, incident_id, request)
    except HTTPException as exc:
        await audit_request(
            request,
            who,
            "incident.export",
            result_of(exc.status_code),
            {"id": incident_id, "format": fmt},
        )
        raise
    built = await _built(rt, incident)
    await audit_request(
        request,
        who,
        "incident.export",
        "ok",
        {"id": incident_id, "format": fmt, "events": len(built.events)},
    )
    return incident, built


def _disposition(incident_id: int, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="incident-{incident_id}.{ext}"'}


@router.get("/api/incidents/{incident_id}/timeline.csv", response_class=Response, responses=CSV)
async def export_csv(
    incident_id: IncidentId, who: Operator, request: Request, rt: RuntimeDep
) -> Response:
    """The timeline and notes as CSV (spreadsheet formulas neutralised)."""
    _, built = await _export(incident_id, "csv", who, request, rt)
    return Response(
        # a BOM, so a spreadsheet opens the Vietnamese text as UTF-8
        "\ufeff" + to_csv(built),
        media_type="text/csv; charset=utf-8",
        headers=_disposition(incident_id, "csv"),
    )


@router.get("/api/incidents/{incident_id}/timeline.pdf", response_class=Response, responses=PDF)
async def export_pdf(
    incident_id: IncidentId, who: Operator, request: Request, rt: RuntimeDep
) -> Response:
    """The incident, its notes and its timeline as a PDF."""
    incident, built = await _export(incident_id, "pdf", who, request, rt)
    pdf = await asyncio.to_thread(rt.incident_pdf.render, incident, built, created_ms=rt.clock())
    return Response(pdf, media_type="application/pdf", headers=_disposition(incident_id, "pdf"))
