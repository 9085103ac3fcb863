"""Simulation runs: what was asked, by whom, how it went, and the result.

Releases up to 0abac3c created this table on first use (``create_all``): on such a database
this revision adopts the table as it is, rows kept (:func:`storage.migrations.adopt_existing`).

Revision ID: w0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.migrations import adopt_existing

revision: str = "w0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> list[sa.Column[Any]]:
    # fresh Column objects each time: a Column belongs to the one table it was created in
    return [
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scenario", sa.String(64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("replications", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("started_ms", sa.BigInteger(), nullable=True),
        sa.Column("finished_ms", sa.BigInteger(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    if adopt_existing(op.get_bind(), "simulation_runs", {c.name for c in _columns()}):
        return
    op.create_table("simulation_runs", *_columns())
    op.create_index("ix_simulation_runs_created", "simulation_runs", ["created_ms"])


def downgrade() -> None:
    op.drop_index("ix_simulation_runs_created", table_name="simulation_runs")
    op.drop_table("simulation_runs")
