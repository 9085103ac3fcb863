"""A local MQTT broker for the zero-setup demo: mosquitto when installed, else amqtt in-process.

amqtt tops out near 3k msg/s (PITFALLS.md) — plenty for Line 2A's ~20 msg/s, not for load
tests; production points ``METRO_MQTT_URL`` at a real broker instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import structlog

log = structlog.get_logger(__name__)

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((p for p in MOSQUITTO_PATHS if Path(p).exists()), None)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


async def _wait_listening(host: str, port: int, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            async with asyncio.timeout(0.5):
                _, w = await asyncio.open_connection(host, port)
            w.close()
            await w.wait_closed()
            return
        except (OSError, TimeoutError):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"broker not listening on {host}:{port}") from None
            await asyncio.sleep(0.05)


class LocalBroker:
    """Starts a broker on ``host:port`` for the lifetime of the context."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, *, prefer: str = "auto"):
        self.host = host
        self.port = port or free_port(host)
        self._prefer = prefer
        self.kind: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._amqtt: Any = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    async def __aenter__(self) -> Self:
        exe = find_mosquitto() if self._prefer in ("auto", "mosquitto") else None
        if exe:
            await self._start_mosquitto(exe)
        else:
            await self._start_amqtt()
        return self

    async def _start_mosquitto(self, exe: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="metro-ops-mosquitto-")
        conf = Path(self._tmp.name) / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {self.host}\nallow_anonymous true\n"
            "max_queued_messages 100000\nlog_dest none\n"
        )
        self._proc = await asyncio.create_subprocess_exec(
            exe,
            "-c",
            str(conf),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            # out of the terminal's process group: Ctrl-C reaches the whole group at once, and
            # a broker gone first leaves every emulator link and the ingest reporting it down
            # while they stop; __aexit__ stops it after them
            start_new_session=True,
        )
        await _wait_listening(self.host, self.port, 10.0)
        self.kind = "mosquitto"

    async def _start_amqtt(self) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            # explicit plugins: the default logging and $SYS plugins cost ~20 % (PITFALLS.md)
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }
        self._amqtt = Broker(config)
        await self._amqtt.start()
        await _wait_listening(self.host, self.port, 10.0)
        self.kind = "amqtt"

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await self._proc.wait()
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()
            self._proc = None
        if self._amqtt is not None:
            await self._amqtt.shutdown()
            self._amqtt = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
