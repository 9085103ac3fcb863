"""Alembic environment for the situation reports table."""

from __future__ import annotations

from reports.migrations import STREAM
from reports.store import metadata
from storage.alembic_env import run_env

run_env(metadata, STREAM.version_table)
