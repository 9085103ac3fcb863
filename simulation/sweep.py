"""Sensitivity sweeps: which scenario parameters move the headline most.

A sweep varies *factors* — scenario fields named by dotted paths
(``policy_overrides.f1_mode``, ``onsite``, ``incidence.doubling_days``, ``timetable``) — around
a base scenario and runs every variant with the same seed (common random numbers: variants
differ by their parameters, not by their luck), through any executor of the runner's seam.

* ``oat`` (one at a time): the base, then each factor's values with the others at the base;
* ``factorial``: every combination of the factors' values.

A value that leaves the base scenario as it is (the base's own value, or one written
differently that comes to the same scenario: ``{"roles": [...]}`` with the defaults the base
has) *is* the base's value: :func:`expand` says so before anything runs, so a one-at-a-time
sweep runs the base once and lists it once, and values that come to the same scenario are
one value.

Each run is reduced to its headline: trips lost (planned − operated: mean with its Monte Carlo
90 % band, and p50) and the first day the ``timetable`` level was lost (p50, a run that never
lost it counting as the run's length; the share of runs that lost it). Factors are ranked by
their *swing*: the range of mean trips lost across their values (in a factorial, of the means
over every cell with that value: the main effect), first-day swing breaking ties — the order of
the tornado chart (:func:`plot_tornado`).

Values on the command line: ``--vary PATH=V1,V2,…``; each value is JSON when it parses
(``5``, ``0.5``, ``true``, ``{"roles": ["driver"]}``) and a string otherwise; ``none`` or
``null`` clears an optional field (``onsite=none``). Commas inside brackets or quotes do not
split. A sweep file (TOML or JSON) holds the same as a :class:`SweepSpec`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from line import Line
from simulation.results import WhatIfResult
from simulation.runner import Executor, run_setup
from simulation.scenario import Scenario, resolve_scenario, scenario_from_data
from simulation.setup import CrewSnapshot, Setup, build_setup

MAX_RUNS = 64
"""A factorial grows as the product of its factors' values: refuse more runs than this."""


class Factor(BaseModel):
    """One parameter to vary: a dotted scenario path and the values it takes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_\-]+)*$")
    values: tuple[Any, ...] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _none(cls, values: tuple[Any, ...]) -> tuple[Any, ...]:
        # TOML has no null: "none" clears an optional field, in a file as on the command line
        return tuple(
            None if isinstance(v, str) and v.lower() in ("none", "null") else v for v in values
        )


class SweepSpec(BaseModel):
    """A sweep: a base scenario (preset name, file path on the CLI, or an inline object), the
    design, the factors, and each run's size and seed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: str | dict[str, Any]
    design: Literal["oat", "factorial"] = "oat"
    vary: tuple[Factor, ...] = Field(min_length=1)
    days: int = Field(default=30, ge=1, le=366)
    replications: int = Field(default=40, ge=1, le=10_000)
    seed: int = Field(default=7, ge=0, le=2**63 - 1)

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        paths = [f.path for f in self.vary]
        if len(set(paths)) != len(paths):
            raise ValueError("each path may be varied once")
        if self.runs_count() > MAX_RUNS:
            raise ValueError(f"{self.runs_count()} runs: a sweep is at most {MAX_RUNS}")
        return self

    def runs_count(self) -> int:
        """The runs the spec asks for, at most: one at a time, a value that is the base's
        runs as the base (:func:`expand`), so a prepared sweep may have fewer
        (``len(PreparedSweep.runs)``)."""
        if self.design == "factorial":
            n = 1
            for f in self.vary:
                n *= len(f.values)
            return n
        return 1 + sum(len(f.values) for f in self.vary)


# --- parsing ------------------------------------------------------------------------------------
def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    out: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return [p.strip() for p in out]


def parse_value(text: str) -> Any:
    """A ``--vary`` value: JSON if it parses, ``none`` → null, else the string itself."""
    if text.lower() == "none":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_vary(text: str) -> Factor:
    """``PATH=V1,V2,…`` → a :class:`Factor` (a clear ``ValueError`` otherwise)."""
    path, sep, rest = text.partition("=")
    if not sep or not path.strip() or not rest.strip():
        raise ValueError(f"--vary {text!r}: write PATH=VALUE1,VALUE2")
    values = [parse_value(v) for v in _split_top(rest)]
    if any(v == "" for v in values):
        raise ValueError(f"--vary {text!r}: an empty value")
    try:
        return Factor(path=path.strip(), values=tuple(values))
    except ValidationError:
        raise ValueError(f"--vary {text!r}: {path.strip()!r} is not a dotted path") from None


