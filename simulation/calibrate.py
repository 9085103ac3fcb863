"""Calibration: how well a scenario reproduces observed days, and the incidence scale that fits.

:func:`goodness_of_fit` runs the scenario over the observed dates (its ``start_date`` moved to
the first observed day) and compares, day by day, the model's *mean* over replications with
what was observed: the mean absolute error (MAE) of absences by role (F0 + F1 + leave at the
03:00 plan, :mod:`simulation.observed`) and of trips operated (days with a trips figure only).

:func:`calibrate` fits one number, the multiplier ``m`` of the community incidence (a case
series' ``series_scale`` × m, or the curve's ``start_per_100k`` and ``peak_per_100k`` both
× m: the same shape and timing, m times the level), by golden-section search on log m within
``[lo, hi]``, minimising the MAE of total absences (the incidence drives absences; trips
also depend on the service rules and the fleet, so they are reported, not fitted). Every
evaluation uses the same seed — common random numbers: the replications differ between
multipliers only through the multiplier, so the search is not chasing noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from line import Line
from simulation.observed import ROLES, ObservedDay
from simulation.results import WhatIfResult
from simulation.runner import Executor, run_setup
from simulation.scenario import Scenario
from simulation.setup import CrewSnapshot, build_setup

_PHI = (math.sqrt(5) - 1) / 2  # the golden section


@dataclass(frozen=True, slots=True)
class Fit:
    """One scenario compared with the observed days."""

    multiplier: float
    mae_absent: dict[str, float]  # by role and "total"
    mae_trips: float | None  # None: no observed trips
    days_with_trips: int
    per_day: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "multiplier": round(self.multiplier, 4),
            "mae_absent": {k: round(v, 3) for k, v in self.mae_absent.items()},
            "mae_trips": None if self.mae_trips is None else round(self.mae_trips, 3),
            "days_with_trips": self.days_with_trips,
        }


def scaled(scenario: Scenario, multiplier: float) -> Scenario:
    """``scenario`` with its incidence × ``multiplier``: a case series' ``series_scale``, or
    the curve's start and peak."""
    inc = scenario.incidence
    if inc.series is not None:
        update = {"series_scale": inc.series_scale * multiplier}
    else:
        update = {
            "start_per_100k": inc.start_per_100k * multiplier,
            "peak_per_100k": inc.peak_per_100k * multiplier,
        }
    return scenario.model_copy(update={"incidence": inc.model_copy(update=update)})


def has_incidence(scenario: Scenario) -> bool:
    inc = scenario.incidence
    if inc.series is not None:
        return inc.series_scale > 0
    return inc.start_per_100k > 0 and inc.peak_per_100k > 0


def _mean(day: dict[str, Any], *path: str) -> float:
    node: Any = day
    for p in path:
        node = node.get(p, {}) if isinstance(node, dict) else {}
    v = node.get("mean") if isinstance(node, dict) else None
    return 0.0 if v is None else float(v)


def compare(result: WhatIfResult, observed: Sequence[ObservedDay], multiplier: float) -> Fit:
    """MAE of the model's daily means against the observed days."""
    err = dict.fromkeys([r.value for r in ROLES], 0.0)
    trips_err, trips_n = 0.0, 0
    per_day = []
    for obs, day in zip(observed, result.days, strict=True):
        row: dict[str, Any] = {"date": obs.day.isoformat()}
        for role in ROLES:
            model = sum(
                _mean(day, "states", role.value, s)
                for s in ("f0_isolation", "f1_quarantine", "leave")
            )
            err[role.value] += abs(model - obs.absent[role])
            row[f"{role.value}_absent"] = {"observed": obs.absent[role], "model": round(model, 2)}
        model_trips = _mean(day, "trips_operated")
        row["trips_operated"] = {"observed": obs.trips_operated, "model": round(model_trips, 1)}
        if obs.trips_operated is not None:
            trips_err += abs(model_trips - obs.trips_operated)
            trips_n += 1
        per_day.append(row)
    n = len(observed)
    mae = {k: v / n for k, v in err.items()}
    mae["total"] = (
        sum(
            abs(
                sum(r[f"{role.value}_absent"]["model"] for role in ROLES)
                - sum(r[f"{role.value}_absent"]["observed"] for role in ROLES)
            )
            for r in per_day
        )
        / n
    )
    return Fit(multiplier, mae, trips_err / trips_n if trips_n else None, trips_n, per_day)


@dataclass(frozen=True, slots=True)
class Calibration:
    scenario: str
    days: int
    replications: int
    seed: int
    first_day: str
    as_given: Fit
    fitted: Fit | None
    evaluations: list[tuple[float, float]]  # (multiplier, MAE of total absences)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "first_day": self.first_day,
            "days": self.days,
            "replications": self.replications,
            "seed": self.seed,
            "as_given": self.as_given.as_dict(),
            "fitted": None if self.fitted is None else self.fitted.as_dict(),
            "evaluations": [[round(m, 4), round(e, 3)] for m, e in self.evaluations],
            "per_day": (self.fitted or self.as_given).per_day,
        }


def calibrate(
    scenario: Scenario,
    observed: Sequence[ObservedDay],
    line: Line,
    *,
    replications: int = 40,
    seed: int = 7,
    fit: bool = True,
    lo: float = 0.1,
    hi: float = 10.0,
    steps: int = 10,
    executor: Executor | None = None,
    workers: int | None = None,
    crew_state: CrewSnapshot | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Goodness of fit of ``scenario`` over ``observed``, and (``fit``) the best multiplier."""
    if not observed:
        raise ValueError("no observed days")
    if fit and not has_incidence(scenario):
        raise ValueError(f"scenario {scenario.name} has no community incidence to scale")
    if not 0 < lo < 1 <= hi:
        raise ValueError("the search range must contain 1 and stay above 0")
    base = scenario.model_copy(update={"start_date": observed[0].day})
    total = 1 + (steps + 2 if fit else 0)
    done = 0
    cache: dict[float, Fit] = {}

    def evaluate(m: float) -> Fit:
        nonlocal done
        if m not in cache:
            setup = build_setup(scaled(base, m), line, len(observed), crew_state=crew_state)
            result = run_setup(
                setup, replications, seed, executor=executor, workers=workers
            )  # the same seed for every m: common random numbers
            cache[m] = compare(result, observed, m)
            done += 1
            if progress is not None:
                progress(done, total)
        return cache[m]

    as_given = evaluate(1.0)
    fitted = None
    if fit:
        # golden-section search on log m: the MAE is roughly unimodal in the level of the wave
        a, b = math.log(lo), math.log(hi)
        c, d = b - _PHI * (b - a), a + _PHI * (b - a)
        fc, fd = evaluate(math.exp(c)), evaluate(math.exp(d))
        for _ in range(steps):
            if fc.mae_absent["total"] <= fd.mae_absent["total"]:
                b, d, fd = d, c, fc
                c = b - _PHI * (b - a)
                fc = evaluate(math.exp(c))
            else:
                a, c, fc = c, d, fd
                d = a + _PHI * (b - a)
                fd = evaluate(math.exp(d))
        fitted = min(
            [*cache.values()], key=lambda f: (f.mae_absent["total"], abs(math.log(f.multiplier)))
        )
    return Calibration(
        scenario=scenario.name,
        days=len(observed),
        replications=replications,
        seed=seed,
        first_day=observed[0].day.isoformat(),
        as_given=as_given,
        fitted=fitted,
        evaluations=sorted((m, f.mae_absent["total"]) for m, f in cache.items()),
    )
