"""Headway regularity from observed departures: excess waiting time, bunching and gaps per hour.

Definitions (the transit literature's, for high-frequency service where riders turn up
without consulting a timetable):

* **Mean wait** of passengers arriving uniformly at random over a run of headways
  ``h_1 … h_n`` is ``Σ h_i² / (2 Σ h_i)`` (a passenger arriving in headway ``h`` waits ``h/2``
  on average, and lands in it with probability ``h / Σ h``). Equivalently ``h̄/2 · (1 + cv²)``.
* **Scheduled waiting time (SWT)**: that mean over the timetable's headways; **actual waiting
  time (AWT)**: over the observed ones; **excess waiting time EWT = AWT − SWT**, "the amount of
  time a passenger has had to wait in excess of the time they should expect based on the given
  schedule" (Transport for London, FOI-0791-1920, 2019: "the difference between the Actual
  Waiting Time (AWT) and the Scheduled Waiting Time (SWT)"; the formula above is London Buses'
  Quality of Service Indicators one, set out in Trompet, Liu and Graham, "Development of Key
  Performance Indicator to Compare Regularity of Service Between Urban Bus Operators",
  Transportation Research Record 2216, 2011, pp. 33–41). A train that did not run shows as
  one long headway, so EWT also counts lost trips, as TfL's does.
* **Bunching**: an observed headway shorter than ``bunch_factor`` (0.5) of the scheduled
  headway in force; **gap**: longer than ``gap_factor`` (1.5) of it. These are the live
  board's thresholds (``StateSettings.bunch_factor`` / ``gap_factor``), so the page, the
  board's headway alarms and the reports count the same events.

Headways are taken per station and direction between consecutive observed departures, and
belong to the hour (Hanoi time) in which they end. EWT per hour pools every station and
direction: ``Σ h² / (2 Σ h)`` over all their headways in the hour, which weighs each station
equally (no per-station ridership is measured). The scheduled side takes, per station and
direction, the planned departures inside the span the observed ones cover in that hour, so an
hour monitored only in part is compared with the same part of the timetable.

Pure functions on seconds after local midnight; no clock, no I/O.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: (start_s, end_s, headway_s) of each timetable period of the day
Periods = Sequence[tuple[int, int, int]]


@dataclass(frozen=True, slots=True)
class HeadwayEvent:
    """One observed headway at a station: the departure ``t_s`` and the one before it."""

    station: str
    direction: int
    t_s: float  # the later departure
    headway_s: float
    scheduled_s: float | None  # the timetable's headway in force at t_s
    kind: str  # "ok" | "bunching" | "gap" (or "ok" when nothing is scheduled)


@dataclass(frozen=True, slots=True)
class HourRegularity:
    """One hour's figures, pooled over stations (and directions, when ``direction`` is 0)."""

    hour: int  # 0–23, Hanoi time
    direction: int  # 1, 2, or 0 for both
    headways: int
    awt_s: float | None
    swt_s: float | None
    ewt_s: float | None
    bunching: int
    gaps: int


def mean_wait_s(headways: Iterable[float]) -> float | None:
    """Mean wait of uniformly arriving passengers: ``Σ h² / (2 Σ h)``; None without headways."""
    total = sq = 0.0
    for h in headways:
        total += h
        sq += h * h
    return sq / (2 * total) if total > 0 else None


def excess_wait_s(actual: Iterable[float], scheduled: Iterable[float]) -> float | None:
    """EWT = AWT − SWT from the two runs of headways (None if either is empty)."""
    awt, swt = mean_wait_s(actual), mean_wait_s(scheduled)
    return None if awt is None or swt is None else awt - swt


def headway_in_force(periods: Periods, t_s: float) -> int | None:
    """The timetable's headway at ``t_s`` (None outside service)."""
    for start, end, h in periods:
        if start <= t_s < end:
            return h
    return None


def scheduled_headway(plan: Sequence[float], periods: Periods, t_s: float) -> float | None:
    """The timetable's headway at a station for a departure at ``t_s``: the interval before
    the planned departure nearest to it (so a headway just after a change of period is judged
    against the interval the timetable really has there); the period's headway without a plan.
    """
    if len(plan) < 2:
        return headway_in_force(periods, t_s)
    k = bisect_right(plan, t_s)
    if k == len(plan) or (k > 0 and t_s - plan[k - 1] <= plan[k] - t_s):
        k -= 1
    k = max(k, 1)
    return plan[k] - plan[k - 1]


def classify(
    headway_s: float, scheduled_s: float | None, *, bunch_factor: float, gap_factor: float
) -> str:
    """``bunching`` below ``bunch_factor`` × scheduled, ``gap`` above ``gap_factor`` ×."""
    if not scheduled_s:
        return "ok"
    if headway_s < bunch_factor * scheduled_s:
        return "bunching"
    if headway_s > gap_factor * scheduled_s:
        return "gap"
    return "ok"


