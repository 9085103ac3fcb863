"""Stop-to-stop running: a trapezoidal speed profile that takes the scheduled run time.

A train accelerates at the service acceleration, cruises, and brakes at the service
deceleration, so speed is zero at both stops. The cruise speed is the one that makes the run
take its scheduled time: with k = 1/(2a) + 1/(2b) the run time is T = D/v + k·v, so
v = (T − √(T² − 4kD)) / 2k (the smaller root, which leaves a non-negative cruise). It is capped
at the line's maximum speed (the run then ends early and the train waits at the platform); a run
time shorter than physically possible gives the fastest triangular profile (the train arrives
late).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunProfile:
    """Distance, cruise speed and phase durations of one stop-to-stop run."""

    distance_m: float
    v_mps: float
    accel_mps2: float
    decel_mps2: float
    t_acc_s: float
    t_cruise_s: float
    t_dec_s: float

    @property
    def duration_s(self) -> float:
        return self.t_acc_s + self.t_cruise_s + self.t_dec_s

    def at(self, tau_s: float) -> tuple[float, float, float]:
        """(distance covered m, speed m/s, acceleration m/s²) ``tau_s`` seconds after the start."""
        if tau_s <= 0:
            return 0.0, 0.0, 0.0
        a, b, v = self.accel_mps2, self.decel_mps2, self.v_mps
        if tau_s < self.t_acc_s:
            return 0.5 * a * tau_s**2, a * tau_s, a
        d_acc = 0.5 * a * self.t_acc_s**2
        if tau_s < self.t_acc_s + self.t_cruise_s:
            return d_acc + v * (tau_s - self.t_acc_s), v, 0.0
        left = self.duration_s - tau_s
        if left <= 0:
            return self.distance_m, 0.0, 0.0
        return self.distance_m - 0.5 * b * left**2, b * left, -b


def plan_run(
    distance_m: float, run_s: float, accel_mps2: float, decel_mps2: float, vmax_mps: float
) -> RunProfile:
    """The profile covering ``distance_m`` in ``run_s`` (see the module docstring)."""
    if distance_m <= 0:
        return RunProfile(0.0, 0.0, accel_mps2, decel_mps2, 0.0, 0.0, 0.0)
    k = 1 / (2 * accel_mps2) + 1 / (2 * decel_mps2)
    disc = run_s**2 - 4 * k * distance_m
    v = math.sqrt(distance_m / k) if disc < 0 else (run_s - math.sqrt(disc)) / (2 * k)
    v = min(v, vmax_mps)
    t_acc, t_dec = v / accel_mps2, v / decel_mps2
    cruise_m = max(distance_m - v * v * k, 0.0)
    return RunProfile(distance_m, v, accel_mps2, decel_mps2, t_acc, cruise_m / v, t_dec)
