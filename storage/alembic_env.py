"""The body of every Alembic ``env.py`` of ours: one migration stream per package, sharing the
database, each with its own version table.

``migrate()`` runs a stream on a connection it already holds (passed in
``config.attributes["connection"]``), inside its own transaction and event loop. Run by the
``alembic`` command instead, the stream opens the database at ``sqlalchemy.url`` itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run_env(metadata: MetaData, version_table: str) -> None:
    """Run the migrations of the stream whose tables are ``metadata``."""
    from alembic import context

    config = context.config

    def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        # autogenerate looks at this stream's tables only: the others share the database
        return name in metadata.tables if type_ == "table" else True

    def configure(**kw: Any) -> None:
        context.configure(
            target_metadata=metadata,
            version_table=version_table,
            include_object=ours,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
            **kw,
        )

    def run(connection: Connection) -> None:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()

    async def run_own_engine(url: str) -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(run)
        finally:
            await engine.dispose()

    if context.is_offline_mode():
        configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    elif (given := config.attributes.get("connection")) is not None:
        run(given)
    else:
        asyncio.run(run_own_engine(config.get_main_option("sqlalchemy.url") or ""))
