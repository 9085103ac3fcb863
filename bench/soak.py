"""Soak: ``metro-ops serve`` as a subprocess under 10× Line 2A load, its memory sampled.

Load, all real parts on free ports in a temporary directory:
  * mosquitto;
  * the field emulator (``metro-ops emulate --speed 10 --publish-hz 10``): 13 trains publishing
    telemetry 10 times a second each (10× the ICD's 1 Hz), their events and the stations' flows
    at 10× the simulated day's rate, and 5 substation PLCs over Modbus TCP;
  * the app polling those PLCs every 0.1 s (10× the default 1 s), writing embedded history, and
    an operator's screen reading ``/api/board`` once a second.

Every 10 s the app's resident memory (``VmRSS``), CPU time and counters (``/metrics``) are
sampled and printed; at the end: RSS at start / max / end, the slope of a least-squares line
through the samples in MB per hour (over the whole run and after the first fifth, the warm-up),
messages processed and rejected, Modbus polls, board latency, and ``/healthz``.

Usage: uv run python bench/soak.py [--minutes 30]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "tok-soak-operator-0123456789"
SAMPLE_S = 10.0
_PLC_LINE = re.compile(r"PLC (\S+)\s.*modbus://([\d.]+):(\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port}")


@dataclass
class Sample:
    t_s: float
    rss_mb: float
    cpu_s: float
    messages: float
    rejects: float
    polls_ok: float


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    # fields 14 and 15 of /proc/pid/stat: user and system time in clock ticks
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def counters(text: str) -> tuple[float, float, float]:
    def total(prefix: str, must: str = "") -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(prefix) and must in line
        )

    return (
        total("metro_messages_total{"),
        total("metro_rejects_total{"),
        total("metro_modbus_polls_total{", 'result="ok"'),
    )


def slope_mb_per_h(samples: list[Sample]) -> float:
    if len(samples) < 2:
        return 0.0
    fit = statistics.linear_regression([s.t_s for s in samples], [s.rss_mb for s in samples])
    return fit.slope * 3600


def start_mosquitto(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 100000\nlog_dest none\n"
    )
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([exe, "-c", str(conf)], stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return proc


def start_emulator(
    broker: str, workdir: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    """The emulator at 10×; returns it and its PLCs' ports (read from its banner). Its output
    goes to a file: a pipe nobody reads would stall it once full."""
    out = workdir / "emulator.log"
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "emulate", "--broker", broker, "--speed", "10",
             "--publish-hz", "10", "--start", "06:30", "--seed", "1", "--modbus-base-port", "0"],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while "Ctrl-C stops" not in (text := out.read_text(errors="replace")):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the emulator did not start:\n{text[-2000:]}")
        time.sleep(0.1)
    plcs = {m.group(1): int(m.group(3)) for m in _PLC_LINE.finditer(text)}
    if not plcs:
        raise RuntimeError("the emulator reported no PLC")
    return proc, plcs


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def soak(minutes: float) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="metro-soak-"))
    workdir.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")}
    env |= {"PYTHONPATH": str(ROOT), "METRO_LOG_LEVEL": "warning"}
    mqtt_port, http_port = free_port(), free_port()
    broker = f"mqtt://127.0.0.1:{mqtt_port}"
    mosquitto = emulator = app = None
    log: IO[bytes] | None = None
    samples: list[Sample] = []
    latencies: list[float] = []
    try:
        mosquitto = start_mosquitto(mqtt_port, workdir)
        emulator, plcs = start_emulator(broker, workdir, env)
        devices = [{"id": sid, "host": "127.0.0.1", "port": p} for sid, p in sorted(plcs.items())]
        app_env = env | {
            "METRO_MQTT_URL": broker,
            "METRO_STATE_CLOCK": "field",  # the emulator's clock: 06:30 at 10× speed
            "METRO_HTTP_PORT": str(http_port),
            "METRO_DB_URL": f"sqlite+aiosqlite:///{workdir / 'metro.db'}",
            "METRO_HISTORY_EMBEDDED_PATH": str(workdir / "history.sqlite"),
            "METRO_AUTH_TOKENS": json.dumps({TOKEN: "soak:operator"}),
            "METRO_MODBUS_DEVICES": json.dumps(devices),
            "METRO_MODBUS_POLL_S": "0.1",
        }
        log = (workdir / "app.log").open("wb")
        app = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve"],
            cwd=workdir, env=app_env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{http_port}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if app.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"metro-ops did not start; see {workdir / 'app.log'}")
                time.sleep(0.2)
            print(
                f"soak: {minutes:g} min, app pid {app.pid}, emulator 10× ({len(plcs)} PLCs "
                f"polled every 0.1 s), workdir {workdir}",
                flush=True,
            )
            print(f"{'t_s':>6} {'rss_MB':>8} {'cpu_%':>6} {'msgs':>9} {'msg/s':>7}", flush=True)
            t0 = time.monotonic()
            end = t0 + minutes * 60
            next_sample = t0
            while True:
                now = time.monotonic()
                if now >= next_sample:
                    m, r, p = counters(http.get("/metrics").text)
                    s = Sample(now - t0, rss_mb(app.pid), cpu_s(app.pid), m, r, p)
                    prev = samples[-1] if samples else None
                    samples.append(s)
                    dt = s.t_s - prev.t_s if prev else 0.0
                    rate = (s.messages - prev.messages) / dt if prev and dt else 0.0
                    cpu = 100 * (s.cpu_s - prev.cpu_s) / dt if prev and dt else 0.0
                    print(
                        f"{s.t_s:6.0f} {s.rss_mb:8.1f} {cpu:6.1f} {s.messages:9.0f} {rate:7.1f}",
                        flush=True,
                    )
                    next_sample += SAMPLE_S
                    if now >= end:
                        break
                q0 = time.perf_counter()
                if http.get("/api/board").status_code == 200:  # an operator's screen
                    latencies.append(time.perf_counter() - q0)
                time.sleep(max(0.0, min(1.0, next_sample - time.monotonic())))
            health = http.get("/healthz")
        report(samples, latencies, health)
    finally:
        stop(app)
        stop(emulator)
        stop(mosquitto)
        if log is not None:
            log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def report(samples: list[Sample], latencies: list[float], health: httpx.Response) -> None:
    first, last = samples[0], samples[-1]
    span = last.t_s - first.t_s
    warm = [s for s in samples if s.t_s >= span / 5]
    rss = [s.rss_mb for s in samples]
    lat = sorted(latencies)
    print()
    print(f"duration        {span / 60:.1f} min, {len(samples)} samples every {SAMPLE_S:g} s")
    print(f"RSS MB          start {first.rss_mb:.1f}  max {max(rss):.1f}  end {last.rss_mb:.1f}")
    print(
        f"RSS slope       {slope_mb_per_h(samples):+.1f} MB/h (whole run), "
        f"{slope_mb_per_h(warm):+.1f} MB/h (after the first fifth)"
    )
    msgs = last.messages - first.messages
    print(f"messages        {last.messages:.0f} processed ({msgs / span:.1f}/s over the run)")
    print(f"rejects         {last.rejects:.0f}")
    print(
        f"modbus polls    {last.polls_ok:.0f} ok ({(last.polls_ok - first.polls_ok) / span:.1f}/s)"
    )
    print(f"app CPU         {100 * (last.cpu_s - first.cpu_s) / span:.1f} % of one core")
    if lat:
        p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        print(
            f"/api/board      p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms ({len(lat)} reads)"
        )
    print(f"/healthz        {health.status_code} {health.json().get('status')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--minutes", type=float, default=30.0, help="how long to run (default 30)")
    soak(ap.parse_args().minutes)


if __name__ == "__main__":
    main()
