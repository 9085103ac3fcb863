"""Traction current: what the trains draw from the substations that feed them.

Electrical power at the pantograph (here: the third-rail shoe) is the wheel power over the
drive efficiency while motoring, limited by the drive's rating; braking regenerates part of the
wheel power (offsetting the auxiliaries of the same section); cruising needs only the running
resistance; auxiliaries (air conditioning in Hanoi's heat) draw all the time while a train is
powered on the line. A train's current is shared by the two substations either side of it in
proportion to how near it is to each (each substation feeds the sections up to its neighbours).

ESTIMATES (CRRC's figures for the Line 2A stock are not published): 4-car tare 150 t, 65 kg a
passenger, Davis resistance of a light-metro train, 1.6 MW drive rating, 100 kW auxiliaries.
"""

from __future__ import annotations

from collections.abc import Iterable

from line import Line
from telemetry.emulator.trains import Mode, TrainSample

TARE_KG = 150_000.0
PASSENGER_KG = 65.0
DRIVE_EFFICIENCY = 0.85
REGEN_EFFICIENCY = 0.6
DRIVE_MAX_W = 1.6e6
AUX_W = 100e3
LINE_VOLTAGE_V = 750.0  # ICD nominal
_POWERED = frozenset({Mode.ATO, Mode.ATP, Mode.RM})


def running_resistance_n(v_mps: float) -> float:
    """Davis equation A + Bv + Cv² for a 4-car light-metro train, N."""
    return 2500.0 + 30.0 * v_mps + 6.0 * v_mps * v_mps


def train_current_a(sample: TrainSample, capacity_normal: int) -> float:
    """Current a train draws at line voltage, A (negative when regenerating more than aux)."""
    if sample.mode not in _POWERED:
        return 0.0
    v = sample.speed_kmh / 3.6
    mass = TARE_KG + PASSENGER_KG * capacity_normal * sample.load_pct / 100
    wheel_w = (mass * sample.accel_mps2 + running_resistance_n(v)) * v
    if wheel_w >= 0:
        elec_w = min(wheel_w / DRIVE_EFFICIENCY, DRIVE_MAX_W)
    else:
        elec_w = max(wheel_w * REGEN_EFFICIENCY, -DRIVE_MAX_W)
    return (elec_w + AUX_W) / LINE_VOLTAGE_V


def feeder_currents(line: Line, samples: Iterable[TrainSample]) -> dict[str, float]:
    """Substation id → traction current from the trains in the sections it feeds, A (≥ 0)."""
    subs = sorted(line.substations, key=lambda s: s.chainage_m)
    out = {s.id: 0.0 for s in subs}
    for smp in samples:
        i = train_current_a(smp, line.fleet.capacity_normal)
        if i == 0.0 or not subs:
            continue
        x = smp.pos_m
        if x <= subs[0].chainage_m:
            out[subs[0].id] += i
            continue
        if x >= subs[-1].chainage_m:
            out[subs[-1].id] += i
            continue
        for a, b in zip(subs, subs[1:], strict=False):
            if a.chainage_m <= x <= b.chainage_m:
                f = (x - a.chainage_m) / (b.chainage_m - a.chainage_m)
                out[a.id] += i * (1 - f)
                out[b.id] += i * f
                break
    # diode rectifiers cannot take energy back: regeneration beyond the section's own demand
    # goes to other trains or the braking resistors, not the substation
    return {k: max(v, 0.0) for k, v in out.items()}
