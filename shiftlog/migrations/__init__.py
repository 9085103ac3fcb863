"""Alembic migrations of the shift log table, run when :class:`shiftlog.store.ShiftLogStore`
opens (version table ``shiftlog_alembic_version``)."""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "shiftlog_alembic_version")
