"""The shift log: append-only entries, refused UPDATE and DELETE by triggers on both databases.

Revision ID: s0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the store has no update or delete; the triggers make the table itself refuse them, so no
# other code path (or a hand-typed SQL statement) can rewrite what a shift wrote down
_SQLITE = [
    "CREATE TRIGGER shift_log_no_update BEFORE UPDATE ON shift_log "
    "BEGIN SELECT RAISE(ABORT, 'shift_log is append-only'); END",
    "CREATE TRIGGER shift_log_no_delete BEFORE DELETE ON shift_log "
    "BEGIN SELECT RAISE(ABORT, 'shift_log is append-only'); END",
]
_POSTGRES = [
    "CREATE FUNCTION shift_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'shift_log is append-only'; END $$",
    "CREATE TRIGGER shift_log_append_only BEFORE UPDATE OR DELETE ON shift_log "
    "FOR EACH ROW EXECUTE FUNCTION shift_log_append_only()",
    "CREATE TRIGGER shift_log_no_truncate BEFORE TRUNCATE ON shift_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION shift_log_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "shift_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("message", sa.JSON(), nullable=True),
        sa.Column("train", sa.String(16), nullable=True),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.String(64), nullable=True),
        sa.Column("corrects", sa.Integer(), sa.ForeignKey("shift_log.id"), nullable=True),
        sa.Column("search", sa.Text(), nullable=False),
    )
    op.create_index("ix_shift_log_at", "shift_log", ["at_ms"])
    op.create_index("ix_shift_log_corrects", "shift_log", ["corrects"])
    dialect = op.get_bind().dialect.name
    for stmt in _POSTGRES if dialect == "postgresql" else _SQLITE:
        op.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE shift_log")
        op.execute("DROP FUNCTION shift_log_append_only()")
        return
    op.drop_table("shift_log")  # its triggers go with it
