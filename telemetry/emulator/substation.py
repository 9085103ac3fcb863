"""An emulated traction-substation PLC: a real pymodbus TCP server serving the ICD register map.

The server (set up in ``__aenter__``) and the physics loop (:meth:`SubstationSim.run`) are
separate, as in pymodbus' examples, so tests can use either. The physics is deliberately simple
but plausible for a 750 V DC third-rail substation:

- DC bus voltage: no-load 750 V (ICD nominal) plus measurement noise, sagging with the feeder
  current through an equivalent source resistance of 0.02 Ω (rectifier transformer + rectifier
  + AC network seen from the DC bus — about 8 % regulation at 3 kA, typical of 750 V DC
  rectifier substations).
- Feeder current: the traction load the emulator reports for trains nearby plus a small
  auxiliary load (station and substation auxiliaries, ~30 A). Diode rectifiers cannot take
  regenerated energy back, so a negative load is treated as zero.
- Transformer temperature: first-order lag (time constant 15 min) toward 40 °C + 0.012 °C/A,
  i.e. about 88 °C at a sustained 4 kA and above the 110 °C alarm only for a long overload.
- Energy: integrates V·I into a kWh counter (uint32, monotonic).
- Breakers closed, no earth fault, remote control; the heartbeat increments every tick.

Fault injection for tests and demos: :attr:`freeze` (a hung PLC: heartbeat and values stop),
:attr:`silent` (requests are dropped, so clients time out), :attr:`undervoltage` (the bus sags
below 600 V).
"""

from __future__ import annotations

import asyncio
import math
import random
from types import TracebackType
from typing import Self

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from telemetry.config import RegisterMap
from telemetry.registers import decode_registers, encode_registers

NO_LOAD_V = 750.0  # V, ICD nominal DC bus voltage
UNDERVOLTAGE_NO_LOAD_V = 570.0  # V, e.g. a lost rectifier group / low AC supply
SOURCE_R_OHM = 0.02  # Ω, equivalent source resistance seen from the DC bus
NOISE_V = 1.5  # V, standard deviation of the voltage measurement noise
AUX_LOAD_A = 30.0  # A, mean auxiliary load
AUX_NOISE_A = 3.0  # A, its standard deviation
TEMP_BASE_C = 40.0  # °C, transformer temperature at no load
TEMP_PER_A = 0.012  # °C per A of feeder current, steady state
TEMP_TAU_S = 900.0  # s, thermal time constant of the first-order lag
HEARTBEAT_WRAP = 65536  # uint16 counter


