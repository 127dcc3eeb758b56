"""Group commit: appends from concurrent requests of one process, committed together.

A durable commit costs a disk flush, whatever it holds; one request's entry per commit caps a
worker at a few hundred appends a second. :class:`GroupCommit` gathers the entries that threads
of one process (the web app's request threads) append at about the same time and commits them
in one transaction, through ``audit/tree.py`` (``hold_head``, then ``append_held``):

1. a caller queues its entry and waits;
2. a caller whose entry is queued and that finds no other leader gathering leads: it waits up
   to ``window`` seconds from the oldest queued entry's arrival (or until ``max_batch`` are
   queued), begins a transaction and waits for the log head's lock (``tree.holding_head``: other
   commits go first, this process's included); only then does it take the queue, entries that
   arrived while it waited included, and append and commit them together. Entries queued after
   that wait for the next commit, which one of their callers leads at once: it waits for the
   head's lock while the previous batch commits, so the lock passes from commit to commit in
   the database, without waiting for this process to wake the next leader (one leader of a
   process gathers at a time). On PostgreSQL the BEGIN goes with the lock's statement, and
   that statement returns the tree's right edge, which the head row keeps (so a commit reads
   no node, whichever process committed before it); the entries, nodes, head and new edge
   are then written in one statement, and committed: three round trips a commit;
3. each caller returns once the commit holding its entry is durable, with its index. If that
   commit fails, every caller in it raises the commit's error: nothing is acknowledged that is
   not durable (fail closed), and a failed batch leaves no entry and no gap.

Several processes (uvicorn workers) each group their own appends; their batches queue on the
log head's row lock (``store.log.hold_head``), so the tree stays one gapless sequence.

An entry may be appended under a ``grant`` (the staff token a request was authenticated with:
``store.staff.TokenGrant``): the commit holding it checks every grant of its batch in its own
transaction, under the head's lock, with one statement (``check``, ``store.staff.lapsed_grants``
for the log), and an entry whose grant no longer holds is left out: its caller raises
:class:`GrantLapsed`, the rest commit. So a request may take its token's grant from a cache
and still never write on a token revoked, an account disabled or roles changed before the
commit.

    group = GroupCommit(engine, window=0.002)
    index = group.append(b'{"kind":"decision",...}', at=now)   # durable when it returns

An entry that must commit with the action it guards (a gateway release) is not grouped: it is
appended in the action's own transaction (``audit/record.py``). The API's recorded decisions on
PostgreSQL are grouped on the web worker's event loop instead, with no thread waiting
(``audit/group_loop.py``); both kinds of group queue on the same head lock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sanctuarygate.audit.tree import append_held, holding_head
from sanctuarygate.store.db import Connection, Engine

__all__ = ["GrantLapsed", "GroupCommit"]

#: ``check(conn, grants)``: the grants, among those of a batch, that no longer hold.
GrantCheck = Callable[[Connection, set[Any]], set[Any]]


class GrantLapsed(Exception):
    """The grant an entry was appended under no longer held at its commit: not appended."""

    def __init__(self, message: str = "the staff token's grant no longer holds: not recorded"
                 ) -> None:
        super().__init__(message)

#: The most entries one commit takes (a batch of 256 ~850-byte entries is ~220 KB).
MAX_BATCH = 256


@dataclass(slots=True, eq=False)
class _Queued:
    body: bytes
    at: dt.datetime
    arrived: float
    wake: threading.Condition  # on the group's lock: this caller's own wake-up
    grant: Hashable | None = None
    index: int = -1
    error: BaseException | None = None
    taken: bool = False  # in a leader's batch
    done: bool = False


class GroupCommit:
    """Appends to the log in ``engine``, gathered across the threads of this process.

    ``window``: seconds a commit waits for company (0: commit at once whatever is queued);
    ``max_batch``: the most entries one commit takes; ``check``: the grants of a batch that no
    longer hold (see the module's docstring; without it, no entry may carry a grant).
    ``commits`` and ``appended`` count the transactions and entries committed (their ratio is
    the mean batch).

    Each waiting caller is woken on its own (its entry's commit is done, or it is the oldest
    queued once a leader has taken its batch and may lead the next), never all of them at
    every change: under load a worker has tens of callers waiting, and waking each to find
    nothing to do took the interpreter's lock from the one thread with work to do.
    """

    def __init__(self, engine: Engine, *, window: float = 0.002, max_batch: int = MAX_BATCH,
                 check: GrantCheck | None = None) -> None:
        if window < 0 or max_batch < 1:
            raise ValueError(f"bad group commit window {window} or batch {max_batch}")
        self.engine = engine
        self.check = check
        self.window = window
        self.max_batch = max_batch
        self.commits = 0
        self.appended = 0
        self._queue: list[_Queued] = []
        self._gatherer: _Queued | None = None  # the entry of the leader not holding its batch yet
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # notified on every append (observers)

    def append(self, body: bytes, *, at: dt.datetime | None = None,
               grant: Hashable | None = None) -> int:
        """Append ``body``; return its index once the commit holding it is durable.

        Raises the commit's error if that commit failed (the entry is not in the log), and
        :class:`GrantLapsed` if ``grant`` no longer held at the commit (nor is it)."""
        if grant is not None and self.check is None:
            raise ValueError("this group commit checks no grants")
        item = _Queued(body, at or dt.datetime.now(dt.UTC), time.monotonic(),
                       threading.Condition(self._lock), grant)
        with self._lock:
            self._queue.append(item)
            self._cond.notify_all()
            if len(self._queue) >= self.max_batch and self._gatherer is not None:
                self._gatherer.wake.notify()  # a leader waiting for company has enough
            while not item.done:
                if item.taken or self._gatherer is not None:
                    item.wake.wait()
                else:
                    self._lead(item)
        if item.error is not None:
            raise item.error
        return item.index

    def _lead(self, own: _Queued) -> None:
        """Commit one batch from the queue (called with the lock held; released meanwhile)."""
        self._gatherer = own
        batch: list[_Queued] = []
        try:
            deadline = self._queue[0].arrived + self.window
            while len(self._queue) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                own.wake.wait(left)
            error: BaseException | None = None
            indexes: list[int] = []
            self._lock.release()
            try:
                indexes = self._commit(batch)
            except BaseException as exc:  # every caller in the batch fails with it
                error = exc
            finally:
                self._lock.acquire()
            if error is not None and not batch:  # failed before it took the queue: its
                batch = self._take()  # callers fail (not durable)
            if error is None:
                self.commits += 1
                self.appended += len(indexes)
            kept = iter(indexes)
            for item in batch:
                if error is not None:
                    item.error = error
                elif item.error is None:  # (not left out for a lapsed grant)
                    item.index = next(kept)
                item.done = True
                item.wake.notify()
        finally:
            if not batch:  # an interruption before the batch was taken: another may lead
                self._gatherer = None
                self._wake_next()

    def _take(self) -> list[_Queued]:
        """The next batch off the queue (called with the lock held): the leader has its
        batch, and the oldest caller still queued may lead the next commit."""
        batch = self._queue[: self.max_batch]
        del self._queue[: self.max_batch]
        for item in batch:
            item.taken = True
        self._gatherer = None
        self._wake_next()
        return batch

    def _wake_next(self) -> None:
        """Wake the oldest queued caller: no leader is gathering, so it may lead."""
        if self._queue:
            self._queue[0].wake.notify()

    def _commit(self, batch: list[_Queued]) -> list[int]:
        """One durable transaction: wait for the head's lock, then fill ``batch`` from the
        queue (what arrived meanwhile too) and append its entries, in queue order."""
        with holding_head(self.engine) as (conn, size, edge):
            with self._lock:
                batch.extend(self._take())
            kept = self._granted(conn, batch)
            if not kept:
                return []
            return append_held(conn, size, [q.body for q in kept], at=[q.at for q in kept],
                               commit=True, known=edge)

    def _granted(self, conn: Connection, batch: list[_Queued]) -> list[_Queued]:
        """The entries of ``batch`` whose grants hold (or that carry none), in order; each of
        the others gets :class:`GrantLapsed` as its error."""
        grants = {q.grant for q in batch if q.grant is not None}
        if not grants or self.check is None:
            return batch
        lapsed = self.check(conn, grants)
        for q in batch:
            if q.grant is not None and q.grant in lapsed:
                q.error = GrantLapsed()
        return [q for q in batch if q.error is None]
