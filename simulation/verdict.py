"""A what-if's verdict, and a comparison's: what a planner acts on, as codes and parameters.

The verdict is data, not prose: a list of statements ``{"code": …, parameters…}`` that the UI
renders in Vietnamese or English (``web/js/verdict.js``). Dates are ISO calendar dates; shares
are fractions of replications; quantiles are named (``"p50"``).

A run's verdict (:func:`run_verdict`), best first:

* the service levels: ``level_held_throughout`` (no replication lost it), ``level_held_until``
  (the median replication lost it: ``date`` is the last day held, ``lost_date`` the first day
  lost, both of the p50; ``share_lost``), ``level_lost_from_start`` (the median replication
  lost it on the first day), ``level_lost_in_some_runs`` (fewer than half of the replications
  lost it: ``share_lost``, and ``lost_date_p10`` when one in ten lost it by then). Levels are
  listed from the full timetable down to the first one held throughout (the weaker ones hold
  too); a level that asks nothing more than a better one (the 10-minute level of a timetable
  that runs every 10 minutes) is left out;
* ``trips_lost``: trips cancelled of those planned (p10/p50/p90), their mean, and the means of
  those caused by crews and by the fleet when the result records them (``None``: not recorded);
* ``overtime``: overtime hours (p50) and the most one person worked in a month (p50);
* ``binding``: the resource that most often limited the day's service plan (``share_of_days``:
  its expected share of days; ``first_date_p50``: the first day it did so in most runs), or
  ``binding_none`` (no plan was cut: trips lost were lost within the day) /
  ``binding_not_recorded``.

Results stored by earlier versions lack some day figures (``binding.*``, ``cancelled.crew``,
``cancelled.fleet``): :func:`_series` is the one place that tells "not recorded" from zero.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from simulation.records import LEVELS

if TYPE_CHECKING:  # results.py attaches the verdict: import the type only
    from simulation.results import WhatIfResult

#: Resources that can limit a day's service (day figures ``binding.<resource>``: 1 when it
#: limited that day's service; banded over replications, so ``mean`` is the share of runs).
BINDING_RESOURCES: tuple[str, ...] = (
    "drivers_early",
    "drivers_late",
    "trains",
    "technicians",
    "control_centre",
    "station_staff",
)


def _level_limit(level: str, planned_s: int) -> int | None:
    """The worst headway (s) ``level`` allows in a period planned at ``planned_s`` (``None``:
    any service)."""
    if level == "headway_10min":
        return max(planned_s, 600)
    if level == "headway_15min":
        return max(planned_s, 900)
    return None if level == "service" else planned_s


Statement = dict[str, Any]
#: Every statement code of a run's verdict and of a comparison's (the UI has words for each).
RUN_CODES: tuple[str, ...] = (
    "level_held_throughout",
    "level_held_until",
    "level_lost_from_start",
    "level_lost_in_some_runs",
    "trips_lost",
    "overtime",
    "binding",
    "binding_none",
    "binding_not_recorded",
)
COMPARE_CODES: tuple[str, ...] = (
    "level_same",
    "level_share_differs",
    "level_held_only_by",
    "level_held_longer",
    "trips_lost_diff",
    "overtime_diff",
    "binding_compare",
)
WARNING_CODES: tuple[str, ...] = ("length_differs", "start_differs")


def _get(node: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _series(result: WhatIfResult, path: str) -> list[float] | None:
    """Each day's mean of the day figure ``path``; ``None`` when the result does not record it.

    Version tolerance lives here: a figure that a result's version did not record is absent
    from every day (``None``: not recorded), while a recorded figure is in every day (days
    differ only in their periods). A mean of ``None`` (an infinite value in some run) is 0.
    """
    bands = [_get(day, path) for day in result.days]
    if not any(isinstance(b, dict) for b in bands):
        return None
    return [float(b.get("mean") or 0.0) if isinstance(b, dict) else 0.0 for b in bands]


def _iso(start: date, day: int) -> str:
    return (start + timedelta(days=day)).isoformat()


def _levels_shown(result: WhatIfResult) -> list[str]:
    """The levels worth a statement, best first: those asking more than the one before.

    Without the result's periods (results of earlier versions) every level is shown.
    """
    planned = [p["planned_headway_s"] for p in result.periods.values()]
    peaks = [p["peak"] for p in result.periods.values()]
    if not planned:
        return list(LEVELS)
    shown: list[str] = []
    seen: list[tuple[int | None, ...]] = []
    for level in LEVELS:
        if level == "peak_headway" and not any(peaks):
            continue  # no peaks in this timetable
        limits = tuple(_level_limit(level, h) for h in planned)
        if level == "peak_headway":
            limits = tuple(lim for lim, pk in zip(limits, peaks, strict=True) if pk)
        if limits in seen:
            continue
        seen.append(limits)
        shown.append(level)
    return shown


def levels_shown(result: WhatIfResult) -> list[str]:
    """The service levels a verdict speaks of, best first (see :func:`_levels_shown`)."""
    return _levels_shown(result)


def _level_params(result: WhatIfResult, level: str) -> dict[str, Any]:
    """The headway a level names: the planned peak headway, or its fixed limit."""
    if level == "peak_headway":
        peaks = [p["planned_headway_s"] for p in result.periods.values() if p["peak"]]
        return {"headway_s": min(peaks) if peaks else None}
    if level in ("headway_10min", "headway_15min"):
        return {"headway_s": 600 if level == "headway_10min" else 900}
    return {}


def level_statement(result: WhatIfResult, level: str) -> Statement:
    """What happened to one service level over the run (see the module docstring)."""
    lost = _get(result.summary, f"first_day_lost.{level}") or {}
    share = float(lost.get("share_lost") or 0.0)
    base: Statement = {"level": level, **_level_params(result, level)}
    start = result.start_date
    if share == 0:
        return {
            "code": "level_held_throughout",
            **base,
            "until": _iso(start, result.days_simulated - 1),
        }
    p50 = lost.get("p50")
    if p50 is None:  # fewer than half of the runs lost it
        out: Statement = {"code": "level_lost_in_some_runs", **base, "share_lost": share}
        if lost.get("p10") is not None:
            out["lost_date_p10"] = _iso(start, math.floor(lost["p10"] + 0.5))
        return out
    first = math.floor(p50 + 0.5)  # a median between two days: the later one
    if first == 0:
        return {
            "code": "level_lost_from_start",
            **base,
            "date": _iso(start, 0),
            "quantile": "p50",
            "share_lost": share,
        }
    return {
        "code": "level_held_until",
        **base,
        "date": _iso(start, first - 1),
        "lost_date": _iso(start, first),
        "quantile": "p50",
        "share_lost": share,
    }


def _trips_lost(result: WhatIfResult) -> Statement:
    cancelled = _get(result.summary, "total.trips_cancelled") or {}
    planned = _get(result.summary, "total.trips_planned") or {}
    out: Statement = {
        "code": "trips_lost",
        "p10": cancelled.get("p10"),
        "p50": cancelled.get("p50"),
        "p90": cancelled.get("p90"),
        "planned": planned.get("p50"),
        # by cause as means (p50s do not add up): mean = crew_mean + fleet_mean
        "mean": cancelled.get("mean"),
    }
    for cause in ("crew", "fleet"):
        s = _series(result, f"cancelled.{cause}")
        out[f"{cause}_mean"] = None if s is None else round(sum(s), 1)
    return out


def _overtime(result: WhatIfResult) -> Statement:
    return {
        "code": "overtime",
        "hours_p50": _get(result.summary, "total.overtime_h.p50"),
        "person_month_max_p50": _get(result.summary, "max.overtime_h_person_month.p50"),
    }


def binding_by_resource(result: WhatIfResult) -> dict[str, list[float]] | None:
    """Per resource, each day's share of runs in which it limited service (``None``: the
    result does not record binding constraints)."""
    got = {r: _series(result, f"binding.{r}") for r in BINDING_RESOURCES}
    if all(s is None for s in got.values()):
        return None
    n = len(result.days)
    return {r: (s if s is not None else [0.0] * n) for r, s in got.items()}


def _binding(result: WhatIfResult, horizon: int | None = None) -> Statement:
    """The resource that most often limited service, over the first ``horizon`` days (all)."""
    by = binding_by_resource(result)
    if by is None:
        return {"code": "binding_not_recorded"}
    by = {r: s[:horizon] for r, s in by.items()}
    totals = {r: sum(s) for r, s in by.items()}
    top = max(BINDING_RESOURCES, key=lambda r: totals[r])  # ties: the first listed
    if totals[top] <= 0:
        return {"code": "binding_none"}
    days = len(by[top])
    first = next((d for d, v in enumerate(by[top]) if v > 0.5), None)  # in most runs
    return {
        "code": "binding",
        "resource": top,
        "share_of_days": round(totals[top] / days, 4) if days else 0.0,
        "first_date_p50": None if first is None else _iso(result.start_date, first),
    }


def run_verdict(result: WhatIfResult) -> dict[str, Any]:
    """The verdict of one run (see the module docstring)."""
    statements: list[Statement] = []
    for level in _levels_shown(result):
        s = level_statement(result, level)
        statements.append(s)
        if s["code"] == "level_held_throughout":
            break  # the weaker levels hold too
    statements += [_trips_lost(result), _overtime(result), _binding(result)]
    return {
        "start_date": result.start_date.isoformat(),
        "end_date": _iso(result.start_date, result.days_simulated - 1),
        "days": result.days_simulated,
        "replications": result.replications,
        "statements": statements,
    }


def verdict_of(result: WhatIfResult) -> dict[str, Any]:
    """The result's own verdict, or one made now for a result stored before verdicts."""
    stored = result.summary.get("verdict")
    return stored if isinstance(stored, dict) else run_verdict(result)


