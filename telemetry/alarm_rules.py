"""The live line's alarm rules: which condition raises which alarm, at what priority, saying what.

:class:`~telemetry.state.LineState` decides *that* something happened (a fault event, a train
gone silent, a headway opening up); :class:`LineAlarms` turns it into an alarm on the
:class:`~telemetry.alarms.AlarmBook`: the condition's key, its priority and its text as a
catalogue message (:mod:`line.catalogue`; rendered in either language at the edge).

Keys name the condition, so raising one again while it is open makes no second alarm:
``train:{id}:stale``, ``train:{id}:fault:{code}``, ``train:{id}:{event}:{seq}``,
``train:{id}:offline``, ``train:{id}:driver_not_cleared``, ``train:{id}:no_driver``,
``train:{id}:seq_loss``, ``substation:{id}:{point}:{kind}``, ``substation:{id}:stale``,
``headway:{follower}:{gap|bunching}``.
"""

from __future__ import annotations

from line.catalogue import Message, name_of
from telemetry.alarms import Alarm, AlarmBook, Priority
from telemetry.faults import fault_text
from telemetry.registers import Violation
from telemetry.schemas import EventKind, Severity

_EVENT_PRIORITY = {
    Severity.CRITICAL: Priority.CRITICAL,
    Severity.MAJOR: Priority.HIGH,
    Severity.MINOR: Priority.LOW,
}
UNSPECIFIED_FAULT = "unspecified"  # alarm key part of a fault event without a code
# one-shot events of a train: raised and returned at once, on the board until acknowledged
_ONE_SHOT = {
    EventKind.EMERGENCY_BRAKE: ("alarm.train.emergency_brake", Priority.CRITICAL),
    EventKind.DOOR_OBSTRUCTION: ("alarm.train.door_obstruction", Priority.HIGH),
    EventKind.PASSENGER_ALARM: ("alarm.train.passenger_alarm", Priority.HIGH),
}
_STALE_REASONS = frozenset({"no_answer", "frozen_heartbeat"})


def _detail(text: str | None) -> Message | None:
    return Message("alarm.detail", {"text": text}) if text else None


def seq_ranges(ranges: list[tuple[int, int]] | list[list[int]]) -> str:
    """``3–4, 7, 10–19``: seq ranges as the operator reads them."""
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges)


#: ICD ``mode`` values of a train out of passenger service (docs/icd.md).
OUT_OF_SERVICE_MODES = frozenset({"depot", "off"})

#: Kinds of the alarms saying a train's driver may not drive it (the crew screens show them).
DRIVER_ALARM_KINDS = frozenset({"driver_not_cleared", "no_driver"})


