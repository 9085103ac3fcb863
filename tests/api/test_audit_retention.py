"""The audit log under a sign-in flood, and its retention: repeated failures from one address
are summed up per window instead of one row each; ``metro-ops audit prune`` exports old
records to a file and only then removes them — the log stays append-only otherwise."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from accounts import SecurityStore
from accounts.identity import AuthSettings
from cli.main import app
from tests.api.authkit import FAST_ARGON2, FakeClock, make_settings, serving


async def test_a_sign_in_flood_writes_a_few_rows_and_a_summary(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = make_settings(tmp_path, ip_failures=20, audit_window_s=60)
    async with serving(settings, clock) as served, served.client() as http:
        for i in range(200):
            r = await http.post("/api/auth/login", json={"username": f"x{i % 7}", "password": "p"})
            assert r.status_code in (401, 423, 429)
        clock.advance(seconds=61)
        assert await served.rt.security.signin.failures.flush_due() == 1
        page = await served.rt.audit.query(action="login", limit=500)
    rows = page.entries
    assert len(rows) == 6, [(e.action, e.result) for e in rows]  # was 200 (one per attempt)
    summary = rows[0]
    assert (summary.action, summary.source_ip) == ("login.failures", "127.0.0.1")
    d = summary.detail
    assert d["count"] == 195 and d["recorded_separately"] == 5
    assert sum(d["outcomes"].values()) == 195 and d["outcomes"]["rate_limited"] == 180
    assert d["distinct_names"] == 7 and len(d["names"]) == 7
    assert [e.action for e in rows[1:]] == ["login"] * 5  # the first ones, one by one


def prune(db_url: str, *args: str) -> tuple[int, str, str]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("METRO_")}
    env |= {f"METRO_AUTH_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()}
    env |= {"METRO_DB_URL": db_url}
    r = CliRunner().invoke(app, ["audit", "prune", *args], env=env)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def test_prune_exports_then_removes_only_old_records(db_url: str, tmp_path: Path) -> None:
    async def seed() -> None:
        old = SecurityStore(db_url, AuthSettings(**FAST_ARGON2), clock=FakeClock())  # May 2026
        async with old:
            for i in range(3):
                await old.audit.record("alarm.ack", user=f"dd0{i}", detail={"alarm_id": i})
        async with SecurityStore(db_url, AuthSettings(**FAST_ARGON2)) as new:  # now
            await new.audit.record("alarm.ack", user="dd09", detail={"alarm_id": 9})

    asyncio.run(seed())
    export = tmp_path / "exports" / "audit-2026.jsonl"
    code, out, err = prune(db_url, "--older-than-days", "90", "--export", str(export), "--dry-run")
    assert code == 0 and "would remove 3" in out, err
    export.unlink()

    code, out, err = prune(db_url, "--older-than-days", "90", "--export", str(export))
    assert code == 0, err
    assert "exported 3 record(s)" in out and "removed 3" in out
    lines = [json.loads(x) for x in export.read_text().splitlines()]
    assert [(x["user"], x["detail"]) for x in lines] == [
        (f"dd0{i}", {"alarm_id": i}) for i in range(3)
    ]
    code, _, err = prune(db_url, "--older-than-days", "90", "--export", str(export))
    assert code == 1 and "exists already" in err  # never overwrites an export

    async def check() -> None:
        async with SecurityStore(db_url, AuthSettings(**FAST_ARGON2)) as store:
            page = await store.audit.query()
            assert [e.action for e in page.entries] == ["audit.prune", "alarm.ack"]
            assert page.entries[0].detail["removed"] == 3
            assert len(page.entries[0].detail["sha256"]) == 64
            # still append-only for everyone else: a plain delete is refused by the database
            with pytest.raises(Exception, match="append-only"):
                async with store.db.engine.begin() as conn:
                    await conn.execute(text("DELETE FROM audit_log"))
            async with store.db.reading() as s:
                permits = await s.scalar(text("SELECT count(*) FROM audit_prune_permit"))
            assert permits == 0

    asyncio.run(check())
