"""What every ``metro-ops`` command shares: loading its settings, with a clear error."""

from __future__ import annotations

from pathlib import Path

import typer

from api.logging import configure_logging
from api.settings import Settings, load_settings


def cli_settings(config: Path | None) -> Settings:
    """The settings from ``config`` and ``METRO_*``, logging configured; a bad or missing file
    exits with status 2 and says why (no traceback for a typo in a TOML file)."""
    try:
        settings = load_settings(config)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    configure_logging(settings.log.level, settings.log.format)
    return settings
