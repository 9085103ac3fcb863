"""Alembic migrations of the alarm action tables (:mod:`services.alarm_actions`), run when
:class:`services.alarm_actions.AlarmActionStore` opens (version table
``alarm_actions_alembic_version``)."""

from pathlib import Path

from storage.migrations import MigrationStream

STREAM = MigrationStream(Path(__file__).resolve().parent, "alarm_actions_alembic_version")
