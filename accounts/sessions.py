"""Browser sessions kept server-side: the cookie is a random token, the row is keyed by its
digest, and it ends when idle for ``idle_timeout_s`` or older than ``session_max_s``.

Using a session moves its ``last_seen`` on, but at most every ``touch_ms`` (a write per request
would queue every read behind SQLite's one writer): a session may end up to that much earlier
than the idle timeout says. Expired rows are deleted when met and at each sign-in.

A user has at most ``auth.max_sessions`` sessions: opening one more ends the least recently
used (a stolen session does not outlive the owner signing in a few more times, and a script
signing in in a loop does not pile up rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update

from accounts.db import Db
from accounts.identity import AuthSettings, Principal, SessionView, UserRole
from accounts.tables import SessionRow, UserRow
from accounts.tokens import digest, new_secret
from line.clock import Clock


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: the cookie value (shown once) and its CSRF token."""

    token: str
    csrf_token: str
    principal: Principal


class Sessions:
    """Opening, resolving and ending browser sessions."""

    def __init__(self, db: Db, settings: AuthSettings, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self.idle_ms = settings.idle_timeout_s * 1000
        self.max_ms = settings.session_max_s * 1000
        self.touch_ms = max(1, min(30_000, self.idle_ms // 20))
        self.max_sessions = settings.max_sessions

    async def open(self, user_id: int, principal: Principal, source_ip: str) -> NewSession:
        token, csrf = new_secret(), new_secret()
        now = self._clock()
        async with self._db.writing() as s:
            s.add(
                SessionRow(
                    token_hash=digest(token),
                    user_id=user_id,
                    csrf_token=csrf,
                    created_ms=now,
                    last_seen_ms=now,
                    source_ip=source_ip[:64],
                )
            )
            await s.flush()
            surplus = (  # the others beyond the newest max_sessions - 1: this one stays
                select(SessionRow.token_hash)
                .where(SessionRow.user_id == user_id, SessionRow.token_hash != digest(token))
                .order_by(SessionRow.last_seen_ms.desc(), SessionRow.created_ms.desc())
                .offset(self.max_sessions - 1)
            )
            old = list((await s.scalars(surplus)).all())
            if old:
                await s.execute(delete(SessionRow).where(SessionRow.token_hash.in_(old)))
        return NewSession(token, csrf, principal)

    async def resolve(self, token: str, *, touch: bool = True) -> SessionView | None:
        """The live session of a cookie (marking it used unless ``touch`` is false), or
        ``None``."""
        key = digest(token)
        q = (
            select(SessionRow, UserRow.username, UserRow.role, UserRow.disabled)
            .join(UserRow, UserRow.id == SessionRow.user_id)
            .where(SessionRow.token_hash == key)
        )
        async with self._db.reading() as s:
            found = (await s.execute(q)).first()
        if found is None:
            return None
        row, username, role, disabled = found
        now = self._clock()
        if disabled or self._expired(row, now):
            await self.close(token)
            return None
        if touch and now - row.last_seen_ms >= self.touch_ms:
            async with self._db.writing() as s:
                await s.execute(
                    update(SessionRow).where(SessionRow.token_hash == key).values(last_seen_ms=now)
                )
        return SessionView(Principal(username, UserRole(role)), row.csrf_token)

    async def close(self, token: str) -> bool:
        """End the session of a cookie; ``False`` when there was none."""
        async with self._db.writing() as s:
            res = await s.execute(delete(SessionRow).where(SessionRow.token_hash == digest(token)))
            return bool(getattr(res, "rowcount", 0))

    async def purge(self) -> int:
        """Delete every expired session; returns how many."""
        now = self._clock()
        async with self._db.writing() as s:
            res = await s.execute(
                delete(SessionRow).where(
                    or_(
                        SessionRow.last_seen_ms <= now - self.idle_ms,
                        SessionRow.created_ms <= now - self.max_ms,
                    )
                )
            )
            return int(getattr(res, "rowcount", 0) or 0)

    def _expired(self, row: SessionRow, now: int) -> bool:
        return now - row.last_seen_ms >= self.idle_ms or now - row.created_ms >= self.max_ms
