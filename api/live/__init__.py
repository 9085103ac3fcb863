"""The live board over websocket: one hub ticks, diffs and fans frames out to every client.

Public API: :class:`BoardHub` (owned by the runtime), :class:`BoardClient`, :class:`BoardDiff`
(the delta between two boards; its module docstring is the wire protocol),
:class:`BoardHubMetrics`.
"""

from api.live.frames import BoardDiff
from api.live.hub import BoardClient, BoardFrame, BoardHub, Frame, FrameKind
from api.live.metrics import BoardHubMetrics

__all__ = [
    "BoardClient",
    "BoardDiff",
    "BoardFrame",
    "BoardHub",
    "BoardHubMetrics",
    "Frame",
    "FrameKind",
]
