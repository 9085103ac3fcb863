from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(__import__("os").environ):
        if k.startswith("METRO_"):
            monkeypatch.delenv(k)
    s = load_settings()
    assert s.mqtt.url is None and s.influx.url is None
    assert (s.http.host, s.http.port) == ("127.0.0.1", 8000)
    assert s.db.url.startswith("sqlite")


def test_environment_overrides_the_config_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[http]\nport = 9100\nhost = "0.0.0.0"\n[mqtt]\nurl = "mqtt://file:1883"\n')
    monkeypatch.setenv("METRO_MQTT_URL", "mqtts://user:p%40ss@broker.example:8883")
    monkeypatch.setenv("METRO_INFLUX_URL", "http://influx:8086")
    monkeypatch.setenv("METRO_INFLUX_TOKEN", "secret-token")
    monkeypatch.setenv("METRO_DB_URL", "postgresql+asyncpg://u@db/metro")
    monkeypatch.setenv("METRO_HTTP_PORT", "9200")
    s = load_settings(cfg)
    assert s.http.port == 9200 and s.http.host == "0.0.0.0"
    addr = s.mqtt.address()
    assert (addr.host, addr.port, addr.tls, addr.username, addr.password) == (
        "broker.example",
        8883,
        True,
        "user",
        "p@ss",
    )
    assert s.influx.url == "http://influx:8086"
    assert s.influx.token.get_secret_value() == "secret-token"
    assert "secret-token" not in repr(s)
    assert s.db.url == "postgresql+asyncpg://u@db/metro"


def test_bad_values_say_what_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRO_MQTT_URL", "http://not-mqtt")
    with pytest.raises(ValidationError, match="mqtt://"):
        load_settings()


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_deploy_example_is_valid() -> None:
    s = load_settings(ROOT / "deploy" / "metro-ops.example.toml")
    assert [d.id for d in s.modbus.devices] == ["SS1", "SS2", "SS3", "SS4", "SS5"]
