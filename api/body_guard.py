"""Request bodies bounded and strictly parsed before any route sees them (pure ASGI).

* **Size**: a body larger than ``http.max_body_bytes`` (``http.max_upload_bytes`` on the CSV
  import routes) is refused with 413 — at once when ``Content-Length`` says so, else as soon as
  the streamed body passes the limit — before sign-in is checked and before anything parses it.
  Without this a 100 MB JSON body to ``/api/auth/login`` was read whole and echoed back.
* **Strict JSON**: a JSON body must be standard JSON. Python's parser accepts ``NaN``,
  ``Infinity`` and turns ``1e400`` into ``inf``; those reached the models and then a 422 that
  could not be serialised (a 500). orjson refuses them, so every JSON body is checked with it
  once and a bad one is a 422 naming the problem (the body itself is then parsed as before).

The validated body is replayed to the app unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.lang import said_in
from line import catalogue
from line.catalogue import Lang, pick_lang, render

#: Before answering 413, this much more of the body is read and thrown away: the server closes
#: a connection with unread data by resetting it, and the client would see a network error
#: instead of the answer. Beyond this the connection is simply closed.
DRAIN_BYTES = 4 * 1024 * 1024


def _json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class BodyGuard:
    """ASGI middleware bounding request bodies and refusing non-standard JSON."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        upload_bytes: int,
        upload_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self._max = max_bytes
        self._upload = upload_bytes
        self._upload_paths = frozenset(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._upload if scope.get("path") in self._upload_paths else self._max
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        lang = pick_lang(headers.get(b"accept-language", b"").decode("latin-1") or None)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _answer(send, 400, said_in("http.bad_content_length", lang))
                return
            if too_big:
                if int(declared) <= limit + DRAIN_BYTES:
                    await _drain(receive, DRAIN_BYTES)
                await _too_large(send, limit, lang)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                if message.get("more_body", False):
                    await _drain(receive, DRAIN_BYTES)
                await _too_large(send, limit, lang)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and _json_type(headers.get(b"content-type", b"").decode("latin-1")):
            try:
                orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                await _invalid_json(send, str(exc), lang)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _drain(receive: Receive, budget: int) -> None:
    """Read and discard the rest of a refused body, at most ``budget`` bytes."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _answer(send: Send, status: int, detail: object) -> None:
    payload = orjson.dumps({"detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),  # the rest of the body is not read
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _too_large(send: Send, limit: int, lang: Lang) -> None:
    await _answer(send, 413, said_in("http.too_large", lang, limit=limit))


async def _invalid_json(send: Send, why: str, lang: Lang) -> None:
    # orjson says what and where in English ("invalid literal, expected 'null': line 1 column
    # 7 (char 6)"); the reader is told where, in their language
    at = re.search(r"line (\d+) column (\d+)", why)
    line, column = (int(at[1]), int(at[2])) if at else (1, 1)
    msg = render(catalogue.Message("http.invalid_json", {"line": line, "column": column}), lang)
    await _answer(send, 422, [{"loc": ["body"], "msg": msg, "type": "json_invalid"}])
