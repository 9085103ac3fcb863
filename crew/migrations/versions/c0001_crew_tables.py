"""Crew tables: staff, contact groups, cohorts, status events, tests, audit trail.

Revision ID: c0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# BIGINT in PostgreSQL; INTEGER in SQLite, where only that is an auto-increment key.
BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crew_meta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crew_meta"),
    )
    meta = sa.table("crew_meta", sa.column("id"), sa.column("revision"))
    op.bulk_insert(meta, [{"id": 1, "revision": 0}])
    op.create_table(
        "crew_staff",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("discipline", sa.String(32), nullable=True),
        sa.Column("substitute", sa.Boolean(), nullable=False),
        sa.Column("line_id", sa.String(32), nullable=True),
        sa.Column("overtime_allowed", sa.Boolean(), nullable=False),
        sa.Column("extended_overtime_allowed", sa.Boolean(), nullable=False),
        sa.Column("qualifications", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_ms", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crew_staff"),
    )
    op.create_table(
        "crew_group",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_ms", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crew_group"),
    )
    op.create_table(
        "crew_cohort",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("start_us", BigInt, nullable=False),
        sa.Column("planned_end_us", BigInt, nullable=False),
        sa.Column("beds_available", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_ms", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crew_cohort"),
    )
    op.create_table(
        "crew_status_event",
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("effective_us", BigInt, nullable=False),
        sa.Column("until_us", BigInt, nullable=True),
        sa.Column("recorded_us", BigInt, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_crew_status_event"),
    )
    op.create_index("ix_crew_status_event_staff_id", "crew_status_event", ["staff_id"])
    op.create_table(
        "crew_test_result",
        sa.Column("test_id", sa.String(128), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("taken_us", BigInt, nullable=False),
        sa.Column("recorded_us", BigInt, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("test_id", name="pk_crew_test_result"),
    )
    op.create_index("ix_crew_test_result_staff_id", "crew_test_result", ["staff_id"])
    op.create_table(
        "crew_audit",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("at_ms", BigInt, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crew_audit"),
    )
    op.create_index("ix_crew_audit_at_ms", "crew_audit", ["at_ms"])
    op.create_index("ix_crew_audit_entity_id", "crew_audit", ["entity_id"])


def downgrade() -> None:
    for table in (
        "crew_audit",
        "crew_test_result",
        "crew_status_event",
        "crew_cohort",
        "crew_group",
        "crew_staff",
        "crew_meta",
    ):
        op.drop_table(table)
