"""``metro-ops users …`` through typer's CliRunner on a real SQLite database: add (password
asked twice, or from stdin), list, passwd, role, token, unlock, disable/enable — each audited,
and what it does is visible to the store the server uses."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accounts import LoginOutcome, SecurityStore
from accounts.identity import AuthSettings, UserRole
from cli.main import app
from tests.api.authkit import FAST_ARGON2, PASSWORD

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"


@pytest.fixture
def invoke(db: str) -> Invoke:
    runner = CliRunner()
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("METRO_")}
    env |= {f"METRO_AUTH_{k.upper()}": str(v) for k, v in FAST_ARGON2.items()}
    env |= {"METRO_DB_URL": db, "COLUMNS": "140"}

    def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
        r = runner.invoke(app, ["users", *args], env=env, input=input)
        if r.exception and not isinstance(r.exception, SystemExit):
            raise r.exception
        return r.exit_code, r.stdout, r.stderr

    return run


def login(db: str, name: str, password: str) -> LoginOutcome:
    async def main() -> LoginOutcome:
        async with SecurityStore(db, AuthSettings(**FAST_ARGON2)) as store:
            return (await store.signin.login(name, password, "10.0.0.1")).outcome

    return asyncio.run(main())


def bearer_user(db: str, token: str) -> tuple[str, UserRole] | None:
    async def main() -> tuple[str, UserRole] | None:
        async with SecurityStore(db, AuthSettings(**FAST_ARGON2)) as store:
            who = await store.bearer(token)
            return None if who is None else (who.user, who.role)

    return asyncio.run(main())


def audit_actions(db: str) -> list[tuple[str, str]]:
    async def main() -> list[tuple[str, str]]:
        async with SecurityStore(db, AuthSettings(**FAST_ARGON2)) as store:
            page = await store.audit.query(action="user")
            return [(e.action, str(e.detail.get("target"))) for e in reversed(page.entries)]

    return asyncio.run(main())


def test_add_list_passwd_and_role(invoke: Invoke, db: str) -> None:
    code, out, _ = invoke("list")
    assert code == 0 and "no users yet" in out
    pw = f"{PASSWORD}\n{PASSWORD}\n"
    code, out, err = invoke("add", "DD01", "--role", "operator", "--display-name", "Lê Văn Hải",
                            input=pw)  # fmt: skip
    assert code == 0, err
    assert "added dd01 (operator)" in out and PASSWORD not in out
    assert login(db, "dd01", PASSWORD) is LoginOutcome.OK

    code, _, err = invoke("add", "pl01", "--role", "planner", input=f"{PASSWORD}\nother one!!\n")
    assert code != 0, "the two entries differ: nothing added"
    code, _, err = invoke("add", "pl01", "--role", "pilot", input=pw)
    assert code == 2 and "pilot" in err
    code, _, err = invoke("add", "pl01", "--role", "planner", "--password-stdin", input="short\n")
    assert code == 1 and "at least 10 characters" in err
    code, out, err = invoke("add", "pl01", "-r", "planner", "--password-stdin",
                            input=f"{PASSWORD}\n")  # fmt: skip
    assert code == 0, err
    code, _, err = invoke("add", "pl01", "-r", "admin", "--password-stdin", input=f"{PASSWORD}\n")
    assert code == 1 and "exists already" in err

    code, out, _ = invoke("list")
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["USER", "ROLE", "STATUS", "LAST", "SIGN-IN"]
    assert lines[1].split()[:3] == ["dd01", "operator", "active"] and "Lê Văn Hải" in lines[1]
    assert lines[2].split()[:4] == ["pl01", "planner", "active", "-"]

    code, out, err = invoke("passwd", "dd01", input="a new password\na new password\n")
    assert code == 0 and "sessions ended" in out, err
    assert login(db, "dd01", PASSWORD) is LoginOutcome.WRONG
    assert login(db, "dd01", "a new password") is LoginOutcome.OK
    code, out, _ = invoke("role", "dd01", "admin")
    assert code == 0 and "dd01 is now admin" in out
    code, _, err = invoke("passwd", "nobody", "--password-stdin", input=f"{PASSWORD}\n")
    assert code == 1 and "no user 'nobody'" in err
    assert audit_actions(db) == [
        ("user.add", "dd01"),
        ("user.add", "pl01"),
        ("user.passwd", "dd01"),
        ("user.role", "dd01"),
    ]


def test_tokens_unlock_disable(invoke: Invoke, db: str) -> None:
    invoke("add", "bot", "--role", "crew_manager", "--password-stdin", input=f"{PASSWORD}\n")
    code, out, err = invoke("token", "bot", "--label", "roster sync")
    assert code == 0 and "shown once" in err
    token = out.strip()
    assert token.startswith("mo_") and len(token) > 40
    assert bearer_user(db, token) == ("bot", UserRole.CREW_MANAGER)
    assert invoke("list")[1].splitlines()[1].split()[4] == "1", "one token"

    for _ in range(5):
        login(db, "bot", "guess guess")
    assert login(db, "bot", PASSWORD) is LoginOutcome.LOCKED
    assert "locked until" in invoke("list")[1]
    code, out, _ = invoke("unlock", "bot")
    assert code == 0 and "bot unlocked" in out
    assert login(db, "bot", PASSWORD) is LoginOutcome.OK

    assert invoke("disable", "bot")[0] == 0
    assert bearer_user(db, token) is None and login(db, "bot", PASSWORD) is LoginOutcome.WRONG
    assert "disabled" in invoke("list")[1]
    assert invoke("enable", "bot")[0] == 0
    assert bearer_user(db, token) == ("bot", UserRole.CREW_MANAGER)
    code, out, _ = invoke("token", "bot", "--revoke")
    assert code == 0 and "revoked 1" in out
    assert bearer_user(db, token) is None
    assert [a for a, _ in audit_actions(db)] == [
        "user.add", "user.token", "user.unlock", "user.disable", "user.enable",
        "user.token_revoke",
    ]  # fmt: skip
