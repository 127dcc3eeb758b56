"""The decision log in the database: append entries, read them, prove them.

One sequence, many writers: every append first takes the row lock on ``log_head`` with
``UPDATE log_head SET size = size + n ... RETURNING size`` (a row lock on PostgreSQL; the database
write lock on SQLite), so concurrent appenders from any number of processes queue up and the
entries are numbered 0, 1, 2, ... with no gap and no duplicate. The append runs in the caller's
transaction: the entry is committed together with the action it guards, or not at all. The lock
is held until that transaction ends, so one entry per commit is bounded by the commit's flush;
``append_many`` puts many entries under one lock and one commit.

Only complete, aligned subtree hashes are stored (``log_node``); roots and RFC 9162 proofs are
composed from them (``audit/merkle.py``). Complete nodes never change, so readers may cache them.
A proof, cold or warm, is one statement: the tree size and the uncached nodes it needs.
(``bench/log.py`` measures both; see docs/benchmarks.md.)

    with engine.begin() as conn:
        index = append(conn, entry_bytes)

The application appends through ``audit/record.py`` only (``record(conn, entry)``), which
encodes a typed entry (``audit/entries.py``); a test keeps it the only caller.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Connection,
    Executable,
    and_,
    bindparam,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)

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
        """Fetch the uncached ``keys`` in one query (absent ones stay absent)."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if wanted:
            self.cache.update(_read_nodes(self.conn, wanted)[1])

    def complete_node(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self.cache.get(key)
        if found is None:
            self.load([key])
            found = self.cache.get(key)
            if found is None:
                raise LogIntegrityError(f"missing tree node level {level} index {index}")
        return found


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


#: Statements built once: they are the hot path of every append and proof.
_LOCK_HEAD = (update(log_head).where(log_head.c.id == 1)
              .values(size=log_head.c.size + bindparam("n", type_=BigInteger))
              .returning(log_head.c.size))
_SIZE = select(log_head.c.size).where(log_head.c.id == 1)
_INSERT_ENTRIES = insert(log_entry)
_INSERT_NODES = insert(log_node)
#: The head's size as a row ``(-1, size, NULL)``, to go with nodes in one statement.
_SIZE_ROW = select(literal(-1), log_head.c.size, null()).where(log_head.c.id == 1)

#: PostgreSQL: entries and nodes in one statement (one round trip, whatever the batch size).
_PG_INSERT = text(
    f"WITH e AS (INSERT INTO {log_entry.name} (idx, leaf_hash, body, created_at)"
    " SELECT i, h, b, CAST(:at AS timestamptz) FROM unnest(CAST(:e_idx AS bigint[]),"
    " CAST(:e_hash AS bytea[]), CAST(:e_body AS text[])) AS t (i, h, b))"
    f" INSERT INTO {log_node.name} (level, idx, hash) SELECT * FROM unnest("
    "CAST(:n_level AS smallint[]), CAST(:n_idx AS bigint[]), CAST(:n_hash AS bytea[]))")
#: PostgreSQL: nodes by key, an index search each; the same statement for any number of keys.
_PG_NODES_SQL = (
    "SELECT n.level, n.idx, n.hash FROM unnest(CAST(:levels AS smallint[]),"
    f" CAST(:idxs AS bigint[])) AS k (level, idx) JOIN {log_node.name} AS n"
    " ON n.level = k.level AND n.idx = k.idx")
_PG_NODES = text(_PG_NODES_SQL)
_PG_SIZE_AND_NODES = text(
    f"SELECT -1, size, NULL FROM {log_head.name} WHERE id = 1 UNION ALL {_PG_NODES_SQL}")


@functools.lru_cache(maxsize=256)
def _sqlite_nodes(count: int, with_size: bool) -> Executable:
    """``count`` nodes by key, ``(level = :l0 AND idx = :i0) OR ...``: an index search each
    (SQLite scans the whole table for a row-value ``IN``)."""
    nodes = select(log_node.c.level, log_node.c.idx, log_node.c.hash).where(or_(*(
        and_(log_node.c.level == bindparam(f"l{k}"), log_node.c.idx == bindparam(f"i{k}"))
        for k in range(count))))
    return union_all(_SIZE_ROW, nodes) if with_size else nodes


def _read_nodes(conn: Connection, keys: Sequence[tuple[int, int]], *,
                with_size: bool = False) -> tuple[int | None, dict[tuple[int, int], bytes]]:
    """The stored nodes among ``keys`` in one statement, and the tree size if ``with_size``
    (read by the same statement, so from the same snapshot)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_PG_SIZE_AND_NODES if with_size else _PG_NODES,
                            {"levels": [k[0] for k in keys], "idxs": [k[1] for k in keys]})
    else:
        rows = conn.execute(_sqlite_nodes(len(keys), with_size),
                            {f"{c}{k}": v for k, key in enumerate(keys)
                             for c, v in zip("li", key, strict=True)})
    size, found = None, {}
    for level, idx, value in rows:
        if value is None:
            size = int(idx)
        else:
            found[(int(level), int(idx))] = bytes(value)
    return size, found


def _left_siblings(size: int, end: int) -> list[tuple[int, int]]:
    """The stored nodes that appending leaves ``[size, end)`` combines with.

    At each level, the node holding leaf ``size`` is the first one the batch can complete; if it
    is a right child and the batch completes it, its left sibling (all below ``size``) is needed.
    Every other left sibling is a node of the batch itself.
    """
    out, level = [], 0
    while ((size >> level) + 1) << level <= end:
        position = size >> level
        if position & 1:
            out.append((level, position - 1))
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
    """Append several entries under one lock and one commit (group commit); indexes in order.

    Three statements, or two: lock the head and move it on, read the stored left siblings the
    batch needs (none when the log's size is even), write the entries and nodes (one statement
    on PostgreSQL). The lock is held until the caller's transaction ends.
    """
    if not bodies:
        return []
    leaves = [merkle.leaf_hash(b) for b in bodies]  # before the lock: nothing here needs it
    texts = [b.decode("utf-8") for b in bodies]
    when = at or dt.datetime.now(dt.UTC)
    end = int(conn.execute(_LOCK_HEAD, {"n": len(bodies)}).scalar_one())
    size = end - len(bodies)
    nodes = _Nodes(conn)
    nodes.load(_left_siblings(size, end))
    new: list[tuple[int, int, bytes]] = []
    for index, leaf in enumerate(leaves, start=size):
        for level, idx, value in merkle.new_nodes(index, leaf, nodes):
            nodes.cache[(level, idx)] = value
            new.append((level, idx, value))
    indexes = list(range(size, end))
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_INSERT, {
            "at": when, "e_idx": indexes, "e_hash": leaves, "e_body": texts,
            "n_level": [n[0] for n in new], "n_idx": [n[1] for n in new],
            "n_hash": [n[2] for n in new]})
    else:
        conn.execute(_INSERT_ENTRIES, [
            {"idx": i, "leaf_hash": h, "body": b, "created_at": when}
            for i, h, b in zip(indexes, leaves, texts, strict=True)])
        conn.execute(_INSERT_NODES, [{"level": lv, "idx": i, "hash": h} for lv, i, h in new])
    return indexes


def tree_size(conn: Connection) -> int:
    """The number of committed entries."""
    return int(conn.execute(_SIZE).scalar_one())


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
            return tree_size(conn)
        size, found = _read_nodes(conn, wanted, with_size=True)
        self._cache.update(found)
        return tree_size(conn) if size is None else size  # no head row: fails as tree_size does

    @staticmethod
    def _check(current: int, size: int) -> None:
        if size < 0 or size > current:
            raise LogRangeError(f"tree size {size} is outside the log of size {current}")

    def root(self, conn: Connection, size: int | None = None) -> tuple[int, bytes]:
        """(size, root hash) for ``size`` entries (default: all committed)."""
        size = tree_size(conn) if size is None else size

        def compose(reader: merkle.NodeReader) -> bytes:
            return merkle.root(reader, size)

        self._check(self._current_size(conn, compose if size >= 0 else None), size)
        return size, compose(_Nodes(conn, self._cache))  # a missing node: LogIntegrityError

    def inclusion_proof(self, conn: Connection, index: int, size: int) -> list[bytes]:
        def compose(reader: merkle.NodeReader) -> list[bytes]:
            return merkle.inclusion_proof(reader, index, size)

        valid = 0 <= index < size
        self._check(self._current_size(conn, compose if valid else None), size)
        if not valid:
            raise LogRangeError(f"index {index} is not in a tree of size {size}")
        return compose(_Nodes(conn, self._cache))

    def consistency_proof(self, conn: Connection, old: int, new: int) -> list[bytes]:
        def compose(reader: merkle.NodeReader) -> list[bytes]:
            return merkle.consistency_proof(reader, old, new)

        valid = 0 <= old <= new
        self._check(self._current_size(conn, compose if valid else None), new)
        if not valid:
            raise LogRangeError(f"no consistency proof from {old} to {new}")
        return compose(_Nodes(conn, self._cache))


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
