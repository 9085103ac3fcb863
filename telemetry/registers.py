"""Register codec for the ICD Modbus map: raw holding registers ⇄ named, scaled values.

The map is data (:class:`telemetry.config.RegisterMap`, loaded from ``registers.toml``): point
addresses, types, scales, units and alarm limits all come from there, never from code. Words are
big-endian and 32-bit values span two registers, high word first (ICD v1, "Modbus TCP").

- :func:`decode_registers` turns one read of ``RegisterMap.span`` into a :class:`SubstationReading`.
- :func:`encode_registers` is its inverse, used by the emulated PLC.
- :func:`violations` checks a reading against the map's limits and alarm bits.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from telemetry.config import RegisterMap, RegisterPoint

ViolationKind = Literal["low", "high", "bit", "alarm_word"]

# struct formats of the raw (unscaled) value, big-endian
_FORMATS = {"float32": ">f", "uint32": ">I", "uint16": ">H", "int16": ">h", "bits": ">H"}


@dataclass(frozen=True, slots=True)
class SubstationReading:
    """One poll of one device, decoded.

    ``values`` holds the scaled numeric points (float32/uint32/uint16/int16) by name; ``bits``
    the named bits of every ``bits`` point; ``heartbeat`` the raw heartbeat counter when the
    map names one.
    """

    device: str
    ts_ms: int
    values: dict[str, float]
    bits: dict[str, bool]
    heartbeat: int | None


@dataclass(frozen=True, slots=True)
class Violation:
    """A reading outside its limits: ``point`` is the point name, or the bit name for ``bit``."""

    point: str
    kind: ViolationKind
    value: float
    limit: float | None
    unit: str


def _words_to_raw(point: RegisterPoint, words: Sequence[int]) -> float:
    data = b"".join(w.to_bytes(2, "big") for w in words)
    (raw,) = struct.unpack(_FORMATS[point.type], data)
    return float(raw)


def _raw_to_words(point: RegisterPoint, raw: float) -> list[int]:
    fmt = _FORMATS[point.type]
    try:
        data = struct.pack(fmt, raw if point.type == "float32" else int(raw))
    except (struct.error, OverflowError) as exc:
        raise ValueError(f"{point.name}: raw value {raw!r} does not fit {point.type}") from exc
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def decode_registers(
    device: str, register_map: RegisterMap, registers: Sequence[int], ts_ms: int
) -> SubstationReading:
    """Decode one read of ``register_map.span``; ``registers[0]`` is at ``span[0]``.

    Raises ``ValueError`` when fewer registers than the span were given.
    """
    start, count = register_map.span
    if len(registers) < count:
        raise ValueError(f"{device}: got {len(registers)} registers, the map spans {count}")
    values: dict[str, float] = {}
    bits: dict[str, bool] = {}
    for p in register_map.points:
        off = p.address - start
        raw = _words_to_raw(p, registers[off : off + p.width])
        if p.type == "bits":
            word = int(raw)
            for bit, name in p.bits.items():
                bits[name] = bool(word >> bit & 1)
        else:
            values[p.name] = raw * p.scale
    heartbeat = None
    if register_map.heartbeat is not None:
        hb = values.get(register_map.heartbeat)
        heartbeat = None if hb is None else int(hb)
    return SubstationReading(device, ts_ms, values, bits, heartbeat)


def encode_registers(
    register_map: RegisterMap, values: Mapping[str, float], bits: Mapping[str, bool]
) -> list[int]:
    """Inverse of :func:`decode_registers`: the registers of ``register_map.span``.

    Points missing from ``values`` (and bits missing from ``bits``) encode as 0; names not in
    the map are ignored. Integer points are rounded to the nearest raw step of their scale.
    Raises ``ValueError`` when a value does not fit its register type.
    """
    start, count = register_map.span
    regs = [0] * count
    for p in register_map.points:
        if p.type == "bits":
            word = sum(1 << bit for bit, name in p.bits.items() if bits.get(name, False))
            words = [word]
        else:
            raw = values.get(p.name, 0.0) / p.scale
            if p.type != "float32":
                raw = float(round(raw))
            words = _raw_to_words(p, raw)
        off = p.address - start
        regs[off : off + p.width] = words
    return regs


def violations(register_map: RegisterMap, reading: SubstationReading) -> list[Violation]:
    """Every limit the reading breaks, in map order; limits come from the map only.

    A NaN value (a PLC's "no measurement") breaks the limits of its point (reported once).
    """
    out: list[Violation] = []
    for p in register_map.points:
        if p.type == "bits":
            for name, alarming in p.alarm_bits.items():
                state = reading.bits.get(name)
                if state is not None and state == alarming:
                    out.append(Violation(name, "bit", float(state), None, p.unit))
            continue
        v = reading.values.get(p.name)
        if v is None:
            continue
        if math.isnan(v):
            # one alarm, not two: NaN is below and above nothing
            if p.low is not None or p.high is not None:
                kind: ViolationKind = "low" if p.low is not None else "high"
                out.append(Violation(p.name, kind, v, p.low if kind == "low" else p.high, p.unit))
        elif p.low is not None and v < p.low:
            out.append(Violation(p.name, "low", v, p.low, p.unit))
        elif p.high is not None and v > p.high:
            out.append(Violation(p.name, "high", v, p.high, p.unit))
        if p.alarm_nonzero and v != 0:
            out.append(Violation(p.name, "alarm_word", v, None, p.unit))
    return out
