"""Sign-in throttling kept in memory: failures per source address, and the account-wide lock
of names that have no account.

* **Per address**: at most ``ip_failures`` failed sign-ins in a sliding ``ip_window_s``; then
  429 until the oldest failure leaves the window.
* **Names without an account** lock account-wide exactly like real accounts (at
  ``lockout_account_failures``; the lock of those lives in the database, see
  :mod:`accounts.signin`), so a 423 does not tell that a name exists. Locks of a name from
  one address are :mod:`accounts.locks`.

Memory is bounded: entries expire and at most ``max_keys`` addresses and names are kept (the
oldest go first). Each API replica throttles on its own; the account lock is shared through
the database.
"""

from __future__ import annotations

import collections
from collections import OrderedDict, deque
from dataclasses import dataclass

from accounts.identity import AuthSettings


@dataclass
class _Ghost:
    failures: int = 0
    locked_until_ms: int = 0


class LoginThrottle:
    """Failure counts by source address and by unknown user name."""

    def __init__(self, settings: AuthSettings, *, max_keys: int = 10_000) -> None:
        self._ip_max = settings.ip_failures
        self._ip_window_ms = settings.ip_window_s * 1000
        self._lock_after = settings.lockout_account_failures
        self._lock_ms = settings.lockout_s * 1000
        self._max_keys = max_keys
        self._ips: OrderedDict[str, deque[int]] = collections.OrderedDict()
        self._ghosts: OrderedDict[str, _Ghost] = collections.OrderedDict()

    # --- per source address --------------------------------------------------------------
    def ip_retry_after_ms(self, ip: str, now_ms: int) -> int | None:
        """``None`` when ``ip`` may try; else how long it must wait."""
        window = self._ips.get(ip)
        if window is None:
            return None
        while window and window[0] <= now_ms - self._ip_window_ms:
            window.popleft()
        if not window:
            del self._ips[ip]
            return None
        if len(window) < self._ip_max:
            return None
        return window[0] + self._ip_window_ms - now_ms

    def ip_failed(self, ip: str, now_ms: int) -> None:
        window = self._ips.pop(ip, None) or collections.deque()
        window.append(now_ms)
        while len(window) > self._ip_max:
            window.popleft()
        self._ips[ip] = window  # most recent last: the oldest go first when full
        while len(self._ips) > self._max_keys:
            self._ips.popitem(last=False)

    # --- names without an account ----------------------------------------------------------
    def ghost_retry_after_ms(self, name: str, now_ms: int) -> int | None:
        """``None`` when ``name`` is not locked; else how long it stays locked."""
        g = self._ghosts.get(name)
        if g is None or g.locked_until_ms <= now_ms:
            return None
        return g.locked_until_ms - now_ms

    def ghost_failed(self, name: str, now_ms: int) -> int | None:
        """Count a failure for ``name``; returns the lock's length when this one locks it."""
        g = self._ghosts.pop(name, None) or _Ghost()
        if g.locked_until_ms and g.locked_until_ms <= now_ms:
            g = _Ghost()  # the lock ran out: counting starts again, as for a real account
        g.failures += 1
        locked = None
        if g.failures >= self._lock_after:
            g.failures = 0
            g.locked_until_ms = now_ms + self._lock_ms
            locked = self._lock_ms
        self._ghosts[name] = g
        while len(self._ghosts) > self._max_keys:
            self._ghosts.popitem(last=False)
        return locked
