"""The crew store on SQLite and PostgreSQL: versions, conflicts, idempotent appends, audit."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import pytest

from crew import (
    Cohort,
    ContactGroup,
    GroupKind,
    Qualification,
    QualKind,
    State,
    StatusEvent,
    TestKind,
    TestOutcome,
    TestResult,
)
from crew.store import (
    CrewStore,
    IdConflict,
    InvalidChange,
    NotFound,
    VersionConflict,
)
from line.catalogue import render
from tests.crew_store.conftest import T0, driver, small_roster

ME = "lan (crew_manager)"


def f0(event_id: str, staff_id: str, **kw: object) -> StatusEvent:
    data: dict[str, object] = {
        "event_id": event_id,
        "staff_id": staff_id,
        "state": State.F0_ISOLATION,
        "effective": T0,
        "until": T0 + timedelta(days=7),
        "recorded_at": T0,
    }
    data.update(kw)
    return StatusEvent.model_validate(data)


async def test_staff_versions_and_stale_edits(store: CrewStore) -> None:
    v1 = await store.create_staff(driver("D1"), actor=ME)
    assert v1.version == 1
    renamed = driver("D1", "Nguyễn Văn Bình")
    v2 = await store.update_staff(renamed, expected_version=1, actor=ME)
    assert v2.version == 2
    assert (await store.get_staff("D1")).item.name == "Nguyễn Văn Bình"

    with pytest.raises(VersionConflict, match="reload") as err:
        await store.update_staff(driver("D1", "Stale"), expected_version=1, actor=ME)
    assert (err.value.expected, err.value.current) == (1, 2)
    with pytest.raises(VersionConflict):
        await store.delete_staff("D1", expected_version=1, actor=ME)
    assert (await store.get_staff("D1")).item.name == "Nguyễn Văn Bình"

    same = await store.update_staff(renamed, expected_version=2, actor=ME)
    assert same.version == 2, "an update that changes nothing makes no new version"
    with pytest.raises(IdConflict):
        await store.create_staff(driver("D1"), actor=ME)
    await store.delete_staff("D1", expected_version=2, actor=ME)
    with pytest.raises(NotFound):
        await store.get_staff("D1")


async def test_concurrent_edits_of_one_version_one_wins(store: CrewStore) -> None:
    await store.create_staff(driver("D1"), actor=ME)
    names = [f"Editor {i}" for i in range(4)]
    results = await asyncio.gather(
        *(store.update_staff(driver("D1", n), expected_version=1, actor=n) for n in names),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and all(isinstance(e, VersionConflict) for e in lost), results
    now = await store.get_staff("D1")
    assert now.version == 2 and now.item.name == won[0].item.name


async def test_no_lost_update_when_editors_reload_and_retry(store: CrewStore) -> None:
    await store.create_staff(driver("D1"), actor=ME)

    async def add_certificate(n: int) -> None:
        cert = Qualification(kind=QualKind.OCC_POST, scope=f"post{n}", valid_until=date(2030, 1, 1))
        while True:
            cur = await store.get_staff("D1")
            new = cur.item.model_copy(update={"qualifications": (*cur.item.qualifications, cert)})
            try:
                await store.update_staff(new, expected_version=cur.version, actor=f"ed{n}")
                return
            except VersionConflict:
                await asyncio.sleep(0)  # someone else won: reload and redo

    await asyncio.gather(*(add_certificate(n) for n in range(6)))
    final = await store.get_staff("D1")
    scopes = {q.scope for q in final.item.qualifications if q.kind is QualKind.OCC_POST}
    assert scopes == {f"post{n}" for n in range(6)}, "an edit was lost"
    assert final.version == 7


async def test_status_event_retry_is_applied_once(store: CrewStore) -> None:
    await store.create_staff(driver("D1"), actor=ME)
    ev = f0("client-42", "D1")
    first = await store.record_status(ev, actor=ME)
    # a retry: same client id and fact, recorded later (the server stamps recorded_at)
    again = await store.record_status(
        ev.model_copy(update={"recorded_at": T0 + timedelta(minutes=1)}), actor=ME
    )
    assert first.created and not again.created
    assert again.item.recorded_at == T0, "the stored fact is returned"
    # concurrent retries of another event: exactly one is applied
    ev2 = f0("client-43", "D1", effective=T0 + timedelta(days=1), until=T0 + timedelta(days=8))
    outs = await asyncio.gather(*(store.record_status(ev2, actor=ME) for _ in range(5)))
    assert sum(o.created for o in outs) == 1
    assert [e.event_id for e in await store.status_events("D1")] == ["client-42", "client-43"]
    appends = await store.audit(entity="status_event")
    assert sorted(a.entity_id for a in appends) == ["client-42", "client-43"]

    with pytest.raises(IdConflict, match="other content"):
        await store.record_status(f0("client-42", "D1", note="different"), actor=ME)
    with pytest.raises(NotFound):
        await store.record_status(f0("client-44", "NOBODY"), actor=ME)


async def test_test_results_are_idempotent_and_feed_the_history(store: CrewStore) -> None:
    await store.create_staff(driver("D1"), actor=ME)
    await store.record_status(f0("e1", "D1"), actor=ME)
    neg = TestResult(
        test_id="t1",
        staff_id="D1",
        kind=TestKind.RAPID,
        outcome=TestOutcome.NEGATIVE,
        taken_at=T0 + timedelta(days=7, hours=1),
        recorded_at=T0 + timedelta(days=7, hours=2),
    )
    assert (await store.record_test(neg, actor=ME)).created
    assert not (await store.record_test(neg, actor=ME)).created
    snap = await store.snapshot()
    assert snap.history.state_at("D1", T0 + timedelta(days=3)) is State.F0_ISOLATION
    # isolation ends with the negative test taken after the 7 days (policy's release rule)
    assert snap.history.state_at("D1", T0 + timedelta(days=7, hours=3)) is State.AVAILABLE
    assert [t.test_id for t in await store.test_results("D1")] == ["t1"]


async def test_every_change_is_audited_with_who_when_before_after(store: CrewStore) -> None:
    t_before = time.time_ns() // 1_000_000
    await store.create_staff(driver("D1"), actor="lan (crew_manager)")
    await store.update_staff(driver("D1", "Renamed"), expected_version=1, actor="minh (admin)")
    await store.record_status(f0("e1", "D1"), actor="lan (crew_manager)")
    await store.delete_staff("D1", expected_version=2, actor="minh (admin)")
    t_after = time.time_ns() // 1_000_000
    recs = list(reversed(await store.audit()))
    assert [(r.action, r.entity, r.entity_id, r.actor) for r in recs] == [
        ("create", "staff", "D1", "lan (crew_manager)"),
        ("update", "staff", "D1", "minh (admin)"),
        ("append", "status_event", "e1", "lan (crew_manager)"),
        ("delete", "staff", "D1", "minh (admin)"),
    ]
    assert all(t_before <= r.at_ms <= t_after for r in recs)
    create, update, append, delete = recs
    assert create.before is None and create.after is not None and create.after["name"]
    assert update.before is not None and update.after is not None
    assert (update.before["name"], update.after["name"]) == ("Nguyễn Văn An", "Renamed")
    assert update.version == 2
    assert append.after is not None and append.after["state"] == "f0_isolation"
    assert delete.before is not None and delete.before["name"] == "Renamed" and delete.after is None
    assert await store.revision() == 4


async def test_refused_changes_leave_no_trace(store: CrewStore) -> None:
    await store.create_staff(driver("D1"), actor=ME)
    rev = await store.revision()
    with pytest.raises(InvalidChange, match="unknown staff"):
        await store.create_group(
            ContactGroup(id="T", kind=GroupKind.SHIFT_TEAM, name="T", members=("D1", "X")),
            actor=ME,
        )
    with pytest.raises(VersionConflict):
        await store.update_staff(driver("D1", "x"), expected_version=5, actor=ME)
    assert await store.revision() == rev
    assert len(await store.audit()) == 1
    assert await store.groups() == []


async def test_deleting_staff_takes_them_out_of_groups_and_cohorts(store: CrewStore) -> None:
    await store.replace_roster(small_roster(), actor=ME, context="setup")
    cohort = Cohort(
        id="3OS-A",
        name="3 tại chỗ",
        members=("D1", "D2"),
        start=T0,
        planned_end=T0 + timedelta(days=14),
        beds_available=4,
    )
    await store.create_cohort(cohort, actor=ME)
    with pytest.raises(IdConflict):
        await store.create_group(
            ContactGroup(id="3OS-A", kind=GroupKind.SHIFT_TEAM, name="x", members=()), actor=ME
        )
    await store.delete_staff("D1", expected_version=1, actor=ME)
    roster = await store.roster()
    assert all("D1" not in g.members for g in roster.groups)
    assert roster.cohorts[0].members == ("D2",)
    changed = {(r.entity, r.entity_id) for r in await store.audit(limit=4)}
    assert {("staff", "D1"), ("group", "T-A"), ("group", "R101"), ("cohort", "3OS-A")} <= changed


async def test_declared_case_marks_contacts_once(store: CrewStore) -> None:
    await store.replace_roster(small_roster(), actor=ME, context="setup")
    trace, new = await store.declare_case("D1", T0, actor=ME)
    assert trace.contacts == ("D2", "D3", "K1")
    assert new == 4
    for lang in ("vi", "en"):  # the reason names the shared room and train, in both languages
        reasons = {m.staff_id: render(m.reason, lang) for m in trace.marks}
        assert "R101" in reasons["K1"] and "T-A" in reasons["D2"]
    again, new_again = await store.declare_case("D1", T0, actor=ME)
    assert new_again == 0 and again.contacts == trace.contacts
    snap = await store.snapshot()
    at = T0 + timedelta(hours=1)
    states = {s.id: snap.history.state_at(s.id, at) for s in snap.roster.staff}
    assert states == {
        "D1": State.F0_ISOLATION,
        "D2": State.F1_QUARANTINE,
        "D3": State.F1_QUARANTINE,
        "D4": State.AVAILABLE,
        "K1": State.F1_QUARANTINE,
    }
    audited = [r for r in await store.audit(entity="status_event")]
    assert len(audited) == 4 and all(r.actor == ME for r in audited)
    assert any("tracing: F0 D1" in r.context for r in audited)
    with pytest.raises(NotFound):
        await store.declare_case("NOBODY", T0, actor=ME)


async def test_replace_roster_writes_only_differences(store: CrewStore) -> None:
    first = await store.replace_roster(small_roster(), actor=ME, context="import a.csv")
    assert len(first.created) == 7 and not first.updated and not first.deleted
    again = await store.replace_roster(small_roster(), actor=ME, context="import a.csv")
    assert not again.changed and again.unchanged == 7
    assert again.revision == first.revision

    r = small_roster()
    fewer = r.model_copy(
        update={
            "staff": tuple(s for s in r.staff if s.id != "D4") + (driver("D5"),),
            "groups": r.groups[:1],
        }
    )
    change = await store.replace_roster(
        fewer, actor=ME, context="import b.csv", expected_revision=first.revision
    )
    assert change.created == ("staff:D5",)
    assert sorted(change.deleted) == ["group:R101", "staff:D4"]
    assert {a.context for a in await store.audit(limit=3)} == {"import b.csv"}
    with pytest.raises(VersionConflict):
        await store.replace_roster(r, actor=ME, context="x", expected_revision=first.revision)


async def test_replace_roster_refuses_to_orphan_a_cohort(store: CrewStore) -> None:
    await store.replace_roster(small_roster(), actor=ME, context="setup")
    await store.create_cohort(
        Cohort(
            id="C",
            name="c",
            members=("D4",),
            start=T0,
            planned_end=T0 + timedelta(days=14),
            beds_available=1,
        ),
        actor=ME,
    )
    r = small_roster()
    without_d4 = r.model_copy(update={"staff": tuple(s for s in r.staff if s.id != "D4")})
    rev = await store.revision()
    with pytest.raises(InvalidChange, match="cohort C"):
        await store.replace_roster(without_d4, actor=ME, context="x")
    assert await store.revision() == rev
    assert "D4" in {s.id for s in (await store.roster()).staff}
