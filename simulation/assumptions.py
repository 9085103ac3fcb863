"""Every assumption of a run, as data: value, unit, source (or "ESTIMATE" and why), and the
scenario parameter that sets it.

:func:`assumptions` builds the table from the compiled run (:class:`Setup`), so the values are
the ones actually used; the result JSON carries it (``WhatIfResult.assumptions``) and
``simulation/README.md`` shows it for the ``baseline`` preset (``python -m
simulation.assumptions baseline`` prints it; a test keeps the README in step).

Adding rows: write a function ``(setup) -> Iterable[Assumption]`` next to the code whose
constants it describes and add it to :data:`SECTIONS` (order = order in the table). A row
whose value is a module constant (not a scenario parameter) has ``parameter=None``.
"""

# ruff: noqa: E501
# (the rows below are a table of sources: one row a line reads better than wrapped strings)

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from simulation.crewstate import PLAN_AT_S
from simulation.policy_assumptions import policy_assumptions, station_assumptions
from simulation.setup import Setup


@dataclass(frozen=True, slots=True)
class Assumption:
    """One row of the table."""

    section: str
    name: str
    value: str
    unit: str
    source: str  # a citation, or "ESTIMATE: " and the reasoning
    parameter: str | None = None  # dotted scenario path, e.g. "health.latent_days"


Section = Callable[[Setup], Iterable[Assumption]]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return ", ".join(f"{getattr(k, 'value', k)} {_fmt(x)}" for k, x in v.items())
    if isinstance(v, tuple | list | frozenset | set):
        items = sorted(v, key=str) if isinstance(v, frozenset | set) else v
        return ", ".join(_fmt(getattr(x, "value", x)) for x in items) or "—"
    return str(getattr(v, "value", v))


def line_rows(setup: Setup) -> Iterable[Assumption]:
    line = setup.line
    s = "line"
    src = "line/data/line2a.toml (public reporting on Hanoimetro; chainages ESTIMATED there)"
    yield Assumption(s, "stations", str(len(line.stations)), "", src)
    yield Assumption(s, "end-to-end run time", f"{line.trip_time_s / 60:.1f}", "min", src)
    yield Assumption(s, "round trip with turnbacks", f"{line.cycle_time_s / 60:.1f}", "min", src)
    yield Assumption(
        s, "trains serviceable", str(len(setup.units)), "trains",
        "13 trainsets, 2 in planned maintenance (line data)",
    )  # fmt: skip
    eras = line.service_history
    tt = setup.scenario.timetable
    yield Assumption(
        s, "timetable", setup.timetable_id, "",
        "the scenario's" if tt is not None else next(
            (e.source for e in reversed(eras) if e.from_date <= setup.start), "line data"
        ),
        "timetable",
    )  # fmt: skip
    demand = setup.scenario.demand
    yield Assumption(
        s, "weekday passengers", _fmt(sorted(set(setup.passengers))), "passengers/day",
        "the scenario's" if demand.weekday_passengers is not None else next(
            (e.source for e in reversed(eras) if e.from_date <= setup.start), "line data"
        ),
        "demand.weekday_passengers",
    )  # fmt: skip


