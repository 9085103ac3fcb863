"""The life cycle shared by the stores of one table each (situation reports, simulation runs,
the operating record): open the engine, bring the table's migration stream to head, dispose.
"""

from __future__ import annotations

from typing import ClassVar, Self

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrations import MigrationStream, open_migrated


class TableStore:
    """``async with Store(url) as store``: opens the engine and migrates ``stream`` to head."""

    stream: ClassVar[MigrationStream]
    name: ClassVar[str]  # for the "not open" error

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: AsyncEngine | None = None

    async def __aenter__(self) -> Self:
        engine = await open_migrated(self._url, self.stream)
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
