"""A worker's memory of the staff tokens it has checked, for the route that records decisions.

Checking a staff token (``store.staff.authenticate_token``) costs a database round trip on
every recorded request, and was half of what recording a decision over the API cost a worker
(``docs/benchmarks.md``). The decisions API checks a token in full the first time a worker sees
it, and again once its check is older than ``ttl`` (a minute: the token's use is noted at most
that often anyway); in between it takes the account from here. What makes that safe is the
commit: the entry carries the token's :class:`~sanctuarygate.store.staff.TokenGrant`, which the
transaction that writes it checks again (``audit/group.py``). A token revoked, an account
disabled or its roles changed since the check never writes: the commit leaves the entry out
(``GrantLapsed``), the route forgets the token and checks it again in full, which refuses it as
any refused attempt is (401 or 403, on the log).

Tokens are kept by a hash of the whole token (never the token itself); at most ``size`` of them,
the oldest forgotten first.

>>> from sanctuarygate.domain.staff import Role
>>> cache = GrantCache(ttl=60)
>>> member = StaffMember("s-0a1b2c3d", "jdoe", frozenset({Role.DESK}))
>>> token = "sgs_0a1b2c3d_" + "x" * 43
>>> cache.put(token, member, now=0.0).token_id
'0a1b2c3d'
>>> cache.get(token, now=59.0) == (member, TokenGrant("0a1b2c3d", member.roles))
True
>>> cache.get(token, now=61.0), cache.get("sgs_0a1b2c3d_" + "y" * 43, now=1.0)
(None, None)
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.store.staff import TokenGrant

__all__ = ["GrantCache"]


class GrantCache:
    """Tokens checked by this worker: the account each speaks for and its grant, for ``ttl``
    seconds after the check; at most ``size`` tokens. Safe to share between threads."""

    def __init__(self, *, ttl: float = 60.0, size: int = 4096) -> None:
        if ttl < 0 or size < 1:
            raise ValueError(f"bad token cache ttl {ttl} or size {size}")
        self.ttl = ttl
        self.size = size
        self._held: OrderedDict[bytes, tuple[float, StaffMember, TokenGrant]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, presented: str, *, now: float | None = None
            ) -> tuple[StaffMember, TokenGrant] | None:
        """The account and grant of a token checked less than ``ttl`` seconds ago, or None."""
        key = _key(presented)
        at = time.monotonic() if now is None else now
        with self._lock:
            found = self._held.get(key)
            if found is None:
                return None
            if at - found[0] >= self.ttl:
                del self._held[key]
                return None
            return found[1], found[2]

    def put(self, presented: str, member: StaffMember, *, now: float | None = None) -> TokenGrant:
        """Remember that ``presented`` was checked now and speaks for ``member``; its grant."""
        grant = TokenGrant.of(presented, member)
        at = time.monotonic() if now is None else now
        with self._lock:
            self._held[_key(presented)] = (at, member, grant)
            self._held.move_to_end(_key(presented))
            while len(self._held) > self.size:
                self._held.popitem(last=False)
        return grant

    def drop(self, presented: str) -> None:
        """Forget a token (its grant lapsed): its next use is checked in full."""
        with self._lock:
            self._held.pop(_key(presented), None)


def _key(presented: str) -> bytes:
    return hashlib.sha256(presented.strip().encode("utf-8")).digest()
