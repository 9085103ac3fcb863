"""Prometheus metrics of the telemetry pipeline, registered on a registry passed in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class TelemetryMetrics:
    """Every counter the ingest, state and sinks expose on ``/metrics``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "metro_messages_total", "Valid field messages by kind", ["kind"], registry=registry
        )
        self.rejects = Counter(
            "metro_rejects_total",
            "Rejected field messages by reason",
            ["reason"],
            registry=registry,
        )
        self.seq_gaps = Counter(
            "metro_seq_gap_messages_total",
            "Messages missing from per-train seq sequences (loss)",
            ["train"],
            registry=registry,
        )
        self.stale_messages = Counter(
            "metro_stale_messages_total",
            "Duplicate or older messages ignored (never overwrite newer state)",
            ["kind"],
            registry=registry,
        )
        self.mqtt_connects = Counter(
            "metro_mqtt_connects_total", "MQTT (re)connections", ["result"], registry=registry
        )
        self.modbus_polls = Counter(
            "metro_modbus_polls_total",
            "Modbus polls by device and result",
            ["device", "result"],
            registry=registry,
        )
        self.device_stale = Gauge(
            "metro_modbus_device_stale", "1 when a device is stale", ["device"], registry=registry
        )
        self.sink_points = Counter(
            "metro_sink_points_total",
            "History points by sink and outcome (written, spooled, dropped)",
            ["sink", "outcome"],
            registry=registry,
        )
        self.sink_buffered = Gauge(
            "metro_sink_buffered_points",
            "Points waiting in memory or spool",
            ["sink", "where"],
            registry=registry,
        )
        self.ingest_latency = Histogram(
            "metro_ingest_to_state_seconds",
            "From the message's field timestamp to the live state update",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=registry,
        )
        self.clock_skew = Gauge(
            "metro_clock_skew_seconds",
            "A field unit's clock minus the server's at receipt (latest telemetry message)",
            ["unit"],
            registry=registry,
        )
        self.ts_clamped = Counter(
            "metro_ts_clamped_total",
            "Field timestamps ahead of the server's clock, clamped to the time of receipt",
            ["kind"],
            registry=registry,
        )
        self.alarms_active = Gauge(
            "metro_alarms_active",
            "Alarms not yet returned to normal and acknowledged",
            registry=registry,
        )
