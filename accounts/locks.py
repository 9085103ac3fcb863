"""Sign-in locks of a user name *from one address*, kept in the database (so they hold across
restarts and API replicas, and ``metro-ops users unlock`` clears them).

``auth.lockout_failures`` consecutive failures of one name from one address lock that pair for
``auth.lockout_s``: whoever is guessing is stopped, while the real user, signing in from their
own desk, is not. The account as a whole locks only at ``auth.lockout_account_failures``
(:mod:`accounts.signin`). Names without an account get pair locks alike, so a 423 never
tells whether a name exists. A pair's count starts again after ``lockout_s`` without failures;
such rows are deleted as failures come in.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from accounts.db import Db
from accounts.identity import AuthSettings
from accounts.tables import SignInLockRow
from line.clock import Clock


class SignInLocks:
    """Failure counts and locks per (user name, source address)."""

    def __init__(self, db: Db, settings: AuthSettings, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._lock_after = settings.lockout_failures
        self._lock_ms = settings.lockout_s * 1000

    async def retry_after_ms(self, name: str, ip: str, now_ms: int) -> int | None:
        """``None`` when ``name`` may try from ``ip``; else how long the pair stays locked."""
        q = select(SignInLockRow.locked_until_ms).where(
            SignInLockRow.username == name[:64], SignInLockRow.source_ip == ip[:64]
        )
        async with self._db.reading() as s:
            until = await s.scalar(q)
        return None if until is None or until <= now_ms else until - now_ms

    async def failed(self, name: str, ip: str) -> int | None:
        """Count a failure of ``name`` from ``ip``; the lock's length when this one locks."""
        key = (name[:64], ip[:64])
        async with self._db.writing() as s:
            now = self._clock()
            stale = now - self._lock_ms
            await s.execute(
                delete(SignInLockRow).where(
                    SignInLockRow.last_failure_ms < stale,
                    or_(
                        SignInLockRow.locked_until_ms.is_(None), SignInLockRow.locked_until_ms < now
                    ),
                )
            )
            row = await s.get(SignInLockRow, key)
            if row is None:
                row = SignInLockRow(
                    username=key[0], source_ip=key[1], failures=0, last_failure_ms=now
                )
                s.add(row)
            elif row.locked_until_ms is not None and row.locked_until_ms <= now:
                row.locked_until_ms = None  # the lock ran out: counting starts again
                row.failures = 0
            row.failures += 1
            row.last_failure_ms = now
            if row.failures < self._lock_after:
                return None
            row.failures = 0
            row.locked_until_ms = now + self._lock_ms
            return self._lock_ms

    async def succeeded(self, name: str, ip: str) -> None:
        """A good sign-in from ``ip``: its count for ``name`` starts again."""
        async with self._db.writing() as s:
            await s.execute(
                delete(SignInLockRow).where(
                    SignInLockRow.username == name[:64], SignInLockRow.source_ip == ip[:64]
                )
            )

    async def clear(self, name: str) -> int:
        """Forget every count and lock of ``name`` (an administrator's unlock)."""
        async with self._db.writing() as s:
            res = await s.execute(delete(SignInLockRow).where(SignInLockRow.username == name))
            return int(getattr(res, "rowcount", 0) or 0)
