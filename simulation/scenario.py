"""What-if scenarios as validated data: the wave, the health and crew rules, the service policy.

A :class:`Scenario` is a frozen pydantic model, so it loads from JSON or TOML and rejects a
bad file with a clear error (:func:`load_scenario`). The presets live as TOML files in
``simulation/data/scenarios`` (:func:`scenario_preset`): ``baseline``, ``wave-2022``,
``no-on-site``, ``doubling-4d`` and ``cohort-outbreak``.

The crew rules are the crew module's :class:`crew.CrewPolicy`, named by preset with optional
field overrides, so the simulation applies exactly the rules the crew screens apply.
Sources for the defaults are in ``simulation/README.md``.
"""

from __future__ import annotations

import csv
import json
import math
import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crew import CrewPolicy, F1Mode, GroupKind, Role, policy_preset
from line.catalogue import Invalid, Message

PRESET_DIR = Path(__file__).parent / "data" / "scenarios"
SERIES_DIR = Path(__file__).parent / "data" / "incidence"
PRESETS: tuple[str, ...] = (
    "baseline",
    "wave-2022",
    "no-on-site",
    "doubling-4d",
    "cohort-outbreak",
    "backtest-2022",
    "backtest-2022-no-on-site",
    "backtest-2022-doubling-4d",
    "backtest-2022-cohort-outbreak",
)
HANOI_POPULATION = 8_330_800  # GSO (Tổng cục Thống kê), Hanoi's average population in 2021


