"""The crew store: the roster, status events and tests in a database, every change audited.

:class:`CrewStore` is an async context manager: entering it opens the database and migrates it
to the latest schema; leaving it closes the connections. All writes follow three rules:

* **Optimistic concurrency.** Staff, contact groups and cohorts carry a ``version``; an update
  or delete names the version it was made from and fails with :class:`VersionConflict` when
  someone else changed the record since. Writers take turns (each write locks the one
  ``crew_meta`` row first), and the ``UPDATE … WHERE version = ?`` backs the check up.
* **Idempotency.** Status events and test results carry the client's id; recording the same
  fact again returns the stored one (``created=False``); the same id with other content is an
  :class:`IdConflict`.
* **Audit.** Every change writes an audit record (who, when in UTC ms, what, before/after) in
  the same transaction as the change itself, and bumps the store's ``revision``.

Reads survive a row they cannot decode (written before the store refused out-of-range values,
or by hand): it is left out of what they return and listed by :meth:`CrewStore.unreadable`
(the runtime shows it on ``/healthz`` and raises an alarm), so one bad row does not take every
crew screen down with it. Reading it alone is :class:`Unreadable` (409); deleting it, or
replacing it with a valid record, works as usual.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crew.hours import WorkRecord
from crew.migrations import STREAM
from crew.model import Cohort, ContactGroup, Roster, Staff, StatusEvent, TestResult, instant_refusal
from crew.rules import ContactTrace, CrewPolicy, declare_f0
from crew.status import StatusHistory
from crew.store import codec
from crew.store.errors import IdConflict, InvalidChange, NotFound, Unreadable, VersionConflict
from crew.store.records import (
    AuditRecord,
    CrewSnapshot,
    Recorded,
    RosterChange,
    Versioned,
)
from crew.store.tables import (
    AuditRow,
    CohortRow,
    GroupRow,
    MetaRow,
    StaffRow,
    StatusEventRow,
    TestResultRow,
    WorkRow,
)
from line.catalogue import Message
from line.clock import Clock, wall_ms
from storage.engine import DEFAULT_TIMEOUT_S, writer
from storage.migrations import open_migrated


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one versioned entity maps to its table."""

    entity: str
    row: type[Any]
    fields: Callable[[Any], dict[str, Any]]
    load: Callable[[Any], Any]


_STAFF = _Kind("staff", StaffRow, codec.staff_fields, codec.staff_from_row)
_GROUP = _Kind("group", GroupRow, codec.group_fields, codec.group_from_row)
_COHORT = _Kind("cohort", CohortRow, codec.cohort_fields, codec.cohort_from_row)

#: What decoding a stored row raises when a value cannot be read back: an instant past what a
#: datetime holds (OverflowError), a value a model refuses (ValidationError is a ValueError).
_UNDECODABLE = (OverflowError, ValueError)
_R = TypeVar("_R")
_G = TypeVar("_G", ContactGroup, Cohort)
_T = TypeVar("_T")


