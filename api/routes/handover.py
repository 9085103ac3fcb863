"""The handover API (``/api/handover``).

* ``GET  /api/handover`` — the shift on now and the shifts of the last 24 h with where their
  handover stands (``not_handed_over`` when one ended without a signed handover), the newest
  signed handover and the one in progress.
* ``POST /api/handover`` — open the handover of the shift on now (or of the one that ended less
  than 30 minutes ago): the system drafts it (201); when it exists already, that one (200).
* ``GET  /api/handover/{id}``; ``PUT /api/handover/{id}`` ``{"summary": …}`` edits a draft (its
  opener only); ``POST /api/handover/{id}/sign`` signs it (its opener only).
* ``POST /api/handover/{id}/items/{key}/ack`` — the incoming operator (another user) acknowledges
  one item; ``POST /api/handover/{id}/accept`` once every item that must be acknowledged is.

Operators (and administrators) hand over and take over; everyone signed in reads. Each step is
audited (``handover.open/edit/sign/ack/accept``, refused ones too); signing and acceptance also
write shift log entries. A step not allowed now is 409 with the reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from accounts.audit_text import audit_error
from accounts.identity import READERS, Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.http_audit import audit_request, result_of
from api.lang import refusal_detail
from api.schemas.handover import Handover, HandoverItem, HandoverOverview, ShiftHandover
from shiftlog.handover import MAX_SUMMARY, SECTIONS
from shiftlog.handover import Handover as StoredHandover
from shiftlog.handover_store import HandoverNotFound, HandoverRefused
from shiftlog.handovers import ShiftStatus

router = APIRouter(prefix="/api/handover", tags=["handover"])

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Operator = Annotated[Principal, Depends(require_roles(UserRole.OPERATOR, UserRole.ADMIN))]
HandoverId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _no_nul(v: str) -> str:
    if "\x00" in v:
        raise ValueError("must not contain NUL characters")
    return v


class SummaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: Annotated[str, AfterValidator(_no_nul)] = Field(max_length=MAX_SUMMARY)


def _out(h: StoredHandover, rt: Any) -> Handover:
    return Handover(
        id=h.id,
        shift_id=h.shift_id,
        shift_start_ms=h.shift_start_ms,
        shift_end_ms=h.shift_end_ms,
        state=h.state.value,
        opened_by=h.opened_by,
        opened_ms=h.opened_ms,
        summary=h.summary,
        items=[
            HandoverItem(
                key=i.key,
                section=i.section.value,
                text=i.text,
                text_en=i.text_en,
                must_ack=i.must_ack,
                acked_by=h.acks[i.key].user if i.key in h.acks else None,
                acked_ms=h.acks[i.key].at_ms if i.key in h.acks else None,
            )
            for i in h.items
        ],
        unacked=len(h.unacked()),
        sections=[s.value for s in SECTIONS],
        incidents_source=rt.handover_drafter.has_incidents,
        signed_by=h.signed_by,
        signed_ms=h.signed_ms,
        accepted_by=h.accepted_by,
        accepted_ms=h.accepted_ms,
    )


def _shift(s: ShiftStatus) -> ShiftHandover:
    h = s.handover
    return ShiftHandover(
        shift_id=s.shift.id,
        start_ms=s.shift.start_ms,
        end_ms=s.shift.end_ms,
        status=s.status,
        handover_id=None if h is None else h.id,
        signed_by=None if h is None else h.signed_by,
        accepted_by=None if h is None else h.accepted_by,
    )


@router.get("")
async def overview(_who: Reader, rt: RuntimeDep) -> HandoverOverview:
    """Where the handovers of the last 24 h stand."""
    current, ended = await rt.handovers.overview()
    latest = await rt.handovers.store.latest_signed()
    open_ = next(
        (
            s.handover
            for s in (current, *ended)
            if s.handover is not None and s.status in ("draft", "signed")
        ),
        None,
    )
    return HandoverOverview(
        current=_shift(current),
        shifts=[_shift(s) for s in ended],
        latest=None if latest is None else _out(latest, rt),
        open=None if open_ is None else _out(open_, rt),
    )


async def _audited(
    request: Request, who: Principal, action: str, detail: dict[str, Any], step: Any
) -> StoredHandover:
    try:
        h: StoredHandover = await step
    except HandoverNotFound as exc:
        await audit_request(request, who, action, result_of(404), {**detail, **audit_error(exc)})
        raise HTTPException(404, refusal_detail(exc, request)) from exc
    except HandoverRefused as exc:
        await audit_request(request, who, action, result_of(409), {**detail, **audit_error(exc)})
        raise HTTPException(409, refusal_detail(exc, request)) from exc
    await audit_request(request, who, action, "ok", {**detail, "id": h.id, "state": h.state.value})
    return h


@router.post(
    "",
    status_code=201,
    responses={200: {"model": Handover, "description": "the shift's handover, opened before"}},
)
async def open_handover(
    who: Operator, request: Request, response: Response, rt: RuntimeDep
) -> Handover:
    """Open (the system drafts it) the handover of the shift on now; 200 when it exists."""
    h, made = await rt.handovers.open(who.user)
    if not made:
        response.status_code = 200
    await audit_request(
        request, who, "handover.open", "ok", {"id": h.id, "shift": h.shift_id, "new": made}
    )
    return _out(h, rt)


@router.get("/{handover_id}")
async def get_handover(
    handover_id: HandoverId, _who: Reader, request: Request, rt: RuntimeDep
) -> Handover:
    try:
        return _out(await rt.handovers.store.get(handover_id), rt)
    except HandoverNotFound as exc:
        raise HTTPException(404, refusal_detail(exc, request)) from exc


@router.put("/{handover_id}")
async def edit_handover(
    handover_id: HandoverId, body: SummaryIn, who: Operator, request: Request, rt: RuntimeDep
) -> Handover:
    """Edit a draft's summary (its opener only)."""
    step = rt.handovers.edit(handover_id, who.user, body.summary)
    return _out(await _audited(request, who, "handover.edit", {"id": handover_id}, step), rt)


@router.post("/{handover_id}/sign")
async def sign_handover(
    handover_id: HandoverId, who: Operator, request: Request, rt: RuntimeDep
) -> Handover:
    """The outgoing operator signs (no more edits)."""
    step = rt.handovers.sign(handover_id, who.user)
    return _out(await _audited(request, who, "handover.sign", {"id": handover_id}, step), rt)


@router.post("/{handover_id}/items/{key}/ack")
async def ack_item(
    handover_id: HandoverId,
    key: Annotated[str, Path(max_length=64)],
    who: Operator,
    request: Request,
    rt: RuntimeDep,
) -> Handover:
    """The incoming operator acknowledges one item."""
    step = rt.handovers.ack(handover_id, key, who.user)
    detail = {"id": handover_id, "item": key}
    return _out(await _audited(request, who, "handover.ack", detail, step), rt)


@router.post("/{handover_id}/accept")
async def accept_handover(
    handover_id: HandoverId, who: Operator, request: Request, rt: RuntimeDep
) -> Handover:
    """The incoming operator accepts, every required item acknowledged."""
    step = rt.handovers.accept(handover_id, who.user)
    return _out(await _audited(request, who, "handover.accept", {"id": handover_id}, step), rt)
