"""Alarm system performance, as ISA-18.2 (§16, Table 5) and EEMUA 191 measure it.

Computed from the alarm book's own journals (open alarms and the closed ones it keeps), over a
window that ends now, per *console* — the desk whose operator answers the alarm. The control
room of Line 2A is modelled with four: rolling stock and traffic (train and headway alarms),
traction power (substation PLCs), crew (rostering), and systems (telemetry links, clocks,
dependencies). That split is an estimate of how an OCC divides the work, not a published one.

The figures and the benchmarks they are read against:

- **Alarms per 10 minutes per console** (occurrences: a new alarm or a re-activation of one
  that had returned; an alarm shown again after a shelve is not a new occurrence). ISA-18.2
  Table 5: about 1 per 10 minutes is "very likely acceptable", about 2 "maximum manageable".
- **% of 10-minute periods in flood**: periods with more than ``flood_per_10min`` (10)
  occurrences, over all consoles. ISA-18.2 target: under about 1 %.
- **Chattering alarms**: a condition that occurred 3 or more times within 60 seconds.
- **Stale alarms**: open (not returned) for more than 24 hours.
- **Top 10 bad actors**: the conditions with the most occurrences, and their share of all.
  ISA-18.2: the top 10 should be about 1–5 % of all alarms.
- **Shelved**: every alarm shelved now, by whom, why and until when.

A journal keeps an alarm's first entry and its latest 100 (``MAX_EVENTS_PER_ALARM``): a
condition chattering more than that in the window is under-counted, never over-counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from telemetry.alarms import Alarm, AlarmState

TEN_MIN_MS = 10 * 60 * 1000
CHATTER_WINDOW_MS = 60 * 1000
CHATTER_COUNT = 3
STALE_MS = 24 * 3600 * 1000
OCCURRENCES = frozenset({"raised", "reactivated"})
CONSOLES = ("traffic", "power", "crew", "systems")


def console_of(key: str) -> str:
    """The console that answers an alarm, from its key's scope (see the module docstring)."""
    scope = key.split(":", 1)[0]
    if scope in ("train", "headway"):
        return "traffic"
    if scope == "substation":
        return "power"
    if scope == "crew":
        return "crew"
    return "systems"


@dataclass(frozen=True, slots=True)
class ConsoleRate:
    console: str
    total: int
    mean_per_10min: float
    max_per_10min: int
    periods_over_2: int  # 10-minute periods above ISA-18.2's "maximum manageable"


@dataclass(frozen=True, slots=True)
class BadActor:
    key: str
    console: str
    occurrences: int
    share_pct: float
    priority: int
    text_vi: str
    text_en: str


@dataclass(frozen=True, slots=True)
class Standing:
    """An open alarm listed for what it is (chattering, stale or shelved)."""

    id: int
    key: str
    console: str
    priority: int
    text_vi: str
    text_en: str
    since_ms: int
    detail: str | None = None  # shelved: reason; chattering: the burst
    by: str | None = None
    until_ms: int | None = None
    occurrences: int = 0


@dataclass(frozen=True, slots=True)
class AlarmPerformance:
    start_ms: int
    end_ms: int
    total: int
    periods: int
    periods_in_flood: int
    flood_threshold: int
    consoles: tuple[ConsoleRate, ...]
    per_10min: tuple[tuple[int, dict[str, int]], ...]  # period start → console → occurrences
    bad_actors: tuple[BadActor, ...]
    top10_share_pct: float
    chattering: tuple[Standing, ...]
    stale: tuple[Standing, ...]
    shelved: tuple[Standing, ...]

    @property
    def flood_pct(self) -> float:
        return 100.0 * self.periods_in_flood / self.periods if self.periods else 0.0


def _standing(a: Alarm, **kw: object) -> Standing:
    return Standing(
        id=a.id,
        key=a.key,
        console=console_of(a.key),
        priority=int(a.priority),
        text_vi=a.message,
        text_en=a.message_en,
        since_ms=a.first_raised_ms or a.raised_ms,
        **kw,  # type: ignore[arg-type]
    )


def alarm_performance(
    alarms: Iterable[Alarm], *, now_ms: int, window_ms: int, flood_per_10min: int = 10
) -> AlarmPerformance:
    """The figures of the module docstring over ``[now − window, now)``; ``alarms`` are the
    open ones and those in history (each once)."""
    if window_ms < TEN_MIN_MS:
        raise ValueError("the window must be at least 10 minutes")
    periods = window_ms // TEN_MIN_MS
    start = now_ms - periods * TEN_MIN_MS
    bins: list[Counter[str]] = [Counter() for _ in range(periods)]
    by_key: Counter[str] = Counter()
    first_of: dict[str, Alarm] = {}
    chattering: list[Standing] = []
    stale: list[Standing] = []
    shelved: list[Standing] = []
    times_of: dict[str, list[int]] = defaultdict(list)
    for a in alarms:
        console = console_of(a.key)
        for e in a.events:
            if e.what in OCCURRENCES and start <= e.ts_ms < now_ms:
                bins[(e.ts_ms - start) // TEN_MIN_MS][console] += 1
                by_key[a.key] += 1
                times_of[a.key].append(e.ts_ms)
                first_of.setdefault(a.key, a)
        if a.state is AlarmState.NORMAL:
            continue
        if a.active and now_ms - (a.first_raised_ms or a.raised_ms) > STALE_MS:
            stale.append(_standing(a))
        if a.state is AlarmState.SHELVED:
            shelved.append(
                _standing(
                    a,
                    detail=a.shelve_reason,
                    by=a.shelved_by,
                    until_ms=a.shelved_until_ms,
                )
            )
    for key, times in times_of.items():
        times.sort()
        burst, i = 0, 0
        for j, t in enumerate(times):  # the most occurrences within any 60 s
            while t - times[i] >= CHATTER_WINDOW_MS:
                i += 1
            burst = max(burst, j - i + 1)
        if burst >= CHATTER_COUNT:
            chattering.append(
                _standing(first_of[key], occurrences=by_key[key], detail=f"{burst}/60 s")
            )
    total = sum(by_key.values())
    top = by_key.most_common(10)
    actors = tuple(
        BadActor(
            key,
            console_of(key),
            n,
            100.0 * n / total,
            int(first_of[key].priority),
            first_of[key].message,
            first_of[key].message_en,
        )
        for key, n in top
    )
    consoles = []
    for c in CONSOLES:
        counts = [b[c] for b in bins]
        consoles.append(
            ConsoleRate(
                c,
                sum(counts),
                sum(counts) / periods,
                max(counts, default=0),
                sum(1 for n in counts if n > 2),
            )
        )
    return AlarmPerformance(
        start_ms=start,
        end_ms=now_ms,
        total=total,
        periods=periods,
        periods_in_flood=sum(1 for b in bins if sum(b.values()) > flood_per_10min),
        flood_threshold=flood_per_10min,
        consoles=tuple(consoles),
        per_10min=tuple(
            (start + i * TEN_MIN_MS, {c: b[c] for c in CONSOLES}) for i, b in enumerate(bins)
        ),
        bad_actors=actors,
        top10_share_pct=100.0 * sum(n for _, n in top) / total if total else 0.0,
        chattering=tuple(sorted(chattering, key=lambda s: -s.occurrences)),
        stale=tuple(sorted(stale, key=lambda s: s.since_ms)),
        shelved=tuple(sorted(shelved, key=lambda s: (s.priority, s.since_ms))),
    )
