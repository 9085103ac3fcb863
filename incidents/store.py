"""Incidents in the database: create, read, note, close, list and search.

Two tables, ``incidents`` and ``incident_notes``, in the database of ``db.url``, migrated by
their own Alembic stream (``incidents/migrations``) when the store opens. Notes are only ever
added. Search text is case-folded in Python (as the shift log does), so "tàu" finds "Tàu" on
SQLite too, whose ``lower()`` folds ASCII only, and both databases answer the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    or_,
    select,
)

from incidents.migrations import STREAM
from incidents.model import (
    MAX_NOTE,
    MAX_TITLE,
    Incident,
    Note,
    Status,
    check_window,
)
from line.catalogue import Message, Refusal
from line.clock import Clock, wall_ms
from storage.engine import writer
from storage.table_store import TableStore

metadata = MetaData()

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("alarm_id", Integer, nullable=True),
    Column("created_by", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("closed_by", String(200), nullable=True),
    Column("closed_ms", BigInteger, nullable=True),
    Column("search", Text, nullable=False),
    Index("ix_incidents_window", "start_ms", "end_ms"),
)

incident_notes = Table(
    "incident_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("author", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("search", Text, nullable=False),
    Index("ix_incident_notes_incident", "incident_id"),
)

MAX_PAGE = 200


class IncidentNotFound(Refusal, LookupError):
    """No incident with that id."""


class InvalidIncident(Refusal, ValueError):
    """The incident or note cannot be stored as given (``message`` says why)."""


class AlreadyClosed(InvalidIncident):
    """The incident is closed: it takes no more notes and cannot be closed again."""


def _like(q: str) -> str:
    escaped = q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_I_COLS = [c for c in incidents.c if c.name != "search"]
_N_COLS = [c for c in incident_notes.c if c.name != "search"]


async def _require_open(conn: Any, incident_id: int, if_closed: str) -> None:
    """IncidentNotFound, or AlreadyClosed (``incident.refused.<if_closed>``), in ``conn``'s
    transaction (so the change that follows sees the same row)."""
    status = (
        await conn.execute(select(incidents.c.status).where(incidents.c.id == incident_id))
    ).scalar_one_or_none()
    if status is None:
        raise IncidentNotFound(Message("incident.refused.not_found", {"id": incident_id}))
    if status == Status.CLOSED.value:
        raise AlreadyClosed(Message(f"incident.refused.{if_closed}", {"id": incident_id}))


def _incident(row: Any, notes: tuple[Note, ...] = ()) -> Incident:
    m = row._mapping
    return Incident(
        id=m["id"],
        title=m["title"],
        start_ms=m["start_ms"],
        end_ms=m["end_ms"],
        status=Status(m["status"]),
        alarm_id=m["alarm_id"],
        created_by=m["created_by"],
        created_ms=m["created_ms"],
        closed_by=m["closed_by"],
        closed_ms=m["closed_ms"],
        notes=notes,
    )


def _note(row: Any) -> Note:
    m = row._mapping
    return Note(m["id"], m["incident_id"], m["at_ms"], m["author"], m["text"])


def _text(value: str, what: str, limit: int) -> str:
    """``value`` stripped, or refused; ``what``: the field (``incident.field.<what>``)."""
    field = Message(f"incident.field.{what}")
    value = value.strip()
    if not value:
        raise InvalidIncident(Message("incident.refused.empty", {"what": field}))
    if len(value) > limit:
        raise InvalidIncident(
            Message("incident.refused.too_long", {"what": field, "max": limit, "got": len(value)})
        )
    if "\x00" in value:
        raise InvalidIncident(Message("incident.refused.nul", {"what": field}))
    return value


class IncidentStore(TableStore):
    """Async access to the incident tables: ``async with IncidentStore(url) as store``."""

    stream = STREAM
    name = "incident"

    def __init__(self, url: str, *, clock: Clock = wall_ms) -> None:
        super().__init__(url)
        self._clock = clock

    async def create(
        self,
        *,
        title: str,
        start_ms: float,
        end_ms: float,
        author: str,
        alarm_id: int | None = None,
    ) -> Incident:
        """A new open incident over ``[start_ms, end_ms)`` (:class:`InvalidWindow`,
        :class:`InvalidIncident` when it cannot be)."""
        start, end = check_window(start_ms, end_ms)
        title = _text(title, "title", MAX_TITLE)
        author = _text(author, "author", 200)
        async with writer(self.engine).begin() as conn:
            row = (
                await conn.execute(
                    incidents.insert()
                    .values(
                        title=title,
                        start_ms=start,
                        end_ms=end,
                        status=Status.OPEN.value,
                        alarm_id=alarm_id,
                        created_by=author,
                        created_ms=self._clock(),
                        search=title.casefold(),
                    )
                    .returning(*_I_COLS)
                )
            ).one()
        return _incident(row)

    async def get(self, incident_id: int) -> Incident:
        """The incident with its notes, oldest note first."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(*_I_COLS).where(incidents.c.id == incident_id))
            ).first()
            if row is None:
                raise IncidentNotFound(Message("incident.refused.not_found", {"id": incident_id}))
            notes = (
                await conn.execute(
                    select(*_N_COLS)
                    .where(incident_notes.c.incident_id == incident_id)
                    .order_by(incident_notes.c.id)
                )
            ).all()
        return _incident(row, tuple(_note(n) for n in notes))

    async def add_note(self, incident_id: int, *, author: str, text: str) -> Note:
        """Append a note to an open incident."""
        text = _text(text, "note", MAX_NOTE)
        author = _text(author, "author", 200)
        async with writer(self.engine).begin() as conn:
            await _require_open(conn, incident_id, "closed_no_notes")
            row = (
                await conn.execute(
                    incident_notes.insert()
                    .values(
                        incident_id=incident_id,
                        at_ms=self._clock(),
                        author=author,
                        text=text,
                        search=f"{text}\n{author}".casefold(),
                    )
                    .returning(*_N_COLS)
                )
            ).one()
        return _note(row)

    async def close(self, incident_id: int, *, author: str) -> Incident:
        """Close an open incident (once)."""
        async with writer(self.engine).begin() as conn:
            await _require_open(conn, incident_id, "already_closed")
            await conn.execute(
                incidents.update()
                .where(incidents.c.id == incident_id)
                .values(status=Status.CLOSED.value, closed_by=author, closed_ms=self._clock())
            )
        return await self.get(incident_id)

    async def search(
        self,
        *,
        q: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        status: Status | None = None,
        limit: int = 50,
    ) -> list[Incident]:
        """Incidents newest first (by id) whose title or a note contains ``q`` (any case),
        whose window overlaps ``[since_ms, until_ms)``, of ``status``. Notes not included."""
        limit = max(1, min(limit, MAX_PAGE))
        c = incidents.c
        query = select(*_I_COLS).order_by(c.id.desc()).limit(limit)
        if q:
            pattern = _like(q)
            in_notes = select(incident_notes.c.incident_id).where(
                incident_notes.c.search.like(pattern, escape="\\")
            )
            query = query.where(or_(c.search.like(pattern, escape="\\"), c.id.in_(in_notes)))
        if since_ms is not None:
            query = query.where(c.end_ms > since_ms)
        if until_ms is not None:
            query = query.where(c.start_ms < until_ms)
        if status is not None:
            query = query.where(c.status == status.value)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_incident(r) for r in rows]
