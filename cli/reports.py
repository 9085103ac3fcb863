"""``metro-ops report``: make a situation report now and write it as HTML and/or PDF.

Two ways, because the facts live in two places:

* **offline** (default): from the database of the settings (``db.url``) — crew counts and
  changes, the coverage outlook and the latest what-if — with no live service section: the
  trip ledger and the alarms live in the running server's memory (they are derived from the
  telemetry stream), and a fresh process has seen none of it. It works with the server down,
  which is when a report by hand is most wanted. ``--at`` makes it as of another instant. The
  report is stored with the others (kind ``offline``) and not announced to the webhook.
* ``--server URL``: a running metro-ops makes the complete report (``POST /api/reports`` with
  a bearer token of an operator, crew manager or admin: ``--token`` or ``METRO_API_TOKEN``);
  it is stored and announced there, and downloaded here.
"""

from __future__ import annotations

import asyncio
import enum
import getpass
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from cli.common import cli_settings as _settings
from cli.common import fail
from crew.model import instant_in_range, instant_refusal
from line.catalogue import render
from services.settings import Settings


class Format(enum.StrEnum):
    HTML = "html"
    PDF = "pdf"
    BOTH = "both"


def _exts(fmt: Format) -> list[str]:
    return ["html", "pdf"] if fmt is Format.BOTH else [fmt.value]


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot become a folder (it, or a folder above it, is a file)
    before the report is made: a report takes a while, and its files would be lost."""
    at = out
    while not at.exists():
        at = at.parent
    if not at.is_dir():
        raise ValueError(f"--out {out}: {at} is a file, not a folder")
    if not os.access(at, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: {at} is not writable")


def _write(out: Path, stem: str, files: dict[str, bytes]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for ext, data in files.items():
        path = out / f"{stem}.{ext}"
        path.write_bytes(data)
        typer.echo(f"wrote {path} ({len(data)} bytes)")


def _stem(settings: Settings, at_ms: int, report_id: str) -> str:
    when = datetime.fromtimestamp(at_ms / 1000, settings.reports.tz)
    return f"bao-cao-tinh-hinh-{when:%Y%m%d-%H%M}-{report_id[:8]}"


async def _offline(
    settings: Settings, at_ms: int | None, actor: str, exts: list[str]
) -> tuple[str, int, dict[str, object], dict[str, bytes]]:
    from crew.coverage import SolverSettings
    from crew.store import CrewStore
    from line import load_line
    from reports.content import Sources, forecasts_from_store
    from reports.model import ReportKind
    from reports.service import ReportService
    from whatif.store import RunStore

    r = settings.reports
    line = load_line(settings.line.file)
    async with (
        CrewStore(settings.db.url, policy=settings.crew.crew_policy()) as crew,
        RunStore(settings.db.url) as runs,
    ):
        sources = Sources(
            line=line,
            timetable=settings.state.timetable,
            tz=r.tz,
            timezone=r.timezone,
            crew=crew,
            forecast=forecasts_from_store(runs),
            solver=SolverSettings(time_limit_s=settings.crew.solver_time_limit_s),
            outlook_days=r.outlook_days,
            top_alarms=r.top_alarms,
        )
        async with ReportService(r, settings.db.url, sources, announce=False) as svc:
            rec = await svc.produce(kind=ReportKind.OFFLINE, actor=actor, at_ms=at_ms)
            files = {}
            if "html" in exts:
                files["html"] = (await svc.html(rec.id)).encode()
            if "pdf" in exts:
                files["pdf"] = await svc.pdf(rec.id)
    return rec.id, rec.at_ms, rec.summary, files


def _from_server(
    server: str, token: str, exts: list[str]
) -> tuple[str, int, dict[str, object], dict[str, bytes]]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=180) as http:
        r = http.post("/api/reports")
        if r.status_code != 201:
            raise RuntimeError(f"{server} answered {r.status_code}: {r.text[:300]}")
        body = r.json()
        files = {}
        for ext in exts:
            got = http.get(body["links"][ext])
            got.raise_for_status()
            files[ext] = got.content
    return body["id"], body["at_ms"], body["summary"], files


def report(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="TOML settings file (env METRO_* overrides it)"),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="as of this ISO time (local time when no offset; offline only)"),
    ] = None,
    out: Annotated[Path, typer.Option(help="directory the files are written to")] = Path("."),
    fmt: Annotated[Format, typer.Option("--format", help="what to write")] = Format.BOTH,
    server: Annotated[
        str | None,
        typer.Option(help="URL of a running metro-ops: it makes the report, with live service"),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="METRO_API_TOKEN", help="bearer token for --server"),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="who asks for it (recorded); default: you")
    ] = None,
) -> None:
    """Make a situation report now (HTML and PDF): offline from the database, or by a server."""
    settings = _settings(config)
    exts = _exts(fmt)
    try:
        _check_out(out)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        if server is not None:
            if at is not None:
                raise ValueError("--at works offline only: a server reports the present")
            if not token:
                raise ValueError("--server needs --token (or METRO_API_TOKEN)")
            rid, at_ms, summary, files = _from_server(server, token, exts)
        else:
            as_of = None
            if at is not None:
                when = datetime.fromisoformat(at)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=settings.reports.tz)
                if not instant_in_range(when):  # a report dated 9999 is no situation report
                    raise ValueError(f"--at {render(instant_refusal(), 'en')}")
                as_of = int(when.timestamp() * 1000)
            actor = f"{user or getpass.getuser()} (cli)"
            rid, at_ms, summary, files = asyncio.run(_offline(settings, as_of, actor, exts))
    except (ValueError, RuntimeError, OSError, httpx.HTTPError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"report {rid}")
    typer.echo("  " + ", ".join(f"{k}={v}" for k, v in summary.items() if v is not None))
    _write(out, _stem(settings, at_ms, rid), files)
