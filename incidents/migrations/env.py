"""Alembic environment for the incident tables."""

from __future__ import annotations

from incidents.migrations import STREAM
from incidents.store import metadata
from storage.alembic_env import run_env

run_env(metadata, STREAM.version_table)
