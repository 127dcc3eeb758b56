"""Group commit on the event loop: a web worker's appends, committed with no thread waiting.

:class:`~sanctuarygate.audit.group.GroupCommit` gathers the appends of a process's threads: each
caller's thread waits for the commit, which one of them leads. A web worker's recorded answer
then costs a thread of the pool blocked on the commit, a wake-up when it is durable and the
leader's round trips won back from the other threads at every reply; measured over HTTP, that
was most of what recording added to an answer (``docs/benchmarks.md``).

:class:`LoopGroupCommit` does the same for the coroutines of one event loop, on PostgreSQL:
``await group.append(body)`` returns the entry's index once the commit holding it is durable.
The commits are the loop's own work, on psycopg async connections of their own (``connect``;
at most ``connections`` at once, none from the engine's pool), in the same steps as
``GroupCommit``'s, one statement each:

1. wait up to ``window`` seconds from the oldest queued entry's arrival (or until ``max_batch``
   are queued);
2. BEGIN and take the log head's lock (``store.log.PG_BEGIN_HOLD_HEAD_SQL``): other commits
   go first, other processes' included; only then take the queue, entries that arrived while
   it waited included (entries queued later start the next commit at once, which waits for
   the lock on a connection of its own while this one commits);
3. check the batch's staff-token grants (``store.staff.PG_HOLDING``): an entry whose grant
   lapsed is left out, its caller raises ``GrantLapsed``;
4. read the tree nodes the head's edge does not give (none, when the head keeps its edge), and
   write the entries, nodes and the head's move (``store.log.held_statement``);
5. COMMIT; then every caller in the batch has its index.

If any step fails, every caller in the batch raises the error and nothing of the batch is in
the log (fail closed: nothing is acknowledged that is not durable, and a failed batch leaves
no gap); the connection is closed and a new one opened for the next commit. An idle connection
the server closed meanwhile is replaced before a commit uses it (no caller sees that). A caller that
stops waiting (its request cancelled) does not take its entry back: it commits with its batch,
unacknowledged, as an entry whose answer never reached the client would.

One instance serves one event loop (a web worker's). Several workers, each with its own, and
the threads' ``GroupCommit`` of the same process queue on the head's row lock: one gapless
tree.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Hashable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psycopg

from sanctuarygate.audit.group import MAX_BATCH, GrantLapsed
from sanctuarygate.audit.tree import Held, edge_nodes, held_needs
from sanctuarygate.store.db import LOOP_CONNECTIONS, connection_idle
from sanctuarygate.store.log import (
    PG_BEGIN_HOLD_HEAD_SQL,
    PG_NODES_DRIVER_SQL,
    StoredNodes,
    check_held,
    head_of,
    held_statement,
)
from sanctuarygate.store.staff import PG_HOLDING, TokenGrant, grant_ids, lapsed_among

__all__ = ["LoopGroupCommit"]

AsyncConnection = psycopg.AsyncConnection[Any]
#: Opens a new connection, in autocommit (each commit opens its transaction by hand).
Connect = Callable[[], Awaitable[AsyncConnection]]


@dataclass(slots=True, eq=False)
class _Waiting:
    body: bytes
    at: dt.datetime
    arrived: float
    grant: Hashable | None
    answer: asyncio.Future[int]


class LoopGroupCommit:
    """Appends to the PostgreSQL log that ``connect`` reaches, gathered across the coroutines
    of one event loop (see the module's docstring). ``commits`` and ``appended`` count the
    transactions and entries committed."""

    def __init__(self, connect: Connect, *, window: float = 0.002, max_batch: int = MAX_BATCH,
                 connections: int = LOOP_CONNECTIONS) -> None:
        if window < 0 or max_batch < 1 or connections < 1:
            raise ValueError(f"bad group commit window {window}, batch {max_batch} or "
                             f"connections {connections}")
        self.connect = connect
        self.window = window
        self.max_batch = max_batch
        self.commits = 0
        self.appended = 0
        self._queue: list[_Waiting] = []
        self._gathering = False
        self._full = asyncio.Event()  # the queue reached max_batch while a leader gathers
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[AsyncConnection] = []
        self._leaders: set[asyncio.Task[None]] = set()
        self._closed = False

    async def append(self, body: bytes, *, at: dt.datetime | None = None,
                     grant: TokenGrant | None = None) -> int:
        """Append ``body``; return its index once the commit holding it is durable.

        Raises the commit's error if that commit failed (the entry is not in the log), and
        ``GrantLapsed`` if ``grant`` no longer held at the commit (nor is it)."""
        if self._closed:
            raise RuntimeError("this group commit is closed")
        loop = asyncio.get_running_loop()
        item = _Waiting(body, at or dt.datetime.now(dt.UTC), loop.time(), grant,
                        loop.create_future())
        self._queue.append(item)
        if not self._gathering:
            self._lead_next()
        elif len(self._queue) >= self.max_batch:
            self._full.set()
        return await item.answer

    async def close(self) -> None:
        """Wait for the commits under way, then close every connection."""
        self._closed = True
        while self._leaders:
            await asyncio.gather(*self._leaders, return_exceptions=True)
        for conn in self._idle:
            await conn.close()
        self._idle.clear()

    def _lead_next(self) -> None:
        """A new leader gathers the queue (one at a time)."""
        self._gathering = True
        self._full.clear()
        task = asyncio.get_running_loop().create_task(self._lead())
        self._leaders.add(task)
        task.add_done_callback(self._leaders.discard)

    def _take(self) -> list[_Waiting]:
        """The next batch off the queue; the entries still queued get a leader of their own."""
        batch = self._queue[: self.max_batch]
        del self._queue[: self.max_batch]
        self._gathering = False
        if self._queue:
            self._lead_next()
        return batch

    async def _lead(self) -> None:
        batch: list[_Waiting] = []
        try:
            left = self._queue[0].arrived + self.window - asyncio.get_running_loop().time()
            if left > 0 and len(self._queue) < self.max_batch:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), left)
            async with self._slots:
                conn = await self._checkout()
                try:
                    committed = await self._commit(conn, batch)
                except BaseException:
                    await _discard(conn)
                    raise
                self._idle.append(conn)
        except BaseException as exc:  # every caller in the batch fails with it
            if not batch and self._gathering:  # failed before it took the queue: its callers
                batch.extend(self._take())  # fail (not durable)
            for item in batch:
                if not item.answer.done():
                    item.answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.commits += 1
        self.appended += len(committed)
        for item, index in committed:  # (a caller that stopped waiting: committed all the same)
            if not item.answer.done():
                item.answer.set_result(index)

    async def _checkout(self) -> AsyncConnection:
        """An idle connection the server has not closed (a restart, a crash, an administrator's
        ``pg_terminate_backend``: its socket has something to read), else a new one: checked
        without a round trip, as the engine's pool checks its own (``store.db``)."""
        while self._idle:
            conn = self._idle.pop()
            if not (conn.closed or conn.broken) and connection_idle(conn.pgconn.socket):
                return conn
            await _discard(conn)
        return await self.connect()

    async def _commit(self, conn: AsyncConnection,
                      batch: list[_Waiting]) -> list[tuple[_Waiting, int]]:
        """One durable transaction: the head's lock, then the queue into ``batch``, the grants'
        check, the write and the COMMIT; the entries kept, with their indexes."""
        cursor = await conn.execute(PG_BEGIN_HOLD_HEAD_SQL)  # one round trip, two results
        cursor.nextset()  # (the BEGIN's, then the lock's row)
        size, edge = head_of(await cursor.fetchone())
        batch.extend(self._take())
        kept = await self._granted(conn, batch)
        indexes: range = range(0)
        if kept:
            nodes = StoredNodes(None, edge_nodes(size, edge))
            wanted = [k for k in held_needs(size, len(kept)) if k not in nodes.cache]
            if wanted:  # the head keeps no edge for this size (another kind of append moved it)
                rows = await (await conn.execute(PG_NODES_DRIVER_SQL, {
                    "levels": [k[0] for k in wanted], "idxs": [k[1] for k in wanted]})).fetchall()
                nodes.cache.update({(int(lv), int(i)): bytes(h) for lv, i, h in rows})
            held = Held.of(nodes, size, [q.body for q in kept], at=[q.at for q in kept])
            sql, params = held_statement(size, held.leaves, held.texts, held.nodes, at=held.at,
                                         edge=held.edge)
            check_held(await (await conn.execute(sql, params)).fetchone(), size, held.end)
            indexes = range(size, held.end)
        await conn.commit()
        return list(zip(kept, indexes, strict=True))

    async def _granted(self, conn: AsyncConnection, batch: list[_Waiting]) -> list[_Waiting]:
        """The entries of ``batch`` whose grants hold (or that carry none), in order; each of
        the others is answered :class:`GrantLapsed`."""
        grants = {q.grant for q in batch if isinstance(q.grant, TokenGrant)}
        if not grants:
            return batch
        rows = await (await conn.execute(PG_HOLDING, {"ids": grant_ids(grants)})).fetchall()
        lapsed = lapsed_among(grants, rows)
        kept = []
        for q in batch:
            if q.grant in lapsed:
                if not q.answer.done():
                    q.answer.set_exception(GrantLapsed())
            else:
                kept.append(q)
        return kept


async def _discard(conn: AsyncConnection) -> None:
    """A connection whose commit failed: rolled back if it can be, and closed either way."""
    with suppress(psycopg.Error):
        await conn.rollback()
    with suppress(psycopg.Error):
        await conn.close()