def with_verdict(result: WhatIfResult) -> WhatIfResult:
    """``result`` with its verdict in ``summary`` (made now if it was stored without one)."""
    if isinstance(result.summary.get("verdict"), dict):
        return result
    return result.model_copy(update={"summary": {**result.summary, "verdict": run_verdict(result)}})


# --- two runs --------------------------------------------------------------------------------
def _first_lost_day(result: WhatIfResult, level: str, horizon: int) -> float | None:
    """The p50 first day lost, from the run's start; ``None`` if held within ``horizon`` days."""
    p50 = _get(result.summary, f"first_day_lost.{level}.p50")
    if p50 is None or p50 >= horizon:
        return None
    return float(math.floor(p50 + 0.5))


def share_lost_within(result: WhatIfResult, level: str, horizon: int) -> float:
    """The share of runs that lost ``level`` in their first ``horizon`` days.

    The whole run's ``share_lost`` when ``horizon`` covers it; else ``lost_by_day`` (the
    cumulative share by day). A result stored before ``lost_by_day`` was recorded gives the
    most runs that missed the level on one day within the horizon (its day figures
    ``level.<name>``): a lower bound, since a run may miss it one day and hold it the next.
    """
    lost = _get(result.summary, f"first_day_lost.{level}") or {}
    if horizon >= result.days_simulated:
        return float(lost.get("share_lost") or 0.0)
    by_day = lost.get("lost_by_day")
    if isinstance(by_day, list) and len(by_day) >= horizon > 0:
        return float(by_day[horizon - 1])
    held = _series(result, f"level.{level}")
    if held is None or horizon <= 0:
        return 0.0
    return round(max(1.0 - v for v in held[:horizon]), 4)


