"""The board as operators see it: the live line state plus today's crew picture."""

from __future__ import annotations

from typing import Any

from services.crew_link import CrewLink
from services.health import HealthMonitor
from telemetry.board import board_snapshot
from telemetry.state import LineState


def live_board(
    state: LineState,
    crew_link: CrewLink | None,
    now_ms: int,
    health: HealthMonitor | None = None,
) -> dict[str, Any]:
    """``GET /api/board`` and the websocket's frames: :func:`telemetry.board.board_snapshot`
    with a ``crew`` key (today's shifts, crew-constrained capacity and head counts by state;
    ``None`` until the first coverage solve after start-up) and a ``health`` key (overall
    status, whether the live board can be trusted, each dependency: see ``/healthz``)."""
    snap = board_snapshot(state, now_ms)
    snap["crew"] = crew_link.summary if crew_link is not None else None
    # every dependency's state: the board says when it cannot be trusted, and why
    snap["health"] = health.report() if health is not None else None
    return snap
