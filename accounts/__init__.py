"""Accounts, browser sessions, sign-in limits and the append-only audit log.

The web side (cookies, CSRF, role checks, audit of requests) is :mod:`api.auth` and
:mod:`api.http_audit`; the routes are
:mod:`api.routes.auth` and :mod:`api.routes.audit`; the command is ``metro-ops users``.
Everything here lives in the crew store's database (``db.url``) under its own migrations.
"""

from accounts.audit import AuditEntry, AuditLog, AuditPage
from accounts.db import AppendOnlyError
from accounts.passwords import PasswordRejected, Passwords
from accounts.sessions import NewSession, Sessions
from accounts.signin import LoginOutcome, LoginResult, SignIn
from accounts.store import SecurityStore
from accounts.users import (
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
    "normalize_username",
]
