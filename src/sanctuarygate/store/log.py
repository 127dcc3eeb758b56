"""The decision log in the database: append entries, read them, prove them.

One sequence, many writers: every append first takes the row lock on ``log_head`` with
``UPDATE log_head SET size = size ... RETURNING size`` (a row lock on PostgreSQL; the database
write lock on SQLite), so concurrent appenders from any number of processes queue up and the
entries are numbered 0, 1, 2, ... with no gap and no duplicate. The append runs in the caller's
transaction: the entry is committed together with the action it guards, or not at all.

Only complete, aligned subtree hashes are stored (``log_node``); roots and RFC 9162 proofs are
composed from them (``audit/merkle.py``). Complete nodes never change, so readers may cache them.

    with engine.begin() as conn:
        index = append(conn, canonical_json_bytes)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, tuple_, update

from sanctuarygate.audit import merkle
from sanctuarygate.errors import InputError, SanctuaryGateError
from sanctuarygate.store.tables import log_checkpoint, log_entry, log_head, log_node


class LogIntegrityError(SanctuaryGateError):
    """The stored log is inconsistent (a node or entry is missing)."""

    title = "The decision log is inconsistent"


class LogRangeError(InputError):
    """A requested index, size or range is outside the log (bad input, answered 422)."""

    title = "Outside the log"


class _Nodes:
    """``merkle.NodeReader`` over a connection; ``prefetched`` nodes are served from memory."""

    def __init__(self, conn: Connection, cache: dict[tuple[int, int], bytes] | None = None) -> None:
        self.conn = conn
        self.cache = cache if cache is not None else {}

    def load(self, keys: Iterable[tuple[int, int]]) -> None:
        wanted = [k for k in keys if k not in self.cache]
        if not wanted:
            return
        rows = self.conn.execute(
            select(log_node.c.level, log_node.c.idx, log_node.c.hash)
            .where(tuple_(log_node.c.level, log_node.c.idx).in_(wanted)))
        for level, idx, value in rows:
            self.cache[(int(level), int(idx))] = bytes(value)

    def complete_node(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self.cache.get(key)
        if found is None:
            self.load([key])
            found = self.cache.get(key)
            if found is None:
                raise LogIntegrityError(f"missing tree node level {level} index {index}")
        return found


def _siblings(index: int) -> list[tuple[int, int]]:
    """The left siblings that appending at ``index`` will combine with."""
    out, level = [], 0
    while (index >> level) & 1:
        out.append((level, (index >> level) - 1))
        level += 1
    return out


def append(conn: Connection, body: bytes, *, at: dt.datetime | None = None) -> int:
    """Append one entry in the caller's transaction and return its index.

    The index is final only when the caller's transaction commits; if it rolls back, the entry
    and its nodes vanish with it and the next appender reuses the index.
    """
    return append_many(conn, [body], at=at)[0]


def append_many(conn: Connection, bodies: Sequence[bytes], *,
                at: dt.datetime | None = None) -> list[int]:
    """Append several entries under one lock and one commit (group commit); indexes in order."""
    if not bodies:
        return []
    size = conn.execute(update(log_head).where(log_head.c.id == 1)
                        .values(size=log_head.c.size).returning(log_head.c.size)).scalar_one()
    size = int(size)
    when = at or dt.datetime.now(dt.UTC)
    nodes = _Nodes(conn)
    nodes.load(k for i in range(size, size + len(bodies)) for k in _siblings(i) if k[1] < (size >> k[0]))
    entries, new = [], []
    for offset, body in enumerate(bodies):
        index = size + offset
        leaf = merkle.leaf_hash(body)
        entries.append({"idx": index, "leaf_hash": leaf, "body": body.decode("utf-8"),
                        "created_at": when})
        for level, idx, value in merkle.new_nodes(index, leaf, nodes):
            nodes.cache[(level, idx)] = value
            new.append({"level": level, "idx": idx, "hash": value})
    conn.execute(insert(log_entry), entries)
    conn.execute(insert(log_node), new)
    conn.execute(update(log_head).where(log_head.c.id == 1).values(size=size + len(bodies)))
    return list(range(size, size + len(bodies)))


def tree_size(conn: Connection) -> int:
    """The number of committed entries."""
    return int(conn.execute(select(log_head.c.size).where(log_head.c.id == 1)).scalar_one())


@dataclass(frozen=True, slots=True)
class Entry:
    index: int
    body: str
    leaf_hash: bytes


def entries(conn: Connection, start: int, end: int) -> list[Entry]:
    """Entries ``start <= index < end`` (``end`` clipped to the tree size)."""
    size = tree_size(conn)
    if start < 0 or end < start or start > size:
        raise LogRangeError(f"range [{start}, {end}) is outside the log of size {size}")
    rows = conn.execute(select(log_entry.c.idx, log_entry.c.body, log_entry.c.leaf_hash)
                        .where(log_entry.c.idx >= start, log_entry.c.idx < min(end, size))
                        .order_by(log_entry.c.idx))
    return [Entry(int(i), str(b), bytes(h)) for i, b, h in rows]


class LogReader:
    """Roots and proofs for a stored log, with a cache of (immutable) complete nodes."""

    def __init__(self, max_cached: int = 200_000) -> None:
        self.max_cached = max_cached
        self._cache: dict[tuple[int, int], bytes] = {}

    def _nodes(self, conn: Connection) -> _Nodes:
        if len(self._cache) > self.max_cached:
            self._cache.clear()
        return _Nodes(conn, self._cache)

    def _check(self, conn: Connection, size: int) -> None:
        current = tree_size(conn)
        if size < 0 or size > current:
            raise LogRangeError(f"tree size {size} is outside the log of size {current}")

    def root(self, conn: Connection, size: int | None = None) -> tuple[int, bytes]:
        """(size, root hash) for ``size`` entries (default: all committed)."""
        size = tree_size(conn) if size is None else size
        self._check(conn, size)
        return size, merkle.root(self._nodes(conn), size)

    def inclusion_proof(self, conn: Connection, index: int, size: int) -> list[bytes]:
        self._check(conn, size)
        if not 0 <= index < size:
            raise LogRangeError(f"index {index} is not in a tree of size {size}")
        return merkle.inclusion_proof(self._nodes(conn), index, size)

    def consistency_proof(self, conn: Connection, old: int, new: int) -> list[bytes]:
        self._check(conn, new)
        if not 0 <= old <= new:
            raise LogRangeError(f"no consistency proof from {old} to {new}")
        return merkle.consistency_proof(self._nodes(conn), old, new)


def save_checkpoint(conn: Connection, size: int, root_hash: bytes, note: str) -> None:
    """Store a signed checkpoint (idempotent per size)."""
    exists = conn.execute(select(log_checkpoint.c.size).where(log_checkpoint.c.size == size)).first()
    if exists is None:
        conn.execute(insert(log_checkpoint).values(size=size, root_hash=root_hash, note=note,
                                                   created_at=dt.datetime.now(dt.UTC)))


def latest_checkpoint(conn: Connection) -> tuple[int, str] | None:
    """(size, signed note) of the newest stored checkpoint, if any."""
    row = conn.execute(select(log_checkpoint.c.size, log_checkpoint.c.note)
                       .order_by(log_checkpoint.c.size.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def checkpoints(conn: Connection) -> list[tuple[int, str]]:
    rows = conn.execute(select(log_checkpoint.c.size, log_checkpoint.c.note)
                        .order_by(log_checkpoint.c.size))
    return [(int(s), str(n)) for s, n in rows]
