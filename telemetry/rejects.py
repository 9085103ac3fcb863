"""Rejected field messages: counted by reason, with a bounded sample kept for diagnosis."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from telemetry.schemas import Reject, RejectReason


@dataclass(frozen=True, slots=True)
class RejectSample:
    received_ms: int
    reason: RejectReason
    topic: str
    detail: str
    payload: str  # a printable prefix of the payload


class RejectLog:
    """Counts every reject; keeps the last ``samples_per_reason`` of each reason."""

    def __init__(self, samples_per_reason: int = 20, payload_prefix: int = 300) -> None:
        self._counts: Counter[RejectReason] = Counter()
        self._samples: dict[RejectReason, deque[RejectSample]] = {}
        self._per_reason = samples_per_reason
        self._prefix = payload_prefix

    def record(self, reject: Reject, received_ms: int) -> None:
        self._counts[reject.reason] += 1
        q = self._samples.get(reject.reason)
        if q is None:
            q = self._samples[reject.reason] = deque(maxlen=self._per_reason)
        raw = reject.payload[: self._prefix]
        q.append(
            RejectSample(
                received_ms,
                reject.reason,
                reject.topic[:200],
                reject.detail,
                raw.decode("utf-8", errors="backslashreplace"),
            )
        )

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def counts(self) -> dict[str, int]:
        return {r.value: n for r, n in sorted(self._counts.items())}

    def samples(self, reason: RejectReason | None = None) -> list[RejectSample]:
        if reason is not None:
            return list(self._samples.get(reason, ()))
        return [s for q in self._samples.values() for s in q]

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "by_reason": self.counts(),
            "samples": [
                {
                    "received_ms": s.received_ms,
                    "reason": s.reason.value,
                    "topic": s.topic,
                    "detail": s.detail,
                    "payload": s.payload,
                }
                for s in sorted(self.samples(), key=lambda s: -s.received_ms)
            ],
        }
