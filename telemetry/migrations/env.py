"""Alembic environment for the alarm journal table."""

from __future__ import annotations

from storage.alembic_env import run_env
from telemetry.alarm_journal import metadata
from telemetry.migrations import STREAM

run_env(metadata, STREAM.version_table)
