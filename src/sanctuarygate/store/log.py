"""The decision log's storage: entries, tree nodes and checkpoints in the database.

This module stores and reads; it computes no hash. The audit package (``audit/tree.py``) hashes
the entries and works out the tree's new nodes, and calls the three steps of an append here:

1. :func:`lock_head`: ``UPDATE log_head SET size = size + n ... RETURNING size`` takes the row
   lock (a row lock on PostgreSQL; the database write lock on SQLite), so concurrent appenders
   from any number of processes queue up and entries are numbered 0, 1, 2, ... with no gap and
   no duplicate. The lock is held until the caller's transaction ends: the entry is committed
   together with the action it guards, or not at all.
2. :func:`read_nodes` (through :class:`StoredNodes`): the stored left siblings the new nodes
   combine with.
3. :func:`insert_entries`: the entries and their new nodes, one statement on PostgreSQL.

A group commit (``audit/group.py``) instead opens its transaction with :func:`held_head`,
which takes the lock in the same round trip as the BEGIN on PostgreSQL and returns the size and
the head's *edge* (below), reads the left siblings it still lacks, and writes with
:func:`write_held`: the entries, the nodes and the head's move in one statement, then the
COMMIT. The head's lock is held for three round trips on PostgreSQL, each a plain query: psycopg's
pipeline mode saved one but cost more of the worker's CPU than it saved (``docs/benchmarks.md``).

The head row also keeps the tree's right edge (``edge``: the hashes of the complete nodes a
later append combines with, one per bit of the size, as ``audit/tree.py`` lays them out) for
the size ``edge_size``, written by :func:`write_held` with the head's move. The lock's own
statement reads it, and it is the row's newest version even when the lock was waited for,
where a read of ``log_node`` in that statement would miss the nodes the previous holder just
committed; so no commit reads ``log_node``. An edge is used only while ``edge_size`` is the
size: an append that moves the head otherwise (:func:`lock_head`) leaves it stale, and the
next commit reads the nodes it needs.

Only complete, aligned subtree hashes are stored (``log_node``); roots and RFC 9162 proofs are
composed from them by the audit package. Complete nodes never change, so readers may cache
them. Checkpoints are stored once per tree size, whoever signs first.

The application appends through ``audit/record.py`` only (``record(conn, entry)``); a test keeps
the audit package the only caller of the append steps.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
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
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sanctuarygate.errors import InputError, SanctuaryGateError
from sanctuarygate.store.db import driver_errors
from sanctuarygate.store.tables import log_checkpoint, log_entry, log_head, log_node


class LogIntegrityError(SanctuaryGateError):
    """The stored log is inconsistent (a node or entry is missing)."""

    title = "The decision log is inconsistent"


class LogRangeError(InputError):
    """A requested index, size or range is outside the log (bad input, answered 422)."""

    title = "Outside the log"


class StoredNodes:
    """Complete nodes read from the database, for the Merkle code (an ``audit.NodeReader``):
    ``complete_node(level, index)``. Nodes in ``cache`` (shared with the caller, who may add
    to it) are served from memory; ``load`` fetches many in one statement. A node that is not
    stored is a :class:`LogIntegrityError`: a reader never makes up a hash."""

    def __init__(self, conn: Connection | None,
                 cache: dict[tuple[int, int], bytes] | None = None) -> None:
        self.conn = conn  # None: the cache holds every node there is to have (nothing is read)
        self.cache = cache if cache is not None else {}

    def load(self, keys: Iterable[tuple[int, int]]) -> None:
        """Fetch the uncached ``keys`` in one query (absent ones stay absent)."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if wanted and self.conn is not None:
            self.cache.update(read_nodes(self.conn, wanted)[1])

    def complete_node(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self.cache.get(key)
        if found is None:
            self.load([key])
            found = self.cache.get(key)
            if found is None:
                raise LogIntegrityError(f"missing tree node level {level} index {index}")
        return found


#: Statements built once: they are the hot path of every append and proof.
_LOCK_HEAD = (update(log_head).where(log_head.c.id == 1)
              .values(size=log_head.c.size + bindparam("n", type_=BigInteger))
              .returning(log_head.c.size))
_SIZE = select(log_head.c.size).where(log_head.c.id == 1)
_INSERT_ENTRIES = insert(log_entry)
_INSERT_NODES = insert(log_node)
#: The head's size as a row ``(-1, size, NULL)``, to go with nodes in one statement.
_SIZE_ROW = select(literal(-1), log_head.c.size, null()).where(log_head.c.id == 1)

#: The size of every stored hash (SHA-256): hashes travel to PostgreSQL concatenated.
HASH_BYTES = 32


@functools.lru_cache(maxsize=512)
def _pg_insert(count: int, move_head: bool) -> str:
    """PostgreSQL: ``count`` entries and any number of nodes in one statement (one round trip),
    in psycopg's own parameter style (sent as it is).

    Bodies are scalar parameters, sent as they are: psycopg escapes every element of a
    ``text[]`` parameter in Python, about 0.4 ms for one decision entry (quotes everywhere),
    which made the array the costliest part of an append. Hashes travel as one ``bytea`` per
    side (32 bytes each, cut by ``substring``), levels and indexes as integer arrays.

    With ``move_head`` the statement also moves the head from ``first`` to ``end``, keeping
    ``edge`` for it (the caller holds its lock, :func:`hold_head`), and returns the new size;
    the rows are written only if the head was at ``first`` (no row comes back otherwise, and
    nothing was written)."""
    rows = ", ".join(f"({k}, CAST(%(b{k})s AS text), CAST(%(a{k})s AS timestamptz))"
                     for k in range(count))
    head = (f"h AS (UPDATE {log_head.name} SET size = CAST(%(end)s AS bigint),"
            " edge_size = CAST(%(end)s AS bigint), edge = CAST(%(edge)s AS bytea)"
            " WHERE id = 1 AND size = CAST(%(first)s AS bigint) RETURNING size),"
            if move_head else "")
    gate = " CROSS JOIN h" if move_head else ""
    entries = (f"INSERT INTO {log_entry.name} (idx, leaf_hash, body, created_at)"
               " SELECT CAST(%(first)s AS bigint) + o,"
               f" substring(CAST(%(leaves)s AS bytea) FROM {HASH_BYTES} * o + 1 FOR {HASH_BYTES}),"
               f" b, a FROM v{gate}")
    nodes = (f"INSERT INTO {log_node.name} (level, idx, hash) SELECT l, i,"
             f" substring(CAST(%(hashes)s AS bytea) FROM CAST({HASH_BYTES} * (n - 1) + 1 AS integer)"
             f" FOR {HASH_BYTES})"
             " FROM unnest(CAST(%(n_level)s AS smallint[]), CAST(%(n_idx)s AS bigint[]))"
             f" WITH ORDINALITY AS t (l, i, n){gate}")
    if move_head:
        return (f"WITH {head} v (o, b, a) AS (VALUES {rows}), e AS ({entries}), n AS ({nodes})"
                " SELECT size FROM h")
    return f"WITH v (o, b, a) AS (VALUES {rows}), e AS ({entries}) {nodes}"


#: PostgreSQL: nodes by key, an index search each; the same statement for any number of keys.
_PG_NODES_SQL = (
    "SELECT n.level, n.idx, n.hash FROM unnest(CAST(:levels AS smallint[]),"
    f" CAST(:idxs AS bigint[])) AS k (level, idx) JOIN {log_node.name} AS n"
    " ON n.level = k.level AND n.idx = k.idx")
_PG_NODES = text(_PG_NODES_SQL)
#: The same in psycopg's own parameter style (``%(levels)s``), for a psycopg connection.
PG_NODES_DRIVER_SQL = _PG_NODES_SQL.replace(":levels", "%(levels)s").replace(":idxs", "%(idxs)s")
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


def read_nodes(conn: Connection, keys: Sequence[tuple[int, int]], *,
               with_size: bool = False) -> tuple[int | None, dict[tuple[int, int], bytes]]:
    """The stored nodes among ``keys`` in one statement, and the tree size if ``with_size``
    (read by the same statement, so from the same snapshot; None if there is no head row)."""
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


#: The head's lock without moving it: a row lock on PostgreSQL (no new row version), the
#: database write lock on SQLite (a write that changes nothing).
_HEAD = select(log_head.c.size, log_head.c.edge_size, log_head.c.edge).where(log_head.c.id == 1)
_PG_HOLD_HEAD = _HEAD.with_for_update()
_PG_HOLD_HEAD_SQL = f"SELECT size, edge_size, edge FROM {log_head.name} WHERE id = 1 FOR UPDATE"
#: BEGIN and the lock as one query string (no parameters: PostgreSQL's simple query protocol
#: takes both at once, with less of psycopg's work than its pipeline mode).
PG_BEGIN_HOLD_HEAD_SQL = f"BEGIN ISOLATION LEVEL READ COMMITTED; {_PG_HOLD_HEAD_SQL}"
_SQLITE_HOLD_HEAD = update(log_head).where(log_head.c.id == 1).values(size=log_head.c.size)


def hold_head(conn: Connection) -> tuple[int, bytes | None]:
    """Take the head's lock now (queueing behind other appenders' transactions), without
    reserving any index, and return the tree's size and the right edge the head keeps for it
    (None if it keeps none for this size): a group commit takes its batch once it holds the
    lock, so entries that arrive while it waits go in the same commit; then
    :func:`write_held` writes them and moves the head, or :func:`lock_head` reserves, at once."""
    if conn.dialect.name == "postgresql":
        return _head(conn.execute(_PG_HOLD_HEAD).one())
    conn.execute(_SQLITE_HOLD_HEAD)
    return _head(conn.execute(_HEAD).one())


def _head(row: Sequence[Any]) -> tuple[int, bytes | None]:
    """(size, edge) from the head's row: the edge only if it is the size's."""
    size, edge_size, edge = row
    return int(size), bytes(edge) if edge is not None and edge_size == size else None


@contextmanager
def held_head(engine: Engine) -> Iterator[tuple[Connection, int, bytes | None]]:
    """A transaction of its own that holds the head's lock (:func:`hold_head`): yields the
    connection, the size and the head's edge. It commits when the block ends (unless
    :func:`write_held` committed already), and rolls back if the block raises.

    On PostgreSQL the BEGIN goes with the lock's statement, one round trip (psycopg sends a
    BEGIN of its own and waits for it before the first statement of a transaction): the
    connection is in autocommit, and the transaction is opened by hand, both statements in one
    query string."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            yield (conn, *hold_head(conn))
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        driver = conn.connection.driver_connection
        assert driver is not None  # a checked-out connection
        try:
            with driver_errors(conn, PG_BEGIN_HOLD_HEAD_SQL):
                cursor = driver.execute(PG_BEGIN_HOLD_HEAD_SQL)  # one round trip, two results
                cursor.nextset()  # (the BEGIN's, then the lock's row)
                row = cursor.fetchone()
            yield (conn, *head_of(row))
            with driver_errors(conn, "COMMIT"):
                driver.commit()  # nothing left to do when write_held committed
        except BaseException:
            if not conn.invalidated:
                with suppress(psycopg.Error):  # (a lost connection: the pool drops it)
                    driver.rollback()  # in a transaction, whatever the autocommit says
            raise


def lock_head(conn: Connection, count: int) -> int:
    """Reserve the next ``count`` indexes and return the first: moves the head on by ``count``
    under its row lock, held until the caller's transaction ends (appenders queue here)."""
    end = int(conn.execute(_LOCK_HEAD, {"n": count}).scalar_one())
    return end - count


def insert_entries(conn: Connection, first: int, leaves: Sequence[bytes], bodies: Sequence[str],
                   nodes: Sequence[tuple[int, int, bytes]], *,
                   at: dt.datetime | Sequence[dt.datetime]) -> None:
    """Write entries ``first, first + 1, ...`` (their leaf hashes and bodies) and the complete
    ``nodes`` ``(level, index, hash)`` they make: one statement on PostgreSQL, two on SQLite.
    ``at`` is the rows' stored time, one for all or one per entry (a group commit's entries
    keep their own). The caller holds the head's lock (:func:`lock_head`) and computed every
    hash."""
    times = _times(at, len(leaves))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_pg_insert(len(leaves), False), _pg_params(first, leaves, bodies,
                                                                         nodes, times))
    else:
        _sqlite_insert(conn, first, leaves, bodies, nodes, times)


