"""The stored log's Merkle tree: appends (leaf hashes and new nodes) and roots and proofs.

The hashing decisions are made here; the database work is ``store.log``'s, which computes no
hash. An append, in the caller's transaction:

1. hash the entries (before any lock: nothing here needs it);
2. ``store.log.lock_head``: reserve the next indexes under the head's row lock;
3. read the stored left siblings the batch combines with (none when the log's size is even)
   and compute the new complete nodes (``merkle.new_nodes``);
4. ``store.log.insert_entries``: write the entries and the nodes.

    with engine.begin() as conn:
        index = append(conn, entry_bytes)

A group commit (``audit/group.py``) takes the lock first (:func:`holding_head`, which says the
size and gives the right edge the head keeps) and then appends its batch with
:func:`append_held`: the head moves, with the new right edge, in the statement that writes the
entries, sent with the COMMIT on PostgreSQL.

Roots and RFC 9162 proofs are composed from the stored complete nodes by :class:`LogReader`,
which caches them (complete nodes never change); a proof, cold or warm, is one statement: the
tree size and the uncached nodes it needs. (``bench/log.py`` measures both; see
docs/benchmarks.md.)

The application appends through ``audit/record.py`` (``record(conn, entry)``), which encodes a
typed entry (``audit/entries.py``); a test keeps the audit package the only caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sanctuarygate.audit import merkle
from sanctuarygate.store import log as stored
from sanctuarygate.store.db import Connection, Engine
from sanctuarygate.store.log import LogRangeError, StoredNodes

__all__ = ["Held", "LogReader", "append", "append_held", "append_many", "edge_nodes", "held_needs",
           "hold_head", "holding_head"]


class _Keys:
    """``merkle.NodeReader`` that notes which nodes are read and answers a placeholder.

    Which nodes a root or proof reads depends only on the sizes and indexes, never on the hashes,
    so one dry run names every node the real composition will read.
    """

    PLACEHOLDER = bytes(merkle.HASH_SIZE)

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []

    def complete_node(self, level: int, index: int) -> bytes:
        self.keys.append((level, index))
        return self.PLACEHOLDER


def _left_siblings(size: int, end: int) -> list[tuple[int, int]]:
    """The stored nodes that appending leaves ``[size, end)`` combines with.

    At each level, the node holding leaf ``size`` is the first one the batch can complete; if it
    is a right child and the batch completes it, its left sibling (all below ``size``) is needed.
    Every other left sibling is a node of the batch itself.

    >>> _left_siblings(3, 4), _left_siblings(4, 5), _left_siblings(0, 8)
    ([(0, 2), (1, 0)], [], [])
    """
    out, level = [], 0
    while ((size >> level) + 1) << level <= end:
        position = size >> level
        if position & 1:
            out.append((level, position - 1))
        level += 1
    return out


def hold_head(conn: Connection, known: dict[tuple[int, int], bytes] | None = None) -> int:
    """Wait for the log's head lock in the caller's transaction, reserving nothing yet, and
    return the tree's size: a group commit (``audit/group.py``) holds it first, then takes every
    entry queued meanwhile and appends them with :func:`append_held`. The right edge the head
    keeps for that size, if any, joins ``known``."""
    size, edge = stored.hold_head(conn)
    if known is not None:
        known.update(edge_nodes(size, edge))
    return size


@contextmanager
def holding_head(engine: Engine) -> Iterator[tuple[Connection, int, dict[tuple[int, int], bytes]]]:
    """A transaction of its own holding the log's head lock (``store.log.held_head``: one
    round trip on PostgreSQL, the BEGIN with the lock): yields the connection, the tree's size
    and the right edge the head keeps for it (empty if none), for :func:`append_held`'s
    ``known``. Commits when the block ends, unless ``append_held(commit=True)`` did."""
    with stored.held_head(engine) as (conn, size, edge):
        yield conn, size, edge_nodes(size, edge)


def edge_nodes(size: int, edge: bytes | None) -> dict[tuple[int, int], bytes]:
    """The nodes of the head's ``edge`` (their hashes in :func:`right_edge`'s order); none if
    there is no edge or it is not the right length for ``size``."""
    keys = right_edge(size)
    step = merkle.HASH_SIZE
    if edge is None or len(edge) != step * len(keys):
        return {}
    return {key: edge[k * step:(k + 1) * step] for k, key in enumerate(keys)}


def append(conn: Connection, body: bytes, *, at: dt.datetime | None = None) -> int:
    """Append one entry in the caller's transaction and return its index.

    The index is final only when the caller's transaction commits; if it rolls back, the entry
    and its nodes vanish with it and the next appender reuses the index.
    """
    return append_many(conn, [body], at=at)[0]


def append_many(conn: Connection, bodies: Sequence[bytes], *,
                at: dt.datetime | Sequence[dt.datetime] | None = None) -> list[int]:
    """Append several entries under one lock and one commit (group commit); indexes in order.

    Three statements, or two: lock the head and move it on, read the stored left siblings the
    batch needs (none when the log's size is even), write the entries and nodes (one statement
    on PostgreSQL). The lock is held until the caller's transaction ends. ``at``: the rows'
    stored time, one for all or one per entry (default now).
    """
    if not bodies:
        return []
    leaves = [merkle.leaf_hash(b) for b in bodies]  # before the lock: nothing here needs it
    texts = [b.decode("utf-8") for b in bodies]
    when = at or dt.datetime.now(dt.UTC)
    size = stored.lock_head(conn, len(bodies))
    stored.insert_entries(conn, size, leaves, texts, _new_nodes(StoredNodes(conn), size, leaves),
                          at=when)
    return list(range(size, size + len(bodies)))


def append_held(conn: Connection, size: int, bodies: Sequence[bytes], *,
                at: dt.datetime | Sequence[dt.datetime] | None = None,
                commit: bool = False, known: dict[tuple[int, int], bytes] | None = None
                ) -> list[int]:
    """Append several entries under the head's lock, already held by :func:`hold_head` (which
    said the tree has ``size`` entries): the stored left siblings read, then the entries, nodes
    and the head's move written together in one statement on PostgreSQL, with the new tree's
    right edge, which the head keeps. ``commit`` commits the caller's transaction with the
    write on PostgreSQL (``store.log.write_held``): the lock is held for those round trips
    only. Indexes in order.

    ``known``: complete nodes the caller has already (the head's edge, from
    :func:`hold_head` or :func:`holding_head`; complete nodes never change); those found there
    are not read, and when the head's edge is known none is: the lock is held for one round
    trip besides the one that took it. Otherwise the left siblings and the old nodes of the new
    right edge are read in one statement (an edge missing a stored node is not kept)."""
    if not bodies:
        return []
    nodes = StoredNodes(conn, dict(known) if known is not None else None)
    nodes.load(held_needs(size, len(bodies)))
    held = Held.of(nodes, size, bodies, at=at)
    stored.write_held(conn, size, held.leaves, held.texts, held.nodes, at=held.at, edge=held.edge,
                      commit=commit)
    return list(range(size, held.end))


def held_needs(size: int, count: int) -> list[tuple[int, int]]:
    """The stored nodes appending ``count`` entries at ``size`` reads (unless known): the
    left siblings the batch combines with, and the old nodes on the new tree's right edge."""
    end = size + count
    return [*_left_siblings(size, end),
            *((lv, i) for lv, i in right_edge(end) if (i + 1) << lv <= size)]


