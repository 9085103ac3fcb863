"""Alembic migrations of the operating record table, run when
:class:`services.ops_record.OpsRecordStore` opens (version table ``ops_alembic_version``)."""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "ops_alembic_version")
