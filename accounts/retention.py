"""Audit retention: records older than a cut-off are exported to a JSON-lines file, and only
then — and only those exported — removed from the database.

The log stays append-only for everything else: the database triggers refuse any delete unless
the same transaction holds a permit row for an older cut-off (migration ``s0002``), which is
inserted and removed inside the pruning transaction, so no other connection ever sees one.
The export is written to a temporary file, flushed to disk and renamed into place before the
delete begins; a delete that would remove anything not exported is rolled back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, delete, func, insert, select

from accounts.db import Db
from accounts.tables import AuditPrunePermitRow, AuditRow
from storage.engine import writer

PAGE = 1000


class RetentionError(RuntimeError):
    """Pruning could not be done safely; nothing was removed. The message says why."""


@dataclass(frozen=True, slots=True)
class PruneResult:
    exported: int
    removed: int
    export_file: Path
    sha256: str
    before_ms: int


def _line(row: AuditRow) -> bytes:
    entry = {
        "id": row.id,
        "at_ms": row.at_ms,
        "user": row.username,
        "source_ip": row.source_ip,
        "action": row.action,
        "result": row.result,
        "detail": row.detail,
    }
    return json.dumps(entry, ensure_ascii=False, sort_keys=True).encode() + b"\n"


async def export_and_prune(
    db: Db, before_ms: int, export_file: Path, *, dry_run: bool = False
) -> PruneResult:
    """Export every record older than ``before_ms`` to ``export_file`` (which must not exist),
    then remove exactly those (unless ``dry_run``)."""
    if await asyncio.to_thread(export_file.exists):
        raise RetentionError(f"{export_file} exists already: choose a new file")
    await asyncio.to_thread(export_file.parent.mkdir, parents=True, exist_ok=True)
    tmp = export_file.with_name(export_file.name + ".partial")
    sha = hashlib.sha256()
    count, last_id = 0, 0
    with await asyncio.to_thread(tmp.open, "wb") as out:
        while True:
            q = (
                select(AuditRow)
                .where(AuditRow.at_ms < before_ms, AuditRow.id > last_id)
                .order_by(AuditRow.id)
                .limit(PAGE)
            )
            async with db.reading() as s:
                rows = list((await s.scalars(q)).all())
            for row in rows:
                line = _line(row)
                out.write(line)
                sha.update(line)
            count += len(rows)
            if len(rows) < PAGE:
                break
            last_id = rows[-1].id
        if rows:
            last_id = rows[-1].id
        out.flush()
        await asyncio.to_thread(os.fsync, out.fileno())  # on disk before anything goes
    await asyncio.to_thread(os.replace, tmp, export_file)
    removed = 0
    if count and not dry_run:
        removed = await _remove(db, before_ms, last_id, count)
    return PruneResult(count, removed, export_file, sha.hexdigest(), before_ms)


async def _remove(db: Db, before_ms: int, max_id: int, expected: int) -> int:
    """Delete the exported records (older than ``before_ms``, id up to ``max_id``) in one
    transaction under a permit; roll back unless exactly ``expected`` go."""
    which = and_(AuditRow.at_ms < before_ms, AuditRow.id <= max_id)
    # Core on the writer (SQLite: BEGIN IMMEDIATE), not the ORM sessions that refuse this
    async with writer(db.engine).begin() as conn:
        n = int(await conn.scalar(select(func.count()).select_from(AuditRow).where(which)) or 0)
        if n != expected:
            raise RetentionError(
                f"{n} records match but {expected} were exported: nothing removed, try again"
            )
        await conn.execute(insert(AuditPrunePermitRow).values(before_ms=before_ms))
        await conn.execute(delete(AuditRow).where(which))
        await conn.execute(
            delete(AuditPrunePermitRow).where(AuditPrunePermitRow.before_ms == before_ms)
        )
    return n
