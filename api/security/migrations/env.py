"""Alembic environment for the security tables (users, sessions, API tokens, audit log).

:func:`api.security.db.migrate` runs it on a connection it already holds (passed in
``config.attributes["connection"]``), inside its own transaction and event loop. Run by the
``alembic`` command instead, it opens the database at ``sqlalchemy.url`` itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from api.security.tables import SecurityBase

VERSION_TABLE = "security_alembic_version"
config = context.config


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate looks at our tables only: the crew's share the database."""
    if type_ == "table":
        return name in SecurityBase.metadata.tables
    return True


def _configure(**kw: object) -> None:
    context.configure(
        target_metadata=SecurityBase.metadata,
        version_table=VERSION_TABLE,
        include_object=_ours,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        **kw,  # type: ignore[arg-type]
    )


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_own_engine(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    asyncio.run(_run_own_engine(config.get_main_option("sqlalchemy.url") or ""))
