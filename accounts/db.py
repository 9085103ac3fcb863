"""The security tables' database: the one database (``db.url``), its own migration stream.

It opens the engine with :func:`storage.engine.make_engine` (SQLite in WAL with
``synchronous=FULL`` and ``BEGIN IMMEDIATE`` for writers; PostgreSQL with timeouts) and runs
the Alembic stream in ``accounts/migrations`` (version table ``security_alembic_version``)
when opened, so starting the runtime, the demo or a ``users`` command brings it up to date.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from accounts.migrations import STREAM
from accounts.tables import AuditRow
from storage.engine import writer
from storage.migrations import open_migrated


class AppendOnlyError(RuntimeError):
    """Something tried to change or remove an audit record."""


class _SecuritySession(Session):
    """Sessions of this store: they refuse to change or remove audit records."""


@event.listens_for(_SecuritySession, "do_orm_execute")
def _refuse_audit_changes(state: ORMExecuteState) -> None:
    """Bulk ``update(AuditRow)``/``delete(AuditRow)`` through a session: refused."""
    if (state.is_update or state.is_delete) and any(
        m.class_ is AuditRow for m in state.all_mappers
    ):
        raise AppendOnlyError("the audit log is append-only")


@event.listens_for(_SecuritySession, "before_flush")
def _refuse_flushed_changes(session: Session, _ctx: object, _instances: object) -> None:
    """A loaded audit row changed or deleted, then flushed: refused."""
    for obj in session.deleted:
        if isinstance(obj, AuditRow):
            raise AppendOnlyError("the audit log is append-only")
    for obj in session.dirty:
        if isinstance(obj, AuditRow) and session.is_modified(obj):
            raise AppendOnlyError("the audit log is append-only")


class Db:
    """The open database: engine, read and write session factories. Open it with ``async with``
    (it migrates on the way in); components built before opening use it once it is open."""

    def __init__(self, url: str, *, busy_timeout_s: float = 10.0) -> None:
        self.url = url
        self._busy_timeout_s = busy_timeout_s
        self._engine: AsyncEngine | None = None
        self._read: async_sessionmaker[AsyncSession] | None = None
        self._write: async_sessionmaker[AsyncSession] | None = None

    async def open(self) -> None:
        engine = await open_migrated(self.url, STREAM, busy_timeout_s=self._busy_timeout_s)
        self._engine = engine
        self._read = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=_SecuritySession
        )
        self._write = async_sessionmaker(
            writer(engine), expire_on_commit=False, sync_session_class=_SecuritySession
        )

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = self._read = self._write = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the security store is not open: use `async with SecurityStore(…)`")
        return self._engine

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction."""
        if self._read is None:
            raise RuntimeError("the security store is not open: use `async with SecurityStore(…)`")
        async with self._read() as s, s.begin():
            yield s

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction (SQLite: takes the write lock when it begins)."""
        if self._write is None:
            raise RuntimeError("the security store is not open: use `async with SecurityStore(…)`")
        async with self._write() as s, s.begin():
            yield s
