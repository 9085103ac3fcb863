"""The UI's files without a browser: every string the pages use exists in Vietnamese and
English (including one per value of the enums the pages show), and the app serves the pages
and vendored assets at their URLs, offline (nothing from another origin)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from accounts.identity import UserRole
from api.app import create_app
from api.routes.web import PAGES, WEB_DIR
from crew.model import Role, State
from line import load_line
from reports.model import ReportKind
from services.health import Level
from services.runtime import build_runtime
from services.settings import Settings
from simulation import PRESETS
from simulation.records import LEVELS
from simulation.verdict import BINDING_RESOURCES, COMPARE_CODES, RUN_CODES, WARNING_CODES
from telemetry.alarms import AlarmState, Priority
from whatif.store import RunStatus

STATIC_KEY = re.compile(
    r'\bt\(\s*"([a-z0-9_.]+)"'  # t("key")
    r'|data-i18n(?:-doc|-placeholder|-title|-aria-label)?="([a-z0-9_.]+)"'  # markup
    r'|item\("[\w-]+", "([a-z0-9_.]+)"\)'  # the board's legend items
)


def strings(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB_DIR / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def used_keys() -> set[str]:
    keys: set[str] = set()
    for f in [*WEB_DIR.glob("*.html"), *WEB_DIR.glob("js/*.js")]:
        for m in STATIC_KEY.finditer(f.read_text("utf-8")):
            keys.add(next(g for g in m.groups() if g))
    return keys


def dynamic_keys() -> set[str]:
    """Keys the code builds from data (`state.${s}` …): one per value of the enum shown."""
    return (
        {f"role.{r.value}" for r in UserRole}
        | {f"nav.{p.removeprefix('/')}" for p in PAGES if p != "/login"}
        | {f"state.{s.value}" for s in State}
        | {f"staffrole.{r.value}" for r in Role}
        | {f"alarm.state_{s.value}" for s in AlarmState}
        | {f"alarm.p{int(p)}" for p in Priority}
        | {f"whatif.status_{s.value}" for s in RunStatus}
        | {f"reports.kind_{k.value}" for k in ReportKind}
        | {f"board.conn_{s}" for s in ("connecting", "live", "reconnecting", "signed_out")}
        | {f"headway.{s}" for s in ("ok", "gap", "bunching")}
        | {f"train.{k}" for k in ("driver_not_cleared", "no_driver", "mode_depot", "mode_off")}
        | {f"board.track{n}" for n in (1, 2)}
        | {f"health.status.{lv.value}" for lv in Level if lv is not Level.OK}
        | what_if_keys()
    )


def what_if_keys() -> set[str]:
    """The what-if page names what the server sends by id: presets, periods, levels and
    binding resources; verdict codes have their sentences in web/js/verdict.js (its t("…")
    calls are found above), so only the ids are listed here."""
    periods = {p.name for tt in load_line().timetables for pat in tt.patterns for p in pat.periods}
    return (
        {f"scn.{p}" for p in PRESETS}
        | {f"scn_desc.{p}" for p in PRESETS}
        | {f"period.{p}" for p in periods}
        | {f"verdict.lv_{lv}" for lv in LEVELS}
        | {f"resource.{r}" for r in BINDING_RESOURCES}
    )


def test_vietnamese_and_english_have_the_same_strings() -> None:
    vi, en = strings("vi"), strings("en")
    assert vi.keys() == en.keys(), sorted(vi.keys() ^ en.keys())
    for key, text in vi.items():
        # the same placeholders in both, so neither language shows a raw {name}
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", en[key])), key


def test_every_string_the_ui_uses_exists() -> None:
    missing = (used_keys() | dynamic_keys()) - strings("vi").keys()
    assert not missing, sorted(missing)


def test_no_asset_comes_from_another_origin() -> None:
    for f in [*WEB_DIR.glob("*.html"), *WEB_DIR.glob("js/*.js"), *WEB_DIR.glob("css/*.css")]:
        text = f.read_text("utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), f
        # the SVG namespace is a name, not a fetch
        urls = re.findall(r"https?://[^\s\"'`)]+", text.replace("http://www.w3.org/2000/svg", ""))
        assert not urls, (f, urls)
    assert (WEB_DIR / "vendor" / "uplot" / "LICENSE").is_file()


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.model_validate(
        {
            "db": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
        }
    )
    # no lifespan: the pages and static files need no running runtime
    app = create_app(build_runtime(settings, require_broker=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as c:
        yield c


async def test_pages_and_vendored_assets_are_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/board"
    for path, file in PAGES.items():
        r = await client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert r.text == (WEB_DIR / file).read_text("utf-8")
    r = await client.get("/static/vendor/uplot/uPlot.esm.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert "export { uPlot as default }" in r.text
    assert (await client.get("/static/i18n/vi.json")).json()["nav.board"] == "Bảng điều độ"
    assert (await client.get("/static/nothing.js")).status_code == 404


def test_every_verdict_code_has_words() -> None:
    text = (WEB_DIR / "js" / "verdict.js").read_text("utf-8")
    for code in (*RUN_CODES, *COMPARE_CODES, *WARNING_CODES):
        assert f'"{code}"' in text, code
