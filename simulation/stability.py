"""How stable a what-if's headline is, and when to stop adding replications.

The *headline* is what a planner reads first: the median (p50) of the **trips lost** over the
run (planned − operated) and of the **first day lost** of a service level (``timetable`` by
default; a replication that never lost it counts as the run's length, so the median is defined
even when most replications hold).

**The stopping rule** (:class:`Adaptive`). Replications are examined in index order at
*checkpoints* every ``step`` replications. At a checkpoint with ``n >= min_replications``
the run stops when, over the last ``window`` checkpoints (``window + 1`` medians, the current
one included), neither median moved by more than its tolerance from the current value:
trips lost within ``max(trips_abs, trips_rel × p50)``, first day lost within ``days_abs``.
Otherwise it goes on, up to ``max_replications``. The decision at a checkpoint depends only
on replications ``0 … n-1`` — each seeded by (seed, index) alone — so the same seed stops at
the same count and gives the same result whatever the executor, the number of workers or the
order in which batches finish.

**The stability report** (:func:`stability`), in every result: replications run, each
headline median with its distribution-free 90 % confidence half-width (order statistics of a
binomial(n, ½), see :func:`median_half_width`: the Monte Carlo error of the median itself,
which narrows as 1/√n) and its last change, and whether the rule above is met.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

_Z90 = 1.6448536269514722  # two-sided 90 %: the standard normal's 95th percentile


@dataclass(frozen=True, slots=True)
class Adaptive:
    """Replications until the headline medians stop moving (see the module docstring)."""

    min_replications: int = 80  # with step 20 and window 3: the earliest a rule can judge
    max_replications: int = 1000
    step: int = 20
    window: int = 3
    trips_abs: float = 5.0
    trips_rel: float = 0.02
    days_abs: float = 1.0
    level: str = "timetable"

    def __post_init__(self) -> None:
        if self.step < 1 or self.window < 1:
            raise ValueError("step and window must be at least 1")
        if not 1 <= self.min_replications <= self.max_replications:
            raise ValueError("need 1 <= min_replications <= max_replications")
        if min(self.trips_abs, self.trips_rel, self.days_abs) < 0:
            raise ValueError("tolerances must not be negative")

    def checkpoints(self, upto: int) -> list[int]:
        """The replication counts examined up to ``upto`` (the last one is ``upto`` itself)."""
        out = list(range(self.step, upto, self.step))
        return [*out, upto]


def headline(summaries: np.ndarray, keys: tuple[str, ...], days: int, level: str) -> np.ndarray:
    """Per replication (rows of ``summaries``): trips lost and the first day ``level`` was lost
    (``days`` when never), as a ``(n, 2)`` array."""
    planned = summaries[:, keys.index("total.trips_planned")]
    operated = summaries[:, keys.index("total.trips_operated")]
    first = summaries[:, keys.index(f"first_day_lost.{level}")]
    return np.column_stack([planned - operated, np.where(np.isnan(first), float(days), first)])


def median_half_width(x: np.ndarray) -> float:
    """Half the width of a distribution-free 90 % confidence interval of the median of ``x``.

    The interval runs between the order statistics ``n/2 ∓ 1.645·√n/2`` (the normal
    approximation to a binomial(n, ½) count below the median); it needs no assumption about
    the outcome's distribution, which for lost trips is lumpy (mostly 0, sometimes a day).
    """
    n = len(x)
    if n < 2:
        return math.inf
    s = np.sort(x)
    spread = _Z90 * math.sqrt(n) / 2
    lo = max(0, math.floor(n / 2 - spread) - 1)
    hi = min(n - 1, math.ceil(n / 2 + spread))
    return float(s[hi] - s[lo]) / 2


def _medians(values: np.ndarray, counts: list[int]) -> list[tuple[float, float]]:
    return [(float(np.median(values[:n, 0])), float(np.median(values[:n, 1]))) for n in counts if n]


def verdict(values: np.ndarray, n: int, rule: Adaptive) -> tuple[bool, float, float]:
    """Is the rule met at ``n`` replications (the first ``n`` rows of ``values``)?

    Returns (met, the largest change of the trips-lost median over the window, the same for
    the first day lost).
    """
    counts = rule.checkpoints(n)[-(rule.window + 1) :]
    meds = _medians(values, counts)
    now_trips, now_day = meds[-1]
    d_trips = max(abs(t - now_trips) for t, _ in meds)
    d_day = max(abs(d - now_day) for _, d in meds)
    tol_trips = max(rule.trips_abs, rule.trips_rel * abs(now_trips))
    met = (
        n >= rule.min_replications
        and len(meds) == rule.window + 1
        and d_trips <= tol_trips
        and d_day <= rule.days_abs
    )
    return met, d_trips, d_day


def stability(values: np.ndarray, rule: Adaptive, *, adaptive: bool, days: int) -> dict[str, Any]:
    """The stability report of a run whose headline per replication is ``values``."""
    n = len(values)
    met, d_trips, d_day = verdict(values, n, rule)
    trips, day = values[:, 0], values[:, 1]
    p50_trips, p50_day = float(np.median(trips)), float(np.median(day))

    def num(x: float) -> float | None:
        return round(x, 4) if math.isfinite(x) else None

    counts = rule.checkpoints(n)
    return {
        "mode": "adaptive" if adaptive else "fixed",
        "replications": n,
        "converged": met,
        "rule": asdict(rule),
        "trips_lost": {
            "p50": num(p50_trips),
            "half_width_90": num(median_half_width(trips)),
            "last_change": num(d_trips),
            "tolerance": num(max(rule.trips_abs, rule.trips_rel * abs(p50_trips))),
        },
        "first_day_lost": {
            "level": rule.level,
            "p50": num(p50_day),
            "half_width_90": num(median_half_width(day)),
            "last_change": num(d_day),
            "tolerance": num(rule.days_abs),
            "never_lost_counts_as": days,
        },
        "checkpoints": [
            [c, num(t), num(d)] for c, (t, d) in zip(counts, _medians(values, counts), strict=True)
        ],
    }
