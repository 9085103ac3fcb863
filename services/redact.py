"""Scrubbing secrets from log lines: the last step of every log record, in any format.

Patterns cover what the server itself can put in a line: ``?token=`` in a websocket URL
(uvicorn logs the path of every handshake), ``Authorization`` headers, session and CSRF
cookies, ``"password": …``-style pairs in a rendered dict or JSON, per-user API tokens
(``mo_…``), and the literal secrets of the settings (API tokens, database and broker passwords,
the InfluxDB token). Tracebacks are rendered without local variables (:mod:`services.logging`), so
request bodies and settings objects never reach a line in the first place; this is the net
under that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from typing import Any

MASK = "[redacted]"
_KEYS = r"password|passwd|new_password|secret|token|csrf_token|api_key|access_token"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ?token=…&  in URLs (websocket handshakes, access logs)
    (re.compile(rf"([?&;](?:{_KEYS})=)[^&\s\"'#\\]+", re.I), rf"\1{MASK}"),
    # Authorization: Bearer …, also inside reprs of header lists (b'authorization', b'Bearer …')
    (
        re.compile(
            r"(authorization['\"]?\s*[:=,]\s*b?['\"]?\s*(?:bearer|basic|token)\s+)[^\s'\",)]+", re.I
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.I), rf"\1{MASK}"),
    # cookies
    (re.compile(r"((?:metro_session|metro_csrf)=)[^;\s'\",]+", re.I), rf"\1{MASK}"),
    # "password": "…" / 'password': '…' / password='…' (reprs, JSON, kwargs)
    (
        re.compile(
            rf"(['\"]?\b(?:{_KEYS})['\"]?\s*[:=]\s*b?)(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')",
            re.I,
        ),
        rf"\1'{MASK}'",
    ),
    # per-user API tokens (accounts.tokens.API_TOKEN_PREFIX)
    (re.compile(r"\bmo_[A-Za-z0-9_-]{16,}"), MASK),
)


class Redactor:
    """Replaces secrets in text with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        words = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._literal = re.compile("|".join(re.escape(w) for w in words)) if words else None

    def __call__(self, text: str) -> str:
        if self._literal is not None:
            text = self._literal.sub(MASK, text)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text

    def event(
        self, _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
    ) -> dict[str, Any]:
        """A structlog processor: every string in the event (keys' values, nested), scrubbed
        before a renderer escapes them (JSON)."""
        return {k: self._value(v) for k, v in event_dict.items()}

    def _value(self, v: Any) -> Any:
        if isinstance(v, str):
            return self(v)
        if isinstance(v, dict):
            return {k: self._value(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [self._value(x) for x in v]
        return v
