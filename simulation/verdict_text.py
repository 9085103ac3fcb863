"""A run's verdict as sentences for the command line, in English or Vietnamese.

The verdict itself is codes and parameters (:mod:`simulation.verdict`); the web UI words it in
``web/js/verdict.js``. This is the terminal's wording of the same codes, so a planner at the
command line reads the verdict first too: the catalogue's ``verdict.*`` texts
(:mod:`line.catalogue`), with numbers and dates formatted here, at the edge. Dates are dd/mm
(the year when the run spans two).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from line.catalogue import Lang, Message, Param, render

_VI_MARKS = str.maketrans({",": ".", ".": ","})


def num(v: Any, lang: Lang = "en", digits: int | None = None) -> str:
    """A figure as the reader writes numbers: whole when whole, else one decimal (or
    ``digits``); grouped 1,234.5 in English and 1.234,5 in Vietnamese; ``None`` is "—"."""
    if v is None:
        return "—"
    f = float(v)
    if digits is None:
        digits = 0 if abs(f - round(f)) < 0.05 else 1
    text = f"{f:,.{digits}f}"
    return text.translate(_VI_MARKS) if lang == "vi" else text


def verdict_lines(verdict: dict[str, Any], lang: Lang = "en") -> list[str]:
    """The verdict's statements as sentences, in the order the verdict gives them."""

    def _num(v: Any) -> str:
        return num(v, lang)

    start = date.fromisoformat(verdict["start_date"])
    end = date.fromisoformat(verdict["end_date"])

    def dm(iso: str | None) -> str:
        if iso is None:
            return "—"
        d = date.fromisoformat(iso)
        return d.strftime("%d/%m/%Y") if start.year != end.year else d.strftime("%d/%m")

    def level(s: dict[str, Any]) -> Message:
        h = s.get("headway_s")
        return Message(f"verdict.level.{s['level']}", {"h": _num(h / 60) if h else "—"})

    def params(s: dict[str, Any]) -> dict[str, Param] | None:
        code = s["code"]
        if code == "level_held_throughout":
            return {"level": level(s), "until": dm(s["until"])}
        if code == "level_held_until":
            return {"level": level(s), "date": dm(s["date"]), "share_lost": s["share_lost"]}
        if code == "level_lost_from_start":
            return {"level": level(s), "date": dm(s["date"])}
        if code == "level_lost_in_some_runs":
            p10 = s.get("lost_date_p10")
            by = Message("verdict.lost_p10", {"date": dm(p10)}) if p10 else None
            return {"level": level(s), "share_lost": s["share_lost"], "p10": by}
        if code == "trips_lost":
            keys = ("p10", "p50", "p90", "planned", "crew_mean", "fleet_mean")
            return {k: _num(s.get(k)) for k in keys}
        if code == "overtime":
            return {k: _num(s[k]) for k in ("hours_p50", "person_month_max_p50")}
        if code == "binding":
            resource = Message(f"verdict.resource.{s['resource']}")
            return {"resource": resource, "share_of_days": s["share_of_days"]}
        if code in ("binding_none", "binding_not_recorded"):
            return {}
        return None  # a code this terminal does not word (newer than it)

    out = []
    for s in verdict["statements"]:
        p = params(s)
        if p is not None:
            out.append(render(Message(f"verdict.{s['code']}", p), lang))
    return out
