"""Alarms: every ISA-18.2 transition as the operator sees it, shelving rules, rate and flood,
and a stateful property test over random raise/clear/ack/shelve/tick sequences."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from line.catalogue import Message
from telemetry.alarms import (
    Alarm,
    AlarmBook,
    AlarmError,
    AlarmNotFound,
    AlarmState,
    InvalidRequest,
    InvalidTransition,
    Priority,
    alarm_from_dict,
)

T0 = 1_795_000_000_000  # an arbitrary field time, ms
MIN = 60_000
HOUR = 60 * MIN
STALE = "train:T05:stale"
DC_LOW = "substation:SS2:dc_bus_voltage:low"


class Clock:
    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


class Recorder:
    """on_change subscriber: what the websocket layer would push, as (id, state, active)."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, AlarmState, bool]] = []

    def __call__(self, a: Alarm) -> None:
        self.seen.append((a.id, a.state, a.active))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def book(clock: Clock, rec: Recorder) -> AlarmBook:
    return AlarmBook(clock, on_change=rec)


# MEDIUM by default: shelving P1/P2 takes two people (tested in test_alarm_management.py)
def stale(book: AlarmBook, key: str = STALE, prio: Priority = Priority.MEDIUM) -> Alarm | None:
    return book.raise_alarm(
        key, prio, "T05", Message("alarm.train.stale", {"train": "T05", "age_s": 12.4})
    )


def raised(book: AlarmBook, key: str = STALE, prio: Priority = Priority.MEDIUM) -> Alarm:
    a = stale(book, key, prio)
    assert a is not None
    return a


# --- A → B: a condition appears --------------------------------------------------------------
def test_raise_shows_unacknowledged_alarm_with_both_languages(
    book: AlarmBook, clock: Clock, rec: Recorder
) -> None:
    a = raised(book)
    assert (a.state, a.active, a.raised_ms) == (AlarmState.UNACK, True, T0)
    assert (a.acked_by, a.acked_ms, a.cleared_ms) == (None, None, None)
    assert book.active() == [a]
    assert book.is_active(STALE)
    assert book.get(a.id) is a
    d = a.to_dict()
    json.dumps(d)  # JSON-ready as promised
    # the text is a catalogue code and its parameters, rendered in both languages for the board
    assert d["code"] == "alarm.train.stale" and d["params"] == {"train": "T05", "age_s": 12.4}
    assert d["message"] == "Tàu T05: mất tín hiệu 12 s"
    assert d["message_en"] == "Train T05: no telemetry for 12 s"
    assert d["state"] == "unack" and d["priority"] == 3 and d["priority_name"] == "medium"
    assert rec.seen == [(a.id, AlarmState.UNACK, True)]


@pytest.mark.parametrize(
    ("key", "train", "device", "kind"),
    [
        (STALE, "T05", None, "stale"),
        ("train:T05:fault:E12", "T05", None, "fault:E12"),
        ("train:T05:driver_not_cleared", "T05", None, "driver_not_cleared"),
        ("headway:T07:gap", "T07", None, "headway:gap"),
        (DC_LOW, None, "SS2", "dc_bus_voltage:low"),
        ("substation:SS2:stale", None, "SS2", "stale"),
        ("clock:T05:skew", None, "T05", "clock:skew"),
        ("system:broker:down", None, "broker", "system:down"),
        ("crew:next_shift:shortfall", None, None, "crew:next_shift:shortfall"),
        ("odd", None, None, "odd"),
    ],
)
def test_alarm_says_its_train_or_device_and_kind_as_fields(
    book: AlarmBook, key: str, train: str | None, device: str | None, kind: str
) -> None:
    a = book.raise_alarm(
        key, Priority.LOW, "x", Message("alarm.saved_text", {"vi": "vi", "en": "en"})
    )
    assert a is not None
    d = a.to_dict()
    assert (d["train"], d["device"], d["kind"]) == (train, device, kind)
    # a restored alarm book says the same
    assert alarm_from_dict(d).to_dict() == d


