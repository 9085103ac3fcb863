"""``metro-ops audit prune``: the audit log's retention, for administrators.

Records older than ``auth.audit_retention_days`` (or ``--older-than-days``) are first written
to a JSON-lines file (one record a line, as ``GET /api/audit`` shows them), then removed; the
pruning itself is audited (how many, the cut-off, the file and its SHA-256). Keep the files
where the backups go.
"""

from __future__ import annotations

import asyncio
import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from accounts import SecurityStore
from accounts.retention import PruneResult, RetentionError, export_and_prune
from cli.common import cli_settings, fail

app = typer.Typer(
    name="audit",
    help="The audit log: retention (export, then prune).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _audit() -> None:
    """The audit log: retention (export, then prune)."""


@app.command()
def prune(
    export: Annotated[
        Path, typer.Option("--export", help="JSON-lines file for the removed records (new)")
    ],
    older_than_days: Annotated[
        int | None,
        typer.Option(
            min=1, help="remove records older than this (default: auth.audit_retention_days)"
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="export only; remove nothing")] = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="TOML settings file (env METRO_* overrides it)"),
    ] = None,
) -> None:
    """Export audit records older than the retention to a file, then remove them."""
    settings = cli_settings(config)
    days = older_than_days or settings.auth.audit_retention_days
    try:
        cutoff = datetime.now(UTC) - timedelta(days=days)
    except OverflowError:  # timedelta's limit, or before year 1
        raise fail(
            f"--older-than-days {days}: before the first date the calendar has; "
            f"at most {(datetime.now(UTC) - datetime.min.replace(tzinfo=UTC)).days} days"
        ) from None
    before_ms = int(cutoff.timestamp() * 1000)

    async def main() -> PruneResult:
        async with SecurityStore(settings.db.url, settings.auth) as store:
            result = await export_and_prune(store.db, before_ms, export, dry_run=dry_run)
            if result.removed:
                await store.audit.record(
                    "audit.prune",
                    user=f"{getpass.getuser()} (cli)",
                    source_ip="local",
                    detail={
                        "before_ms": before_ms,
                        "removed": result.removed,
                        "export_file": str(export.resolve()),
                        "sha256": result.sha256,
                    },
                )
            return result

    try:
        result = asyncio.run(main())
    except (RetentionError, OSError) as exc:
        raise fail(str(exc), 1) from None
    gone = f"would remove {result.exported}" if dry_run else f"removed {result.removed}"
    typer.echo(
        f"exported {result.exported} record(s) older than {cutoff:%Y-%m-%d %H:%M} UTC "
        f"to {export} (sha256 {result.sha256}); {gone}"
    )
