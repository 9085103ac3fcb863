"""The live board over websocket: one hub ticks, diffs and fans frames out to every client.

Public API: :class:`BoardHub` (owned by the runtime), :class:`BoardClient`, :class:`BoardDiff`
(the delta between two boards; its module docstring is the wire protocol),
:class:`BoardHubMetrics`.
"""

from services.live.frames import BoardDiff
from services.live.hub import BoardClient, BoardFrame, BoardHub, Frame, FrameKind
from services.live.metrics import BoardHubMetrics

__all__ = [
    "BoardClient",
    "BoardDiff",
    "BoardFrame",
    "BoardHub",
    "BoardHubMetrics",
    "Frame",
    "FrameKind",
]
