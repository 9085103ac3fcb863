"""Alembic environment for the crew tables."""

from __future__ import annotations

from crew.migrations import STREAM
from crew.store.tables import Base
from storage.alembic_env import run_env

run_env(Base.metadata, STREAM.version_table)