class SubstationSim:
    """One traction-substation PLC: a Modbus TCP server plus its physics loop.

    ``async with`` starts the server on ``host:port`` (``port=0`` picks a free one, read it back
    from :attr:`port`) and stops it on exit, freeing the port. :meth:`run` updates the registers
    every ``tick_s`` seconds until cancelled.
    """

    def __init__(
        self,
        device_id: str,
        register_map: RegisterMap,
        host: str,
        port: int,
        *,
        unit_id: int = 1,
        seed: int = 0,
        tick_s: float = 1.0,
        speed: float = 1.0,
    ) -> None:
        self.device_id = device_id
        #: emulated seconds per wall second: energy and temperature integrate emulated time,
        #: like the trains' load they follow (the heartbeat stays per wall second, ICD)
        self.speed = speed
        self.host = host
        self.port = port
        self.unit_id = unit_id
        self.tick_s = tick_s
        #: a hung PLC: the heartbeat and every value stop changing
        self.freeze = False
        #: the PLC stops answering: requests are dropped, clients time out
        self.silent = False
        #: the DC bus sags below 600 V
        self.undervoltage = False
        self._map = register_map
        self._rng = random.Random(seed)
        self._load_a = 0.0
        self._temp_c = TEMP_BASE_C
        # an energy counter that has been running for a while, not a brand-new meter
        self._energy_kwh = float(self._rng.randint(200_000, 2_000_000))
        self._heartbeat = 0
        self._start = register_map.span[0]
        self._registers = self._compute(0.0)
        self._server: ModbusTcpServer | None = None

    # --- public state -------------------------------------------------------------------
    @property
    def values(self) -> dict[str, float]:
        """The numeric points as a client reads them now (scaled, register precision)."""
        return decode_registers(self.device_id, self._map, self._registers, 0).values

    @property
    def bits(self) -> dict[str, bool]:
        """The named bits as a client reads them now."""
        return decode_registers(self.device_id, self._map, self._registers, 0).bits

    def set_traction_load(self, current_a: float) -> None:
        """Set the current (A) drawn by the trains this substation feeds; applied next tick."""
        self._load_a = max(0.0, current_a)

    # --- lifecycle ----------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        device = SimDevice(
            id=self.unit_id,
            simdata=[
                SimData(
                    address=self._start,
                    values=list(self._registers),
                    datatype=DataType.REGISTERS,
                    readonly=True,  # telemetry: writes get ILLEGAL_ADDRESS, as on a real PLC
                )
            ],
            action=self._on_request,
        )
        # ignore_missing_devices: a request whose device raises NoSuchIdException gets no answer
        # at all, which is how `silent` drops requests (see _on_request)
        server = ModbusTcpServer(
            device, address=(self.host, self.port), ignore_missing_devices=True
        )
        await server.serve_forever(background=True)  # raises RuntimeError if it cannot listen
        self._server = server
        sockets = getattr(server.transport, "sockets", None)
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self._server = self._server, None
        if server is not None:
            # closes the listener and every client connection (pymodbus leaves it unannotated)
            await server.shutdown()  # type: ignore[no-untyped-call]
            await asyncio.sleep(0)  # let the closed transports run their connection_lost

    async def run(self) -> None:
        """Advance the physics every ``tick_s`` of wall clock by ``tick_s × speed`` of
        emulated time, until cancelled."""
        loop = asyncio.get_running_loop()
        next_t = loop.time()
        while True:
            next_t += self.tick_s
            await asyncio.sleep(max(0.0, next_t - loop.time()))
            if not self.freeze:
                self.step(self.tick_s * self.speed)

    def step(self, dt_s: float) -> None:
        """Advance the physics by ``dt_s`` emulated seconds and publish the new registers."""
        self._heartbeat = (self._heartbeat + 1) % HEARTBEAT_WRAP
        self._registers = self._compute(dt_s)

    # --- internals ----------------------------------------------------------------------
    def _compute(self, dt_s: float) -> list[int]:
        rng = self._rng
        current_a = self._load_a + max(0.0, rng.gauss(AUX_LOAD_A, AUX_NOISE_A))
        no_load_v = UNDERVOLTAGE_NO_LOAD_V if self.undervoltage else NO_LOAD_V
        voltage_v = no_load_v - SOURCE_R_OHM * current_a + rng.gauss(0.0, NOISE_V)
        target_c = TEMP_BASE_C + TEMP_PER_A * current_a
        self._temp_c += (target_c - self._temp_c) * (1.0 - math.exp(-dt_s / TEMP_TAU_S))
        self._energy_kwh += voltage_v * current_a * dt_s / 3.6e6  # W·s → kWh
        values = {
            "dc_bus_voltage": voltage_v,
            "feeder_current": current_a,
            "transformer_temp": self._temp_c,
            "energy_kwh": math.floor(self._energy_kwh),
            "alarm_word": 0,
            "heartbeat": self._heartbeat,
        }
        bits = {
            "main_breaker_closed": True,
            "feeder1_closed": True,
            "feeder2_closed": True,
            "earth_fault": False,
            "local_control": False,
        }
        return encode_registers(self._map, values, bits)

    async def _on_request(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus calls this on every request: serve the latest registers, or stay silent."""
        if self.silent:
            # with ignore_missing_devices=True the server sends nothing back: a hung PLC
            raise NoSuchIdException(f"{self.device_id} is silent (fault injection)")
        off = self._start - start_address
        current_registers[off : off + len(self._registers)] = self._registers
        return None