def test_no_second_alarm_while_condition_stays_active(book: AlarmBook, clock: Clock) -> None:
    a = raised(book)
    clock.advance(1000)
    assert stale(book) is None
    book.ack(a.id, "lan")
    assert stale(book) is None  # acknowledged but still active: still the same alarm
    assert [x.id for x in book.active()] == [a.id]
    assert book.rate_per_10min() == 1


# --- B → C → A: acknowledged, then returns ----------------------------------------------------
def test_ack_records_who_and_when(book: AlarmBook, clock: Clock, rec: Recorder) -> None:
    a = raised(book)
    clock.advance(42_000)
    got = book.ack(a.id, "lan")
    assert got is a
    assert (a.state, a.acked_by, a.acked_ms, a.active) == (
        AlarmState.ACKED,
        "lan",
        T0 + 42_000,
        True,
    )
    assert book.active() == [a]  # still on the board: the condition is still there
    assert rec.seen[-1] == (a.id, AlarmState.ACKED, True)


def test_acked_alarm_that_returns_goes_to_history(
    book: AlarmBook, clock: Clock, rec: Recorder
) -> None:
    a = raised(book)
    book.ack(a.id, "lan")
    clock.advance(5 * MIN)
    book.clear(STALE)
    assert (a.state, a.active, a.cleared_ms) == (AlarmState.NORMAL, False, T0 + 5 * MIN)
    assert a.acked_by == "lan"  # history keeps who acknowledged it
    assert book.active() == [] and book.active(include_shelved=True) == []
    assert book.history() == [a]
    assert not book.is_active(STALE)
    assert rec.seen[-1] == (a.id, AlarmState.NORMAL, False)
    # the next occurrence is a new alarm with a higher id
    b = raised(book)
    assert b.id > a.id and b.state is AlarmState.UNACK
    assert book.get(a.id) is a  # the old one is still retrievable from history


# --- B → D → A / B: returns before anyone acknowledged -----------------------------------------
def test_unacked_alarm_that_returns_stays_until_acknowledged(book: AlarmBook, clock: Clock) -> None:
    a = raised(book)
    clock.advance(3000)
    book.clear(STALE)
    assert (a.state, a.active, a.cleared_ms) == (AlarmState.RTN_UNACK, False, T0 + 3000)
    assert book.active() == [a]  # the operator must still see that it happened
    assert not book.is_active(STALE)
    clock.advance(2000)
    book.ack(a.id, "minh")
    assert (a.state, a.acked_by, a.acked_ms) == (AlarmState.NORMAL, "minh", T0 + 5000)
    assert book.active() == [] and book.history() == [a]


def test_condition_returning_while_rtn_unack_reactivates_same_alarm(
    book: AlarmBook, clock: Clock, rec: Recorder
) -> None:
    a = raised(book, prio=Priority.LOW)
    book.clear(STALE)
    clock.advance(MIN)
    again = raised(book, prio=Priority.HIGH)
    assert again is a
    assert (a.state, a.active, a.cleared_ms) == (AlarmState.UNACK, True, None)
    assert a.raised_ms == T0 + MIN and a.first_raised_ms == T0
    assert a.priority is Priority.HIGH  # re-annunciated as the condition is now
    assert a.annunciations == 2
    assert book.rate_per_10min() == 2
    assert rec.seen[-1] == (a.id, AlarmState.UNACK, True)


def test_chattering_condition_counts_each_annunciation_but_is_one_alarm(
    book: AlarmBook, clock: Clock
) -> None:
    first = raised(book)
    for _ in range(11):
        book.clear(STALE)
        clock.advance(2000)
        assert stale(book) is first
    assert [a.id for a in book.active()] == [first.id]
    assert first.annunciations == 12
    assert book.rate_per_10min() == 12
    assert book.flood  # 12 > 10: a chattering point alone can flood the operator


