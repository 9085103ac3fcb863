"""SQLAlchemy's "Exception during reset or similar" for a task cancelled while it held a
connection (a Ctrl-C at the wrong moment) is not shown as an error with a traceback — the
demo's stderr stays clean — while any other pool error still is."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from services.logging import configure_logging

POOL = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging("info", "console", stream=out)
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


def _log_reset_failure(exc: BaseException) -> None:
    try:
        raise exc
    except BaseException:
        logging.getLogger(POOL).error("Exception during reset or similar", exc_info=True)


def test_a_cancelled_rollback_on_return_is_not_an_error(captured: io.StringIO) -> None:
    _log_reset_failure(asyncio.CancelledError())
    assert captured.getvalue() == ""


def test_other_pool_errors_still_show_with_their_traceback(captured: io.StringIO) -> None:
    _log_reset_failure(OSError("disk I/O error"))
    text = captured.getvalue()
    assert "Exception during reset or similar" in text and "disk I/O error" in text
    assert "Traceback" in text
