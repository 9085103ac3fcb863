"""Reaching the TCP connection under an ASGI websocket, for what ASGI cannot express.

ASGI has no way to (a) bound how much the server buffers for one client, or (b) reset the
connection of a client that stopped reading: a close frame cannot get past a full send
buffer, and uvicorn's ``transport.close()`` waits for the buffer to drain — for ever when the
peer is alive but not reading (zero window), which also holds up the server's shutdown.
uvicorn's ASGI ``send`` is a bound method of its protocol object, which holds the asyncio
transport; middleware wraps it in closures. Everything here degrades to a no-op (returns
False) when the transport cannot be found, e.g. under another ASGI server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from starlette.websockets import WebSocket


def find_transport(send: Any, depth: int = 8) -> asyncio.Transport | None:
    """The asyncio transport behind an ASGI ``send`` callable, or ``None``."""
    seen: set[int] = set()
    todo = [(send, 0)]
    while todo:
        obj, d = todo.pop()
        if id(obj) in seen or d > depth:
            continue
        seen.add(id(obj))
        transport = getattr(getattr(obj, "__self__", None), "transport", None)
        if isinstance(transport, asyncio.Transport):
            return transport
        for cell in getattr(obj, "__closure__", None) or ():
            with contextlib.suppress(ValueError):  # an empty cell
                if callable(cell.cell_contents):
                    todo.append((cell.cell_contents, d + 1))
    return None


def _transport(websocket: WebSocket) -> asyncio.Transport | None:
    return find_transport(getattr(websocket, "_send", None))


def limit_send_buffers(websocket: WebSocket, nbytes: int) -> bool:
    """Bound what is buffered for this client (kernel send buffer and asyncio's write buffer)
    to about ``nbytes`` each, so a stalled client shows as a blocked send within seconds
    instead of after megabytes of Linux's auto-tuned buffer."""
    transport = _transport(websocket)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, nbytes)
    transport.set_write_buffer_limits(high=nbytes)
    return True


def abort_connection(websocket: WebSocket) -> bool:
    """Reset the TCP connection of a client that stopped reading; False if not possible."""
    transport = _transport(websocket)
    if transport is None:
        return False
    transport.abort()
    return True


def abort_after(websocket: WebSocket, delay_s: float) -> bool:
    """Reset the connection in ``delay_s`` unless it has closed by then (a no-op on a closed
    transport): the closing handshake of a client that stopped reading never completes."""
    transport = _transport(websocket)
    if transport is None:
        return False
    asyncio.get_running_loop().call_later(delay_s, transport.abort)
    return True
