"""Trains played out over a service day: where each one is, how fast, doors, driver and load.

Pure and seeded: :func:`build_day` turns the day's plan into every train's timeline once, and
:meth:`TrainSim.state_at` reads it at any instant, so a test can ask where T05 is at 08:00
without running a clock. The story of a day, per train:

* **Duties.** The plan's blocks are the duties. A block goes to the train the plan names when
  that train stands at the block's first terminal in time; otherwise to another train already
  there, or to one that can run empty from the other terminal (``plan_day`` assigns trains
  without looking at where they are). A train starts a duty from the depot (beside the
  terminal nearest it) or from the stabling sidings at the other terminal: the driver logs on,
  the train moves to the platform, opens its doors for boarding, departs.
* **Trips.** Stop-to-stop runs follow a trapezoidal profile that takes the scheduled run time
  (see :mod:`telemetry.emulator.kinematics`); doors open during the dwell. A train never
  leaves a station before its planned time. Perturbations (seeded): dwells extended by up to
  40 s at some stops and a rare longer hold (door obstruction, passenger alarm). A late train
  stays late: it cannot run faster than scheduled, and it may not arrive at a platform until
  the train ahead has left it, so a long hold also delays the followers. Delay is recovered
  at the terminals, where the turnback slack above the minimum absorbs it.
* **Terminals.** Doors open for alighting, the driver changes ends (track switches), doors
  open for boarding, departure. Drivers are relieved at the crew point (the terminal by the
  depot) after four hours at the controls, and whenever the train changes block there.
* **Rest.** After its last trip of a duty the train goes to the depot (from the far terminal
  by an empty run); a rest at the far terminal too short for the empty runs there and back
  is a crewed layover instead. The driver logs off in the depot. Trains
  without a duty, and every train overnight, are in the depot (``mode="depot"``, at the
  depot chainage), never standing powered off beside trains in service.

Times are seconds after local midnight of the service date.
"""

from __future__ import annotations

import bisect
import enum
import math
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from line import DayPlan, Direction, Line, Trip
from telemetry.emulator.demand import Demand
from telemetry.emulator.kinematics import RunProfile, plan_run

PREP_S = 300.0  # driver logs on this long before the first departure of a duty
BOARD_S = 40.0  # doors open for boarding before departing a terminal
ALIGHT_S = 30.0  # doors open for alighting after arriving at a terminal
RELIEF_GAP_S = 20.0  # one driver logs off, the next logs on, at a relief
DEPOT_MOVE_S = 90.0  # depot track ↔ terminal platform at shunting speed
# an empty run between the far terminal and the depot, the whole line without stops (ESTIMATE:
# 13 km at a 60 km/h average); a rest long enough for two of them is spent in the depot
EMPTY_RUN_S = 780.0
LAYOVER_MAX_S = 1200.0  # a longer wait at a terminal ends the duty (depot / stabling)
SEPARATION_S = 40.0  # a follower may arrive at a platform no sooner after the leader left
RELIEF_AFTER_S = 4 * 3600.0  # relieved at the crew point after this long at the controls
MIN_REST_S = 3600.0  # a driver's rest before the next duty
DEFAULT_DRIVERS = 46  # main drivers of the driving department (public reporting)
DWELL_EXT_P = 0.3  # share of stops with an extended dwell
DWELL_EXT_MAX_S = 40.0
HOLD_P = 0.004  # share of stops with a long hold (about one a day per train in service)
HOLD_S = (60.0, 180.0)
LOAD_NOISE_SIGMA = 0.25  # per-trip lognormal spread of the load around the demand model
DAY_END_S = 2 * 86400.0  # legs run to here: nothing happens after the day's last arrival


class Mode(enum.StrEnum):
    """ICD ``mode`` values."""

    ATO = "ATO"
    ATP = "ATP"
    RM = "RM"
    DEPOT = "depot"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class TrainSample:
    """A train at one instant, in ICD terms (``track`` 1/2, km/h, doors, mode)."""

    train: str
    t_s: float
    pos_m: float
    track: int
    speed_kmh: float
    accel_mps2: float
    doors: str
    mode: Mode
    driver: str | None
    load_pct: float
    trip: str | None
    in_service: bool


@dataclass(frozen=True, slots=True)
class SimEvent:
    """An on-board event the schedule implies (cab logon/logoff, holds)."""

    t_s: float
    train: str
    kind: str  # an ICD event kind
    driver: str | None = None
    severity: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class StopTime:
    """Actual arrival and departure of a run at one station."""

    station: str
    arrive_s: float
    depart_s: float


