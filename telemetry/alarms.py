"""Alarms for the control room, following the ISA-18.2 alarm state model (and EEMUA 191 rates).

One :class:`Alarm` per *condition* (its ``key``, e.g. ``"train:T05:stale"``): while the alarm for
a key is open, raising that key again does not create a second alarm. Pure, synchronous logic
driven by an injected millisecond clock, so tests control time; nothing here does I/O.

States (ISA-18.2 letters in brackets; latching and out-of-service are not modelled;
suppression by design is a flag beside the state, see below)::

                raise                 ack
    [A] NORMAL ──────► [B] UNACK ─────────► [C] ACKED
        ▲                │   ▲                 │
        │ ack      clear │   │ raise            │ clear
        │                ▼   │ (re-activate)   │
        └──────────── [D] RTN_UNACK            └──────► [A] NORMAL
    any of B, C, D ── shelve ──► [F] SHELVED ── unshelve / expiry ──► B if the condition is
                                                                     active now, else A

NORMAL is not an open state: an alarm reaching it leaves :meth:`AlarmBook.active` and is kept in
:meth:`AlarmBook.history`; the next raise of its key makes a new alarm with a new id.

Choices, and why:

- **Unshelving re-annunciates.** When a shelve ends (by hand or on expiry) the alarm goes to
  where its condition is *now*: still active → UNACK, even if it had been acknowledged before it
  was shelved, because the operator has not been watching it while it was hidden (ISA-18.2
  unshelve transition F→B); returned → NORMAL (F→A), no acknowledgement needed. The earlier
  acknowledgement stays in the alarm's ``events`` journal.
- **Shelving hides, it does not forget.** While shelved the condition is still tracked: it may
  clear (``active`` becomes False) and return (True again) without annunciating and without a
  second alarm; the state stays SHELVED until the shelve ends.
- **Rate counts annunciations**: a new alarm, a re-activation from RTN_UNACK (a chattering
  condition counts every time) and a re-annunciation when a shelve ends. A condition returning
  while shelved is not annunciated, so it is not counted. Flood is EEMUA 191's "more than 10
  alarms in 10 minutes" with the threshold configurable.
- **A re-activation carries the new priority and message** (e.g. a stale train that entered
  service is now HIGH, not LOW) and moves ``raised_ms`` to the new annunciation, so "newest first"
  shows it where the operator expects; ``annunciations`` tells a chattering alarm apart.
- **Shelving is bounded and justified**: a reason and an expiry are required (EEMUA 191: shelved
  alarms must be reviewed, never forgotten), at most ``max_shelve_ms`` ahead (default 8 h, one
  shift).
- **Shelving P1/P2 takes two people** (ISA-18.2 requires shelving to be administratively
  controlled; EEMUA 191 asks for authorisation of shelving important alarms). A control room
  works in pairs on a shift and its admin accounts belong to IT, not to the shift: so the rule
  is the four-eyes one, not "admins only". :meth:`shelve` on a P1/P2 alarm records a *request*
  (``shelve_request``) and changes nothing else: the alarm stays on the list and annunciated;
  :meth:`approve_shelve` by a *different* user shelves it, for the requested duration counted
  from the approval. A request lapses after ``SHELVE_REQUEST_TTL_MS`` (an approval of a stale
  request would shelve something nobody looked at recently); a new request replaces an old one.
  P1/P2 also need a reason of substance (:func:`reason_problem`) and are shelved for at most
  ``max_shelve_high_ms`` (default 60 min, shorter than the shift for P3/P4: an important alarm
  must come back for review within the hour).
- **Suppression by design** (ISA-18.2 "designed suppression"): the alarms of a train that is in
  the depot or out of service (:meth:`suppress_train`, driven by the live state through the
  alarm rules) are *suppressed*: still listed (``suppressed`` is True, the board shows them
  greyed in a collapsed group, never hidden), but not annunciated, not counted in the rate or
  in ``shown``/``unacked``, and not acknowledged in bulk. When the train enters service again
  they come back: an alarm still active and unacknowledged is annunciated then (counted).
  Kinds in ``never_suppress`` stay annunciated in any state (e.g. a driver not cleared, which
  matters before the train leaves the depot).
- ``on_change`` is called after every change an operator can see (state, ack, shelve, a shelved
  condition clearing or returning, comments). An exception from it is logged and swallowed: the
  change has happened, and an operator's ack must not fail because a subscriber did.

Errors::

    AlarmError
     ├── AlarmNotFound       (also LookupError) no alarm with that id, or aged out of history
     ├── InvalidTransition   the alarm's state does not allow it ("already acknowledged")
     └── InvalidRequest      (also ValueError) bad arguments: no reason, expiry in the past, ...
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

import structlog

from line.catalogue import Message, Refusal, render_both
from line.clock import Clock
from telemetry.faults import described

log = structlog.get_logger(__name__)

RATE_WINDOW_MS = 10 * 60 * 1000
DEFAULT_MAX_SHELVE_MS = 8 * 3600 * 1000  # one shift
DEFAULT_MAX_SHELVE_HIGH_MS = 60 * 60 * 1000  # P1/P2: back for review within the hour
SHELVE_REQUEST_TTL_MS = 15 * 60 * 1000  # an unapproved P1/P2 shelve request lapses
#: A reason of substance (P1/P2 shelving): at least this many characters, at least two
#: different words and this many different letters/digits (so "aaaaaaaaaaaaaaa",
#: "test test test test" or "asdf asdf asdf" are refused).
MIN_REASON_CHARS = 15
MIN_REASON_DISTINCT = 6
MAX_EVENTS_PER_ALARM = 100  # journal bound: a chattering alarm must not grow without limit
SYSTEM_USER = "system"


class AlarmState(StrEnum):
    """Open states of an alarm. NORMAL (returned and acknowledged) means it is in history."""

    UNACK = "unack"
    ACKED = "acked"
    RTN_UNACK = "rtn_unack"
    SHELVED = "shelved"
    NORMAL = "normal"


class Priority(IntEnum):
    """Lower value = more urgent (sorts first)."""

    CRITICAL = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4


class AlarmError(Refusal):
    """Base of the errors of alarm operations (``message``: why, as a catalogue message)."""


class AlarmNotFound(AlarmError, LookupError):
    """No alarm with that id (never existed, or aged out of history)."""


class InvalidTransition(AlarmError):
    """The alarm's current state does not allow the operation."""


