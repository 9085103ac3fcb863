"""Alembic environment for the security tables (users, sessions, API tokens, audit log)."""

from __future__ import annotations

from accounts.tables import SecurityBase
from crew.store.alembic_env import run_env

run_env(SecurityBase.metadata, "security_alembic_version")
