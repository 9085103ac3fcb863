"""The crew store's refusals over HTTP, wherever a route lets them out: one status per kind
(404 no such record, 409 someone else changed it, an id in use or a stored record that cannot
be read, 422 a rule of the roster naming the field), each saying why in the request's
language."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from api.lang import refusal_detail
from crew.store.errors import (
    IdConflict,
    InvalidChange,
    NotFound,
    StoreError,
    Unreadable,
    VersionConflict,
)


def status_of(exc: StoreError) -> int:
    """The HTTP status of a crew store refusal (also what the audit records)."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, VersionConflict | IdConflict | Unreadable):
        return 409
    return 422  # InvalidChange, and any rule added later


async def crew_store_refused(request: Request, exc: Exception) -> JSONResponse:
    """``detail: {code, message}``; a 422 as pydantic's list of field errors (``loc`` naming
    the field), so forms put it beside the input."""
    assert isinstance(exc, StoreError)
    detail = refusal_detail(exc, request)
    code = status_of(exc)
    if code == 422:
        field = exc.field if isinstance(exc, InvalidChange) else None
        loc = ["body", field] if field else ["body"]
        errors = [{"loc": loc, "msg": detail["message"], "type": detail["code"]}]
        return JSONResponse({"detail": errors}, status_code=422)
    return JSONResponse({"detail": detail}, status_code=code)
