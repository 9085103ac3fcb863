"""Who a caller is: roles, principals, sessions as the rest of the system sees them, and the
authentication settings (API tokens, session lifetimes, sign-in limits, password hashing).

HTTP specifics (cookies, CSRF, role checks on routes) are :mod:`api.auth`.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from line.catalogue import Message


class UserRole(enum.StrEnum):
    OPERATOR = "operator"  # control-room operator: the live board
    PLANNER = "planner"  # what-if simulation
    CREW_MANAGER = "crew_manager"  # writes the crew record
    ADMIN = "admin"  # deploys, manages users; may do everything

    @property
    def text(self) -> Message:
        """The role's name in texts (``auth.role.<value>``)."""
        return Message(f"auth.role.{self.value}")


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


@dataclass(frozen=True, slots=True)
class SessionView:
    """A live browser session: who, and the CSRF token its unsafe requests must echo."""

    principal: Principal
    csrf_token: str


class PrincipalResolver(Protocol):
    """Turns a bearer token into a principal, or ``None`` for a token nobody issued."""

    def __call__(self, token: str) -> Awaitable[Principal | None]: ...


class SessionResolver(Protocol):
    """Turns a session cookie into a live session (and marks it used), or ``None`` when the
    session is unknown, expired or signed out."""

    def __call__(self, token: str) -> Awaitable[SessionView | None]: ...


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
    """API tokens of the settings (``{token: "user:role"}``), browser sessions, sign-in limits
    and password hashing. Env: ``METRO_AUTH_<FIELD>``, e.g. ``METRO_AUTH_IDLE_TIMEOUT_S=900``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens: dict[str, str] = Field(default_factory=dict)
    idle_timeout_s: int = Field(
        default=30 * 60, gt=0, description="a session unused this long ends"
    )
    session_max_s: int = Field(default=12 * 3600, gt=0, description="a session ends this old")
    lockout_failures: int = Field(
        default=5,
        ge=1,
        description="consecutive failed sign-ins of one user name from one address that lock "
        "that name from that address",
    )
    lockout_account_failures: int = Field(
        default=50,
        ge=1,
        description="consecutive failed sign-ins of one user name from any address that lock "
        "the account everywhere (much higher: anyone can type a name wrong)",
    )
    lockout_s: int = Field(default=15 * 60, gt=0, description="how long a lock lasts")
    ip_failures: int = Field(
        default=20, ge=1, description="failed sign-ins from one address per window, then 429"
    )
    ip_window_s: int = Field(default=10 * 60, gt=0)
    audit_window_s: int = Field(
        default=60, gt=0, description="failed sign-ins of one address are summed up per window"
    )
    audit_failures_per_window: int = Field(
        default=5, ge=1, description="failed sign-ins per address and window audited one by one"
    )
    audit_retention_days: int = Field(
        default=400,
        ge=1,
        description="`metro-ops audit prune` removes (after exporting) records older than this",
    )
    password_min_length: int = Field(default=10, ge=8)
    max_sessions: int = Field(
        default=5, ge=1, description="browser sessions per user; a new one ends the oldest"
    )
    board_keeps_session: bool = Field(
        default=True,
        description="an open live board counts as activity, so a control-room display stays "
        "signed in; false on shared terminals (the board then closes at the idle timeout)",
    )
    # argon2id cost (RFC 9106's second recommended option: 64 MiB, 3 passes, 4 lanes). A
    # change takes effect for each user at their next sign-in (the hash is redone then).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    @field_validator("tokens")
    @classmethod
    def _check(cls, v: dict[str, str]) -> dict[str, str]:
        for token, spec in v.items():
            if len(token) < 16:
                raise ValueError(f"token for {spec!r} is shorter than 16 characters")
            parse_principal(spec)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> AuthSettings:
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError("argon2_memory_kib must be at least 8 × argon2_parallelism")
        if self.session_max_s < self.idle_timeout_s:
            raise ValueError("session_max_s must not be shorter than idle_timeout_s")
        if self.lockout_account_failures < self.lockout_failures:
            raise ValueError("lockout_account_failures must be at least lockout_failures")
        return self


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


class FirstResolver:
    """Asks each resolver in turn; the first that knows the token answers."""

    def __init__(self, *resolvers: PrincipalResolver) -> None:
        self._resolvers = resolvers

    async def __call__(self, token: str) -> Principal | None:
        for resolve in self._resolvers:
            who = await resolve(token)
            if who is not None:
                return who
        return None
