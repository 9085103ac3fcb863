"""Availability derived from the event history: hand cases and properties."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from crew import State, StatusHistory
from crew.status import PRECEDENCE
from tests.crew.builders import DAY, POLICY, at, event, f0, swab

D1 = "D001"
T0 = at(DAY)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_no_events_means_available() -> None:
    assert POLICY.history().state_at(D1, T0) is State.AVAILABLE


def test_an_episode_ends_at_until_and_a_later_event_of_the_same_state_replaces_it() -> None:
    hist = StatusHistory(
        [
            event(D1, State.SICK_OTHER, h(0), h(48)),
            event(D1, State.SICK_OTHER, h(10), h(20)),  # correction: back sooner
        ]
    )
    assert hist.state_at(D1, h(-1)) is State.AVAILABLE
    assert hist.state_at(D1, h(0)) is State.SICK_OTHER
    assert hist.state_at(D1, h(19)) is State.SICK_OTHER
    assert hist.state_at(D1, h(20)) is State.AVAILABLE
    assert hist.state_at(D1, h(30)) is State.AVAILABLE


def test_the_most_restrictive_episode_wins_and_the_other_resumes() -> None:
    hist = StatusHistory(
        [
            event(D1, State.LEAVE, h(0), h(24 * 10)),
            event(D1, State.F1_QUARANTINE, h(24), h(24 * 3)),
        ]
    )
    assert hist.state_at(D1, h(12)) is State.LEAVE
    assert hist.state_at(D1, h(30)) is State.F1_QUARANTINE
    assert hist.state_at(D1, h(24 * 4)) is State.LEAVE  # still on leave after the quarantine


def test_available_closes_everything_and_duty_states_replace_each_other() -> None:
    hist = StatusHistory(
        [
            event(D1, State.LEAVE, h(0)),  # open-ended
            event(D1, State.AVAILABLE, h(5)),
            event(D1, State.ON_SHIFT, h(6)),
            event(D1, State.REST, h(15), h(27)),
        ]
    )
    assert [hist.state_at(D1, h(x)) for x in (1, 5, 10, 20, 27)] == [
        State.LEAVE,
        State.AVAILABLE,
        State.ON_SHIFT,
        State.REST,
        State.AVAILABLE,
    ]


def test_same_instant_the_later_record_wins() -> None:
    a = event(D1, State.LEAVE, h(0), h(5), eid="a", recorded=h(0))
    b = event(D1, State.AVAILABLE, h(0), eid="b", recorded=h(1))
    assert StatusHistory([b, a]).state_at(D1, h(2)) is State.AVAILABLE


def test_f0_stays_isolated_until_a_negative_test() -> None:
    case = f0(D1, h(0), days=7)
    end = h(24 * 7)
    hist = POLICY.history([case])
    av = hist.status_at(D1, end + timedelta(days=3))
    assert av.state is State.F0_ISOLATION and av.awaiting_release_test
    assert not hist.status_at(D1, h(24)).awaiting_release_test
    # a test the morning of day 7 (within the 24 h lead) releases at the end of day 7
    released = hist.with_tests(swab(D1, end - timedelta(hours=3)))
    assert released.state_at(D1, end - timedelta(hours=1)) is State.F0_ISOLATION
    assert released.state_at(D1, end) is State.AVAILABLE
    # a positive test after the negative one (before release) keeps them isolated
    relapse = released.with_tests(swab(D1, end - timedelta(hours=1), positive=True))
    assert relapse.state_at(D1, end + timedelta(hours=5)) is State.F0_ISOLATION
    assert (
        relapse.with_tests(swab(D1, end + timedelta(hours=6))).state_at(
            D1, end + timedelta(hours=6)
        )
        is State.AVAILABLE
    )
    # without the rule, isolation simply ends
    assert StatusHistory([case], release_test_lead=None).state_at(D1, end) is State.AVAILABLE


def test_adding_the_same_record_twice_is_a_no_op_and_a_clash_is_an_error() -> None:
    e = event(D1, State.LEAVE, h(0), h(5), eid="client-1")
    hist = StatusHistory([e]).with_events(e)
    assert hist.events == (e,)
    with pytest.raises(ValueError, match="client-1"):
        hist.with_events(event(D1, State.REST, h(0), h(5), eid="client-1"))


def test_events_are_validated() -> None:
    with pytest.raises(ValidationError, match="needs `until`"):
        event(D1, State.F0_ISOLATION, h(0))
    with pytest.raises(ValidationError, match="after `effective`"):
        event(D1, State.LEAVE, h(5), h(1))
    with pytest.raises(ValidationError, match="timezone"):
        event(D1, State.LEAVE, h(0).replace(tzinfo=None))


# --- properties ------------------------------------------------------------------------------
_STATES = [s for s in State]
_offsets = st.integers(min_value=0, max_value=24 * 20)


@st.composite
def histories(draw: st.DrawFn, with_duty: bool = True) -> list:  # type: ignore[type-arg]
    states = _STATES if with_duty else [s for s in _STATES if s not in _DUTY]
    evs = []
    for i in range(draw(st.integers(0, 8))):
        s = draw(st.sampled_from(states))
        start = draw(_offsets)
        length = draw(st.integers(1, 24 * 10))
        needs = s in (State.F0_ISOLATION, State.F1_QUARANTINE, State.SICK_OTHER)
        has_until = s is not State.AVAILABLE and (needs or draw(st.booleans()))
        evs.append(
            event(
                D1,
                s,
                h(start),
                h(start + length) if has_until else None,
                eid=f"e{i}",
                recorded=h(draw(st.integers(0, 5))),
            )
        )
    return evs


_DUTY = {State.AVAILABLE, State.ON_SHIFT, State.REST}


@settings(max_examples=200, deadline=None)
@given(evs=histories(), tests=st.lists(st.tuples(_offsets, st.booleans()), max_size=4))
def test_every_instant_has_exactly_one_state(evs: list, tests: list) -> None:  # type: ignore[type-arg]
    hist = POLICY.history(
        evs, [swab(D1, h(t), positive=p, tid=f"t{i}") for i, (t, p) in enumerate(tests)]
    )
    start, end = h(-24), h(24 * 32)
    spans = hist.timeline(D1, start, end)
    # the spans partition the window: contiguous, non-empty, no two neighbours alike
    assert spans[0].start == start and spans[-1].end == end
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end == b.start and a.state is not b.state
    for s in spans:
        assert s.start < s.end
        for t in (s.start, s.start + (s.end - s.start) / 2, s.end - timedelta(seconds=1)):
            assert hist.state_at(D1, t) is s.state


@settings(max_examples=200, deadline=None)
@given(evs=histories(with_duty=False), probe=_offsets)
def test_state_is_the_most_restrictive_latest_episode(evs: list, probe: int) -> None:  # type: ignore[type-arg]
    """Reference: per state, the last event of that state started by t is active while t is
    before its until; the state is the most restrictive active one (F0 release rule off)."""
    hist = StatusHistory(evs, release_test_lead=None)
    t = h(probe)
    order = sorted(evs, key=lambda e: (e.effective, e.recorded_at, e.event_id))
    active = set()
    for s in State:
        last = [e for e in order if e.state is s and e.effective <= t]
        if last and (last[-1].until is None or t < last[-1].until):
            active.add(s)
    expected = next((s for s in PRECEDENCE if s in active), State.AVAILABLE)
    assert hist.state_at(D1, t) is expected
