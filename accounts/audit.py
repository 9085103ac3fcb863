"""The append-only audit log: every sign-in, sign-out, alarm action, crew change and simulation
run, with its UTC millisecond timestamp, user, source address, action and result.

There is no way to change or remove a record here: :class:`AuditLog` only appends and reads,
the ORM sessions of the store refuse updates and deletes of audit rows, and a database trigger
refuses them from any other client (SQLite and PostgreSQL).

Actions are dotted names, the first part saying what kind: ``login``, ``logout``,
``alarm.ack``, ``alarm.shelve``, ``alarm.unshelve``, ``alarm.comment``, ``crew.<route>``,
``simulation.run``, ``user.add``/``user.passwd``/…, ``access.denied``, ``csrf.rejected``.
Results are short words: ``ok``, ``fail``, ``locked``, ``rate_limited``, ``denied``,
``not_found``, ``conflict``, ``invalid``, or ``error``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from accounts.db import Db
from accounts.tables import AuditRow
from line.clock import Clock

MAX_PAGE = 500
#: Every result an audit record may have (the audit page filters by each, and names each in
#: words: ``audit.result.<result>`` in line/texts.py).
RESULTS = (
    "ok",
    "fail",
    "locked",
    "rate_limited",
    "denied",
    "not_found",
    "conflict",
    "invalid",
    "error",
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record as read back."""

    id: int
    at_ms: int
    user: str
    source_ip: str
    action: str
    result: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at_ms": self.at_ms,
            "user": self.user,
            "source_ip": self.source_ip,
            "action": self.action,
            "result": self.result,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Newest first; ``next_before_id`` continues the listing (``None``: no more)."""

    entries: list[AuditEntry]
    next_before_id: int | None


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id, row.at_ms, row.username, row.source_ip, row.action, row.result, row.detail
    )


class AuditLog:
    """Appends audit records and reads them back with filters."""

    def __init__(self, db: Db, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(
        self,
        action: str,
        *,
        user: str,
        source_ip: str | None = None,
        result: str = "ok",
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one record, timestamped now (UTC ms). ``detail`` must be JSON-serialisable
        (values that are not are written as their ``str``)."""
        body = json.loads(json.dumps(dict(detail or {}), default=str, ensure_ascii=False))
        row = AuditRow(
            at_ms=self._clock(),
            username=user[:64],
            source_ip=(source_ip or "")[:64],
            action=action[:64],
            result=result[:32],
            detail=body,
        )
        async with self._db.writing() as s:
            s.add(row)
            await s.flush()
            return _entry(row)

    async def query(
        self,
        *,
        user: str | None = None,
        action: str | None = None,
        result: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> AuditPage:
        """Records newest first. ``action`` matches itself and its dotted sub-actions
        (``alarm`` matches ``alarm.ack``); ``since_ms`` is inclusive, ``until_ms`` exclusive;
        ``before_id`` pages on from a previous :attr:`AuditPage.next_before_id`."""
        limit = max(1, min(limit, MAX_PAGE))
        q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit + 1)
        if user:
            q = q.where(AuditRow.username == user)
        if action:
            q = q.where(
                or_(
                    AuditRow.action == action,
                    AuditRow.action.startswith(action + ".", autoescape=True),
                )
            )
        if result:
            q = q.where(AuditRow.result == result)
        if since_ms is not None:
            q = q.where(AuditRow.at_ms >= since_ms)
        if until_ms is not None:
            q = q.where(AuditRow.at_ms < until_ms)
        if before_id is not None:
            q = q.where(AuditRow.id < before_id)
        async with self._db.reading() as s:
            rows = list((await s.scalars(q)).all())
        more = len(rows) > limit
        entries = [_entry(r) for r in rows[:limit]]
        return AuditPage(entries, entries[-1].id if more else None)