def test_clear_of_unknown_or_already_returned_key_does_nothing(
    book: AlarmBook, rec: Recorder
) -> None:
    book.clear("train:T99:stale")
    a = raised(book)
    book.clear(STALE)
    n = len(rec.seen)
    book.clear(STALE)
    assert a.state is AlarmState.RTN_UNACK and len(rec.seen) == n


# --- F: shelving ---------------------------------------------------------------------------
def _in_state(book: AlarmBook, clock: Clock, state: AlarmState) -> Alarm:
    a = raised(book)
    if state is AlarmState.ACKED:
        book.ack(a.id, "lan")
    elif state is AlarmState.RTN_UNACK:
        book.clear(STALE)
    clock.advance(1000)
    assert a.state is state
    return a


@pytest.mark.parametrize("state", [AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK])
def test_shelve_hides_alarm_from_board_from_any_open_state(
    book: AlarmBook, clock: Clock, rec: Recorder, state: AlarmState
) -> None:
    a = _in_state(book, clock, state)
    until = clock.now + 2 * HOUR
    book.shelve(a.id, "lan", "cảm biến hỏng, đã báo bảo trì", until)
    assert a.state is AlarmState.SHELVED
    assert (a.shelved_by, a.shelved_until_ms, a.shelve_reason) == (
        "lan",
        until,
        "cảm biến hỏng, đã báo bảo trì",
    )
    assert book.active() == []
    assert book.active(include_shelved=True) == [a]
    s = book.summary()
    assert s["shelved"] == 1 and s["shown"] == 0
    assert rec.seen[-1] == (a.id, AlarmState.SHELVED, a.active)


def test_shelve_expiry_while_active_reannunciates_even_if_acked_before(
    book: AlarmBook, clock: Clock, rec: Recorder
) -> None:
    a = _in_state(book, clock, AlarmState.ACKED)
    book.shelve(a.id, "lan", "đang xử lý", clock.now + 30 * MIN)
    clock.advance(30 * MIN - 1)
    book.tick()
    assert a.state is AlarmState.SHELVED  # not a millisecond early
    clock.advance(1)
    book.tick()
    assert (a.state, a.active) == (AlarmState.UNACK, True)
    assert (a.acked_by, a.acked_ms) == (None, None)  # needs a fresh acknowledgement
    assert (a.shelved_by, a.shelved_until_ms, a.shelve_reason) == (None, None, None)
    assert a.raised_ms == clock.now  # shown as new on the board
    assert book.active() == [a]
    assert rec.seen[-1] == (a.id, AlarmState.UNACK, True)
    # the earlier ack and the shelve are kept in the alarm's journal
    whats = [(e.what, e.user) for e in a.events]
    assert ("acked", "lan") in whats and ("shelved", "lan") in whats
    assert whats[-1] == ("shelve_expired", None)


def test_condition_clearing_while_shelved_ends_in_history_at_expiry(
    book: AlarmBook, clock: Clock, rec: Recorder
) -> None:
    a = _in_state(book, clock, AlarmState.UNACK)
    book.shelve(a.id, "lan", "bảo trì trạm", clock.now + HOUR)
    clock.advance(10 * MIN)
    book.clear(STALE)
    assert (a.state, a.active, a.cleared_ms) == (AlarmState.SHELVED, False, clock.now)
    assert rec.seen[-1] == (a.id, AlarmState.SHELVED, False)
    clock.advance(HOUR)
    book.tick()
    assert a.state is AlarmState.NORMAL
    assert book.active(include_shelved=True) == [] and book.history() == [a]
    assert a.annunciations == 1 and book.rate_per_10min() == 0  # nothing annunciated


def test_condition_returning_while_shelved_is_tracked_silently(
    book: AlarmBook, clock: Clock
) -> None:
    a = _in_state(book, clock, AlarmState.RTN_UNACK)
    book.shelve(a.id, "lan", "nhấp nháy", clock.now + HOUR)
    assert stale(book) is None  # no second alarm, nothing annunciated
    assert (a.state, a.active) == (AlarmState.SHELVED, True)
    assert book.is_active(STALE)
    assert book.rate_per_10min() == 1
    assert book.active() == [] and len(book.active(include_shelved=True)) == 1


