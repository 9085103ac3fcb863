"""Security headers: on every HTTP response, HSTS only over HTTPS, route headers kept.

Runs a small FastAPI app through the middleware over httpx's ASGI transport (the real ASGI
path, no server needed); the end-to-end passenger-feed test checks them on the real app.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Response
from starlette.types import Message, Receive, Scope, Send

from api.security_headers import CSP, SecurityHeaders


def app() -> FastAPI:
    a = FastAPI()

    @a.get("/page")
    def page() -> Response:
        return Response("<h1>ok</h1>", media_type="text/html")

    @a.get("/framable")
    def framable() -> Response:
        return Response("x", headers={"X-Frame-Options": "SAMEORIGIN"})

    a.add_middleware(SecurityHeaders)
    return a


async def get(base: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url=base) as c:
        return await c.get(path)


async def test_headers_on_every_response_without_hsts_over_http() -> None:
    for path, status in (("/page", 200), ("/missing", 404)):
        r = await get("http://testserver", path)
        assert r.status_code == status
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in r.headers
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline scripts, no eval
    assert directives["frame-ancestors"] == "'none'"


async def test_hsts_over_https_and_route_headers_win() -> None:
    r = await get("https://testserver", "/page")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    r = await get("https://testserver", "/framable")
    assert r.headers["x-frame-options"] == "SAMEORIGIN"  # the route chose; not duplicated
    assert r.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


async def test_websockets_pass_through_untouched() -> None:
    seen: list[Message] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.accept", "headers": []})

    async def send(message: Message) -> None:
        seen.append(message)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    await SecurityHeaders(inner)({"type": "websocket", "path": "/ws"}, receive, send)
    assert seen == [{"type": "websocket.accept", "headers": []}]
