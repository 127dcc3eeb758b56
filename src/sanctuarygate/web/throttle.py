"""Failed authentications, counted per client in this process, and a client over its limit
turned away (429 with ``Retry-After``) before its key is even looked at.

A client is the address the connection comes from (``request.client.host``; behind a proxy,
the proxy's, unless the server is told to trust ``X-Forwarded-For``). At most ``limit``
failures in any ``window`` seconds; the next attempt waits until the oldest of them leaves
the window. Counts live in memory, per worker process: ``serve --workers N`` lets a client
fail up to N times the limit, and a restart forgets them. That is enough to stop guessing at
speed and to keep failures from flooding the public log; it is not an account lockout.

>>> clock = iter([0.0, 1.0, 2.0, 61.0]).__next__
>>> t = Throttle(limit=2, window=60, clock=clock)
>>> t.failed("10.0.0.7"); t.failed("10.0.0.7")
>>> t.wait("10.0.0.7"), t.wait("10.0.0.7")
(58, 0)
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from sanctuarygate.errors import TooManyFailuresError

__all__ = ["Throttle"]

#: Clients remembered at most; past this, the oldest are forgotten (memory stays bounded).
MAX_CLIENTS = 100_000


class Throttle:
    """At most ``limit`` failed authentications per client in any ``window`` seconds."""

    def __init__(self, *, limit: int, window: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> int:
        """Seconds ``client`` must wait before its next attempt (0: it may try now)."""
        now = self._clock()
        with self._lock:
            recent = self._recent(client, now)
            if len(recent) < self.limit:
                return 0
            return max(1, math.ceil(recent[0] + self.window - now))

    def check(self, client: str) -> None:
        """Raise :class:`TooManyFailuresError` if ``client`` is over its limit."""
        retry_after = self.wait(client)
        if retry_after:
            raise TooManyFailuresError(limit=self.limit, window=self.window,
                                       retry_after=retry_after)

    def failed(self, client: str) -> None:
        """Count one failed authentication of ``client``."""
        now = self._clock()
        with self._lock:
            recent = self._recent(client, now)
            recent.append(now)
            self._failures[client] = recent
            if len(self._failures) > MAX_CLIENTS:
                del self._failures[next(iter(self._failures))]

    def _recent(self, client: str, now: float) -> deque[float]:
        recent = self._failures.pop(client, None) or deque()
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if recent:
            self._failures[client] = recent  # re-inserted: the dict keeps the newest last
        return recent
