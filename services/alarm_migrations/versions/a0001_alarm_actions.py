"""Operators' alarm actions as the truth shared by replicas: ``alarm_episode`` (one row per
condition key and episode an operator acted on; at most one open per key) and the append-only
``alarm_action`` (see :mod:`services.alarm_actions`).

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

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alarm_episode",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("alarm_key", sa.String(200), nullable=False),
        sa.Column("opened_ms", sa.BigInteger(), nullable=False),
        sa.Column("closed_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index(
        "alarm_episode_open_key",
        "alarm_episode",
        ["alarm_key"],
        unique=True,
        sqlite_where=sa.text("closed_ms IS NULL"),
        postgresql_where=sa.text("closed_ms IS NULL"),
    )
    op.create_table(
        "alarm_action",
        sa.Column("seq", _Id, primary_key=True, autoincrement=True),
        sa.Column("episode_id", _Id, sa.ForeignKey("alarm_episode.id"), nullable=False),
        sa.Column("alarm_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(2000), nullable=True),
        sa.Column("until_ms", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(36), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alarm_action")
    op.drop_index("alarm_episode_open_key", table_name="alarm_episode")
    op.drop_table("alarm_episode")
