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
import math
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from line.catalogue import Lang, Message
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


def check_dask(address: str | None) -> None:
    """Refuse a ``--dask`` value that is no cluster address before anything runs."""
    if address is None or address.startswith("local:"):
        return
    host = address.split("://", 1)[-1]
    if not host or ":" not in host or not host.rsplit(":", 1)[1].isdigit():
        raise ValueError(f"--dask {address}: give a scheduler address (tcp://host:8786) or local:N")


@contextlib.contextmanager
def executor_for(dask: str | None) -> Iterator[tuple[Executor | None, int | None]]:
    """(executor, workers): a Dask cluster when ``dask`` names one, else the local pool.

    A cluster that cannot be reached or started is a ValueError saying which address; errors
    of the run itself pass through unchanged."""
    if dask is None:
        yield None, None
        return
    from simulation.dask_executor import dask_executor

    with contextlib.ExitStack() as stack:
        try:
            ex = stack.enter_context(dask_executor(dask))
            workers = ex.workers()
        except (OSError, TimeoutError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ValueError(
                f"--dask {dask}: could not connect to a Dask scheduler there ({reason})"
            ) from None
        yield ex, workers


def _progress(console: Any, quiet: bool, *, eta: bool = False) -> Any:
    """The progress bar every simulate command shows (on stderr; off with --quiet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns: list[Any] = ["[progress.description]{task.description}", BarColumn()]
    columns.append(MofNCompleteColumn())
    if eta:
        columns.append(TimeRemainingColumn())
    return Progress(*columns, console=console, disable=quiet)


def _fail(msg: str | BaseException, lang: Lang = "en") -> typer.Exit:
    """Print what is wrong, ``error: …`` one line per problem, on stderr; the exit (2) to
    raise."""
    from simulation.cli_checks import error_lines

    for line in [msg] if isinstance(msg, str) else error_lines(msg, lang):
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(2)


def _crew_snapshot(db_url: str) -> CrewSnapshot:
    """The crew record in ``db_url`` now, with this year's shifts (for the overtime limits);
    a database that cannot be read is a ValueError naming it (without its password)."""
    import asyncio

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from crew.store import CrewStore
    from simulation.cli_checks import crew_db_url
    from simulation.setup import CrewSnapshot

    url = crew_db_url(db_url)

    async def load() -> CrewSnapshot:
        now = datetime.now(UTC)
        async with CrewStore(url) as store:
            snap = await store.snapshot(work_since=now - timedelta(days=366))
        return CrewSnapshot.of(snap, now)

    try:
        return asyncio.run(load())
    except (SQLAlchemyError, OSError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
        raise ValueError(f"--crew-db {shown}: cannot read the crew record ({reason})") from None


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
    from simulation.cli_checks import check_plot, check_writable
    from simulation.runner import default_workers, run_setup
    from simulation.scenario import resolve_scenario
    from simulation.setup import build_setup

    console = Console(stderr=True)
    the_lang: Lang = "vi" if lang == "vi" else "en"
    try:
        # everything the run's end needs is checked before it starts: no traceback (or lost
        # work) after minutes of simulation
        if out is not None:
            check_writable(out, "--out")
        if plot is not None:
            check_plot(plot)
        check_dask(dask)
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
        raise _fail(exc, the_lang) from None

    started = time.perf_counter()
    total = reps if isinstance(reps, int) else reps.max_replications
    try:
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
    except ValueError as exc:
        raise _fail(exc, the_lang) from None
    wall = time.perf_counter() - started

    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.to_json())
    if plot is not None:
        from simulation.plot import plot_result

        plot_result(result, plot)
    _print_summary(Console(), result, wall, n_workers, the_lang)


def _print_summary(
    console: Any, result: WhatIfResult, wall_s: float, workers: int, lang: Lang = "en"
) -> None:
    """The verdict, then the figures table and how stable the headline is, all in ``lang``:
    numbers as the reader writes them, days as dd/mm dates (the year when the run spans two)."""
    from rich.table import Table

    from line.catalogue import Message, render
    from simulation.verdict import levels_shown, verdict_of
    from simulation.verdict_text import num, verdict_lines

    def say(msg: Message) -> str:
        return render(msg, lang)

    # the verdict first: what a planner acts on; the figures follow
    for line in verdict_lines(verdict_of(result), lang):
        console.print(f"• {line}", highlight=False)

    start = result.start_date
    end = start + timedelta(days=result.days_simulated - 1)

    def dm(d: date) -> str:
        return d.strftime("%d/%m/%Y" if start.year != end.year else "%d/%m")

    def day(v: Any) -> str:
        """A first day lost (days from the start; a median between two days: the later one)
        as its date; the run's length or more: never."""
        if v is None:
            return "—"
        index = math.floor(float(v) + 0.5)
        if index >= result.days_simulated:
            return say(Message("simulate.cli.never"))
        return dm(start + timedelta(days=index))

    def fmt(band: dict[str, Any] | None, key: str, digits: int | None = None) -> str:
        return num((band or {}).get(key), lang, digits)

    total = result.summary.get("total", {})
    table = Table(
        title=say(
            Message(
                "simulate.cli.title",
                {
                    "scenario": result.scenario,
                    "days": num(result.days_simulated, lang),
                    "start": start.strftime("%d/%m/%Y"),
                },
            )
        )
    )
    table.add_column(say(Message("simulate.cli.figure")))
    for q in ("p10", "p50", "p90"):
        table.add_column(q, justify="right")
    for key, label in (
        ("trips_planned", Message("simulate.cli.trips_planned")),
        ("trips_operated", Message("simulate.cli.trips_operated")),
        ("trips_cancelled", Message("simulate.cli.trips_cancelled")),
        ("cancelled_crew", Message("simulate.cli.cancelled_crew")),
        ("cancelled_fleet", Message("simulate.cli.cancelled_fleet")),
        ("overtime_h", Message("simulate.cli.overtime_h")),
        ("legal_breaches", Message("simulate.cli.legal_breaches")),
        ("cases", Message("simulate.cli.cases")),
    ):
        band = total.get(key)
        digits = 1 if key == "overtime_h" else None
        table.add_row(say(label), *(fmt(band, q, digits) for q in ("p10", "p50", "p90")))
    lost = result.summary.get("first_day_lost", {})
    for level in levels_shown(result):  # the levels the timetable has (no peaks: none)
        band = lost.get(level)
        if band is None:
            continue
        name = _level_name(result, level)
        share = float(band.get("share_lost") or 0.0)
        table.add_row(
            say(Message("simulate.cli.first_lost", {"level": name, "share": share})),
            *(day(band.get(q)) for q in ("p10", "p50", "p90")),
        )
    console.print(table)
    console.print(
        render(
            Message(
                "simulate.cli.footer",
                {
                    "n": result.replications,
                    "seed": str(result.seed),
                    "workers": num(workers, lang),
                    "wall": num(wall_s, lang, 1),
                },
            ),
            lang,
        ),
        highlight=False,
    )
    st = result.stability
    if st is not None:
        trips, first = st["trips_lost"], st["first_day_lost"]

        def margin(v: Any, hw: Any) -> str:
            if hw is None:  # one replication: no spread to bound the estimate by
                return say(Message("simulate.cli.no_margin", {"v": v}))
            return say(Message("simulate.cli.margin", {"v": v, "hw": num(hw, lang)}))

        first_day = day(first["p50"])
        never = first["p50"] is None or math.floor(first["p50"] + 0.5) >= result.days_simulated
        if never:  # held in every run counted: no date to be uncertain about
            day_text = first_day
        elif first["half_width_90"] is None:
            day_text = say(Message("simulate.cli.no_margin", {"v": first_day}))
        else:
            hw = num(first["half_width_90"], lang)
            day_text = say(Message("simulate.cli.days", {"date": first_day, "n": hw}))
        console.print(
            say(
                Message(
                    "simulate.cli.stability",
                    {
                        "state": Message("simulate.cli.stable")
                        if st["converged"]
                        else Message("simulate.cli.not_stable"),
                        "mode": Message("simulate.cli.mode_adaptive")
                        if st["mode"] == "adaptive"
                        else Message("simulate.cli.mode_fixed"),
                        "trips": margin(num(trips["p50"], lang), trips["half_width_90"]),
                        "level": _level_name(result, first["level"]),
                        "day": day_text,
                    },
                )
            ),
            highlight=False,
        )


def _level_name(result: WhatIfResult, level: str) -> Message:
    """A service level as the verdict names it ("6-minute peaks")."""
    from line.catalogue import Message
    from simulation.verdict import level_statement

    h = level_statement(result, level).get("headway_s")
    return Message(f"verdict.level.{level}", {"h": f"{h / 60:g}" if h else "—"})


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

    from rich.console import Console

    from line import load_line
    from simulation.cli_checks import check_writable
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
        if out is not None:
            check_writable(out, "--out")
        if plot is not None:
            check_writable(plot, "--plot")
        check_dask(dask)
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
    except (KeyError, ValueError, OSError) as exc:  # ValidationError: one line per field
        raise _fail(exc) from None

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
        raise _fail(exc) from None
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
    from simulation.cli_checks import check_writable
    from simulation.observed import read_observed
    from simulation.process_pool_scope import shared_pool
    from simulation.scenario import resolve_scenario

    try:
        if out is not None:
            check_writable(out, "--out")
        if fitted_scenario is not None:
            check_writable(fitted_scenario, "--fitted-scenario")
        check_dask(dask)
        days = read_observed(observed)
        sc = resolve_scenario(scenario)
        line = load_line()
    except (KeyError, ValueError, ValidationError, OSError) as exc:
        raise _fail(exc) from None
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
        raise _fail(exc) from None
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
