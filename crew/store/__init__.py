"""Persistence of the crew record: SQLAlchemy 2 (async) over SQLite (WAL) or PostgreSQL.

Open it with ``async with CrewStore(url, policy=...) as store:`` (the schema is migrated to
the latest Alembic revision on the way in). See :mod:`crew.store.service` for the rules every
write follows: optimistic concurrency, idempotent appends, an audit record per change.
"""

from crew.store.errors import IdConflict, InvalidChange, NotFound, StoreError, VersionConflict
from crew.store.outlook import ShiftSummary, ShortLine, shift_summaries, stored_outlook
from crew.store.records import AuditRecord, CrewSnapshot, Recorded, RosterChange, Versioned
from crew.store.service import CrewStore

__all__ = [
    "AuditRecord",
    "CrewSnapshot",
    "CrewStore",
    "IdConflict",
    "InvalidChange",
    "NotFound",
    "Recorded",
    "RosterChange",
    "ShiftSummary",
    "ShortLine",
    "StoreError",
    "Versioned",
    "VersionConflict",
    "shift_summaries",
    "stored_outlook",
]