@cache
def incidence_series(name: str) -> dict[date, int]:
    """Reported cases per day from ``simulation/data/incidence/<name>.csv`` (see its header for
    the sources and which days are interpolated)."""
    path = SERIES_DIR / f"{name}.csv"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SERIES_DIR.glob("*.csv")))
        raise Invalid(Message("scenario.refused.no_series", {"name": name, "known": known}))
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {date.fromisoformat(r["date"]): int(r["cases"]) for r in rows}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Incidence(_Frozen):
    """Community incidence: reported new cases per 100 000 people per day.

    With ``series`` (a file in ``simulation/data/incidence``, e.g. ``"hanoi-2022"``) the
    reported daily cases of that series drive it directly, per ``population`` and times
    ``series_scale``; after the series ends it halves every ``halving_days``. Otherwise it
    grows exponentially from ``start_per_100k`` (doubling every ``doubling_days``, or give
    the growth rate instead: ``growth_per_day`` = r in e^(r·t), doubling = ln 2 / r) up to
    ``peak_per_100k``, stays there ``plateau_days``, then halves every ``halving_days``.
    Reported cases undercount infections; ``infections_per_case`` scales them back up.
    """

    start_per_100k: float = Field(default=0.0, ge=0)
    doubling_days: float = Field(default=7.0, gt=0)
    peak_per_100k: float = Field(default=0.0, ge=0)
    plateau_days: float = Field(default=0.0, ge=0)
    halving_days: float = Field(default=10.0, gt=0)
    infections_per_case: float = Field(default=1.0, ge=1)
    series: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    population: int = Field(default=HANOI_POPULATION, gt=0)
    series_scale: float = Field(default=1.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _growth_rate(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "growth_per_day" not in data:
            return data
        data = dict(data)
        growth = data.pop("growth_per_day")
        if "doubling_days" in data:
            raise Invalid(Message("scenario.refused.growth_twice"))
        if not isinstance(growth, int | float) or isinstance(growth, bool) or growth <= 0:
            raise Invalid(Message("scenario.refused.growth_not_positive"))
        data["doubling_days"] = math.log(2) / growth
        return data

    @model_validator(mode="after")
    def _check(self) -> Incidence:
        if self.start_per_100k > self.peak_per_100k:
            raise Invalid(Message("scenario.refused.start_above_peak"))
        if self.series is not None:
            incidence_series(self.series)  # an unknown series fails validation here
        return self

    def per_100k_on(self, day: float, on: date) -> float:
        """Reported cases per 100 000 on ``day`` of a run, the calendar date ``on``: from the
        series when there is one, else from the curve."""
        if self.series is None:
            return self.per_100k(day)
        series = incidence_series(self.series)
        last = max(series)
        if on < min(series):
            raise Invalid(
                Message(
                    "scenario.refused.series_starts_late",
                    {"series": self.series, "first": str(min(series)), "on": str(on)},
                )
            )
        if on <= last:
            cases = float(series[on])
        else:
            cases = series[last] * 2 ** (-(on - last).days / self.halving_days)
        return cases * self.series_scale / self.population * 100_000

    def probability(self, per_100k: float, relative_risk: float = 1.0) -> float:
        """Daily probability of infection in the community at ``per_100k`` reported cases."""
        return 1.0 - math.exp(-per_100k / 100_000 * self.infections_per_case * relative_risk)

    @property
    def peak_day(self) -> float:
        """Day (from the start) the curve reaches its peak."""
        if self.start_per_100k <= 0 or self.peak_per_100k <= self.start_per_100k:
            return 0.0
        return (
            math.log(self.peak_per_100k / self.start_per_100k) / math.log(2) * (self.doubling_days)
        )

    def per_100k(self, day: float) -> float:
        """Reported cases per 100 000 per day on ``day`` (0 = the scenario's start)."""
        if self.start_per_100k <= 0:
            return 0.0
        peak = self.peak_day
        if day <= peak:
            return self.start_per_100k * 2 ** (day / self.doubling_days)
        after = day - peak - self.plateau_days
        if after <= 0:
            return self.peak_per_100k
        return self.peak_per_100k * 2 ** (-after / self.halving_days)

    def daily_infection_probability(self, day: float, relative_risk: float = 1.0) -> float:
        """Probability that one susceptible person is infected in the community on ``day``."""
        rate = self.per_100k(day) / 100_000 * self.infections_per_case * relative_risk
        return 1.0 - math.exp(-rate)


def _default_attack() -> dict[GroupKind, float]:
    return {
        GroupKind.SHIFT_TEAM: 0.01,
        GroupKind.DORMITORY_ROOM: 0.06,
        GroupKind.ONSITE_COHORT: 0.01,
    }


def _default_trace() -> dict[GroupKind, float]:
    # ESTIMATES (see simulation/README.md, "Assumptions"): roommates share a room overnight, so
    # every one is a close contact by the Ministry of Health's definition (Official Dispatch
    # 11042/BYT-DP, 29 Dec 2021: within 2 m, or a closed room, for 15 min or more); in a shift
    # team of 10 only those who shared a cab, mess room or briefing closely are; in a cohort on
    # site of dozens, few are.
    return {
        GroupKind.SHIFT_TEAM: 0.5,
        GroupKind.DORMITORY_ROOM: 1.0,
        GroupKind.ONSITE_COHORT: 0.1,
    }


class SeedCase(_Frozen):
    """Infect ``count`` susceptible staff on ``day`` (an index case), optionally of one role and
    inside the 3-on-site cohort that is on site that day."""

    day: int = Field(ge=0)
    count: int = Field(default=1, ge=1)
    role: Role | None = None
    in_active_cohort: bool = False


class Health(_Frozen):
    """How staff catch the virus, how it is found, and how long it lasts (days are whole days)."""

    staff_relative_risk: float = Field(default=1.0, ge=0)  # staff vs the general population
    latent_days: int = Field(default=2, ge=0)  # infection → infectious and test-positive
    infectious_days: int = Field(default=6, ge=1)
    symptomatic_share: float = Field(default=0.5, ge=0, le=1)
    symptom_onset_days: int = Field(default=3, ge=0)  # after infection; the case self-reports
    rapid_test_miss_share: float = Field(default=0.3, ge=0, le=1)  # false negatives
    # An F0 whose release test is still positive stays one more day (repeatedly, up to 7).
    release_positive_share: float = Field(default=0.2, ge=0, lt=1)
    release_max_extra_days: int = Field(default=7, ge=0)  # then released whatever the test
    # "from today": a case declared within this many days before the start is immune
    immunity_days: int = Field(default=90, ge=0)
    # Daily probability that one infectious member infects one susceptible member of a group.
    attack_per_day: dict[GroupKind, float] = Field(default_factory=_default_attack)
    onsite_hazard_factor: float = Field(default=0.2, ge=0)  # community exposure while on site
    seed_cases: tuple[SeedCase, ...] = ()
    # Probability that contact tracing marks one member of a case's group F1, by kind of group
    # (the policy's ``trace_group_kinds`` say which kinds are traced at all).
    trace_probability: dict[GroupKind, float] = Field(default_factory=_default_trace)

    @field_validator("trace_probability")
    @classmethod
    def _probabilities(cls, v: dict[GroupKind, float]) -> dict[GroupKind, float]:
        for kind, p in v.items():
            if not 0.0 <= p <= 1.0:
                raise Invalid(Message("scenario.refused.trace_probability", {"kind": kind.value}))
        return v


class RuleChange(_Frozen):
    """Health rules that change on ``from_date`` (and stay until the next change): F0
    isolation, F1 quarantine, and what an F1 does at home and on site. Unset fields keep the
    rule in force. ``source`` names the document (say so when its number is not verified)."""

    from_date: date
    f0_isolation_days: float | None = Field(default=None, gt=0)
    f1_quarantine_days: float | None = Field(default=None, gt=0)
    f1_mode: F1Mode | None = None
    f1_mode_on_site: F1Mode | None = None
    source: str = Field(min_length=1)


class Training(_Frozen):
    """Qualification renewal: a person's qualifications are renewed at a training day held
    ``lead_days`` before the earliest of them expires (away from duty that day, like leave),
    and then hold ``validity_days``. ``renew=False``: qualifications simply lapse."""

    renew: bool = True
    lead_days: int = Field(default=30, ge=1)
    validity_days: int = Field(default=365, ge=30)


class OnSite(_Frozen):
    """3-on-site ("3 tại chỗ") cohorts for the crew module's ``onsite_required_roles``.

    Staff of ``roles`` are split, in roster order, into cohorts of the given sizes; cohorts take
    turns living at the depot for ``cohort_days`` (default: the policy's). Only the cohort on
    site may work. With ``swap_on_outbreak`` the next cohort comes in early when fewer than
    ``swap_below_share`` of the one on site may still work.
    """

    roles: tuple[Role, ...] = (Role.DRIVER,)
    drivers_per_cohort: int = Field(default=30, ge=1)
    technicians_per_cohort: int = Field(default=35, ge=1)
    occ_per_cohort: int = Field(default=15, ge=1)
    cohort_days: int | None = Field(default=None, gt=0)
    swap_on_outbreak: bool = True
    swap_below_share: float = Field(default=0.5, ge=0, le=1)

    def per_cohort(self, role: Role) -> int:
        return {
            Role.DRIVER: self.drivers_per_cohort,
            Role.TECHNICIAN: self.technicians_per_cohort,
            Role.OCC_OPERATOR: self.occ_per_cohort,
        }[role]


class ServicePolicy(_Frozen):
    """What the control centre does when crews or trains run short.

    * ``priority="keep_peak"``: plans are ranked by peak trips first, so off-peak periods thin
      before a peak does; ``"uniform"`` ranks by total trips.
    * ``peak_duties``: on a short day, drivers may work a split peak duty (both peaks, the
      off-peak in between as a break) instead of a straight shift, which keeps the peaks
      with fewer drivers.
    * ``headway_rule="even"``: a period short of trains runs the even headway the trains
      there are can keep, ceil(cycle / trains) rounded up to ``headway_granularity_s``;
      ``"steps"``: the first of ``headway_steps_s`` (6 → 10 → 15 min) the trains can run,
      then even. Below ``floor_trains`` trains, the part of the period is suspended.
    * periods are cut at the driver shift changes; with ``long_shifts`` a shift may be
      lengthened to ``long_shift_h`` (default and at most the crew policy's daily maximum)
      when that serves more of the day or a better peak (its overtime is counted).
    * a split peak duty signs on ``peak_lead_s`` before a peak and takes departures until
      ``peak_tail_depart_s`` after it, ending ``peak_tail_end_s`` after it.
    * a service level holds in operation while each part of a period runs the trips its
      headway limit implies less ``max(level_slack_trips, level_slack_share × those trips)``.
    * ``overtime``: staff may be rostered into overtime within the Labour Code limits (with
      ``enforce_labour_limits=False`` the limits become soft and breaches are counted).
    * control-centre posts in ``occ_essential_posts`` must be staffed, or service stops; the
      outgoing controller of a post whose relief did not come holds over (``occ_holdover``)
      until a call-in arrives, within the day's hours and the overtime limits.
    """

    priority: Literal["keep_peak", "uniform"] = "keep_peak"
    peak_duties: bool = True
    headway_steps_s: tuple[int, ...] = (360, 600, 900)
    # Sources and reasoning for these numbers: simulation/README.md, "Service policy".
    headway_rule: Literal["even", "steps"] = "even"
    headway_granularity_s: int = Field(default=60, ge=1, le=900)
    floor_trains: int = Field(default=3, ge=1)
    long_shifts: bool = True
    long_shift_h: float | None = Field(default=None, gt=0)
    peak_lead_s: int = Field(default=1800, ge=0)
    peak_tail_depart_s: int = Field(default=1200, ge=0)
    peak_tail_end_s: int = Field(default=2700, ge=0)
    level_slack_share: float = Field(default=0.1, ge=0, lt=1)
    level_slack_trips: int = Field(default=2, ge=0)
    overtime: bool = True
    enforce_labour_limits: bool = True
    occ_essential_posts: dict[str, int] = Field(
        default_factory=lambda: {
            "chief_controller": 1,
            "train_controller": 1,
            "power_controller": 1,
        }
    )
    call_in: bool = True  # replace a no-show from staff off duty
    call_in_delay_s: int = Field(default=5400, ge=0)
    # the outgoing controller of an empty control-centre post stays until relieved
    occ_holdover: bool = True

    @model_validator(mode="after")
    def _check(self) -> ServicePolicy:
        steps = list(self.headway_steps_s)
        if not steps or steps != sorted(set(steps)) or steps[0] <= 0:
            raise Invalid(Message("scenario.refused.headway_steps"))
        if self.peak_tail_depart_s > self.peak_tail_end_s:
            raise Invalid(Message("scenario.refused.split_peak"))
        return self


MIN_MTBF_H = 1.0
"""Fewest service hours between failures of one train a scenario may ask for. Each candidate
failure is a simulation event: the whole fleet at 1 h makes ~300 a day (the budget is ~1,000
events a simulated day, docs/library-notes.md), while 1e-9 h makes a run that never ends."""
MIN_INSPECTION_H = 0.05
"""Shortest daily inspection per train (3 min): the night's inspection count divides by it."""


class FleetModel(_Frozen):
    """Train failures, repairs and the daily inspection."""

    failures: bool = True
    mtbf_h: float = Field(default=800.0, gt=0)  # service hours between failures, per train
    repair_mean_h: float = Field(default=4.0, gt=0)  # exponential, one technician each
    inspection_h_per_train: float = Field(default=1.5, gt=0)  # daily check, night shift
    replacement_s: int = Field(default=900, ge=0)  # bring a reserve train out of the depot

    @field_validator("mtbf_h")
    @classmethod
    def _mtbf_bounded(cls, v: float) -> float:
        # a run's cost grows with the failures it draws: refuse what cannot finish
        if v < MIN_MTBF_H:
            raise Invalid(Message("scenario.refused.mtbf_low", {"min_h": f"{MIN_MTBF_H:g}"}))
        return v

    @field_validator("inspection_h_per_train")
    @classmethod
    def _inspection_bounded(cls, v: float) -> float:
        if v < MIN_INSPECTION_H:
            raise Invalid(
                Message("scenario.refused.inspection_low", {"min_h": f"{MIN_INSPECTION_H:g}"})
            )
        return v


class Demand(_Frozen):
    """Passengers per day and their spread over the day (for capacity and waiting time)."""

    # None: the ridership of the service era in force (``line`` data's service history)
    weekday_passengers: int | None = Field(default=None, ge=0)
    weekend_factor: float = Field(default=0.8, ge=0)
    peak_weight: float = Field(default=2.0, gt=0)  # hourly demand in a peak vs off-peak
    peak_direction_share: float = Field(default=0.6, gt=0, le=1)
    max_section_share: float = Field(default=0.5, gt=0, le=1)  # riders on the busiest section


class Absence(_Frozen):
    """``count`` staff of ``role`` (the first in roster order) on leave on days
    ``from_day`` … ``to_day`` (inclusive; ``None``: to the end)."""

    role: Role
    count: int = Field(ge=1)
    from_day: int = Field(default=0, ge=0)
    to_day: int | None = Field(default=None, ge=0)

    def covers(self, day: int) -> bool:
        return self.from_day <= day and (self.to_day is None or day <= self.to_day)


class StationAbsence(_Frozen):
    """``count`` staff of station ``station`` (a line station id) on leave on days
    ``from_day`` … ``to_day`` (inclusive; ``None``: to the end)."""

    station: str
    count: int = Field(ge=1)
    from_day: int = Field(default=0, ge=0)
    to_day: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> StationAbsence:
        if self.to_day is not None and self.to_day < self.from_day:
            raise Invalid(Message("scenario.refused.station_absence_order"))
        return self


class StationStaffing(_Frozen):
    """Station staff, simulated in the what-if only (:mod:`simulation.stations`).

    ESTIMATES (the operator's station manning is not published): each station shift needs
    ``min_per_shift`` = 3 — the station master on duty (safety, incidents, evacuation), one at
    the ticket office and gates, one on the platforms; two shifts a day (the driver shift
    times), 6 working days a week and ~10 % leave give ``per_station`` = 3 × 2 × 7/6 × 1.1 ≈ 8.
    A station-shift short of staff is closed with trains passing (``close_station``, what
    metros do with an unstaffable station) or, if configured, stops the line for that shift
    (``close_line``). ``redeploy``: staff move between the line's stations to open the most.
    """

    enabled: bool = True
    per_station: int = Field(default=8, ge=1)
    min_per_shift: int = Field(default=3, ge=1)
    redeploy: bool = True
    short_station: Literal["close_station", "close_line"] = "close_station"
    absences: tuple[StationAbsence, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> StationStaffing:
        for a in self.absences:
            if a.count > self.per_station:
                raise Invalid(
                    Message(
                        "scenario.refused.station_absence_count",
                        {"count": a.count, "station": a.station, "per_station": self.per_station},
                    )
                )
        return self


class Scenario(_Frozen):
    """One what-if: the wave among staff, the rules, the service policy, the starting crew."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    description: str = ""
    # "synthetic": the crew module's synthetic roster for ``roster_seed``; "today": the crew
    # module's current state, passed to the runner by the caller.
    start: Literal["synthetic", "today"] = "synthetic"
    start_date: date = date(2026, 3, 2)
    roster_seed: int = 1
    # None: the timetable in force on each date (the line data's service history)
    timetable: str | None = None
    policy_preset: str = "hanoi-2021"
    policy_overrides: dict[str, Any] = Field(default_factory=dict)
    # What an F1 living on site in the 3-on-site cohort does (None: as ``f1_mode``); the rules
    # that change by date follow in ``rules``.
    f1_mode_on_site: F1Mode | None = None
    rules: tuple[RuleChange, ...] = ()
    training: Training = Training()
    incidence: Incidence = Incidence()
    health: Health = Health()
    onsite: OnSite | None = None
    service: ServicePolicy = ServicePolicy()
    fleet: FleetModel = FleetModel()
    demand: Demand = Demand()
    absences: tuple[Absence, ...] = ()
    stations: StationStaffing = StationStaffing()

    @model_validator(mode="after")
    def _policy_resolves(self) -> Scenario:
        self.crew_policy()  # a bad preset name or override fails validation here
        dates = [r.from_date for r in self.rules]
        if dates != sorted(set(dates)):
            raise Invalid(Message("scenario.refused.rule_dates"))
        return self

    @model_validator(mode="after")
    def _long_shift_is_legal(self) -> Scenario:
        most = self.crew_policy().max_hours_per_day
        if self.service.long_shift_h is not None and self.service.long_shift_h > most:
            raise Invalid(
                Message(
                    "scenario.refused.long_shift",
                    {"hours": f"{self.service.long_shift_h:g}", "most": f"{most:g}"},
                )
            )
        return self

    def crew_policy(self) -> CrewPolicy:
        """The crew rules in force: the preset, the overrides, and the on-site roles."""
        try:
            base = policy_preset(self.policy_preset)
        except KeyError as exc:
            raise ValueError(str(exc)) from None
        data = base.model_dump()
        data.update(self.policy_overrides)
        if self.onsite is not None and "onsite_required_roles" not in self.policy_overrides:
            data["onsite_required_roles"] = frozenset(self.onsite.roles)
        if self.onsite is not None and self.onsite.cohort_days is not None:
            data["cohort_days"] = self.onsite.cohort_days
        try:
            return CrewPolicy.model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"policy overrides: {exc}") from None


def scenario_from_data(data: dict[str, Any]) -> Scenario:
    """Validate a scenario from parsed JSON/TOML data."""
    return Scenario.model_validate(data)


def load_scenario(path: Path) -> Scenario:
    """Load a scenario from a ``.toml`` or ``.json`` file."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".toml":
        data = tomllib.loads(raw.decode())
    elif path.suffix.lower() == ".json":
        data = json.loads(raw)
    else:
        raise ValueError(f"{path}: scenario files are .toml or .json")
    return scenario_from_data(data)


def scenario_preset(name: str) -> Scenario:
    """A named preset (see :data:`PRESETS`)."""
    if name not in PRESETS:
        raise KeyError(f"unknown scenario {name!r}; presets: {', '.join(PRESETS)}")
    return load_scenario(PRESET_DIR / f"{name}.toml")


def resolve_scenario(name_or_path: str) -> Scenario:
    """A preset by name, or a scenario file by path (what the CLI's ``--scenario`` takes)."""
    if name_or_path in PRESETS:
        return scenario_preset(name_or_path)
    p = Path(name_or_path)
    if p.exists():
        return load_scenario(p)
    raise KeyError(f"no preset or file {name_or_path!r}; presets: {', '.join(PRESETS)}")
