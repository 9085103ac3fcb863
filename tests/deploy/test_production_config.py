"""deploy/config/metro-ops.production.toml: loads through the real settings loader, documents
every settings section, and holds no secret (they come from the environment or files)."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
PROD = ROOT / "deploy" / "config" / "metro-ops.production.toml"


@pytest.fixture
def no_metro_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("METRO_"):
            monkeypatch.delenv(k)


def test_the_file_loads_with_the_real_loader(no_metro_env: None) -> None:
    s = load_settings(PROD)
    assert s.mqtt.url is not None and s.mqtt.url.startswith("mqtts://")  # TLS to the broker
    assert s.mqtt.persistent_session and s.mqtt.ca_file and s.mqtt.cert_file and s.mqtt.key_file
    assert s.db.url.startswith("postgresql+asyncpg://")
    assert [d.id for d in s.modbus.devices] == ["SS1", "SS2", "SS3", "SS4", "SS5"]
    assert s.log.format == "json"


def test_every_settings_section_is_documented() -> None:
    text = PROD.read_text()
    # a section counts when it is a [table] of the file, active or commented out
    tables = set(re.findall(r"(?m)^#?\s*\[([a-z_]+)\]", text))
    missing = set(Settings.model_fields) - tables
    assert not missing, f"add a [section] for {sorted(missing)} to {PROD.name}"


def test_no_secret_is_written_in_the_file(no_metro_env: None) -> None:
    data = tomllib.loads(PROD.read_text())
    assert "token" not in data.get("influx", {})
    assert not data.get("auth", {}).get("tokens")
    for url in (data["db"]["url"], data["mqtt"]["url"]):
        assert urlsplit(url).password is None, url


def test_secrets_come_from_the_environment(
    no_metro_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what EnvironmentFile= (systemd) or env_file: (compose) provides wins over the file
    monkeypatch.setenv("METRO_DB_URL", "postgresql+asyncpg://metro:s3cret@db:5432/metro")
    monkeypatch.setenv("METRO_INFLUX_TOKEN", "tok-from-env")
    monkeypatch.setenv("METRO_AUTH_TOKENS", '{"0123456789abcdef0123": "bridge:operator"}')
    s = load_settings(PROD)
    assert urlsplit(s.db.url).password == "s3cret"
    assert s.influx.token.get_secret_value() == "tok-from-env"
    assert s.auth.tokens == {"0123456789abcdef0123": "bridge:operator"}
    assert "tok-from-env" not in repr(s.influx)  # secrets do not leak into logs
