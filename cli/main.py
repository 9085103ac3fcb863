"""The ``metro-ops`` command."""

from __future__ import annotations

import asyncio
import faulthandler
import sys
import threading
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from cli.audit import app as audit_app
from cli.common import check_database, fail
from cli.common import cli_settings as _settings
from cli.crew import app as crew_app
from cli.reports import report
from cli.users import app as users_app
from line.clock import HANOI
from simulation.cli import app as simulate_app

app = typer.Typer(
    name="metro-ops",
    help="Real-time operations monitor for Hanoi Metro Line 2A.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(crew_app, name="crew")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")  # retention: export, then prune
app.add_typer(simulate_app, name="simulate")  # what-if runs, sweeps, calibration
app.command("report")(report)  # situation reports, on demand

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML settings file (env METRO_* overrides it)"),
]


@app.callback()
def _root() -> None:
    """Real-time operations monitor for Hanoi Metro Line 2A."""


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


@app.command()
def serve(config: ConfigOpt = None) -> None:
    """Run ingest, live state, history and the HTTP API against a configured broker."""
    import asyncio

    from api.server import bind_http, serve_http
    from services.runtime import ConfigError, build_runtime

    settings = _settings(config)
    try:
        rt = build_runtime(settings)
        sock = bind_http(settings.http.host, settings.http.port)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    check_database(settings.db.url)
    asyncio.run(serve_http(rt, sock))


def _local_start(date_: str | None, start: str | None) -> datetime | None:
    """The emulated start from ``--date``/``--start`` (Hanoi time); None when neither is given."""
    from telemetry.emulator.runner import default_start

    if date_ is None and start is None:
        return None
    try:
        day = date.fromisoformat(date_) if date_ else datetime.now(HANOI).date()
    except ValueError:
        raise fail(
            f"--date {date_!r}: write the service date as YYYY-MM-DD, e.g. 2022-03-08"
        ) from None
    try:
        at = time.fromisoformat(start) if start else default_start().time()
    except ValueError:
        raise fail(f"--start {start!r}: write the local time as HH:MM, e.g. 16:00") from None
    return datetime.combine(day, at.replace(second=0, microsecond=0), HANOI)


@app.command()
def demo(
    config: ConfigOpt = None,
    speed: Annotated[float, typer.Option(help="emulated time runs this many times faster")] = 1.0,
    date_: Annotated[
        str | None,
        typer.Option("--date", help="emulated service date YYYY-MM-DD (default: today)"),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="emulated local start time HH:MM (default: now, or 07:30)")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed of the emulator")] = 1,
) -> None:
    """One command, no configuration: broker, emulator, ingest, state, history, HTTP."""
    import asyncio

    from api.server import bind_http
    from cli.demo import run_demo
    from services.runtime import ConfigError

    settings = _settings(config)
    begin = _local_start(date_, start)
    try:
        # the port first: nothing is created or printed (passwords) when it is taken
        sock = bind_http(settings.http.host, settings.http.port)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    check_database(settings.db.url)
    try:
        asyncio.run(run_demo(settings, speed=speed, start=begin, seed=seed, sock=sock))
    except ConfigError as exc:
        raise fail(str(exc)) from None


