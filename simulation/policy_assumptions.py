"""The service policy's and the station staff's numbers as rows of the run's assumptions table:
(name, value, unit, source or "ESTIMATE: " and why, scenario parameter).

One row per :class:`ServicePolicy` and :class:`StationStaffing` field (a test keeps it so), so
no policy number is left unexplained. ``simulation/README.md`` ("Service policy", "Station
staff") gives the reasoning at length.
"""

# ruff: noqa: E501
# (a table of sources: one row a line reads better than wrapped strings)

from __future__ import annotations

from simulation.scenario import ServicePolicy, StationStaffing

AssumptionRow = tuple[str, str, str, str, str]
"""(name, value, unit, source or "ESTIMATE: " and why, scenario parameter) of one assumption."""


def policy_assumptions(policy: ServicePolicy, max_day_h: float) -> list[AssumptionRow]:
    """Every service-policy number with its source or reasoning, one row per
    :class:`ServicePolicy` field (for the run's table of assumptions; ``max_day_h``: the crew
    policy's daily maximum, which bounds the long shift)."""
    p = policy
    lc = "Labour Code 45/2019/QH14"
    long_h = min(p.long_shift_h or max_day_h, max_day_h)
    rows: list[tuple[str, object, str, str, str]] = [
        (
            "priority",
            p.priority,
            "",
            "ESTIMATE: a controller protects the peaks, where most passengers are, and thins the off-peak first; Hanoimetro's 2021–22 goal was that no trip be cancelled",
            "priority",
        ),  # fmt: skip
        (
            "split peak duties",
            p.peak_duties,
            "",
            "ESTIMATE: split duties are common practice to cover peaks",
            "peak_duties",
        ),  # fmt: skip
        (
            "headway rule",
            p.headway_rule,
            "",
            "controller practice: n trains run an even headway ceil(cycle / n); 'steps' is the old 6/10/15 ladder",
            "headway_rule",
        ),  # fmt: skip
        (
            "headway granularity",
            p.headway_granularity_s,
            "s",
            "the line's published headways are whole minutes (line/data/line2a.toml); a controller announces whole minutes",
            "headway_granularity_s",
        ),  # fmt: skip
        (
            "headway steps",
            p.headway_steps_s,
            "s",
            "the 2026 timetable's 6/10/15 min (line/data/line2a.toml); used by the 'steps' rule",
            "headway_steps_s",
        ),  # fmt: skip
        (
            "fewest trains for service",
            p.floor_trains,
            "trains",
            "ESTIMATE: 3 trains every 18 min is about the least that works as a metro; with 2 (27 min) an operator would rather suspend and run buses",
            "floor_trains",
        ),  # fmt: skip
        (
            "longer shifts as a lever",
            p.long_shifts,
            "",
            f"{lc} Art. 105(2), 107: shift work up to 12 h a day, the excess over 10 h as overtime",
            "long_shifts",
        ),  # fmt: skip
        (
            "long shift",
            long_h,
            "h",
            f"{lc} Art. 107(2)(b): the daily maximum (the crew policy's), or less if set",
            "long_shift_h",
        ),  # fmt: skip
        (
            "split duty signs on before a peak",
            p.peak_lead_s / 60,
            "min",
            "ESTIMATE: preparation and the walk to the train",
            "peak_lead_s",
        ),  # fmt: skip
        (
            "split duty's last departure after a peak",
            p.peak_tail_depart_s / 60,
            "min",
            "ESTIMATE: the peak's trains finish their trips",
            "peak_tail_depart_s",
        ),  # fmt: skip
        (
            "split duty ends after a peak",
            p.peak_tail_end_s / 60,
            "min",
            "ESTIMATE: about one 23-min trip plus running in",
            "peak_tail_end_s",
        ),  # fmt: skip
        ("overtime allowed", p.overtime, "", f"{lc} Art. 107", "overtime"),  # fmt: skip
        (
            "labour limits hard",
            p.enforce_labour_limits,
            "",
            f"{lc}; false: soft, breaches counted",
            "enforce_labour_limits",
        ),  # fmt: skip
        (
            "essential control-centre posts",
            p.occ_essential_posts,
            "people",
            "ESTIMATE after London's Metropolitan line closure (July 2021)",
            "occ_essential_posts",
        ),  # fmt: skip
        (
            "call-in for a no-show",
            p.call_in,
            "",
            "ESTIMATE: staff off duty are called in",
            "call_in",
        ),  # fmt: skip
        (
            "call-in arrives after",
            p.call_in_delay_s / 60,
            "min",
            "ESTIMATE: travel across Hanoi to the Phú Lương depot",
            "call_in_delay_s",
        ),  # fmt: skip
        (
            "controller holds over",
            p.occ_holdover,
            "",
            "ESTIMATE: a desk is not left unattended",
            "occ_holdover",
        ),  # fmt: skip
        (
            "level slack, share",
            p.level_slack_share,
            "of a segment's trips",
            "ESTIMATE: a failure that cancels a trip or two does not lose a level; a crew that did not sign on does",
            "level_slack_share",
        ),  # fmt: skip
        (
            "level slack, trips",
            p.level_slack_trips,
            "trips",
            "ESTIMATE: as above",
            "level_slack_trips",
        ),  # fmt: skip
    ]
    return [(n, _fmt(v), u, src, f"service.{f}") for n, v, u, src, f in rows]


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    if isinstance(v, tuple):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def station_assumptions(params: StationStaffing) -> list[AssumptionRow]:
    """Every station-staff number with its reasoning: (name, value, unit, source, parameter)."""
    est = "ESTIMATE (the operator's station manning is not published): "
    return [
        (
            "station staff simulated",
            str(params.enabled),
            "",
            "issue 12: station staff as a role with a minimum per station",
            "stations.enabled",
        ),  # fmt: skip
        (
            "staff per station",
            str(params.per_station),
            "people",
            est
            + "3 a shift × 2 shifts × 7/6 (6-day weeks, Labour Code Art. 111) × 1.1 (leave) ≈ 8",
            "stations.per_station",
        ),  # fmt: skip
        (
            "staff per station shift",
            str(params.min_per_shift),
            "people",
            est
            + "the station master on duty, one at the ticket office and gates, one on the platforms",
            "stations.min_per_shift",
        ),  # fmt: skip
        (
            "staff move between stations",
            str(params.redeploy),
            "",
            est + "station staff of one line can cover each other's stations",
            "stations.redeploy",
        ),  # fmt: skip
        (
            "a station short of staff",
            params.short_station,
            "",
            "what metros do with a station they cannot staff: trains pass it (close_line: the line stops for that shift)",
            "stations.short_station",
        ),  # fmt: skip
    ]
