"""``metro-ops crew …``: the roster file in and out, coverage on the terminal, a demo roster.

Each command opens the crew database of the settings (``db.url``), migrating it if needed.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from cli.common import cli_settings as _settings
from crew.coverage import SolverSettings
from crew.csvio import CsvImportError, import_roster_csv, write_roster_csv
from crew.forecast import CrewOutlook
from crew.model import Roster
from crew.roster import synthetic_roster
from crew.store import CrewStore, StoreError
from crew.store.outlook import shift_summaries, stored_outlook
from services.settings import Settings

app = typer.Typer(
    name="crew",
    help="Crew roster, coverage and capacity.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML settings file (env METRO_* overrides it)"),
]
UserOpt = Annotated[
    str | None, typer.Option("--user", help="who makes the change (audit); default: you")
]
T = TypeVar("T")


def _actor(user: str | None) -> str:
    return f"{user or getpass.getuser()} (cli)"


def _with_store(settings: Settings, work: Callable[[CrewStore], Awaitable[T]]) -> T:
    async def main() -> T:
        async with CrewStore(settings.db.url, policy=settings.crew.crew_policy()) as store:
            result = await work(store)
            # rows the reads had to leave out: said, not hidden (the output lacks them)
            bad = store.unreadable()
            if bad:
                typer.echo(
                    f"warning: {len(bad)} stored crew record(s) cannot be read and were left "
                    "out (delete or re-enter them):",
                    err=True,
                )
                for line in bad:
                    typer.echo(f"  {line}", err=True)
            return result

    try:
        return asyncio.run(main())
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:  # database unreachable, file not writable
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="roster CSV ('-' reads standard input)")],
    replace: Annotated[
        bool, typer.Option("--replace", help="make the roster exactly the file (default: merge)")
    ] = False,
    user: UserOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Import a roster CSV: every row is checked first; a bad file imports nothing."""
    settings = _settings(config)
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from exc

    async def work(store: CrewStore) -> None:
        change = await import_roster_csv(
            store, text, actor=_actor(user), replace=replace, source=file.name
        )
        typer.echo(
            f"imported {file}: {len(change.created)} created, {len(change.updated)} updated, "
            f"{len(change.deleted)} deleted, {change.unchanged} unchanged "
            f"(revision {change.revision})"
        )

    try:
        _with_store(settings, work)
    except CsvImportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="where to write the CSV ('-': standard output)")],
    config: ConfigOpt = None,
) -> None:
    """Export the roster (staff and contact groups) as CSV."""
    settings = _settings(config)

    async def work(store: CrewStore) -> tuple[str, int]:
        roster = await store.roster()
        return write_roster_csv(roster), len(roster.staff)

    text, n = _with_store(settings, work)
    if str(file) == "-":
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    typer.echo(f"exported {n} staff to {file}", err=True)


