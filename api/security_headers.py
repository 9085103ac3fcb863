"""Security headers on every HTTP response (a pure ASGI middleware; websockets pass through).

* ``Content-Security-Policy``: everything from our own origin only, no inline or ``eval``
  scripts, no plugins, no framing, forms post only to us. Inline *styles* are allowed because
  the UI's pages use a few ``style`` attributes; inline scripts, the real XSS vector, are not.
  One policy for every response, with no exceptions: FastAPI's interactive docs, which need a
  CDN and an inline script, are not served (:mod:`api.app`).
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  no-referrer``, a ``Permissions-Policy`` switching off sensors the UI never uses, and
  ``Cross-Origin-Opener-Policy: same-origin``.
* ``Strict-Transport-Security`` only when the request came over HTTPS (``scope["scheme"]``;
  behind a TLS-terminating proxy, uvicorn takes the scheme from its ``X-Forwarded-Proto`` when
  the proxy's address is in ``http.trusted_proxies``). Over
  plain HTTP it would be ignored by browsers anyway, and it must never pin a development host.

A header the route has set itself is left alone.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"

_COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        csp: str = CSP,
        hsts: str = HSTS,
    ) -> None:
        self.app = app
        self._csp = csp.encode()
        self._hsts = hsts.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*_COMMON, (b"content-security-policy", self._csp)]
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", self._hsts))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
