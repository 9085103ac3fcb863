"""Handovers in the database: tables ``handover`` and ``handover_ack`` (the shift log's
migration stream, ``s0002``), beside ``shift_log`` and opened through the shift log store's
engine.

State changes are conditional updates (``WHERE state = …``), so two people signing, or
accepting, at once cannot both succeed; an acknowledgement is a row keyed by (handover, item),
so acknowledging twice is harmless.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from line.catalogue import Message, Refusal
from shiftlog.handover import MAX_SUMMARY, Ack, Draft, Handover, HandoverState, Item
from shiftlog.shifts import Shift
from shiftlog.store import ShiftLogStore
from storage.engine import writer

metadata = MetaData()

handover = Table(
    "handover",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shift_id", String(24), nullable=False),
    Column("shift_start_ms", BigInteger, nullable=False),
    Column("shift_end_ms", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("opened_ms", BigInteger, nullable=False),
    Column("summary", Text, nullable=False),
    Column("items", JSON, nullable=False),
    Column("signed_by", String(200), nullable=True),
    Column("signed_ms", BigInteger, nullable=True),
    Column("accepted_by", String(200), nullable=True),
    Column("accepted_ms", BigInteger, nullable=True),
    UniqueConstraint("shift_start_ms", name="uq_handover_shift"),
)

handover_ack = Table(
    "handover_ack",
    metadata,
    Column("handover_id", Integer, ForeignKey("handover.id"), primary_key=True),
    Column("item_key", String(64), primary_key=True),
    Column("acked_by", String(200), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
)


class HandoverNotFound(Refusal, LookupError):
    """No handover with that id (or no such item in it)."""


class HandoverRefused(Refusal, ValueError):
    """The step is not allowed now (``message`` says why); nothing was changed."""


def _handover(row: Any, acks: list[Any]) -> Handover:
    m = row._mapping
    return Handover(
        id=m["id"],
        shift_id=m["shift_id"],
        shift_start_ms=m["shift_start_ms"],
        shift_end_ms=m["shift_end_ms"],
        state=HandoverState(m["state"]),
        opened_by=m["opened_by"],
        opened_ms=m["opened_ms"],
        summary=m["summary"],
        items=tuple(Item.from_json(i) for i in m["items"]),
        acks={
            a._mapping["item_key"]: Ack(
                a._mapping["item_key"], a._mapping["acked_by"], a._mapping["at_ms"]
            )
            for a in acks
        },
        signed_by=m["signed_by"],
        signed_ms=m["signed_ms"],
        accepted_by=m["accepted_by"],
        accepted_ms=m["accepted_ms"],
    )


class HandoverStore:
    """Handovers, stored in the shift log's database (open the log store first)."""

    def __init__(self, log: ShiftLogStore) -> None:
        self._log = log

    async def _read(self, conn: AsyncConnection, handover_id: int) -> Handover:
        row = (await conn.execute(select(handover).where(handover.c.id == handover_id))).first()
        if row is None:
            raise HandoverNotFound(Message("handover.refused.not_found", {"id": handover_id}))
        acks = (
            await conn.execute(
                select(handover_ack).where(handover_ack.c.handover_id == handover_id)
            )
        ).all()
        return _handover(row, list(acks))

    async def get(self, handover_id: int) -> Handover:
        async with self._log.engine.connect() as conn:
            return await self._read(conn, handover_id)

    async def for_shift(self, start_ms: int) -> Handover | None:
        async with self._log.engine.connect() as conn:
            hid = (
                await conn.execute(
                    select(handover.c.id).where(handover.c.shift_start_ms == start_ms)
                )
            ).scalar_one_or_none()
            return None if hid is None else await self._read(conn, hid)

    async def between(self, since_ms: int, until_ms: int) -> list[Handover]:
        """Handovers of shifts starting in ``[since_ms, until_ms)``, newest shift first."""
        async with self._log.engine.connect() as conn:
            ids = (
                await conn.execute(
                    select(handover.c.id)
                    .where(
                        handover.c.shift_start_ms >= since_ms, handover.c.shift_start_ms < until_ms
                    )
                    .order_by(handover.c.shift_start_ms.desc())
                )
            ).scalars()
            return [await self._read(conn, i) for i in list(ids)]

    async def latest_signed(self, before_ms: int | None = None) -> Handover | None:
        """The newest handover signed (or accepted) at or before ``before_ms``."""
        q = select(handover.c.id).where(handover.c.signed_ms.is_not(None))
        if before_ms is not None:
            q = q.where(handover.c.signed_ms <= before_ms)
        q = q.order_by(handover.c.signed_ms.desc()).limit(1)
        async with self._log.engine.connect() as conn:
            hid = (await conn.execute(q)).scalar_one_or_none()
            return None if hid is None else await self._read(conn, hid)

    async def open(
        self, shift: Shift, user: str, draft: Draft, at_ms: int
    ) -> tuple[Handover, bool]:
        """The shift's handover, opened now with ``draft`` unless one exists (then that one);
        the flag says whether it was made now."""
        try:
            return await self._open(shift, user, draft, at_ms)
        except IntegrityError:  # opened at the same moment by someone else: theirs it is
            found = await self.for_shift(shift.start_ms)
            if found is None:
                raise
            return found, False

    async def _open(
        self, shift: Shift, user: str, draft: Draft, at_ms: int
    ) -> tuple[Handover, bool]:
        async with writer(self._log.engine).begin() as conn:
            hid = (
                await conn.execute(
                    select(handover.c.id).where(handover.c.shift_start_ms == shift.start_ms)
                )
            ).scalar_one_or_none()
            if hid is not None:
                return await self._read(conn, hid), False
            result = await conn.execute(
                handover.insert()
                .values(
                    shift_id=shift.id,
                    shift_start_ms=shift.start_ms,
                    shift_end_ms=shift.end_ms,
                    state=HandoverState.DRAFT.value,
                    opened_by=user,
                    opened_ms=at_ms,
                    summary=draft.summary[:MAX_SUMMARY],
                    items=[i.to_json() for i in draft.items],
                )
                .returning(handover.c.id)
            )
            return await self._read(conn, result.scalar_one()), True

    async def _step(
        self, handover_id: int, *, expect: HandoverState, values: dict[str, Any], why: Message
    ) -> Handover:
        async with writer(self._log.engine).begin() as conn:
            done = await conn.execute(
                handover.update()
                .where(handover.c.id == handover_id, handover.c.state == expect.value)
                .values(**values)
            )
            if done.rowcount != 1:
                current = await self._read(conn, handover_id)  # HandoverNotFound if none
                raise HandoverRefused(
                    Message(
                        "handover.refused.state",
                        {"why": why, "state": Message(f"handover.state.{current.state.value}")},
                    )
                )
            return await self._read(conn, handover_id)

    async def edit(self, handover_id: int, summary: str) -> Handover:
        if len(summary) > MAX_SUMMARY:
            raise HandoverRefused(Message("handover.refused.summary_long", {"max": MAX_SUMMARY}))
        return await self._step(
            handover_id,
            expect=HandoverState.DRAFT,
            values={"summary": summary},
            why=Message("handover.refused.edit_draft"),
        )

    async def sign(self, handover_id: int, user: str, at_ms: int) -> Handover:
        return await self._step(
            handover_id,
            expect=HandoverState.DRAFT,
            values={"state": HandoverState.SIGNED.value, "signed_by": user, "signed_ms": at_ms},
            why=Message("handover.refused.sign_draft"),
        )

    async def ack(self, handover_id: int, key: str, user: str, at_ms: int) -> Handover:
        async with writer(self._log.engine).begin() as conn:
            h = await self._read(conn, handover_id)
            if h.state is not HandoverState.SIGNED:
                raise HandoverRefused(
                    Message(
                        "handover.refused.ack_signed",
                        {"state": Message(f"handover.state.{h.state.value}")},
                    )
                )
            if key not in {i.key for i in h.items}:
                raise HandoverNotFound(
                    Message("handover.refused.no_item", {"id": handover_id, "key": key})
                )
            if key not in h.acks:
                await conn.execute(
                    handover_ack.insert().values(
                        handover_id=handover_id, item_key=key, acked_by=user, at_ms=at_ms
                    )
                )
            return await self._read(conn, handover_id)

    async def accept(self, handover_id: int, user: str, at_ms: int) -> Handover:
        async with writer(self._log.engine).begin() as conn:
            h = await self._read(conn, handover_id)
            missing = h.unacked()
            if h.state is HandoverState.SIGNED and missing:
                raise HandoverRefused(
                    Message(
                        "handover.refused.unacked",
                        {"keys": ", ".join(i.key for i in missing), "n": len(missing)},
                    )
                )
        return await self._step(
            handover_id,
            expect=HandoverState.SIGNED,
            values={
                "state": HandoverState.ACCEPTED.value,
                "accepted_by": user,
                "accepted_ms": at_ms,
            },
            why=Message("handover.refused.accept_signed"),
        )
