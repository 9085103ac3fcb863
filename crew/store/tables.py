"""The crew tables (SQLAlchemy 2 declarative). The schema itself is made by the Alembic
migrations in ``crew/migrations``; a test checks that they agree.

Instants are stored as integers: microseconds since the Unix epoch (UTC) for the records'
own times, so a retried write compares exactly, and milliseconds for the audit trail. Lists
that are read and written whole (qualifications, members) are JSON.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: ``BIGINT`` in PostgreSQL; ``INTEGER`` in SQLite, where only that is an auto-increment key.
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class MetaRow(Base):
    """One row (id 1): the revision of the whole crew record, bumped by every change.

    Every write locks this row first, so writers take turns (PostgreSQL ``FOR UPDATE``;
    SQLite writers already take turns) and readers can tell whether anything changed.
    """

    __tablename__ = "crew_meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInt, default=0)


class StaffRow(Base):
    __tablename__ = "crew_staff"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    discipline: Mapped[str | None] = mapped_column(String(32))
    substitute: Mapped[bool] = mapped_column(Boolean)
    line_id: Mapped[str | None] = mapped_column(String(32))
    overtime_allowed: Mapped[bool] = mapped_column(Boolean)
    extended_overtime_allowed: Mapped[bool] = mapped_column(Boolean)
    qualifications: Mapped[list[Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_ms: Mapped[int] = mapped_column(BigInt)

    __mapper_args__ = {"version_id_col": version}


class GroupRow(Base):
    """A contact group: shift team or dormitory room."""

    __tablename__ = "crew_group"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    members: Mapped[list[Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_ms: Mapped[int] = mapped_column(BigInt)

    __mapper_args__ = {"version_id_col": version}


class CohortRow(Base):
    """A 3-on-site cohort."""

    __tablename__ = "crew_cohort"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    members: Mapped[list[Any]] = mapped_column(JSON)
    start_us: Mapped[int] = mapped_column(BigInt)
    planned_end_us: Mapped[int] = mapped_column(BigInt)
    beds_available: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    updated_ms: Mapped[int] = mapped_column(BigInt)

    __mapper_args__ = {"version_id_col": version}


class StatusEventRow(Base):
    """An appended status event; ``event_id`` is the client's id (a retry is applied once)."""

    __tablename__ = "crew_status_event"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(32))
    effective_us: Mapped[int] = mapped_column(BigInt)
    until_us: Mapped[int | None] = mapped_column(BigInt)
    recorded_us: Mapped[int] = mapped_column(BigInt)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))


class TestResultRow(Base):
    """A recorded test; ``test_id`` is the client's id."""

    __tablename__ = "crew_test_result"
    __test__ = False  # not a pytest test class despite the name

    test_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    taken_us: Mapped[int] = mapped_column(BigInt)
    recorded_us: Mapped[int] = mapped_column(BigInt)
    actor: Mapped[str] = mapped_column(String(128))


class AuditRow(Base):
    """One change: who, when (UTC ms), what, the record before and after, and why."""

    __tablename__ = "crew_audit"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    at_ms: Mapped[int] = mapped_column(BigInt, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    context: Mapped[str] = mapped_column(Text)


class WorkRow(Base):
    """A shift worked (or booked): counts for rest, hours and overtime. ``work_id`` is the
    client's id (e.g. derived from a cab logon), so a retry is recorded once."""

    __tablename__ = "crew_work"

    work_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(32), index=True)
    start_us: Mapped[int] = mapped_column(BigInt, index=True)
    end_us: Mapped[int] = mapped_column(BigInt)
    requirement_id: Mapped[str] = mapped_column(String(200))
    recorded_us: Mapped[int] = mapped_column(BigInt)
    actor: Mapped[str] = mapped_column(String(128))
