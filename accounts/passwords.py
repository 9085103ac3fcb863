"""Password hashing with argon2id (argon2-cffi's :class:`~argon2.PasswordHasher`).

Hashing costs tens of milliseconds of CPU on purpose, so it runs in a worker thread (the board
keeps ticking) and at most two at a time (a flood of sign-ins cannot take every core). A user
name that has no account is checked against a dummy hash, so a wrong name takes as long as a
wrong password and timing does not tell which names exist. When the cost parameters change,
:meth:`Passwords.verify` returns a fresh hash for the caller to store (rehash on sign-in).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accounts.blocklist import refusal
from accounts.identity import AuthSettings

MAX_PASSWORD_CHARS = 1024  # argon2 takes any length; a megabyte "password" is an attack


class PasswordRejected(ValueError):
    """A new password does not meet the policy; the message says why."""


@dataclass(frozen=True, slots=True)
class Verified:
    """The outcome of checking a password: ``ok``, and a new hash to store when the stored one
    was made with other parameters."""

    ok: bool
    new_hash: str | None = None


class Passwords:
    """The password policy and argon2id hashing with the cost of the settings."""

    def __init__(self, settings: AuthSettings, *, concurrency: int = 2) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self.min_length = settings.password_min_length
        self._concurrency = concurrency
        self._gate: asyncio.Semaphore | None = None
        self._dummy: str | None = None

    def check_policy(self, password: str, username: str) -> None:
        """Raise :class:`PasswordRejected` unless ``password`` may be used by ``username``."""
        if len(password) < self.min_length:
            raise PasswordRejected(f"the password must have at least {self.min_length} characters")
        if len(password) > MAX_PASSWORD_CHARS:
            raise PasswordRejected(
                f"the password must have at most {MAX_PASSWORD_CHARS} characters"
            )
        if password.strip().lower() == username.strip().lower():
            raise PasswordRejected("the password must not be the user name")
        why = refusal(password, username.strip())
        if why is not None:
            raise PasswordRejected(why)

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (salted; PHC string with its parameters)."""
        async with self._limit():
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> Verified:
        """Check ``password`` against ``stored`` (``None``: no such account — still costs the
        same time, and fails)."""
        async with self._limit():
            return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> Verified:
        if stored is None:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            stored = self._dummy
            real = False
        else:
            real = True
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return Verified(False)
        if not real:
            return Verified(False)
        if self._hasher.check_needs_rehash(stored):
            return Verified(True, self._hasher.hash(password))
        return Verified(True)

    def _limit(self) -> asyncio.Semaphore:
        if self._gate is None:  # made on first use, inside the running loop
            self._gate = asyncio.Semaphore(self._concurrency)
        return self._gate
