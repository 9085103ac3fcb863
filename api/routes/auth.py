"""Signing in and out of the browser UI (``/api/auth``), and who am I.

Contract for the web UI:

* ``POST /api/auth/login`` with JSON ``{"username", "password"}`` → 200
  ``{"user", "role", "display_name", "csrf_token", "idle_timeout_s"}``, and two cookies:
  ``metro_session`` (HttpOnly, SameSite=Strict, Path=/, Secure over https) and ``metro_csrf``
  (the same CSRF token, readable by scripts). Failures: 401 ``auth.wrong_password``,
  423 ``auth.locked`` (account locked) or 429 ``auth.rate_limited`` (too many failures from
  this address), both with ``Retry-After`` in seconds; 422 for a malformed body. A refusal's
  ``detail`` is ``{"code", "message"}``, the message in the request's language.
* Every unsafe request (POST/PUT/PATCH/DELETE) authenticated by the cookie carries
  ``X-CSRF-Token: <csrf_token>``, else 403 ``auth.csrf``.
* ``POST /api/auth/logout`` ends the session and clears both cookies (200 even when signed out).
* ``GET /api/auth/me`` → 200 as the login answer plus ``"via"`` (``"session"`` or
  ``"token"``; ``csrf_token`` is ``null`` for bearer tokens), or 401 when not signed in. It
  counts as activity: the idle timer starts again.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from accounts import LoginOutcome, SecurityStore
from accounts.identity import READERS, Principal, SessionView
from accounts.passwords import MAX_PASSWORD_CHARS
from api.auth import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    client_ip,
    require_roles,
)
from api.deps import RuntimeDep
from api.http_audit import audit_request
from api.lang import said
from api.schemas.accounts import SignedOut
from api.schemas.base import Wire
from services.runtime import Runtime

router = APIRouter(prefix="/api/auth", tags=["auth"])
Reader = Annotated[Principal, Depends(require_roles(*READERS))]


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class Me(Wire):
    """Who is signed in, and the CSRF token their unsafe requests carry."""

    user: str
    role: str
    display_name: str = ""
    csrf_token: str | None
    idle_timeout_s: int
    via: str = "session"


def _security(rt: Runtime) -> SecurityStore:
    return rt.security


def _set_cookies(request: Request, response: Response, token: str, csrf: str) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, token, path="/", httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, path="/", httponly=False, samesite="strict", secure=secure
    )


def _clear_cookies(request: Request, response: Response) -> None:
    secure = request.url.scheme == "https"
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", httponly=http_only, samesite="strict", secure=secure)


@router.post("/login")
async def login(body: LoginBody, request: Request, response: Response, rt: RuntimeDep) -> Me:
    """Sign in with a user name and password; sets the session and CSRF cookies."""
    security = _security(rt)
    result = await security.signin.login(body.username, body.password, client_ip(request))
    retry = {"Retry-After": str(result.retry_after_s or 1)}
    if result.outcome is LoginOutcome.RATE_LIMITED:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            said("auth.rate_limited", request, seconds=result.retry_after_s),
            headers=retry,
        )
    if result.outcome is LoginOutcome.LOCKED:
        raise HTTPException(
            status.HTTP_423_LOCKED,
            said("auth.locked", request, seconds=result.retry_after_s),
            headers=retry,
        )
    if result.outcome is not LoginOutcome.OK or result.session is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, said("auth.wrong_password", request))
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a new session each sign-in (no fixation); the old one ends
        await security.sessions.close(old)
    s = result.session
    _set_cookies(request, response, s.token, s.csrf_token)
    user = await security.users.get(s.principal.user)
    return Me(
        user=s.principal.user,
        role=s.principal.role.value,
        display_name=user.display_name if user else "",
        csrf_token=s.csrf_token,
        idle_timeout_s=security.settings.idle_timeout_s,
    )


@router.post("/logout", response_model=SignedOut)
async def logout(request: Request, response: Response, rt: RuntimeDep) -> dict[str, Any]:
    """End the browser session (needs ``X-CSRF-Token`` when signed in); clears the cookies."""
    security = _security(rt)
    token = request.cookies.get(SESSION_COOKIE)
    view: SessionView | None = await security.session(token) if token else None
    if token and view is not None:
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), view.csrf_token.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, said("auth.csrf", request))
        await security.sessions.close(token)
        await audit_request(request, view.principal, "logout")
    _clear_cookies(request, response)
    return {"signed_out": view is not None}


@router.get("/me")
async def me(who: Reader, request: Request, rt: RuntimeDep) -> Me:
    """Who is signed in (401 when nobody is)."""
    view: SessionView | None = getattr(request.state, "auth_session", None)
    security = rt.security
    user = await security.users.get(who.user) if security is not None else None
    idle = rt.settings.auth.idle_timeout_s
    return Me(
        user=who.user,
        role=who.role.value,
        display_name=user.display_name if user else "",
        csrf_token=view.csrf_token if view else None,
        idle_timeout_s=idle,
        via="session" if view else "token",
    )
