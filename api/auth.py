"""Who is calling, and may they: bearer tokens resolved to a :class:`Principal` with a role.

Every protected route depends on :func:`require_roles`. The token is resolved by the runtime's
:class:`PrincipalResolver` — by default :class:`TokenResolver`, which reads API tokens from the
settings (``auth.tokens``: ``{token: "user:role"}``, env ``METRO_AUTH_TOKENS`` as JSON). The web
issue plugs in a resolver backed by user accounts without touching the routes.

* no ``Authorization: Bearer …`` header, or a token nobody issued → 401 (with
  ``WWW-Authenticate: Bearer``);
* a known token whose role may not use the route → 403, naming the roles that may.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from fastapi import HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, field_validator


class UserRole(enum.StrEnum):
    OPERATOR = "operator"  # control-room operator: the live board
    PLANNER = "planner"  # what-if simulation
    CREW_MANAGER = "crew_manager"  # writes the crew record
    ADMIN = "admin"  # deploys, manages users; may do everything


#: Everyone with an account may read.
READERS = frozenset(UserRole)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    user: str
    role: UserRole

    @property
    def actor(self) -> str:
        """How the caller appears in audit records."""
        return f"{self.user} ({self.role.value})"


class PrincipalResolver(Protocol):
    """Turns a bearer token into a principal, or ``None`` for a token nobody issued."""

    def __call__(self, token: str) -> Awaitable[Principal | None]: ...


def parse_principal(spec: str) -> Principal:
    """``"user:role"`` → :class:`Principal` (``ValueError`` naming the known roles)."""
    user, sep, role = spec.rpartition(":")
    if not sep or not user:
        raise ValueError(f"{spec!r} is not user:role")
    try:
        return Principal(user, UserRole(role))
    except ValueError:
        known = ", ".join(r.value for r in UserRole)
        raise ValueError(f"{spec!r}: unknown role {role!r} (known: {known})") from None


class AuthSettings(BaseModel):
    """API tokens: ``{token: "user:role"}``. Empty: every protected route answers 401."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens: dict[str, str] = Field(default_factory=dict)

    @field_validator("tokens")
    @classmethod
    def _check(cls, v: dict[str, str]) -> dict[str, str]:
        for token, spec in v.items():
            if len(token) < 16:
                raise ValueError(f"token for {spec!r} is shorter than 16 characters")
            parse_principal(spec)
        return v


class TokenResolver:
    """Resolves the API tokens of :class:`AuthSettings` (compared in constant time)."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = [(t.encode(), parse_principal(spec)) for t, spec in tokens.items()]

    async def __call__(self, token: str) -> Principal | None:
        given = token.encode()
        found: Principal | None = None
        for t, who in self._tokens:
            if hmac.compare_digest(t, given):
                found = who
        return found


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="metro-ops"'},
    )


def _resolver(request: Request) -> PrincipalResolver:
    rt = getattr(request.state, "runtime", None)
    resolver: PrincipalResolver | None = getattr(rt, "auth", None)
    if resolver is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "authentication is not set up")
    return resolver


def require_roles(*roles: UserRole) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting callers whose role is one of ``roles``; returns the principal."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))

    async def dependency(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise _unauthorized("not signed in: send `Authorization: Bearer <token>`")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("the Authorization header must be `Bearer <token>`")
        who = await _resolver(request)(token.strip())
        if who is None:
            raise _unauthorized("unknown or revoked token")
        if who.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"{who.user} is a {who.role.value}; this needs one of: {names}",
            )
        return who

    return dependency
