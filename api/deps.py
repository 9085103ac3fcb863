"""Request dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
