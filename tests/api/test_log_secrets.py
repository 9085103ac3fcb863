"""No secret in any log line, in either log format, over a real uvicorn: a forced 500 in the
sign-in (whose frames hold the plaintext password, the request's Authorization header and the
settings with every API token) and a websocket opened with ``?token=`` leave a usable
traceback and no secret in the captured output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from accounts.identity import UserRole
from cli.common import settings_secrets
from services.logging import configure_logging
from tests.api.authkit import PASSWORD, TOKENS, make_settings, serving

QUERY_SECRET = "q-secret-0123456789abcdef"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["console", "json"])
async def test_a_500_and_a_token_url_leave_no_secret_in_the_log(
    tmp_path: Path, fmt: str, restore_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    out = io.StringIO()
    configure_logging("info", fmt, secrets=settings_secrets(settings), stream=out)
    async with serving(settings) as served, served.client() as http:
        await served.add_user("dd01", UserRole.OPERATOR)

        async def broken(*_a: object, **_k: object) -> None:
            raise RuntimeError("the sign-in store broke")

        monkeypatch.setattr(served.rt.security.signin, "login", broken)
        r = await http.post(
            f"/api/auth/login?token={QUERY_SECRET}",
            json={"username": "dd01", "password": PASSWORD},
            headers={"Authorization": f"Bearer {TOKENS['admin']}"},
        )
        assert r.status_code == 500
        ws_url = served.base_url.replace("http", "ws") + f"/ws/board?token={TOKENS['operator']}"
        async with connect(ws_url) as ws:
            await ws.recv()  # the snapshot: the handshake was accepted (and logged)
    text = out.getvalue()
    assert "WebSocket /ws/board?token=[redacted]" in text  # the handshake line, scrubbed
    assert "Traceback" in text and "RuntimeError: the sign-in store broke" in text
    for secret in (PASSWORD, QUERY_SECRET, *TOKENS.values()):
        assert secret not in text, f"{secret!r} in the {fmt} log"
    if fmt == "json":
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        crashed = [r for r in records if "exception" in r]
        assert crashed and "Traceback" in crashed[0]["exception"]  # usable: file, line, error
        assert "in login" in crashed[0]["exception"] or "routes/auth.py" in crashed[0]["exception"]
