"""Helpers for the situation report tests: settings, Hanoi instants, and reading facts back out
of the rendered HTML and PDF."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.settings import Settings
from tests.api.authkit import FAST_ARGON2, TOKENS

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 5, 28)  # a Thursday


def local_ms(day: date, hhmm: str, *, seconds: int = 0) -> int:
    """UTC milliseconds of ``hhmm`` local time in Hanoi on ``day``."""
    h, m = (int(x) for x in hhmm.split(":"))
    return (
        int(datetime(day.year, day.month, day.day, h, m, seconds, tzinfo=HANOI).timestamp()) * 1000
    )


def settings(tmp_path: Path, db_url: str | None = None, **reports: Any) -> Settings:
    """Settings on a private SQLite database; ``reports`` overrides the report section (no
    catch-up delay unless given, so a test's scheduler acts at once)."""
    return Settings.model_validate(
        {
            "db": {"url": db_url or f"sqlite+aiosqlite:///{tmp_path / 'metro.db'}"},
            "history": {"embedded_path": str(tmp_path / "h.sqlite")},
            "auth": {"tokens": {t: f"{r}-bot:{r}" for r, t in TOKENS.items()}, **FAST_ARGON2},
            "crew": {"solver_time_limit_s": 2},
            "reports": {"catch_up_delay_s": 0, **reports},
        }
    )


def html_fact(page: str, vi: str, en: str) -> str:
    """The value of the facts row labelled ``vi / en`` in a report page."""
    pattern = (
        r'<span class="vi">' + re.escape(htmllib.escape(vi)) + r"</span> / "
        r'<span class="en" lang="en">' + re.escape(htmllib.escape(en)) + r"</span></th>"
        r'<td class="v">([^<]*)</td>'
    )
    m = re.search(pattern, page)
    assert m is not None, f"no row {vi} / {en}"
    return htmllib.unescape(m.group(1))


def html_row(page: str, first_vi: str) -> list[str]:
    """The cells of the table row whose first cell starts with ``first_vi`` (tags dropped)."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [
            htmllib.unescape(re.sub(r"<br>", "\n", re.sub(r"<(?!br>)[^>]+>", "", c)))
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells and cells[0].split("\n")[0] == first_vi:
            return cells
    raise AssertionError(f"no table row starting {first_vi!r}")


def pdf_fact(runs: list[str], vi: str, en: str) -> str:
    """The value drawn right after the label ``vi / en`` in a report PDF."""
    label = f"{vi} / {en}"
    assert label in runs, f"no {label!r} in the PDF"
    return runs[runs.index(label) + 1]
