"""Every storage test runs on SQLite and on a private PostgreSQL cluster."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
