"""``WS /ws/board``: the live board as a snapshot, then deltas and heartbeats (see
:mod:`services.live.frames` for the protocol). Any signed-in role may watch.

Each connection runs three tasks: a sender draining the client's bounded queue (filled by the
runtime's :class:`~services.live.BoardHub`) to the socket, every send bounded by
``ws.send_timeout_s``; a reader for the client's ``{"type": "resync"}`` requests; and a
watcher checking every ``ws.auth_recheck_s`` (2 s) that the sign-in still holds — sign-out,
session expiry, a disabled account, a new password or a revoked token close the socket. The
first to finish ends the connection.

Close codes: 4401 not signed in, or no longer (sent right after the handshake so a browser can
read it and go to the login page instead of retrying), 1012 server restarting, 1011 board
unavailable.
"""

# No ``from __future__ import annotations`` here: FastAPI must see the real ``WebSocket`` class
# in the endpoint's signature, or it answers 403 to every handshake (PITFALLS.md).

import asyncio
import contextlib
import time

import orjson
import structlog
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected

from api.auth import SocketAuth, websocket_auth
from api.ws_transport import abort_after, abort_connection, limit_send_buffers
from services.live import BoardClient, BoardHub
from services.runtime import Runtime

log = structlog.get_logger(__name__)

router = APIRouter(tags=["board"])

CLOSE_UNAUTHENTICATED = 4401  # 4000–4999: application codes; 401 as in HTTP
CLOSE_RESTART = 1012  # "service restart": the client reconnects
CLOSE_UNAVAILABLE = 1011
AUTH_TIMEOUT_S = 5.0
CLOSE_TIMEOUT_S = 2.0
_GONE = (WebSocketDisconnect, WebSocketDisconnected, OSError)


async def _principal(websocket: WebSocket) -> SocketAuth | None:
    """Who opened the socket (``?token=``, bearer header or same-origin session cookie)."""
    try:
        async with asyncio.timeout(AUTH_TIMEOUT_S):
            return await websocket_auth(websocket)
    except TimeoutError:
        log.warning("websocket sign-in check timed out")
        return None


async def _watch_sign_in(auth: SocketAuth, every_s: float) -> str:
    """Return ``"revoked"`` once the socket's sign-in no longer holds. A check that fails
    (database unreachable) keeps the socket: the board matters most in an outage."""
    warned = False
    while True:
        await asyncio.sleep(every_s)
        try:
            async with asyncio.timeout(AUTH_TIMEOUT_S):
                valid = await auth.still_valid()
        except Exception:  # noqa: BLE001 - any failure of the check itself
            if not warned:
                log.warning("websocket sign-in re-check failed", who=auth.principal.actor)
                warned = True
            continue
        if not valid:
            return "revoked"


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    with contextlib.suppress(*_GONE, TimeoutError, RuntimeError):
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await websocket.close(code, reason)


async def _send_frames(websocket: WebSocket, hub: BoardHub, client: BoardClient) -> str:
    """Drain the client's queue to the socket until the hub stops or the client is gone;
    returns why it stopped."""
    s = hub.settings
    # the hub offers at least a heartbeat every heartbeat_s: silence much longer means no hub
    idle_s = max(3 * s.heartbeat_s, 10 * s.tick_s, s.heartbeat_s + 5)
    while True:
        try:
            async with asyncio.timeout(idle_s):
                frame = await client.queue.get()
        except TimeoutError:
            await _close(websocket, CLOSE_UNAVAILABLE, "board unavailable")
            return "hub_silent"
        if frame is None:
            await _close(websocket, CLOSE_RESTART, "server restarting")
            return "server_shutdown"
        try:
            async with asyncio.timeout(s.send_timeout_s):
                await websocket.send_text(frame.text)
        except TimeoutError:
            log.info("board client stalled: dropped", who=client.who, after_s=s.send_timeout_s)
            if not abort_connection(websocket):
                await _close(websocket, CLOSE_RESTART, "too slow")
            return "send_timeout"
        except _GONE:
            return "client_gone"
        hub.metrics.frames.labels(frame.kind).inc()
        hub.metrics.fanout_seconds.observe(time.monotonic() - frame.made_at)


async def _read_requests(websocket: WebSocket, hub: BoardHub, client: BoardClient) -> str:
    """Honour ``{"type": "resync"}``; ignore anything else; returns when the client leaves."""
    while True:
        try:
            msg = await websocket.receive()
        except _GONE:
            return "client_gone"
        if msg["type"] == "websocket.disconnect":
            return "client_closed"
        data = msg.get("text") or msg.get("bytes")
        if not data or len(data) > 1024:
            continue
        try:
            request = orjson.loads(data)
        except orjson.JSONDecodeError:
            continue
        if isinstance(request, dict) and request.get("type") == "resync":
            hub.request_resync(client)


@router.websocket("/ws/board")
async def board_socket(websocket: WebSocket) -> None:
    """Live board: a snapshot, then deltas (≤ 10/s) and heartbeats; ``?token=`` to sign in."""
    rt: Runtime = websocket.state.runtime
    try:
        await _serve(websocket, rt)
    finally:
        # whatever happened, the socket is gone from the server within a bound even if the
        # client stopped reading (uvicorn would otherwise wait for it, also at shutdown)
        abort_after(websocket, CLOSE_TIMEOUT_S)


async def _serve(websocket: WebSocket, rt: Runtime) -> None:
    hub = rt.board_hub
    auth = await _principal(websocket)
    await websocket.accept()
    if auth is None:
        if hub is not None:
            hub.metrics.disconnects.labels("unauthenticated").inc()
        await _close(websocket, CLOSE_UNAUTHENTICATED, "not signed in")
        return
    if hub is None:
        await _close(websocket, CLOSE_UNAVAILABLE, "board unavailable")
        return
    limit_send_buffers(websocket, hub.settings.send_buffer_bytes)
    client = hub.connect(auth.principal.actor)
    sender = asyncio.create_task(_send_frames(websocket, hub, client), name="ws-board-send")
    reader = asyncio.create_task(_read_requests(websocket, hub, client), name="ws-board-read")
    watcher = asyncio.create_task(
        _watch_sign_in(auth, hub.settings.auth_recheck_s), name="ws-board-auth"
    )
    tasks = (sender, reader, watcher)
    reason = "cancelled"
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # the sender's reason wins: dropping a stalled client also ends the reader at once
        first = next(t for t in tasks if t in done)
        if first.exception() is not None:
            reason = "error"
            log.error("board websocket failed", exc_info=first.exception())
        else:
            reason = first.result()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hub.disconnect(client, reason)
    if reason == "revoked":  # the sender is stopped: the close frame is the last one sent
        log.info("board websocket closed: sign-in ended", who=auth.principal.actor)
        await _close(websocket, CLOSE_UNAUTHENTICATED, "signed out")
