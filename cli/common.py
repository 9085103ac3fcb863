"""What every ``metro-ops`` command shares: loading its settings, with a clear error.

A configuration error is one line on stderr and exit status 2 — never a traceback, and never
the offending value (it may be a password in a database URL).
"""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from services.logging import configure_logging
from services.settings import Settings, load_settings

CONFIG_EXIT = 2


def config_error_line(exc: BaseException) -> str:
    """One line saying what is wrong with the settings (field and reason, no values)."""
    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors(include_url=False, include_input=False, include_context=False):
            where = ".".join(str(p) for p in e["loc"]) or "settings"
            msg = str(e["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}")
        return "invalid settings: " + "; ".join(parts)
    text = " ".join(str(exc).split())  # any multi-line message folded onto one line
    return text or type(exc).__name__


def fail(message: str, code: int = CONFIG_EXIT) -> typer.Exit:
    """Print ``error: message`` (one line) on stderr; returns the exit to raise."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return typer.Exit(code)


def cli_settings(config: Path | None) -> Settings:
    """The settings from ``config`` and ``METRO_*``, logging configured; a bad or missing file
    or variable exits with status 2 and says why in one line."""
    try:
        settings = load_settings(config)
    except (FileNotFoundError, ValueError) as exc:  # ValidationError, TOML and env parse errors
        raise fail(config_error_line(exc)) from None
    configure_logging(settings.log.level, settings.log.format, secrets=settings_secrets(settings))
    return settings


def settings_secrets(settings: Settings) -> list[str]:
    """Literal secrets of the settings that must never appear in a log line: API tokens, the
    InfluxDB token, the passwords in the database and broker URLs."""
    from urllib.parse import urlsplit

    from sqlalchemy.engine import make_url

    found = [*settings.auth.tokens, settings.influx.token.get_secret_value()]
    found.append(str(make_url(settings.db.url).password or ""))  # validated: parses
    if settings.mqtt.url:
        found.append(urlsplit(settings.mqtt.url).password or "")
    return [s for s in found if len(s) >= 4]


def check_database(url: str, timeout_s: float = 15.0) -> None:
    """Connect to the database once before starting anything, so an unreachable or refused
    one is a one-line error (exit 1) instead of a traceback from deep in the start-up."""
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.engine import make_engine

    async def probe() -> None:
        engine = make_engine(url)
        try:
            async with asyncio.timeout(timeout_s), engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(probe())
    except Exception as exc:  # noqa: BLE001 - any driver's error: say it in one line
        shown = make_url(url).render_as_string(hide_password=True)
        why = config_error_line(exc) if str(exc) else type(exc).__name__
        raise fail(f"cannot open the database {shown}: {why}", 1) from None
