"""A disk spool of line protocol for the time an InfluxDB server cannot be reached.

Layout: one directory of append-only *segment* files ``000000000001.lp``, ``…2.lp``, each a run
of complete line-protocol lines ending in ``\\n``. ``append`` writes to the newest (tail) segment
and fsyncs before returning, so a spooled point survives a crash of the process or the machine.
Replay reads the oldest (head) segment; a segment is deleted only once every line of it has been
written to the server (``commit``). A crash between a write and the delete sends those lines
again on the next start: InfluxDB keeps one value per series and timestamp, so that repeats a
write rather than duplicating data.

Bound: past ``max_points`` the **oldest** points are dropped, a whole head segment at a time
(segments hold at most ``max_points // 16`` points, so the spool stays between 15/16 of the
bound and the bound). Oldest, because after a long outage the newest data is what operators look
at, and dropping a whole file keeps the spool append-only. Every dropped point is returned to the
caller to be counted.

A torn last line (a crash in the middle of ``append``) has no ``\\n``: it was never acknowledged,
and is skipped. The spool is not thread-safe: one worker thread owns it. A lock file keeps a
second process from sharing the directory.
"""

from __future__ import annotations

import fcntl
import os
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_SUFFIX = ".lp"
_MAX_SEGMENT_POINTS = 10_000
_READ_CHUNK = 1 << 20


class SpoolLockedError(RuntimeError):
    """Another process (or sink) holds this spool directory."""


@dataclass
class _Segment:
    index: int
    path: Path
    count: int  # complete lines in the file


class Spool:
    """Append-only segment files of line protocol under ``directory``, oldest replayed first."""

    def __init__(
        self, directory: Path, max_points: int, *, segment_points: int | None = None
    ) -> None:
        if max_points <= 0:
            raise ValueError("max_points must be positive")
        self.directory = directory
        self.max_points = max_points
        self.segment_points = segment_points or max(1, min(_MAX_SEGMENT_POINTS, max_points // 16))
        self._segments: deque[_Segment] = deque()
        self._points = 0
        self._tail: BinaryIO | None = None  # open handle of the newest segment
        self._head_lines: list[bytes] | None = None  # cached lines of the oldest segment
        self._head_pos = 0  # lines of the head segment already committed
        self._next_index = 1
        self._lock_fd: int | None = None

    @property
    def points(self) -> int:
        """Points on disk not yet written to the server."""
        return self._points

    def open(self) -> None:
        """Lock the directory and find what a previous run left behind."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolLockedError(f"spool directory {self.directory} is in use") from None
        self._lock_fd = fd
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            try:
                index = int(path.stem)
            except ValueError:
                continue
            count = _count_lines(path)
            if count == 0:
                path.unlink()
                continue
            self._segments.append(_Segment(index, path, count))
            self._points += count
            self._next_index = max(self._next_index, index + 1)
        # never append after what a crash may have torn: new points go to a new segment

    def close(self) -> None:
        self._seal_tail()
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def append(self, lines: Sequence[bytes]) -> int:
        """Write ``lines`` (no ``\\n`` inside) durably; returns how many old points were dropped."""
        if not lines:
            return 0
        dropped = 0
        if len(lines) >= self.max_points:
            # the batch alone fills the spool: everything older goes, then the batch's oldest
            while self._segments:
                dropped += self._drop_head()
            dropped += len(lines) - self.max_points
            lines = lines[len(lines) - self.max_points :]
        i = 0
        while i < len(lines):
            tail = self._tail_segment()
            chunk = lines[i : i + self.segment_points - tail.count]
            assert self._tail is not None
            self._tail.write(b"\n".join(chunk) + b"\n")
            tail.count += len(chunk)
            self._points += len(chunk)
            i += len(chunk)
            if tail.count >= self.segment_points:
                self._seal_tail()
        if self._tail is not None:
            self._tail.flush()
            os.fsync(self._tail.fileno())
        while self._points > self.max_points and self._segments:
            dropped += self._drop_head()
        return dropped

    def peek(self, max_lines: int) -> list[bytes]:
        """Up to ``max_lines`` of the oldest lines not yet committed (from one segment)."""
        if not self._segments:
            return []
        head = self._segments[0]
        if len(self._segments) == 1 and self._tail is not None:
            self._seal_tail()  # replay only reads files nobody appends to any more
        if self._head_lines is None:
            data = head.path.read_bytes()
            self._head_lines = data.split(b"\n")[: head.count]
        return self._head_lines[self._head_pos : self._head_pos + max_lines]

    def commit(self, n: int) -> None:
        """The first ``n`` lines returned by :meth:`peek` were written: forget them."""
        if n <= 0 or not self._segments:
            return
        head = self._segments[0]
        n = min(n, head.count - self._head_pos)
        self._head_pos += n
        self._points -= n
        if self._head_pos >= head.count:
            self._segments.popleft()
            head.path.unlink(missing_ok=True)
            self._fsync_dir()
            self._head_lines = None
            self._head_pos = 0

    def _tail_segment(self) -> _Segment:
        if self._tail is None:
            seg = _Segment(
                self._next_index, self.directory / f"{self._next_index:012d}{_SUFFIX}", 0
            )
            self._next_index += 1
            self._tail = seg.path.open("ab")
            self._fsync_dir()  # the new file's name must survive a crash too
            self._segments.append(seg)
        return self._segments[-1]

    def _seal_tail(self) -> None:
        if self._tail is not None:
            self._tail.flush()
            os.fsync(self._tail.fileno())
            self._tail.close()
            self._tail = None

    def _drop_head(self) -> int:
        head = self._segments[0]
        if len(self._segments) == 1:
            self._seal_tail()
        lost = head.count - self._head_pos
        self._segments.popleft()
        head.path.unlink(missing_ok=True)
        self._fsync_dir()
        self._head_lines = None
        self._head_pos = 0
        self._points -= lost
        return lost

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        while chunk := f.read(_READ_CHUNK):
            n += chunk.count(b"\n")
    return n
