"""Run the HTTP server (uvicorn) over a runtime until Ctrl-C."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.runtime import Runtime


def make_server(rt: Runtime, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(rt),
        host=host,
        port=port,
        log_config=None,  # structlog owns logging
        access_log=False,
        lifespan="on",
        ws_per_message_deflate=False,  # doubles CPU for board fan-out (PITFALLS.md)
    )
    return uvicorn.Server(config)


async def serve_http(rt: Runtime) -> None:
    """Serve until interrupted; the app's lifespan starts and stops the live side."""
    s = rt.settings.http
    rt.freeze_gc = True  # a long-lived process: start-up objects leave the GC's view
    server = make_server(rt, s.host, s.port)
    await server.serve()