def crew_rows(setup: Setup) -> Iterable[Assumption]:
    p = setup.policy
    s = "crew rules"
    lc = "Labour Code 45/2019/QH14"
    yield Assumption(
        s, "policy preset", setup.scenario.policy_preset, "", "crew/README.md", "policy_preset"
    )
    for name, value, unit, src, field in (
        ("normal hours a day (weekly basis)", p.normal_daily_hours, "h", f"{lc} Art. 105(2)", "normal_hours_per_day_weekly_basis"),
        ("normal hours a week", p.normal_hours_per_week, "h", f"{lc} Art. 105(1)", "normal_hours_per_week"),
        ("most hours a day", p.max_hours_per_day, "h", f"{lc} Art. 107(2)(b)", "max_hours_per_day_weekly_basis"),
        ("overtime a month", p.overtime_month_h, "h", f"{lc} Art. 107(2)(b); Resolution 17/2022/UBTVQH15", "overtime_month_h"),
        ("overtime a year", p.overtime_year_h, "h", f"{lc} Art. 107(2)(c); Resolution 17/2022/UBTVQH15", "overtime_year_h"),
        ("rest between shifts", p.min_rest_between_shifts_h, "h", f"{lc} Art. 110", "min_rest_between_shifts_h"),
        ("working days a week", p.max_work_days_per_week, "days", f"{lc} Art. 111(1) (24 h weekly rest)", "max_work_days_per_week"),
        ("F0 isolation", p.f0_isolation_days, "days", "MoH Official Dispatch 762/BYT-DP (21 Feb 2022): 7 days and a negative antigen test", "f0_isolation_days"),
        ("F1 quarantine", p.f1_quarantine_days, "days", "MoH Official Dispatch 10696/BYT-MT (16 Dec 2021): 7 days; 762/BYT-DP (21 Feb 2022): 5 days if vaccinated", "f1_quarantine_days"),
        ("F1 at home", p.f1_mode, "", "MoH: quarantine at home (10696/BYT-MT, 762/BYT-DP)", "f1_mode"),
        ("test before each shift", p.test_before_shift, "", "Hanoimetro practice 2021–22 (as reported)", "test_before_shift"),
        ("traced kinds of group", p.trace_group_kinds, "", "crew/README.md", "trace_group_kinds"),
        ("3-on-site cohort turn", p.cohort_days, "days", "ESTIMATE: two-week turns (crew/README.md)", "cohort_days"),
    ):  # fmt: skip
        yield Assumption(s, name, _fmt(value), unit, src, f"policy_overrides.{field}")
    site = setup.scenario.f1_mode_on_site
    yield Assumption(
        s, "F1 living on site", _fmt(site or p.f1_mode), "",
        "Hanoimetro practice 2022 (as reported): on-site staff kept working under a daily test; "
        "no MoH document number found for it",
        "f1_mode_on_site",
    )  # fmt: skip
    for k, r in enumerate(setup.scenario.rules):
        changes = {
            f: getattr(r, f)
            for f in ("f0_isolation_days", "f1_quarantine_days", "f1_mode", "f1_mode_on_site")
            if getattr(r, f) is not None
        }
        yield Assumption(
            "rules by date", f"from {r.from_date.isoformat()}", _fmt(changes), "", r.source,
            f"rules.{k}",
        )  # fmt: skip


def staffing_rows(setup: Setup) -> Iterable[Assumption]:
    std = setup.standard
    s = "staffing"
    src = "crew.StaffingStandard (crew/README.md)"
    yield Assumption(
        s,
        "driver shifts",
        _fmt([f"{sh.start:%H:%M}–{sh.end:%H:%M}" for sh in std.driver_shifts]),
        "",
        src,
    )
    yield Assumption(
        s,
        "relief / spare drivers",
        f"{std.relief_ratio:.0%} / {std.spare_ratio:.0%}",
        "of train slots",
        src,
    )
    req = sorted({(r.driver, r.technician, r.occ_operator) for r in setup.requirements.values()})
    yield Assumption(
        s,
        "duties a day (drivers, technicians, controllers)",
        _fmt([_fmt(x) for x in req]),
        "people",
        "computed from the timetable and the standard",
    )
    yield Assumption(
        s,
        "roster",
        _fmt(setup.roster_size),
        "people",
        "crew.synthetic_roster (sized from the published 86-strong driving department)"
        if setup.scenario.start == "synthetic"
        else "the crew record",
        "start",
    )
    tr = setup.scenario.training
    yield Assumption(
        s,
        "qualifications renewed",
        _fmt(tr.renew),
        "",
        "ESTIMATE: refresher training is scheduled before a certificate lapses",
        "training.renew",
    )
    yield Assumption(
        s,
        "training before expiry",
        str(tr.lead_days),
        "days",
        "ESTIMATE: a month's notice to roster a training day",
        "training.lead_days",
    )
    yield Assumption(
        s,
        "qualification validity after training",
        str(tr.validity_days),
        "days",
        "ESTIMATE: annual renewal",
        "training.validity_days",
    )
    on = setup.scenario.onsite
    if on is not None:
        yield Assumption(
            s,
            "3-on-site roles",
            _fmt(on.roles),
            "",
            "Hanoimetro 2022 reporting: drivers and technicians lived on site",
            "onsite.roles",
        )
        yield Assumption(
            s,
            "cohort sizes (drivers, technicians, controllers)",
            f"{on.drivers_per_cohort}, {on.technicians_per_cohort}, {on.occ_per_cohort}",
            "people",
            "ESTIMATE: two cohorts taking turns (the depot's beds)",
            "onsite.drivers_per_cohort",
        )
        yield Assumption(s, "next cohort early below", f"{on.swap_below_share:.0%}" if on.swap_on_outbreak else "never", "of the cohort fit", "ESTIMATE", "onsite.swap_below_share")  # fmt: skip


