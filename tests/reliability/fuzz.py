"""A seeded generator of hostile ICD traffic: (topic, payload) pairs, most of them broken.

Each message starts as a valid ICD v1 message (telemetry, event, status or flow) for Line 2A and
is then damaged by one mutation drawn at random: random bytes, truncation, wrong types, huge or
non-finite numbers, unicode (including invalid UTF-8 and lone surrogate escapes), deep nesting,
oversized fields, missing or extra keys, duplicate keys, or a wrong topic. About one message in
six is left valid, with ``seq`` numbers that run forwards, repeat and go back, so the state sees
new, duplicate and older messages too.

Plain :mod:`random` with a seed rather than hypothesis: 100,000 messages must be generated in a
few seconds, and the same seed always gives the same stream (a failure names its index).
``canary`` trains are never used, so a test can prove afterwards that good traffic still flows.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterator
from typing import Any

SEQ_MODULUS = 2**31
TS_NOW_MS = 1_780_000_000_000  # 2026-05-28 (UTC): a plausible field time

# values that break numbers: beyond 64 bits, beyond a double, non-finite, negative zero, …
HUGE_LITERALS: tuple[str, ...] = (
    "100000000000000000000",
    "-100000000000000000000",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1" + "0" * 400,
    "1e308",
    "1e309",
    "-1e309",
    "1.7976931348623157e308",
    "5e-324",
    "-0.0",
    "NaN",
    "Infinity",
    "-Infinity",
    "253402300800000",
    "32503680000001",
    "2147483648",
    "0",
    "-1",
)
WRONG_TYPES: tuple[Any, ...] = ("7", "", "T01", [], [1, 2], {}, {"v": 1}, None, True, False, 1.5)
UNICODE_BITS: tuple[str, ...] = (
    "Tàu",
    "Cát Linh",
    "🚇",
    "\u202e",  # right-to-left override
    "\u0000",
    "\ufeff",
    "𝕋𝟘𝟙",
    "ﬀ",
    "\u0301",
    "\ud800",  # a lone surrogate: json.dumps writes it as the escape \ud800
    "\udfff",
    "T\u200b01",
)
INVALID_UTF8: tuple[bytes, ...] = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80")


_TEXT = UNICODE_BITS + tuple(string.printable)
# an MQTT topic is UTF-8 (a client cannot deliver a lone surrogate in one)
_TOPIC_TEXT = tuple(c for c in _TEXT if not 0xD800 <= ord(c[0]) <= 0xDFFF)


def _text(rng: random.Random, n: int, alphabet: tuple[str, ...] = _TEXT) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


class FuzzStream:
    """``next_message()`` → (topic, payload, mutation name). Deterministic for a seed."""

    def __init__(
        self,
        seed: int,
        trains: tuple[str, ...],
        stations: tuple[str, ...],
        line_id: str = "2a",
        length_m: float = 13_050.0,
        canary: frozenset[str] = frozenset(),
        max_payload: int = 1_200_000,
    ) -> None:
        self.rng = random.Random(seed)
        self.trains = tuple(t for t in trains if t not in canary)
        self.stations = stations
        self.line_id = line_id
        self.length_m = length_m
        self.max_payload = max_payload
        self._seq = dict.fromkeys(self.trains, 0)
        self._big: dict[tuple[int, int], bytes] = {}
        self._mutations: list[tuple[str, Callable[[str, dict[str, Any]], tuple[str, bytes]]]] = [
            ("valid", self._valid),
            ("random_bytes", self._random_bytes),
            ("truncated", self._truncated),
            ("wrong_type", self._wrong_type),
            ("huge_number", self._huge_number),
            ("unicode", self._unicode),
            ("invalid_utf8", self._invalid_utf8),
            ("deep_nesting", self._deep_nesting),
            ("oversized", self._oversized),
            ("missing_key", self._missing_key),
            ("extra_keys", self._extra_keys),
            ("duplicate_key", self._duplicate_key),
            ("wrong_topic", self._wrong_topic),
            ("not_an_object", self._not_an_object),
        ]
        self._weights = [16, 6, 8, 10, 10, 8, 4, 4, 3, 8, 5, 4, 8, 4]

    # --- valid messages -------------------------------------------------------------------
    def _next_seq(self, train: str) -> int:
        r = self.rng.random()
        s = self._seq[train]
        if r < 0.05:
            return s  # a repeat
        if r < 0.10:
            return max(0, s - self.rng.randint(1, 50))  # an older one
        if r < 0.13:
            s += self.rng.randint(2, 40)  # a gap
        else:
            s += 1
        s %= SEQ_MODULUS
        self._seq[train] = s
        return s

    def _base(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        kind = rng.choices(("telemetry", "event", "status", "flow"), (6, 2, 1, 1))[0]
        ts = TS_NOW_MS + rng.randint(-600_000, 600_000)
        if kind == "flow":
            st = rng.choice(self.stations)
            body: dict[str, Any] = {
                "v": 1,
                "ts": ts,
                "station": st,
                "entries": rng.randint(0, 900),
                "exits": rng.randint(0, 900),
                "period_s": 60,
            }
            return f"metro/{self.line_id}/station/{st}/flow", body
        train = rng.choice(self.trains)
        topic = f"metro/{self.line_id}/train/{train}/{kind}"
        if kind == "status":
            return topic, {"v": 1, "ts": ts, "online": rng.random() < 0.8}
        seq = self._next_seq(train)
        if kind == "event":
            kinds = ("fault_raised", "fault_cleared", "cab_logon", "cab_logoff", "door_obstruction")
            body = {"v": 1, "ts": ts, "train": train, "seq": seq, "kind": rng.choice(kinds)}
            if body["kind"].startswith("fault"):
                body["code"] = (
                    f"{rng.choice(('TRC', 'BRK', 'DOR', 'HVA'))}-{rng.randint(0, 20):03d}"
                )
                body["severity"] = rng.choice(("minor", "major", "critical"))
            if body["kind"] == "cab_logon":
                body["driver"] = f"D{rng.randint(1, 86):03d}"
            return topic, body
        body = {
            "v": 1,
            "ts": ts,
            "train": train,
            "seq": seq,
            "pos_m": round(rng.uniform(0, self.length_m), 1),
            "track": rng.choice((1, 2)),
            "speed_kmh": round(rng.uniform(0, 80), 1),
            "doors": rng.choice(("closed", "open", "fault")),
            "load_pct": rng.randint(0, 150),
            "mode": rng.choice(("ATO", "ATP", "RM", "depot", "off")),
            "driver": rng.choice((None, "D001", "D023")),
            "faults": rng.choice(([], ["TRC-012"], ["BRK-004", "DOR-001"])),
        }
        return topic, body

    @staticmethod
    def _dump(body: Any) -> bytes:
        return json.dumps(body, ensure_ascii=True).encode()

    # --- mutations ------------------------------------------------------------------------
    def _valid(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        return topic, self._dump(body)

    def _random_bytes(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        return topic, self.rng.randbytes(self.rng.choice((0, 1, 2, 8, 64, 300, 2000)))

    def _truncated(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        raw = self._dump(body)
        return topic, raw[: self.rng.randrange(0, len(raw))]

    def _wrong_type(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        key = self.rng.choice(sorted(body))
        body[key] = self.rng.choice(WRONG_TYPES)
        return topic, self._dump(body)

    def _huge_number(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        numeric = sorted(k for k, v in body.items() if isinstance(v, int | float) or v is None)
        key = self.rng.choice(numeric or sorted(body))
        literal = self.rng.choice(HUGE_LITERALS)
        marker = "__HUGE__"
        body[key] = marker
        return topic, self._dump(body).replace(f'"{marker}"'.encode(), literal.encode())

    def _unicode(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        rng = self.rng
        strings = sorted(k for k, v in body.items() if isinstance(v, str))
        key = rng.choice(strings or sorted(body))
        value = _text(rng, rng.randint(0, 40))
        if rng.random() < 0.3 and isinstance(body.get(key), str):
            value = str(body[key]) + rng.choice(UNICODE_BITS)  # "T01" + something invisible
        body[key] = value
        if rng.random() < 0.3:
            return topic, json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
        return topic, self._dump(body)

    def _invalid_utf8(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        raw = self._dump(body)
        cut = self.rng.randrange(0, len(raw))
        return topic, raw[:cut] + self.rng.choice(INVALID_UTF8) + raw[cut:]

    def _deep_nesting(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        rng = self.rng
        depth = rng.choice((20, 150, 256, 1000, 50_000))
        opener, closer = rng.choice((("[", "]"), ('{"a":', "}")))
        nest = opener * depth + "1" + closer * depth
        if rng.random() < 0.5:
            return topic, nest.encode()
        key = rng.choice((*sorted(body), "extra"))
        body[key] = "__NEST__"
        return topic, self._dump(body).replace(b'"__NEST__"', nest.encode())

    def _oversized(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        rng = self.rng
        size = rng.choices((10_000, 100_000, self.max_payload), (70, 25, 5))[0]
        what = rng.randrange(3)
        key = ("faults", rng.choice(("detail", "driver", "train", "doors")), "padding")[what]
        chunk = self._big.get((what, size))
        if chunk is None:  # built once per shape and size: generation stays cheap
            if what == 0:
                chunk = b"[" + b'"TRC-012",' * (size // 10) + b'"TRC-012"]'
            elif what == 1:
                chunk = b'"' + b"x" * size + b'"'
            else:
                chunk = b"[" + b"0.5772156649015329," * (size // 19) + b"1]"
            self._big[(what, size)] = chunk
        body[key] = "__BIG__"
        return topic, self._dump(body).replace(b'"__BIG__"', chunk)[: self.max_payload]

    def _missing_key(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        for key in self.rng.sample(sorted(body), self.rng.randint(1, len(body))):
            del body[key]
        return topic, self._dump(body)

    def _extra_keys(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        for _ in range(self.rng.randint(1, 5)):
            body[_text(self.rng, self.rng.randint(1, 12))] = self.rng.choice(WRONG_TYPES)
        return topic, self._dump(body)

    def _duplicate_key(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        key = self.rng.choice(sorted(body))
        extra = json.dumps({key: self.rng.choice(WRONG_TYPES)})[1:-1]
        raw = self._dump(body)
        return topic, raw[:-1] + b"," + extra.encode() + b"}"

    def _wrong_topic(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        rng = self.rng
        parts = topic.split("/")
        choice = rng.randrange(7)
        if choice == 0:
            parts[1] = rng.choice(("3", "2A", "", "2a ", "２a"))
        elif choice == 1:
            parts[3] = rng.choice(("T14", "T00", "t01", "T1", "", "HD", "T01/x"))
        elif choice == 2:
            parts[4] = rng.choice(("telemetryx", "events", "", "flow", "status/extra"))
        elif choice == 3:
            parts[2] = rng.choice(("station", "trains", ""))
        elif choice == 4:
            parts = parts[: rng.randint(0, 4)]
        elif choice == 5:
            parts[3] = _text(rng, rng.randint(1, 8), _TOPIC_TEXT)
        else:
            other = [t for t in self.trains if t != parts[3]] or self.trains
            parts[3] = rng.choice(other) if parts[2] == "train" else rng.choice(self.stations)
        return "/".join(parts), self._dump(body)

    def _not_an_object(self, topic: str, body: dict[str, Any]) -> tuple[str, bytes]:
        return topic, self.rng.choice(
            (b"null", b"[]", b"1", b'"x"', b"true", b"", b" ", b"{}", b"[{}]", b"\x00")
        )

    # --- the stream -----------------------------------------------------------------------
    def next_message(self) -> tuple[str, bytes, str]:
        name, mutate = self.rng.choices(self._mutations, self._weights)[0]
        topic, body = self._base()
        topic, payload = mutate(topic, body)
        return topic, payload, name

    def messages(self, n: int) -> Iterator[tuple[str, bytes, str]]:
        for _ in range(n):
            yield self.next_message()
