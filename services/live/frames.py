"""The board websocket's frames: what changed between two board snapshots, as one delta.

Protocol (server → client, JSON text frames; ``seq`` is +1 per snapshot/delta on a connection):

* ``{"type": "snapshot", "seq": N, "ts_ms": …, "board": <GET /api/board body>}`` — first frame,
  and again whenever the server drops the client back to a fresh state (slow client, resync);
* ``{"type": "delta", "seq": N+1, "ts_ms": …, "trains": [full train dicts that changed],
  "removed_trains": [ids], …}`` plus each other top-level board key (``tracks``,
  ``substations``, ``alarms``, ``kpis``, ``field_ts_ms``, any future key such as ``crew``)
  only when its value changed; the key's value replaces the client's copy whole;
* ``{"type": "heartbeat", "seq": <last seq>, "ts_ms": …}`` when nothing changed for a while.

The frames' shapes are ``api.schemas.board`` (``SnapshotFrame``, ``DeltaFrame``,
``HeartbeatFrame``, in ``/openapi.json`` as ``BoardFrame``); the hub sends plain dicts (no model
on this path) and ``tests/api/test_contracts.py`` holds the two together.

A client that sees a delta whose seq is not its last seq + 1 reconnects (or sends
``{"type": "resync"}``); a snapshot always replaces everything, whatever its seq.

``now_ms`` is not sent in deltas: the frame's ``ts_ms`` is the board time. A train's ``age_s``
alone does not make it "changed" (it grows every tick): a train in a delta carries its age as
of that frame's ``ts_ms``, so a client shows ``age_s + (now − ts_ms)``; a stale train is resent
when its age passes another whole second.
"""

from __future__ import annotations

from typing import Any

import orjson

# not diffed: ``now_ms`` is the frame's ts_ms; ``trains`` is diffed per train
_NOT_DIFFED = frozenset({"now_ms", "trains"})

Board = dict[str, Any]


def _train_key(t: dict[str, Any]) -> bytes:
    """What makes a train "changed": every field but its age (which grows every tick), except
    that a stale train's age counts in whole seconds so operators see it grow."""
    age = t.get("age_s")
    stale_age = int(age) if t.get("stale") and age is not None else None
    return orjson.dumps([*(v for k, v in t.items() if k != "age_s"), stale_age])


class BoardDiff:
    """Remembers the last board and turns the next one into a delta (``None``: no change).

    Values are compared as their serialised bytes, not with ``==``: a snapshot may hold
    references to live state (a substation's ``values`` dict) that change under the old copy.
    """

    def __init__(self) -> None:
        self._trains: dict[str, bytes] = {}
        self._rest: dict[str, bytes] = {}

    def reset(self) -> None:
        """Forget the last board: the next :meth:`update` reports everything as changed."""
        self._trains = {}
        self._rest = {}

    def update(self, board: Board) -> dict[str, Any] | None:
        """The delta body (``trains``, ``removed_trains``, changed keys) from the last board to
        ``board``, or ``None`` when nothing changed; ``board`` becomes the last board."""
        trains: list[dict[str, Any]] = []
        keys: dict[str, bytes] = {}
        for t in board.get("trains", ()):
            tid = t["train"]
            k = keys[tid] = _train_key(t)
            if self._trains.get(tid) != k:
                trains.append(t)
        removed = [tid for tid in self._trains if tid not in keys]
        self._trains = keys
        changed: dict[str, Any] = {}
        rest: dict[str, bytes] = {}
        for name, value in board.items():
            if name in _NOT_DIFFED:
                continue
            b = rest[name] = orjson.dumps(value)
            if self._rest.get(name) != b:
                changed[name] = value
        # a key gone from the board (e.g. a feature switched off) goes to null on the client
        for name in self._rest.keys() - rest.keys():
            changed[name] = None
        self._rest = rest
        if not trains and not removed and not changed:
            return None
        return {"trains": trains, "removed_trains": removed, **changed}