def test_unshelve_by_hand_returns_to_the_condition_now(book: AlarmBook, clock: Clock) -> None:
    a = _in_state(book, clock, AlarmState.UNACK)
    book.shelve(a.id, "lan", "kiểm tra", clock.now + HOUR)
    clock.advance(MIN)
    got = book.unshelve(a.id, "minh")
    assert got is a and (a.state, a.active) == (AlarmState.UNACK, True)
    assert a.events[-1].what == "unshelved" and a.events[-1].user == "minh"
    assert book.rate_per_10min() == 2  # annunciated again
    # returned while shelved → unshelving closes it
    book.shelve(a.id, "lan", "kiểm tra", clock.now + HOUR)
    book.clear(STALE)
    book.unshelve(a.id, "minh")
    assert a.state is AlarmState.NORMAL and book.history() == [a]


@pytest.mark.parametrize(
    ("reason", "until_offset_ms", "message"),
    [
        ("", HOUR, "a reason for shelving is required"),
        ("   ", HOUR, "a reason for shelving is required"),
        ("đang sửa", -5 * MIN, "shelve expiry must be in the future (it is 5 min ago)"),
        ("đang sửa", 0, "shelve expiry must be in the future (it is 0 s ago)"),
        (
            "đang sửa",
            9 * HOUR + 30 * MIN,
            "alarms can be shelved for at most 8 h; asked for 9 h 30 min",
        ),
    ],
)
def test_shelve_validation_says_what_is_wrong(
    book: AlarmBook, clock: Clock, reason: str, until_offset_ms: int, message: str
) -> None:
    a = raised(book)
    with pytest.raises(InvalidRequest) as exc:
        book.shelve(a.id, "lan", reason, clock.now + until_offset_ms)
    assert str(exc.value) == message
    assert a.state is AlarmState.UNACK and a.shelved_by is None  # nothing changed


def test_shelve_limit_is_configurable_and_inclusive(clock: Clock) -> None:
    book = AlarmBook(clock, max_shelve_ms=15 * MIN)
    a = raised(book)
    with pytest.raises(InvalidRequest, match="at most 15 min; asked for 16 min"):
        book.shelve(a.id, "lan", "x", clock.now + 16 * MIN)
    book.shelve(a.id, "lan", "x", clock.now + 15 * MIN)
    assert a.state is AlarmState.SHELVED


# --- invalid operations ------------------------------------------------------------------
def test_invalid_transitions_have_clear_messages(book: AlarmBook, clock: Clock) -> None:
    a = raised(book)
    book.ack(a.id, "lan")
    with pytest.raises(
        InvalidTransition, match=rf"^alarm {a.id} is already acknowledged \(by lan\)"
    ):
        book.ack(a.id, "minh")
    assert a.acked_by == "lan"  # the first acknowledgement stands
    with pytest.raises(InvalidTransition, match=rf"^alarm {a.id} is not shelved$"):
        book.unshelve(a.id, "minh")
    book.shelve(a.id, "lan", "x", clock.now + MIN)
    with pytest.raises(InvalidTransition, match="already shelved"):
        book.shelve(a.id, "lan", "x", clock.now + MIN)
    with pytest.raises(InvalidTransition, match="is shelved .* unshelve it to acknowledge it"):
        book.ack(a.id, "minh")
    book.clear(STALE)
    book.unshelve(a.id, "lan")
    assert a.state is AlarmState.NORMAL
    with pytest.raises(InvalidTransition, match="already returned to normal"):
        book.ack(a.id, "minh")
    with pytest.raises(InvalidTransition, match="nothing to shelve"):
        book.shelve(a.id, "lan", "x", clock.now + MIN)
    with pytest.raises(AlarmNotFound, match="^alarm 999 not found"):
        book.ack(999, "lan")
    with pytest.raises(InvalidRequest, match="user is required"):
        book.ack(raised(book).id, " ")
    # the API maps the whole tree; ValueError/LookupError let generic callers cope too
    assert issubclass(AlarmNotFound, AlarmError) and issubclass(AlarmNotFound, LookupError)
    assert issubclass(InvalidRequest, ValueError) and issubclass(InvalidTransition, AlarmError)


