"""History sinks: where the ingest's points go after the live state.

- :class:`EmbeddedStore` — SQLite (WAL) file, zero setup; also answers ``recent()`` queries.
- :class:`InfluxSink` — InfluxDB v2 write API (or VictoriaMetrics), with a disk :class:`Spool`
  so an outage loses nothing until ``spool_max_points``.
"""

from telemetry.sinks.base import HistoryReader, Point, Sink, SinkStats
from telemetry.sinks.embedded import EmbeddedStore
from telemetry.sinks.influx import DEFAULT_TAG_KEYS, InfluxSink, encode_line
from telemetry.sinks.spool import Spool, SpoolLockedError

__all__ = [
    "DEFAULT_TAG_KEYS",
    "EmbeddedStore",
    "HistoryReader",
    "InfluxSink",
    "Point",
    "Sink",
    "SinkStats",
    "Spool",
    "SpoolLockedError",
    "encode_line",
]