def health_rows(setup: Setup) -> Iterable[Assumption]:
    h = setup.scenario.health
    s = "disease"
    for name, value, unit, src, field in (
        ("latent period", h.latent_days, "days", "Omicron incubation median ≈ 3 days (Jansen et al., MMWR 2021; Backer et al., Eurosurveillance 2022)", "latent_days"),
        ("infectious period", h.infectious_days, "days", "culture positivity mostly within 5–7 days of onset (Boucau et al., NEJM 2022)", "infectious_days"),
        ("symptomatic share", h.symptomatic_share, "", "Omicron asymptomatic share 25–50 % across studies", "symptomatic_share"),
        ("symptom onset", h.symptom_onset_days, "days after infection", "as the latent period + 1 (ESTIMATE)", "symptom_onset_days"),
        ("rapid test misses", h.rapid_test_miss_share, "", "Cochrane review (Dinnes et al., 2022): sensitivity ≈ 73 % symptomatic", "rapid_test_miss_share"),
        ("release test still positive", h.release_positive_share, "per day", "ESTIMATE: antigen tests stay positive past day 7 in a minority", "release_positive_share"),
        ("most extra isolation days", h.release_max_extra_days, "days", "ESTIMATE: by 14 days nearly all antigen tests are negative", "release_max_extra_days"),
        ("immune after a case (runs from today)", h.immunity_days, "days", "ESTIMATE: reinfection within 3 months was rare (the MoH's 3-month window in 762/BYT-DP)", "immunity_days"),
        ("attack per day by group", h.attack_per_day, "per infectious-susceptible pair", "household secondary attack ≈ 30 % over the infectious period (Lyngse et al., 2022) ≈ 6 %/day; workplaces lower (ESTIMATE)", "attack_per_day"),
        ("tracing marks a group member F1", h.trace_probability, "probability", "ESTIMATE: the MoH F1 definition (Official Dispatch 11042/BYT-DP, 29 Dec 2021: within 2 m or a closed room for 15 min) fits every roommate, about half a shift team, few of a cohort", "trace_probability"),
        ("community exposure on site", h.onsite_hazard_factor, "× community hazard", "ESTIMATE: cutting community contact is the point of 3-on-site; no published figure", "onsite_hazard_factor"),
        ("staff risk vs population", h.staff_relative_risk, "×", "ESTIMATE", "staff_relative_risk"),
    ):  # fmt: skip
        yield Assumption(s, name, _fmt(value), unit, src, f"health.{field}")
    for k, c in enumerate(h.seed_cases):
        yield Assumption(s, f"index case {k + 1}", f"day {c.day}: {c.count} {c.role.value if c.role else 'staff'}" + (" in the cohort on site" if c.in_active_cohort else ""), "", "the scenario's", f"health.seed_cases.{k}")  # fmt: skip


def incidence_rows(setup: Setup) -> Iterable[Assumption]:
    inc = setup.scenario.incidence
    s = "wave"
    if inc.series is not None:
        yield Assumption(s, "reported cases", inc.series, "cases/day", f"simulation/data/incidence/{inc.series}.csv (sources and interpolated days in its header)", "incidence.series")  # fmt: skip
        yield Assumption(s, "population", f"{inc.population:,}", "people", "GSO: Hanoi's average population in 2021 (8.33 million)", "incidence.population")  # fmt: skip
        yield Assumption(s, "series scale", _fmt(inc.series_scale), "×", "the scenario's (1: as reported)", "incidence.series_scale")  # fmt: skip
    else:
        yield Assumption(s, "start / peak", f"{_fmt(inc.start_per_100k)} / {_fmt(inc.peak_per_100k)}", "cases per 100k a day", "the scenario's", "incidence.start_per_100k")  # fmt: skip
        yield Assumption(s, "doubling time", _fmt(inc.doubling_days), "days", "the scenario's", "incidence.doubling_days")  # fmt: skip
        yield Assumption(s, "plateau", _fmt(inc.plateau_days), "days", "the scenario's", "incidence.plateau_days")  # fmt: skip
    yield Assumption(s, "halving time (after the peak or the series)", _fmt(inc.halving_days), "days", "the scenario's", "incidence.halving_days")  # fmt: skip
    yield Assumption(s, "infections per reported case", _fmt(inc.infections_per_case), "", "ESTIMATE: home rapid tests went unreported in 2022", "incidence.infections_per_case")  # fmt: skip


