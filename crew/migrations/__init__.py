"""Alembic migrations of the crew tables, run when :class:`crew.store.CrewStore` opens.

The version table is ``crew_alembic_version``, so other parts can keep their own migration
streams in the same database (:mod:`storage.migrations`).
"""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "crew_alembic_version")
