"""The audit log for administrators: ``GET /api/audit`` with filters, newest first, paged."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from accounts.audit import MAX_PAGE
from accounts.identity import Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.lang import refusal_detail
from api.schemas.accounts import AuditPage
from line.catalogue import Message, Refusal

router = APIRouter(prefix="/api", tags=["audit"])
_MAX = 2**62  # integers the databases store (a larger one would be a 500, not an empty page)
Admin = Annotated[Principal, Depends(require_roles(UserRole.ADMIN))]


@router.get("/audit", response_model=AuditPage)
async def audit_log(
    _: Admin,
    rt: RuntimeDep,
    request: Request,
    user: Annotated[str | None, Query(max_length=64, description="exactly this user")] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="this action and its sub-actions: `alarm` → alarm.*"),
    ] = None,
    result: Annotated[str | None, Query(max_length=32, description="ok, fail, denied, …")] = None,
    since: Annotated[
        int | None, Query(ge=0, le=_MAX, description="from this UTC ms (inclusive)")
    ] = None,
    until: Annotated[int | None, Query(ge=0, le=_MAX, description="before this UTC ms")] = None,
    before_id: Annotated[
        int | None,
        Query(ge=1, le=_MAX, description="the next page: `next_before_id` of the last one"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """Audit records newest first: ``{"entries": [...], "next_before_id": id | null}``; each
    entry has ``id, at_ms, user, source_ip, action, result, detail``. A range that ends
    before it starts is a 422 (as the shift log's), not an empty page."""
    if since is not None and until is not None and until <= since:
        why = Refusal(Message("audit.refused.until_before_since"))
        raise HTTPException(422, refusal_detail(why, request))
    page = await rt.audit.query(
        user=user,
        action=action,
        result=result,
        since_ms=since,
        until_ms=until,
        before_id=before_id,
        limit=limit,
    )
    return {
        "entries": [e.to_dict() for e in page.entries],
        "next_before_id": page.next_before_id,
    }