def write_held(conn: Connection, first: int, leaves: Sequence[bytes], bodies: Sequence[str],
               nodes: Sequence[tuple[int, int, bytes]], *,
               at: dt.datetime | Sequence[dt.datetime], edge: bytes | None = None,
               commit: bool = False) -> None:
    """Under the head's lock, taken by :func:`hold_head` at size ``first``: write the entries
    and nodes as :func:`insert_entries` does and move the head to ``first + len(leaves)``, with
    ``edge`` the right edge of that size (None: the head keeps none), in one statement on
    PostgreSQL (the head moves only if it was at ``first``; otherwise nothing is written and
    :class:`LogIntegrityError` is raised).

    ``commit`` (PostgreSQL): commit the caller's transaction too, once the write succeeded
    (never after a failed one); it returns only once the commit succeeded, and the caller's
    transaction has nothing left to commit. On SQLite the caller's own commit does it."""
    end = first + len(leaves)
    if conn.dialect.name != "postgresql":
        moved = conn.execute(update(log_head).where(log_head.c.id == 1, log_head.c.size == first)
                             .values(size=end, edge_size=end, edge=edge)).rowcount
        if moved != 1:
            raise LogIntegrityError(f"the log head is not at {first} under its lock")
        _sqlite_insert(conn, first, leaves, bodies, nodes, _times(at, len(leaves)))
        return  # the caller's commit is the one round trip there is (no server)
    sql, params = held_statement(first, leaves, bodies, nodes, at=at, edge=edge)
    driver = conn.connection.driver_connection
    assert driver is not None  # a checked-out connection
    with driver_errors(conn, sql):  # (psycopg itself: the statement of every commit)
        row = driver.execute(sql, params).fetchone()
    check_held(row, first, end)
    if commit:
        with driver_errors(conn, "COMMIT"):
            driver.commit()


