"""Structured logging (structlog) configured once by the CLI."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "info", fmt: str = "console") -> None:
    """Route structlog and stdlib logging to stderr, as console text or JSON lines."""
    lvl = getattr(logging, level.upper())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
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
