"""Auditing from HTTP routes: :func:`audit_request` for one action, :func:`audited_roles` for a
whole router's write routes.

A failing audit store does not undo or fail the action it records (an acknowledged alarm stays
acknowledged): the failure is logged at ERROR with what could not be recorded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import structlog
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError

from accounts.audit_text import audit_error
from accounts.identity import Principal, UserRole
from api.auth import client_ip, require_roles
from api.crew_errors import status_of
from api.db_unavailable import is_unavailable
from crew.store.errors import StoreError

log = structlog.get_logger(__name__)

_RESULTS = {400: "invalid", 404: "not_found", 409: "conflict", 422: "invalid", 428: "invalid"}
#: Body fields naming what a crew change was about (recorded in the audit detail).
_ID_FIELDS = ("id", "staff_id", "event_id", "test_id", "work_id")
#: The longest value the audit copies from a request: a refused 100 000-character id would
#: otherwise be stored whole in every audit row it causes.
MAX_VALUE_CHARS = 200


def bounded(value: Any, limit: int = MAX_VALUE_CHARS) -> Any:
    """A value from a request as the audit keeps it: a text longer than ``limit`` is cut, with
    a marker saying how much was left out (the rest is the client's, not the audit's)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}…[+{len(value) - limit} chars]"
    return value


def result_of(status_code: int) -> str:
    """The audit result word of an HTTP error status."""
    return _RESULTS.get(status_code, "error")


async def audit_request(
    request: Request,
    who: Principal,
    action: str,
    result: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append an audit record for ``who`` doing ``action`` in ``request`` (its source address
    is recorded). No-op when the runtime has no audit log."""
    audit = getattr(getattr(request.state, "runtime", None), "audit", None)
    if audit is None:
        return
    try:
        await audit.record(
            action, user=who.user, source_ip=client_ip(request), result=result, detail=detail
        )
    except Exception:
        log.exception("audit record lost", action=action, user=who.user, result=result)


async def _body_ids(request: Request) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return {}
    try:
        body = json.loads(await request.body())  # already read and cached by FastAPI
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    return {k: bounded(body[k]) for k in _ID_FIELDS if isinstance(body.get(k), str | int)}


def audited_roles(prefix: str, *roles: UserRole) -> Callable[[Request], AsyncIterator[Principal]]:
    """Like :func:`api.auth.require_roles`, and records an audit entry when the route is done:
    action ``<prefix>.<route function name>``, result ``ok`` or the error's kind, detail with
    the method, path, path parameters, ids named in a JSON body, and the error.

    Use with ``Depends(audited_roles(...), scope="function")`` so the record is written before
    the response is sent."""
    check = require_roles(*roles)

    async def dependency(request: Request) -> AsyncIterator[Principal]:
        who = await check(request)
        endpoint = request.scope.get("endpoint")
        action = f"{prefix}.{getattr(endpoint, '__name__', 'request')}"
        detail: dict[str, Any] = {
            "method": request.method,
            "path": bounded(request.url.path, 1000),
        }
        if request.path_params:
            detail["params"] = {k: bounded(v) for k, v in request.path_params.items()}
        detail.update(await _body_ids(request))
        try:
            yield who
        except HTTPException as exc:
            detail.update(status=exc.status_code, error=str(exc.detail)[:1000])
            await audit_request(request, who, action, result_of(exc.status_code), detail)
            raise
        except RequestValidationError as exc:
            # a body refused by validation reaches here (function scope) before the app's
            # handler answers it 422: recorded as that answer, naming the fields only
            fields = sorted({".".join(str(x) for x in e.get("loc", ())) for e in exc.errors()})
            detail.update(status=422, error=bounded("invalid: " + ", ".join(fields), 1000))
            await audit_request(request, who, action, result_of(422), detail)
            raise
        except StoreError as exc:  # answered by api.crew_errors, recorded here as it will be
            code = status_of(exc)
            detail.update(status=code, **audit_error(exc))
            await audit_request(request, who, action, result_of(code), detail)
            raise
        except Exception as exc:
            # the status api.db_unavailable answers it with: 503 for a database not there now
            code = 503 if is_unavailable(exc) else 500
            detail.update(status=code, error=type(exc).__name__)
            await audit_request(request, who, action, "error", detail)
            raise
        await audit_request(request, who, action, "ok", detail)

    return dependency