def headway_events(
    departures: Mapping[tuple[str, int], Sequence[float]],
    periods: Periods,
    *,
    scheduled: Mapping[tuple[str, int], Sequence[float]] | None = None,
    bunch_factor: float = 0.5,
    gap_factor: float = 1.5,
) -> list[HeadwayEvent]:
    """Every observed headway, per (station, direction) in the order of ``departures``;
    judged against ``scheduled`` departures when given (see :func:`scheduled_headway`)."""
    out: list[HeadwayEvent] = []
    for (station, direction), times in departures.items():
        ts = sorted(times)
        plan = sorted((scheduled or {}).get((station, direction), ()))
        for prev, t in zip(ts, ts[1:], strict=False):
            h = t - prev
            sched = scheduled_headway(plan, periods, t)
            kind = classify(h, sched, bunch_factor=bunch_factor, gap_factor=gap_factor)
            out.append(HeadwayEvent(station, direction, t, h, sched, kind))
    return out


def _ending_in(times: Sequence[float], lo: float, hi: float) -> list[float]:
    """Headways of the sorted ``times`` whose later departure lies in ``(lo, hi]``."""
    i = max(bisect_right(times, lo), 1)
    j = bisect_right(times, hi)
    return [times[k] - times[k - 1] for k in range(i, j)]


_Acc = dict[int, tuple[list[float], list[float], list[int]]]


def _collect(
    departures: Mapping[tuple[str, int], Sequence[float]],
    scheduled: Mapping[tuple[str, int], Sequence[float]],
    periods: Periods,
    direction: int,
    bunch_factor: float,
    gap_factor: float,
) -> _Acc:
    """hour → (actual headways, scheduled headways, [bunching, gaps])."""
    acc: _Acc = {}
    for key, raw in departures.items():
        if direction and key[1] != direction:
            continue
        obs = sorted(raw)
        plan = sorted(scheduled.get(key, ()))
        by_hour: dict[int, list[int]] = {}
        for k in range(1, len(obs)):
            by_hour.setdefault(int(obs[k] // 3600), []).append(k)
        for hour, ks in by_hour.items():
            a_list, s_list, kinds = acc.setdefault(hour, ([], [], [0, 0]))
            for k in ks:
                h = obs[k] - obs[k - 1]
                a_list.append(h)
                kind = classify(
                    h,
                    scheduled_headway(plan, periods, obs[k]),
                    bunch_factor=bunch_factor,
                    gap_factor=gap_factor,
                )
                if kind == "bunching":
                    kinds[0] += 1
                elif kind == "gap":
                    kinds[1] += 1
            # the same stretch of the timetable: planned headways ending between the first
            # observed departure that opens one of this hour's headways (or the hour's start)
            # and the last observed departure of the hour
            lo = max(obs[ks[0] - 1], hour * 3600.0)
            s_list += _ending_in(plan, lo, obs[ks[-1]])
    return acc


def _figures(
    hour: int, direction: int, actual: list[float], sched: list[float], kinds: list[int]
) -> HourRegularity:
    awt, swt = mean_wait_s(actual), mean_wait_s(sched)
    return HourRegularity(
        hour=hour,
        direction=direction,
        headways=len(actual),
        awt_s=awt,
        swt_s=swt,
        ewt_s=None if awt is None or swt is None else awt - swt,
        bunching=kinds[0],
        gaps=kinds[1],
    )


def hourly(
    departures: Mapping[tuple[str, int], Sequence[float]],
    scheduled: Mapping[tuple[str, int], Sequence[float]],
    periods: Periods,
    *,
    direction: int = 0,
    bunch_factor: float = 0.5,
    gap_factor: float = 1.5,
) -> list[HourRegularity]:
    """Figures per hour with at least one observed headway, ascending.

    ``departures``: observed departure times per (station, direction); ``scheduled``: the
    timetable's departure times for the same keys. ``direction`` 0 pools both directions.
    """
    acc = _collect(departures, scheduled, periods, direction, bunch_factor, gap_factor)
    return [_figures(h, direction, *acc[h]) for h in sorted(acc)]


def whole_day(
    departures: Mapping[tuple[str, int], Sequence[float]],
    scheduled: Mapping[tuple[str, int], Sequence[float]],
    periods: Periods,
    *,
    direction: int = 0,
    bunch_factor: float = 0.5,
    gap_factor: float = 1.5,
) -> HourRegularity | None:
    """The day so far (``hour`` −1): every hour's headways pooled; None without any."""
    acc = _collect(departures, scheduled, periods, direction, bunch_factor, gap_factor)
    if not acc:
        return None
    actual = [h for a, _, _ in acc.values() for h in a]
    sched = [h for _, s, _ in acc.values() for h in s]
    kinds = [sum(k[0] for _, _, k in acc.values()), sum(k[1] for _, _, k in acc.values())]
    return _figures(-1, direction, actual, sched, kinds)
