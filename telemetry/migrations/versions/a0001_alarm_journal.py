"""The alarm journal: every visible change of every alarm, and keyframes of the open set.

Revision ID: a0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alarm_journal",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("alarm_journal_ts", "alarm_journal", ["ts_ms"])
    op.create_index("alarm_journal_alarm", "alarm_journal", ["alarm_id", "ts_ms"])


def downgrade() -> None:
    op.drop_index("alarm_journal_alarm", "alarm_journal")
    op.drop_index("alarm_journal_ts", "alarm_journal")
    op.drop_table("alarm_journal")
