"""The language a request's texts are rendered in: the ``Accept-Language`` it sends.

The back end's texts are catalogue messages (:mod:`line.catalogue`); routes that answer with
a text render it here, at the edge, in Vietnamese (the default) or English. The web UI sends
the language of its switch with every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header
from starlette.requests import HTTPConnection

from line.catalogue import Lang, Message, Param, Refusal, pick_lang, render


def request_lang(
    accept_language: Annotated[
        str | None, Header(description="vi (default) or en: the language of texts in the answer")
    ] = None,
) -> Lang:
    return pick_lang(accept_language)


LangDep = Annotated[Lang, Depends(request_lang)]


def lang_of(conn: HTTPConnection) -> Lang:
    """The language of ``conn``'s texts, where a route has no :data:`LangDep` (an exception
    handler, a refusal raised deep in a call)."""
    return pick_lang(conn.headers.get("accept-language"))


def refusal_detail(exc: Refusal, request: HTTPConnection) -> dict[str, str]:
    """A refused operation's HTTP ``detail``: the rule's catalogue ``code`` and its ``message``
    in the request's language (the web UI shows the message: "needs a second person" is not
    "someone else changed this")."""
    return {"code": exc.message.code, "message": render(exc.message, lang_of(request))}


def said_in(code: str, lang: Lang, **params: Param) -> dict[str, str]:
    """A refusal's HTTP ``detail`` from a catalogue ``code`` and its fields, in ``lang``, as
    :func:`refusal_detail` renders one."""
    return {"code": code, "message": render(Message(code, params), lang)}


def said(code: str, conn: HTTPConnection, **params: Param) -> dict[str, str]:
    """:func:`said_in` the language of ``conn``."""
    return said_in(code, lang_of(conn), **params)
