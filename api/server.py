"""Run the HTTP server (uvicorn) over a runtime until Ctrl-C.

The listening socket is bound by :func:`bind_http` before anything else starts, so a port in
use is a one-line error (:class:`PortInUse`) instead of uvicorn's log line among others.
Forwarded headers (``X-Forwarded-For``/``-Proto``) are believed only from the configured
``http.trusted_proxies``; uvicorn's own default trusts 127.0.0.1, which lets any local client
pick its address for the sign-in throttle and the audit log.
"""

from __future__ import annotations

import errno
import socket
import time
from types import FrameType

import uvicorn

from api.app import create_app
from services.runtime import ConfigError, Runtime


class PortInUse(ConfigError):
    """The HTTP port is taken (or the address cannot be bound)."""


def bind_http(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (as uvicorn binds it), or :class:`PortInUse`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        in_use = exc.errno == errno.EADDRINUSE
        what = "is in use by another program" if in_use else f"cannot be used ({exc.strerror})"
        raise PortInUse(
            f"HTTP port {port} on {host} {what}: stop it, or choose another port with "
            f"METRO_HTTP_PORT={port + 1 if port < 65535 else 8080} (or http.port in the config)"
        ) from None
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, taking one Ctrl-C delivered twice as one.

    Ctrl-C under ``uv run`` (``make demo``) delivers SIGINT twice within milliseconds: the
    terminal's, and the one ``uv`` forwards. uvicorn takes a second SIGINT as "force quit": it
    skips the application's shutdown (sinks not flushed, database connections left open) and
    re-raises the signal twice, which prints a KeyboardInterrupt traceback. A repeat within
    :data:`SAME_SIGNAL_S` is dropped; a later one still forces the exit, re-raised once.
    """

    SAME_SIGNAL_S = 1.0

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._first_at: dict[int, float] = {}

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        first = self._first_at.setdefault(sig, now)
        if first != now and now - first < self.SAME_SIGNAL_S:
            return  # the same Ctrl-C, forwarded
        repeated = sig in self._captured_signals
        super().handle_exit(sig, frame)
        if repeated:
            self._captured_signals.pop()  # re-raised once after the stop, not once per press


def make_server(rt: Runtime, host: str, port: int) -> uvicorn.Server:
    proxies = rt.settings.http.trusted_proxies
    config = uvicorn.Config(
        create_app(rt),
        host=host,
        port=port,
        log_config=None,  # structlog owns logging
        access_log=False,
        lifespan="on",
        ws_per_message_deflate=False,  # doubles CPU for board fan-out (PITFALLS.md)
        proxy_headers=bool(proxies),  # off unless a proxy is configured (not 127.0.0.1)
        forwarded_allow_ips=list(proxies) if proxies else None,
    )
    return _Server(config)


async def serve_http(rt: Runtime, sock: socket.socket | None = None) -> None:
    """Serve until interrupted; the app's lifespan starts and stops the live side. ``sock``:
    the socket of :func:`bind_http` (bound here when not given)."""
    s = rt.settings.http
    rt.freeze_gc = True  # a long-lived process: start-up objects leave the GC's view
    sock = sock or bind_http(s.host, s.port)
    server = make_server(rt, s.host, s.port)
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()
