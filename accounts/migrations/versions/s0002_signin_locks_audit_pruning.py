"""Sign-in locks per user name and address; audit records may be pruned, after export.

* ``auth_signin_lock``: consecutive failed sign-ins of one user name from one address, and
  that pair's lock. A griefer who types a name wrong five times locks only themselves out;
  the account as a whole locks at the much higher ``auth.lockout_account_failures``.
* ``audit_prune_permit``: the audit log stays append-only for every client, except that a
  transaction which first inserts a permit row may delete records older than the permit's
  ``before_ms`` (``metro-ops audit prune``, which exports them first). The permit is deleted
  in the same transaction, so no other connection ever sees one. Updates stay refused.

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0002"
down_revision: str | Sequence[str] | None = "s0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_UP = [
    "DROP TRIGGER audit_log_no_delete",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit WHERE OLD.at_ms < before_ms) "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
_SQLITE_DOWN = [
    "DROP TRIGGER audit_log_no_delete",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
_PG_UP = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN "
    "IF TG_OP = 'DELETE' AND EXISTS "
    "(SELECT 1 FROM audit_prune_permit WHERE OLD.at_ms < before_ms) THEN RETURN OLD; END IF; "
    "RAISE EXCEPTION 'audit_log is append-only'; END $$",
]
_PG_DOWN = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
]


def upgrade() -> None:
    op.create_table(
        "auth_signin_lock",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("source_ip", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_ms", BigInt, nullable=False),
        sa.Column("locked_until_ms", BigInt, nullable=True),
        sa.PrimaryKeyConstraint("username", "source_ip", name="pk_auth_signin_lock"),
    )
    op.create_index("ix_auth_signin_lock_last_failure_ms", "auth_signin_lock", ["last_failure_ms"])
    op.create_table(
        "audit_prune_permit",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("before_ms", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_prune_permit"),
    )
    dialect = op.get_bind().dialect.name
    for sql in {"sqlite": _SQLITE_UP, "postgresql": _PG_UP}.get(dialect, []):
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for sql in {"sqlite": _SQLITE_DOWN, "postgresql": _PG_DOWN}.get(dialect, []):
        op.execute(sql)
    op.drop_table("audit_prune_permit")
    op.drop_table("auth_signin_lock")
