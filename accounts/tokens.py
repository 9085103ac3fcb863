"""Random secrets and their digests: session cookies, CSRF tokens, API tokens.

Only the SHA-256 of a session or API token is stored: the tokens are 256-bit random strings,
so a fast digest suffices (no salt or slow hash needed), and a stolen database holds nothing
that signs anyone in.
"""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "mo_"  # says what it is when found in a log or a config file


def new_secret() -> str:
    """A fresh 256-bit random token, URL-safe (cookies, CSRF tokens)."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """A generated password (16 URL-safe characters, 96 bits), e.g. for the demo's users."""
    return secrets.token_urlsafe(12)