class InvalidRequest(AlarmError, ValueError):
    """The operation's arguments are not acceptable (missing reason, bad expiry, empty user)."""


@dataclass(frozen=True, slots=True)
class Comment:
    user: str
    ts_ms: int
    text: str


@dataclass(frozen=True, slots=True)
class ShelveRequest:
    """A P1/P2 shelve waiting for a second person's approval."""

    user: str
    reason: str
    duration_ms: int
    ts_ms: int


def reason_problem(reason: str) -> Message | None:
    """Why ``reason`` is not a reason of substance for shelving a P1/P2 alarm, or None.

    The rule (documented in README "Alarm management"): after collapsing whitespace at least
    :data:`MIN_REASON_CHARS` characters, at least two different words, and at least
    :data:`MIN_REASON_DISTINCT` different letters or digits.
    """
    text = " ".join(reason.split())
    if len(text) < MIN_REASON_CHARS:
        return Message("alarm.refused.reason_short", {"min": MIN_REASON_CHARS, "got": len(text)})
    words = {w.casefold() for w in text.split() if any(c.isalnum() for c in w)}
    distinct = {c.casefold() for c in text if c.isalnum()}
    if len(words) < 2 or len(distinct) < MIN_REASON_DISTINCT:
        return Message("alarm.refused.reason_filler")
    return None


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One line of an alarm's journal: what happened, when, and who did it (None: the field).

    ``detail`` is what a person wrote (a shelve reason), kept as written; ``note`` is what the
    system adds (for how long, why it was suppressed), a catalogue message rendered in the
    reader's language.
    """

    ts_ms: int
    what: str  # raised, reactivated, cleared, acked, shelved, unshelved, shelve_expired, ...
    user: str | None = None
    detail: str | None = None
    note: Message | None = None


#: Key scopes whose second segment names a train, and those whose second segment names a
#: field device or unit (substation, on-board unit clock, system dependency).
_TRAIN_SCOPES = frozenset({"train", "headway"})
_DEVICE_SCOPES = frozenset({"substation", "clock", "system"})
#: Scopes named in ``kind`` (for "train" and "substation" the subject says it already).
_BARE_SCOPES = frozenset({"train", "substation"})


@dataclass(frozen=True, slots=True)
class AlarmSubject:
    """What an alarm is about, as fields: the train or the device, and the condition's kind.

    ``kind`` is the key without its subject: ``train:T05:fault:E12`` → train T05, kind
    ``fault:E12``; ``substation:SS1:dc_voltage_v:low`` → device SS1, kind ``dc_voltage_v:low``;
    ``headway:T05:gap`` → train T05, kind ``headway:gap``; ``clock:T05-OBU:skew`` → device,
    kind ``clock:skew``; a key of another form is its own kind. Made once, where the alarm is
    raised, so no client parses keys.
    """

    train: str | None
    device: str | None
    kind: str

    @classmethod
    def of_key(cls, key: str) -> AlarmSubject:
        parts = key.split(":", 2)
        if len(parts) < 3 or not parts[1]:
            return cls(None, None, key)
        scope, who, rest = parts
        kind = rest if scope in _BARE_SCOPES else f"{scope}:{rest}"
        if scope in _TRAIN_SCOPES:
            return cls(who, None, kind)
        if scope in _DEVICE_SCOPES:
            return cls(None, who, kind)
        return cls(None, None, key)


@dataclass(slots=True)
class Alarm:
    """One alarm of one condition, as the operator sees it."""

    id: int
    key: str
    source: str
    priority: Priority
    text: Message  # what the operator reads, as a catalogue code and its parameters
    raised_ms: int  # latest annunciation
    state: AlarmState
    active: bool  # the condition is present now
    acked_by: str | None = None
    acked_ms: int | None = None
    cleared_ms: int | None = None
    shelved_by: str | None = None
    shelved_until_ms: int | None = None
    shelve_reason: str | None = None
    comments: list[Comment] = field(default_factory=list)
    first_raised_ms: int = 0
    annunciations: int = 1
    events: list[AlarmEvent] = field(default_factory=list)
    subject: AlarmSubject | None = None  # None: made from the key
    suppressed: bool = False  # suppressed by design (its train is in the depot / out of service)
    shelve_request: ShelveRequest | None = None  # P1/P2: waiting for a second person
    # ``text`` rendered (vi, en), and the message it was rendered from: the board serialises
    # every open alarm on each tick, the text changes only when the condition is raised again
    _rendered: tuple[Message, str, str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.subject is None:
            self.subject = AlarmSubject.of_key(self.key)

    def _texts(self) -> tuple[Message, str, str]:
        r = self._rendered
        if r is None or r[0] is not self.text:
            r = self._rendered = (self.text, *render_both(self.text))
        return r

    @property
    def message(self) -> str:
        """The text in Vietnamese, rendered from the catalogue."""
        return self._texts()[1]

    @property
    def message_en(self) -> str:
        """The text in English, rendered from the catalogue."""
        return self._texts()[2]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the API, the websocket and the saved alarm book.

        ``code`` and ``params`` are the text as data; ``message`` (Vietnamese) and
        ``message_en`` are it rendered, both: the board's frames are serialised once for
        every client, and each client's language switch picks one.
        """
        subject = self.subject or AlarmSubject.of_key(self.key)
        return {
            "id": self.id,
            "key": self.key,
            "train": subject.train,
            "device": subject.device,
            "kind": subject.kind,
            "source": self.source,
            "priority": int(self.priority),
            "priority_name": self.priority.name.lower(),
            **self.text.to_json(),
            "message": self.message,
            "message_en": self.message_en,
            "raised_ms": self.raised_ms,
            "first_raised_ms": self.first_raised_ms,
            "annunciations": self.annunciations,
            "state": self.state.value,
            "active": self.active,
            "acked_by": self.acked_by,
            "acked_ms": self.acked_ms,
            "cleared_ms": self.cleared_ms,
            "shelved_by": self.shelved_by,
            "shelved_until_ms": self.shelved_until_ms,
            "shelve_reason": self.shelve_reason,
            "suppressed": self.suppressed,
            "shelve_request": None
            if self.shelve_request is None
            else {
                "user": self.shelve_request.user,
                "reason": self.shelve_request.reason,
                "minutes": self.shelve_request.duration_ms / 60_000,
                "ts_ms": self.shelve_request.ts_ms,
            },
            "comments": [{"user": c.user, "ts_ms": c.ts_ms, "text": c.text} for c in self.comments],
            "events": [
                {
                    "ts_ms": e.ts_ms,
                    "what": e.what,
                    "user": e.user,
                    "detail": e.detail,
                    "note": None if e.note is None else e.note.to_json(),
                }
                for e in self.events
            ],
        }


