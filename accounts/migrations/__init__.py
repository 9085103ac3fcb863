"""Alembic migrations of the security tables, run when :class:`accounts.store.SecurityStore`
opens.

Their version table is ``security_alembic_version``: a stream of its own beside the crew
tables' in the same database, so neither package needs the other's migrations.
"""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "security_alembic_version")
