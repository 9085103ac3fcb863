"""The shift log in the database: append and read, nothing else.

One table, ``shift_log``, in the database of ``db.url`` (``storage.engine.make_engine``: a
commit is on disk before :meth:`ShiftLogStore.append` returns), migrated by its own Alembic
stream (``shiftlog/migrations``) when the store opens. There is no update or delete here, and
the table's triggers refuse them from anywhere else.

Search: ``search`` holds the entry's texts (both languages for the system's entries) and links
case-folded in Python, so a search for "tàu" finds "Tàu" on SQLite too (whose ``lower()`` and
``LIKE`` fold ASCII only) and both databases answer the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    func,
    select,
)

from line.catalogue import Message, Refusal
from line.clock import Clock, wall_ms
from shiftlog.migrations import STREAM
from shiftlog.model import MAX_TEXT, Category, LogEntry, NewEntry
from storage.engine import writer
from storage.table_store import TableStore

metadata = MetaData()

shift_log = Table(
    "shift_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("author", String(200), nullable=False),
    Column("category", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("text_en", Text, nullable=True),
    Column("message", JSON, nullable=True),  # Message.to_json() of a system entry
    Column("train", String(16), nullable=True),
    Column("alarm_id", Integer, nullable=True),
    Column("staff_id", String(64), nullable=True),
    Column("corrects", Integer, ForeignKey("shift_log.id"), nullable=True),
    Column("search", Text, nullable=False),
    # flagged for follow-up: an open item (handover) until an entry corrects it
    Column("follow_up", Boolean, nullable=False, server_default=false()),
    Index("ix_shift_log_at", "at_ms"),
    Index("ix_shift_log_corrects", "corrects"),
)

MAX_PAGE = 500


class EntryNotFound(Refusal, LookupError):
    """No entry with that id."""


class InvalidEntry(Refusal, ValueError):
    """The entry cannot be stored as given (the message says why)."""


@dataclass(frozen=True, slots=True)
class Page:
    """Entries newest first; ``corrected`` holds the entries they correct that are not on the
    page themselves, ``corrections`` maps an entry id to the ids of the entries correcting it."""

    entries: list[LogEntry]
    corrected: dict[int, LogEntry]
    corrections: dict[int, list[int]]
    next_before: int | None  # pass as ``before`` for the next (older) page


def _like(q: str) -> str:
    escaped = q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _entry(row: Any) -> LogEntry:
    m = row._mapping
    msg = m["message"]
    return LogEntry(
        id=m["id"],
        at_ms=m["at_ms"],
        author=m["author"],
        category=Category(m["category"]),
        text=m["text"],
        text_en=m["text_en"],
        message=None if msg is None else Message.from_json(msg),
        train=m["train"],
        alarm_id=m["alarm_id"],
        staff_id=m["staff_id"],
        corrects=m["corrects"],
        follow_up=bool(m["follow_up"]),
    )


_COLUMNS = [c for c in shift_log.c if c.name != "search"]


class ShiftLogStore(TableStore):
    """Async access to ``shift_log``: ``async with ShiftLogStore(url) as log``."""

    stream = STREAM
    name = "shift log"

    def __init__(self, url: str, *, clock: Clock = wall_ms) -> None:
        super().__init__(url)
        self._clock = clock

    async def append(self, new: NewEntry) -> LogEntry:
        """Store ``new`` now; returns it as stored (its id and time). A correction must point at
        an existing entry (:class:`EntryNotFound`); empty or overlong text is refused."""
        text, text_en = new.texts()
        text = text.strip()
        if not text:
            raise InvalidEntry(Message("log.refused.no_text"))
        if len(text) > MAX_TEXT:
            raise InvalidEntry(Message("log.refused.too_long", {"max": MAX_TEXT, "got": len(text)}))
        if not new.author.strip():
            raise InvalidEntry(Message("log.refused.no_author"))
        links = " ".join(x for x in (new.train, new.staff_id) if x)
        search = "\n".join(x for x in (text, text_en, links, new.author) if x).casefold()
        at_ms = self._clock()
        async with writer(self.engine).begin() as conn:
            if new.corrects is not None:
                found = await conn.execute(
                    select(shift_log.c.id).where(shift_log.c.id == new.corrects)
                )
                if found.first() is None:
                    raise EntryNotFound(
                        Message("log.refused.no_entry_to_correct", {"id": new.corrects})
                    )
            result = await conn.execute(
                shift_log.insert()
                .values(
                    at_ms=at_ms,
                    author=new.author.strip(),
                    category=new.category.value,
                    text=text,
                    text_en=text_en,
                    message=None if new.message is None else new.message.to_json(),
                    train=new.train,
                    alarm_id=new.alarm_id,
                    staff_id=new.staff_id,
                    corrects=new.corrects,
                    search=search,
                    follow_up=new.follow_up,
                )
                .returning(*_COLUMNS)
            )
            return _entry(result.one())

    async def get(self, entry_id: int) -> LogEntry:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(shift_log.c.id == entry_id))).first()
        if row is None:
            raise EntryNotFound(Message("log.refused.no_entry", {"id": entry_id}))
        return _entry(row)

    async def open_items(self, limit: int = 200) -> list[LogEntry]:
        """Entries flagged for follow-up that no later entry corrects, oldest first: the open
        items a handover passes on (a correction closes one, unless it is flagged itself)."""
        c = shift_log.c
        fixed = select(c.corrects).where(c.corrects.is_not(None))
        q = (
            select(*_COLUMNS)
            .where(c.follow_up.is_(True), c.id.not_in(fixed))
            .order_by(c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [_entry(r) for r in (await conn.execute(q)).all()]

    async def latest_at(self, *, author: str, category: Category) -> int | None:
        """``at_ms`` of the newest entry by ``author`` in ``category`` (None: there is none)."""
        c = shift_log.c
        q = select(func.max(c.at_ms)).where(c.author == author, c.category == category.value)
        async with self.engine.connect() as conn:
            value = (await conn.execute(q)).scalar_one_or_none()
        return None if value is None else int(value)

    async def page(
        self,
        *,
        since_ms: int | None = None,
        until_ms: int | None = None,
        category: Category | None = None,
        q: str | None = None,
        before: int | None = None,
        after: int | None = None,
        limit: int = 100,
    ) -> Page:
        """Entries newest first matching every filter given: written at or after ``since_ms``
        and before ``until_ms``, of ``category``, containing ``q`` (any case), with an id below
        ``before`` (the next page) or above ``after`` (what is new since the last poll)."""
        limit = max(1, min(limit, MAX_PAGE))
        c = shift_log.c
        query = select(*_COLUMNS).order_by(c.id.desc()).limit(limit + 1)
        if since_ms is not None:
            query = query.where(c.at_ms >= since_ms)
        if until_ms is not None:
            query = query.where(c.at_ms < until_ms)
        if category is not None:
            query = query.where(c.category == category.value)
        if q:
            query = query.where(c.search.like(_like(q), escape="\\"))
        if before is not None:
            query = query.where(c.id < before)
        if after is not None:
            query = query.where(c.id > after)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            entries = [_entry(r) for r in rows[:limit]]
            ids = [e.id for e in entries]
            corrections: dict[int, list[int]] = {}
            corrected: dict[int, LogEntry] = {}
            if ids:
                fix = select(c.id, c.corrects).where(c.corrects.in_(ids)).order_by(c.id)
                for fid, target in (await conn.execute(fix)).all():
                    corrections.setdefault(int(target), []).append(int(fid))
                on_page = set(ids)
                missing = {e.corrects for e in entries if e.corrects is not None} - on_page
                if missing:
                    for r in (await conn.execute(select(*_COLUMNS).where(c.id.in_(missing)))).all():
                        corrected[r._mapping["id"]] = _entry(r)
        next_before = entries[-1].id if len(rows) > limit else None
        return Page(entries, corrected, corrections, next_before)
