"""Two what-if results side by side: what changes from ``a`` to ``b``.

Planners compare policies ("3-on-site or not?") on the same wave: the comparison puts the
headline numbers of both runs next to each other with the difference ``b - a`` (of the
medians and of the means), and the same per day for the day-level figures. Each run's verdict
and the comparison's (:mod:`simulation.verdict`) come first; when the runs differ in length,
their whole-run figures are marked ``"comparable": false`` and the verdict, the first days lost
and their shares compare the days both ran.
"""

from __future__ import annotations

from typing import Any

from simulation.records import LEVELS
from simulation.results import WhatIfResult
from simulation.verdict import compare_verdict, share_lost_within, verdict_of

#: Summary figures compared (dotted paths into ``WhatIfResult.summary``).
SUMMARY_KEYS: tuple[str, ...] = (
    "total.trips_planned",
    "total.trips_operated",
    "total.trips_cancelled",
    "total.overtime_h",
    "total.legal_breaches",
    "total.cases",
    "max.overtime_h_person_month",
    "min.trips_share",
)
#: Day figures compared (dotted paths into each entry of ``WhatIfResult.days``).
DAY_KEYS: tuple[str, ...] = (
    "trips_planned",
    "trips_operated",
    "trips_cancelled",
    "mean_wait_s",
    "overtime_h",
    "staff.driver.available",
)


def _get(node: dict[str, Any], path: str) -> dict[str, Any] | None:
    cur: Any = node
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur if isinstance(cur, dict) else None


def _diff(x: float | None, y: float | None) -> float | None:
    return None if x is None or y is None else round(y - x, 4)


def _within(day: Any, horizon: int) -> float | None:
    """A first day lost (from the run's start) if it falls within ``horizon`` days."""
    return float(day) if isinstance(day, int | float) and day < horizon else None


def _pair(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any]:
    a = a or {}
    b = b or {}
    return {
        "a": {"p10": a.get("p10"), "p50": a.get("p50"), "p90": a.get("p90"), "mean": a.get("mean")},
        "b": {"p10": b.get("p10"), "p50": b.get("p50"), "p90": b.get("p90"), "mean": b.get("mean")},
        "diff_p50": _diff(a.get("p50"), b.get("p50")),
        "diff_mean": _diff(a.get("mean"), b.get("mean")),
    }


def _meta(r: WhatIfResult) -> dict[str, Any]:
    return {
        "scenario": r.scenario,
        "seed": r.seed,
        "replications": r.replications,
        "days": r.days_simulated,
        "start_date": r.start_date.isoformat(),
        "timetable": r.timetable,
        "verdict": verdict_of(r),
    }


def compare_results(a: WhatIfResult, b: WhatIfResult) -> dict[str, Any]:
    """Headline figures, first days lost and day figures of ``a`` and ``b`` with ``b - a``.

    Days are matched by their index from each run's start: runs of different lengths are
    compared over the shorter (the first days lost and their shares too; run totals are
    marked ``"comparable": false``, the worst day's share of trips too).
    """
    summary = {k: _pair(_get(a.summary, k), _get(b.summary, k)) for k in SUMMARY_KEYS}
    same_length = a.days_simulated == b.days_simulated
    for pair in summary.values():
        # whole-run figures (totals, the most, the worst day) of runs of different lengths
        # differ by the days, not by the policy: none is over the days both ran
        pair["comparable"] = same_length
    horizon = min(a.days_simulated, b.days_simulated)
    lost: dict[str, Any] = {}
    for level in LEVELS:
        # over the days both ran, as the verdict compares them: a level lost after them is
        # "held" here, and its share counts only the runs that lost it within them
        lost[level] = {
            side: {
                "p50": _within(_get(r.summary, f"first_day_lost.{level}.p50"), horizon),
                "share_lost": share_lost_within(r, level, horizon),
            }
            for side, r in (("a", a), ("b", b))
        }
    days = []
    for da, db in zip(a.days, b.days, strict=False):
        row: dict[str, Any] = {"day": da["day"], "date_a": da["date"], "date_b": db["date"]}
        for k in DAY_KEYS:
            row[k] = _pair(_get(da, k), _get(db, k))
        days.append(row)
    return {
        "a": _meta(a),
        "b": _meta(b),
        "verdict": compare_verdict(a, b),
        "summary": summary,
        "first_day_lost": lost,
        "days": days,
    }