# --- rate and flood ----------------------------------------------------------------------
def test_flood_above_threshold_and_window_slides_with_clock(clock: Clock) -> None:
    book = AlarmBook(clock, flood_per_10min=3)
    for i in range(3):
        raised(book, key=f"train:T0{i + 1}:stale")
        clock.advance(MIN)
    assert book.rate_per_10min() == 3 and not book.flood  # at the threshold: not a flood
    raised(book, key="train:T04:stale")  # at T0 + 3 min
    assert book.rate_per_10min() == 4 and book.flood
    assert book.summary()["flood"] is True
    # the first annunciation (at T0) leaves the window exactly 10 min later
    clock.now = T0 + 10 * MIN - 1
    assert book.rate_per_10min() == 4
    clock.now = T0 + 10 * MIN
    assert book.rate_per_10min() == 3 and not book.flood
    clock.now = T0 + 13 * MIN
    assert book.rate_per_10min() == 0
    # the alarms themselves are still there: rate is about annunciations, not open alarms
    assert len(book.active()) == 4


# --- board views ---------------------------------------------------------------------------
def test_active_sorted_by_priority_then_newest(book: AlarmBook, clock: Clock) -> None:
    low = raised(book, "k:low", Priority.LOW)
    clock.advance(1000)
    high_old = raised(book, "k:high1", Priority.HIGH)
    clock.advance(1000)
    crit = raised(book, "k:crit", Priority.CRITICAL)
    clock.advance(1000)
    high_new = raised(book, "k:high2", Priority.HIGH)
    assert [a.id for a in book.active()] == [crit.id, high_new.id, high_old.id, low.id]
    assert [a.id for a in (low, high_old, crit, high_new)] == [1, 2, 3, 4]  # unique, increasing


def test_summary_counts_for_board_kpis(book: AlarmBook, clock: Clock) -> None:
    a = raised(book, "k:a", Priority.CRITICAL)
    b = raised(book, "k:b", Priority.HIGH)
    c = raised(book, "k:c", Priority.MEDIUM)
    raised(book, "k:d", Priority.LOW)
    book.ack(a.id, "lan")
    book.clear("k:b")
    book.shelve(c.id, "lan", "x", clock.now + MIN)
    s = book.summary()
    assert s["by_state"] == {"unack": 1, "acked": 1, "rtn_unack": 1, "shelved": 1}
    assert s["by_priority"] == {"critical": 1, "high": 1, "medium": 0, "low": 1}
    assert (s["open"], s["shown"], s["unacked"], s["shelved"]) == (4, 3, 2, 1)
    assert (s["rate_per_10min"], s["flood"], s["flood_per_10min"]) == (4, False, 10)
    assert b.state is AlarmState.RTN_UNACK
    json.dumps(s)


def test_history_is_bounded_newest_first(clock: Clock) -> None:
    book = AlarmBook(clock, history_max=3)
    ids = []
    for i in range(5):
        a = raised(book, f"k:{i}")
        book.clear(f"k:{i}")
        book.ack(a.id, "lan")
        ids.append(a.id)
        clock.advance(1000)
    assert [a.id for a in book.history()] == ids[:1:-1]
    assert [a.id for a in book.history(limit=2)] == ids[:2:-1]
    assert book.history(limit=0) == []
    with pytest.raises(AlarmNotFound, match="aged out of history"):
        book.get(ids[0])