@dataclass(frozen=True, slots=True)
class Held:
    """What a group commit writes under the head's lock (``store.log.write_held``): the leaf
    hashes and texts of its entries, the complete nodes they make, the rows' times and the new
    tree's right edge (None if a node of it is not known)."""

    size: int
    leaves: list[bytes]
    texts: list[str]
    nodes: list[tuple[int, int, bytes]]
    at: dt.datetime | list[dt.datetime]
    edge: bytes | None

    @property
    def end(self) -> int:
        return self.size + len(self.leaves)

    @classmethod
    def of(cls, nodes: StoredNodes, size: int, bodies: Sequence[bytes], *,
           at: dt.datetime | Sequence[dt.datetime] | None = None) -> Held:
        """The batch ``bodies`` appended at ``size``, the nodes it combines with taken from
        ``nodes`` (every one of :func:`held_needs` there already, or read)."""
        leaves = [merkle.leaf_hash(b) for b in bodies]
        edge_keys = right_edge(size + len(bodies))
        new = _new_nodes(nodes, size, leaves)
        edge = (b"".join(nodes.cache[key] for key in edge_keys)
                if all(key in nodes.cache for key in edge_keys) else None)
        when = at or dt.datetime.now(dt.UTC)
        return cls(size, leaves, [b.decode("utf-8") for b in bodies], new,
                   when if isinstance(when, dt.datetime) else list(when), edge)


