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

import enum
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from fastapi import HTTPException, Request, WebSocket, status
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.requests import HTTPConnection

log = structlog.get_logger(__name__)

#: The session cookie (HttpOnly): a random token, stored server-side only as its hash.
SESSION_COOKIE = "metro_session"
#: The CSRF cookie (readable by scripts): echo it in :data:`CSRF_HEADER` on unsafe requests.
CSRF_COOKIE = "metro_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_REJECTED = "CSRF token missing or wrong"


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


def client_ip(conn: HTTPConnection) -> str:
    """The caller's address: the peer's, or the ``X-Forwarded-For`` client when the peer is
    one of ``http.trusted_proxies`` (uvicorn applies it; by default nobody is trusted)."""
    return conn.client.host if conn.client is not None else "unknown"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=detail,
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
            raise _unauthorized("the Authorization header must be `Bearer <token>`")
        who = await _resolver(request)(token.strip())
        if who is None:
            raise _unauthorized("unknown or revoked token")
        return who
    cookie = request.cookies.get(SESSION_COOKIE)
    sessions = _sessions(request)
    if cookie and sessions is not None:
        view = await sessions(cookie)
        if view is None:
            raise _unauthorized("your session has ended (signed out or idle too long): sign in")
        if request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(given.encode(), view.csrf_token.encode()):
                detail = {"method": request.method, "path": request.url.path}
                await _audit(request, view.principal, "csrf.rejected", detail)
                raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REJECTED)
        request.state.auth_session = view
        return view.principal
    raise _unauthorized("not signed in: send `Authorization: Bearer <token>`")


def require_roles(*roles: UserRole) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting callers whose role is one of ``roles``; returns the principal."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))

    async def dependency(request: Request) -> Principal:
        who = await authenticate(request)
        if who.role not in allowed:
            detail = {"method": request.method, "path": request.url.path, "needs": names}
            await _audit(request, who, "access.denied", detail)
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"{who.user} is a {who.role.value}; this needs one of: {names}",
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
