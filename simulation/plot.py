"""A what-if result as a picture: p10–p90 bands and medians, day by day.

Four panels: trips operated against the timetable, the longest achieved peak headway, drivers
available against the drivers the timetable needs, and overtime. Drawn with matplotlib's
object API on the Agg canvas (no pyplot, no global backend state), so it is safe in a server
thread and needs no display.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from simulation.results import WhatIfResult


def _series(result: WhatIfResult, path: str, key: str, scale: float = 1.0) -> list[float]:
    out: list[float] = []
    for day in result.days:
        node: Any = day
        for part in path.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        v = node.get(key) if isinstance(node, dict) else None
        out.append(math.nan if v is None else float(v) * scale)
    return out


def plot_result(result: WhatIfResult, out: Path) -> None:
    """Write the four-panel figure of ``result`` to ``out`` (PNG, or any format by suffix)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 8.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2, sharex=True)
    x = [d["day"] for d in result.days]

    def band(ax: Any, path: str, label: str, color: str, scale: float = 1.0) -> None:
        lo = _series(result, path, "p10", scale)
        mid = _series(result, path, "p50", scale)
        hi = _series(result, path, "p90", scale)
        ax.fill_between(x, lo, hi, color=color, alpha=0.25, linewidth=0, label=f"{label} p10–p90")
        ax.plot(x, mid, color=color, linewidth=1.6, label=f"{label} p50")

    ax = axes[0][0]
    ax.plot(x, _series(result, "trips_planned", "p50"), color="0.4", ls="--", label="planned")
    band(ax, "trips_operated", "operated", "tab:blue")
    ax.set_title("Trips per day")
    ax.set_ylim(bottom=0)

    ax = axes[0][1]
    band(ax, "headway_peak_s", "peak headway", "tab:red", 1 / 60)
    ax.axhline(6, color="0.4", ls="--", label="6 min")
    ax.set_title("Longest achieved peak headway (min; weekdays)")
    ax.set_ylim(bottom=0)

    ax = axes[1][0]
    ax.plot(
        x, _series(result, "staff.driver.required", "p50"), color="0.4", ls="--", label="needed"
    )
    band(ax, "staff.driver.available", "drivers available", "tab:green")
    ax.set_title("Drivers available to roster vs needed")
    ax.set_ylim(bottom=0)

    ax = axes[1][1]
    band(ax, "overtime_h", "overtime", "tab:orange")
    ax.set_title("Overtime (hours per day, all staff)")
    ax.set_ylim(bottom=0)

    for row in axes:
        for a in row:
            a.grid(True, alpha=0.3)
            a.legend(fontsize=8, loc="best")
    for a in axes[1]:
        a.set_xlabel(f"day (0 = {result.start_date.isoformat()})")
    fig.suptitle(
        f"{result.scenario}: {result.days_simulated} days × {result.replications} replications, "
        f"seed {result.seed}"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