def load_sweep(path: Path) -> SweepSpec:
    """A sweep file (``.toml`` or ``.json``)."""
    raw = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".toml":
        data = tomllib.loads(raw.decode())
    elif suffix == ".json":
        data = json.loads(raw)
    else:
        raise ValueError(f"{path}: sweep files are .toml or .json")
    return SweepSpec.model_validate(data)


# --- variants -----------------------------------------------------------------------------------
def get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def with_value(base: Scenario, path: str, value: Any) -> Scenario:
    """``base`` with the field at ``path`` set to ``value`` (validated like any scenario)."""
    data = base.model_dump(mode="json")
    parts = path.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        if part not in node and i == 0:
            raise ValueError(f"{path}: a scenario has no field {part!r}")
        if not isinstance(node.get(part), dict):
            node[part] = {}  # an optional section left out (onsite = none): start it empty
        node = node[part]
    if len(parts) == 1 and parts[0] not in data:
        raise ValueError(f"{path}: a scenario has no field {parts[0]!r}")
    node[parts[-1]] = value
    try:
        return scenario_from_data(data)
    except ValidationError as exc:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # "timetable=2026" parsed as a number: the field wants the text
            with contextlib.suppress(ValueError):
                return with_value(base, path, json.dumps(value))
        first = exc.errors(include_url=False)[0]
        msg = " ".join(str(first["msg"]).split("For further information")[0].split())
        raise ValueError(f"{path}={json.dumps(value)}: {msg}") from None


Settings = dict[str, Any]


def base_value(base: Scenario, path: str) -> Any:
    """The value ``path`` has in ``base``: for a crew rule not overridden
    (``policy_overrides.f1_mode``), the value the scenario's policy preset gives it."""
    value = get_path(base.model_dump(mode="json"), path)
    head, _, rule = path.partition(".")
    if value is None and head == "policy_overrides" and rule and "." not in rule:
        policy = base.crew_policy().model_dump(mode="json")
        value = policy.get(rule)
    return value


def expand(spec: SweepSpec, base: Scenario) -> SweepSpec:
    """``spec`` as it runs around ``base``: each factor's values with a value that leaves the
    base scenario unchanged replaced by the base's own value (:func:`base_value`), and values
    that come to the same scenario as an earlier one dropped (``ValueError`` naming a value no
    scenario takes). Idempotent; the factors keep their order and at least one value."""
    base_json = base.model_dump_json()
    factors = []
    for f in spec.vary:
        at_base = base_value(base, f.path)
        kept: list[Any] = []
        seen: set[str] = set()
        for v in f.values:
            if v == at_base:
                key = base_json
            else:
                key = with_value(base, f.path, v).model_dump_json()
                if key == base_json:
                    v = at_base  # written otherwise, the same scenario: the base's value
            if key not in seen:
                seen.add(key)
                kept.append(v)
        factors.append(f.model_copy(update={"values": tuple(kept)}))
    return spec.model_copy(update={"vary": tuple(factors)})


def variants(spec: SweepSpec, base: Scenario) -> list[tuple[Settings, Scenario]]:
    """Every run of the sweep (of :func:`expand`'s spec): its settings (path → value; the
    base's own value where a factor is left alone in a one-at-a-time run) and the scenario.
    One at a time, the base runs once, first: a factor's value equal to the base's is that
    run, not another."""
    spec = expand(spec, base)
    at_base = {f.path: base_value(base, f.path) for f in spec.vary}
    combos: list[Settings]
    if spec.design == "factorial":
        combos = [
            dict(zip([f.path for f in spec.vary], vals, strict=True))
            for vals in itertools.product(*(f.values for f in spec.vary))
        ]
    else:
        combos = [dict(at_base)]
        for f in spec.vary:
            combos += [{**at_base, f.path: v} for v in f.values if v != at_base[f.path]]
    out = []
    for settings in combos:
        sc = base
        for path, value in settings.items():
            if spec.design == "factorial" or value != at_base[path]:
                sc = with_value(sc, path, value)
        out.append((settings, sc))
    return out


