"""Alembic environment for the simulation runs table."""

from __future__ import annotations

from storage.alembic_env import run_env
from whatif.migrations import STREAM
from whatif.store import metadata

run_env(metadata, STREAM.version_table)
