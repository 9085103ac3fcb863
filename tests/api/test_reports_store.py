"""The report store on both databases it runs on: SQLite and a private PostgreSQL cluster.

Proves: a report reads back exactly (facts, HTML, PDF bytes); the list is newest first with
the PDF's size; a scheduled slot is stored once — also when two replicas insert it at the same
moment; the previous scheduled report is found for the next period; the webhook outcome is
recorded.
"""

from __future__ import annotations

import asyncio

import pytest

from reports.model import ReportKind
from reports.store import ReportRecord, ReportStore, SlotTaken


def rec(rid: str, at_ms: int, *, slot_ms: int | None = None) -> ReportRecord:
    return ReportRecord(
        id=rid,
        kind=ReportKind.SCHEDULED if slot_ms else ReportKind.ON_DEMAND,
        slot_ms=slot_ms,
        at_ms=at_ms,
        since_ms=at_ms - 4 * 3600_000,
        created_by="scheduler",
        title=f"Báo cáo {rid}",
        summary={"trips_run": 120, "f0": 3},
        webhook_status="pending",
        webhook_attempts=0,
        webhook_error="",
        webhook_ms=None,
    )


PDF = b"%PDF-1.3\n" + bytes(range(256)) * 40  # every byte value survives the round trip


async def test_reports_round_trip_and_slots_are_unique(db_url: str) -> None:
    async with ReportStore(db_url) as store:
        await store.add(
            rec("a" * 32, 1000, slot_ms=1000), content='{"x": 1}', html="<p>Đ</p>", pdf=PDF
        )
        await store.add(rec("b" * 32, 2000), content="{}", html="<p>on demand</p>", pdf=b"%PDF-x")
        with pytest.raises(SlotTaken):
            await store.add(rec("c" * 32, 1500, slot_ms=1000), content="{}", html="", pdf=b"")

        listed = await store.list()
        assert [r.id for r in listed] == ["b" * 32, "a" * 32]
        assert listed[1].pdf_bytes == len(PDF) and listed[1].summary == {"trips_run": 120, "f0": 3}
        assert listed[1].title == "Báo cáo " + "a" * 32
        assert await store.pdf("a" * 32) == PDF
        assert await store.html("a" * 32) == "<p>Đ</p>"
        assert await store.content("a" * 32) == '{"x": 1}'
        assert await store.get("zz") is None and await store.pdf("zz") is None

        assert await store.has_slot(1000) and not await store.has_slot(2000)
        assert await store.previous_scheduled(5000) == 1000  # on-demand reports do not count
        assert await store.previous_scheduled(1000) is None

        await store.set_webhook("a" * 32, status="sent", attempts=2, error="", at_ms=1234)
        got = await store.get("a" * 32)
        assert got is not None
        assert (got.webhook_status, got.webhook_attempts, got.webhook_ms) == ("sent", 2, 1234)
        assert [r.id for r in await store.list(webhook_status="pending")] == ["b" * 32]


async def test_two_replicas_insert_the_same_slot(db_url: str) -> None:
    async with ReportStore(db_url) as one, ReportStore(db_url) as two:
        results = await asyncio.gather(
            one.add(rec("d" * 32, 3000, slot_ms=3000), content="{}", html="", pdf=b"1"),
            two.add(rec("e" * 32, 3001, slot_ms=3000), content="{}", html="", pdf=b"2"),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["NoneType", "SlotTaken"]
        assert len([r for r in await one.list() if r.slot_ms == 3000]) == 1
