"""Helpers for the security tests: cheap argon2, a clock the test moves, a served runtime,
and a browser-like client that signs in and echoes the CSRF token."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from accounts.identity import UserRole
from api.server import make_server
from services.runtime import Runtime, build_runtime
from services.settings import Settings
from tests.fixtures.ports import free_port

#: argon2id at its cheapest: the tests check behaviour, not the cost (8 MiB, one pass).
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1}
PASSWORD = "correct horse battery"
TOKENS = {
    "operator": "tok-operator-0123456789",
    "planner": "tok-planner-01234567890",
    "crew_manager": "tok-crew-manager-012345",
    "admin": "tok-admin-0123456789abc",
}
T0 = 1_780_000_000_000  # 2026-05-28, UTC ms


class FakeClock:
    """UTC milliseconds that move only when the test says so."""

    def __init__(self, now_ms: int = T0) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, *, minutes: float = 0, seconds: float = 0) -> None:
        self.now_ms += int(minutes * 60_000 + seconds * 1000)


def make_settings(
    tmp_path: Path,
    db_url: str | None = None,
    *,
    http: dict[str, Any] | None = None,
    ws: dict[str, Any] | None = None,
    **auth: Any,
) -> Settings:
    """Settings on files in ``tmp_path``; ``http``/``ws`` sections, the rest ``auth`` fields."""
    return Settings.model_validate(
        {
            "db": {"url": db_url or f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"},
            "http": http or {},
            "ws": ws or {},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "auth": {
                "tokens": {t: f"{role}-bot:{role}" for role, t in TOKENS.items()},
                **FAST_ARGON2,
                **auth,
            },
            "crew": {"solver_time_limit_s": 2},
        }
    )


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@dataclass
class Served:
    rt: Runtime
    base_url: str

    def client(self) -> httpx.AsyncClient:
        """A fresh client with its own cookie jar (one per "browser")."""
        return httpx.AsyncClient(base_url=self.base_url, timeout=30)

    async def add_user(
        self, name: str, role: UserRole | str, password: str = PASSWORD, display_name: str = ""
    ) -> None:
        await self.rt.security.users.add(name, password, UserRole(role), display_name=display_name)


@contextlib.asynccontextmanager
async def serving(settings: Settings, clock: FakeClock | None = None) -> AsyncIterator[Served]:
    """The runtime behind a real uvicorn on a free port; stopped on the way out."""
    rt = build_runtime(settings, require_broker=False, **({"clock": clock} if clock else {}))
    port = free_port()
    server = make_server(rt, "127.0.0.1", port)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(400):
            if server.started or task.done():
                break
            await asyncio.sleep(0.025)
        assert server.started, "HTTP server did not start"
        yield Served(rt, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task


async def sign_in(http: httpx.AsyncClient, user: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in; afterwards ``http`` sends the session cookie and the X-CSRF-Token header."""
    r = await http.post("/api/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    http.headers["X-CSRF-Token"] = body["csrf_token"]
    return body
