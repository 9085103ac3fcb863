"""Configuration mistakes new users make, through the real ``metro-ops`` command (a
subprocess, as a person runs it): plain database URLs work; every configuration error is one
line on stderr, a non-zero exit, no traceback and no secret; a taken HTTP port says so and
what to set, before the demo prints any password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.settings import async_db_url
from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("METRO_")}
    base.update(
        {
            "PYTHONPATH": str(ROOT),
            "METRO_AUTH_ARGON2_TIME_COST": "1",
            "METRO_AUTH_ARGON2_MEMORY_KIB": "8192",
            "METRO_AUTH_ARGON2_PARALLELISM": "1",
        }
    )
    base.update({f"METRO_{k}": v for k, v in env.items()})
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=base,
        cwd=cwd,
        timeout=90,
    )


def assert_one_line_error(r: subprocess.CompletedProcess[str], *says: str) -> str:
    assert r.returncode != 0, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in r.stderr
    for s in says:
        assert s in lines[0], lines[0]
    return lines[0]


def test_plain_database_urls_get_the_async_driver(tmp_path: Path) -> None:
    # what everyone writes, relative to the working directory as in the README
    r = run("users", "list", cwd=tmp_path, DB_URL="sqlite:///data/metro.db")
    assert r.returncode == 0, r.stderr
    assert "no users yet" in r.stdout and (tmp_path / "data" / "metro.db").is_file()
    assert async_db_url("postgresql://u:p%40ss@db:5432/metro") == (
        "postgresql+asyncpg://u:p%40ss@db:5432/metro"
    )
    assert async_db_url("postgres://u@db/metro") == "postgresql+asyncpg://u@db/metro"


@pytest.mark.parametrize(
    ("command", "env", "says"),
    [
        ("serve", {"DB_URL": "postgresql+psycopg2://metro:s3cr3t-pw@db/metro"}, ["asyncpg"]),
        ("demo", {"DB_URL": "mysql://metro:s3cr3t-pw@db/metro"}, ["db.url", "postgresql://"]),
        ("users list", {"DB_URL": "not a url s3cr3t-pw"}, ["db.url", "sqlite:///"]),
        ("demo", {"HTTP_PORT": "eighty"}, ["http.port"]),
        ("serve", {"AUTH_TOKENS": "{not json s3cr3t-pw"}, ["auth"]),
        ("users list", {"LOG_LEVEL": "loud"}, ["log.level"]),
    ],
)
def test_configuration_errors_are_one_line_without_traceback_or_secret(
    tmp_path: Path, command: str, env: dict[str, str], says: list[str]
) -> None:
    r = run(*command.split(), cwd=tmp_path, MQTT_URL="mqtt://127.0.0.1:1", **env)
    line = assert_one_line_error(r, *says)
    assert "s3cr3t-pw" not in r.stderr + r.stdout, line


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://metro:s3cr3t-pw@127.0.0.1:{free_port()}/metro"  # nobody listens
    r = run("serve", cwd=tmp_path, MQTT_URL="mqtt://127.0.0.1:1", DB_URL=url,
            HTTP_PORT=str(free_port()))  # fmt: skip
    assert_one_line_error(r, "cannot open the database", "postgresql+asyncpg://metro:***@")
    assert r.returncode == 1 and "s3cr3t-pw" not in r.stderr


def test_a_broken_config_file_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[http]\nport = = 1\n")
    assert_one_line_error(run("serve", "--config", str(cfg), cwd=tmp_path), "line 2")
    cfg.write_text('[http]\nport = 8000\nwho = "me"\n')
    assert_one_line_error(run("serve", "--config", str(cfg), cwd=tmp_path), "http.who")
    assert_one_line_error(run("serve", "--config", "nope.toml", cwd=tmp_path), "nope.toml")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_demo_on_a_taken_port_says_so_before_any_password(tmp_path: Path, taken_port: int) -> None:
    r = run("demo", cwd=tmp_path, HTTP_PORT=str(taken_port), DB_URL=f"sqlite:///{tmp_path}/m.db")
    line = assert_one_line_error(r, f"port {taken_port}", "in use", "METRO_HTTP_PORT=")
    assert r.returncode == 2, line
    assert "password" not in r.stdout.lower() and not (tmp_path / "m.db").exists()


def test_serve_on_a_taken_port_says_so(tmp_path: Path, taken_port: int) -> None:
    r = run("serve", cwd=tmp_path, HTTP_PORT=str(taken_port), MQTT_URL="mqtt://127.0.0.1:1",
            DB_URL=f"sqlite:///{tmp_path}/m.db")  # fmt: skip
    assert_one_line_error(r, f"port {taken_port}", "in use", "METRO_HTTP_PORT=")


def test_free_port_still_serves(tmp_path: Path) -> None:
    """The port check does not get in the way: serve binds the port it checked."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve"],
        cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("METRO_")},
             "PYTHONPATH": str(ROOT), "METRO_HTTP_PORT": str(port),
             "METRO_MQTT_URL": "mqtt://127.0.0.1:1", "METRO_LOG_LEVEL": "warning",
             "METRO_DB_URL": f"sqlite:///{tmp_path}/m.db"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        from tests.fixtures.ports import wait_for_port

        wait_for_port(port, timeout_s=60)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()
