"""Prometheus metrics of the board websocket, registered on the runtime's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: the reasons ``api.routes.ws`` ends a board connection with
DISCONNECT_REASONS = (
    "client_closed",
    "client_gone",
    "send_timeout",
    "server_shutdown",
    "hub_silent",
    "cancelled",
    "error",
)


class BoardHubMetrics:
    """Clients, frames, resyncs and disconnects of ``WS /ws/board``; the hub's tick cost."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.clients = Gauge(
            "metro_ws_clients", "Board websocket clients connected", registry=registry
        )
        self.frames = Counter(
            "metro_ws_frames_total",
            "Board websocket frames sent, by type (snapshot, delta, heartbeat)",
            ["type"],
            registry=registry,
        )
        self.resyncs = Counter(
            "metro_ws_resyncs_total",
            "Clients sent back to a fresh snapshot: slow_client (queue full) or requested",
            ["reason"],
            registry=registry,
        )
        self.disconnects = Counter(
            "metro_ws_disconnects_total",
            "Board websocket connections ended, by reason",
            ["reason"],
            registry=registry,
        )
        # known label values get their series at 0 from the start (Grafana: 0, not "No data")
        for r in ("requested", "slow_client"):
            self.resyncs.labels(r)
        for r in DISCONNECT_REASONS:
            self.disconnects.labels(r)
        self.tick_late_seconds = Histogram(
            "metro_ws_tick_late_seconds",
            "How late the hub's tick woke up: event-loop lag, which delays every frame",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=registry,
        )
        self.fanout_seconds = Histogram(
            "metro_ws_fanout_seconds",
            "From a frame's tick to its send to one client completing (queue wait and send)",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
            registry=registry,
        )
        self.tick_seconds = Histogram(
            "metro_ws_tick_seconds",
            "CPU time of one hub tick: snapshot, delta, serialisation, fan-out to queues",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
            registry=registry,
        )
