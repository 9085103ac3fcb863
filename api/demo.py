"""``metro-ops demo``: broker, emulator, ingest, state, embedded history and HTTP — no setup."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import typer

from api.runtime import build_runtime
from api.server import serve_http
from api.settings import Settings
from line import load_line
from telemetry.broker import LocalBroker
from telemetry.emulator.runner import Emulator, EmulatorConfig


async def run_demo(settings: Settings, *, speed: float, start: datetime | None, seed: int) -> None:
    line = load_line(settings.line.file)
    async with LocalBroker() as broker:
        emu_cfg = EmulatorConfig(
            broker_url=broker.url,
            line=line,
            timetable=settings.state.timetable,
            speed=speed,
            start=start,
            seed=seed,
            modbus_host="127.0.0.1",
            modbus_base_port=0,  # each PLC picks a free port; devices() reports them
        )
        async with Emulator(emu_cfg) as emu:
            live = settings.model_copy(
                update={
                    "mqtt": settings.mqtt.model_copy(update={"url": broker.url}),
                    "modbus": settings.modbus.model_copy(update={"devices": emu.devices()}),
                }
            )
            rt = build_runtime(live)
            emu_task = asyncio.create_task(emu.run(), name="emulator")
            h = settings.http
            typer.echo(
                "metro-ops demo\n"
                f"  broker      {broker.url} ({broker.kind})\n"
                f"  emulator    {len(line.fleet.trains)} trains, {len(emu.devices())} substations "
                f"(Modbus {', '.join(f'{d.host}:{d.port}' for d in emu.devices())}), "
                f"speed ×{speed:g}\n"
                f"  history     {settings.history.embedded_path} (embedded SQLite)\n"
                f"  board       http://{h.host}:{h.port}/api/board\n"
                f"  alarms      http://{h.host}:{h.port}/api/alarms\n"
                f"  metrics     http://{h.host}:{h.port}/metrics\n"
                "  Ctrl-C stops everything."
            )
            try:
                await serve_http(rt)
            finally:
                emu_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await emu_task