def alarm_from_dict(d: dict[str, Any]) -> Alarm:
    """The inverse of :meth:`Alarm.to_dict` (restoring a saved alarm book).

    A book saved before the catalogue has only the two rendered texts: they are kept as they
    were (code ``alarm.saved_text``).
    """
    if "code" in d:
        text = described(Message.from_json(d))
    else:
        text = Message("alarm.saved_text", {"vi": str(d["message"]), "en": str(d["message_en"])})
    return Alarm(
        id=int(d["id"]),
        key=str(d["key"]),
        source=str(d["source"]),
        priority=Priority(int(d["priority"])),
        text=text,
        raised_ms=int(d["raised_ms"]),
        state=AlarmState(d["state"]),
        active=bool(d["active"]),
        acked_by=d.get("acked_by"),
        acked_ms=d.get("acked_ms"),
        cleared_ms=d.get("cleared_ms"),
        shelved_by=d.get("shelved_by"),
        shelved_until_ms=d.get("shelved_until_ms"),
        shelve_reason=d.get("shelve_reason"),
        comments=[Comment(c["user"], int(c["ts_ms"]), c["text"]) for c in d.get("comments", [])],
        first_raised_ms=int(d.get("first_raised_ms", d["raised_ms"])),
        annunciations=int(d.get("annunciations", 1)),
        suppressed=bool(d.get("suppressed", False)),
        shelve_request=_request_from_dict(d.get("shelve_request")),
        events=[
            AlarmEvent(
                int(e["ts_ms"]),
                e["what"],
                e.get("user"),
                e.get("detail"),
                None if not e.get("note") else Message.from_json(e["note"]),
            )
            for e in d.get("events", [])
        ],
    )


