"""The whole app as a user meets it, for browser tests: a local broker (mosquitto), the field
emulator (13 trains over MQTT, 5 substation PLCs over Modbus), the runtime and the HTTP server
on a free port, with the demo's crew roster and one user per role.

It runs in a child process (``python -m tests.web.live_app``), so its threads, event loop and
simulation worker processes stay out of the test process (whose thread-leak check would
otherwise see them), and Playwright's sync API has the test thread to itself. The child prints
one JSON line when it serves (its URL and the users' passwords), then obeys JSON commands on
stdin — fault injection into the emulator — answering each with one JSON line; end of input
stops it. :func:`live_app` starts it and always stops it (SIGKILL as a last resort).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from time import sleep
from typing import IO, Any, TypeVar

from accounts.identity import UserRole
from tests.fixtures.ports import free_port
from tests.poll import until_sync

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
COMMAND_TIMEOUT_S = 10.0


# --- the test side ---------------------------------------------------------------------------
@dataclass
class LiveApp:
    """A running app: its base URL and users per role; :meth:`inject` reaches the field."""

    url: str
    users: dict[UserRole, tuple[str, str]]  # role → (user name, password)
    second_operator: tuple[str, str]  # another operator (a handover is between two people)
    log: Path
    _proc: subprocess.Popen[str]

    def inject(self, op: str, **args: Any) -> dict[str, Any]:
        """Run an emulator command in the app (see :func:`_apply`); its JSON answer."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self._proc.stdin.flush()
        answer = _read_line(self._proc.stdout, COMMAND_TIMEOUT_S, self.log)
        if "error" in answer:
            raise RuntimeError(f"{op}: {answer['error']}")
        return answer


def _read_line(stream: IO[str], timeout_s: float, log: Path) -> dict[str, Any]:
    ready, _, _ = select.select([stream], [], [], timeout_s)
    line = stream.readline() if ready else ""
    if not line:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise RuntimeError(f"the app did not answer within {timeout_s} s; its log:\n{tail}")
    got: dict[str, Any] = json.loads(line)
    return got


@contextlib.contextmanager
def live_app(tmp: Path, *, speed: float = 1.0, publish_hz: float = 1.0) -> Iterator[LiveApp]:
    """Start the app in a child process; stop it (and everything it started) on exit.

    ``publish_hz``: the trains' report rate in wall time (ICD: 1 Hz, up to 10); raised with
    ``speed`` it keeps the field seconds between reports."""
    log = tmp / "app.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")}
    env["PYTHONPATH"] = str(REPO)
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.web.live_app", str(tmp), str(speed), str(publish_hz)],
            cwd=tmp,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,  # its simulation workers go with it on a kill
        )
    try:
        assert proc.stdout is not None
        hello = _read_line(proc.stdout, START_TIMEOUT_S, log)
        users = {UserRole(r): (u, p) for r, (u, p) in hello["users"].items()}
        second = (hello["operator2"][0], hello["operator2"][1])
        yield LiveApp(hello["url"], users, second, log, proc)
    finally:
        _stop(proc, log)


def _stop(proc: subprocess.Popen[str], log: Path) -> None:
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()  # end of input: the app shuts down cleanly
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack to the log
            sleep(1)
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
        tail = log.read_text(errors="replace")[-6000:]
        raise RuntimeError(f"the app did not stop within {STOP_TIMEOUT_S} s:\n{tail}") from None
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the app exited with {proc.returncode}:\n{tail}")


def wait_until(
    fn: Callable[[], T | None], timeout_s: float = 15.0, every_s: float = 0.2, what: str = ""
) -> T:
    """Poll ``fn`` until it returns something truthy; that value, or AssertionError."""
    return until_sync(fn, timeout_s, every_s=every_s, what=what)  # type: ignore[return-value]


# --- the app side (child process) ------------------------------------------------------------
def service_start(now: datetime | None = None) -> datetime:
    """A simulated start inside the morning peak of the current Hanoi day: trains running."""
    from line.clock import HANOI

    day = (now or datetime.now(HANOI)).astimezone(HANOI).date()
    return datetime.combine(day, time(7, 30), HANOI)


def _settings(tmp: Path, port: int) -> Any:
    from services.settings import Settings

    return Settings.model_validate(
        {
            "http": {"host": "127.0.0.1", "port": port},
            "db": {"url": f"sqlite+aiosqlite:///{tmp}/metro.db"},
            "history": {"embedded_path": str(tmp / "history.sqlite")},
            "mqtt": {"client_id": f"web-test-{port}", "reconnect_min_s": 0.1},
            "modbus": {"poll_s": 0.5, "timeout_s": 0.5, "backoff_max_s": 1.0},
            "crew": {"solver_time_limit_s": 2.0},
            # cheap hashing: the tests sign in a dozen times; the cost is not what is tested
            "auth": {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1},
            "ws": {"tick_s": 0.2, "heartbeat_s": 2.0},
            # fed by its emulator at the emulated 07:30: the board follows that clock, as the
            # demo does (README "Following an emulator's clock")
            "state": {"clock": "field"},
        }
    )


