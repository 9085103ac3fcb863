"""The ``metro-ops`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.logging import configure_logging
from api.settings import Settings, load_settings

app = typer.Typer(
    name="metro-ops",
    help="Real-time operations monitor for Hanoi Metro Line 2A.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML settings file (env METRO_* overrides it)"),
]


@app.callback()
def _root() -> None:
    """Real-time operations monitor for Hanoi Metro Line 2A."""


def _settings(config: Path | None) -> Settings:
    try:
        settings = load_settings(config)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    configure_logging(settings.log.level, settings.log.format)
    return settings


@app.command()
def line(config: ConfigOpt = None) -> None:
    """Print the line model: stations, run times and trains needed per headway."""
    from line import Direction, load_line

    settings = _settings(config)
    ln = load_line(settings.line.file)
    typer.echo(f"{ln.name} — {ln.length_m / 1000:.2f} km, {len(ln.stations)} stations")
    for sid, arr, _dep in ln.arrival_offsets_s(Direction.OUTBOUND):
        st = ln.station(sid)
        typer.echo(f"  {sid:4} {st.name:14} {st.chainage_m:8.0f} m  +{arr / 60:5.1f} min")
    typer.echo(f"trip {ln.trip_time_s / 60:.1f} min, cycle {ln.cycle_time_s / 60:.1f} min")
    for h in (360, 600, 900):
        typer.echo(f"  headway {h // 60:2d} min → {ln.trains_needed(h)} trains")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
