"""The board hub: one task computes the board once per tick and fans the frame out to clients.

Per tick (``ws.tick_s``, 100 ms by default, so deltas are coalesced to at most ten a second)
the hub builds the board snapshot once, diffs it against the last one (:class:`BoardDiff`),
serialises the delta once with orjson, and offers the same text to every client's bounded
queue without waiting. A client whose queue is full is behind by ``ws.queue_frames`` frames:
its queue is emptied and a fresh snapshot put in its place, so a slow or stalled client costs
the others nothing. The per-client sender (``api.routes.ws``) drains the queue to the socket
and gives up on a client whose send stalls beyond ``ws.send_timeout_s``.

``seq`` counts the hub's deltas, so every client receiving every frame sees it go up by one;
a snapshot carries the seq of the delta it includes, and a heartbeat the last seq.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import structlog

from line.clock import Clock
from services.live.frames import Board, BoardDiff
from services.live.metrics import BoardHubMetrics
from services.settings import WsSettings

log = structlog.get_logger(__name__)

FrameKind = Literal["snapshot", "delta", "heartbeat"]


@dataclass(frozen=True, slots=True)
class BoardFrame:
    """One frame as sent: the same object goes to every client of a tick."""

    kind: FrameKind
    text: str  # JSON
    made_at: float  # time.monotonic() of the tick, to measure the fan-out delay


#: ``None`` tells the sender the hub has stopped
Frame = BoardFrame | None


class BoardClient:
    """One connection's place in the hub: a bounded queue of frames waiting to be sent."""

    __slots__ = ("queue", "needs_snapshot", "who")

    def __init__(self, queue_frames: int, who: str) -> None:
        self.queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=queue_frames)
        self.needs_snapshot = True  # the first frame is a snapshot
        self.who = who

    def replace_all(self, frame: Frame) -> None:
        """Drop every queued frame and queue ``frame`` alone (never blocks)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(frame)


class BoardHub:
    """Computes board frames once per tick and offers them to every connected client."""

    def __init__(
        self,
        board: Callable[[int], Board],
        settings: WsSettings,
        metrics: BoardHubMetrics,
        clock: Clock,
    ) -> None:
        """``board(now_ms)`` returns the board snapshot (``telemetry.board.board_snapshot``)."""
        self._board = board
        self.settings = settings
        self.metrics = metrics
        self._clock = clock
        self._diff = BoardDiff()
        self._clients: set[BoardClient] = set()
        self._seq = 0
        self._last_frame_at = time.monotonic()
        self._stopped = False

    @property
    def seq(self) -> int:
        """The seq of the last delta."""
        return self._seq

    @property
    def clients(self) -> int:
        return len(self._clients)

    # --- clients --------------------------------------------------------------------------
    def connect(self, who: str = "") -> BoardClient:
        """Register a client; its first frame (a snapshot) comes with the next tick."""
        client = BoardClient(self.settings.queue_frames, who)
        if self._stopped:
            client.queue.put_nowait(None)
        self._clients.add(client)
        self.metrics.clients.set(len(self._clients))
        return client

    def disconnect(self, client: BoardClient, reason: str) -> None:
        """Forget a client (idempotent); ``reason`` labels the disconnect counter."""
        if client in self._clients:
            self._clients.discard(client)
            self.metrics.clients.set(len(self._clients))
            self.metrics.disconnects.labels(reason).inc()

    def request_resync(self, client: BoardClient) -> None:
        """The client asked for a fresh snapshot: it gets one with the next tick."""
        client.needs_snapshot = True
        self.metrics.resyncs.labels("requested").inc()

    # --- ticking --------------------------------------------------------------------------
    async def run(self) -> None:
        """Tick until cancelled; then tell every client's sender that the hub has stopped."""
        loop = asyncio.get_running_loop()
        period = self.settings.tick_s
        next_t = loop.time()
        try:
            while True:
                next_t += period
                delay = next_t - loop.time()
                if delay < 0:  # fell behind (CPU starved): skip ticks rather than burst
                    next_t, delay = loop.time(), 0.0
                await asyncio.sleep(delay)
                self.metrics.tick_late_seconds.observe(max(0.0, loop.time() - next_t))
                try:
                    self.tick()
                except Exception:  # a bug in one tick must not stop the board for everyone
                    log.exception("board hub tick failed")
        finally:
            self._stopped = True
            for c in self._clients:
                c.replace_all(None)

    def tick(self, now_ms: int | None = None) -> None:
        """Build this tick's board once and offer a snapshot, delta or heartbeat to each client.

        Never waits: a client whose queue is full is dropped back to a fresh snapshot.
        """
        if not self._clients:
            return  # nobody watching: a newcomer starts from a snapshot anyway
        started = time.perf_counter()
        now_ms = self._clock() if now_ms is None else now_ms
        board = self._board(now_ms)
        body = self._diff.update(board)
        if body is not None:
            self._seq += 1
        now = time.monotonic()
        heartbeat_due = body is None and now - self._last_frame_at >= self.settings.heartbeat_s
        cache: dict[FrameKind, BoardFrame] = {}

        def frame(kind: FrameKind) -> BoardFrame:
            f = cache.get(kind)
            if f is None:
                msg: dict[str, Any] = {"type": kind, "seq": self._seq, "ts_ms": now_ms}
                if kind == "snapshot":
                    msg["board"] = board
                elif kind == "delta":
                    msg.update(body or {})
                f = cache[kind] = BoardFrame(kind, orjson.dumps(msg).decode(), now)
            return f

        for c in self._clients:
            if c.needs_snapshot:
                c.needs_snapshot = False
                self._offer(c, frame("snapshot"), frame)
            elif body is not None:
                self._offer(c, frame("delta"), frame)
            elif heartbeat_due:
                self._offer(c, frame("heartbeat"), frame)
        if body is not None or heartbeat_due:
            self._last_frame_at = now
        self.metrics.tick_seconds.observe(time.perf_counter() - started)

    def _offer(
        self,
        client: BoardClient,
        f: BoardFrame,
        frame: Callable[[FrameKind], BoardFrame],
    ) -> None:
        try:
            client.queue.put_nowait(f)
        except asyncio.QueueFull:
            # behind by a whole queue: what it has not read is worthless now; start it again
            # from the present instead of making anyone wait for it
            client.replace_all(frame("snapshot"))
            self.metrics.resyncs.labels("slow_client").inc()
