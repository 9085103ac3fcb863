"""Alembic migrations of the simulation runs table, run when :class:`whatif.store.RunStore`
opens (version table ``whatif_alembic_version``)."""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "whatif_alembic_version")