class LineAlarms:
    """The alarm rules of the live line, raising and clearing on ``book``."""

    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    # --- train state --------------------------------------------------------------------------
    def train_mode(self, train: str, mode: str) -> None:
        """Suppression by design: a train in the depot or switched off (ICD ``mode`` ``depot``
        / ``off``) is out of service, its alarms are suppressed until it is in service again."""
        self.book.suppress_train(train, mode in OUT_OF_SERVICE_MODES)

    # --- train events -------------------------------------------------------------------------
    def fault_raised(
        self, train: str, code: str | None, severity: Severity | None, detail: str | None
    ) -> None:
        # the ICD makes ``code`` optional: a fault without one is still a fault (its own
        # condition, cleared by a fault_cleared without a code)
        prio = _EVENT_PRIORITY.get(severity or Severity.MAJOR, Priority.HIGH)
        if code:
            # a code of the ICD's table is described in the reader's language; the unit's own
            # words (English from the emulator) only for a code the table does not know
            known = fault_text(code)
            said = Message("alarm.detail", {"text": known}) if known else _detail(detail)
            text = Message("alarm.train.fault", {"train": train, "fault": code, "detail": said})
        else:
            text = Message("alarm.train.fault_no_code", {"train": train, "detail": _detail(detail)})
        self.book.raise_alarm(f"train:{train}:fault:{code or UNSPECIFIED_FAULT}", prio, train, text)

    def fault_cleared(self, train: str, code: str | None) -> None:
        self.book.clear(f"train:{train}:fault:{code or UNSPECIFIED_FAULT}")

    def one_shot(self, train: str, kind: EventKind, seq: int) -> None:
        """An emergency brake, door obstruction or passenger alarm: on the board until
        acknowledged (returned-unacked at once)."""
        code, prio = _ONE_SHOT[kind]
        key = f"train:{train}:{kind.value}:{seq}"
        self.book.raise_alarm(key, prio, train, Message(code, {"train": train}))
        self.book.clear(key)

    def offline(self, train: str, in_service: bool) -> None:
        """The on-board unit went offline (its will): alarmed only for a train in service."""
        if in_service:
            self.book.raise_alarm(
                f"train:{train}:offline",
                Priority.HIGH,
                train,
                Message("alarm.train.offline", {"train": train}),
            )

    def online(self, train: str) -> None:
        self.book.clear(f"train:{train}:offline")

    # --- drivers ------------------------------------------------------------------------------
    def driver_cleared(self, train: str) -> None:
        self.book.clear(f"train:{train}:driver_not_cleared")

    def driver_not_cleared(self, train: str, driver: str, reasons: tuple[Message, ...]) -> None:
        self.book.raise_alarm(
            f"train:{train}:driver_not_cleared",
            Priority.CRITICAL,
            train,
            Message(
                "alarm.train.driver_not_cleared",
                {"train": train, "driver": driver, "reasons": reasons},
            ),
        )

    def driverless(self, train: str, without_driver: bool) -> None:
        """A train in passenger service with nobody logged on at the active cab."""
        key = f"train:{train}:no_driver"
        if without_driver:
            self.book.raise_alarm(
                key, Priority.CRITICAL, train, Message("alarm.train.no_driver", {"train": train})
            )
        elif self.book.is_active(key):
            self.book.clear(key)

    # --- telemetry gone silent, messages lost --------------------------------------------------
    def stale_key(self, train: str) -> str:
        return f"train:{train}:stale"

    def train_stale(self, train: str, age_s: float, in_service: bool) -> None:
        """No telemetry for ``age_s``: HIGH in service, LOW otherwise (raised once)."""
        key = self.stale_key(train)
        if self.book.is_active(key):
            return
        self.book.raise_alarm(
            key,
            Priority.HIGH if in_service else Priority.LOW,
            train,
            Message("alarm.train.stale", {"train": train, "age_s": age_s}),
        )

    def train_fresh(self, train: str) -> None:
        self.book.clear(self.stale_key(train))

    def seq_loss(self, train: str, lost: int, shown: str) -> Alarm | None:
        """Messages that never arrived: raised and returned at once (like an emergency brake),
        so it stays on the board until acknowledged; a raise before that re-annunciates it."""
        key = f"train:{train}:seq_loss"
        alarm = self.book.raise_alarm(
            key,
            Priority.LOW,
            train,
            Message("alarm.train.seq_loss", {"train": train, "n": lost, "ranges": shown}),
        )
        self.book.clear(key)
        return alarm

    # --- substations --------------------------------------------------------------------------
    def substation_limits(
        self, device: str, name: str, violations: list[Violation], active: set[str]
    ) -> set[str]:
        """Raise an alarm per limit violated now, clear those of ``active`` no longer; returns
        the keys active now."""
        now: set[str] = set()
        for v in violations:
            key = f"substation:{device}:{v.point}:{v.kind}"
            now.add(key)
            limit = None
            if v.limit is not None:
                limit = Message("alarm.substation.limit_value", {"limit": v.limit, "unit": v.unit})
            self.book.raise_alarm(
                key,
                Priority.HIGH if v.kind in ("low", "bit") else Priority.MEDIUM,
                device,
                Message(
                    "alarm.substation.limit",
                    {
                        "device": device,
                        "name": name,
                        # the point by its name in words (a point the catalogue does not
                        # name, from a register map of another device, by its id)
                        "point": name_of("alarm.point", v.point),
                        "value": v.value,
                        "unit": v.unit,
                        "limit": limit,
                    },
                ),
            )
        for key in active - now:
            self.book.clear(key)
        return now

    def substation_stale(self, device: str, name: str, healthy: bool, reason: str) -> None:
        key = f"substation:{device}:stale"
        if healthy:
            self.book.clear(key)
            return
        why: str | Message = reason
        if reason in _STALE_REASONS:
            why = Message(f"alarm.substation.stale.{reason}")
        self.book.raise_alarm(
            key,
            Priority.HIGH,
            device,
            Message("alarm.substation.stale", {"device": device, "name": name, "reason": why}),
        )

    # --- headways -----------------------------------------------------------------------------
    def headway(
        self, track: int, leader: str, follower: str, status: str, headway_s: float, planned_s: int
    ) -> str:
        """A gap or bunching behind ``leader``; returns the condition's key."""
        key = f"headway:{follower}:{status}"
        self.book.raise_alarm(
            key,
            Priority.MEDIUM if status == "gap" else Priority.LOW,
            f"track {track}",
            Message(
                f"alarm.headway.{status}",
                {
                    "leader": leader,
                    "follower": follower,
                    "minutes": headway_s / 60,
                    "planned_min": planned_s / 60,
                },
            ),
        )
        return key

    def headways_ok(self, trains: list[str], flagged: set[str]) -> None:
        """Clear the gap and bunching alarms not in ``flagged``."""
        for train in trains:
            for status in ("gap", "bunching"):
                key = f"headway:{train}:{status}"
                if key not in flagged and self.book.is_active(key):
                    self.book.clear(key)
