"""Passenger demand by time of day: station entries/exits and the load on board, from one model.

One origin–destination model feeds both the AFC flow messages and the trains' ``load_pct``, so
the two agree: riders per hour follow a day profile with peaks 07–09 and 17–19 (the morning peak
mostly inbound towards the city centre, the evening peak outbound), split over origin and
destination stations by a gravity model (attractiveness weight × weight). The section flow a
train carries is the riders whose trip crosses that section; divided by trains per hour it is
the load on board.

ESTIMATES (no per-station figures are published): station weights below favour the terminals,
Thái Hà/Láng (dense inner districts) and Hà Đông (district centre); about 45,000 riders a day
(2025 reporting). Unknown stations (another line) weigh 1.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from line import Direction, Line

DEFAULT_DAILY_RIDERS = 45_000  # riders a day on Line 2A in 2025 (public reporting)
SERVICE_START_H = 5.5
SERVICE_END_H = 22.0
STATION_WEIGHTS = {
    "CL": 1.4,
    "LT": 0.9,
    "TH": 1.2,
    "LA": 1.2,
    "TD": 1.0,
    "VD3": 0.9,
    "PK": 0.8,
    "VQ": 1.0,
    "HD": 1.3,
    "LK": 0.9,
    "VK": 0.9,
    "YN": 1.3,
}
_PEAK_SKEW = 0.2  # share of riders moved to the peak direction at the height of a peak


def _gauss(x: float, mu: float, sigma: float) -> float:
    return math.exp(-(((x - mu) / sigma) ** 2) / 2)


def _am(h: float) -> float:
    return _gauss(h, 8.0, 0.7)


def _pm(h: float) -> float:
    return _gauss(h, 18.0, 0.8)


def _profile(h: float) -> float:
    """Relative demand at hour ``h`` of the day: a base plus two peaks, zero outside service."""
    if not SERVICE_START_H <= h < SERVICE_END_H:
        return 0.0
    return 0.35 + 1.0 * _am(h) + 0.9 * _pm(h)


@dataclass(frozen=True)
class Demand:
    """Riders by time of day and the loads they make; pure, no randomness (callers add noise)."""

    line: Line
    daily_riders: float = DEFAULT_DAILY_RIDERS

    @cached_property
    def _norm(self) -> float:
        # integral of the profile over the day in hours (1-minute steps)
        return sum(_profile(m / 60) for m in range(24 * 60)) / 60

    @cached_property
    def _od(self) -> dict[Direction, list[list[float]]]:
        """Per direction, the share of that direction's riders going from station i to j."""
        w = [STATION_WEIGHTS.get(s.id, 1.0) for s in self.line.stations]
        n = len(w)
        out: dict[Direction, list[list[float]]] = {}
        for d in Direction:
            m = [[0.0] * n for _ in range(n)]
            for i in range(n):
                for j in range(n):
                    if (d is Direction.OUTBOUND and j > i) or (d is Direction.INBOUND and j < i):
                        m[i][j] = w[i] * w[j]
            total = sum(map(sum, m))
            out[d] = [[x / total for x in row] for row in m]
        return out

    def riders_per_h(self, t_s: float) -> float:
        """Riders entering the line per hour at ``t_s`` seconds after local midnight."""
        return self.daily_riders * _profile(t_s / 3600) / self._norm

    def direction_share(self, t_s: float, direction: Direction) -> float:
        """Share of riders travelling in ``direction``: mornings inbound, evenings outbound."""
        h = t_s / 3600
        inbound = 0.5 + _PEAK_SKEW * (_am(h) - _pm(h))
        return inbound if Direction(direction) is Direction.INBOUND else 1.0 - inbound

    def station_rates_per_h(self, t_s: float, station_index: int) -> tuple[float, float]:
        """(entries, exits) per hour at a station."""
        r = self.riders_per_h(t_s)
        entries = exits = 0.0
        for d in Direction:
            m = self._od[d]
            share = r * self.direction_share(t_s, d)
            entries += share * sum(m[station_index])
            exits += share * sum(row[station_index] for row in m)
        return entries, exits

    @cached_property
    def _section_share(self) -> dict[Direction, list[float]]:
        """Per direction, the share of riders crossing section k (stations k and k+1)."""
        n = len(self.line.stations)
        out: dict[Direction, list[float]] = {}
        for d in Direction:
            m = self._od[d]
            out[d] = [
                sum(
                    m[i][j]
                    for i in range(n)
                    for j in range(n)
                    if min(i, j) <= k < max(i, j) and m[i][j] > 0
                )
                for k in range(n - 1)
            ]
        return out

    def load_pct(self, t_s: float, direction: Direction, section: int, headway_s: float) -> float:
        """Expected load (% of normal capacity) on section ``section`` (by chainage order).

        ``headway_s`` is the planned headway: riders of one headway board one train.
        """
        d = Direction(direction)
        flow_per_h = (
            self.riders_per_h(t_s) * self.direction_share(t_s, d) * self._section_share[d][section]
        )
        on_board = flow_per_h * headway_s / 3600
        return 100.0 * on_board / self.line.fleet.capacity_normal
