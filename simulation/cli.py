"""``metro-ops simulate``: run a what-if from the command line, with a progress bar.

    metro-ops simulate --scenario wave-2022 --days 60 --replications 200 --seed 7 \\
        --out result.json --plot result.png

``--scenario`` takes a preset name (``baseline``, ``wave-2022``, ``no-on-site``,
``doubling-4d``, ``cohort-outbreak``) or a scenario file (``.toml``/``.json``). A scenario that
starts "from today" reads the crew record from ``--crew-db`` (the database URL the server uses).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from simulation.results import WhatIfResult
    from simulation.setup import CrewSnapshot

app = typer.Typer(
    name="simulate",
    help="What-if simulation of service under staff absences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _fail(msg: str) -> typer.Exit:
    typer.echo(f"error: {msg}", err=True)
    return typer.Exit(2)


def _crew_snapshot(db_url: str) -> CrewSnapshot:
    """The crew record in ``db_url`` now, with this year's shifts (for the overtime limits)."""
    import asyncio

    from crew.store import CrewStore
    from simulation.setup import CrewSnapshot

    async def load() -> CrewSnapshot:
        now = datetime.now(UTC)
        async with CrewStore(db_url) as store:
            snap = await store.snapshot(work_since=now - timedelta(days=366))
        return CrewSnapshot.of(snap, now)

    return asyncio.run(load())


@app.command()
def simulate(
    scenario: Annotated[
        str, typer.Option(help="preset name or scenario file (.toml/.json)", show_default=False)
    ],
    days: Annotated[int, typer.Option(min=1, max=366, help="days to simulate")] = 60,
    replications: Annotated[
        int, typer.Option(min=1, max=100_000, help="Monte Carlo replications")
    ] = 200,
    seed: Annotated[int, typer.Option(min=0, help="the same seed gives the same result")] = 7,
    out: Annotated[Path | None, typer.Option(help="write the result JSON here")] = None,
    plot: Annotated[Path | None, typer.Option(help="write p10–p90 band charts here (PNG)")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="worker processes (default: all cores)")
    ] = None,
    line_file: Annotated[
        Path | None, typer.Option("--line", help="line data file (default: Line 2A)")
    ] = None,
    crew_db: Annotated[
        str | None,
        typer.Option(help="crew database URL, for a scenario that starts from today"),
    ] = None,
    from_today: Annotated[
        bool, typer.Option("--from-today", help="start from the crew record in --crew-db")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Run a what-if: replications in parallel, p10/p50/p90 per day, summary printed."""
    from pydantic import ValidationError
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from line import load_line
    from simulation.runner import default_workers, run_setup
    from simulation.scenario import resolve_scenario
    from simulation.setup import build_setup

    console = Console(stderr=True)
    try:
        sc = resolve_scenario(scenario)
        if from_today:
            sc = sc.model_copy(update={"start": "today"})
        line = load_line(line_file)
        crew_state = None
        if sc.start == "today":
            if crew_db is None:
                raise _fail(f"scenario {sc.name} starts from today: pass --crew-db URL")
            crew_state = _crew_snapshot(crew_db)
        setup = build_setup(sc, line, days, crew_state=crew_state)
    except (KeyError, ValueError, ValidationError, OSError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc

    n_workers = workers or default_workers()
    started = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
    ) as bar:
        task = bar.add_task(f"{sc.name}: {days} days", total=replications)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_setup(setup, replications, seed, progress=progress, workers=n_workers)
    wall = time.perf_counter() - started

    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.to_json())
    if plot is not None:
        from simulation.plot import plot_result

        plot_result(result, plot)
    _print_summary(Console(), result, wall, n_workers)


def _print_summary(console: Any, result: WhatIfResult, wall_s: float, workers: int) -> None:
    from rich.table import Table

    def fmt(band: dict[str, Any] | None, key: str) -> str:
        v = (band or {}).get(key)
        return "—" if v is None else f"{v:,.1f}" if isinstance(v, float) else str(v)

    total = result.summary.get("total", {})
    table = Table(title=f"{result.scenario}: {result.days_simulated} days from {result.start_date}")
    table.add_column("figure")
    for q in ("p10", "p50", "p90"):
        table.add_column(q, justify="right")
    for key, label in (
        ("trips_planned", "trips planned"),
        ("trips_operated", "trips operated"),
        ("trips_cancelled", "trips cancelled"),
        ("overtime_h", "overtime (h)"),
        ("legal_breaches", "legal-limit breaches"),
        ("cases", "F0 cases among staff"),
    ):
        band = total.get(key)
        table.add_row(label, *(fmt(band, q) for q in ("p10", "p50", "p90")))
    for level, band in result.summary.get("first_day_lost", {}).items():
        share = band.get("share_lost", 0.0)
        table.add_row(
            f"first day lost: {level} ({share:.0%} of runs)",
            *(fmt(band, q) for q in ("p10", "p50", "p90")),
        )
    console.print(table)
    console.print(
        f"{result.replications} replications, seed {result.seed}, {workers} workers, "
        f"{wall_s:.1f} s wall"
    )
