"""Shifts worked: the hours ledger behind rest, working-time and overtime checks.

Revision ID: c0002
Revises: c0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0002"
down_revision: str | Sequence[str] | None = "c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crew_work",
        sa.Column("work_id", sa.String(128), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("start_us", BigInt, nullable=False),
        sa.Column("end_us", BigInt, nullable=False),
        sa.Column("requirement_id", sa.String(200), nullable=False),
        sa.Column("recorded_us", BigInt, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("work_id", name="pk_crew_work"),
    )
    op.create_index("ix_crew_work_staff_id", "crew_work", ["staff_id"])
    op.create_index("ix_crew_work_start_us", "crew_work", ["start_us"])


def downgrade() -> None:
    op.drop_table("crew_work")