@app.command("export-observed")
def export_observed(
    file: Annotated[Path, typer.Argument(help="where to write the CSV ('-': standard output)")],
    first: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="first day (YYYY-MM-DD)")
    ],
    last: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="last day (default: today)"),
    ] = None,
    trips: Annotated[
        Path | None,
        typer.Option(
            help="a CSV of date,trips_operated (the operator's daily figures) to merge: the "
            "crew record has no trips, so without it the column is left empty"
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Export observed days for `metro-ops simulate calibrate`: absences by role at each
    day's 03:00 plan (F0, F1, leave, sick), from the status history; trips from --trips."""
    from simulation.observed import observed_from_history, read_trips, write_observed

    settings = _settings(config)
    policy = settings.crew.crew_policy()
    to_day = (last or datetime.now(policy.tz)).date()
    try:
        trips_by_day = read_trips(trips) if trips is not None else None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if to_day < first.date():
        typer.echo(f"error: --to {to_day} is before --from {first.date()}", err=True)
        raise typer.Exit(2)

    async def work(store: CrewStore) -> str:
        snap = await store.snapshot()
        days = observed_from_history(
            snap.roster, snap.history, first.date(), to_day, policy.tz, trips_by_day
        )
        return write_observed(days)

    text = _with_store(settings, work)
    if str(file) == "-":
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    typer.echo(f"exported {text.count(chr(10)) - 1} days to {file}", err=True)


@app.command("generate-roster")
def generate_roster(
    seed: Annotated[int, typer.Option(help="the same seed gives the same roster")] = 1,
    cohorts_from: Annotated[
        str | None,
        typer.Option("--cohorts-from", help="start two 3-on-site cohorts on this date"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="replace a roster that is already there")
    ] = False,
    user: UserOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write the synthetic Line 2A roster (46 main and 14 substitute drivers, technicians by
    discipline, control-centre staff, teams, dormitory rooms) into the database."""
    settings = _settings(config)
    start = None
    if cohorts_from:
        try:
            day = date.fromisoformat(cohorts_from)
        except ValueError as exc:
            typer.echo(f"error: --cohorts-from {cohorts_from!r} is not YYYY-MM-DD", err=True)
            raise typer.Exit(2) from exc
        start = datetime.combine(day, time(6, 0), settings.crew.crew_policy().tz)
    policy = settings.crew.crew_policy()
    line_id = _line_id(settings)
    # qualifications are drawn valid for months after `reference`: today, so none has expired
    today = datetime.now(UTC).astimezone(policy.tz).date()
    roster = synthetic_roster(
        seed, line_id=line_id, reference=today, cohort_start=start, cohort_days=policy.cohort_days
    )

    async def work(store: CrewStore) -> str:
        current = await store.roster()
        if _sorted(current) == _sorted(roster):
            return f"the roster is already the synthetic roster of seed {seed}"
        if current.staff and not force:
            typer.echo(
                f"error: the database already has a roster of {len(current.staff)} staff; "
                "--force replaces it",
                err=True,
            )
            raise typer.Exit(1)
        change = await store.replace_roster(
            roster, actor=_actor(user), context=f"generate-roster seed {seed}", cohorts=True
        )
        return (
            f"wrote the synthetic {line_id} roster (seed {seed}): {len(roster.staff)} staff, "
            f"{len(roster.groups)} groups, {len(roster.cohorts)} cohorts "
            f"({len(change.created)} created, {len(change.updated)} updated, "
            f"{len(change.deleted)} deleted)"
        )

    typer.echo(_with_store(settings, work))


def _sorted(r: Roster) -> Roster:
    """The roster with everything in id order (the store reads it so)."""
    return Roster(
        staff=tuple(sorted(r.staff, key=lambda s: s.id)),
        groups=tuple(sorted(r.groups, key=lambda g: g.id)),
        cohorts=tuple(sorted(r.cohorts, key=lambda c: c.id)),
    )


def _line_id(settings: Settings) -> str:
    from line import load_line

    return load_line(settings.line.file).id


@app.command()
def coverage(
    days: Annotated[int, typer.Option(min=1, max=62, help="days to show, from --from")] = 15,
    from_: Annotated[
        str | None, typer.Option("--from", help="first day YYYY-MM-DD (default: today)")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Per day and shift: people missing by role; per period: the trains and headway the
    drivers available can run (the degraded timetable to adopt)."""
    from line import load_line

    settings = _settings(config)
    policy = settings.crew.crew_policy()
    now = datetime.now(UTC).astimezone(policy.tz)
    try:
        start = date.fromisoformat(from_) if from_ else now.date()
    except ValueError as exc:
        typer.echo(f"error: --from {from_!r} is not YYYY-MM-DD", err=True)
        raise typer.Exit(2) from exc
    ln = load_line(settings.line.file)
    tt = ln.timetable(settings.state.timetable)

    async def work(store: CrewStore) -> tuple[int, int, CrewOutlook]:
        snap, outlook = await stored_outlook(
            store,
            [(ln, tt)],
            start=start,
            days=days,
            as_of=now,
            solver=SolverSettings(time_limit_s=settings.crew.solver_time_limit_s),
        )
        return snap.revision, len(snap.roster.staff), outlook

    revision, n_staff, outlook = _with_store(settings, work)
    console = Console(width=max(Console().width, 110))
    if n_staff == 0:
        console.print(
            "[yellow]The roster is empty:[/] import one (metro-ops crew import FILE.csv) or "
            "generate the synthetic one (metro-ops crew generate-roster)."
        )
    print_outlook(console, outlook, title=f"{ln.name_en} · timetable {tt.id} · policy "
                  f"{policy.name} · {n_staff} staff · revision {revision}")  # fmt: skip


def print_outlook(console: Console, outlook: CrewOutlook, *, title: str) -> None:
    """The shortfall table (day × shift) and the capacity table (day × period)."""
    first, last = outlook.days[0].service_date, outlook.days[-1].service_date
    short = Table(title=f"Shortfall by day and shift, {first} – {last}", caption=title)
    for col in ("Date", "Shift", "Hours", "Needed", "Assigned", "Missing by role"):
        short.add_column(col, justify="right" if col in ("Needed", "Assigned") else "left")
    for d in outlook.days:
        for i, s in enumerate(shift_summaries(d.coverage)):
            parts = []
            for role, n in s.by_role().items():
                kinds: dict[str, int] = {}
                for x in s.short:
                    if x.role == role:
                        key = x.detail or x.kind.value
                        kinds[key] = kinds.get(key, 0) + x.missing
                detail = ", ".join(f"{k} {v}" for k, v in kinds.items())
                parts.append(f"{role} {n} ({detail})")
            missing = "; ".join(parts)
            style = "red" if s.essential_missing else ("yellow" if s.missing else "green")
            short.add_row(
                f"{d.service_date:%a %Y-%m-%d}" if i == 0 else "",
                s.shift_id,
                f"{s.start:%H:%M}–{s.end:%H:%M}",
                str(s.required),
                str(s.assigned),
                f"[{style}]{missing or '—'}[/]",
                end_section=i == len(shift_summaries(d.coverage)) - 1,
            )
    console.print(short)

    cap = Table(title="Crew-constrained capacity (degraded timetable to adopt)")
    for col in ("Date", "Period", "Time", "Drivers", "Trains", "Headway"):
        cap.add_column(col, justify="left" if col in ("Date", "Period", "Time") else "right")
    for d in outlook.days:
        for i, c in enumerate(d.capacity):
            planned = c.planned_headway_s // 60
            if c.headway_s is None:
                hw = f"[red]{planned} → no service[/]"
            elif c.degraded:
                hw = f"[red]{planned} → {c.headway_s // 60} min[/]"
            else:
                hw = f"[green]{planned} min[/]"
            trains = (
                f"{c.planned_trains} → {c.trains}"
                if c.trains != c.planned_trains
                else str(c.trains)
            )
            cap.add_row(
                f"{d.service_date:%a %Y-%m-%d}" if i == 0 else "",
                c.period,
                f"{c.start_s // 3600:02d}:{c.start_s % 3600 // 60:02d}–"
                f"{c.end_s // 3600:02d}:{c.end_s % 3600 // 60:02d}",
                str(c.drivers),
                trains,
                hw,
                end_section=i == len(d.capacity) - 1,
            )
    console.print(cap)

    if outlook.first_unstaffable is None:
        console.print(f"[green]Every essential duty is staffed through {last}.[/]")
    else:
        console.print(
            f"[red]First day the timetable cannot be staffed: {outlook.first_unstaffable}[/]"
        )
    if outlook.first_degraded is not None:
        console.print(f"[red]First day with a degraded headway: {outlook.first_degraded}[/]")
