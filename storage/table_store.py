"""A store of tables that live beside the crew record but outside its Alembic chain.

Situation reports and simulation runs each keep one table in ``db.url`` and create it on first
use (``CREATE TABLE IF NOT EXISTS``); this holds the engine's life cycle they share.
"""

from __future__ import annotations

from typing import ClassVar, Self

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from crew.store import make_engine
from crew.store.engine import writer


class TableStore:
    """``async with Store(url) as store``: opens the engine and creates ``metadata``'s tables."""

    metadata: ClassVar[MetaData]
    name: ClassVar[str]  # for the "not open" error

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: AsyncEngine | None = None

    async def __aenter__(self) -> Self:
        engine = make_engine(self._url)
        try:
            async with writer(engine).begin() as conn:
                await conn.run_sync(self.metadata.create_all, checkfirst=True)
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError(f"the {self.name} store is not open (use `async with`)")
        return self._engine
