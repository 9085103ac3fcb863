"""Availability derived from the append-only history of status events and tests.

How a person's events become a state (documented because it is the contract the crew manager
relies on):

* Each event opens an *episode* of its state from ``effective`` until ``until`` (or, without
  ``until``, until something closes it). Events are read in order of ``effective``, then
  ``recorded_at`` (the later record wins), then ``event_id``.
* A new event of a state replaces an open episode of the same state (an extension or a
  correction). ``on_shift`` and ``rest`` replace each other. An ``available`` event closes every
  open episode: the crew manager clearing someone, or correcting a mistaken entry.
* Episodes of different states may overlap (an F1 quarantine during leave); the state at an
  instant is the most restrictive active one: F0 > F1 > other sickness > leave > on shift >
  rest > available. So a person is in exactly one state at any instant.
* An F0 isolation does not end at ``until`` by itself: the person stays F0 until a negative test
  taken no earlier than ``release_test_lead`` before ``until`` (and not followed by a positive
  one), as the Ministry of Health's home-care guidance of early 2022 had it (release after 7
  days with a negative rapid antigen test, as reported). With ``release_test_lead=None`` it
  ends at ``until``. At the same instant a positive test counts as taken after a negative one.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from crew.model import State, StatusEvent, TestOutcome, TestResult

#: Most restrictive first.
PRECEDENCE: tuple[State, ...] = (
    State.F0_ISOLATION,
    State.F1_QUARANTINE,
    State.SICK_OTHER,
    State.LEAVE,
    State.ON_SHIFT,
    State.REST,
    State.AVAILABLE,
)
_RANK = {s: i for i, s in enumerate(PRECEDENCE)}
_DUTY_STATES = frozenset({State.ON_SHIFT, State.REST})
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Availability:
    """A person's state at an instant and the episode it comes from.

    ``until`` is the episode's planned end (``None``: open-ended). ``awaiting_release_test`` is
    true for an F0 whose isolation period is over but who has no qualifying negative test yet.
    """

    state: State
    since: datetime | None = None
    until: datetime | None = None
    event_id: str | None = None
    awaiting_release_test: bool = False


@dataclass(frozen=True, slots=True)
class StateSpan:
    """``state`` holds from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: datetime
    end: datetime
    state: State


@dataclass(frozen=True, slots=True)
class _Episode:
    event: StatusEvent
    start: datetime
    end: datetime | None  # when it stops counting (closed, expired or released); None = never

    def active_at(self, t: datetime) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