def _compare_level(a: WhatIfResult, b: WhatIfResult, level: str, horizon: int) -> Statement:
    # every figure over the days both ran: a level the longer run lost only after them was
    # held in the days compared
    fa, fb = _first_lost_day(a, level, horizon), _first_lost_day(b, level, horizon)
    sa = share_lost_within(a, level, horizon)
    sb = share_lost_within(b, level, horizon)
    base: Statement = {"level": level, **_level_params(a, level), "share_lost_a": sa}
    base["share_lost_b"] = sb
    if fa is None and fb is None:
        if sa == sb:
            return {"code": "level_same", **base}
        return {"code": "level_share_differs", **base, "better": "a" if sa < sb else "b"}
    if fa is None or fb is None:
        better = "a" if fa is None else "b"
        worse_day = fb if fa is None else fa
        worse = b if better == "a" else a
        assert worse_day is not None
        return {
            "code": "level_held_only_by",
            **base,
            "better": better,
            "lost_date_other": _iso(worse.start_date, int(worse_day)),
        }
    if fa == fb:
        return {"code": "level_same", **base, "lost_day": int(fa)}
    return {
        "code": "level_held_longer",
        **base,
        "better": "a" if fa > fb else "b",
        "days": int(abs(fa - fb)),
        "quantile": "p50",
    }


def _sum_means(result: WhatIfResult, path: str, days: int) -> float:
    s = _series(result, path)
    return sum((s or [])[:days])


def compare_verdict(a: WhatIfResult, b: WhatIfResult) -> dict[str, Any]:
    """What changes from ``a`` to ``b``, as statements, with warnings when the runs differ in
    length or start date (then totals are compared over the days both ran, by their means)."""
    warnings: list[Statement] = []
    same_length = a.days_simulated == b.days_simulated
    horizon = min(a.days_simulated, b.days_simulated)
    if not same_length:
        warnings.append(
            {
                "code": "length_differs",
                "days_a": a.days_simulated,
                "days_b": b.days_simulated,
                "compared_days": horizon,
            }
        )
    if a.start_date != b.start_date:
        warnings.append(
            {
                "code": "start_differs",
                "start_a": a.start_date.isoformat(),
                "start_b": b.start_date.isoformat(),
            }
        )
    levels = [lv for lv in _levels_shown(a) if lv in _levels_shown(b)]
    statements = [_compare_level(a, b, lv, horizon) for lv in levels]
    # one decimal for both: a run's own verdict gives trips lost as 0.5, so must its comparison
    for key, code, digits in (
        ("trips_cancelled", "trips_lost_diff", 1),
        ("overtime_h", "overtime_diff", 1),
    ):
        if same_length:
            xa = _get(a.summary, f"total.{key}.p50")
            xb = _get(b.summary, f"total.{key}.p50")
            stat = "p50"
        else:
            xa = _sum_means(a, key, horizon)
            xb = _sum_means(b, key, horizon)
            stat = "mean"
        if xa is None or xb is None:
            continue
        diff = round(float(xb) - float(xa), digits)
        statements.append(
            {
                "code": code,
                "a": round(float(xa), digits),
                "b": round(float(xb), digits),
                "diff": diff,
                "better": None if diff == 0 else ("b" if diff < 0 else "a"),
                "statistic": stat,
                "days": horizon,
            }
        )
    ba, bb = _binding(a, horizon), _binding(b, horizon)
    if ba["code"] == "binding" or bb["code"] == "binding":
        statements.append(
            {
                "code": "binding_compare",
                "resource_a": ba.get("resource"),
                "resource_b": bb.get("resource"),
                "recorded_a": ba["code"] != "binding_not_recorded",
                "recorded_b": bb["code"] != "binding_not_recorded",
            }
        )
    return {"warnings": warnings, "statements": statements, "compared_days": horizon}
