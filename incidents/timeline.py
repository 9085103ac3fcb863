"""One timeline out of many sources: each source answers for a window, the answers are merged
in time order. A source that fails is named in the result rather than failing the timeline:
an operator reconstructing an incident needs what can be had, and must see what is missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import structlog

from incidents.model import TimelineEvent, check_window

log = structlog.get_logger(__name__)

MAX_EVENTS = 5000  # per timeline: a week of a busy line's events, not a flood's every repeat


class TimelineSource(Protocol):
    """Events of one kind in ``[start_ms, end_ms)``, in any order."""

    name: str

    async def events(self, start_ms: int, end_ms: int) -> list[TimelineEvent]: ...


@dataclass(frozen=True, slots=True)
class Timeline:
    start_ms: int
    end_ms: int
    events: list[TimelineEvent]
    truncated: bool  # more than MAX_EVENTS: the earliest are kept
    failed: list[str]  # sources that could not answer


class TimelineBuilder:
    """Asks every source for a window and merges what they say."""

    def __init__(self, sources: list[TimelineSource], *, max_events: int = MAX_EVENTS) -> None:
        self._sources = sources
        self._max = max_events

    async def build(
        self, start_ms: float, end_ms: float, extra: list[TimelineEvent] | None = None
    ) -> Timeline:
        """The window's events by time (ties: by source, then as each source gave them).
        ``extra`` (the incident's notes) joins them whenever written — usually after the
        window, when the incident is written up — and is never cut by the bound.
        :class:`InvalidWindow` for a bad window."""
        start, end = check_window(start_ms, end_ms)
        found: list[TimelineEvent] = []
        failed: list[str] = []
        for src in self._sources:
            try:
                got = await src.events(start, end)
            except Exception:  # one source away must not hide the others
                log.exception("timeline source failed", source=src.name)
                failed.append(src.name)
                continue
            found.extend(e for e in got if start <= e.at_ms < end)
        found.sort(key=lambda e: (e.at_ms, e.source.value))
        kept = [*found[: self._max], *(extra or [])]
        kept.sort(key=lambda e: (e.at_ms, e.source.value))
        return Timeline(start, end, kept, len(found) > self._max, failed)