def held_statement(first: int, leaves: Sequence[bytes], bodies: Sequence[str],
                   nodes: Sequence[tuple[int, int, bytes]], *,
                   at: dt.datetime | Sequence[dt.datetime], edge: bytes | None
                   ) -> tuple[str, dict[str, object]]:
    """PostgreSQL: :func:`write_held`'s one statement and its parameters, in psycopg's own
    style, for a caller that sends it on a psycopg connection of its own (the event loop's
    group commit, ``audit/group_loop.py``); the row it returns goes to :func:`check_held`."""
    end = first + len(leaves)
    times = _times(at, len(leaves))
    return _pg_insert(len(leaves), True), {
        **_pg_params(first, leaves, bodies, nodes, times), "end": end, "edge": edge}


def check_held(row: Sequence[Any] | None, first: int, end: int) -> None:
    """The row :func:`held_statement`'s statement returned must say the head moved from
    ``first`` to ``end``; no row: nothing was written (and nothing may be committed)."""
    if row is None or int(row[0]) != end:
        raise LogIntegrityError(f"the log head is not at {first} under its lock")


def head_of(row: Sequence[Any] | None) -> tuple[int, bytes | None]:
    """(size, edge) from the row :data:`PG_BEGIN_HOLD_HEAD_SQL`'s lock returned."""
    if row is None:
        raise LogIntegrityError("the log has no head row")
    return _head(row)


