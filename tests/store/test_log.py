"""The stored log: one gapless sequence, consistent tree, proofs, durability under kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from sanctuarygate.audit import merkle
from sanctuarygate.audit.checkpoint import verify_checkpoint
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.tree import LogReader, append, append_held, append_many, hold_head
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.log import (
    LogIntegrityError,
    LogRangeError,
    checkpoints,
    entries,
    save_checkpoint,
    tree_size,
)
from sanctuarygate.store.tables import log_entry, log_node

WRITER = Path(__file__).with_name("log_writer.py")


def _url_and_schema(engine: Engine) -> tuple[str, str]:
    url = engine.url.render_as_string(hide_password=False)
    schema = "-"
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("select current_schema()").scalar_one()
    return url, schema


def _memory_tree(engine: Engine) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    with engine.connect() as conn:
        for e in entries(conn, 0, tree_size(conn)):
            assert e.index == tree.size
            tree.append(e.body.encode())
    return tree


@pytest.mark.parametrize("commit", [False, True], ids=["caller-commits", "commit-with-write"])
def test_append_under_a_held_head(db_engine: Engine, commit: bool) -> None:
    """The group commit's path: hold the head, then write the batch and move the head in one
    statement (PostgreSQL), the COMMIT sent with it when asked. A write for another size than
    the head's writes nothing and says so."""
    upgrade(db_engine)
    with db_engine.begin() as conn:
        append_many(conn, [f'{{"n":{i}}}'.encode() for i in range(5)])
    with db_engine.begin() as conn:
        size = hold_head(conn)
        assert size == 5
        assert append_held(conn, size, [f'{{"n":{i}}}'.encode() for i in range(5, 12)],
                           commit=commit) == list(range(5, 12))
    with db_engine.begin() as conn, pytest.raises(LogIntegrityError, match="not at 11"):
        append_held(conn, 11, [b'{"n":"stale"}'], commit=commit)
    tree = _memory_tree(db_engine)
    assert tree.size == 12
    with db_engine.connect() as conn:
        assert LogReader().root(conn) == (12, tree.root())
        assert conn.execute(select(log_node.c.idx).where(log_node.c.level == 0)
                            .order_by(log_node.c.idx)).scalars().all() == list(range(12))


