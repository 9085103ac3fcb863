"""Situation reports: the facts, both renderings and the webhook's outcome.

Releases up to 0abac3c created this table on first use (``create_all``): on such a database
this revision adopts the table as it is, rows kept (:func:`storage.migrations.adopt_existing`).

Revision ID: r0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.migrations import adopt_existing

revision: str = "r0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> list[sa.Column[Any]]:
    # fresh Column objects each time: a Column belongs to the one table it was created in
    return [
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("slot_ms", sa.BigInteger(), nullable=True, unique=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("since_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("webhook_status", sa.String(16), nullable=False),
        sa.Column("webhook_attempts", sa.Integer(), nullable=False),
        sa.Column("webhook_error", sa.Text(), nullable=False),
        sa.Column("webhook_ms", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    if adopt_existing(op.get_bind(), "situation_reports", {c.name for c in _columns()}):
        return
    op.create_table("situation_reports", *_columns())
    op.create_index("ix_situation_reports_at", "situation_reports", ["at_ms"])


def downgrade() -> None:
    op.drop_index("ix_situation_reports_at", table_name="situation_reports")
    op.drop_table("situation_reports")
