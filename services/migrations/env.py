"""Alembic environment for the operating record table."""

from __future__ import annotations

from services.migrations import STREAM
from services.ops_record import metadata
from storage.alembic_env import run_env

run_env(metadata, STREAM.version_table)
