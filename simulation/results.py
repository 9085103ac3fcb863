"""A what-if's result: per-day p10/p50/p90 bands across replications, and run summaries.

Every number a replication records for a day (:mod:`simulation.records`) becomes a *band*
``{"p10", "p50", "p90", "mean", "mean_p10", "mean_p90"}`` over the replications (see
:func:`bands`); for a 0/1 flag such as ``level.timetable`` the mean is the share of
replications in which it held. A value that is
infinite (no train in a period: its headway; never lost: a first day) makes the percentiles
above it ``null``. Dotted names nest: ``periods.am_peak.trips_operated`` is
``day["periods"]["am_peak"]["trips_operated"]``.

The result is a pydantic model, so ``to_json()``/``from_json()`` round-trip exactly; it holds
no wall-clock time, so the same scenario, days, replications and seed give the same JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simulation.assumptions import as_json, assumptions
from simulation.model import Replication
from simulation.records import LEVELS
from simulation.setup import Setup
from simulation.verdict import run_verdict

QUANTILES = (10, 50, 90)
_BIG = 1.0e300  # stands in for infinity while percentiles are taken
_Z90 = 1.2815515655446004  # the standard normal's 90th percentile


def _num(x: float) -> float | None:
    if not math.isfinite(x):
        return None
    return round(float(x), 4)


def bands(matrix: np.ndarray) -> list[dict[str, float | None]]:
    """Bands of each column of ``matrix`` (rows: replications).

    ``p10``/``p50``/``p90`` describe the outcome across replications: that spread is a property
    of the scenario and does not shrink with more replications. ``mean_p10``/``mean_p90``
    bound the estimate of the mean (normal approximation, mean ± 1.2816 standard errors): the
    Monte Carlo uncertainty, which narrows as 1/√replications.
    """
    finite = np.isfinite(matrix)
    m = np.where(finite, matrix, _BIG)  # inf and nan rank above every number
    qs = np.percentile(m, QUANTILES, axis=0, method="linear")
    # a quantile above every finite value was interpolated towards an infinite one: infinite
    top = np.where(finite, matrix, -np.inf).max(axis=0)
    qs = np.where(qs > top, np.inf, qs)
    n = matrix.shape[0]
    all_finite = finite.all(axis=0)
    safe = np.where(finite, matrix, 0.0)
    means = safe.mean(axis=0)
    sd = safe.std(axis=0, ddof=1) if n > 1 else np.zeros(matrix.shape[1])
    half = _Z90 * sd / math.sqrt(n)
    out = []
    for j in range(matrix.shape[1]):
        ok = bool(all_finite[j])
        out.append(
            {
                "p10": _num(qs[0, j]),
                "p50": _num(qs[1, j]),
                "p90": _num(qs[2, j]),
                "mean": _num(means[j]) if ok else None,
                "mean_p10": _num(means[j] - half[j]) if ok else None,
                "mean_p90": _num(means[j] + half[j]) if ok else None,
            }
        )
    return out


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": x}`` → ``{"a": {"b": x}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


class WhatIfResult(BaseModel):
    """The answer to one what-if (see the module docstring for the shape of ``days``)."""

    model_config = ConfigDict(frozen=True)

    scenario: str
    seed: int
    replications: int
    days_simulated: int
    start_date: date
    line: str
    timetable: str
    events: int
    scenario_spec: dict[str, Any]
    summary: dict[str, Any]
    days: list[dict[str, Any]]
    # every assumption of the run: value, unit, source, scenario parameter (see
    # simulation/assumptions.py)
    assumptions: list[dict[str, Any]] = Field(default_factory=list)
    #: The timetable's periods by name: ``start``/``end`` ("06:30"), ``planned_headway_s``,
    #: ``peak``. Empty in results stored before it was recorded.
    periods: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # how far the headline can be trusted (simulation.stability); None from aggregate()
    stability: dict[str, Any] | None = None

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> WhatIfResult:
        return cls.model_validate_json(text)


@dataclass(frozen=True, slots=True)
class Batch:
    """Replications packed for the trip back from a worker: plain arrays, no per-row dicts.

    ``values[r, d, c]`` is column ``columns[c]`` of day ``d`` of replication ``indices[r]``;
    ``present[d]`` lists the columns day ``d`` has (a day's columns depend on its timetable
    pattern only, so they are the same in every replication).
    """

    indices: tuple[int, ...]
    columns: tuple[str, ...]
    present: tuple[tuple[int, ...], ...]
    values: np.ndarray
    summary_keys: tuple[str, ...]
    summaries: np.ndarray
    events: int


def pack(reps: Sequence[Replication]) -> Batch:
    """``reps`` (of one run) as a :class:`Batch`."""
    if not reps:
        raise ValueError("nothing to pack")
    first = reps[0]
    where: dict[str, int] = {}
    for row in first.rows:
        for k in row:
            where.setdefault(k, len(where))
    present = tuple(tuple(where[k] for k in row) for row in first.rows)
    values = np.full((len(reps), len(first.rows), len(where)), np.nan)
    for r, rep in enumerate(reps):
        for d, row in enumerate(rep.rows):
            values[r, d, present[d]] = list(row.values())
    summary_keys = tuple(first.summary)
    summaries = np.array([[rep.summary[k] for k in summary_keys] for rep in reps], dtype=float)
    return Batch(
        tuple(rep.index for rep in reps),
        tuple(where),
        present,
        values,
        summary_keys,
        summaries,
        sum(rep.events for rep in reps),
    )


class Aggregate:
    """Collects the batches of a run (in any order) and makes the result.

    Memory is one float per replication, day and figure (about 130 figures a day): 12 MB for
    60 days x 200 replications.
    """

    def __init__(self, setup: Setup, seed: int, replications: int) -> None:
        self.setup = setup
        self.seed = seed
        self.replications = replications
        self.done = 0
        self.events = 0
        self._first: Batch | None = None
        self._values: np.ndarray | None = None
        self._summaries: np.ndarray | None = None

    def add(self, batch: Batch) -> None:
        if self._first is None:
            self._first = batch
            n = self.replications
            self._values = np.full((n, *batch.values.shape[1:]), np.nan)
            self._summaries = np.full((n, batch.summaries.shape[1]), np.nan)
        elif (batch.columns, batch.present, batch.summary_keys) != (
            self._first.columns,
            self._first.present,
            self._first.summary_keys,
        ):
            raise ValueError("batches of one run disagree on their figures")
        assert self._values is not None and self._summaries is not None
        idx = list(batch.indices)
        self._values[idx] = batch.values
        self._summaries[idx] = batch.summaries
        self.done += len(idx)
        self.events += batch.events

    def result(self) -> WhatIfResult:
        """Bands over the replications collected (all of them, in index order)."""
        first, values, sums = self._first, self._values, self._summaries
        if first is None or values is None or sums is None or self.done < self.replications:
            raise ValueError(f"{self.done} of {self.replications} replications collected")
        setup = self.setup
        days: list[dict[str, Any]] = []
        for d, cols in enumerate(first.present):
            the_date = setup.start + timedelta(days=d)
            day: dict[str, Any] = {
                "day": d,
                "date": the_date.isoformat(),
                "weekday": the_date.weekday(),
            }
            keys = [first.columns[c] for c in cols]
            day.update(nest(dict(zip(keys, bands(values[:, d, list(cols)]), strict=True))))
            days.append(day)
        keys = list(first.summary_keys)
        flat = dict(zip(keys, bands(sums), strict=True))
        summary = nest(
            {
                k: v
                for k, v in flat.items()
                if not k.startswith("first_day_lost.") and k != "first_crew_cancellation"
            }
        )
        lost: dict[str, Any] = {}
        for level in LEVELS:
            col = sums[:, keys.index(f"first_day_lost.{level}")]
            band = flat[f"first_day_lost.{level}"]
            lost[level] = {
                "p10": band["p10"],
                "p50": band["p50"],
                "p90": band["p90"],
                "share_lost": round(float(np.mean(~np.isnan(col))), 4),
                # the share of runs that had lost it by the end of each day: a comparison with
                # a shorter run reads the share over the days both ran
                "lost_by_day": [
                    round(float(np.mean(col <= d)), 4) for d in range(len(first.present))
                ],
            }
        summary["first_day_lost"] = lost
        # the first day a trip was cancelled for want of crew ("no trip stopped" until then)
        col = sums[:, keys.index("first_crew_cancellation")]
        band = flat["first_crew_cancellation"]
        summary["first_crew_cancellation"] = {
            "p10": band["p10"],
            "p50": band["p50"],
            "p90": band["p90"],
            "share": round(float(np.mean(~np.isnan(col))), 4),
        }
        sc = setup.scenario
        result = WhatIfResult(
            scenario=sc.name,
            seed=self.seed,
            replications=self.replications,
            days_simulated=setup.days,
            start_date=setup.start,
            line=setup.line.id,
            timetable=setup.timetable_id,
            events=self.events,
            scenario_spec=sc.model_dump(mode="json"),
            summary=summary,
            days=days,
            assumptions=as_json(assumptions(setup)),
            periods=_periods(setup),
        )
        # the verdict (simulation.verdict) reads the finished result: attached last
        return result.model_copy(update={"summary": {**summary, "verdict": run_verdict(result)}})


def _hm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _periods(setup: Setup) -> dict[str, dict[str, Any]]:
    """The periods of the run's day patterns by name (a name's first pattern wins)."""
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(setup.patterns):
        for p in setup.patterns[key].periods:
            out.setdefault(
                p.name,
                {
                    "start": _hm(p.start_s),
                    "end": _hm(p.end_s),
                    "planned_headway_s": p.planned_headway_s,
                    "peak": p.peak,
                },
            )
    return out


def aggregate(setup: Setup, seed: int, reps: Sequence[Replication]) -> WhatIfResult:
    """Bands over ``reps`` (replications of one run, any order)."""
    agg = Aggregate(setup, seed, len(reps))
    agg.add(pack(sorted(reps, key=lambda r: r.index)))
    return agg.result()
