"""Signing in: throttle, check the password, lock after repeated failures, open a session,
and audit every attempt.

Two locks, so that anyone who knows a user name cannot lock its owner out: after
``lockout_failures`` (5) failures of a name *from one address* that pair is locked
(:mod:`accounts.locks`); only after ``lockout_account_failures`` (50) failures from any
addresses is the account locked everywhere. Both last ``lockout_s``.

The answer never tells whether a user name exists: a wrong name and a wrong password both
fail alike (same message, same argon2 cost), and names without an account lock after the same
numbers of failures as real ones (:class:`~accounts.throttle.LoginThrottle`). A disabled
account fails like a wrong password. Locks live in the database (the account-wide lock of a
name without an account: in memory), so they hold across restarts and API replicas;
``metro-ops users unlock NAME`` clears them.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from sqlalchemy import select

from accounts.audit import AuditLog
from accounts.db import Db
from accounts.failures import FailureAudit
from accounts.identity import AuthSettings, Principal, UserRole
from accounts.locks import SignInLocks
from accounts.passwords import Passwords
from accounts.sessions import NewSession, Sessions
from accounts.tables import UserRow
from accounts.throttle import LoginThrottle
from accounts.users import AccountError, normalize_username
from line.clock import Clock


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    WRONG = "fail"  # wrong name or password, or a disabled account: never said which
    LOCKED = "locked"  # too many failures for this name: wait retry_after_s
    RATE_LIMITED = "rate_limited"  # too many failures from this address: wait retry_after_s


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    session: NewSession | None = None
    retry_after_s: int | None = None


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


class SignIn:
    """The sign-in procedure over the accounts, sessions, throttle and audit log."""

    def __init__(
        self,
        db: Db,
        settings: AuthSettings,
        passwords: Passwords,
        sessions: Sessions,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._db = db
        self._passwords = passwords
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self._throttle = LoginThrottle(settings)
        self.locks = SignInLocks(db, settings, clock)
        self.failures = FailureAudit(
            audit,
            window_s=settings.audit_window_s,
            per_window=settings.audit_failures_per_window,
            clock=clock,
        )
        self._lock_after = settings.lockout_account_failures
        self._lock_ms = settings.lockout_s * 1000

    async def login(self, username: str, password: str, source_ip: str) -> LoginResult:
        now = self._clock()
        try:
            name = normalize_username(username)
            valid = True
        except AccountError:  # cannot exist: fails like any unknown name
            name = "".join(c for c in username.strip().lower() if c.isprintable())[:64]
            valid = False
        wait = self._throttle.ip_retry_after_ms(source_ip, now)
        if wait is not None:
            return await self._end(name, source_ip, LoginOutcome.RATE_LIMITED, wait)
        wait = await self.locks.retry_after_ms(name, source_ip, now)
        if wait is not None:
            return await self._end(name, source_ip, LoginOutcome.LOCKED, wait, "address locked")
        row = None
        if valid:
            async with self._db.reading() as s:
                row = await s.scalar(select(UserRow).where(UserRow.username == name))
        if row is None:
            return await self._unknown(name, password, source_ip, now)
        if row.locked_until_ms is not None and row.locked_until_ms > now:
            return await self._end(name, source_ip, LoginOutcome.LOCKED, row.locked_until_ms - now)
        verified = await self._passwords.verify(row.password_hash, password)
        if not verified.ok or row.disabled:
            self._throttle.ip_failed(source_ip, self._clock())
            pair_ms = await self.locks.failed(name, source_ip)
            locked_ms = await self._count_failure(row.id) or pair_ms
            why = "disabled" if verified.ok else "wrong password"
            if locked_ms is not None:
                return await self._end(name, source_ip, LoginOutcome.LOCKED, locked_ms, why)
            return await self._end(name, source_ip, LoginOutcome.WRONG, None, why)
        principal = Principal(row.username, UserRole(row.role))
        async with self._db.writing() as s:
            fresh = await s.get(UserRow, row.id, with_for_update=True)
            if fresh is not None:
                fresh.failed_logins = 0
                fresh.locked_until_ms = None
                fresh.last_login_ms = self._clock()
                if verified.new_hash is not None:
                    fresh.password_hash = verified.new_hash
        await self.locks.succeeded(name, source_ip)
        await self._sessions.purge()
        session = await self._sessions.open(row.id, principal, source_ip)
        detail = {"role": principal.role.value, "rehashed": verified.new_hash is not None}
        await self._audit.record("login", user=name, source_ip=source_ip, detail=detail)
        return LoginResult(LoginOutcome.OK, session)

    async def _unknown(self, name: str, password: str, source_ip: str, now: int) -> LoginResult:
        wait = self._throttle.ghost_retry_after_ms(name, now)
        if wait is not None:
            return await self._end(name, source_ip, LoginOutcome.LOCKED, wait, "unknown user")
        await self._passwords.verify(None, password)  # the same cost as a real account
        now = self._clock()
        self._throttle.ip_failed(source_ip, now)
        pair_ms = await self.locks.failed(name, source_ip)
        locked_ms = self._throttle.ghost_failed(name, now) or pair_ms
        if locked_ms is not None:
            return await self._end(name, source_ip, LoginOutcome.LOCKED, locked_ms, "unknown user")
        return await self._end(name, source_ip, LoginOutcome.WRONG, None, "unknown user")

    async def _count_failure(self, user_id: int) -> int | None:
        """One more consecutive failure of the account (from any address); returns the lock's
        length when this one locks it everywhere."""
        async with self._db.writing() as s:
            row = await s.get(UserRow, user_id, with_for_update=True)
            if row is None:
                return None
            row.failed_logins += 1
            if row.failed_logins < self._lock_after:
                return None
            row.failed_logins = 0  # after the lock, the count starts again
            row.locked_until_ms = self._clock() + self._lock_ms
            return self._lock_ms

    async def _end(
        self,
        name: str,
        source_ip: str,
        outcome: LoginOutcome,
        wait_ms: int | None,
        why: str | None = None,
    ) -> LoginResult:
        detail: dict[str, object] = {}
        if why:
            detail["reason"] = why
        retry = None if wait_ms is None else _seconds(wait_ms)
        if retry is not None:
            detail["retry_after_s"] = retry
        await self.failures.failed(name, source_ip, outcome.value, detail)
        return LoginResult(outcome, retry_after_s=retry)
