"""Alembic environment for the security tables (users, sessions, API tokens, audit log)."""

from __future__ import annotations

from accounts.migrations import STREAM
from accounts.tables import SecurityBase
from storage.alembic_env import run_env

run_env(SecurityBase.metadata, STREAM.version_table)
