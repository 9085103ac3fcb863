"""Alembic environment for the shift log table."""

from __future__ import annotations

from shiftlog.migrations import STREAM
from shiftlog.store import metadata
from storage.alembic_env import run_env

run_env(metadata, STREAM.version_table)
