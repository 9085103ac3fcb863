"""Alembic migrations of the situation reports table, run when
:class:`reports.store.ReportStore` opens (version table ``reports_alembic_version``)."""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "reports_alembic_version")
