"""Per-train ``seq`` bookkeeping: newer/duplicate/older, and loss from gaps.

ICD: ``seq`` increases by one per message (telemetry and events share it) and wraps at 2^31.
Telemetry travels at QoS 0 and events at QoS 1, so a message may arrive after a later one: a
missing number is only declared lost after ``grace_ms``; if it turns up before, it was late,
not lost.

Order is judged by ``seq`` alone, never by ``ts`` (a unit's clock may be wrong, or set back):
a message with a higher ``seq`` is newer whatever its timestamp. A restarted unit starts ``seq``
again at 1 (ICD "unit restarts"): its birth resets the tracker (:meth:`SeqTracker.reset`), and
without a birth a lower ``seq`` is taken as a restart when its ``ts`` is more than
``RESTART_TS_NEWER_MS`` newer than the last accepted one, when it jumps back more than
``RESET_BACKWARDS`` with a newer ``ts``, or when ``RESTART_RUN`` consecutive numbers arrive
behind the old counter (a restart whose clock was set back and whose birth was lost: the new
stream is coherent, old stragglers are not).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from telemetry.schemas import SEQ_MODULUS

_HALF = SEQ_MODULUS // 2
MAX_TRACKED_MISSING = 10_000  # beyond this a gap is counted lost at once (bounded memory)
RESET_BACKWARDS = 1_000  # a jump back larger than this with a newer ts is a unit restart
RESTART_TS_NEWER_MS = 60_000  # ICD: lower seq, ts this much newer than the last: a restart
RESTART_RUN = 10  # this many consecutive seq numbers behind the counter: a new stream


class SeqVerdict(enum.Enum):
    NEWER = "newer"
    DUPLICATE = "duplicate"
    OLDER = "older"  # late: must not overwrite newer state
    LATE_FILL = "late_fill"  # older, but fills a gap: a late message, not a lost one
    RESET = "reset"


@dataclass(slots=True)
class SeqTracker:
    grace_ms: int = 3000
    last_seq: int | None = None
    last_ts: int | None = None
    lost: int = 0
    resets: int = 0
    missing: dict[int, int] = field(default_factory=dict)  # seq -> noticed at (ms)
    lost_ranges: list[tuple[int, int]] = field(default_factory=list)  # recent, for diagnosis
    ranges_noted: int = 0  # lost ranges ever noted (lost_ranges keeps only the last 20)
    _behind_last: int | None = None  # the newest of a run of numbers behind the counter
    _behind_run: int = 0  # how long that run is

    def reset(self) -> None:
        """The unit restarted (its birth): the next message starts a new sequence.

        Missing numbers of the old sequence are dropped, not counted lost: they may still
        arrive and would then be misjudged against the new counter. Loss counted so far stays.
        """
        if self.last_seq is not None:
            self.resets += 1
        self.last_seq = self.last_ts = None
        self.missing.clear()
        self._behind_last, self._behind_run = None, 0

    def observe(self, seq: int, ts: int, now_ms: int) -> SeqVerdict:
        last = self.last_seq
        if last is None:
            self.last_seq, self.last_ts = seq, ts
            return SeqVerdict.NEWER
        diff = (seq - last) % SEQ_MODULUS
        if diff == 0:
            return SeqVerdict.DUPLICATE
        if diff < _HALF:
            if diff > 1:
                self._note_gap(last, diff - 1, now_ms)
            self.last_seq, self.last_ts = seq, ts
            self._behind_run = 0
            return SeqVerdict.NEWER
        # behind the newest seq
        back = SEQ_MODULUS - diff
        if seq in self.missing:
            del self.missing[seq]
            return SeqVerdict.LATE_FILL
        if self._restarted(seq, ts, back):
            self.reset()
            self.last_seq, self.last_ts = seq, ts
            return SeqVerdict.RESET
        return SeqVerdict.OLDER

    def _restarted(self, seq: int, ts: int, back: int) -> bool:
        last_ts = self.last_ts
        if last_ts is not None and (
            ts > last_ts + RESTART_TS_NEWER_MS or (back > RESET_BACKWARDS and ts > last_ts)
        ):
            return True
        if self._behind_last is not None and seq == (self._behind_last + 1) % SEQ_MODULUS:
            self._behind_run += 1
        else:
            self._behind_run = 1
        self._behind_last = seq
        return self._behind_run >= RESTART_RUN

    def _note_gap(self, last: int, count: int, now_ms: int) -> None:
        if count > MAX_TRACKED_MISSING or len(self.missing) + count > MAX_TRACKED_MISSING:
            self.lost += count
            self._remember((last + 1) % SEQ_MODULUS, (last + count) % SEQ_MODULUS)
            return
        for k in range(1, count + 1):
            self.missing[(last + k) % SEQ_MODULUS] = now_ms

    def expire(self, now_ms: int) -> int:
        """Declare lost the numbers missing for longer than the grace period; return how many."""
        if not self.missing:
            return 0
        due = sorted(s for s, t in self.missing.items() if now_ms - t >= self.grace_ms)
        for s in due:
            del self.missing[s]
        if due:
            start = prev = due[0]
            for s in due[1:]:
                if s != (prev + 1) % SEQ_MODULUS:
                    self._remember(start, prev)
                    start = s
                prev = s
            self._remember(start, prev)
        self.lost += len(due)
        return len(due)

    def _remember(self, first: int, last: int) -> None:
        self.ranges_noted += 1
        self.lost_ranges.append((first, last))
        del self.lost_ranges[:-20]
