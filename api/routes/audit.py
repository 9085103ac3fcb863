"""The audit log for administrators: ``GET /api/audit`` with filters, newest first, paged."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from accounts.audit import MAX_PAGE, RESULTS, AuditEntry
from accounts.audit_text import action_text, detail_items, detail_text, result_text
from accounts.identity import Principal, UserRole
from api.auth import require_roles
from api.deps import RuntimeDep
from api.lang import refusal_detail
from api.schemas.accounts import AuditPage
from line.catalogue import Message, Param, Refusal, render_both

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
    result: Annotated[
        str | None, Query(max_length=32, description="one of: " + ", ".join(RESULTS))
    ] = None,
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
    entry has ``id, at_ms, user, source_ip, action, result, detail`` and the action, result and
    details in words (``action_text``, ``result_text``, ``detail_text``; ``_en``: English). A
    range that ends before it starts is a 422 (as the shift log's), not an empty page."""
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
        "entries": [_in_words(e) for e in page.entries],
        "next_before_id": page.next_before_id,
    }


def _in_words(e: AuditEntry) -> dict[str, Any]:
    """The record as stored, and its action, result and details in words in both languages
    (the page switches language without asking again)."""
    out = e.to_dict()
    for name, said in (
        ("action_text", action_text(e.action)),
        ("result_text", result_text(e.result)),
        ("detail_text", detail_text(e.detail)),
    ):
        if isinstance(said, Message):
            out[name], out[f"{name}_en"] = render_both(said)
        else:
            out[name] = out[f"{name}_en"] = said or ""
    out["detail_items"] = [
        {
            **dict(zip(("name", "name_en"), _both(i.name), strict=True)),
            **dict(zip(("value", "value_en"), _both(i.value), strict=True)),
            "as_recorded": i.as_recorded,
        }
        for i in detail_items(e.detail)
    ]
    return out


def _both(said: Param) -> tuple[str, str]:
    """A name or value in each language (a number as each writes it: 7,5 / 7.5)."""
    if isinstance(said, Message):
        return render_both(said)
    if isinstance(said, str):
        return said, said
    return render_both(Message("audit.detail.list", {"items": said}))