# --- running ------------------------------------------------------------------------------------
def headline(result: WhatIfResult) -> dict[str, Any]:
    """A run's headline figures (see the module docstring)."""
    total = result.summary["total"]
    planned, operated = total["trips_planned"], total["trips_operated"]
    st = result.stability or {}
    lost = result.summary["first_day_lost"]["timetable"]

    def sub(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(a - b, 4)

    return {
        "trips_planned": planned["mean"],
        "trips_lost": {
            "mean": sub(planned["mean"], operated["mean"]),
            # planned is the same in every replication of a run: the band moves with operated
            "mean_p10": sub(planned["mean"], operated["mean_p90"]),
            "mean_p90": sub(planned["mean"], operated["mean_p10"]),
            "p50": st.get("trips_lost", {}).get("p50"),
        },
        "first_day_lost": {
            "p50": st.get("first_day_lost", {}).get("p50"),
            "share_lost": lost["share_lost"],
            "never_lost_counts_as": result.days_simulated,
        },
        "overtime_h_p50": total["overtime_h"]["p50"],
        "cases_p50": total["cases"]["p50"],
    }


SweepProgress = Callable[[int, int], None]
"""``progress(runs done, runs in all)``."""


@dataclass(frozen=True, slots=True)
class PreparedSweep:
    """A sweep with every variant validated and compiled (:func:`prepare_sweep`)."""

    spec: SweepSpec
    base: Scenario
    runs: tuple[tuple[Settings, Setup], ...]


def prepare_sweep(
    spec: SweepSpec,
    line: Line,
    *,
    base: Scenario | None = None,
    crew_state: CrewSnapshot | None = None,
) -> PreparedSweep:
    """Validate and compile every variant before anything runs: a bad value (an unknown
    timetable, an impossible absence) fails the sweep at once (``ValueError``/``KeyError``),
    not after an hour. ``base`` overrides ``spec.scenario`` (resolved by the caller)."""
    sc = base or _resolve(spec.scenario)
    spec = expand(spec, sc)
    runs = tuple(
        (settings, build_setup(variant, line, spec.days, crew_state=crew_state))
        for settings, variant in variants(spec, sc)
    )
    return PreparedSweep(spec, sc, runs)


def run_sweep(
    spec: SweepSpec | PreparedSweep,
    line: Line,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: SweepProgress | None = None,
    replication_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Run every variant (on ``executor``: a local process pool per run if None) and rank
    the factors."""
    prepared = spec if isinstance(spec, PreparedSweep) else prepare_sweep(spec, line)
    spec, sc, todo = prepared.spec, prepared.base, prepared.runs
    runs: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}  # the same scenario twice (a value equal to the base)
    for i, (settings, setup) in enumerate(todo):
        key = setup.scenario.model_dump_json()
        if key not in seen:
            result = run_setup(
                setup,
                spec.replications,
                spec.seed,
                executor=executor,
                workers=workers,
                progress=replication_progress,
                cancel=cancel,
            )  # its stability judged by the default rule: below 80 replications, not stable
            seen[key] = {**headline(result), "stability": result.stability}
        runs.append({"settings": settings, **seen[key]})
        if progress is not None:
            progress(i + 1, len(todo))
    return {
        "kind": "sweep",
        "scenario": sc.name,
        "design": spec.design,
        "days": spec.days,
        "replications": spec.replications,
        "seed": spec.seed,
        "factors": [
            {
                "path": f.path,
                "values": list(f.values),
                "base_value": base_value(sc, f.path),
            }
            for f in spec.vary
        ],
        "runs": runs,
        "ranking": rank(spec, runs),
    }


def _resolve(scenario: str | dict[str, Any]) -> Scenario:
    if isinstance(scenario, str):
        return resolve_scenario(scenario)
    return scenario_from_data(scenario)


def _mean(xs: Iterator[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def rank(spec: SweepSpec, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Factors by swing of mean trips lost, then of the first day lost (largest first)."""
    out: list[dict[str, Any]] = []
    for f in spec.vary:
        if spec.design == "oat":
            others = [g.path for g in spec.vary if g.path != f.path]
            base = runs[0]["settings"]
            cells = [
                r for r in runs if all(r["settings"][o] == base[o] for o in others)
            ]  # this factor's runs (and the base)
        else:
            cells = runs

        def is_base(v: Any, path: str = f.path) -> bool:
            return spec.design == "oat" and v == runs[0]["settings"][path]

        by_value = []
        values = list(f.values)
        if spec.design == "oat" and runs[0]["settings"][f.path] not in values:
            values.insert(0, runs[0]["settings"][f.path])  # the base run is one of its points
        for v in values:
            match = [r for r in cells if r["settings"][f.path] == v]
            by_value.append(
                {
                    "value": v,
                    "label": value_label(v) + (" (base)" if is_base(v) else ""),
                    "trips_lost": _mean(r["trips_lost"]["mean"] for r in match),
                    "first_day_lost": _mean(r["first_day_lost"]["p50"] for r in match),
                }
            )

        def swing(key: str, rows: list[dict[str, Any]] = by_value) -> float:
            vals = [b[key] for b in rows if b[key] is not None]
            return round(max(vals) - min(vals), 4) if vals else 0.0

        out.append(
            {
                "path": f.path,
                "swing_trips_lost": swing("trips_lost"),
                "swing_first_day_lost": swing("first_day_lost"),
                "by_value": by_value,
            }
        )

    def order(r: dict[str, Any]) -> tuple[float, float, str]:
        return (-float(r["swing_trips_lost"]), -float(r["swing_first_day_lost"]), str(r["path"]))

    return sorted(out, key=order)


def base_figures(sweep: dict[str, Any]) -> tuple[float | None, float | None]:
    """The base scenario's trips lost (mean) and first day lost (p50), where the sweep ran it:
    the first run of a one-at-a-time sweep."""
    if sweep["design"] != "oat":
        return None, None
    first = sweep["runs"][0]
    return first["trips_lost"]["mean"], first["first_day_lost"]["p50"]


def plot_tornado(sweep: dict[str, Any], out: Path | IO[bytes]) -> None:
    """A tornado chart of ``sweep`` (two panels: mean trips lost, first day lost p50): one bar
    per factor from its lowest to its highest value's figure, largest swing on top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ranking = sweep["ranking"]
    fig = Figure(figsize=(11, 1.6 + 0.7 * len(ranking)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2, sharey=True)
    labels = [r["path"] for r in reversed(ranking)]
    base = base_figures(sweep)
    for ax, key, title, ref, top in (
        (axes[0], "trips_lost", "trips lost (mean per run)", base[0], None),
        (
            axes[1],
            "first_day_lost",
            f"first day the timetable was lost (p50; {sweep['days']} = never)",
            base[1],
            float(sweep["days"]),
        ),
    ):
        highest = 1.0
        for y, r in enumerate(reversed(ranking)):
            pts = [(b[key], b["value"]) for b in r["by_value"] if b[key] is not None]
            if not pts:
                continue
            (lo, lo_v), (hi, hi_v) = min(pts, key=lambda p: p[0]), max(pts, key=lambda p: p[0])
            highest = max(highest, hi)
            if hi > lo:
                ax.barh(y, hi - lo, left=lo, color="#c0504d", height=0.5)
                ax.annotate(  # above the bar's low end: clear of the factor names on the left
                    value_label(lo_v),
                    (lo, y + 0.25),
                    ha="left",
                    va="bottom",
                    fontsize=7,
                    xytext=(0, 1),
                    textcoords="offset points",
                )
                ax.annotate(
                    value_label(hi_v),
                    (hi, y),
                    ha="left",
                    va="center",
                    fontsize=7,
                    xytext=(3, 0),
                    textcoords="offset points",
                )
            else:  # no swing: a tick where every value lands
                ax.plot([lo], [y], marker="|", markersize=18, color="#c0504d")
                ax.annotate(
                    "no change",
                    (lo, y),
                    ha="left",
                    va="center",
                    fontsize=8,
                    xytext=(6, 0),
                    textcoords="offset points",
                )
        if ref is not None:
            ax.axvline(ref, color="#333333", linewidth=1, linestyle="--", label="base")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xlim(0, (top if top is not None else highest) * 1.35)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(labels)), labels, fontsize=9)
    fig.suptitle(
        f"{sweep['scenario']}: {sweep['design']} sweep, {sweep['days']} days × "
        f"{sweep['replications']} replications, seed {sweep['seed']}",
        fontsize=11,
    )
    fig.savefig(out, format="png")


def value_label(v: Any) -> str:
    """A value as a short label (charts, tables): ``none``; text as is; a list of plain
    values joined by ``+``; a section as ``key=value`` pairs; at most 40 characters."""
    if v is None:
        text = "none"
    elif isinstance(v, str):
        text = v
    elif isinstance(v, list) and all(not isinstance(x, dict | list) for x in v):
        text = "+".join(str(x) for x in v) or "[]"
    elif isinstance(v, dict):
        text = ", ".join(f"{k}={json.dumps(x, separators=(',', ':'))}" for k, x in v.items())
    else:
        text = json.dumps(v, separators=(",", ":"))
    return text if len(text) <= 40 else text[:39] + "…"
