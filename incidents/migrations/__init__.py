"""Alembic migrations of the incident tables, run when :class:`incidents.store.IncidentStore`
opens (version table ``incidents_alembic_version``)."""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "incidents_alembic_version")