def _times(at: dt.datetime | Sequence[dt.datetime], count: int) -> list[dt.datetime]:
    times = [at] * count if isinstance(at, dt.datetime) else list(at)
    if len(times) != count:
        raise ValueError(f"{len(times)} times for {count} entries")
    return times


def _pg_params(first: int, leaves: Sequence[bytes], bodies: Sequence[str],
               nodes: Sequence[tuple[int, int, bytes]],
               times: Sequence[dt.datetime]) -> dict[str, object]:
    if any(len(h) != HASH_BYTES for h in leaves) or any(len(n[2]) != HASH_BYTES for n in nodes):
        raise ValueError(f"a hash that is not {HASH_BYTES} bytes")
    params: dict[str, object] = {
        "first": first, "leaves": b"".join(leaves), "hashes": b"".join(n[2] for n in nodes),
        "n_level": [n[0] for n in nodes], "n_idx": [n[1] for n in nodes]}
    for k, (body, when) in enumerate(zip(bodies, times, strict=True)):
        params[f"b{k}"], params[f"a{k}"] = body, when
    return params


def _sqlite_insert(conn: Connection, first: int, leaves: Sequence[bytes], bodies: Sequence[str],
                   nodes: Sequence[tuple[int, int, bytes]], times: Sequence[dt.datetime]) -> None:
    conn.execute(_INSERT_ENTRIES, [
        {"idx": i, "leaf_hash": h, "body": b, "created_at": a}
        for i, h, b, a in zip(range(first, first + len(leaves)), leaves, bodies, times,
                              strict=True)])
    if nodes:
        conn.execute(_INSERT_NODES, [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes])


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


