"""The security store: accounts, sessions, sign-in and the audit log over one database.

Build it with the settings, hand its resolvers to the runtime, and open it with ``async with``
(which migrates the tables) before serving::

    security = SecurityStore(settings.db.url, settings.auth, clock=clock)
    async with security:
        await security.users.add("dd01", "…", UserRole.OPERATOR)
        result = await security.signin.login("dd01", "…", "10.0.0.7")
        await security.audit.record("alarm.ack", user="dd01", source_ip="10.0.0.7")
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

import structlog

from accounts.audit import AuditLog
from accounts.db import Db
from accounts.identity import AuthSettings, Principal, SessionView
from accounts.passwords import Passwords
from accounts.sessions import Sessions
from accounts.signin import SignIn
from accounts.users import UserAccounts
from line.clock import Clock, wall_ms

log = structlog.get_logger(__name__)


class SecurityStore:
    """Users, sessions, sign-in and audit in the database at ``url`` (``db.url``)."""

    def __init__(self, url: str, settings: AuthSettings, *, clock: Clock = wall_ms) -> None:
        self.settings = settings
        self.db = Db(url)
        self.passwords = Passwords(settings)
        self.audit = AuditLog(self.db, clock)
        self.users = UserAccounts(self.db, self.passwords, clock)
        self.sessions = Sessions(self.db, settings, clock)
        self.signin = SignIn(self.db, settings, self.passwords, self.sessions, self.audit, clock)

    async def __aenter__(self) -> Self:
        await self.db.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.signin.failures.flush_all()  # the last windows' failed sign-ins
        except Exception:  # noqa: BLE001 - the database is going away; closing must go on
            log.exception("could not write the last failed sign-in summaries")
        await self.db.close()

    async def housekeeping(self, every_s: float = 10.0) -> None:
        """Run until cancelled: write the summaries of failed sign-ins whose window is over."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.signin.failures.flush_due()
            except Exception:  # noqa: BLE001 - a database hiccup: the next round retries
                log.exception("could not write failed sign-in summaries")

    async def session(self, token: str) -> SessionView | None:
        """:class:`api.auth.SessionResolver` over the stored sessions."""
        return await self.sessions.resolve(token)

    async def session_peek(self, token: str) -> SessionView | None:
        """Like :meth:`session`, without counting as activity (an open websocket checking
        that its session still holds)."""
        return await self.sessions.resolve(token, touch=False)

    async def bearer(self, token: str) -> Principal | None:
        """:class:`api.auth.PrincipalResolver` over the per-user API tokens."""
        return await self.users.principal_for_token(token)
