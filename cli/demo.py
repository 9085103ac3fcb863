"""``metro-ops demo``: broker, emulator, ingest, state, embedded history and HTTP — no setup."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import date, datetime, time

import typer

from accounts import SecurityStore
from accounts.seed import seed_role_users
from api.server import serve_http
from crew import TestKind, TestOutcome, TestResult, synthetic_roster
from crew.store import CrewStore
from line import load_line
from services.runtime import build_runtime
from services.settings import Settings
from telemetry.broker import LocalBroker
from telemetry.emulator.runner import Emulator, EmulatorConfig, default_start


async def seed_crew(settings: Settings, line_id: str, day: date) -> str:
    """A synthetic roster when the database has none, and everyone's negative test for
    ``day`` (taken 04:30 local): the demo's drivers are then cleared for their shifts."""
    store = CrewStore(settings.db.url, policy=settings.crew.crew_policy())
    async with store:
        if not (await store.roster()).staff:
            roster = synthetic_roster(1, line_id=line_id, reference=day)
            await store.replace_roster(roster, actor="demo", context="demo: synthetic roster")
        roster = await store.roster()
        taken = datetime.combine(day, time(4, 30), store.policy.tz)
        for person in roster.staff:
            test = TestResult(
                test_id=f"demo-{person.id}-{day.isoformat()}",
                staff_id=person.id,
                kind=TestKind.RAPID,
                outcome=TestOutcome.NEGATIVE,
                taken_at=taken,
                recorded_at=taken,
            )
            await store.record_test(test, actor="demo")
        return f"{len(roster.staff)} staff, negative tests for {day:%d/%m/%Y}"


async def seed_users(settings: Settings) -> str:
    """One user per role with a generated password when the database has no users: the
    banner's lines for them (or how to manage the existing ones)."""
    async with SecurityStore(settings.db.url, settings.auth) as store:
        made = await seed_role_users(store)
    if not made:
        return "  users       existing accounts kept (metro-ops users list | passwd NAME)\n"
    lines = "".join(f"    {name:13} {role.value:13} {pw}\n" for name, role, pw in made)
    return "  users       created (user, role, password — shown only now):\n" + lines


async def run_demo(
    settings: Settings,
    *,
    speed: float,
    start: datetime | None,
    seed: int,
    sock: socket.socket | None = None,
) -> None:
    """Run everything; ``sock`` is the HTTP socket already bound (:func:`api.server.bind_http`)."""
    line = load_line(settings.line.file)
    begin = start or default_start()
    crew_summary = await seed_crew(settings, line.id, begin.date())
    users = await seed_users(settings)
    async with LocalBroker() as broker:
        emu_cfg = EmulatorConfig(
            broker_url=broker.url,
            line=line,
            timetable=settings.state.timetable,
            speed=speed,
            start=begin,
            seed=seed,
            modbus_host="127.0.0.1",
            modbus_base_port=0,  # each PLC picks a free port; devices() reports them
        )
        async with Emulator(emu_cfg) as emu:
            live = settings.model_copy(
                update={
                    "mqtt": settings.mqtt.model_copy(update={"url": broker.url}),
                    "modbus": settings.modbus.model_copy(update={"devices": emu.devices()}),
                    # the emulator's clock runs from its own start time at its own speed: the
                    # board judges the timetable on it (README: "Following an emulator's clock")
                    "state": settings.state.model_copy(update={"clock": "field"}),
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
                f"  crew        {settings.db.url} ({crew_summary})\n"
                f"  sign in     http://{h.host}:{h.port}/login\n"
                f"{users}"
                f"  board       http://{h.host}:{h.port}/api/board\n"
                f"  alarms      http://{h.host}:{h.port}/api/alarms\n"
                f"  metrics     http://{h.host}:{h.port}/metrics\n"
                "  Ctrl-C stops everything."
            )
            try:
                await serve_http(rt, sock)
            finally:
                emu_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await emu_task
