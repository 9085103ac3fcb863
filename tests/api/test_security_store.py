"""The users/sessions/audit store over SQLite and PostgreSQL (every test here runs on both).

Proves: migrations make exactly the mapped tables and run both ways; passwords are stored as
argon2id hashes (never the text) and re-hashed at sign-in when the cost changes; the audit
log refuses updates and deletes from the ORM and, by trigger, from raw SQL; accounts, tokens,
sessions and sign-in behave the same on both databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from accounts import AppendOnlyError, LoginOutcome, SecurityStore, UserExists
from accounts.identity import AuthSettings, UserRole
from accounts.migrations import STREAM
from accounts.passwords import PasswordRejected
from accounts.tables import AuditRow, SecurityBase, UserRow
from crew.store import CrewStore
from storage.engine import make_engine
from storage.migrations import downgrade, migrate
from tests.api.authkit import FAST_ARGON2, PASSWORD, FakeClock

TABLES = {
    "auth_user",
    "auth_session",
    "auth_api_token",
    "audit_log",
    "auth_signin_lock",
    "audit_prune_permit",
    "security_alembic_version",
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(db_url: str, clock: FakeClock) -> AsyncIterator[SecurityStore]:
    async with SecurityStore(db_url, AuthSettings(**FAST_ARGON2), clock=clock) as s:
        yield s


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(
        conn,
        opts={
            "version_table": "security_alembic_version",
            "compare_type": True,
            "include_name": lambda name, type_, _p: type_ != "table" or name in TABLES,
        },
    )
    return list(compare_metadata(ctx, SecurityBase.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_migrations_match_the_tables_beside_the_crew_ones(db_url: str) -> None:
    async with CrewStore(db_url):
        pass  # the crew's tables and version table are there too
    engine = make_engine(db_url)
    try:
        await migrate(engine, STREAM)
        await migrate(engine, STREAM)  # a second start finds nothing to do
        async with engine.connect() as conn:
            assert TABLES <= await conn.run_sync(_tables)
            assert await conn.run_sync(_diff) == [], "migration and tables.py disagree"
        await downgrade(engine, STREAM, "base")
        async with engine.connect() as conn:
            left = await conn.run_sync(_tables)
            assert not (TABLES - {"security_alembic_version"}) & left
            assert "crew_staff" in left, "the crew's tables are not ours to drop"
        await migrate(engine, STREAM)
        async with engine.connect() as conn:
            assert TABLES <= await conn.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_passwords_are_argon2id_hashes_rehashed_when_the_cost_changes(
    db_url: str, store: SecurityStore, clock: FakeClock
) -> None:
    await store.users.add("dd01", PASSWORD, UserRole.OPERATOR)
    async with store.db.reading() as s:
        stored = (await s.execute(select(UserRow.password_hash))).scalar_one()
        everything = str((await s.execute(text("SELECT * FROM auth_user"))).all())
    assert stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$"), stored
    assert PASSWORD not in everything
    with pytest.raises(PasswordRejected, match="at least 10"):
        await store.users.add("dd02", "short", UserRole.OPERATOR)
    with pytest.raises(PasswordRejected, match="user name"):
        await store.users.add("longusername", "LongUserName", UserRole.OPERATOR)
    with pytest.raises(UserExists):
        await store.users.add("DD01", PASSWORD, UserRole.PLANNER)

    stronger = AuthSettings(**{**FAST_ARGON2, "argon2_time_cost": 2})
    async with SecurityStore(db_url, stronger, clock=clock) as other:
        wrong = await other.signin.login("dd01", "not it", "10.0.0.1")
        assert wrong.outcome is LoginOutcome.WRONG
        async with other.db.reading() as s:
            assert (await s.execute(select(UserRow.password_hash))).scalar_one() == stored
        ok = await other.signin.login("dd01", PASSWORD, "10.0.0.1")
        assert ok.outcome is LoginOutcome.OK
        async with other.db.reading() as s:
            rehashed = (await s.execute(select(UserRow.password_hash))).scalar_one()
    assert rehashed.startswith("$argon2id$v=19$m=8192,t=2,p=1$") and rehashed != stored
    page = await store.audit.query(action="login", result="ok")
    assert page.entries[0].detail == {"role": "operator", "rehashed": True}


async def test_the_audit_log_is_append_only(store: SecurityStore, db_url: str) -> None:
    first = await store.audit.record("login", user="dd01", source_ip="10.0.0.7", result="fail")
    await store.audit.record("alarm.ack", user="dd01", source_ip="10.0.0.7", detail={"id": 3})

    with pytest.raises(AppendOnlyError):
        async with store.db.writing() as s:
            row = await s.get(AuditRow, first.id)
            assert row is not None
            row.result = "ok"
    with pytest.raises(AppendOnlyError):
        async with store.db.writing() as s:
            row = await s.get(AuditRow, first.id)
            await s.delete(row)
    with pytest.raises(AppendOnlyError):
        async with store.db.writing() as s:
            await s.execute(update(AuditRow).values(result="ok"))
    with pytest.raises(AppendOnlyError):
        async with store.db.writing() as s:
            await s.execute(delete(AuditRow))

    # any other client of the database: refused by the trigger
    statements = ["UPDATE audit_log SET result = 'ok'", "DELETE FROM audit_log"]
    if db_url.startswith("postgresql"):
        statements.append("TRUNCATE audit_log")
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.db.engine.begin() as conn:
                await conn.execute(text(sql))

    page = await store.audit.query()
    assert [(e.action, e.result) for e in page.entries] == [("alarm.ack", "ok"), ("login", "fail")]
    assert page.entries[0].detail == {"id": 3}


async def test_accounts_tokens_sessions_and_sign_in(store: SecurityStore, clock: FakeClock) -> None:
    await store.users.add("Dd01", PASSWORD, UserRole.OPERATOR, display_name="Trần Thị Lan")
    await store.users.add("admin1", PASSWORD, UserRole.ADMIN)
    users = await store.users.all()
    assert [(u.username, u.role, u.display_name) for u in users] == [
        ("admin1", UserRole.ADMIN, ""),
        ("dd01", UserRole.OPERATOR, "Trần Thị Lan"),
    ]
    token = await store.users.issue_token("dd01", "script")
    who = await store.bearer(token)
    assert who is not None and (who.user, who.role) == ("dd01", UserRole.OPERATOR)
    assert (await store.users.get("dd01")).api_tokens == 1  # type: ignore[union-attr]

    for _ in range(5):
        res = await store.signin.login("dd01", "nope", "10.0.0.1")
    assert res.outcome is LoginOutcome.LOCKED and res.retry_after_s == 900
    u = await store.users.get("dd01")
    assert u is not None and u.locked_addresses == 1, "locked from that address"
    assert not u.locked(clock()), "not the whole account: that takes 50 failures"
    await store.users.unlock("dd01")
    res = await store.signin.login("dd01", PASSWORD, "10.0.0.1")
    assert res.outcome is LoginOutcome.OK and res.session is not None
    view = await store.session(res.session.token)
    assert view is not None and view.csrf_token == res.session.csrf_token
    async with store.db.reading() as s:
        keys = (await s.execute(text("SELECT token_hash FROM auth_session"))).scalars().all()
    assert res.session.token not in keys, "only the digest of the cookie is stored"

    await store.users.set_password("dd01", "another good password")
    assert await store.session(res.session.token) is None, "a new password ends the sessions"
    assert await store.bearer(token) is None, "and revokes the API tokens"
    clock.advance(minutes=31)
    res = await store.signin.login("dd01", "another good password", "10.0.0.1")
    assert res.session is not None
    clock.advance(minutes=31)
    assert await store.session(res.session.token) is None, "idle too long"
    assert await store.sessions.purge() == 0, "the expired one was deleted when met"

    entries = (await store.audit.query(user="dd01", action="login")).entries
    assert [e.result for e in entries][:3] == ["ok", "ok", "locked"]