def save_checkpoint(conn: Connection, size: int, root_hash: bytes, note: str) -> str:
    """Store a signed checkpoint for ``size`` unless one is stored already, and return the
    stored note (the first one signed: concurrent callers all get the same).

    An insert that ignores the conflict, then a read: never an IntegrityError for the loser of
    a race, and no transaction aborted on PostgreSQL.
    """
    values = {"size": size, "root_hash": root_hash, "note": note,
              "created_at": dt.datetime.now(dt.UTC)}
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(pg_insert(log_checkpoint).values(**values).on_conflict_do_nothing(
            index_elements=[log_checkpoint.c.size]))
    elif dialect == "sqlite":
        conn.execute(sqlite_insert(log_checkpoint).values(**values).on_conflict_do_nothing(
            index_elements=[log_checkpoint.c.size]))
    else:  # no portable "ignore the conflict": check, then insert
        if _checkpoint_note(conn, size) is None:
            conn.execute(insert(log_checkpoint).values(**values))
    stored = _checkpoint_note(conn, size)
    if stored is None:
        raise LogIntegrityError(f"the checkpoint for size {size} was not stored")
    return stored


def _checkpoint_note(conn: Connection, size: int) -> str | None:
    row = conn.execute(select(log_checkpoint.c.note).where(log_checkpoint.c.size == size)).first()
    return None if row is None else str(row[0])


def latest_checkpoint(conn: Connection) -> tuple[int, str] | None:
    """(size, signed note) of the newest stored checkpoint, if any."""
    row = conn.execute(select(log_checkpoint.c.size, log_checkpoint.c.note)
                       .order_by(log_checkpoint.c.size.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def checkpoints(conn: Connection) -> list[tuple[int, str]]:
    rows = conn.execute(select(log_checkpoint.c.size, log_checkpoint.c.note)
                        .order_by(log_checkpoint.c.size))
    return [(int(s), str(n)) for s, n in rows]