def test_append_and_prove(db_engine: Engine) -> None:
    upgrade(db_engine)
    reader = LogReader()
    with db_engine.begin() as conn:
        assert append(conn, b'{"n":0}') == 0
        assert append_many(conn, [f'{{"n":{i}}}'.encode() for i in range(1, 40)]) == list(range(1, 40))
    tree = _memory_tree(db_engine)
    with db_engine.connect() as conn:
        for size in (1, 2, 3, 7, 8, 9, 39, 40):
            _, root = reader.root(conn, size)
            assert root == merkle.root(tree, size)
            for index in (0, size // 2, size - 1):
                proof = reader.inclusion_proof(conn, index, size)
                assert merkle.verify_inclusion(tree.complete_node(0, index), index, size, proof, root)
        old_root = reader.root(conn, 13)[1]
        proof = reader.consistency_proof(conn, 13, 40)
        assert merkle.verify_consistency(13, 40, old_root, reader.root(conn)[1], proof)


def test_rollback_leaves_no_gap(db_engine: Engine) -> None:
    upgrade(db_engine)
    with pytest.raises(RuntimeError), db_engine.begin() as conn:
        append(conn, b'{"lost":true}')
        raise RuntimeError("the guarded action failed")
    with db_engine.begin() as conn:
        assert tree_size(conn) == 0
        assert append(conn, b'{"kept":true}') == 0


def test_range_errors(db_engine: Engine) -> None:
    upgrade(db_engine)
    reader = LogReader()
    with db_engine.begin() as conn:
        append_many(conn, [b"{}"] * 3)
    with db_engine.connect() as conn:
        with pytest.raises(LogRangeError):
            reader.inclusion_proof(conn, 3, 3)
        with pytest.raises(LogRangeError):
            reader.root(conn, 4)
        with pytest.raises(LogRangeError):
            reader.consistency_proof(conn, 3, 2)
        with pytest.raises(LogRangeError):
            entries(conn, 5, 9)


def test_missing_node_is_integrity_error(db_engine: Engine) -> None:
    upgrade(db_engine)
    with db_engine.begin() as conn:
        append_many(conn, [b"{}"] * 4)
        conn.execute(log_node.delete().where(log_node.c.level == 2))
    with db_engine.connect() as conn, pytest.raises(LogIntegrityError):
        LogReader().root(conn, 4)


def _writers(engine: Engine, n: int, count: int, threads: int = 0) -> list[subprocess.Popen[str]]:
    """``n`` writer processes; with ``threads``, each appends from that many threads through
    one group commit (the service's path)."""
    url, schema = _url_and_schema(engine)
    grouped = [str(threads)] if threads else []
    return [subprocess.Popen([sys.executable, str(WRITER), url, schema, f"w{k}", str(count),
                              *grouped], stdout=subprocess.PIPE, text=True) for k in range(n)]


def _check_sequence(engine: Engine, acked: dict[int, str]) -> None:
    tree = _memory_tree(engine)
    with engine.connect() as conn:
        size = tree_size(conn)
        bodies = {int(i): b for i, b in conn.execute(select(log_entry.c.idx, log_entry.c.body))}
        stored_root = LogReader().root(conn, size)[1]
    assert sorted(bodies) == list(range(size))  # no gap, no duplicate
    assert stored_root == tree.root()
    for index, body in acked.items():  # every acknowledged entry is in the verified tree
        assert bodies[index] == body


@pytest.mark.parametrize(("writers", "count"), [(4, 1000)])
def test_concurrent_writers_keep_one_sequence(db_engine: Engine, writers: int, count: int) -> None:
    if db_engine.dialect.name == "sqlite":
        count = 250  # SQLite serialises writers on one file lock; fewer rows keep the test short
    upgrade(db_engine)
    procs = _writers(db_engine, writers, count)
    acked: dict[int, str] = {}
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0
        for line in out.splitlines():
            _, index, body = line.split(" ", 2)
            assert int(index) not in acked
            acked[int(index)] = body
    assert len(acked) == writers * count
    _check_sequence(db_engine, acked)
    per_writer: dict[str, list[int]] = {}
    for index in sorted(acked):
        per_writer.setdefault(acked[index].split('"writer":"')[1], []).append(index)
    assert all(len(v) == count for v in per_writer.values())


def test_group_commit_processes_keep_one_sequence(db_engine: Engine) -> None:
    """Four processes (as uvicorn workers), eight threads each, every append through the
    process's group commit: one gapless tree holding every acknowledged entry."""
    procs, threads, count = 4, 8, 60
    if db_engine.dialect.name == "sqlite":
        count = 20
    upgrade(db_engine)
    acked: dict[int, str] = {}
    for proc in _writers(db_engine, procs, count, threads):
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0
        for line in out.splitlines():
            _, index, body = line.split(" ", 2)
            assert int(index) not in acked
            acked[int(index)] = body
    assert len(acked) == procs * threads * count
    _check_sequence(db_engine, acked)
    with db_engine.connect() as conn:
        assert tree_size(conn) == len(acked)  # nothing unacknowledged either


@pytest.mark.parametrize("threads", [0, 8], ids=["per-entry", "group-commit"])
def test_acknowledged_appends_survive_kill_9(db_engine: Engine, threads: int) -> None:
    upgrade(db_engine)
    (proc,) = _writers(db_engine, 1, 100_000, threads)
    acked: dict[int, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        _, index, body = line.rstrip("\n").split(" ", 2)
        acked[int(index)] = body
        if len(acked) >= 300:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    _check_sequence(db_engine, acked)


def test_concurrent_checkpoints_of_one_size_store_the_first(db_engine: Engine) -> None:
    """Callers signing the same tree size at once all get the one stored note (no
    IntegrityError for the losers of the race)."""
    upgrade(db_engine)
    with db_engine.begin() as conn:
        append_many(conn, [b"{}"] * 3)
    callers = 8
    barrier = threading.Barrier(callers)

    def save(k: int) -> str:
        with db_engine.begin() as conn:
            barrier.wait(timeout=30)
            return save_checkpoint(conn, 3, bytes(32), f"note {k}\n")

    with ThreadPoolExecutor(callers) as pool:
        notes = list(pool.map(save, range(callers)))
    with db_engine.connect() as conn:
        stored = checkpoints(conn)
    assert len(stored) == 1 and stored[0][0] == 3
    assert notes == [stored[0][1]] * callers


def test_concurrent_log_checkpoints_agree(db_engine: Engine, tmp_path: Path) -> None:
    upgrade(db_engine)
    log = DecisionLog(db_engine, origin="test.example/race", data_dir=tmp_path)
    with db_engine.begin() as conn:
        append_many(conn, [b"{}"] * 5)
    _ = log.signer
    with ThreadPoolExecutor(8) as pool:
        notes = list(pool.map(lambda _: log.checkpoint(), range(16)))
    assert len(set(notes)) == 1
    assert verify_checkpoint(notes[0], log.verifiers()).size == 5
