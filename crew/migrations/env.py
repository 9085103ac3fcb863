"""Alembic environment for the crew tables."""

from __future__ import annotations

from crew.store.alembic_env import run_env
from crew.store.tables import Base

run_env(Base.metadata, "crew_alembic_version")
