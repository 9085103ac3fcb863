"""The fault suite logs as ``serve`` does (services.logging): timings here include logging, and
structlog's development default (rich tracebacks with every frame's locals) takes seconds
per exception, which no server runs with."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from services.logging import configure_logging
from tests.faults.kit import Feeder
from tests.fixtures.mosquitto import Broker


@pytest.fixture(autouse=True)
def _serve_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("info")
    try:
        yield
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def feeder(mosquitto: Broker) -> Iterator[Feeder]:
    """Train units on the test's broker (see :class:`tests.faults.kit.Feeder`)."""
    f = Feeder(mosquitto.port)
    try:
        yield f
    finally:
        f.close()
