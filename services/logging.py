"""Structured logging (structlog) configured once by the CLI.

No secret reaches a log line, in either format: tracebacks are rendered without local
variables (rich's ``show_locals`` printed request bodies and settings: docs/library-notes.md)
and every finished line goes through :class:`services.redact.Redactor`. JSON lines carry the
traceback as a string under ``exception``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable
from typing import IO

import structlog

from services.redact import Redactor


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter for stdlib handlers, with secrets scrubbed from the finished text
    (console lines; JSON is scrubbed field by field before rendering, keeping it valid)."""

    def __init__(self, redactor: Redactor | None, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if self._redact is None else self._redact(text)


class CancelledPoolReset(logging.Filter):
    """Drops SQLAlchemy's "Exception during reset or similar" when the exception is the
    task's own cancellation: a task cancelled while it held a connection (at shutdown, a
    Ctrl-C) has the pool roll the connection back as it is returned, the rollback is cancelled
    too, and SQLAlchemy logs the ``CancelledError`` at ERROR with a traceback
    (sqlalchemy/sqlalchemy#11760). Nothing is lost: the transaction was not committed, and
    the pool discards the connection. Any other pool error still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (
            record.name.startswith("sqlalchemy.pool") and isinstance(exc, asyncio.CancelledError)
        )


def configure_logging(
    level: str = "info",
    fmt: str = "console",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """Route structlog and stdlib logging to ``stream`` (stderr), as console text or JSON
    lines; ``secrets`` (tokens, passwords of the settings) are masked wherever they appear."""
    out = stream if stream is not None else sys.stderr
    lvl = getattr(logging, level.upper())
    redact = Redactor(secrets)
    renderer: list[structlog.types.Processor] = (
        [structlog.processors.format_exc_info, redact.event, structlog.processors.JSONRenderer()]
        if fmt == "json"
        else [
            structlog.dev.ConsoleRenderer(
                colors=out.isatty(),
                exception_formatter=structlog.dev.plain_traceback,  # never show_locals
            )
        ]
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.addFilter(CancelledPoolReset())
    handler.setFormatter(
        RedactingFormatter(
            None if fmt == "json" else redact,
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(lvl)
    # third-party chatter stays at warning unless we debug
    for noisy in ("amqtt", "uvicorn.access", "transitions"):
        logging.getLogger(noisy).setLevel(max(lvl, logging.WARNING))
    # pymodbus logs every timed-out request at ERROR and paho every dropped socket; our
    # adapters log an outage once themselves (ERROR, then DEBUG until it recovers)
    for chatty in ("pymodbus", "mqtt"):
        logging.getLogger(chatty).setLevel(max(lvl, logging.CRITICAL))
