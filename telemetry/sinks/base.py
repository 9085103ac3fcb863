"""What every history sink shares: the point handed over by the ingest, and the two protocols.

A :class:`Sink` takes points from the hot path (``write`` only appends to a buffer) and ships
them from its own ``run()`` loop; a :class:`HistoryReader` answers "what did this train (or
substation) report lately". :class:`~telemetry.sinks.embedded.EmbeddedStore` is both;
:class:`~telemetry.sinks.influx.InfluxSink` only writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, Self

FieldValue = float | int | bool | str


@dataclass(frozen=True, slots=True)
class Point:
    """One sample of one entity.

    ``entity`` is stored as a tag named after the measurement's key (``train=T07``,
    ``device=SS3``, ``station=CL``); ``tags`` are extra tags (e.g. track).
    """

    measurement: str
    entity: str
    fields: Mapping[str, FieldValue]
    ts_ms: int
    tags: Mapping[str, str] = field(default_factory=dict)


# Not slotted on purpose: the health route reads ``stats().__dict__``.
@dataclass(frozen=True)
class SinkStats:
    """Counts of one sink.

    ``written`` and ``dropped`` are totals since start; ``buffered`` (in memory) and ``spooled``
    (on disk, waiting for the server) are what is pending now.
    """

    written: int = 0
    buffered: int = 0
    spooled: int = 0
    dropped: int = 0


class HistoryUnavailable(RuntimeError):
    """The history store cannot answer truthfully now (cannot open, or writes are failing):
    the API says so (503) rather than serving missing or partial rows as if complete."""


class Sink(Protocol):
    """A history sink: cheap ``write`` on the hot path, a flush loop, flush on exit."""

    name: str

    def write(self, points: Sequence[Point]) -> None:
        """Append to the buffer. Never blocks, never raises because a server is down.

        Call it from the event loop's thread.
        """

    async def run(self) -> None:
        """Flush loop; runs until cancelled."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Flush everything pending (to the server, or to the spool if it is down)."""

    def stats(self) -> SinkStats: ...


class HistoryReader(Protocol):
    """Recent history of one entity."""

    async def recent(
        self,
        measurement: str,
        entity: str,
        since_ms: int,
        until_ms: int | None = None,
        fields: Sequence[str] | None = None,
        limit: int = 10_000,
    ) -> list[dict[str, object]]:
        """Rows ``{"ts_ms": …, field: value, …}`` in ascending time, ``since_ms <= ts_ms``
        (``<= until_ms`` when given); the newest ``limit`` rows when there are more."""
        ...
