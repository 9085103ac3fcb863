"""Handovers (``handover``, ``handover_ack``), log entries flagged for follow-up
(``shift_log.follow_up``: an open item until an entry corrects it) and degraded-timetable
decisions (``timetable_decision``).

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


def upgrade() -> None:
    # ADD COLUMN is not an UPDATE: the append-only triggers do not fire
    op.add_column(
        "shift_log",
        sa.Column("follow_up", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("shift_id", sa.String(24), nullable=False),
        sa.Column("shift_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("shift_end_ms", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_ms", sa.BigInteger(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("signed_by", sa.String(200), nullable=True),
        sa.Column("signed_ms", sa.BigInteger(), nullable=True),
        sa.Column("accepted_by", sa.String(200), nullable=True),
        sa.Column("accepted_ms", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("shift_start_ms", name="uq_handover_shift"),
    )
    op.create_table(
        "handover_ack",
        sa.Column("handover_id", sa.Integer(), sa.ForeignKey("handover.id"), primary_key=True),
        sa.Column("item_key", sa.String(64), primary_key=True),
        sa.Column("acked_by", sa.String(200), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "timetable_decision",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("headway_s", sa.Integer(), nullable=True),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("timetable_decision")
    op.drop_table("handover_ack")
    op.drop_table("handover")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("shift_log", "follow_up")
        return
    # SQLite rebuilds the table to drop a column, which the append-only triggers would refuse
    # (the copy deletes the old table): take them off for the rebuild and put them back
    op.execute("DROP TRIGGER shift_log_no_update")
    op.execute("DROP TRIGGER shift_log_no_delete")
    with op.batch_alter_table("shift_log") as batch:
        batch.drop_column("follow_up")
    op.execute(
        "CREATE TRIGGER shift_log_no_update BEFORE UPDATE ON shift_log "
        "BEGIN SELECT RAISE(ABORT, 'shift_log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER shift_log_no_delete BEFORE DELETE ON shift_log "
        "BEGIN SELECT RAISE(ABORT, 'shift_log is append-only'); END"
    )
