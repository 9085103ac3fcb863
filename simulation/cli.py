"""``metro-ops simulate``: run a what-if from the command line, with a progress bar.

    metro-ops simulate --scenario wave-2022 --days 60 --replications 200 --seed 7 \\
        --out result.json --plot result.png
    metro-ops simulate --scenario wave-2022 --replications auto      # until the headline settles
    metro-ops simulate sweep --scenario wave-2022 --vary policy_overrides.f1_mode=quarantine,work \\
        --vary onsite=none --design oat --out sweep.json --plot tornado.png [--dask local:2]
    metro-ops simulate calibrate --observed observed.csv --scenario wave-2022

``--scenario`` takes a preset name (``baseline``, ``wave-2022``, ``no-on-site``,
``doubling-4d``, ``cohort-outbreak``) or a scenario file (``.toml``/``.json``). A scenario that
starts "from today" reads the crew record from ``--crew-db`` (the database URL the server uses).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from line.catalogue import Lang
    from simulation.results import WhatIfResult
    from simulation.runner import Executor
    from simulation.setup import CrewSnapshot
    from simulation.stability import Adaptive

app = typer.Typer(
    name="simulate",
    help="What-if simulation of service under staff absences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

AUTO = "auto"


def parse_replications(text: str) -> int | Adaptive:
    """``auto`` (the adaptive rule's defaults), ``auto:MAX`` (at most MAX), or a count."""
    from simulation.stability import Adaptive

    if text == AUTO or text.startswith(AUTO + ":"):
        most = text.removeprefix(AUTO).removeprefix(":")
        if not most:
            return Adaptive()
        if not most.isdigit() or int(most) < 1:
            raise ValueError(f"--replications {text}: auto:MAX takes a count")
        return Adaptive(min_replications=min(80, int(most)), max_replications=int(most))
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise ValueError(f"--replications {text}: a count from 1 to 100000, or auto")
    return int(text)


@contextlib.contextmanager
def executor_for(dask: str | None) -> Iterator[tuple[Executor | None, int | None]]:
    """(executor, workers): a Dask cluster when ``dask`` names one, else the local pool."""
    if dask is None:
        yield None, None
        return
    from simulation.dask_executor import dask_executor

    with dask_executor(dask) as ex:
        yield ex, ex.workers()


def _progress(console: Any, quiet: bool, *, eta: bool = False) -> Any:
    """The progress bar every simulate command shows (on stderr; off with --quiet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns: list[Any] = ["[progress.description]{task.description}", BarColumn()]
    columns.append(MofNCompleteColumn())
    if eta:
        columns.append(TimeRemainingColumn())
    return Progress(*columns, console=console, disable=quiet)


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


DaskOpt = Annotated[
    str | None,
    typer.Option(
        help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N "
        "(a LocalCluster of N worker processes)"
    ),
]


@app.callback(invoke_without_command=True)
def simulate(
    ctx: typer.Context,
    scenario: Annotated[
        str | None,
        typer.Option(help="preset name or scenario file (.toml/.json)", show_default=False),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="days to simulate")] = 60,
    replications: Annotated[
        str,
        typer.Option(
            help="Monte Carlo replications: a count, or auto (until the p50 of trips lost "
            "and of the first day lost stop moving; auto:MAX caps it)"
        ),
    ] = "auto",
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
    dask: DaskOpt = None,
    lang: Annotated[
        str, typer.Option(help="language of the verdict: en or vi (Vietnamese)")
    ] = "en",
) -> None:
    """Run a what-if: replications in parallel, p10/p50/p90 per day, summary printed.

    Subcommands: ``sweep`` (sensitivity), ``calibrate`` (fit to observed days)."""
    if ctx.invoked_subcommand is not None:
        return
    if lang not in ("en", "vi"):
        raise _fail(f"--lang must be en or vi, not {lang!r}")
    if scenario is None:
        raise _fail("missing option --scenario")
    from pydantic import ValidationError
    from rich.console import Console

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
        reps = parse_replications(replications)
    except (KeyError, ValueError, ValidationError, OSError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc

    started = time.perf_counter()
    total = reps if isinstance(reps, int) else reps.max_replications
    with (
        executor_for(dask) as (executor, cluster_workers),
        _progress(console, quiet, eta=True) as bar,
    ):
        n_workers = workers or cluster_workers or default_workers()
        task = bar.add_task(f"{sc.name}: {days} days", total=total)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_setup(
            setup, reps, seed, progress=progress, workers=n_workers, executor=executor
        )
    wall = time.perf_counter() - started

    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.to_json())
    if plot is not None:
        from simulation.plot import plot_result

        plot_result(result, plot)
    _print_summary(Console(), result, wall, n_workers, "vi" if lang == "vi" else "en")


def _print_summary(
    console: Any, result: WhatIfResult, wall_s: float, workers: int, lang: Lang = "en"
) -> None:
    from rich.table import Table

    from simulation.verdict import verdict_of
    from simulation.verdict_text import verdict_lines

    # the verdict first: what a planner acts on; the figures follow
    for line in verdict_lines(verdict_of(result), lang):
        console.print(f"• {line}", highlight=False)

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
        ("cancelled_crew", "  for want of crew"),
        ("cancelled_fleet", "  to train faults"),
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
    st = result.stability
    if st is not None:
        trips, day = st["trips_lost"], st["first_day_lost"]
        console.print(
            f"headline {'stable' if st['converged'] else 'NOT yet stable'} ({st['mode']}): "
            f"trips lost p50 {trips['p50']} ± {trips['half_width_90']} (90 %), "
            f"first day the {day['level']} was lost p50 {day['p50']} ± {day['half_width_90']} "
            f"({day['never_lost_counts_as']} = never)"
        )


@app.command()
def sweep(
    scenario: Annotated[
        str | None,
        typer.Option(help="base scenario: preset name or file (or in --file)", show_default=False),
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            help="PATH=V1,V2,… a dotted scenario path and its values (JSON or text; none "
            "clears), e.g. policy_overrides.f1_mode=quarantine,work; repeat per factor"
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option(help="a sweep file (.toml/.json): scenario, design, vary, …")
    ] = None,
    design: Annotated[
        str | None, typer.Option(help="oat (one at a time, default) or factorial")
    ] = None,
    days: Annotated[int | None, typer.Option(min=1, max=366, help="days per run [30]")] = None,
    replications: Annotated[
        int | None, typer.Option(min=1, max=10_000, help="replications per run [40]")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="one seed for every run [7]")] = None,
    out: Annotated[Path | None, typer.Option(help="write the sweep JSON here")] = None,
    plot: Annotated[Path | None, typer.Option(help="write the tornado chart here (PNG)")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="worker processes (default: all cores)")
    ] = None,
    dask: DaskOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Sensitivity: vary parameters one at a time or in a factorial; rank them by how much
    they move trips lost and the first day the timetable is lost."""
    import json

    from pydantic import ValidationError
    from rich.console import Console

    from line import load_line
    from simulation.process_pool_scope import shared_pool
    from simulation.sweep import (
        SweepSpec,
        load_sweep,
        parse_vary,
        plot_tornado,
        prepare_sweep,
        run_sweep,
    )

    try:
        data: dict[str, Any] = load_sweep(file).model_dump() if file is not None else {}
        given = {
            "scenario": scenario,
            "design": design,
            "days": days,
            "replications": replications,
            "seed": seed,
        }
        data.update({k: v for k, v in given.items() if v is not None})
        if vary:
            data["vary"] = [parse_vary(v).model_dump() for v in vary]
        if "scenario" not in data:
            raise _fail("missing option --scenario (or a --file that names one)")
        if not data.get("vary"):
            raise _fail("nothing to vary: give --vary PATH=V1,V2 (or a --file with [[vary]])")
        spec = SweepSpec.model_validate(data)
        prepared = prepare_sweep(spec, load_line())
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(x) for x in first["loc"])
        raise _fail(f"{where}: {first['msg']}" if where else first["msg"]) from exc
    except (KeyError, ValueError, OSError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc

    console = Console(stderr=True)
    started = time.perf_counter()
    try:
        with (
            executor_for(dask) as (cluster, cluster_workers),
            shared_pool(cluster, workers) as executor,
            _progress(console, quiet) as bar,
        ):
            n_runs = len(prepared.runs)  # a value equal to the base's runs as the base
            task = bar.add_task(f"sweep: {n_runs} runs", total=n_runs)
            result = run_sweep(
                prepared,
                prepared.runs[0][1].line,
                executor=executor,
                workers=workers or cluster_workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (KeyError, ValueError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc
    wall = time.perf_counter() - started
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    if plot is not None:
        plot_tornado(result, plot)
    _print_sweep(Console(), result, wall)


def _print_sweep(console: Any, result: dict[str, Any], wall_s: float) -> None:
    from rich.table import Table

    table = Table(
        title=f"{result['scenario']}: {result['design']} sweep, {result['days']} days × "
        f"{result['replications']} replications, seed {result['seed']}"
    )
    table.add_column("rank", justify="right")
    table.add_column("parameter")
    table.add_column("swing: trips lost (mean)", justify="right")
    table.add_column("swing: first day lost (p50)", justify="right")
    table.add_column("value → trips lost / first day lost")
    for i, r in enumerate(result["ranking"], 1):
        cells = "; ".join(
            f"{v['label']} → {v['trips_lost']} / {v['first_day_lost']}" for v in r["by_value"]
        )
        table.add_row(
            str(i),
            r["path"],
            f"{r['swing_trips_lost']:,.1f}",
            f"{r['swing_first_day_lost']:g}",
            cells,
        )
    console.print(table)
    console.print(f"{len(result['runs'])} runs, {wall_s:.1f} s wall")


@app.command()
def calibrate(
    observed: Annotated[
        Path,
        typer.Option(
            help="observed days CSV: date, driver_absent, technician_absent, "
            "occ_operator_absent, trips_operated (`metro-ops crew export-observed` writes it)"
        ),
    ],
    scenario: Annotated[str, typer.Option(help="preset name or scenario file to compare")],
    replications: Annotated[
        int, typer.Option(min=1, max=10_000, help="replications per evaluation")
    ] = 40,
    seed: Annotated[int, typer.Option(min=0, help="one seed for every evaluation")] = 7,
    fit: Annotated[
        bool, typer.Option("--fit/--no-fit", help="fit the incidence multiplier")
    ] = True,
    steps: Annotated[int, typer.Option(min=1, max=30, help="golden-section steps")] = 10,
    out: Annotated[Path | None, typer.Option(help="write the fit report JSON here")] = None,
    fitted_scenario: Annotated[
        Path | None, typer.Option(help="write the scenario with the fitted incidence (.json)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="worker processes (default: all cores)")
    ] = None,
    dask: DaskOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Goodness of fit of a scenario against observed days (MAE of daily absences by role
    and of trips operated), and the incidence multiplier that fits the absences best."""
    import json

    from pydantic import ValidationError
    from rich.console import Console

    from line import load_line
    from simulation.calibrate import calibrate as run_calibration
    from simulation.calibrate import scaled
    from simulation.observed import read_observed
    from simulation.process_pool_scope import shared_pool
    from simulation.scenario import resolve_scenario

    try:
        days = read_observed(observed)
        sc = resolve_scenario(scenario)
        line = load_line()
    except (KeyError, ValueError, ValidationError, OSError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc
    try:
        with (
            executor_for(dask) as (cluster, cluster_workers),
            shared_pool(cluster, workers) as executor,
            _progress(Console(stderr=True), quiet) as bar,
        ):
            task = bar.add_task(f"calibrate {sc.name}: {len(days)} days", total=None)
            report = run_calibration(
                sc,
                days,
                line,
                replications=replications,
                seed=seed,
                fit=fit,
                steps=steps,
                executor=executor,
                workers=workers or cluster_workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (KeyError, ValueError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc
    data = report.as_dict()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=1))
    if fitted_scenario is not None and report.fitted is not None:
        fitted_scenario.parent.mkdir(parents=True, exist_ok=True)
        best = scaled(sc, report.fitted.multiplier)
        fitted_scenario.write_text(best.model_dump_json(indent=1))
    _print_calibration(Console(), data)


def _print_calibration(console: Any, data: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(
        title=f"{data['scenario']} against {data['days']} observed days from "
        f"{data['first_day']} ({data['replications']} replications, seed {data['seed']})"
    )
    table.add_column("")
    for col in ("incidence ×", "MAE absent: driver", "technician", "occ", "total", "MAE trips"):
        table.add_column(col, justify="right")
    for label, fit in (("as given", data["as_given"]), ("fitted", data["fitted"])):
        if fit is None:
            continue
        mae = fit["mae_absent"]
        trips = "—" if fit["mae_trips"] is None else f"{fit['mae_trips']:,.1f}"
        table.add_row(
            label,
            f"{fit['multiplier']:g}",
            f"{mae['driver']:.2f}",
            f"{mae['technician']:.2f}",
            f"{mae['occ_operator']:.2f}",
            f"{mae['total']:.2f}",
            f"{trips} ({fit['days_with_trips']} days)",
        )
    console.print(table)
