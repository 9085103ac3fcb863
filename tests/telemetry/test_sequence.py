from __future__ import annotations

from telemetry.schemas import SEQ_MODULUS
from telemetry.sequence import SeqTracker, SeqVerdict


def test_in_order_duplicates_and_older_are_told_apart() -> None:
    t = SeqTracker(grace_ms=1000)
    assert t.observe(10, 1000, 0) is SeqVerdict.NEWER
    assert t.observe(11, 2000, 0) is SeqVerdict.NEWER
    assert t.observe(11, 2000, 0) is SeqVerdict.DUPLICATE
    assert t.observe(9, 900, 0) is SeqVerdict.OLDER
    assert t.expire(10_000) == 0 and t.lost == 0


def test_gap_is_lost_only_after_grace_and_late_messages_fill_it() -> None:
    t = SeqTracker(grace_ms=1000)
    t.observe(1, 1, now_ms=0)
    t.observe(5, 5, now_ms=0)  # 2, 3, 4 missing
    assert t.observe(3, 3, now_ms=500) is SeqVerdict.LATE_FILL  # late, not lost
    assert t.expire(now_ms=999) == 0
    assert t.expire(now_ms=1000) == 2
    assert t.lost == 2
    assert t.lost_ranges == [(2, 2), (4, 4)]


def test_wraparound_at_2_pow_31_is_not_a_gap() -> None:
    t = SeqTracker()
    t.observe(SEQ_MODULUS - 1, 1, 0)
    assert t.observe(0, 2, 0) is SeqVerdict.NEWER
    assert t.observe(1, 3, 0) is SeqVerdict.NEWER
    assert t.expire(10**9) == 0


def test_unit_restart_resets_instead_of_ignoring_everything() -> None:
    t = SeqTracker()
    t.observe(500_000, 1_000, 0)
    # the on-board unit rebooted: seq starts again, ts moves on
    assert t.observe(0, 2_000, 0) is SeqVerdict.RESET
    assert t.observe(1, 3_000, 0) is SeqVerdict.NEWER
    assert t.resets == 1


def test_huge_gap_is_counted_without_unbounded_memory() -> None:
    t = SeqTracker()
    t.observe(0, 1, 0)
    t.observe(1_000_000, 2, 0)
    assert t.lost == 999_999 and not t.missing