class _Unreadable:
    """The rows reads had to leave out, per table: ``{table: {row id: why}}``. A read of a
    whole table says afresh which of its rows are bad; a row written or deleted is forgotten."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}

    def decode(
        self, table: str, rows: Iterable[_R], key: Callable[[_R], str], load: Callable[[_R], _T],
        *, whole: bool,
    ) -> list[_T]:  # fmt: skip
        bad = self.rows.setdefault(table, {})
        if whole:
            bad.clear()
        out: list[_T] = []
        for r in rows:
            try:
                out.append(load(r))
            except _UNDECODABLE as exc:
                bad[key(r)] = _why(exc)
            else:
                bad.pop(key(r), None)
        return out

    def note(self, table: str, row_id: str, why: str) -> None:
        self.rows.setdefault(table, {})[row_id] = why

    def forget(self, table: str, row_id: str) -> None:
        self.rows.get(table, {}).pop(row_id, None)

    def listing(self) -> list[str]:
        return [
            f"{table} {rid}: {why}"
            for table, bad in sorted(self.rows.items())
            for rid, why in sorted(bad.items())
        ]


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        e = exc.errors(include_url=False)[0]
        return f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"[:200]
    return str(exc)[:200]


@dataclass
class _Tx:
    """One write transaction: the session, its clock reading, and the audit it produces."""

    session: AsyncSession
    meta: MetaRow
    actor: str
    now_ms: int
    context: str = ""
    changed: bool = field(default=False)

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: str,
        *,
        version: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        context: str | None = None,
    ) -> None:
        self.session.add(
            AuditRow(
                at_ms=self.now_ms,
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                version=version,
                before=before,
                after=after,
                context=self.context if context is None else context,
            )
        )
        self.changed = True


class CrewStore:
    """The crew record in a database (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``).

    ``policy`` supplies the F0 release rule of the histories it builds and the contact
    tracing of :meth:`declare_case`; ``clock`` gives UTC milliseconds.
    """

    def __init__(
        self,
        url: str,
        *,
        policy: CrewPolicy | None = None,
        clock: Clock = wall_ms,
        busy_timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.policy = policy or CrewPolicy()
        self._clock = clock
        self._busy_timeout_s = busy_timeout_s
        self._engine: AsyncEngine | None = None
        self._read: async_sessionmaker[AsyncSession] | None = None
        self._write: async_sessionmaker[AsyncSession] | None = None
        self._bad = _Unreadable()

    # --- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        engine = await open_migrated(self.url, STREAM, busy_timeout_s=self._busy_timeout_s)
        self._engine = engine
        self._read = async_sessionmaker(engine, expire_on_commit=False)
        self._write = async_sessionmaker(writer(engine), expire_on_commit=False)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = self._read = self._write = None

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the crew store is not open: use `async with CrewStore(...)`")
        return self._engine

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncSession]:
        if self._read is None:
            raise RuntimeError("the crew store is not open: use `async with CrewStore(...)`")
        async with self._read() as s, s.begin():
            if self.engine.dialect.name == "postgresql":
                # one snapshot for every statement of the read (SQLite's read is one already)
                await s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield s

    @contextlib.asynccontextmanager
    async def _writing(self, actor: str, context: str = "") -> AsyncIterator[_Tx]:
        if self._write is None:
            raise RuntimeError("the crew store is not open: use `async with CrewStore(...)`")
        if not actor:
            raise ValueError("a change needs an actor (who makes it)")
        async with self._write() as s, s.begin():
            meta = (
                await s.execute(select(MetaRow).where(MetaRow.id == 1).with_for_update())
            ).scalar_one()
            tx = _Tx(s, meta, actor, self._clock(), context)
            yield tx
            if tx.changed:
                meta.revision += 1

    # --- reads -------------------------------------------------------------------------------
    def unreadable(self) -> list[str]:
        """The stored rows the last reads had to leave out, each as ``"<table> <id>: why"``
        (empty when all is well): they need deleting or re-entering."""
        return self._bad.listing()

    async def revision(self) -> int:
        """Bumped by every change: unchanged means nothing to reload."""
        async with self._reading() as s:
            return (await s.execute(select(MetaRow.revision).where(MetaRow.id == 1))).scalar_one()

    async def staff(self) -> list[Versioned[Staff]]:
        return await self._list(_STAFF)

    async def get_staff(self, staff_id: str) -> Versioned[Staff]:
        return await self._get(_STAFF, staff_id)

    async def groups(self) -> list[Versioned[ContactGroup]]:
        return await self._list(_GROUP)

    async def get_group(self, group_id: str) -> Versioned[ContactGroup]:
        return await self._get(_GROUP, group_id)

    async def cohorts(self) -> list[Versioned[Cohort]]:
        return await self._list(_COHORT)

    async def get_cohort(self, cohort_id: str) -> Versioned[Cohort]:
        return await self._get(_COHORT, cohort_id)

    async def status_events(self, staff_id: str | None = None) -> list[StatusEvent]:
        """Status events (of one person), by effective time."""
        q = select(StatusEventRow).order_by(StatusEventRow.effective_us, StatusEventRow.event_id)
        if staff_id is not None:
            q = q.where(StatusEventRow.staff_id == staff_id)
        async with self._reading() as s:
            rows = (await s.scalars(q)).all()
        return self._events(rows, whole=staff_id is None)

    async def test_results(self, staff_id: str | None = None) -> list[TestResult]:
        """Test results (of one person), by time taken."""
        q = select(TestResultRow).order_by(TestResultRow.taken_us, TestResultRow.test_id)
        if staff_id is not None:
            q = q.where(TestResultRow.staff_id == staff_id)
        async with self._reading() as s:
            rows = (await s.scalars(q)).all()
        return self._tests(rows, whole=staff_id is None)

    async def roster(self) -> Roster:
        async with self._reading() as s:
            return await self._load_roster(s)

    async def snapshot(self, *, work_since: datetime | None = None) -> CrewSnapshot:
        """Roster, history and (with ``work_since``) the shifts worked since then, at one
        revision (for coverage and the live checks)."""
        async with self._reading() as s:
            rev = (await s.execute(select(MetaRow.revision).where(MetaRow.id == 1))).scalar_one()
            roster = await self._load_roster(s)
            history = await self._load_history(s)
            work: tuple[WorkRecord, ...] = ()
            if work_since is not None:
                q = select(WorkRow).where(WorkRow.start_us >= codec.to_us(work_since))
                work = tuple(self._work((await s.scalars(q)).all(), whole=False))
        return CrewSnapshot(rev, roster, history, work)

    async def work_records(
        self, staff_id: str | None = None, *, since: datetime | None = None
    ) -> list[tuple[str, WorkRecord]]:
        """Shifts worked as ``(work_id, record)``, by start."""
        q = select(WorkRow).order_by(WorkRow.start_us, WorkRow.work_id)
        if staff_id is not None:
            q = q.where(WorkRow.staff_id == staff_id)
        if since is not None:
            q = q.where(WorkRow.start_us >= codec.to_us(since))
        async with self._reading() as s:
            rows = (await s.scalars(q)).all()
        whole = staff_id is None and since is None
        return self._bad.decode(
            "work", rows, _work_id, lambda r: (r.work_id, codec.work_from_row(r)), whole=whole
        )

    async def audit(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[AuditRecord]:
        """Audit records, newest first (``before_id`` pages back)."""
        q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if entity is not None:
            q = q.where(AuditRow.entity == entity)
        if entity_id is not None:
            q = q.where(AuditRow.entity_id == entity_id)
        if before_id is not None:
            q = q.where(AuditRow.id < before_id)
        async with self._reading() as s:
            rows = (await s.scalars(q)).all()
        return [
            AuditRecord(
                r.id,
                r.at_ms,
                r.actor,
                r.action,
                r.entity,
                r.entity_id,
                r.version,
                r.before,
                r.after,
                r.context,
            )
            for r in rows
        ]

    # --- staff, groups, cohorts --------------------------------------------------------------
    async def create_staff(self, staff: Staff, *, actor: str) -> Versioned[Staff]:
        async with self._writing(actor) as tx:
            return await self._create(tx, _STAFF, staff)

    async def update_staff(
        self, staff: Staff, *, expected_version: int, actor: str
    ) -> Versioned[Staff]:
        async with self._writing(actor) as tx:
            return await self._update(tx, _STAFF, staff, expected_version)

    async def delete_staff(self, staff_id: str, *, expected_version: int, actor: str) -> None:
        """Delete a person; they leave their contact groups and cohorts (each audited).
        Their status events and tests stay in the history."""
        async with self._writing(actor) as tx:
            await self._delete(tx, _STAFF, staff_id, expected_version)
            why = f"staff {staff_id} deleted"
            for kind in (_GROUP, _COHORT):
                rows = (await tx.session.scalars(select(kind.row))).all()
                for row in rows:
                    if staff_id not in row.members:
                        continue
                    if _stored_view(kind, row) is None:  # unreadable: its members still go
                        before = _raw_view(row)
                        row.members = [m for m in row.members if m != staff_id]
                        row.updated_ms = tx.now_ms
                        await tx.session.flush()
                        tx.audit("update", kind.entity, row.id, version=row.version,
                                 before=before, after=_raw_view(row), context=why)  # fmt: skip
                        continue
                    old = kind.load(row)
                    new = old.model_copy(
                        update={"members": tuple(m for m in old.members if m != staff_id)}
                    )
                    await self._update(tx, kind, new, row.version, context=why)

    async def create_group(self, group: ContactGroup, *, actor: str) -> Versioned[ContactGroup]:
        async with self._writing(actor) as tx:
            await _check_group_id_free(tx.session, group.id)
            await _check_members(tx.session, group.members)
            return await self._create(tx, _GROUP, group)

    async def update_group(
        self, group: ContactGroup, *, expected_version: int, actor: str
    ) -> Versioned[ContactGroup]:
        async with self._writing(actor) as tx:
            await _check_members(tx.session, group.members)
            return await self._update(tx, _GROUP, group, expected_version)

    async def delete_group(self, group_id: str, *, expected_version: int, actor: str) -> None:
        async with self._writing(actor) as tx:
            await self._delete(tx, _GROUP, group_id, expected_version)

    async def create_cohort(self, cohort: Cohort, *, actor: str) -> Versioned[Cohort]:
        async with self._writing(actor) as tx:
            await _check_group_id_free(tx.session, cohort.id)
            await _check_members(tx.session, cohort.members)
            return await self._create(tx, _COHORT, cohort)

    async def update_cohort(
        self, cohort: Cohort, *, expected_version: int, actor: str
    ) -> Versioned[Cohort]:
        async with self._writing(actor) as tx:
            await _check_members(tx.session, cohort.members)
            return await self._update(tx, _COHORT, cohort, expected_version)

    async def delete_cohort(self, cohort_id: str, *, expected_version: int, actor: str) -> None:
        async with self._writing(actor) as tx:
            await self._delete(tx, _COHORT, cohort_id, expected_version)

    async def replace_roster(
        self,
        roster: Roster,
        *,
        actor: str,
        context: str,
        expected_revision: int | None = None,
        cohorts: bool = False,
    ) -> RosterChange:
        """Make the staff and contact groups (and, with ``cohorts``, the cohorts) exactly those
        of ``roster``, in one transaction: each difference is one audited create, update or
        delete. Kept cohorts must still name only staff in ``roster``.

        ``expected_revision`` (from :meth:`snapshot` or :meth:`revision`) refuses the change
        if anything changed since, e.g. between reading the roster and importing a merge.
        """
        async with self._writing(actor, context) as tx:
            if expected_revision is not None and tx.meta.revision != expected_revision:
                raise VersionConflict("roster", "", expected_revision, tx.meta.revision)
            created: list[str] = []
            updated: list[str] = []
            deleted: list[str] = []
            unchanged = 0
            plan: list[tuple[_Kind, Sequence[Any]]] = [
                (_STAFF, roster.staff),
                (_GROUP, roster.groups),
            ]
            if cohorts:
                plan.append((_COHORT, roster.cohorts))
            else:
                known = {s.id for s in roster.staff}
                group_ids = {g.id for g in roster.groups}
                for c in (await tx.session.scalars(select(CohortRow))).all():
                    gone = sorted(set(c.members) - known)
                    if gone:
                        raise InvalidChange(
                            Message(
                                "crew.refused.cohort_drops",
                                {"cohort": c.id, "staff": ", ".join(gone)},
                            ),
                            "cohorts",
                        )
                    if c.id in group_ids:
                        raise InvalidChange(
                            Message("crew.refused.group_is_cohort", {"id": c.id}), "groups"
                        )
            # no foreign keys: the roster given is consistent, so the order does not matter
            for kind, items in plan:
                rows = {r.id: r for r in (await tx.session.scalars(select(kind.row))).all()}
                for item in items:
                    key = f"{kind.entity}:{item.id}"
                    row = rows.pop(item.id, None)
                    if row is None:
                        await self._create(tx, kind, item)
                        created.append(key)
                    elif _stored_view(kind, row) is None or kind.fields(item) != _row_fields(
                        kind, row
                    ):
                        await self._update(tx, kind, item, row.version)
                        updated.append(key)
                    else:
                        unchanged += 1
                for gone_id, row in sorted(rows.items()):
                    await self._delete(tx, kind, gone_id, row.version)
                    deleted.append(f"{kind.entity}:{gone_id}")
            await tx.session.flush()
            revision = tx.meta.revision + (1 if tx.changed else 0)
        return RosterChange(tuple(created), tuple(updated), tuple(deleted), unchanged, revision)

    # --- status events, tests, cases ---------------------------------------------------------
    async def record_status(self, event: StatusEvent, *, actor: str) -> Recorded[StatusEvent]:
        """Append a status event; a retry with the same ``event_id`` and content is a no-op."""
        async with self._writing(actor) as tx:
            return await self._append_event(tx, event)

    async def record_test(self, test: TestResult, *, actor: str) -> Recorded[TestResult]:
        """Append a test result; a retry with the same ``test_id`` and content is a no-op."""
        async with self._writing(actor) as tx:
            await _require_staff(tx.session, test.staff_id)
            have = await tx.session.get(TestResultRow, test.test_id)
            if have is not None:
                stored = _decoded_or_refused(
                    "test_result", test.test_id, codec.result_from_row, have
                )
                if not codec.same_fact(test, stored):
                    raise IdConflict("test_result", test.test_id, "other_content")
                return Recorded(stored, False)
            row = codec.result_row(test, actor)
            tx.session.add(row)
            tx.audit("append", "test_result", test.test_id, after=codec.audit_view(test))
            return Recorded(codec.result_from_row(row), True)  # as stored (UTC), as a retry sees

    async def record_work(
        self, work_id: str, record: WorkRecord, *, actor: str
    ) -> Recorded[WorkRecord]:
        """Book a shift worked; a retry with the same ``work_id`` and content is a no-op."""
        async with self._writing(actor) as tx:
            await _require_staff(tx.session, record.staff_id)
            have = await tx.session.get(WorkRow, work_id)
            if have is not None:
                stored = _decoded_or_refused("work", work_id, codec.work_from_row, have)
                if stored != record:
                    raise IdConflict("work", work_id, "other_content")
                return Recorded(stored, False)
            row = codec.work_row(work_id, record, tx.now_ms * 1000, actor)
            tx.session.add(row)
            tx.audit("append", "work", work_id, after=codec.work_view(work_id, record))
            return Recorded(codec.work_from_row(row), True)

    async def declare_case(
        self, staff_id: str, at: datetime, *, actor: str
    ) -> tuple[ContactTrace, int]:
        """Declare ``staff_id`` F0 at ``at`` and mark their contacts F1, in one transaction.

        Returns the trace (who was marked and why) and how many events were new; declaring
        the same case again adds nothing (the event ids derive from the case and time).
        """
        async with self._writing(actor, f"F0 declared: {staff_id}") as tx:
            roster = await self._load_roster(tx.session)
            if staff_id not in roster.by_id:
                raise NotFound("staff", staff_id)
            history = await self._load_history(tx.session)
            try:
                trace = declare_f0(
                    roster,
                    history,
                    staff_id,
                    at,
                    self.policy,
                    recorded_at=codec.from_ms(tx.now_ms),
                )
            except ValidationError as exc:
                # an `at` so near the range's end that the isolation it starts ends outside it
                raise InvalidChange(instant_refusal(), "at") from exc
            new = 0
            for ev in (trace.case_event, *trace.events):
                new += (await self._append_event(tx, ev)).created
            return trace, new

    # --- helpers -----------------------------------------------------------------------------
    async def _load_history(self, s: AsyncSession) -> StatusHistory:
        events = (await s.scalars(select(StatusEventRow))).all()
        tests = (await s.scalars(select(TestResultRow))).all()
        return self.policy.history(self._events(events, whole=True), self._tests(tests, whole=True))

    def _events(self, rows: Sequence[StatusEventRow], *, whole: bool) -> list[StatusEvent]:
        return self._bad.decode("status_event", rows, _event_id, codec.event_from_row, whole=whole)

    def _tests(self, rows: Sequence[TestResultRow], *, whole: bool) -> list[TestResult]:
        return self._bad.decode("test_result", rows, _test_id, codec.result_from_row, whole=whole)

    def _work(self, rows: Sequence[WorkRow], *, whole: bool) -> list[WorkRecord]:
        return self._bad.decode("work", rows, _work_id, codec.work_from_row, whole=whole)

    async def _load_roster(self, s: AsyncSession) -> Roster:
        staff_rows = (await s.scalars(select(StaffRow).order_by(StaffRow.id))).all()
        group_rows = (await s.scalars(select(GroupRow).order_by(GroupRow.id))).all()
        cohort_rows = (await s.scalars(select(CohortRow).order_by(CohortRow.id))).all()
        staff = self._bad.decode("staff", staff_rows, _id, codec.staff_from_row, whole=True)
        groups = self._bad.decode("group", group_rows, _id, codec.group_from_row, whole=True)
        cohorts = self._bad.decode("cohort", cohort_rows, _id, codec.cohort_from_row, whole=True)
        # a person left out (unreadable) leaves the groups naming them, so the roster holds
        known = {p.id for p in staff}
        return Roster(
            staff=tuple(staff),
            groups=tuple(_known_members(g, known) for g in groups),
            cohorts=tuple(_known_members(c, known) for c in cohorts),
        )

    async def _append_event(self, tx: _Tx, event: StatusEvent) -> Recorded[StatusEvent]:
        await _require_staff(tx.session, event.staff_id)
        have = await tx.session.get(StatusEventRow, event.event_id)
        if have is not None:
            stored = _decoded_or_refused("status_event", event.event_id, codec.event_from_row, have)
            if not codec.same_fact(event, stored):
                raise IdConflict("status_event", event.event_id, "other_content")
            return Recorded(stored, False)
        row = codec.event_row(event, tx.actor)
        tx.session.add(row)
        self._bad.forget("status_event", event.event_id)
        tx.audit(
            "append",
            "status_event",
            event.event_id,
            after=codec.audit_view(event),
            context=event.source or tx.context,
        )
        return Recorded(codec.event_from_row(row), True)  # as stored (UTC), as a retry sees

    async def _list(self, kind: _Kind) -> list[Versioned[Any]]:
        async with self._reading() as s:
            rows = (await s.scalars(select(kind.row).order_by(kind.row.id))).all()
        return self._bad.decode(
            kind.entity, rows, _id, lambda r: Versioned(kind.load(r), r.version), whole=True
        )

    async def _get(self, kind: _Kind, entity_id: str) -> Versioned[Any]:
        async with self._reading() as s:
            row = await s.get(kind.row, entity_id)
        if row is None:
            raise NotFound(kind.entity, entity_id)
        try:
            return Versioned(
                _decoded_or_refused(kind.entity, entity_id, kind.load, row), row.version
            )
        except Unreadable as exc:
            self._bad.note(kind.entity, entity_id, exc.why)
            raise

    async def _create(self, tx: _Tx, kind: _Kind, item: Any) -> Versioned[Any]:
        if await tx.session.get(kind.row, item.id) is not None:
            raise IdConflict(kind.entity, item.id, "exists")
        row = kind.row(id=item.id, updated_ms=tx.now_ms, **kind.fields(item))
        tx.session.add(row)
        await tx.session.flush()  # assigns version 1
        self._bad.forget(kind.entity, item.id)
        tx.audit("create", kind.entity, item.id, version=row.version, after=_view(item))
        return Versioned(item, row.version)

    async def _update(
        self, tx: _Tx, kind: _Kind, item: Any, expected: int, *, context: str | None = None
    ) -> Versioned[Any]:
        row = await tx.session.get(kind.row, item.id)
        if row is None:
            raise NotFound(kind.entity, item.id)
        if row.version != expected:
            raise VersionConflict(kind.entity, item.id, expected, row.version)
        new_fields = kind.fields(item)
        before = _stored_view(kind, row)
        if before is None:
            before = _raw_view(row)  # unreadable: replaced by a valid record, kept as stored
        elif new_fields == _row_fields(kind, row):
            return Versioned(item, row.version)  # nothing changed: no new version, no audit
        for k, v in new_fields.items():
            setattr(row, k, v)
        row.updated_ms = tx.now_ms
        await tx.session.flush()  # UPDATE … WHERE version = expected; bumps the version
        self._bad.forget(kind.entity, item.id)
        tx.audit(
            "update",
            kind.entity,
            item.id,
            version=row.version,
            before=before,
            after=_view(item),
            context=context,
        )
        return Versioned(item, row.version)

    async def _delete(self, tx: _Tx, kind: _Kind, entity_id: str, expected: int) -> None:
        row = await tx.session.get(kind.row, entity_id)
        if row is None:
            raise NotFound(kind.entity, entity_id)
        if row.version != expected:
            raise VersionConflict(kind.entity, entity_id, expected, row.version)
        before = _stored_view(kind, row) or _raw_view(row)  # an unreadable row can go too
        await tx.session.delete(row)
        await tx.session.flush()
        self._bad.forget(kind.entity, entity_id)
        tx.audit("delete", kind.entity, entity_id, version=expected, before=before)


def _view(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = item.model_dump(mode="json")
    return out


def _row_fields(kind: _Kind, row: Any) -> dict[str, Any]:
    return kind.fields(kind.load(row))


def _decoded_or_refused(entity: str, row_id: str, load: Callable[[_R], _T], row: _R) -> _T:
    """The stored record a retry is compared with; one that cannot be read is refused."""
    try:
        return load(row)
    except _UNDECODABLE as exc:
        raise Unreadable(entity, row_id, _why(exc)) from exc


def _stored_view(kind: _Kind, row: Any) -> dict[str, Any] | None:
    """The stored record as the audit shows it; None when it cannot be read."""
    try:
        return _view(kind.load(row))
    except _UNDECODABLE:
        return None


def _raw_view(row: Any) -> dict[str, Any]:
    """An unreadable row's columns as stored (the audit keeps what was there)."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def _id(row: Any) -> str:
    return str(row.id)


