"""Operators' actions on alarms (acknowledge, shelve, unshelve, comment) stored in the database
as the truth, restored on restart and shared by every ``serve`` replica on one database.

Every replica ingests the same field data and raises the same conditions, but each numbers its
alarms itself: alarm ids are process-local and never shared. An action is keyed by the alarm's
**condition key plus its episode**, an ``alarm_episode`` row the database numbers:

- the first action on an alarm that has no episode yet takes the key's *open* episode or
  creates it: ``INSERT … ON CONFLICT DO NOTHING`` against a unique index on the key among open
  episodes (``closed_ms IS NULL``), then ``SELECT`` it. Two replicas acting at once on the same
  condition therefore get the same episode id; every later action on that alarm reuses it;
- the episode closes when the alarm returns to normal (acknowledged and cleared), so the next
  raise of the key is a new episode.

Why not the raise time: each replica stamps a raise with its own clock when the message
arrives, so the two raise times of one condition differ by the ingest skew and cannot be
matched exactly; a database-numbered episode needs no clock agreement, and only alarms an
operator acted on get a row.

``alarm_action`` is append-only (``seq`` orders it). Writing an action and its ``NOTIFY`` is one
transaction, committed before the API answers (an acknowledged action survives ``kill -9``);
on PostgreSQL writers take a transaction advisory lock, so ``seq`` order is commit order and a
reader's cursor never skips a row that commits late. ``kind`` leaves room for more actions
(state-based suppression) without a change of shape.

Every replica ``LISTEN``s on PostgreSQL (a dedicated asyncpg connection); a notification only
wakes it: it reads the rows after its cursor from the table and applies them to its book. A
dropped listening connection is opened again at once (and the table read); any notification
lost all the same is repaired by the catch-up poll every ``poll_s``. Rows a replica wrote
itself are skipped (no echo); an action that finds the alarm already in that state ("already
acknowledged") is taken as done, never an error. An action whose alarm this replica has not
raised yet is kept and retried for ``pending_s`` (in memory: a restart in that window loses
it here). SQLite is one process: nothing to listen to, the table is still the record.

The cursor, the rows written past it and the alarm → episode bindings are saved with the
alarm book in the operating record (:class:`services.ops_record.OpsRecorder`), in the same
snapshot, so a restart applies the actions the snapshot has not seen (a comment already in
the book is recognised by its user, time and text and not added twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

import structlog
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from line.clock import Clock
from services.alarm_migrations import STREAM
from storage.engine import writer
from storage.table_store import TableStore
from telemetry.alarms import Alarm, AlarmBook, AlarmError, AlarmNotFound, AlarmState

log = structlog.get_logger(__name__)

CHANNEL = "metro_alarm_actions"
#: serialises action writers on PostgreSQL (``seq`` order = commit order)
WRITE_LOCK = 0x6D657472  # "metr"
#: an episode closed this long before a replica's alarm was raised is not that alarm's
_EPISODE_SLACK_MS = 5_000

metadata = MetaData()

_Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

alarm_episode = Table(
    "alarm_episode",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("alarm_key", String(200), nullable=False),
    Column("opened_ms", BigInteger, nullable=False),
    Column("closed_ms", BigInteger, nullable=True),
    Index(
        "alarm_episode_open_key",
        "alarm_key",
        unique=True,
        sqlite_where=text("closed_ms IS NULL"),
        postgresql_where=text("closed_ms IS NULL"),
    ),
)

alarm_action = Table(
    "alarm_action",
    metadata,
    Column("seq", _Id, primary_key=True, autoincrement=True),
    Column("episode_id", _Id, ForeignKey("alarm_episode.id"), nullable=False),
    Column("alarm_key", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("text", String(2000), nullable=True),  # the shelve reason, or the comment
    Column("until_ms", BigInteger, nullable=True),  # a shelve's expiry
    Column("origin", String(36), nullable=False),  # the replica (process) that wrote it
)


class ActionKind(StrEnum):
    ACK = "ack"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    COMMENT = "comment"
    APPROVE_SHELVE = "approve_shelve"  # a second person approves a P1/P2 shelve request


@dataclass(frozen=True, slots=True)
class AlarmAction:
    """One operator action; ``text`` is the shelve reason or the comment."""

    kind: ActionKind
    user: str
    text: str | None = None
    until_ms: int | None = None

    def apply(self, book: AlarmBook, alarm_id: int, at_ms: int | None = None) -> Alarm:
        """Do it on ``book`` (raises :class:`AlarmError` when refused)."""
        match self.kind:
            case ActionKind.ACK:
                return book.ack(alarm_id, self.user, at_ms=at_ms)
            case ActionKind.SHELVE:
                return book.shelve(
                    alarm_id, self.user, self.text or "", self.until_ms or 0, at_ms=at_ms
                )
            case ActionKind.UNSHELVE:
                return book.unshelve(alarm_id, self.user, at_ms=at_ms)
            case ActionKind.COMMENT:
                return book.comment(alarm_id, self.user, self.text or "", at_ms=at_ms)
            case ActionKind.APPROVE_SHELVE:
                return book.approve_shelve(alarm_id, self.user, at_ms=at_ms)


class AlarmActionStore(TableStore):
    """The two tables, migrated by their own stream (``services/alarm_migrations``)."""

    stream = STREAM
    name = "alarm action"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def write(
        self,
        key: str,
        episode: int | None,
        action: AlarmAction,
        at_ms: int,
        origin: str,
        *,
        close: bool,
    ) -> tuple[int, int]:
        """Store one action (taking or opening the key's episode when ``episode`` is None),
        close the episode if ``close``, and ``NOTIFY``: one transaction. (episode, seq)."""
        async with writer(self.engine).begin() as conn:
            if self.is_postgres:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
            if episode is None:
                episode = await self._open_episode(conn, key, at_ms)
            seq = (
                await conn.execute(
                    alarm_action.insert().returning(alarm_action.c.seq),
                    {
                        "episode_id": episode,
                        "alarm_key": key,
                        "kind": action.kind.value,
                        "actor": action.user,
                        "at_ms": at_ms,
                        "text": action.text,
                        "until_ms": action.until_ms,
                        "origin": origin,
                    },
                )
            ).scalar_one()
            if close:
                await self._close(conn, episode, at_ms)
            if self.is_postgres:
                # delivered when the transaction commits, never before the row is visible
                await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": str(seq)})
        return episode, int(seq)

    async def _open_episode(self, conn: AsyncConnection, key: str, now_ms: int) -> int:
        values = {"alarm_key": key, "opened_ms": now_ms}
        where = alarm_episode.c.closed_ms.is_(None)
        ins = pg_insert(alarm_episode) if self.is_postgres else sqlite_insert(alarm_episode)
        await conn.execute(
            ins.values(values).on_conflict_do_nothing(
                index_elements=["alarm_key"], index_where=where
            )
        )
        found = await conn.execute(
            select(alarm_episode.c.id).where(alarm_episode.c.alarm_key == key, where)
        )
        return int(found.scalar_one())

    @staticmethod
    async def _close(conn: AsyncConnection, episode: int, now_ms: int) -> None:
        await conn.execute(
            alarm_episode.update()
            .where(alarm_episode.c.id == episode, alarm_episode.c.closed_ms.is_(None))
            .values(closed_ms=now_ms)
        )

    async def close_episodes(self, episodes: list[int], now_ms: int) -> None:
        async with writer(self.engine).begin() as conn:
            for ep in episodes:
                await self._close(conn, ep, now_ms)

    async def after(self, seq: int, *, open_only: bool = False, limit: int = 1000) -> list[Any]:
        """Actions after ``seq`` in order, with their episode's ``closed_ms``; ``open_only``:
        only those of episodes still open (a replica with no record of its own)."""
        q = (
            select(alarm_action, alarm_episode.c.closed_ms)
            .join(alarm_episode, alarm_episode.c.id == alarm_action.c.episode_id)
            .where(alarm_action.c.seq > seq)
            .order_by(alarm_action.c.seq)
            .limit(limit)
        )
        if open_only:
            q = q.where(alarm_episode.c.closed_ms.is_(None))
        async with self.engine.connect() as conn:
            return list((await conn.execute(q)).all())

    async def last_seq(self) -> int:
        async with self.engine.connect() as conn:
            found = await conn.execute(
                select(alarm_action.c.seq).order_by(alarm_action.c.seq.desc()).limit(1)
            )
            return int(found.scalar() or 0)


@dataclass(slots=True)
class _Pending:
    row: Any
    until: float  # monotonic


@dataclass(slots=True)
class _Unwritten:
    alarm_id: int
    key: str
    action: AlarmAction
    at_ms: int
    close: bool


class AlarmActions:
    """The one path of operator actions on alarms (single or bulk): apply to the book, store,
    wake the other replicas; and apply theirs. ``async with`` opens the tables and catches up."""

    def __init__(
        self,
        store: AlarmActionStore,
        alarms: AlarmBook,
        *,
        clock: Clock,
        poll_s: float = 5.0,
        pending_s: float = 120.0,
        timeout_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._alarms = alarms
        self._clock = clock
        self._poll_s = poll_s
        self._pending_s = pending_s
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self.origin = str(uuid.uuid4())  # this process: its own rows are not applied twice
        self._lock = asyncio.Lock()  # one write or one catch-up at a time, in order
        self._wake = asyncio.Event()
        self._cursor = 0  # every row up to here has been read (applied, skipped or pending)
        self._mine: set[int] = set()  # rows past the cursor that this process wrote
        self._episode_of: dict[int, int] = {}  # alarm id -> episode
        self._alarm_of: dict[int, int] = {}  # episode -> alarm id
        self._closed: set[int] = set()  # episodes this process has closed
        self._pending: list[_Pending] = []
        self._unwritten: list[_Unwritten] = []
        self._restored = False
        self._listener: Any = None  # asyncpg connection on PostgreSQL
        self.revision = 0  # moves when export() would change
        self.error: str | None = None

    # --- the record --------------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        return {
            "cursor": self._cursor,
            "mine": sorted(self._mine),
            "episodes": {str(a): e for a, e in self._episode_of.items()},
        }

    def restore(self, saved: dict[str, Any] | None) -> None:
        """What :meth:`export` saved, with the book's snapshot (before :meth:`__aenter__`)."""
        if not saved:
            return
        self._cursor = int(saved.get("cursor", 0))
        self._mine = {int(s) for s in saved.get("mine", [])}
        for a, e in (saved.get("episodes") or {}).items():
            self._bind(int(a), int(e))
        self._restored = True

    # --- life cycle --------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        await self._store.__aenter__()
        try:
            async with asyncio.timeout(self._timeout_s * 4):
                if not self._restored:
                    # no record of our own: take up the actions of the episodes still open
                    # (the rest are history) and read on from the newest row
                    last = await self._store.last_seq()
                    rows = await self._store.after(0, open_only=True, limit=100_000)
                    self._take(rows)
                    self._cursor = max(self._cursor, last)
                await self.catch_up()
                await self._listen()
        except BaseException:
            await self._close_listener()
            await self._store.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._close_listener()
        await self._store.__aexit__(None, None, None)

    async def run(self) -> None:
        """Catch up on a notification, every ``poll_s`` anyway (a lost notification), and
        sooner while actions wait for their alarm; until cancelled."""
        while True:
            wait = 0.5 if self._pending or self._unwritten else self._poll_s
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            self._wake.clear()
            try:
                if self._listener is None or self._listener.is_closed():
                    await self._listen()
                await self.catch_up()
                self.error = None
            except Exception as exc:
                if self.error is None:
                    log.error("alarm actions not synchronised", error=repr(exc))
                self.error = repr(exc)

    # --- the operator side -------------------------------------------------------------------
    async def act(self, alarm_id: int, action: AlarmAction) -> Alarm:
        """Apply ``action`` to the alarm and store it before returning (the API answers after).

        Refused by the book (:class:`AlarmError`): nothing is stored. A database failure does
        not undo the action the operator saw: it is kept and written by :meth:`run` as soon as
        the database answers again (``error`` says so until then, and /healthz shows it).
        """
        async with self._lock:
            alarm = action.apply(self._alarms, alarm_id)
            at_ms = self._action_time(alarm, action)
            job = _Unwritten(alarm.id, alarm.key, action, at_ms, alarm.state is AlarmState.NORMAL)
            self._unwritten.append(job)  # behind any still waiting: the table keeps their order
            try:
                await self._flush()
            except Exception as exc:
                self.error = repr(exc)
                log.error("alarm action not stored yet", alarm_id=alarm_id, error=repr(exc))
            return alarm

    async def _flush(self) -> None:
        while self._unwritten:
            await self._write(self._unwritten[0])
            self._unwritten.pop(0)

    def _action_time(self, alarm: Alarm, action: AlarmAction) -> int:
        if action.kind is ActionKind.COMMENT and alarm.comments:
            return alarm.comments[-1].ts_ms
        if action.kind is ActionKind.ACK and alarm.acked_ms is not None:
            return alarm.acked_ms
        return alarm.events[-1].ts_ms if alarm.events else self._clock()

    async def _write(self, job: _Unwritten) -> None:
        async with asyncio.timeout(self._timeout_s):
            episode, seq = await self._store.write(
                job.key,
                self._episode_of.get(job.alarm_id),
                job.action,
                job.at_ms,
                self.origin,
                close=job.close,
            )
        self._bind(job.alarm_id, episode)
        if job.close:
            self._closed.add(episode)
        self._mine.add(seq)
        self.revision += 1

    # --- the other replicas' side ------------------------------------------------------------
    async def catch_up(self) -> None:
        """Write what is waiting, read the rows after the cursor, apply what is for us."""
        async with self._lock:
            await self._flush()
            async with asyncio.timeout(self._timeout_s):
                rows = await self._store.after(self._cursor)
            self._take(rows)
            self._retry_pending()
            await self._close_finished()

    def _take(self, rows: list[Any]) -> None:
        for row in rows:
            seq = int(row.seq)
            if seq in self._mine or row.origin == self.origin:
                self._mine.discard(seq)
            elif not self._apply(row):
                self._pending.append(_Pending(row, self._monotonic() + self._pending_s))
            self._cursor = max(self._cursor, seq)
            self.revision += 1

    def _retry_pending(self) -> None:
        now = self._monotonic()
        still: list[_Pending] = []
        for p in self._pending:
            if self._apply(p.row):
                continue
            if p.until > now:
                still.append(p)
            else:
                log.info("alarm action dropped: no such alarm here", key=p.row.alarm_key)
        self._pending = still

    def _apply(self, row: Any) -> bool:
        """Apply a row another process wrote; False: its alarm is not here (yet)."""
        alarm, done = self._find(int(row.episode_id), row)
        if alarm is None:
            return done  # done: not ours to apply (an older episode, or aged out)
        action = AlarmAction(ActionKind(row.kind), row.actor, row.text, row.until_ms)
        at_ms = int(row.at_ms)
        if action.kind is ActionKind.COMMENT and any(
            c.ts_ms == at_ms and c.user == action.user and c.text == action.text
            for c in alarm.comments
        ):
            return True  # saved with the book already (a restart replaying its own row)
        try:
            action.apply(self._alarms, alarm.id, at_ms=at_ms)
        except AlarmError as exc:
            # already in that state here (acknowledged, shelved), or no longer possible
            log.debug("alarm action already in effect", key=row.alarm_key, why=str(exc))
        return True

    def _find(self, episode: int, row: Any) -> tuple[Alarm | None, bool]:
        """The alarm ``row`` is about here, or (None, False): not raised here yet, or
        (None, True): there is none to apply it to any more."""
        bound = self._alarm_of.get(episode)
        if bound is not None:
            try:
                return self._alarms.get(bound), True
            except AlarmNotFound:
                return None, True
        alarm = self._alarms.open_for(row.alarm_key)
        if alarm is None:
            return None, False
        mine = self._episode_of.get(alarm.id)
        if mine is not None:
            # our alarm of that key is another episode: a newer one of theirs means ours has
            # not returned to normal here yet; an older one is over
            return None, episode < mine
        closed = row.closed_ms
        if closed is not None and alarm.first_raised_ms > int(closed) + _EPISODE_SLACK_MS:
            return None, True  # that episode ended before our alarm of the key began
        self._bind(alarm.id, episode)
        return alarm, True

    async def _close_finished(self) -> None:
        """Close the episodes of bound alarms that returned to normal here; forget bindings of
        alarms aged out of the book."""
        done: list[int] = []
        for alarm_id, episode in list(self._episode_of.items()):
            try:
                a = self._alarms.get(alarm_id)
            except AlarmNotFound:
                del self._episode_of[alarm_id]
                self._alarm_of.pop(episode, None)
                self.revision += 1
                continue
            if a.state is AlarmState.NORMAL and episode not in self._closed:
                done.append(episode)
        if done:
            async with asyncio.timeout(self._timeout_s):
                await self._store.close_episodes(done, self._clock())
            self._closed.update(done)

    def _bind(self, alarm_id: int, episode: int) -> None:
        if self._episode_of.get(alarm_id) != episode:
            self._episode_of[alarm_id] = episode
            self._alarm_of[episode] = alarm_id
            self.revision += 1

    # --- LISTEN ------------------------------------------------------------------------------
    async def _listen(self) -> None:
        if not self._store.is_postgres:
            return
        await self._close_listener()
        import asyncpg  # only on PostgreSQL

        # its own connection, not the pool's: it stays open, listening, for the process' life
        url = self._store.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn, timeout=self._timeout_s)
        await conn.add_listener(CHANNEL, self._notified)
        # a dropped listening connection wakes the loop, which listens again and catches up
        conn.add_termination_listener(self._notified)
        self._listener = conn
        self._wake.set()  # anything written while we were not listening

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._timeout_s):
                    await conn.close()