def test_comments_are_kept_with_who_and_when(book: AlarmBook, clock: Clock, rec: Recorder) -> None:
    a = raised(book)
    clock.advance(7000)
    book.comment(a.id, "lan", "đã gọi lái tàu T05")
    assert [(c.user, c.ts_ms, c.text) for c in a.comments] == [
        ("lan", T0 + 7000, "đã gọi lái tàu T05")
    ]
    assert a.to_dict()["comments"] == [
        {"user": "lan", "ts_ms": T0 + 7000, "text": "đã gọi lái tàu T05"}
    ]
    assert len(rec.seen) == 2  # the websocket pushes the comment too
    with pytest.raises(InvalidRequest, match="comment text is required"):
        book.comment(a.id, "lan", "  ")


def test_failing_subscriber_does_not_undo_an_ack(clock: Clock) -> None:
    calls: list[AlarmState] = []

    def broken(a: Alarm) -> None:
        calls.append(a.state)
        raise RuntimeError("websocket gone")

    book = AlarmBook(clock, on_change=broken)
    a = raised(book)
    assert book.ack(a.id, "lan").state is AlarmState.ACKED
    assert calls == [AlarmState.UNACK, AlarmState.ACKED]


def test_journal_of_a_chattering_alarm_is_bounded(book: AlarmBook) -> None:
    a = raised(book)
    for _ in range(500):
        book.clear(STALE)
        stale(book)
    assert a.annunciations == 501
    assert len(a.events) == 100
    assert a.events[0].what == "raised"  # how it started is kept


# --- stateful property test -------------------------------------------------------------
KEYS = ("train:T01:stale", "train:T02:offline", DC_LOW, "substation:SS3:stale")
USERS = st.sampled_from(("lan", "minh", "hà"))