def _request_from_dict(d: dict[str, Any] | None) -> ShelveRequest | None:
    if not d:
        return None
    return ShelveRequest(
        str(d["user"]), str(d["reason"]), int(float(d["minutes"]) * 60_000), int(d["ts_ms"])
    )


def _duration_msg(ms: int) -> Message:
    """A duration as people say it: ``9 giờ 30 phút`` / ``9 h 30 min``, ``45 phút``, ``20 giây``."""
    s = round(max(0, ms) / 1000)  # to the nearest second: the clock moved a few ms since asked
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return (
            Message("time.duration.hm", {"h": h, "m": m})
            if m
            else Message("time.duration.h", {"h": h})
        )
    if m:
        return Message("time.duration.m", {"m": m})
    return Message("time.duration.s", {"s": sec})


def _required(value: str, what: Message) -> str:
    """``value`` stripped; refused when empty (``what``: the field, as a message)."""
    v = value.strip()
    if not v:
        raise InvalidRequest(Message("alarm.refused.required", {"what": what}))
    return v


class AlarmBook:
    """The open alarms of the line, their history, and the alarm rate.

    ``clock`` returns milliseconds (the same time base as ``until_ms`` of :meth:`shelve`).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        flood_per_10min: int = 10,
        history_max: int = 10_000,
        max_shelve_ms: int = DEFAULT_MAX_SHELVE_MS,
        max_shelve_high_ms: int = DEFAULT_MAX_SHELVE_HIGH_MS,
        never_suppress: frozenset[str] = frozenset(),
        on_change: Callable[[Alarm], None] | None = None,
    ) -> None:
        if flood_per_10min < 0:
            raise ValueError("flood_per_10min must be >= 0")
        if history_max < 1:
            raise ValueError("history_max must be >= 1")
        if max_shelve_ms <= 0:
            raise ValueError("max_shelve_ms must be > 0")
        if max_shelve_high_ms <= 0:
            raise ValueError("max_shelve_high_ms must be > 0")
        self._clock = clock
        self.flood_per_10min = flood_per_10min
        self.max_shelve_ms = max_shelve_ms
        self.max_shelve_high_ms = min(max_shelve_high_ms, max_shelve_ms)  # never longer
        self.never_suppress = never_suppress
        self._suppressed_trains: set[str] = set()
        self._history_max = history_max
        self._on_change = on_change
        self._next_id = 1
        self.revision = 0  # moves on every change an operator can see (persistence watches it)
        self._open: dict[int, Alarm] = {}  # id -> alarm not in NORMAL
        self._by_key: dict[str, Alarm] = {}  # key -> its open alarm (at most one)
        self._history: OrderedDict[int, Alarm] = OrderedDict()  # NORMAL, oldest first
        self._annunciated: deque[int] = deque()  # timestamps within the rate window

    # --- the field side ----------------------------------------------------------------------
    def raise_alarm(
        self,
        key: str,
        priority: Priority,
        source: str,
        text: Message,
        *,
        subject: AlarmSubject | None = None,
    ) -> Alarm | None:
        """The condition ``key`` is present. Returns the alarm if this annunciated it.

        ``subject`` (train or device, and kind) defaults to :meth:`AlarmSubject.of_key`.

        Also returned when the alarm is suppressed by design (made or re-activated, but not
        annunciated: see ``suppressed``). None when nothing was raised: the condition is
        already active (no duplicates), or its alarm is shelved (the return is tracked, the
        operator is not disturbed). A condition returning while its alarm is RTN_UNACK
        re-activates that same alarm (UNACK again).
        """
        now = self._clock()
        a = self._by_key.get(key)
        if a is None:
            alarm_id, self._next_id = self._next_id, self._next_id + 1
            a = Alarm(
                id=alarm_id,
                key=key,
                source=source,
                priority=priority,
                text=text,
                raised_ms=now,
                state=AlarmState.UNACK,
                active=True,
                first_raised_ms=now,
                subject=subject,
            )
            a.suppressed = self._suppresses(a)
            self._journal(
                a,
                AlarmEvent(
                    now,
                    "raised",
                    note=Message("alarm.journal.train_out") if a.suppressed else None,
                ),
            )
            self._open[a.id] = a
            self._by_key[key] = a
            if not a.suppressed:  # a suppressed alarm is not annunciated: not counted
                self._count_annunciation(now)
            self._changed(a)
            return a
        if a.active:
            return None
        # the condition is back: the alarm describes it as it is now
        a.active, a.cleared_ms = True, None
        a.priority, a.source, a.text = priority, source, text
        if a.state is AlarmState.SHELVED:
            self._journal(a, AlarmEvent(now, "returned_while_shelved"))
            self._changed(a)
            return None
        # RTN_UNACK: the same alarm annunciates again
        self._reannunciate(a, now, "reactivated", None)
        self._changed(a)
        return a

    def clear(self, key: str) -> None:
        """The condition ``key`` returned to normal: ACKED→NORMAL, UNACK→RTN_UNACK.

        Unknown key, or already returned: nothing happens. A shelved alarm stays shelved.
        """
        a = self._by_key.get(key)
        if a is None or not a.active:
            return
        now = self._clock()
        a.active, a.cleared_ms = False, now
        self._journal(a, AlarmEvent(now, "cleared"))
        if a.state is AlarmState.ACKED:
            self._to_normal(a)
        elif a.state is AlarmState.UNACK:
            a.state = AlarmState.RTN_UNACK
        self._changed(a)

    def is_active(self, key: str) -> bool:
        """Is the condition ``key`` present now (whether or not acknowledged or shelved)?"""
        a = self._by_key.get(key)
        return a is not None and a.active

    def suppress_train(self, train: str, suppressed: bool) -> None:
        """Suppress by design the alarms of ``train`` (in the depot / out of service), or end
        that suppression (it entered service): see the module's docstring.

        Idempotent (called when the train's mode changes, and after a restart the restored
        alarms get their flag right). Ending it annunciates the alarms that are still active
        and unacknowledged (counted in the rate, newest first).
        """
        if suppressed:
            self._suppressed_trains.add(train)
        else:
            self._suppressed_trains.discard(train)
        now = self._clock()
        back = Message("alarm.journal.train_in")
        for a in list(self._open.values()):
            if a.subject is None or a.subject.train != train:
                continue
            want = self._suppresses(a)
            if want == a.suppressed:
                continue
            a.suppressed = want
            if want:
                self._journal(
                    a, AlarmEvent(now, "suppressed", note=Message("alarm.journal.train_out"))
                )
            elif a.active and a.state is AlarmState.UNACK:
                a.raised_ms = now
                self._journal(a, AlarmEvent(now, "unsuppressed", note=back))
                self._count_annunciation(now)
            else:
                self._journal(a, AlarmEvent(now, "unsuppressed", note=back))
            self._changed(a)

    def _suppresses(self, a: Alarm) -> bool:
        subject = a.subject
        return (
            subject is not None
            and subject.train in self._suppressed_trains
            and subject.kind not in self.never_suppress
        )

    # --- the operator side -------------------------------------------------------------------
    def ack(self, alarm_id: int, user: str, *, at_ms: int | None = None) -> Alarm:
        """Acknowledge: UNACK→ACKED, RTN_UNACK→NORMAL (to history). Records who and when.

        ``at_ms`` (here and in the other operator actions): when it was done, if not now — an
        action another replica took, applied here with its own time (default: the clock).
        """
        user = _required(user, Message("alarm.required.user_ack"))
        a = self.get(alarm_id)
        if a.state is AlarmState.ACKED:
            raise InvalidTransition(
                Message("alarm.refused.already_acked", {"id": a.id, "user": a.acked_by})
            )
        if a.state is AlarmState.NORMAL:
            raise InvalidTransition(Message("alarm.refused.normal_ack", {"id": a.id}))
        if a.state is AlarmState.SHELVED:
            raise InvalidTransition(
                Message("alarm.refused.shelved_ack", {"id": a.id, "user": a.shelved_by})
            )
        now = self._clock() if at_ms is None else at_ms
        a.acked_by, a.acked_ms = user, now
        self._journal(a, AlarmEvent(now, "acked", user))
        if a.state is AlarmState.UNACK:
            a.state = AlarmState.ACKED
        else:  # RTN_UNACK: nothing left to do for this alarm
            self._to_normal(a)
        self._changed(a)
        return a

    def shelve(
        self, alarm_id: int, user: str, reason: str, until_ms: int, *, at_ms: int | None = None
    ) -> Alarm:
        """Hide an open alarm from the board until ``until_ms`` (or :meth:`unshelve`).

        A reason is required; the expiry must be in the future and at most ``max_shelve_ms``
        ahead (``max_shelve_high_ms`` for P1/P2). Ending the shelve re-annunciates the alarm if
        its condition is still active.

        P1/P2 (see the module's docstring): the reason must be of substance, and nothing is
        shelved yet: the request is recorded in ``shelve_request`` until a second person
        approves it (:meth:`approve_shelve`). Check ``state`` or ``shelve_request`` of the
        returned alarm to tell which happened.
        """
        user = _required(user, Message("alarm.required.user_shelve"))
        reason = _required(reason, Message("alarm.required.reason"))
        a = self.get(alarm_id)
        self._check_shelvable(a)
        now = self._clock() if at_ms is None else at_ms
        self._check_expiry(a, now, until_ms)
        if a.priority <= Priority.HIGH:
            problem = reason_problem(reason)
            if problem:
                raise InvalidRequest(problem)
            a.shelve_request = ShelveRequest(user, " ".join(reason.split()), until_ms - now, now)
            self._journal(
                a,
                AlarmEvent(now, "shelve_requested", user, reason, _duration_msg(until_ms - now)),
            )
            self._changed(a)
            return a
        return self._shelve(a, now, user, reason, until_ms)

    def approve_shelve(self, alarm_id: int, user: str, *, at_ms: int | None = None) -> Alarm:
        """A second person approves a P1/P2 shelve request: the alarm is shelved from now for
        the requested duration, as shelved by the requester (the approver is in the journal)."""
        user = _required(user, Message("alarm.required.user_approve"))
        a = self.get(alarm_id)
        req = a.shelve_request
        if req is None:
            raise InvalidTransition(Message("alarm.refused.no_request", {"id": a.id}))
        now = self._clock() if at_ms is None else at_ms
        if now - req.ts_ms > SHELVE_REQUEST_TTL_MS:
            a.shelve_request = None
            self._changed(a)
            raise InvalidTransition(
                Message(
                    "alarm.refused.request_lapsed",
                    {"id": a.id, "ttl": _duration_msg(SHELVE_REQUEST_TTL_MS)},
                )
            )
        if user.casefold() == req.user.casefold():
            raise InvalidTransition(
                Message("alarm.refused.second_person", {"p": int(a.priority), "user": req.user})
            )
        self._check_shelvable(a)
        self._journal(
            a,
            AlarmEvent(
                now,
                "shelve_approved",
                user,
                note=Message("alarm.journal.asked_by", {"user": req.user}),
            ),
        )
        return self._shelve(a, now, req.user, req.reason, now + req.duration_ms)

    def _check_shelvable(self, a: Alarm) -> None:
        if a.state is AlarmState.SHELVED:
            raise InvalidTransition(
                Message("alarm.refused.already_shelved", {"id": a.id, "user": a.shelved_by})
            )
        if a.state is AlarmState.NORMAL:
            raise InvalidTransition(Message("alarm.refused.nothing_to_shelve", {"id": a.id}))

    def _check_expiry(self, a: Alarm, now: int, until_ms: int) -> None:
        if until_ms <= now:
            raise InvalidRequest(
                Message("alarm.refused.expiry_past", {"ago": _duration_msg(now - until_ms)})
            )
        high = a.priority <= Priority.HIGH
        limit = self.max_shelve_high_ms if high else self.max_shelve_ms
        if until_ms - now > limit:
            lengths = {"limit": _duration_msg(limit), "asked": _duration_msg(until_ms - now)}
            raise InvalidRequest(
                Message("alarm.refused.too_long_p", {"p": int(a.priority), **lengths})
                if high
                else Message("alarm.refused.too_long", lengths)
            )

    def _shelve(self, a: Alarm, now: int, user: str, reason: str, until_ms: int) -> Alarm:
        a.shelve_request = None
        a.state = AlarmState.SHELVED
        a.shelved_by, a.shelved_until_ms, a.shelve_reason = user, until_ms, reason
        self._journal(a, AlarmEvent(now, "shelved", user, reason, _duration_msg(until_ms - now)))
        self._changed(a)
        return a

    def unshelve(self, alarm_id: int, user: str, *, at_ms: int | None = None) -> Alarm:
        """End a shelve now: UNACK if the condition is still active, else NORMAL (history)."""
        user = _required(user, Message("alarm.required.user_unshelve"))
        a = self.get(alarm_id)
        if a.state is not AlarmState.SHELVED:
            raise InvalidTransition(Message("alarm.refused.not_shelved", {"id": a.id}))
        now = self._clock() if at_ms is None else at_ms
        self._end_shelve(a, now, "unshelved", user)
        self._changed(a)
        return a

    def comment(self, alarm_id: int, user: str, text: str, *, at_ms: int | None = None) -> Alarm:
        """Add an operator's note (also allowed on alarms already in history)."""
        user = _required(user, Message("alarm.required.user_comment"))
        text = _required(text, Message("alarm.required.comment"))
        a = self.get(alarm_id)
        a.comments.append(Comment(user, self._clock() if at_ms is None else at_ms, text))
        self._changed(a)
        return a

    def note(self, alarm_id: int, what: str, note: Message) -> None:
        """Add a line to an alarm's journal (open or in history) without changing its state:
        e.g. the consequential alarms grouped under a failed dependency's alarm."""
        a = self.get(alarm_id)
        self._journal(a, AlarmEvent(self._clock(), what, note=note))
        self._changed(a)

    def tick(self) -> None:
        """Expire shelves whose time has come (see :meth:`unshelve` for where they go)."""
        now = self._clock()
        due = [
            a
            for a in self._open.values()
            if a.state is AlarmState.SHELVED
            and a.shelved_until_ms is not None
            and a.shelved_until_ms <= now
        ]
        for a in due:
            self._end_shelve(a, now, "shelve_expired", None)
            self._changed(a)

    # --- views -------------------------------------------------------------------------------
    def active(self, *, include_shelved: bool = False) -> list[Alarm]:
        """Open alarms (not NORMAL): most urgent priority first, then newest first."""
        out = [
            a for a in self._open.values() if include_shelved or a.state is not AlarmState.SHELVED
        ]
        out.sort(key=lambda a: (a.priority, -a.raised_ms, -a.id))
        return out

    def open_for(self, key: str) -> Alarm | None:
        """The open alarm of the condition ``key``, if any (whatever its state)."""
        return self._by_key.get(key)

    def get(self, alarm_id: int) -> Alarm:
        """The alarm with this id, open or in history."""
        a = self._open.get(alarm_id) or self._history.get(alarm_id)
        if a is None:
            raise AlarmNotFound(Message("alarm.refused.not_found", {"id": alarm_id}))
        return a

    def history(self, limit: int = 100) -> list[Alarm]:
        """Alarms that returned to normal and were acknowledged, most recently closed first."""
        if limit <= 0:
            return []
        return list(itertools.islice(reversed(self._history.values()), limit))

    def everything(self) -> list[Alarm]:
        """Every alarm the book holds, each once: the open ones (shelved included), then all
        of history, most recently closed first (alarm performance and reports count over it)."""
        return [*self.active(include_shelved=True), *reversed(self._history.values())]

    def rate_per_10min(self) -> int:
        """Annunciations (new alarms, re-activations, unshelved re-annunciations), last 10 min."""
        self._prune(self._clock())
        return len(self._annunciated)

    @property
    def flood(self) -> bool:
        """An alarm flood (EEMUA 191): more than ``flood_per_10min`` annunciations in 10 min."""
        return self.rate_per_10min() > self.flood_per_10min

    def summary(self) -> dict[str, object]:
        """KPIs for the board.

        ``by_state`` counts every open alarm (shelved and suppressed included, it is a state);
        ``by_priority`` and ``shown`` count what :meth:`active` annunciates (shelved and
        suppressed excluded); ``unacked`` is what still needs an operator's acknowledgement
        (suppressed excluded), ``unacked_p1`` those of P1 (the board's banner and sound);
        ``suppressed`` the open alarms suppressed by design.
        """
        by_state = {s.value: 0 for s in AlarmState if s is not AlarmState.NORMAL}
        by_priority = {p.name.lower(): 0 for p in Priority}
        unacked = unacked_p1 = suppressed = 0
        for a in self._open.values():
            by_state[a.state.value] += 1
            if a.suppressed:
                suppressed += 1
                continue
            if a.state is not AlarmState.SHELVED:
                by_priority[a.priority.name.lower()] += 1
            if a.state in (AlarmState.UNACK, AlarmState.RTN_UNACK):
                unacked += 1
                unacked_p1 += a.priority is Priority.CRITICAL
        rate = self.rate_per_10min()
        return {
            "open": len(self._open),
            "shown": sum(by_priority.values()),
            "unacked": unacked,
            "unacked_p1": unacked_p1,
            "suppressed": suppressed,
            "shelved": by_state[AlarmState.SHELVED.value],
            "by_state": by_state,
            "by_priority": by_priority,
            "rate_per_10min": rate,
            "flood_per_10min": self.flood_per_10min,
            "flood": rate > self.flood_per_10min,
        }

    # --- persistence -------------------------------------------------------------------------
    @property
    def next_id(self) -> int:
        """The id the next new alarm gets."""
        return self._next_id

    def skip_ids_to(self, first: int) -> None:
        """Never hand out an id below ``first`` (ids reserved by an earlier process: an audit
        reference such as ``alarm.ack alarm_id 6`` must never point at another alarm)."""
        self._next_id = max(self._next_id, first)

    def export(self, history_limit: int = 500) -> dict[str, Any]:
        """Open alarms, the most recent history and the rate window, JSON-ready."""
        hist = list(self._history.values())[-history_limit:]
        return {
            "next_id": self._next_id,
            "open": [a.to_dict() for a in self._open.values()],
            "history": [a.to_dict() for a in hist],
            "annunciated": list(self._annunciated),
        }

    def restore(self, saved: dict[str, Any]) -> None:
        """Load what :meth:`export` saved (at start-up, before anything is raised)."""
        for d in saved.get("history", []):
            a = alarm_from_dict(d)
            self._history[a.id] = a
        for d in saved.get("open", []):
            a = alarm_from_dict(d)
            self._open[a.id] = a
            self._by_key[a.key] = a
        self._annunciated.extend(int(t) for t in saved.get("annunciated", []))
        known = [*self._open, *self._history]
        self.skip_ids_to(max([int(saved.get("next_id", 1)), *(i + 1 for i in known)]))
        self.revision += 1

    # --- internals ---------------------------------------------------------------------------
    def _end_shelve(self, a: Alarm, now: int, what: str, user: str | None) -> None:
        detail = a.shelve_reason
        note = Message("alarm.journal.shelved_by", {"user": a.shelved_by})
        a.shelved_by = a.shelved_until_ms = a.shelve_reason = None
        if a.active:
            # ISA-18.2 F→B: the operator has not seen it while shelved, so it needs a fresh ack
            a.acked_by = a.acked_ms = None
            self._reannunciate(a, now, what, user, detail, note)
        else:
            # F→A: the condition is gone; there is nothing left to acknowledge
            self._journal(a, AlarmEvent(now, what, user, detail, note))
            self._to_normal(a)

    def _reannunciate(
        self,
        a: Alarm,
        now: int,
        what: str,
        user: str | None,
        detail: str | None = None,
        note: Message | None = None,
    ) -> None:
        a.state = AlarmState.UNACK
        a.raised_ms = now
        a.annunciations += 1
        self._journal(a, AlarmEvent(now, what, user, detail, note))
        if not a.suppressed:
            self._count_annunciation(now)

    def _to_normal(self, a: Alarm) -> None:
        a.state = AlarmState.NORMAL
        del self._open[a.id]
        del self._by_key[a.key]
        self._history[a.id] = a
        while len(self._history) > self._history_max:
            self._history.popitem(last=False)

    def _journal(self, a: Alarm, e: AlarmEvent) -> None:
        a.events.append(e)
        if len(a.events) > MAX_EVENTS_PER_ALARM:
            # keep the first entry (when it started) and the most recent ones
            del a.events[1 : len(a.events) - MAX_EVENTS_PER_ALARM + 1]

    def _count_annunciation(self, now: int) -> None:
        self._annunciated.append(now)
        self._prune(now)

    def _prune(self, now: int) -> None:
        cutoff = now - RATE_WINDOW_MS
        q = self._annunciated
        while q and q[0] <= cutoff:
            q.popleft()

    def _changed(self, a: Alarm) -> None:
        self.revision += 1
        if self._on_change is None:
            return
        try:
            self._on_change(a)
        except Exception:  # a failing subscriber must not undo or hide an operator's action
            log.exception("alarm on_change callback failed", alarm_id=a.id, key=a.key)
