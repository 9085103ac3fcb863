"""The shared alarm action table, two books on one real SQLite database standing for two
replicas (on SQLite nothing listens: each side catches up by reading the table, as the poll
does): the condition key plus the database-numbered episode is what they share, never the
process-local alarm id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import select, text

from line.catalogue import Message
from services.alarm_actions import (
    ActionKind,
    AlarmAction,
    AlarmActions,
    AlarmActionStore,
    alarm_action,
    alarm_episode,
)
from telemetry.alarms import Alarm, AlarmBook, AlarmState, InvalidTransition, Priority
from tests.poll import until

T0 = 1_795_000_000_000
KEY = "train:T03:fault:BRK-004"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class Replica:
    def __init__(self, url: str, clock: Clock) -> None:
        self.url = url
        self.book = AlarmBook(clock)
        self.actions = AlarmActions(AlarmActionStore(url), self.book, clock=clock)

    def raise_(self, key: str = KEY) -> Alarm:
        a = self.book.raise_alarm(
            key, Priority.HIGH, "T03", Message("alarm.saved_text", {"vi": "vi", "en": "en"})
        )
        assert a is not None
        return a


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Replica, Replica, Clock]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/metro.db"
    clock = Clock()
    a, b = Replica(url, clock), Replica(url, clock)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(a.actions)
        await stack.enter_async_context(b.actions)
        yield a, b, clock


async def test_an_action_waits_for_its_alarm_to_be_raised_here(
    pair: tuple[Replica, Replica, Clock],
) -> None:
    a, b, _ = pair
    b.raise_("train:T09:stale")  # B numbers its alarms differently: ids are not shared
    on_a = a.raise_()
    await a.actions.act(on_a.id, AlarmAction(ActionKind.ACK, "dd01"))
    await b.actions.catch_up()  # B has not raised it yet: kept, not lost
    on_b = b.raise_()
    assert on_b.id != on_a.id and on_b.state is AlarmState.UNACK
    await b.actions.catch_up()
    assert (on_b.state, on_b.acked_by) == (AlarmState.ACKED, "dd01")
    # applied here, never written back (no echo)
    await a.actions.catch_up()
    async with AlarmActionStore(a.url) as store:
        async with store.engine.connect() as conn:
            kinds = (await conn.execute(select(alarm_action.c.kind))).scalars().all()
    assert kinds == ["ack"]


async def test_both_replicas_acting_first_at_once_share_one_episode(
    pair: tuple[Replica, Replica, Clock],
) -> None:
    a, b, _ = pair
    on_a, on_b = a.raise_(), b.raise_()
    await asyncio.gather(
        a.actions.act(on_a.id, AlarmAction(ActionKind.COMMENT, "dd01", "từ A")),
        b.actions.act(on_b.id, AlarmAction(ActionKind.COMMENT, "dd02", "từ B")),
    )
    await a.actions.catch_up()
    await b.actions.catch_up()
    assert sorted(c.text for c in on_a.comments) == ["từ A", "từ B"]
    assert sorted(c.text for c in on_b.comments) == ["từ A", "từ B"]
    async with AlarmActionStore(a.url) as store:
        async with store.engine.connect() as conn:
            episodes = (await conn.execute(select(alarm_episode.c.id))).scalars().all()
    assert len(episodes) == 1


async def test_an_action_already_in_effect_is_no_error_and_a_new_episode_is_not_the_old(
    pair: tuple[Replica, Replica, Clock],
) -> None:
    a, b, clock = pair
    on_a, on_b = a.raise_(), b.raise_()
    # both operators acknowledge at once: B refuses nothing it shows, and both agree
    await a.actions.act(on_a.id, AlarmAction(ActionKind.ACK, "dd01"))
    await b.actions.act(on_b.id, AlarmAction(ActionKind.ACK, "dd02"))
    await b.actions.catch_up()
    await a.actions.catch_up()
    assert on_a.state is on_b.state is AlarmState.ACKED
    with pytest.raises(InvalidTransition):
        await a.actions.act(on_a.id, AlarmAction(ActionKind.ACK, "dd01"))
    # the condition clears: normal on both, the episode closes
    a.book.clear(KEY)
    b.book.clear(KEY)
    await a.actions.catch_up()
    await b.actions.catch_up()
    # it comes back a minute later: a new alarm, a new episode on each side
    clock.now += 60_000
    again_a, again_b = a.raise_(), b.raise_()
    await a.actions.act(again_a.id, AlarmAction(ActionKind.COMMENT, "dd01", "lần hai"))
    await b.actions.catch_up()
    assert [c.text for c in again_b.comments] == ["lần hai"]
    assert again_b.state is AlarmState.UNACK  # the old episode's acks are not this one's
    async with AlarmActionStore(a.url) as store:
        async with store.engine.connect() as conn:
            rows = (await conn.execute(select(alarm_episode))).all()
    assert len(rows) == 2 and rows[0].closed_ms is not None and rows[1].closed_ms is None


@pytest.fixture
async def pg_pair(postgres_url: str) -> AsyncIterator[tuple[Replica, Replica, Clock]]:
    clock = Clock()
    # the catch-up poll set far beyond the test: what arrives in time came by NOTIFY
    a, b = Replica(postgres_url, clock), Replica(postgres_url, clock)
    for r in (a, b):
        r.actions = AlarmActions(AlarmActionStore(postgres_url), r.book, clock=clock, poll_s=600)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(a.actions)
        await stack.enter_async_context(b.actions)
        tasks = [asyncio.create_task(r.actions.run()) for r in (a, b)]
        try:
            yield a, b, clock
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def test_notify_wakes_the_other_replica_and_a_dropped_listener_comes_back(
    pg_pair: tuple[Replica, Replica, Clock],
) -> None:
    a, b, _ = pg_pair
    on_a, on_b = a.raise_(), b.raise_()
    await a.actions.act(on_a.id, AlarmAction(ActionKind.ACK, "dd01"))
    await until(lambda: on_b.state is AlarmState.ACKED, 1.0, what="B applies A's ack")
    # the database drops B's listening connection (a failover, an idle timeout)
    listener = b.actions._listener  # noqa: SLF001
    async with AlarmActionStore(a.url) as store:
        async with store.engine.connect() as conn:
            await conn.execute(
                text("SELECT pg_terminate_backend(:p)"), {"p": listener.get_server_pid()}
            )

    def listening_again() -> bool:
        now = b.actions._listener  # noqa: SLF001
        return now is not None and now is not listener and not now.is_closed()

    await until(listening_again, 5.0, what="B listens again")
    await a.actions.act(on_a.id, AlarmAction(ActionKind.COMMENT, "dd01", "sau khi mất kết nối"))
    await until(lambda: [c.text for c in on_b.comments] == ["sau khi mất kết nối"], 1.0,
                what="B applies A's comment")  # fmt: skip