class AlarmBookMachine(RuleBasedStateMachine):
    """Random field and operator actions against an independent model of conditions and rate."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.reported: dict[int, tuple[AlarmState, bool]] = {}
        self.book = AlarmBook(
            self.clock, flood_per_10min=5, history_max=6, on_change=self._on_change
        )
        self.condition = dict.fromkeys(KEYS, False)
        self.annunciated: list[int] = []  # model of annunciation times
        self.max_id = 0

    def _on_change(self, a: Alarm) -> None:
        self.reported[a.id] = (a.state, a.active)

    def _state_of(self, alarm_id: int) -> AlarmState | None:
        try:
            return self.book.get(alarm_id).state
        except AlarmNotFound:
            return None

    # P3/P4: shelving P1/P2 takes two people (its own tests, test_alarm_management.py)
    @rule(
        target=ids, key=st.sampled_from(KEYS), prio=st.sampled_from((Priority.MEDIUM, Priority.LOW))
    )
    def raise_(self, key: str, prio: Priority) -> object:
        before = next((a for a in self.book.active(include_shelved=True) if a.key == key), None)
        before_state = None if before is None else before.state
        was_active = before is not None and before.active
        got = self.book.raise_alarm(
            key, prio, "src", Message("alarm.saved_text", {"vi": "vi", "en": "en"})
        )
        self.condition[key] = True
        if before is None:
            assert got is not None and got.id > self.max_id and got.state is AlarmState.UNACK
            self.max_id = got.id
        elif was_active or before_state is AlarmState.SHELVED:
            assert got is None  # no duplicate; shelved: tracked, not annunciated
            assert before.state is before_state
        else:
            assert before_state is AlarmState.RTN_UNACK
            assert got is before and got.state is AlarmState.UNACK
        if got is None:
            return multiple()
        self.annunciated.append(self.clock.now)
        return got.id

    @rule(key=st.sampled_from(KEYS))
    def clear(self, key: str) -> None:
        self.book.clear(key)
        self.condition[key] = False

    @rule(alarm_id=ids, user=USERS)
    def ack(self, alarm_id: int, user: str) -> None:
        before = self._state_of(alarm_id)
        if before is None:
            with pytest.raises(AlarmNotFound):
                self.book.ack(alarm_id, user)
            return
        if before not in (AlarmState.UNACK, AlarmState.RTN_UNACK):
            with pytest.raises(InvalidTransition):
                self.book.ack(alarm_id, user)
            assert self._state_of(alarm_id) is before
            return
        a = self.book.ack(alarm_id, user)
        assert (a.acked_by, a.acked_ms) == (user, self.clock.now)
        expected = AlarmState.ACKED if before is AlarmState.UNACK else AlarmState.NORMAL
        assert a.state is expected

    @rule(
        alarm_id=ids,
        user=USERS,
        minutes=st.integers(-5, 9 * 60),
        reason=st.sampled_from(("", "bảo trì")),
    )
    def shelve(self, alarm_id: int, user: str, minutes: int, reason: str) -> None:
        before = self._state_of(alarm_id)
        until = self.clock.now + minutes * MIN
        ok_state = before in (AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK)
        ok_args = reason != "" and 0 < minutes <= 8 * 60
        if ok_state and ok_args:
            a = self.book.shelve(alarm_id, user, reason, until)
            assert a.state is AlarmState.SHELVED and a.shelved_until_ms == until
            return
        with pytest.raises(AlarmError):
            self.book.shelve(alarm_id, user, reason, until)
        assert self._state_of(alarm_id) is before

    @rule(alarm_id=ids, user=USERS)
    def unshelve(self, alarm_id: int, user: str) -> None:
        before = self._state_of(alarm_id)
        if before is not AlarmState.SHELVED:
            with pytest.raises(AlarmError):
                self.book.unshelve(alarm_id, user)
            return
        a = self.book.unshelve(alarm_id, user)
        if self.condition[a.key]:
            assert a.state is AlarmState.UNACK
            self.annunciated.append(self.clock.now)
        else:
            assert a.state is AlarmState.NORMAL

    # whole minutes as well, so that shelve expiries and the 10-min window edge are hit exactly
    @rule(ms=st.one_of(st.integers(0, 180).map(lambda m: m * MIN), st.integers(0, 3 * HOUR)))
    def advance_and_tick(self, ms: int) -> None:
        self.clock.advance(ms)
        due = [
            a
            for a in self.book.active(include_shelved=True)
            if a.state is AlarmState.SHELVED
            and a.shelved_until_ms is not None
            and a.shelved_until_ms <= self.clock.now
        ]
        self.book.tick()
        for a in due:
            assert a.state is (AlarmState.UNACK if self.condition[a.key] else AlarmState.NORMAL)
            if a.state is AlarmState.UNACK:
                self.annunciated.append(self.clock.now)

    @invariant()
    def one_open_alarm_per_key_matching_the_condition(self) -> None:
        open_ = self.book.active(include_shelved=True)
        keys = [a.key for a in open_]
        assert len(keys) == len(set(keys))
        for k in KEYS:
            assert self.book.is_active(k) is self.condition[k]

    @invariant()
    def states_are_consistent(self) -> None:
        shown = self.book.active()
        open_ = self.book.active(include_shelved=True)
        assert all(a.state not in (AlarmState.NORMAL, AlarmState.SHELVED) for a in shown)
        assert all(a.state is not AlarmState.NORMAL for a in open_)
        assert [a.id for a in shown] == [a.id for a in open_ if a.state is not AlarmState.SHELVED]
        assert open_ == sorted(open_, key=lambda a: (a.priority, -a.raised_ms, -a.id))
        for a in open_:
            if a.state is AlarmState.ACKED:
                assert a.acked_by is not None and a.acked_ms is not None
                assert a.active
            if a.state in (AlarmState.UNACK, AlarmState.RTN_UNACK):
                assert a.acked_by is None and a.acked_ms is None
                assert a.active is (a.state is AlarmState.UNACK)
            shelved = a.state is AlarmState.SHELVED
            assert (a.shelved_by is not None) is shelved
            assert (a.shelve_reason is not None) is shelved
            if shelved:
                assert a.shelved_until_ms is not None and a.shelved_until_ms > self.clock.now
        for h in self.book.history(limit=1000):
            assert h.state is AlarmState.NORMAL and not h.active
            assert h.acked_by is not None or h.events[-1].what in ("unshelved", "shelve_expired")

    @invariant()
    def summary_matches_active(self) -> None:
        s = self.book.summary()
        open_ = self.book.active(include_shelved=True)
        shown = self.book.active()
        assert s["by_state"] == {
            st_.value: sum(a.state is st_ for a in open_)
            for st_ in AlarmState
            if st_ is not AlarmState.NORMAL
        }
        assert s["by_priority"] == {
            p.name.lower(): Counter(a.priority for a in shown)[p] for p in Priority
        }
        assert s["open"] == len(open_) and s["shown"] == len(shown)

    @invariant()
    def rate_matches_model(self) -> None:
        now = self.clock.now
        expected = sum(1 for t in self.annunciated if now - 10 * MIN < t <= now)
        assert self.book.rate_per_10min() == expected
        assert self.book.flood is (expected > 5)

    @invariant()
    def every_change_was_reported(self) -> None:
        for a in self.book.active(include_shelved=True) + self.book.history(limit=1000):
            assert self.reported[a.id] == (a.state, a.active)


def test_random_operation_sequences_keep_invariants() -> None:
    run_state_machine_as_test(
        AlarmBookMachine,
        settings=settings(
            max_examples=150,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


# --- the catalogue ---------------------------------------------------------------------------
def test_saved_book_keeps_its_texts_and_code(clock: Clock) -> None:
    book = AlarmBook(clock)
    a = stale(book)
    assert a is not None
    again = AlarmBook(clock)
    again.restore(json.loads(json.dumps(book.export())))
    got = again.get(a.id)
    assert got.text == a.text and got.message_en == "Train T05: no telemetry for 12 s"


def test_book_saved_before_the_catalogue_shows_its_texts_as_they_were(clock: Clock) -> None:
    d = stale(AlarmBook(clock))
    assert d is not None
    old = d.to_dict()
    for k in ("code", "params"):
        del old[k]  # an alarm book saved by the previous release had only the two texts
    old["message"], old["message_en"] = "Tàu T05: mất tín hiệu", "Train T05: no telemetry"
    book = AlarmBook(clock)
    book.restore({"next_id": 2, "open": [old]})
    a = book.get(d.id)
    assert (a.message, a.message_en) == ("Tàu T05: mất tín hiệu", "Train T05: no telemetry")


# --- actions another replica took, applied with their own time ---------------------------------
def test_actions_applied_with_the_time_they_were_taken(book: AlarmBook, clock: Clock) -> None:
    a = raised(book)
    b = raised(book, DC_LOW)
    clock.advance(5 * MIN)  # applied here 5 min after the other replica took them
    taken = T0 + MIN
    book.ack(a.id, "dd01", at_ms=taken)
    assert (a.acked_by, a.acked_ms) == ("dd01", taken)
    assert a.events[-1].ts_ms == taken
    book.comment(a.id, "dd01", "đã gọi lái tàu", at_ms=taken + 1)
    assert a.comments[-1].ts_ms == taken + 1
    # a shelve's expiry is checked against when it was taken, not when it arrives here
    book.shelve(b.id, "dd02", "bảo trì", T0 + 3 * MIN, at_ms=taken)
    assert b.state is AlarmState.SHELVED and b.shelved_until_ms == T0 + 3 * MIN
    with pytest.raises(InvalidRequest, match="at most"):
        book.shelve(a.id, "dd02", "x", taken + 9 * HOUR, at_ms=taken)
    book.unshelve(b.id, "dd02", at_ms=taken + 2)
    assert b.state is AlarmState.UNACK and b.raised_ms == taken + 2
    # without at_ms: now, as before
    book.comment(b.id, "dd02", "now")
    assert b.comments[-1].ts_ms == clock.now


def test_open_for_finds_the_open_alarm_of_a_condition(book: AlarmBook) -> None:
    assert book.open_for(STALE) is None
    a = raised(book)
    assert book.open_for(STALE) is a
    book.ack(a.id, "dd01")
    assert book.open_for(STALE) is a  # acknowledged, still open
    book.clear(STALE)
    assert book.open_for(STALE) is None  # normal: in history, no longer open
