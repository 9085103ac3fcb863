"""Alembic migrations of the alarm journal table, run when
:class:`telemetry.alarm_journal.AlarmJournalStore` opens (version table
``alarm_journal_alembic_version``)."""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "alarm_journal_alembic_version")
