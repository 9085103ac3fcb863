"""Alembic environment for the alarm action tables."""

from __future__ import annotations

from services.alarm_actions import metadata
from services.alarm_migrations import STREAM
from storage.alembic_env import run_env

run_env(metadata, STREAM.version_table)
