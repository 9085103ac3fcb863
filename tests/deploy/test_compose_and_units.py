"""deploy/docker-compose.yml, deploy/Dockerfile and the systemd units, checked as far as this
machine allows.

Docker's daemon and the ``docker compose`` plugin are not available here, so the compose file
is checked by parsing it: the four services, every volume, secret, bind mount, env file and
build file it names, and every ``METRO_*`` variable it sets (loaded through the real settings
with the production config). When a compose CLI is installed (``docker compose`` or
``docker-compose``), ``config`` validates it as well. The units are checked with
``systemd-analyze verify`` when systemd's tools are present.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
TO_CREATE = ("./secrets/", "./tls")  # made by the operator, never committed (deploy/.gitignore)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_the_four_services_and_their_references(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"mosquitto", "influxdb", "postgres", "metro-ops"}
    declared_volumes = set(compose["volumes"])
    declared_secrets = compose["secrets"]
    used_volumes: set[str] = set()
    for name, svc in services.items():
        for mount in svc.get("volumes", []):
            source, target = mount.split(":")[:2]
            if source.startswith("."):
                if not source.startswith(TO_CREATE):
                    assert (DEPLOY / source).exists(), f"{name}: bind mount {source} is missing"
            else:
                assert source in declared_volumes, f"{name}: volume {source} not declared"
                used_volumes.add(source)
            assert target.startswith("/")
        for secret in svc.get("secrets", []):
            assert secret in declared_secrets, f"{name}: secret {secret} not declared"
        for key, value in (svc.get("environment") or {}).items():
            if key.endswith("_FILE"):  # secrets are files mounted by compose
                assert value.startswith("/run/secrets/"), (name, key)
                assert value.removeprefix("/run/secrets/") in svc["secrets"], (name, key)
            elif re.search(r"PASSWORD|TOKEN|SECRET", key):
                pytest.fail(f"{name}: {key} has a literal secret; use a *_FILE or the env file")
        for env_file in svc.get("env_file", []):
            assert env_file.startswith("./secrets/")
        for dep in svc.get("depends_on", {}):
            assert dep in services
    assert used_volumes == declared_volumes, "declared but unused volumes"
    for secret in declared_secrets.values():
        assert secret["file"].startswith("./secrets/")
    build = services["metro-ops"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()


def test_mosquitto_mounts_match_its_conf(compose: dict[str, Any]) -> None:
    svc = compose["services"]["mosquitto"]
    targets = {m.split(":")[1]: m.split(":")[0] for m in svc["volumes"]}
    conf = (DEPLOY / "mosquitto" / "mosquitto.conf").read_text()
    persist = re.search(r"(?m)^persistence_location (\S+)$", conf)
    acl = re.search(r"(?m)^acl_file (\S+)$", conf)
    assert persist and acl
    assert persist.group(1).rstrip("/") in targets, "persistence dir must be a volume"
    assert targets[acl.group(1)] == "./mosquitto/acl"
    for cert in re.findall(r"(?m)^(?:cafile|certfile|keyfile) (\S+)$", conf):
        assert any(cert.startswith(t + "/") for t in targets), cert
    assert "chown mosquitto:mosquitto " + persist.group(1).rstrip("/") in " ".join(
        svc["command"]
    ), "mosquitto drops to its own user: the persistence volume must be its own"


def test_metro_ops_environment_is_valid_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = compose["services"]["metro-ops"]
    config_target = next(
        m.split(":")[1] for m in svc["volumes"] if "metro-ops.production.toml" in m
    )
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert f'"--config", "{config_target}"' in dockerfile  # the image reads the mounted file
    for k in list(os.environ):
        if k.startswith("METRO_"):
            monkeypatch.delenv(k)
    for key, value in svc["environment"].items():
        assert key.startswith("METRO_")
        monkeypatch.setenv(key, str(value))
    s = load_settings(DEPLOY / "config" / "metro-ops.production.toml")
    assert s.mqtt.url == "mqtts://mosquitto:8883" and s.http.host == "0.0.0.0"


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_config_validates(tmp_path: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker compose CLI on this machine (checked by parsing above)")
    work = tmp_path / "deploy"
    shutil.copytree(DEPLOY, work)
    (work / "secrets").mkdir(exist_ok=True)
    (work / "tls").mkdir(exist_ok=True)
    for f in ("metro-ops.env", "postgres_password", "influx_admin_password", "influx_admin_token"):
        (work / "secrets" / f).write_text("placeholder\n")
    r = subprocess.run(
        [*cli, "-f", str(work / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=work,
    )
    assert r.returncode == 0, r.stderr


def test_systemd_units_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        # verify wants the ExecStart binary to exist: point it at one that does
        text = unit.read_text().replace("/opt/metro-ops/.venv/bin/metro-ops", "/bin/true")
        (tmp_path / unit.name).write_text(text)
        r = subprocess.run(
            [tool, "verify", str(tmp_path / unit.name)], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0 and not r.stderr.strip(), (unit.name, r.stderr)
    main = (DEPLOY / "systemd" / "metro-ops.service").read_text()
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert hardening in main
    assert "EnvironmentFile=/etc/metro-ops/secrets.env" in main  # secrets from a file only