def _apply(emu: Any, cmd: dict[str, Any], rt: Any = None) -> dict[str, Any]:
    """One fault-injection command on the emulator (``raise_alarm``: an alarm straight into the
    runtime's alarm book, for tests of the alarm list that need set priorities and trains)."""
    op = cmd.get("op")
    if op == "raise_alarm":
        from line.catalogue import Message
        from telemetry.alarms import Priority

        key, text = str(cmd["key"]), str(cmd.get("text", cmd["key"]))
        a = rt.alarms.raise_alarm(
            key,
            Priority(int(cmd["priority"])),
            str(cmd.get("source", "test")),
            Message("alarm.saved_text", {"vi": text, "en": text}),
        )
        return {"ok": op, "id": None if a is None else a.id}
    if op == "clear_alarm":  # its condition gone: "cleared, unacknowledged" until acknowledged
        rt.alarms.clear(str(cmd["key"]))
        return {"ok": op}
    if op == "retire_test_alarms":  # a test's injected alarms gone: cleared, closed
        from telemetry.alarms import AlarmState

        for a in rt.alarms.active(include_shelved=True):
            if a.source != "test":
                continue
            if a.state is AlarmState.SHELVED:
                rt.alarms.unshelve(a.id, "test")
            rt.alarms.clear(a.key)
            if a.state is not AlarmState.NORMAL:
                rt.alarms.ack(a.id, "test")
        return {"ok": op}
    if op == "fault_rate":
        emu.set_fault_rate(float(cmd["per_h"]))
    elif op == "undervoltage":
        emu.set_undervoltage(str(cmd["substation"]), bool(cmd.get("on", True)))
    elif op == "silence_train":
        emu.silence_train(str(cmd["train"]), bool(cmd.get("on", True)))
    elif op == "freeze_plc":
        emu.freeze_plc(str(cmd["substation"]), bool(cmd.get("on", True)))
    elif op == "where":
        return _where(emu, cmd.get("ts_ms"))
    elif op == "ping":
        pass
    else:
        return {"error": f"unknown op {op!r}"}
    return {"ok": op}


def _where(emu: Any, ts_ms: int | None) -> dict[str, Any]:
    """The emulator's own record: its clock now, and where each train was at ``ts_ms`` (its
    played-out day, the same the trains' messages were made from)."""
    from telemetry.emulator.runner import local_day

    now = emu.now_ms()
    at = now if ts_ms is None else int(ts_ms)
    day, t_s = local_day(at)
    sched = emu.schedule(day)
    trains = {}
    for train, played in sched.trains.items():
        s = played.state_at(t_s)
        trains[train] = {"pos_m": s.pos_m, "track": s.track}
    return {"now_ms": now, "at_ms": at, "trains": trains}


async def _commands(emu: Any, out: IO[str], rt: Any = None) -> None:
    """Obey stdin until it ends (the test is done, or gone); answers on ``out``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            answer = _apply(emu, json.loads(line), rt)
        except Exception as exc:  # a bad command is the test's problem: say so, go on
            answer = {"error": repr(exc)}
        print(json.dumps(answer), file=out, flush=True)


async def _serve(tmp: Path, speed: float, publish_hz: float, out: IO[str]) -> None:
    from accounts import SecurityStore
    from accounts.seed import seed_role_users
    from accounts.tokens import new_password
    from api.server import make_server
    from cli.demo import seed_crew
    from line import load_line
    from services.runtime import build_runtime
    from telemetry.broker import LocalBroker
    from telemetry.emulator.runner import Emulator, EmulatorConfig

    port = free_port()
    settings = _settings(tmp, port)
    line = load_line(settings.line.file)
    start = service_start()
    await seed_crew(settings, line.id, start.date())
    async with SecurityStore(settings.db.url, settings.auth) as store:
        made = await seed_role_users(store)
        # a second operator: the incoming shift of a handover is another person
        second = ("dieudo2", new_password())
        await store.users.add(*second, UserRole.OPERATOR, display_name="demo operator 2")
    async with LocalBroker() as broker:
        cfg = EmulatorConfig(
            broker_url=broker.url,
            line=line,
            timetable=settings.state.timetable,
            speed=speed,
            publish_hz=publish_hz,
            start=start,
            seed=7,
            fault_rate_per_h=0.0,  # faults only when a test injects them
            modbus_host="127.0.0.1",
            modbus_base_port=0,
        )
        async with Emulator(cfg) as emu:
            live = settings.model_copy(
                update={
                    "mqtt": settings.mqtt.model_copy(update={"url": broker.url}),
                    "modbus": settings.modbus.model_copy(update={"devices": emu.devices()}),
                }
            )
            rt = build_runtime(live)
            rt.tick_s = 0.2
            server = make_server(rt, "127.0.0.1", port)
            async with asyncio.TaskGroup() as tg:
                emu_task = tg.create_task(emu.run(), name="emulator")
                srv_task = tg.create_task(server.serve(), name="http")
                async with asyncio.timeout(START_TIMEOUT_S):
                    while not server.started:
                        if srv_task.done():
                            raise RuntimeError("the HTTP server stopped while starting")
                        await asyncio.sleep(0.05)
                hello = {
                    "url": f"http://127.0.0.1:{port}",
                    "users": {role.value: [name, pw] for name, role, pw in made},
                    "operator2": list(second),
                    "broker": broker.kind,
                }
                print(json.dumps(hello), file=out, flush=True)
                await _commands(emu, out, rt)
                server.should_exit = True
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await srv_task
                emu_task.cancel()


def main() -> None:
    tmp, speed, publish_hz = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # the protocol keeps the real stdout; everything else printed (logs) goes to stderr
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    asyncio.run(_serve(tmp, speed, publish_hz, out))


if __name__ == "__main__":
    main()
