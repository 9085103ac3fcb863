"""The board as operators see it: the live line state plus today's crew picture."""

from __future__ import annotations

from typing import Any

from api.runtime import Runtime
from telemetry.board import board_snapshot


def live_board(rt: Runtime) -> dict[str, Any]:
    """``GET /api/board`` and the websocket's frames: :func:`telemetry.board.board_snapshot`
    with a ``crew`` key (today's shifts, crew-constrained capacity and head counts by state;
    ``None`` until the first coverage solve after start-up)."""
    snap = board_snapshot(rt.state, rt.clock())
    snap["crew"] = rt.crew_link.summary if rt.crew_link is not None else None
    return snap
