"""Register codec and limit checks against the ICD map in telemetry/data/registers.toml."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry.config import RegisterMap, RegisterPoint, load_register_maps
from telemetry.registers import (
    SubstationReading,
    Violation,
    decode_registers,
    encode_registers,
    violations,
)

ICD = load_register_maps()["traction_substation"]

NORMAL_VALUES = {
    "dc_bus_voltage": 750.0,
    "feeder_current": 1200.0,
    "transformer_temp": 55.0,
    "energy_kwh": 123_456.0,
    "alarm_word": 0.0,
    "heartbeat": 7.0,
}
NORMAL_BITS = {
    "main_breaker_closed": True,
    "feeder1_closed": True,
    "feeder2_closed": True,
    "earth_fault": False,
    "local_control": False,
}


def reading(
    values: dict[str, float] | None = None, bits: dict[str, bool] | None = None
) -> SubstationReading:
    return SubstationReading(
        "SS1",
        0,
        {**NORMAL_VALUES, **(values or {})},
        {**NORMAL_BITS, **(bits or {})},
        7,
    )


def test_icd_map_spans_the_ten_registers() -> None:
    assert ICD.span == (0, 10)


def test_decode_known_words_big_endian_high_word_first() -> None:
    # hand-built from the ICD table, independent of encode_registers
    v_hi, v_lo = struct.unpack(">HH", struct.pack(">f", 750.0))
    assert (v_hi, v_lo) == (0x443B, 0x8000)
    i_hi, i_lo = struct.unpack(">HH", struct.pack(">f", 1234.5))
    regs = [
        v_hi,
        v_lo,
        i_hi,
        i_lo,
        0b01101,  # main breaker, feeder 2 closed, earth fault
        0xFFCB,  # int16 -53 → -5.3 °C
        0x0001,
        0x1170,  # uint32 70000 kWh, high word first
        0x0004,
        0xFFFF,
    ]
    r = decode_registers("SS3", ICD, regs, 1_700_000_000_000)
    assert r.device == "SS3" and r.ts_ms == 1_700_000_000_000
    assert r.values["dc_bus_voltage"] == 750.0
    assert r.values["feeder_current"] == 1234.5
    assert r.values["transformer_temp"] == pytest.approx(-5.3)
    assert r.values["energy_kwh"] == 70_000
    assert r.values["alarm_word"] == 4
    assert r.values["heartbeat"] == 65535
    assert r.heartbeat == 65535
    assert r.bits == {
        "main_breaker_closed": True,
        "feeder1_closed": False,
        "feeder2_closed": True,
        "earth_fault": True,
        "local_control": False,
    }
    assert "breaker_status" not in r.values  # bit words appear as named bits only


def test_decode_rejects_a_short_answer() -> None:
    with pytest.raises(ValueError, match="registers"):
        decode_registers("SS1", ICD, [0] * 9, 0)


f32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(
    voltage=f32,
    current=f32,
    temp_raw=st.integers(-32768, 32767),
    energy=st.integers(0, 2**32 - 1),
    alarm=st.integers(0, 0xFFFF),
    heartbeat=st.integers(0, 0xFFFF),
    bits=st.fixed_dictionaries({name: st.booleans() for name in NORMAL_BITS}),
)
def test_encode_decode_round_trip(
    voltage: float,
    current: float,
    temp_raw: int,
    energy: int,
    alarm: int,
    heartbeat: int,
    bits: dict[str, bool],
) -> None:
    values = {
        "dc_bus_voltage": voltage,
        "feeder_current": current,
        "transformer_temp": temp_raw * 0.1,
        "energy_kwh": float(energy),
        "alarm_word": float(alarm),
        "heartbeat": float(heartbeat),
    }
    regs = encode_registers(ICD, values, bits)
    assert len(regs) == 10 and all(0 <= w <= 0xFFFF for w in regs)
    r = decode_registers("SS1", ICD, regs, 0)
    assert r.values == values
    assert r.bits == bits
    assert r.heartbeat == heartbeat


def test_encode_words_layout() -> None:
    regs = encode_registers(
        ICD,
        {"dc_bus_voltage": 750.0, "transformer_temp": -0.1, "energy_kwh": 65536.0 + 2},
        {"feeder1_closed": True, "local_control": True},
    )
    assert regs[0:2] == [0x443B, 0x8000]  # float32, high word first
    assert regs[4] == 0b10010
    assert regs[5] == 0xFFFF  # int16 -1 (two's complement) at scale 0.1
    assert regs[6:8] == [0x0001, 0x0002]  # uint32, high word first
    assert regs[2:4] == [0, 0] and regs[8:] == [0, 0]  # points not given encode as 0


@pytest.mark.parametrize(
    ("name", "value"),
    [("transformer_temp", 4000.0), ("transformer_temp", -4000.0), ("energy_kwh", -1.0)],
)
def test_encode_rejects_values_that_do_not_fit(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=name):
        encode_registers(ICD, {name: value}, {})


def test_map_not_starting_at_zero() -> None:
    # a vendor map placed higher in the address space: the read starts at span[0]
    m = RegisterMap(
        heartbeat="hb",
        points=(
            RegisterPoint(name="v", address=100, type="float32", unit="V"),
            RegisterPoint(name="hb", address=103, type="uint16"),
        ),
    )
    assert m.span == (100, 4)
    regs = encode_registers(m, {"v": 812.5, "hb": 9}, {})
    assert regs[2] == 0  # the gap at address 102
    r = decode_registers("X", m, regs, 0)
    assert r.values == {"v": 812.5, "hb": 9.0} and r.heartbeat == 9


def test_normal_reading_has_no_violation() -> None:
    assert violations(ICD, reading()) == []


@pytest.mark.parametrize(
    ("values", "bits", "expected"),
    [
        ({"dc_bus_voltage": 599.0}, {}, Violation("dc_bus_voltage", "low", 599.0, 600.0, "V")),
        ({"dc_bus_voltage": 901.0}, {}, Violation("dc_bus_voltage", "high", 901.0, 900.0, "V")),
        (
            {"feeder_current": 4000.5},
            {},
            Violation("feeder_current", "high", 4000.5, 4000.0, "A"),
        ),
        (
            {"transformer_temp": 110.1},
            {},
            Violation("transformer_temp", "high", 110.1, 110.0, "°C"),
        ),
        ({}, {"earth_fault": True}, Violation("earth_fault", "bit", 1.0, None, "")),
        (
            {},
            {"main_breaker_closed": False},
            Violation("main_breaker_closed", "bit", 0.0, None, ""),
        ),
        ({"alarm_word": 4.0}, {}, Violation("alarm_word", "alarm_word", 4.0, None, "")),
    ],
)
def test_icd_limits(values: dict[str, float], bits: dict[str, bool], expected: Violation) -> None:
    assert violations(ICD, reading(values, bits)) == [expected]


def test_limits_are_inclusive_boundaries() -> None:
    at_limits = reading(
        {"dc_bus_voltage": 600.0, "feeder_current": 4000.0, "transformer_temp": 110.0}
    )
    assert violations(ICD, at_limits) == []
    assert [v.point for v in violations(ICD, reading({"dc_bus_voltage": 900.0}))] == []


def test_several_violations_at_once_are_all_reported() -> None:
    r = reading({"dc_bus_voltage": 550.0, "alarm_word": 1.0}, {"earth_fault": True})
    assert {(v.point, v.kind) for v in violations(ICD, r)} == {
        ("dc_bus_voltage", "low"),
        ("earth_fault", "bit"),
        ("alarm_word", "alarm_word"),
    }


def test_nan_measurement_breaks_its_limits_once() -> None:
    got = violations(ICD, reading({"dc_bus_voltage": float("nan")}))
    assert [(v.point, v.kind, v.limit) for v in got] == [("dc_bus_voltage", "low", 600.0)]


def test_limits_come_from_the_map() -> None:
    # the same reading against a map with a tighter limit: no code change, a new violation
    points = tuple(
        p.model_copy(update={"high": 700.0}) if p.name == "dc_bus_voltage" else p
        for p in ICD.points
    )
    tight = ICD.model_copy(update={"points": points})
    assert violations(ICD, reading()) == []
    assert violations(tight, reading()) == [Violation("dc_bus_voltage", "high", 750.0, 700.0, "V")]
