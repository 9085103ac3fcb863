"""The security tables (SQLAlchemy 2 declarative): user accounts, browser sessions, API tokens
and the audit log. The schema itself is made by the Alembic migrations in
``accounts/migrations``; a test checks that they agree.

Secrets are never stored: passwords as argon2id hashes, session and API tokens as SHA-256
digests (they are long random strings, so a fast hash is enough). Instants are UTC
milliseconds. The audit log is append-only: the mapper refuses updates and deletes here, and a
database trigger (made by the migration) refuses them from any other client.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: ``BIGINT`` in PostgreSQL; ``INTEGER`` in SQLite, where only that is an auto-increment key.
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class SecurityBase(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict[str, Any]: JSON}


class UserRow(SecurityBase):
    """An account: one role, an argon2id hash, and its sign-in failure count and lock."""

    __tablename__ = "auth_user"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until_ms: Mapped[int | None] = mapped_column(BigInt)
    last_login_ms: Mapped[int | None] = mapped_column(BigInt)
    created_ms: Mapped[int] = mapped_column(BigInt)
    password_changed_ms: Mapped[int] = mapped_column(BigInt)


class SessionRow(SecurityBase):
    """A browser session, keyed by the SHA-256 of its cookie."""

    __tablename__ = "auth_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInt, ForeignKey("auth_user.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_ms: Mapped[int] = mapped_column(BigInt)
    last_seen_ms: Mapped[int] = mapped_column(BigInt, index=True)
    source_ip: Mapped[str] = mapped_column(String(64))


class ApiTokenRow(SecurityBase):
    """A per-user API token, keyed by its SHA-256; it acts with the user's current role."""

    __tablename__ = "auth_api_token"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigInt, ForeignKey("auth_user.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(100))
    created_ms: Mapped[int] = mapped_column(BigInt)
    last_used_ms: Mapped[int | None] = mapped_column(BigInt)


class AuditRow(SecurityBase):
    """One audited action: when (UTC ms), who, from where, what, how it ended, details."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    at_ms: Mapped[int] = mapped_column(BigInt, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    source_ip: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    result: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class SignInLockRow(SecurityBase):
    """Consecutive failed sign-ins of one user name (with or without an account) from one
    address, and that pair's lock."""

    __tablename__ = "auth_signin_lock"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_ip: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_ms: Mapped[int] = mapped_column(BigInt, index=True)
    locked_until_ms: Mapped[int | None] = mapped_column(BigInt)


class AuditPrunePermitRow(SecurityBase):
    """Lets the transaction that inserted it delete audit records older than ``before_ms``
    (the database triggers refuse every other delete); removed in the same transaction."""

    __tablename__ = "audit_prune_permit"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    before_ms: Mapped[int] = mapped_column(BigInt)