@app.command()
def emulate(
    config: ConfigOpt = None,
    broker: Annotated[
        str | None, typer.Option(help="MQTT broker URL (default: mqtt.url from the settings)")
    ] = None,
    speed: Annotated[float, typer.Option(help="simulated seconds per wall second")] = 1.0,
    timetable: Annotated[str, typer.Option(help="timetable id in the line file")] = "2026",
    date_: Annotated[
        str | None, typer.Option("--date", help="service date YYYY-MM-DD (default: today)")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="local start time HH:MM (default: now in service hours, else 07:30)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed: the same seed plays the same day")] = 0,
    publish_hz: Annotated[float, typer.Option(help="telemetry per train per wall second")] = 1.0,
    modbus_host: Annotated[str, typer.Option(help="address the substation PLCs listen on")] = (
        "127.0.0.1"
    ),
    modbus_base_port: Annotated[
        int, typer.Option(help="port of the first substation, the next ones follow (0: free)")
    ] = 15020,
    no_modbus: Annotated[bool, typer.Option("--no-modbus", help="no substation PLCs")] = False,
    silence_train: Annotated[
        list[str] | None, typer.Option(help="a train that stops publishing (repeatable)")
    ] = None,
    freeze_plc: Annotated[
        list[str] | None, typer.Option(help="a substation PLC that hangs (repeatable)")
    ] = None,
    undervoltage: Annotated[
        list[str] | None, typer.Option(help="a substation with a sagging bus (repeatable)")
    ] = None,
    malformed_rate: Annotated[
        float, typer.Option(help="share of telemetry replaced by malformed payloads")
    ] = 0.0,
    seq_gap_rate: Annotated[float, typer.Option(help="share of messages followed by a seq gap")] = (
        0.0
    ),
    fault_rate: Annotated[
        float, typer.Option(help="train faults per train and simulated hour")
    ] = 0.2,
) -> None:
    """Run the field emulator: trains over MQTT and substation PLCs over Modbus TCP."""
    import asyncio
    import signal

    from line import load_line
    from telemetry.emulator.runner import Emulator, EmulatorConfig, default_start

    settings = _settings(config)
    url = broker or settings.mqtt.url
    if url is None:
        typer.echo(
            "error: no MQTT broker: pass --broker mqtt://host:port or set METRO_MQTT_URL", err=True
        )
        raise typer.Exit(2)
    begin = _local_start(date_, start) or default_start().replace(microsecond=0)
    try:
        cfg = EmulatorConfig(
            broker_url=url,
            line=load_line(settings.line.file),
            timetable=timetable,
            start=begin,
            speed=speed,
            seed=seed,
            publish_hz=publish_hz,
            fault_rate_per_h=fault_rate,
            malformed_rate=malformed_rate,
            seq_gap_rate=seq_gap_rate,
            silenced_trains=frozenset(silence_train or ()),
            frozen_plcs=frozenset(freeze_plc or ()),
            undervoltage=frozenset(undervoltage or ()),
            modbus=not no_modbus,
            modbus_host=modbus_host,
            modbus_base_port=modbus_base_port,
            maps_file=settings.modbus.maps_file,
            ca_file=settings.mqtt.ca_file,
        )
        emulator = Emulator(cfg)
    except (KeyError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc

    async def _main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        # Ctrl-C and SIGTERM stop it cleanly (offline status from every train). SIGINT is set
        # here too, as uvicorn does for serve: a process started in the background by a
        # script inherits SIGINT ignored, and asyncio.run then leaves it ignored
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        async with emulator as emu:
            ln = emu.line
            typer.echo(
                f"emulating {ln.name_en}: {len(ln.fleet.trains)} trains → {url} "
                f"(timetable {timetable}, from {cfg.start:%Y-%m-%d %H:%M} local, "
                f"{speed:g}× real time, seed {seed})"
            )
            typer.echo(
                "  a separate `metro-ops serve` fed by this emulator follows its clock with "
                "METRO_STATE_CLOCK=field"
            )
            for dev in emu.devices():
                typer.echo(
                    f"  PLC {dev.id:4} {dev.name:18} modbus://{dev.host}:{dev.port} "
                    f"unit {dev.unit_id}"
                )
            injected = [
                *(f"silenced {t}" for t in sorted(cfg.silenced_trains)),
                *(f"frozen {p}" for p in sorted(cfg.frozen_plcs)),
                *(f"undervoltage {p}" for p in sorted(cfg.undervoltage)),
                *([f"malformed {malformed_rate:g}"] if malformed_rate else []),
                *([f"seq gaps {seq_gap_rate:g}"] if seq_gap_rate else []),
            ]
            typer.echo(f"  faults {fault_rate:g}/train/h" + "".join(f", {x}" for x in injected))
            typer.echo("Ctrl-C stops.")
            try:
                await emu.run()
            except asyncio.CancelledError:
                # a stop should take seconds; if it does not, say what it is waiting on
                stop_watchdog(STOP_REPORT_AFTER_S, asyncio.get_running_loop())

    try:
        asyncio.run(_main())
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError) as exc:  # a port in use, an unreachable interface
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo("emulator stopped")


#: A stop still running after this long prints what it waits on (stderr).
STOP_REPORT_AFTER_S = 20.0


def stop_watchdog(after_s: float, loop: asyncio.AbstractEventLoop) -> threading.Timer:
    """A daemon timer that, unless the process has ended, writes every thread's stack and
    every pending asyncio task's stack to stderr ``after_s`` from now."""

    def report() -> None:
        sys.stderr.write(f"still stopping after {after_s:g} s; waiting on:\n")
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        try:
            tasks = list(asyncio.all_tasks(loop))
        except RuntimeError:  # the set changed under us (another thread): threads are enough
            tasks = []
        for task in tasks:
            task.print_stack(limit=8, file=sys.stderr)
        sys.stderr.flush()

    timer = threading.Timer(after_s, report)
    timer.daemon = True
    timer.start()
    return timer


def main() -> None:
    app()


if __name__ == "__main__":
    main()
