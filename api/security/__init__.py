"""Accounts, browser sessions, sign-in limits and the append-only audit log.

The web side (cookies, CSRF, role checks) is :mod:`api.auth`; the routes are
:mod:`api.routes.auth` and :mod:`api.routes.audit`; the command is ``metro-ops users``.
Everything here lives in the crew store's database (``db.url``) under its own migrations.
"""

from api.security.audit import AuditEntry, AuditLog, AuditPage
from api.security.db import AppendOnlyError
from api.security.http import audit_request
from api.security.passwords import PasswordRejected, Passwords
from api.security.sessions import NewSession, Sessions
from api.security.signin import LoginOutcome, LoginResult, SignIn
from api.security.store import SecurityStore
from api.security.users import (
    AccountError,
    UnknownUser,
    User,
    UserAccounts,
    UserExists,
    normalize_username,
)

__all__ = [
    "AccountError",
    "AppendOnlyError",
    "AuditEntry",
    "AuditLog",
    "AuditPage",
    "LoginOutcome",
    "LoginResult",
    "NewSession",
    "PasswordRejected",
    "Passwords",
    "SecurityStore",
    "Sessions",
    "SignIn",
    "UnknownUser",
    "User",
    "UserAccounts",
    "UserExists",
    "audit_request",
    "normalize_username",
]