def timing_rows(setup: Setup) -> Iterable[Assumption]:
    s = "timing"
    yield Assumption(s, "day planned at", f"{PLAN_AT_S // 3600:02d}:00", "local time", "ESTIMATE: the control centre plans before the first shift signs on (05:00); Hanoimetro reported status at 07:00, 11:00, 17:00")  # fmt: skip
    yield Assumption(s, "immunity after infection", "the run", "", "ESTIMATE: runs are months, not years")  # fmt: skip


def service_policy_rows(setup: Setup) -> Iterable[Assumption]:
    """The service policy's and station staff's rows (:mod:`simulation.policy_assumptions`)."""
    sc = setup.scenario
    for name, value, unit, src, param in policy_assumptions(
        sc.service, setup.policy.max_hours_per_day
    ):
        yield Assumption("service policy", name, value, unit, src, param)
    for name, value, unit, src, param in station_assumptions(sc.stations):
        yield Assumption("station staff", name, value, unit, src, param)


def fleet_rows(setup: Setup) -> Iterable[Assumption]:
    f = setup.scenario.fleet
    s = "fleet"
    src = "ESTIMATE: the operator's reliability figures are not published"
    yield Assumption(s, "train failures", _fmt(f.failures), "", "the scenario's", "fleet.failures")
    yield Assumption(s, "mean time between failures", _fmt(f.mtbf_h), "service h per train", src, "fleet.mtbf_h")  # fmt: skip
    yield Assumption(s, "repair", _fmt(f.repair_mean_h), "h (exponential, one technician)", src, "fleet.repair_mean_h")  # fmt: skip
    yield Assumption(s, "daily inspection", _fmt(f.inspection_h_per_train), "technician-h per train", src, "fleet.inspection_h_per_train")  # fmt: skip
    yield Assumption(s, "reserve train out", _fmt(f.replacement_s / 60), "min", src, "fleet.replacement_s")  # fmt: skip


def demand_rows(setup: Setup) -> Iterable[Assumption]:
    d = setup.scenario.demand
    s = "demand"
    for name, value, unit, field in (
        ("weekend ridership", d.weekend_factor, "× weekday", "weekend_factor"),
        ("peak hour demand", d.peak_weight, "× off-peak hour", "peak_weight"),
        ("peak direction share", d.peak_direction_share, "", "peak_direction_share"),
        ("riders on the busiest section", d.max_section_share, "", "max_section_share"),
    ):  # fmt: skip
        yield Assumption(s, name, _fmt(value), unit, "ESTIMATE: no published profile", f"demand.{field}")  # fmt: skip


SECTIONS: tuple[Section, ...] = (
    line_rows,
    staffing_rows,
    crew_rows,
    incidence_rows,
    health_rows,
    timing_rows,
    service_policy_rows,
    fleet_rows,
    demand_rows,
)
"""The table's sections in order; add a module's own rows here (see the module docstring)."""


def assumptions(setup: Setup, sections: Iterable[Section] = SECTIONS) -> list[Assumption]:
    """Every assumption of the compiled run ``setup``."""
    return [row for section in sections for row in section(setup)]


def as_json(rows: Iterable[Assumption]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


def markdown(rows: Iterable[Assumption]) -> str:
    """The table as Markdown (one table, a column for the section)."""
    out = [
        "| section | assumption | value | unit | source | scenario parameter |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = (
            r.section,
            r.name,
            r.value,
            r.unit,
            r.source,
            f"`{r.parameter}`" if r.parameter else "—",
        )
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    """``python -m simulation.assumptions PRESET [DAYS]``: the table of a preset, as Markdown."""
    from line import load_line
    from simulation.scenario import resolve_scenario
    from simulation.setup import build_setup

    name = argv[0] if argv else "baseline"
    days = int(argv[1]) if len(argv) > 1 else 7
    sys.stdout.write(markdown(assumptions(build_setup(resolve_scenario(name), load_line(), days))))


if __name__ == "__main__":
    main(sys.argv[1:])
