"""The operating record: named JSON rows (alarms, trips, the alarm id reservation).

Releases up to 0abac3c created this table on first use (``create_all``): on such a database
this revision adopts the table as it is, rows kept (:func:`storage.migrations.adopt_existing`).

Revision ID: o0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.migrations import adopt_existing

revision: str = "o0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> list[sa.Column[Any]]:
    # fresh Column objects each time: a Column belongs to the one table it was created in
    return [
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("saved_ms", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    ]


def upgrade() -> None:
    if adopt_existing(op.get_bind(), "ops_record", {c.name for c in _columns()}):
        return
    op.create_table("ops_record", *_columns())


def downgrade() -> None:
    op.drop_table("ops_record")