def right_edge(size: int) -> list[tuple[int, int]]:
    """The complete nodes on the right edge of a tree of ``size`` leaves, one per bit set in
    ``size``: every left sibling a later append can need (:func:`_left_siblings`).

    >>> right_edge(6), right_edge(8), right_edge(0)
    ([(1, 2), (2, 0)], [(3, 0)], [])
    """
    return [(level, (size >> level) - 1) for level in range(size.bit_length())
            if (size >> level) & 1]


def _new_nodes(nodes: StoredNodes, size: int,
               leaves: Sequence[bytes]) -> list[tuple[int, int, bytes]]:
    """The complete nodes that appending ``leaves`` at ``size`` makes (the stored left siblings
    they combine with that ``nodes`` has not cached read in one statement); they join
    ``nodes.cache``."""
    nodes.load(_left_siblings(size, size + len(leaves)))
    new: list[tuple[int, int, bytes]] = []
    for index, leaf in enumerate(leaves, start=size):
        for level, idx, value in merkle.new_nodes(index, leaf, nodes):
            nodes.cache[(level, idx)] = value
            new.append((level, idx, value))
    return new


class LogReader:
    """Roots and proofs for a stored log, with a cache of (immutable) complete nodes."""

    def __init__(self, max_cached: int = 200_000) -> None:
        self.max_cached = max_cached
        self._cache: dict[tuple[int, int], bytes] = {}

    def _current_size(self, conn: Connection,
                      compose: Callable[[merkle.NodeReader], object] | None) -> int:
        """The committed tree size. With ``compose``, the nodes it will read that are not cached
        yet come with it, in the same statement: a proof is one query, cold or warm."""
        if len(self._cache) > self.max_cached:
            self._cache.clear()
        wanted: list[tuple[int, int]] = []
        if compose is not None:
            keys = _Keys()
            compose(keys)
            wanted = [k for k in dict.fromkeys(keys.keys) if k not in self._cache]
        if not wanted:
            return stored.tree_size(conn)
        size, found = stored.read_nodes(conn, wanted, with_size=True)
        self._cache.update(found)
        return stored.tree_size(conn) if size is None else size  # no head: fails as tree_size

    @staticmethod
    def _check(current: int, size: int) -> None:
        if size < 0 or size > current:
            raise LogRangeError(f"tree size {size} is outside the log of size {current}")

    def root(self, conn: Connection, size: int | None = None) -> tuple[int, bytes]:
        """(size, root hash) for ``size`` entries (default: all committed)."""
        size = stored.tree_size(conn) if size is None else size

        def compose(reader: merkle.NodeReader) -> bytes:
            return merkle.root(reader, size)

        self._check(self._current_size(conn, compose if size >= 0 else None), size)
        return size, compose(StoredNodes(conn, self._cache))  # missing node: LogIntegrityError

    def inclusion_proof(self, conn: Connection, index: int, size: int) -> list[bytes]:
        def compose(reader: merkle.NodeReader) -> list[bytes]:
            return merkle.inclusion_proof(reader, index, size)

        valid = 0 <= index < size
        self._check(self._current_size(conn, compose if valid else None), size)
        if not valid:
            raise LogRangeError(f"index {index} is not in a tree of size {size}")
        return compose(StoredNodes(conn, self._cache))

    def consistency_proof(self, conn: Connection, old: int, new: int) -> list[bytes]:
        def compose(reader: merkle.NodeReader) -> list[bytes]:
            return merkle.consistency_proof(reader, old, new)

        valid = 0 <= old <= new
        self._check(self._current_size(conn, compose if valid else None), new)
        if not valid:
            raise LogRangeError(f"no consistency proof from {old} to {new}")
        return compose(StoredNodes(conn, self._cache))