@dataclass(frozen=True, slots=True)
class RunTimes:
    """One run of a train: a planned trip, or an empty positioning run (``trip is None``)."""

    trip: Trip | None
    direction: Direction
    block: int
    stops: tuple[StopTime, ...]

    @property
    def revenue(self) -> bool:
        return self.trip is not None


@dataclass(frozen=True, slots=True)
class Duty:
    """A driver at the controls of one train from ``on_s`` to ``off_s``."""

    train: str
    on_s: float
    off_s: float
    driver: str = ""


@dataclass(frozen=True, slots=True)
class _Leg:
    t0: float
    t1: float
    pos0: float
    pos1: float
    track: int
    doors: str
    mode: Mode
    trip: str | None = None
    load_pct: float = 0.0
    in_service: bool = False
    profile: RunProfile | None = None


@dataclass(frozen=True)
class TrainSim:
    """One train's day: legs (where/how), duties (who) and events; read with :meth:`state_at`."""

    train: str
    legs: tuple[_Leg, ...]
    duties: tuple[Duty, ...]
    runs: tuple[RunTimes, ...]
    events: tuple[SimEvent, ...]
    _leg_t0: list[float] = field(init=False, repr=False)
    _duty_on: list[float] = field(init=False, repr=False)
    _event_t: list[float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_leg_t0", [lg.t0 for lg in self.legs])
        object.__setattr__(self, "_duty_on", [d.on_s for d in self.duties])
        object.__setattr__(self, "_event_t", [e.t_s for e in self.events])

    def driver_at(self, t_s: float) -> str | None:
        i = bisect.bisect_right(self._duty_on, t_s) - 1
        if i >= 0 and t_s < self.duties[i].off_s:
            return self.duties[i].driver
        return None

    def state_at(self, t_s: float) -> TrainSample:
        """Where the train is at ``t_s`` (seconds after local midnight of the service date)."""
        i = max(bisect.bisect_right(self._leg_t0, t_s) - 1, 0)
        lg = self.legs[i]
        pos, v, a = lg.pos0, 0.0, 0.0
        if lg.profile is not None:
            s, v, a = lg.profile.at(t_s - lg.t0)
            sign = 1.0 if lg.pos1 >= lg.pos0 else -1.0
            pos = lg.pos0 + sign * s
        return TrainSample(
            train=self.train,
            t_s=t_s,
            pos_m=pos,
            track=lg.track,
            speed_kmh=v * 3.6,
            accel_mps2=a,
            doors=lg.doors,
            mode=lg.mode,
            driver=self.driver_at(t_s),
            load_pct=lg.load_pct,
            trip=lg.trip,
            in_service=lg.in_service,
        )

    def events_between(self, t0_s: float, t1_s: float) -> list[SimEvent]:
        """Events with ``t0_s < t <= t1_s``, in time order."""
        lo = bisect.bisect_right(self._event_t, t0_s)
        hi = bisect.bisect_right(self._event_t, t1_s)
        return list(self.events[lo:hi])


@dataclass(frozen=True)
class DaySchedule:
    """Every train's :class:`TrainSim` for one service date."""

    plan: DayPlan
    trains: dict[str, TrainSim]

    def states_at(self, t_s: float) -> dict[str, TrainSample]:
        return {tid: ts.state_at(t_s) for tid, ts in self.trains.items()}

    def in_service_at(self, t_s: float) -> int:
        return sum(1 for ts in self.trains.values() if ts.state_at(t_s).in_service)


# --- duties onto trains ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Block:
    id: int
    trips: tuple[Trip, ...]

    @property
    def origin(self) -> str:
        return self.trips[0].origin

    @property
    def start_s(self) -> int:
        return self.trips[0].depart_s


def _assign(line: Line, plan: DayPlan) -> list[tuple[_Block, str, bool]]:
    """Blocks in start order → (block, train, needs an empty run to its first terminal)."""
    by_block: dict[int, list[Trip]] = {}
    for tr in plan.trips:
        by_block.setdefault(tr.block, []).append(tr)
    blocks = sorted(
        (_Block(b, tuple(sorted(ts, key=lambda t: t.depart_s))) for b, ts in by_block.items()),
        key=lambda b: (b.start_s, b.id),
    )
    first_of: dict[str, str] = {}
    for b in blocks:
        first_of.setdefault(b.trips[0].train, b.origin)
    home = _depot_terminal(line)
    where = {t: first_of.get(t, home) for t in line.fleet.trains}
    free_at = dict.fromkeys(line.fleet.trains, -math.inf)
    trip_s, tb_min = line.trip_time_s, line.turnback_min_s
    out: list[tuple[_Block, str, bool]] = []
    for b in blocks:
        wanted = b.trips[0].train
        here = [
            t
            for t in line.fleet.trains
            if where[t] == b.origin and free_at[t] + tb_min <= b.start_s
        ]
        far = [
            t
            for t in line.fleet.trains
            if where[t] != b.origin and free_at[t] + trip_s + 2 * tb_min <= b.start_s
        ]
        if wanted in here:
            train, empty = wanted, False
        elif here:
            train, empty = min(here, key=lambda t: (free_at[t], t)), False
        elif far:
            train, empty = (
                (wanted if wanted in far else min(far, key=lambda t: (free_at[t], t))),
                True,
            )
        else:
            raise ValueError(f"no train can reach {b.origin} for block {b.id} at {b.start_s} s")
        out.append((b, train, empty))
        where[train] = b.trips[-1].destination
        free_at[train] = b.trips[-1].arrive_s
    return out


def _depot_terminal(line: Line) -> str:
    """The terminal nearest the depot: trains leave and enter the depot there."""
    first, last = line.stations[0], line.stations[-1]
    d_first = abs(line.depot.chainage_m - first.chainage_m)
    return first.id if d_first < abs(line.depot.chainage_m - last.chainage_m) else last.id


# --- timing ---------------------------------------------------------------------------------


@dataclass
class _RunPlan:
    train: str
    trip: Trip | None
    direction: Direction
    block: int
    planned_dep: float
    holds: list[tuple[float, str]] = field(default_factory=list)  # (t, event kind)
    times: RunTimes | None = None


def _time_runs(line: Line, runs: list[_RunPlan], rng: random.Random, perturb: bool) -> None:
    """Actual stop times of every run, in planned-departure order (leaders before followers)."""
    offsets = {d: line.arrival_offsets_s(d) for d in Direction}
    ready: dict[str, float] = {}
    left: dict[tuple[Direction, str], float] = {}  # last departure from a platform per track
    for r in sorted(runs, key=lambda r: (r.planned_dep, int(r.direction))):
        rows = offsets[r.direction]
        dep = max(r.planned_dep, ready.get(r.train, -math.inf))
        lead = left.get((r.direction, rows[0][0]))
        if lead is not None:
            dep = max(dep, lead + SEPARATION_S)
        arrs, deps = [dep], [dep]
        for k in range(1, len(rows)):
            sid, arr_off, dep_off = rows[k]
            run_s = arr_off - rows[k - 1][2]
            lead = left.get((r.direction, sid))
            last = k == len(rows) - 1
            if not last and lead is not None and deps[-1] + run_s < lead + SEPARATION_S:
                deps[-1] = lead + SEPARATION_S - run_s  # held at the previous platform
            arr = deps[-1] + run_s
            arrs.append(arr)
            if last:
                deps.append(arr)
                break
            dwell = float(line.dwell_s)
            if perturb:
                if rng.random() < DWELL_EXT_P:
                    dwell += rng.uniform(0, DWELL_EXT_MAX_S)
                if r.trip is not None and rng.random() < HOLD_P:
                    kind = rng.choice(("door_obstruction", "passenger_alarm"))
                    r.holds.append((arr + line.dwell_s, kind))
                    dwell += rng.uniform(*HOLD_S)
            deps.append(max(arr + dwell, r.planned_dep + dep_off))
        stops = tuple(StopTime(rows[k][0], arrs[k], deps[k]) for k in range(len(rows)))
        for st in stops[:-1]:
            left[(r.direction, st.station)] = st.depart_s
        ready[r.train] = arrs[-1] + line.turnback_min_s
        r.times = RunTimes(r.trip, r.direction, r.block, stops)


# --- legs and duties ------------------------------------------------------------------------


@dataclass
class _TrainBuilder:
    """Lays one train's legs and duty boundaries from its timed runs, in time order."""

    line: Line
    demand: Demand
    train: str
    legs: list[_Leg] = field(default_factory=list)
    duties: list[Duty] = field(default_factory=list)
    on_duty_since: float | None = None
    home: str = ""

    def __post_init__(self) -> None:
        self.home = _depot_terminal(self.line)
        self.in_depot = True  # every train starts the day in the depot
        self._idx = {s.id: i for i, s in enumerate(self.line.stations)}

    # --- primitives -----------------------------------------------------------------------
    def _ch(self, station: str) -> float:
        return self.line.station(station).chainage_m

    def _stand(
        self,
        t0: float,
        t1: float,
        pos: float,
        track: int,
        doors: str = "closed",
        mode: Mode = Mode.ATO,
        *,
        trip: str | None = None,
        load: float = 0.0,
        in_service: bool = False,
    ) -> None:
        if t1 > t0:
            self.legs.append(_Leg(t0, t1, pos, pos, track, doors, mode, trip, load, in_service))

    def _move(
        self,
        t0: float,
        t1: float,
        x0: float,
        x1: float,
        track: int,
        mode: Mode = Mode.ATO,
        *,
        trip: str | None = None,
        load: float = 0.0,
        in_service: bool = False,
    ) -> None:
        ln = self.line
        prof = plan_run(abs(x1 - x0), t1 - t0, ln.accel_mps2, ln.decel_mps2, ln.max_speed_kmh / 3.6)
        self.legs.append(_Leg(t0, t1, x0, x1, track, "closed", mode, trip, load, in_service, prof))

    def _logon(self, t: float) -> None:
        self.on_duty_since = t

    def _logoff(self, t: float) -> None:
        if self.on_duty_since is not None:
            self.duties.append(Duty(self.train, self.on_duty_since, t))
        self.on_duty_since = None

    def _departure_track(self, station: str) -> int:
        first = station == self.line.stations[0].id
        return int(Direction.OUTBOUND if first else Direction.INBOUND)

    def _load(self, t: float, d: Direction, section: int, headway: float, noise: float) -> float:
        pct = self.demand.load_pct(t, d, section, headway) * noise
        return round(min(max(pct, 0.0), 150.0), 1)

    def _section_after(self, station: str, d: Direction) -> int:
        """The section a train leaving ``station`` in direction ``d`` runs on."""
        i = self._idx[station]
        return i if d is Direction.OUTBOUND else i - 1

    # --- the story ------------------------------------------------------------------------
    def rest(self, t0: float, t1: float, at: str) -> None:
        """In the depot (powered off there), or — a short rest at the far terminal, too short
        for an empty run to the depot and back — stabled at its platform."""
        if at == self.home or self.in_depot:
            pos = self.line.depot.chainage_m
            self._stand(t0, t1, pos, int(Direction.OUTBOUND), mode=Mode.DEPOT)
        else:
            self._stand(t0, t1, self._ch(at), self._departure_track(at), mode=Mode.OFF)

    def start_duty(self, t_rest: float, leaving: RunTimes, first_load: float) -> None:
        """From rest (since ``t_rest``) to departing on ``leaving``: log on, out, board."""
        at, dep = leaving.stops[0].station, leaving.stops[0].depart_s
        from_far_depot = self.in_depot and at != self.home
        on = max(dep - PREP_S - (EMPTY_RUN_S if from_far_depot else 0.0), t_rest)
        self.rest(t_rest, on, at)
        self._logon(on)
        track, plat, t = self._departure_track(at), self._ch(at), on
        if at == self.home:
            self._move(t, t + DEPOT_MOVE_S, self.line.depot.chainage_m, plat, track, Mode.RM)
            t += DEPOT_MOVE_S
        elif from_far_depot:  # empty, the length of the line
            self._move(t, t + EMPTY_RUN_S, self.line.depot.chainage_m, plat, track, Mode.RM)
            t += EMPTY_RUN_S
        self.in_depot = False
        board = max(dep - BOARD_S, t)
        self._stand(t, board, plat, track)
        self._stand(
            board,
            dep,
            plat,
            track,
            "open" if leaving.revenue else "closed",
            trip=leaving.trip.id if leaving.trip else None,
            load=first_load,
            in_service=leaving.revenue,
        )

    def end_duty(
        self, arr: float, at: str, track: int, revenue: bool, *, to_depot: bool = False
    ) -> float:
        """From arriving ``at`` to rest: alight, into the depot (from the far terminal only
        with ``to_depot``: an empty run), log off. Returns when at rest."""
        plat = self._ch(at)
        doors = "open" if revenue else "closed"
        self._stand(arr, arr + ALIGHT_S, plat, track, doors, in_service=revenue)
        t = arr + ALIGHT_S
        depot = self.line.depot.chainage_m
        if at == self.home:
            self._move(t, t + DEPOT_MOVE_S, plat, depot, track, Mode.RM)
            t += DEPOT_MOVE_S
            self.in_depot = True
        elif to_depot:
            self._move(t, t + EMPTY_RUN_S, plat, depot, int(Direction.OUTBOUND), Mode.RM)
            t += EMPTY_RUN_S
            self.in_depot = True
        self._logoff(t)
        return t

    def turnback(
        self,
        arriving: RunTimes,
        leaving: RunTimes,
        first_load: float,
        relief: bool,
    ) -> None:
        """Doors open (alight), change ends onto the other track, doors open (board), depart.

        With ``relief`` one driver logs off once the passengers are out and the next logs on.
        """
        arr, dep = arriving.stops[-1].arrive_s, leaving.stops[0].depart_s
        plat = self._ch(leaving.stops[0].station)
        scale = min(1.0, max(dep - arr, 0.0) / (ALIGHT_S + BOARD_S))
        alight, board = arr + ALIGHT_S * scale, dep - BOARD_S * scale
        in_track, out_track = int(arriving.direction), int(leaving.direction)
        self._stand(
            arr,
            alight,
            plat,
            in_track,
            "open" if arriving.revenue else "closed",
            in_service=arriving.revenue,
        )
        self._stand(alight, board, plat, out_track, in_service=arriving.revenue and leaving.revenue)
        self._stand(
            board,
            dep,
            plat,
            out_track,
            "open" if leaving.revenue else "closed",
            trip=leaving.trip.id if leaving.trip else None,
            load=first_load,
            in_service=leaving.revenue,
        )
        if relief:
            self._logoff(alight)
            self._logon(min(alight + RELIEF_GAP_S, max(board, alight)))

    def run(self, rt: RunTimes, noise: float) -> None:
        """Stop-to-stop runs and dwells of one run (its origin departure is laid by the caller)."""
        trip_id = rt.trip.id if rt.trip else None
        headway = rt.trip.headway_s if rt.trip else 0
        track = int(rt.direction)
        last = len(rt.stops) - 1
        for k, (a, b) in enumerate(zip(rt.stops, rt.stops[1:], strict=False), start=1):
            section = self._section_after(a.station, rt.direction)
            load = (
                self._load(a.depart_s, rt.direction, section, headway, noise) if rt.revenue else 0
            )
            x0, x1 = self._ch(a.station), self._ch(b.station)
            self._move(
                a.depart_s,
                b.arrive_s,
                x0,
                x1,
                track,
                trip=trip_id,
                load=load,
                in_service=rt.revenue,
            )
            if k < last:  # dwell: doors open, the load of the section ahead boarded
                section = self._section_after(b.station, rt.direction)
                load = (
                    self._load(b.arrive_s, rt.direction, section, headway, noise)
                    if rt.revenue
                    else 0
                )
                self._stand(
                    b.arrive_s,
                    b.depart_s,
                    x1,
                    track,
                    "open" if rt.revenue else "closed",
                    trip=trip_id,
                    load=load,
                    in_service=rt.revenue,
                )

    def first_load(self, rt: RunTimes, noise: float) -> float:
        """The load boarding at the origin terminal."""
        if rt.trip is None:
            return 0.0
        origin = rt.stops[0]
        section = self._section_after(origin.station, rt.direction)
        return self._load(origin.depart_s, rt.direction, section, rt.trip.headway_s, noise)


# --- the day --------------------------------------------------------------------------------


def _assign_drivers(duties: Iterable[Duty], n_drivers: int, rng: random.Random) -> list[Duty]:
    """Staff ids onto duties in logon order: first rested, first out (D001…)."""
    ids = [f"D{i:03d}" for i in range(1, n_drivers + 1)]
    rng.shuffle(ids)
    ready: deque[str] = deque(ids)
    resting: list[tuple[float, str]] = []
    out: list[Duty] = []
    for d in sorted(duties, key=lambda d: (d.on_s, d.train)):
        resting.sort()
        while resting and resting[0][0] <= d.on_s:
            ready.append(resting.pop(0)[1])
        # short of rested drivers: the one closest to the end of rest works overtime
        driver = ready.popleft() if ready else resting.pop(0)[1]
        out.append(Duty(d.train, d.on_s, d.off_s, driver))
        resting.append((d.off_s + MIN_REST_S, driver))
    return out


def build_day(
    line: Line,
    plan: DayPlan,
    demand: Demand | None = None,
    *,
    seed: int = 0,
    perturb: bool = True,
    drivers: int = DEFAULT_DRIVERS,
) -> DaySchedule:
    """Play out a service date's plan for the whole fleet (deterministic for a seed).

    ``perturb=False`` runs exactly to plan: no dwell extensions, holds or load noise.
    """
    demand = demand or Demand(line)
    rng = random.Random(f"metro-emulator:{seed}:{plan.service_date.isoformat()}")
    home = _depot_terminal(line)
    runs: list[_RunPlan] = []
    for block, train, empty in _assign(line, plan):
        first = block.trips[0]
        if empty:
            back = (
                Direction.INBOUND if first.direction is Direction.OUTBOUND else Direction.OUTBOUND
            )
            dep = first.depart_s - line.trip_time_s - line.turnback_s
            runs.append(_RunPlan(train, None, back, block.id, dep))
        runs += [_RunPlan(train, tr, tr.direction, block.id, tr.depart_s) for tr in block.trips]
    _time_runs(line, runs, rng, perturb)

    builders: dict[str, _TrainBuilder] = {}
    holds: dict[str, list[tuple[float, str, str]]] = {t: [] for t in line.fleet.trains}
    for train in line.fleet.trains:
        b = builders[train] = _TrainBuilder(line, demand, train)
        mine = sorted((r for r in runs if r.train == train), key=lambda r: r.planned_dep)
        prev: RunTimes | None = None
        for r in mine:
            rt = r.times
            assert rt is not None
            holds[train] += [(t, kind, _station_at(rt, t)) for t, kind in r.holds]
            noise = rng.lognormvariate(0.0, LOAD_NOISE_SIGMA) if perturb else 1.0
            origin, dep = rt.stops[0].station, rt.stops[0].depart_s
            first_load = b.first_load(rt, noise)
            if prev is None:
                b.start_duty(0.0, rt, first_load)
            else:
                arr, dest = prev.stops[-1].arrive_s, prev.stops[-1].station
                # a rest at the far terminal too short for the empty runs to the depot and
                # back is a long layover, crewed: no train stands powered off on a platform
                far = dep - arr > 2 * EMPTY_RUN_S + ALIGHT_S + PREP_S
                if dest == origin and (dep - arr <= LAYOVER_MAX_S or (dest != home and not far)):
                    on = b.on_duty_since if b.on_duty_since is not None else arr
                    # a new block is a new duty; at the crew point a long duty is relieved
                    relief = prev.block != rt.block or (dest == home and arr - on >= RELIEF_AFTER_S)
                    b.turnback(prev, rt, first_load, relief)
                else:
                    if dest != origin:
                        raise ValueError(
                            f"{train}: a run starts at {origin}, the train is at {dest}"
                        )
                    rest = b.end_duty(arr, dest, int(prev.direction), prev.revenue, to_depot=far)
                    b.start_duty(rest, rt, first_load)
            b.run(rt, noise)
            prev = rt
        if prev is None:
            b.rest(0.0, DAY_END_S, home)
        else:
            last = prev.stops[-1]
            # after the last trip every train goes to the depot for the night
            rest = b.end_duty(
                last.arrive_s, last.station, int(prev.direction), prev.revenue, to_depot=True
            )
            b.rest(rest, DAY_END_S, last.station)

    named = _assign_drivers((d for b in builders.values() for d in b.duties), drivers, rng)
    trains: dict[str, TrainSim] = {}
    for train, b in builders.items():
        duties = tuple(d for d in named if d.train == train)
        events: list[SimEvent] = []
        for d in duties:
            events.append(SimEvent(d.on_s, train, "cab_logon", d.driver))
            events.append(SimEvent(d.off_s, train, "cab_logoff", d.driver))
        probe = TrainSim(train, tuple(b.legs), duties, (), ())
        for t, kind, station in holds[train]:
            sev, what = (
                ("minor", "door obstruction")
                if kind == "door_obstruction"
                else ("major", "passenger alarm")
            )
            events.append(SimEvent(t, train, kind, probe.driver_at(t), sev, f"{what} at {station}"))
        events.sort(key=lambda e: e.t_s)
        train_runs = tuple(
            r.times
            for r in sorted(runs, key=lambda r: r.planned_dep)
            if r.train == train and r.times is not None
        )
        trains[train] = TrainSim(train, tuple(b.legs), duties, train_runs, tuple(events))
    return DaySchedule(plan, trains)


def _station_at(rt: RunTimes, t: float) -> str:
    for st in rt.stops:
        if st.arrive_s <= t <= st.depart_s:
            return st.station
    return rt.stops[0].station
