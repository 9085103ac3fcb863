"""Who is calling, and may they: a session cookie or a bearer token → :class:`Principal`.

Every protected route depends on :func:`require_roles`; websocket endpoints call
:func:`principal_from_websocket`. Two ways in:

* **Bearer tokens** (API clients, scrapers, scripts): ``Authorization: Bearer <token>``, resolved
  by the runtime's :class:`PrincipalResolver` — the tokens of the settings (``auth.tokens``:
  ``{token: "user:role"}``, env ``METRO_AUTH_TOKENS`` as JSON) and per-user API tokens
  (``metro-ops users token NAME``).
* **Browser sessions**: ``POST /api/auth/login`` sets the cookie ``metro_session`` (HttpOnly,
  SameSite=Strict) and ``metro_csrf`` (readable by scripts). The runtime's
  :class:`SessionResolver` turns the cookie into a principal. A request authenticated by the
  cookie with an unsafe method (POST/PUT/PATCH/DELETE) must echo the CSRF token in the
  ``X-CSRF-Token`` header.

When both are present the bearer token wins (it was sent on purpose; the cookie may be a
left-over). Answers:

* no credential, or a token nobody issued, or an expired session → 401 (with
  ``WWW-Authenticate: Bearer``);
* a session-cookie request with an unsafe method and no or a wrong ``X-CSRF-Token`` → 403
  "CSRF token missing or wrong";
* a known caller whose role may not use the route → 403, naming the roles that may.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import HTTPException, Request, WebSocket, status
from starlette.requests import HTTPConnection

from accounts.identity import (
    Principal,
    PrincipalResolver,
    SessionResolver,
    UserRole,
)
from api.lang import lang_of, said
from line.catalogue import Message, render

log = structlog.get_logger(__name__)

#: The session cookie (HttpOnly): a random token, stored server-side only as its hash.
SESSION_COOKIE = "metro_session"
#: The CSRF cookie (readable by scripts): echo it in :data:`CSRF_HEADER` on unsafe requests.
CSRF_COOKIE = "metro_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def client_ip(conn: HTTPConnection) -> str:
    """The caller's address: the peer's, or the ``X-Forwarded-For`` client when the peer is
    one of ``http.trusted_proxies`` (uvicorn applies it; by default nobody is trusted)."""
    return conn.client.host if conn.client is not None else "unknown"


def _unauthorized(code: str, conn: HTTPConnection) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=said(code, conn),
        headers={"WWW-Authenticate": 'Bearer realm="metro-ops"'},
    )


def _runtime(conn: HTTPConnection) -> Any:
    return getattr(conn.state, "runtime", None)


def _resolver(conn: HTTPConnection) -> PrincipalResolver:
    resolver: PrincipalResolver | None = getattr(_runtime(conn), "auth", None)
    if resolver is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "authentication is not set up")
    return resolver


def _sessions(conn: HTTPConnection) -> SessionResolver | None:
    found: SessionResolver | None = getattr(_runtime(conn), "sessions", None)
    return found


async def _audit(request: Request, who: Principal, action: str, detail: dict[str, Any]) -> None:
    """Record a refused request; a failing audit store must not turn a 403 into a 500."""
    audit = getattr(_runtime(request), "audit", None)
    if audit is None:
        return
    try:
        await audit.record(
            action, user=who.user, source_ip=client_ip(request), result="denied", detail=detail
        )
    except Exception:
        log.exception("could not write the audit record of a refused request")


async def authenticate(request: Request) -> Principal:
    """The caller of ``request`` (bearer token, else session cookie), or 401/403 (CSRF)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("auth.bad_header", request)
        who = await _resolver(request)(token.strip())
        if who is None:
            raise _unauthorized("auth.unknown_token", request)
        return who
    cookie = request.cookies.get(SESSION_COOKIE)
    sessions = _sessions(request)
    if cookie and sessions is not None:
        view = await sessions(cookie)
        if view is None:
            raise _unauthorized("auth.session_ended", request)
        if request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(given.encode(), view.csrf_token.encode()):
                detail = {"method": request.method, "path": request.url.path}
                await _audit(request, view.principal, "csrf.rejected", detail)
                raise HTTPException(status.HTTP_403_FORBIDDEN, detail=said("auth.csrf", request))
        request.state.auth_session = view
        return view.principal
    raise _unauthorized("auth.not_signed_in", request)


def any_of(items: list[Message]) -> Message | None:
    """``items`` as a sentence lists alternatives: "a", "a or b", "a, b or c"."""
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    listed = Message("auth.roles.or", {"a": items[-2], "b": items[-1]})
    for item in reversed(items[:-2]):
        listed = Message("auth.roles.list", {"a": item, "b": listed})
    return listed


def require_roles(*roles: UserRole) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting callers whose role is one of ``roles``; returns the principal."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))
    needs = sorted(allowed)

    async def dependency(request: Request) -> Principal:
        who = await authenticate(request)
        if who.role not in allowed:
            detail = {"method": request.method, "path": request.url.path, "needs": names}
            await _audit(request, who, "access.denied", detail)
            why = Message(
                "auth.forbidden",
                {
                    "user": who.user,
                    "role": who.role.text,
                    "needs": any_of([r.text for r in needs]),
                },
            )
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail={
                    "code": why.code,
                    "message": render(why, lang_of(request)),
                    "needs": [r.value for r in needs],
                },
            )
        return who

    return dependency


def _same_origin(websocket: WebSocket) -> bool:
    """A browser always sends ``Origin`` on a websocket handshake; another site's page must not
    ride on our cookie (cross-site websocket hijacking), so its host must be ours."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


@dataclass(frozen=True, slots=True)
class SocketAuth:
    """Who opened a websocket, and how to ask later whether that sign-in still holds (the
    session was not signed out, did not expire, the account is enabled, the token is not
    revoked): an open socket must not outlive its credential."""

    principal: Principal
    still_valid: Callable[[], Awaitable[bool]]


async def websocket_auth(websocket: WebSocket) -> SocketAuth | None:
    """The caller of a websocket handshake, or ``None`` (then close with code 1008 or 4401).

    Accepted, in order: ``?token=<bearer token>`` in the URL, an ``Authorization: Bearer``
    header, or the session cookie of a same-origin page. Call it before ``accept()``.
    """
    rt = _runtime(websocket)
    resolver: PrincipalResolver | None = getattr(rt, "auth", None)
    token = websocket.query_params.get("token")
    if not token:
        scheme, _, rest = websocket.headers.get("authorization", "").partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else None
    if token:
        who = None if resolver is None else await resolver(token)
        if who is None or resolver is None:
            return None
        bearer, given = resolver, token

        async def token_valid() -> bool:
            return await bearer(given) is not None

        return SocketAuth(who, token_valid)
    cookie = websocket.cookies.get(SESSION_COOKIE)
    sessions = _sessions(websocket)
    if cookie and sessions is not None and _same_origin(websocket):
        view = await sessions(cookie)
        if view is None:
            return None
        # whether checking again counts as activity is the runtime's choice
        # (auth.board_keeps_session): it passes the touching resolver as session_peek or not
        peek: SessionResolver = getattr(rt, "session_peek", None) or sessions
        session = cookie

        async def session_valid() -> bool:
            return await peek(session) is not None

        return SocketAuth(view.principal, session_valid)
    return None


async def principal_from_websocket(websocket: WebSocket) -> Principal | None:
    """The caller of a websocket handshake (see :func:`websocket_auth`), or ``None``."""
    auth = await websocket_auth(websocket)
    return None if auth is None else auth.principal
