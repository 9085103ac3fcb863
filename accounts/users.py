"""User accounts: one role each, an argon2id password, per-user API tokens, lock and unlock.

User names are ASCII log-in names (``dd01``, ``nguyen.an``), compared case-insensitively:
they are stored lower-case. The display name may be anything (Vietnamese with diacritics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.db import Db
from accounts.identity import Principal, UserRole
from accounts.passwords import Passwords
from accounts.tables import ApiTokenRow, SessionRow, SignInLockRow, UserRow
from accounts.tokens import digest, new_api_token
from line.clock import Clock

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class AccountError(ValueError):
    """A user-management request that cannot be done; the message says why."""


class UnknownUser(AccountError):
    pass


class UserExists(AccountError):
    pass


def normalize_username(name: str) -> str:
    """The stored form of a user name, or :class:`AccountError` saying what is allowed."""
    n = name.strip().lower()
    if not USERNAME.fullmatch(n):
        raise AccountError(
            f"{name!r} is not a user name: 2–64 of a–z, 0–9, '.', '_', '-', "
            "starting with a letter or digit"
        )
    return n


@dataclass(frozen=True, slots=True)
class User:
    """An account as the outside sees it (never the hash)."""

    username: str
    display_name: str
    role: UserRole
    disabled: bool
    failed_logins: int
    locked_until_ms: int | None
    last_login_ms: int | None
    created_ms: int
    api_tokens: int = 0
    locked_addresses: int = 0  # addresses this name is locked from (not the whole account)
    addresses_locked_until_ms: int | None = None

    def locked(self, now_ms: int) -> bool:
        """Locked everywhere (too many failures from any addresses)."""
        return self.locked_until_ms is not None and self.locked_until_ms > now_ms

    @property
    def principal(self) -> Principal:
        return Principal(self.username, self.role)


def _user(row: UserRow, tokens: int = 0, locks: tuple[int, int | None] = (0, None)) -> User:
    return User(
        username=row.username,
        display_name=row.display_name,
        role=UserRole(row.role),
        disabled=row.disabled,
        failed_logins=row.failed_logins,
        locked_until_ms=row.locked_until_ms,
        last_login_ms=row.last_login_ms,
        created_ms=row.created_ms,
        api_tokens=tokens,
        locked_addresses=locks[0],
        addresses_locked_until_ms=locks[1],
    )


async def _address_locks(s: AsyncSession, now_ms: int) -> dict[str, tuple[int, int | None]]:
    """User names locked from some addresses now: ``{name: (addresses, latest until)}``."""
    q = (
        select(SignInLockRow.username, func.count(), func.max(SignInLockRow.locked_until_ms))
        .where(SignInLockRow.locked_until_ms > now_ms)
        .group_by(SignInLockRow.username)
    )
    return {name: (int(n), until) for name, n, until in (await s.execute(q)).all()}


class UserAccounts:
    """Creating and changing accounts, and resolving their API tokens."""

    def __init__(self, db: Db, passwords: Passwords, clock: Clock) -> None:
        self._db = db
        self._passwords = passwords
        self._clock = clock

    async def add(
        self, username: str, password: str, role: UserRole, *, display_name: str = ""
    ) -> User:
        """A new account (:class:`UserExists` when the name is taken)."""
        name = normalize_username(username)
        self._passwords.check_policy(password, name)
        hashed = await self._passwords.hash(password)
        now = self._clock()
        async with self._db.writing() as s:
            if await s.scalar(select(UserRow.id).where(UserRow.username == name)) is not None:
                raise UserExists(f"user {name!r} exists already")
            row = UserRow(
                username=name,
                display_name=display_name.strip()[:200],
                role=role.value,
                password_hash=hashed,
                disabled=False,
                failed_logins=0,
                locked_until_ms=None,
                last_login_ms=None,
                created_ms=now,
                password_changed_ms=now,
            )
            s.add(row)
            await s.flush()
            return _user(row)

    async def get(self, username: str) -> User | None:
        try:
            name = normalize_username(username)
        except AccountError:
            return None
        async with self._db.reading() as s:
            row = await s.scalar(select(UserRow).where(UserRow.username == name))
            if row is None:
                return None
            n = await s.scalar(
                select(func.count()).select_from(ApiTokenRow).where(ApiTokenRow.user_id == row.id)
            )
            locks = (await _address_locks(s, self._clock())).get(name, (0, None))
            return _user(row, n or 0, locks)

    async def all(self) -> list[User]:
        """Every account, by name, with its number of API tokens."""
        counts = (
            select(ApiTokenRow.user_id, func.count().label("n"))
            .group_by(ApiTokenRow.user_id)
            .subquery()
        )
        q = (
            select(UserRow, counts.c.n)
            .outerjoin(counts, counts.c.user_id == UserRow.id)
            .order_by(UserRow.username)
        )
        async with self._db.reading() as s:
            locks = await _address_locks(s, self._clock())
            return [
                _user(row, n or 0, locks.get(row.username, (0, None)))
                for row, n in (await s.execute(q)).all()
            ]

    async def count(self) -> int:
        async with self._db.reading() as s:
            return int(await s.scalar(select(func.count()).select_from(UserRow)) or 0)

    async def set_password(self, username: str, password: str) -> User:
        """A new password; it also ends the user's browser sessions, revokes their API tokens
        (whoever knew the old password may have made one) and clears their locks."""
        name = normalize_username(username)
        self._passwords.check_policy(password, name)
        hashed = await self._passwords.hash(password)
        async with self._db.writing() as s:
            row = await self._row(s, name)
            row.password_hash = hashed
            row.password_changed_ms = self._clock()
            row.failed_logins = 0
            row.locked_until_ms = None
            await s.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            await s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == row.id))
            await s.execute(delete(SignInLockRow).where(SignInLockRow.username == name))
            return _user(row)

    async def set_role(self, username: str, role: UserRole) -> User:
        """Another role; it applies to the user's live sessions and tokens at once."""
        async with self._db.writing() as s:
            row = await self._row(s, normalize_username(username))
            row.role = role.value
            return _user(row)

    async def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (sessions end, tokens stop working, sign-in fails) or enable an account."""
        async with self._db.writing() as s:
            row = await self._row(s, normalize_username(username))
            row.disabled = disabled
            if disabled:
                await s.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            return _user(row)

    async def unlock(self, username: str) -> User:
        """Clear the failed sign-in counts and the locks (account-wide and per address)."""
        name = normalize_username(username)
        async with self._db.writing() as s:
            row = await self._row(s, name)
            row.failed_logins = 0
            row.locked_until_ms = None
            await s.execute(delete(SignInLockRow).where(SignInLockRow.username == name))
            return _user(row)

    async def issue_token(self, username: str, label: str = "") -> str:
        """A new API token for ``username``: returned once, stored as its digest only."""
        token = new_api_token()
        async with self._db.writing() as s:
            row = await self._row(s, normalize_username(username))
            s.add(
                ApiTokenRow(
                    token_hash=digest(token),
                    user_id=row.id,
                    label=label[:100],
                    created_ms=self._clock(),
                    last_used_ms=None,
                )
            )
        return token

    async def revoke_tokens(self, username: str) -> int:
        """Revoke every API token of ``username``; returns how many there were."""
        async with self._db.writing() as s:
            row = await self._row(s, normalize_username(username))
            res = await s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == row.id))
            return int(getattr(res, "rowcount", 0) or 0)

    async def principal_for_token(self, token: str) -> Principal | None:
        """The user an API token acts for (with their current role), or ``None``."""
        q = (
            select(ApiTokenRow.id, ApiTokenRow.last_used_ms, UserRow.username, UserRow.role)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_hash == digest(token), UserRow.disabled.is_(False))
        )
        async with self._db.reading() as s:
            found = (await s.execute(q)).first()
        if found is None:
            return None
        token_id, last_used, username, role = found
        now = self._clock()
        if last_used is None or now - last_used >= 60_000:  # "last used" to the minute
            async with self._db.writing() as s:
                await s.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_ms=now)
                )
        return Principal(username, UserRole(role))

    @staticmethod
    async def _row(s: AsyncSession, name: str) -> UserRow:
        row = await s.scalar(select(UserRow).where(UserRow.username == name).with_for_update())
        if row is None:
            raise UnknownUser(f"no user {name!r}")
        return row
