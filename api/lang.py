"""The language a request's texts are rendered in: the ``Accept-Language`` it sends.

The back end's texts are catalogue messages (:mod:`line.catalogue`); routes that answer with
a text render it here, at the edge, in Vietnamese (the default) or English. The web UI sends
the language of its switch with every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from line.catalogue import Lang, pick_lang


def request_lang(
    accept_language: Annotated[
        str | None, Header(description="vi (default) or en: the language of texts in the answer")
    ] = None,
) -> Lang:
    return pick_lang(accept_language)


LangDep = Annotated[Lang, Depends(request_lang)]
