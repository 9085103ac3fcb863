"""Alarm management rules of the alarm book (ISA-18.2 / EEMUA 191): shelving P1/P2 takes a
reason of substance, a shorter maximum and a second person; suppression by design of the
alarms of a train out of service (in the book, and driven by the live state's train mode)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from line import load_line
from line.catalogue import Message, render
from telemetry.alarm_rules import DRIVER_ALARM_KINDS
from telemetry.alarms import (
    SHELVE_REQUEST_TTL_MS,
    Alarm,
    AlarmBook,
    AlarmState,
    InvalidRequest,
    InvalidTransition,
    Priority,
    alarm_from_dict,
    reason_problem,
)
from telemetry.config import StateSettings
from telemetry.metrics import TelemetryMetrics
from telemetry.state import LineState
from tests.telemetry.test_alarms import MIN, T0, Clock
from tests.telemetry.test_state import T0 as STATE_T0
from tests.telemetry.test_state import tel

GOOD_REASON = "Cảm biến cửa T05 hỏng, đã báo đội bảo trì xử lý"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(clock: Clock) -> AlarmBook:
    return AlarmBook(clock, never_suppress=DRIVER_ALARM_KINDS)


def fault(book: AlarmBook, train: str = "T05", prio: Priority = Priority.CRITICAL) -> Alarm:
    a = book.raise_alarm(
        f"train:{train}:fault:E12",
        prio,
        train,
        Message("alarm.train.fault", {"train": train, "fault": "E12", "detail": ""}),
    )
    assert a is not None
    return a


# --- a reason of substance -------------------------------------------------------------------
@pytest.mark.parametrize(
    "reason",
    [
        "bảo trì",  # too short
        "aaaaaaaaaaaaaaaaaaaa",  # one character repeated
        "test test test test test",  # one word repeated
        "asdf asdf asdf asdf",  # filler
        "x.x.x.x.x.x.x.x.x.x",  # punctuation filler
        "               ok              ",  # whitespace does not count
    ],
)
def test_a_p1_shelve_reason_without_substance_is_refused(
    book: AlarmBook, clock: Clock, reason: str
) -> None:
    a = fault(book)
    assert reason_problem(reason) is not None
    with pytest.raises(InvalidRequest, match="reason"):
        book.shelve(a.id, "lan", reason, clock.now + 30 * MIN)
    assert a.state is AlarmState.UNACK and a.shelve_request is None


@pytest.mark.parametrize(
    "reason",
    [GOOD_REASON, "Door sensor T05 faulty, maintenance called", "Bảo trì trạm SS2 lệnh 17"],
)
def test_a_reason_in_words_is_accepted(reason: str) -> None:
    assert reason_problem(reason) is None


def test_p3_p4_keep_the_plain_reason_rule(book: AlarmBook, clock: Clock) -> None:
    a = fault(book, prio=Priority.LOW)
    got = book.shelve(a.id, "lan", "nhấp nháy", clock.now + 4 * 60 * MIN)
    assert got.state is AlarmState.SHELVED and got.shelve_request is None


# --- a shorter maximum -----------------------------------------------------------------------
@pytest.mark.parametrize("prio", [Priority.CRITICAL, Priority.HIGH])
def test_p1_p2_are_shelved_for_at_most_an_hour(
    book: AlarmBook, clock: Clock, prio: Priority
) -> None:
    a = fault(book, prio=prio)
    with pytest.raises(
        InvalidRequest, match=rf"P{int(prio)} alarms can be shelved for at most 1 h"
    ):
        book.shelve(a.id, "lan", GOOD_REASON, clock.now + 61 * MIN)
    book.shelve(a.id, "lan", GOOD_REASON, clock.now + 60 * MIN)  # inclusive
    assert a.shelve_request is not None


def test_the_p1_p2_maximum_is_configurable(clock: Clock) -> None:
    book = AlarmBook(clock, max_shelve_high_ms=20 * MIN)
    a = fault(book)
    with pytest.raises(InvalidRequest, match="at most 20 min"):
        book.shelve(a.id, "lan", GOOD_REASON, clock.now + 21 * MIN)


# --- a second person -------------------------------------------------------------------------
def test_a_p1_shelve_is_a_request_until_a_second_person_approves(
    book: AlarmBook, clock: Clock
) -> None:
    a = fault(book)
    got = book.shelve(a.id, "lan", GOOD_REASON, clock.now + 30 * MIN)
    # nothing is hidden yet: still on the list, still needing acknowledgement
    assert got.state is AlarmState.UNACK and got.shelve_request is not None
    assert got.shelve_request.user == "lan"
    assert book.active() == [a] and book.summary()["unacked_p1"] == 1
    with pytest.raises(InvalidTransition, match="needs a second person"):
        book.approve_shelve(a.id, "lan")
    with pytest.raises(InvalidTransition, match="needs a second person"):
        book.approve_shelve(a.id, "LAN")  # the same person in other letters
    clock.now += 5 * MIN
    book.approve_shelve(a.id, "minh")
    assert a.state is AlarmState.SHELVED and a.shelve_request is None
    assert (a.shelved_by, a.shelve_reason) == ("lan", GOOD_REASON)
    assert a.shelved_until_ms == clock.now + 30 * MIN  # counted from the approval
    assert [e.what for e in a.events][-2:] == ["shelve_approved", "shelved"]
    assert a.events[-2].user == "minh"


def test_a_lapsed_request_cannot_be_approved(book: AlarmBook, clock: Clock) -> None:
    a = fault(book, prio=Priority.HIGH)
    book.shelve(a.id, "lan", GOOD_REASON, clock.now + 30 * MIN)
    clock.now += SHELVE_REQUEST_TTL_MS + 1
    with pytest.raises(InvalidTransition, match="lapsed"):
        book.approve_shelve(a.id, "minh")
    assert a.state is AlarmState.UNACK and a.shelve_request is None
    with pytest.raises(InvalidTransition, match="no shelve request"):
        book.approve_shelve(a.id, "minh")


def test_a_shelve_request_survives_export_and_restore(book: AlarmBook, clock: Clock) -> None:
    a = fault(book)
    book.shelve(a.id, "lan", GOOD_REASON, clock.now + 30 * MIN)
    back = alarm_from_dict(a.to_dict())
    assert back.shelve_request == a.shelve_request


# --- suppression by design -------------------------------------------------------------------
def test_alarms_of_a_train_out_of_service_are_suppressed_listed_and_not_counted(
    book: AlarmBook, clock: Clock
) -> None:
    book.suppress_train("T05", True)
    a = fault(book, "T05")
    b = fault(book, "T06", Priority.LOW)
    assert a.suppressed and not b.suppressed
    assert book.active() == [a, b]  # listed, never hidden
    s = book.summary()
    assert (s["rate_per_10min"], s["unacked"], s["unacked_p1"], s["shown"]) == (1, 1, 0, 1)
    assert s["suppressed"] == 1
    assert a.to_dict()["suppressed"] is True
    # back in service: it comes back, annunciated (newest) and counted
    clock.now += MIN
    book.suppress_train("T05", False)
    assert not a.suppressed and a.raised_ms == clock.now
    s = book.summary()
    assert (s["rate_per_10min"], s["unacked"], s["unacked_p1"], s["suppressed"]) == (2, 2, 1, 0)


def test_open_alarms_become_suppressed_when_their_train_leaves_service(
    book: AlarmBook, clock: Clock
) -> None:
    a = fault(book, "T05")
    book.suppress_train("T05", True)
    assert a.suppressed and book.summary()["unacked_p1"] == 0
    assert a.events[-1].what == "suppressed"
    # a condition returning while suppressed is not counted either
    book.clear(a.key)
    fault(book, "T05")
    assert book.rate_per_10min() == 1


def test_a_driver_not_cleared_is_never_suppressed(book: AlarmBook) -> None:
    book.suppress_train("T05", True)
    a = book.raise_alarm(
        "train:T05:driver_not_cleared",
        Priority.CRITICAL,
        "T05",
        Message("alarm.train.stale", {"train": "T05", "age_s": 1}),
    )
    assert a is not None and not a.suppressed


def test_the_live_state_suppresses_a_train_in_the_depot_and_restores_it_in_service() -> None:
    line = load_line()
    clock = Clock(STATE_T0)
    book = AlarmBook(clock)
    state = LineState(
        line, StateSettings(timetable="2026"), book, TelemetryMetrics(CollectorRegistry())
    )
    state.apply(tel("T10", 1, STATE_T0, 13050.0, mode="depot", speed_kmh=0), clock.now)
    clock.now += 6000  # silent: stale
    state.tick(clock.now)
    stale = next(a for a in book.active() if a.key == "train:T10:stale")
    assert stale.suppressed and book.summary()["unacked"] == 0
    state.apply(tel("T10", 2, STATE_T0 + 6000, 13000.0, mode="ATO"), clock.now)
    assert not stale.suppressed


# --- times in alarm texts --------------------------------------------------------------------
def test_times_in_crew_problem_texts_are_hanoi_time_day_first() -> None:
    from datetime import UTC, datetime

    from crew.eligibility import hanoi_text

    # the roster shows 14:26 Hanoi time; the record stores 07:26 UTC: the text says 14:26
    assert hanoi_text(datetime(2026, 11, 14, 7, 26, tzinfo=UTC)) == "14/11/2026 14:26"
    assert hanoi_text(datetime(2026, 11, 14, 7, 26, tzinfo=UTC), with_date=False) == "14:26"
    assert hanoi_text(datetime(2026, 11, 14, 14, 26)) == "14/11/2026 14:26"  # naive: local


def test_the_journal_says_in_the_readers_language_what_the_system_added(
    book: AlarmBook, clock: Clock
) -> None:
    """A shelve keeps the operator's reason as written and its length as a note; the second
    person and the suppression are notes too — all rendered in Vietnamese or English, and
    kept through a save and restore of the book."""
    a = fault(book, prio=Priority.CRITICAL)
    book.shelve(a.id, "lan", GOOD_REASON, T0 + 30 * MIN)
    book.approve_shelve(a.id, "minh")
    approved, shelved = a.events[-2:]
    assert (shelved.what, shelved.detail) == ("shelved", GOOD_REASON)
    assert shelved.note is not None and approved.note is not None
    assert (render(shelved.note), render(shelved.note, "en")) == ("30 phút", "30 min")
    assert render(approved.note) == "theo yêu cầu của lan"
    clock.now += 45 * MIN  # the shelve ends: who shelved it and why, said again
    book.tick()
    ended = a.events[-1]
    assert ended.detail == GOOD_REASON and ended.note is not None
    assert render(ended.note, "en") == "shelved by lan"
    restored = alarm_from_dict(a.to_dict())
    assert [(e.detail, e.note) for e in restored.events] == [(e.detail, e.note) for e in a.events]