class StatusHistory:
    """The status events and test results of all staff, queried by instant. Immutable.

    ``with_events``/``with_tests`` return a new history; adding a record whose id is already
    present with the same content is a no-op (a retried write), with other content an error.
    """

    __slots__ = ("_episodes", "_events", "_lead", "_test_times", "_tests")

    def __init__(
        self,
        events: Iterable[StatusEvent] = (),
        tests: Iterable[TestResult] = (),
        *,
        release_test_lead: timedelta | None = timedelta(hours=24),
    ) -> None:
        self._lead = release_test_lead
        self._events: dict[str, StatusEvent] = {}
        self._tests: dict[str, TestResult] = {}
        _merge(self._events, ((e.event_id, e) for e in events))
        _merge(self._tests, ((t.test_id, t) for t in tests))
        by_staff_tests: dict[str, list[TestResult]] = {}
        # at the same instant a positive result counts as the later one: the safe reading
        order = sorted(
            self._tests.values(),
            key=lambda r: (r.taken_at, r.outcome is TestOutcome.POSITIVE, r.test_id),
        )
        for t in order:
            by_staff_tests.setdefault(t.staff_id, []).append(t)
        self._test_times = {s: ([r.taken_at for r in rs], rs) for s, rs in by_staff_tests.items()}
        by_staff_events: dict[str, list[StatusEvent]] = {}
        for e in sorted(
            self._events.values(), key=lambda r: (r.effective, r.recorded_at, r.event_id)
        ):
            by_staff_events.setdefault(e.staff_id, []).append(e)
        self._episodes = {s: self._build(s, es) for s, es in by_staff_events.items()}

    # --- construction --------------------------------------------------------------------
    def with_events(self, *events: StatusEvent) -> StatusHistory:
        return StatusHistory(
            (*self._events.values(), *events),
            self._tests.values(),
            release_test_lead=self._lead,
        )

    def with_tests(self, *tests: TestResult) -> StatusHistory:
        return StatusHistory(
            self._events.values(),
            (*self._tests.values(), *tests),
            release_test_lead=self._lead,
        )

    @property
    def events(self) -> tuple[StatusEvent, ...]:
        return tuple(self._events.values())

    @property
    def tests(self) -> tuple[TestResult, ...]:
        return tuple(self._tests.values())

    def events_of(self, staff_id: str) -> tuple[StatusEvent, ...]:
        """A person's events in the order they are applied."""
        return tuple(ep.event for ep in self._episodes.get(staff_id, ()))

    def tests_of(self, staff_id: str) -> tuple[TestResult, ...]:
        """A person's tests by time taken."""
        return tuple(self._test_times.get(staff_id, ((), []))[1])

    # --- queries -------------------------------------------------------------------------
    def status_at(self, staff_id: str, t: datetime) -> Availability:
        """The state of ``staff_id`` at ``t`` with the episode it comes from."""
        best: _Episode | None = None
        for ep in self._episodes.get(staff_id, ()):
            if ep.active_at(t) and (
                best is None
                or _RANK[ep.event.state] < _RANK[best.event.state]
                or (ep.event.state is best.event.state and ep.start >= best.start)
            ):
                best = ep
        if best is None:
            return Availability(State.AVAILABLE)
        ev = best.event
        awaiting = ev.state is State.F0_ISOLATION and ev.until is not None and t >= ev.until
        return Availability(ev.state, best.start, ev.until, ev.event_id, awaiting)

    def overlapping(self, staff_id: str, start: datetime, end: datetime) -> list[Availability]:
        """Every episode active at some instant of ``[start, end)``, most restrictive first.

        Unlike :meth:`timeline`, which shows the one state that wins at each instant, this shows
        what lies under it too: a sickness during an F1 quarantine matters when F1 staff work.
        ``awaiting_release_test`` is set for an F0 whose isolation ended by ``start``.
        """
        out = []
        for ep in self._episodes.get(staff_id, ()):
            ev = ep.event
            if ep.start == ep.end or ep.start >= end or (ep.end is not None and ep.end <= start):
                continue
            awaiting = ev.state is State.F0_ISOLATION and ev.until is not None and ev.until <= start
            out.append(Availability(ev.state, ep.start, ev.until, ev.event_id, awaiting))
        return sorted(out, key=lambda a: _RANK[a.state])

    def state_at(self, staff_id: str, t: datetime) -> State:
        return self.status_at(staff_id, t).state

    def timeline(self, staff_id: str, start: datetime, end: datetime) -> tuple[StateSpan, ...]:
        """Contiguous spans of one state each, covering ``[start, end)``."""
        if end <= start:
            return ()
        cuts = {start}
        for ep in self._episodes.get(staff_id, ()):
            for c in (ep.start, ep.end, ep.event.until):
                if c is not None and start < c < end:
                    cuts.add(c)
        points = sorted(cuts)
        spans: list[StateSpan] = []
        for a, b in zip(points, [*points[1:], end], strict=True):
            s = self.state_at(staff_id, a)
            if spans and spans[-1].state is s:
                spans[-1] = StateSpan(spans[-1].start, b, s)
            else:
                spans.append(StateSpan(a, b, s))
        return tuple(spans)

    def latest_test(
        self, staff_id: str, start: datetime, end: datetime, outcome: TestOutcome | None = None
    ) -> TestResult | None:
        """The last test taken in ``[start, end]`` (of ``outcome``, if given)."""
        times, rs = self._test_times.get(staff_id, ([], []))
        lo = bisect.bisect_left(times, start)
        hi = bisect.bisect_right(times, end)
        for r in reversed(rs[lo:hi]):
            if outcome is None or r.outcome is outcome:
                return r
        return None

    # --- derivation ----------------------------------------------------------------------
    def _build(self, staff_id: str, events: Sequence[StatusEvent]) -> list[_Episode]:
        open_: dict[State, int] = {}  # state -> index into eps of its open episode
        eps: list[_Episode] = []

        def close(state: State, at: datetime) -> None:
            i = open_.pop(state)
            ep = eps[i]
            if ep.end is None or at < ep.end:
                eps[i] = _Episode(ep.event, ep.start, at)

        for ev in events:
            if ev.state is State.AVAILABLE:
                for s in list(open_):
                    close(s, ev.effective)
                eps.append(_Episode(ev, ev.effective, ev.effective))  # kept for events_of()
                continue
            replaced = _DUTY_STATES if ev.state in _DUTY_STATES else {ev.state}
            for s in replaced & open_.keys():
                close(s, ev.effective)
            open_[ev.state] = len(eps)
            eps.append(_Episode(ev, ev.effective, self._natural_end(staff_id, ev)))
        return eps

    def _natural_end(self, staff_id: str, ev: StatusEvent) -> datetime | None:
        if ev.until is None:
            return None
        if ev.state is not State.F0_ISOLATION or self._lead is None:
            return ev.until
        released = self._release_test(staff_id, ev.until)
        if released is None:
            return None  # still isolating until a negative test is recorded
        return max(ev.until, released.taken_at)

    def _release_test(self, staff_id: str, until: datetime) -> TestResult | None:
        """First negative test from ``until - lead`` not followed by a positive one before
        the release would take effect."""
        assert self._lead is not None
        times, rs = self._test_times.get(staff_id, ([], []))
        lo = bisect.bisect_left(times, until - self._lead)
        for i in range(lo, len(rs)):
            r = rs[i]
            if r.outcome is not TestOutcome.NEGATIVE:
                continue
            release = max(until, r.taken_at)
            later_positive = any(
                q.outcome is TestOutcome.POSITIVE and r.taken_at <= q.taken_at <= release
                for q in rs[i + 1 :]
            )
            if not later_positive:
                return r
        return None


def _merge(into: dict[str, _T], items: Iterable[tuple[str, _T]]) -> None:
    for key, item in items:
        have = into.get(key)
        if have is None:
            into[key] = item
        elif have != item:
            raise ValueError(f"id {key!r} already recorded with different content")