def _event_id(row: StatusEventRow) -> str:
    return row.event_id


def _test_id(row: TestResultRow) -> str:
    return row.test_id


def _work_id(row: WorkRow) -> str:
    return row.work_id


def _known_members(g: _G, known: set[str]) -> _G:
    if all(m in known for m in g.members):
        return g
    return g.model_copy(update={"members": tuple(m for m in g.members if m in known)})


async def _require_staff(s: AsyncSession, staff_id: str) -> None:
    if await s.get(StaffRow, staff_id) is None:
        raise NotFound("staff", staff_id)


async def _check_members(s: AsyncSession, members: Iterable[str]) -> None:
    wanted = set(members)
    if not wanted:
        return
    found = set((await s.scalars(select(StaffRow.id).where(StaffRow.id.in_(wanted)))).all())
    unknown = sorted(wanted - found)
    if unknown:
        raise InvalidChange(
            Message("crew.refused.unknown_staff", {"staff": ", ".join(unknown)}), "members"
        )


async def _check_group_id_free(s: AsyncSession, group_id: str) -> None:
    """Group and cohort ids share one namespace (a cohort is also a contact group)."""
    for row in (GroupRow, CohortRow):
        if await s.get(row, group_id) is not None:
            raise IdConflict("group", group_id, "in_use")
