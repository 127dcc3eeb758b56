"""Group commit: concurrent appends share commits, get distinct gapless indexes, and fail
together when their commit fails (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import DBAPIError

from sanctuarygate.audit import group as group_module
from sanctuarygate.audit import merkle
from sanctuarygate.audit.group import GrantLapsed, GroupCommit
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.tree import LogReader, append_many, hold_head
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.log import tree_size
from sanctuarygate.store.tables import log_entry, log_head, log_node


def _stored(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {int(i): str(b) for i, b in conn.execute(select(log_entry.c.idx, log_entry.c.body))}


def _check_tree(engine: Engine, acked: dict[int, str]) -> None:
    """No gap, no duplicate; every acknowledged entry at its index; the stored root is the
    root of the stored entries."""
    stored = _stored(engine)
    assert sorted(stored) == list(range(len(stored)))
    tree = merkle.MemoryTree()
    for index in range(len(stored)):
        tree.append(stored[index].encode())
    with engine.connect() as conn:
        assert tree_size(conn) == len(stored)
        assert LogReader().root(conn)[1] == tree.root()
    for index, body in acked.items():
        assert stored[index] == body


@pytest.mark.parametrize("max_batch", [256, 3], ids=["batch-256", "batch-3"])
def test_many_threads_get_distinct_gapless_indexes(db_engine: Engine, max_batch: int) -> None:
    """Batch 3: more callers queued than a commit takes, so a leader's own entry may wait for
    a later commit, led by whoever is oldest in the queue when a batch is taken."""
    upgrade(db_engine)
    group = GroupCommit(db_engine, window=0.002, max_batch=max_batch)
    threads, each = 24, 30
    start = threading.Barrier(threads)

    def run(t: int) -> list[tuple[int, str]]:
        start.wait(timeout=60)
        out = []
        for i in range(each):
            body = f'{{"i":{i},"t":{t}}}'
            out.append((group.append(body.encode()), body))
        return out

    with ThreadPoolExecutor(threads) as pool:
        acks = [a for done in pool.map(run, range(threads)) for a in done]
    acked = dict(acks)
    assert len(acked) == len(acks) == threads * each  # distinct indexes
    _check_tree(db_engine, acked)
    assert sorted(acked) == list(range(threads * each))  # nothing but what was acknowledged
    assert group.appended == threads * each
    assert group.commits < group.appended  # commits were shared


def test_a_commit_gathers_the_appends_of_its_window(db_engine: Engine) -> None:
    """With a long window, the first commit waits until the batch is full: ten callers, one
    transaction."""
    upgrade(db_engine)
    group = GroupCommit(db_engine, window=120, max_batch=10)
    with ThreadPoolExecutor(10) as pool:
        indexes = list(pool.map(lambda k: group.append(f'{{"k":{k}}}'.encode()), range(10)))
    assert sorted(indexes) == list(range(10))
    assert (group.commits, group.appended) == (1, 10)
    assert {f'{{"k":{k}}}' for k in range(10)} == set(_stored(db_engine).values())


def test_appends_that_arrive_while_the_head_is_locked_join_the_commit(db_engine: Engine) -> None:
    """Another process's transaction holds the log head: the leader waits for it, and the nine
    appends that arrive meanwhile go in the same commit as the leader's."""
    upgrade(db_engine)
    group = GroupCommit(db_engine, window=0, max_batch=10)
    other = db_engine.connect()
    other.begin()
    hold_head(other)  # as another worker's commit would
    try:
        with ThreadPoolExecutor(10) as pool:
            first = pool.submit(group.append, b'{"k":0}')
            rest = [pool.submit(group.append, f'{{"k":{k}}}'.encode()) for k in range(1, 10)]
            with group._cond:  # the tenth queued append wakes whoever waits for a full batch
                assert group._cond.wait_for(lambda: len(group._queue) == 10, timeout=120)
            other.commit()
            indexes = [first.result(timeout=120)] + [f.result(timeout=120) for f in rest]
    finally:
        other.close()
    assert sorted(indexes) == list(range(10))
    assert (group.commits, group.appended) == (1, 10)


def test_the_next_commit_waits_for_the_head_while_one_commits(
        db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a commit has taken its batch, a caller still queued leads the next one at once: it
    takes a connection (to wait for the head's lock) while the first commit is still writing.
    The first commit's write is held until that second connection is taken."""
    upgrade(db_engine)
    group = GroupCommit(db_engine, window=0, max_batch=1)
    taken, held = [0], []
    second = threading.Event()
    write = group_module.append_held

    def on_checkout(*_: object) -> None:
        taken[0] += 1
        if taken[0] >= 2:
            second.set()

    def held_write(*args: Any, **kwargs: Any) -> list[int]:
        if not held:
            held.append(second.wait(timeout=60))
        return write(*args, **kwargs)

    monkeypatch.setattr(group_module, "append_held", held_write)
    event.listen(db_engine, "checkout", on_checkout)
    try:
        with ThreadPoolExecutor(2) as pool:
            indexes = list(pool.map(lambda k: group.append(f'{{"k":{k}}}'.encode()), range(2)))
    finally:
        event.remove(db_engine, "checkout", on_checkout)
    assert held == [True]  # the second commit was under way before the first one wrote
    assert sorted(indexes) == [0, 1]
    assert (group.commits, group.appended) == (2, 2)
    _check_tree(db_engine, {})


def test_the_head_keeps_the_right_edge_so_no_commit_reads_a_node(db_engine: Engine) -> None:
    """The head row keeps the tree's right edge, written with each group commit: the next
    commit needs no stored node read, whichever process (here: group) committed before it.
    After an append that does not keep it (``append_many``), the next commit reads the nodes
    once, keeps the edge again, and the tree stays right."""
    upgrade(db_engine)
    groups = [GroupCommit(db_engine, window=0), GroupCommit(db_engine, window=0)]
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "log_node" in statement:
            reads.append(statement)

    acked = {groups[0].append(f'{{"k":{k}}}'.encode()): f'{{"k":{k}}}' for k in range(3)}
    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        for k in range(3, 12):  # sizes 3..11, the two groups in turn: each needs left siblings
            acked[groups[k % 2].append(f'{{"k":{k}}}'.encode())] = f'{{"k":{k}}}'
        assert reads == []
        with db_engine.begin() as conn:  # another process's append, outside a group
            append_many(conn, [b'{"other":1}'])
        acked[groups[0].append(b'{"k":12}')] = '{"k":12}'  # size 13: needs the other's leaf
        assert len(reads) == 1
        acked[groups[1].append(b'{"k":13}')] = '{"k":13}'
        assert len(reads) == 1
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    assert sorted(acked) == [*range(12), 13, 14]
    _check_tree(db_engine, acked)
    with db_engine.connect() as conn:
        edge_size, edge = conn.execute(select(log_head.c.edge_size, log_head.c.edge)).one()
        nodes = dict(((lv, i), bytes(h)) for lv, i, h in conn.execute(
            select(log_node.c.level, log_node.c.idx, log_node.c.hash)))
    assert edge_size == 15 and bytes(edge) == nodes[(0, 14)] + nodes[(1, 6)] + nodes[(2, 2)] \
        + nodes[(3, 0)]


def test_a_commit_that_fails_under_the_lock_releases_it(
        db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error after the head's lock was taken rolls the commit back: its caller gets the
    error, nothing is written, and the next commit (another group's too) takes the lock."""
    upgrade(db_engine)
    group, other = GroupCommit(db_engine, window=0), GroupCommit(db_engine, window=0)
    assert group.append(b'{"k":0}') == 0
    write = group_module.append_held

    def fail_once(*args: Any, **kwargs: Any) -> list[int]:
        monkeypatch.setattr(group_module, "append_held", write)
        raise RuntimeError("the batch could not be written")

    monkeypatch.setattr(group_module, "append_held", fail_once)
    with pytest.raises(RuntimeError, match="could not be written"):
        group.append(b'{"k":"lost"}')
    with ThreadPoolExecutor(1) as pool:  # not this thread: a lock it held would not stop it
        assert pool.submit(other.append, b'{"k":1}').result(timeout=60) == 1
    assert group.append(b'{"k":2}') == 2
    _check_tree(db_engine, {0: '{"k":0}', 1: '{"k":1}', 2: '{"k":2}'})


def test_a_failed_commit_fails_every_caller_in_it(db_engine: Engine) -> None:
    """The database refuses the batch (no log tables yet): each of its five callers gets the
    error, none an index; once the schema is there, the same group appends from index 0."""
    group = GroupCommit(db_engine, window=120, max_batch=5)
    outcomes: list[BaseException | int] = []

    def call(k: int) -> None:
        try:
            outcomes.append(group.append(f'{{"k":{k}}}'.encode()))
        except DBAPIError as exc:
            outcomes.append(exc)

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(call, range(5)))
    assert len(outcomes) == 5 and all(isinstance(o, DBAPIError) for o in outcomes)
    assert group.commits == 0
    upgrade(db_engine)
    group.window = 0
    assert group.append(b'{"after":true}') == 0
    _check_tree(db_engine, {0: '{"after":true}'})


def test_decision_log_records_through_the_group(db_engine: Engine, tmp_path: Path) -> None:
    upgrade(db_engine)
    log = DecisionLog(db_engine, origin="city.example/log", data_dir=tmp_path)
    request = parse_request({
        "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
        "action": "notify-release", "resource": {"type": "Person", "in_custody": True}})
    decision = default_decider().decide(request)
    with ThreadPoolExecutor(8) as pool:
        indexes = list(pool.map(lambda _: log.record(request, decision, actor="staff:s-00000001"),
                                range(32)))
    assert sorted(indexes) == list(range(32))
    assert log.group.appended == 32
    entries = log.entries(0, 32)
    assert all('"actor":"staff:s-00000001"' in e.body for e in entries)
    _check_tree(db_engine, {e.index: e.body for e in entries})


def test_bad_settings_are_refused(db_engine: Engine) -> None:
    with pytest.raises(ValueError):
        GroupCommit(db_engine, window=-1)
    with pytest.raises(ValueError):
        GroupCommit(db_engine, max_batch=0)


def test_an_entry_whose_grant_lapsed_is_left_out_of_its_commit(db_engine: Engine) -> None:
    """Ten appends in one commit, two under a grant the check finds lapsed: those two callers
    raise GrantLapsed, the other eight commit with gapless indexes, and the check ran once, in
    the commit's own transaction, with every grant of the batch."""
    upgrade(db_engine)
    seen: list[set[Any]] = []

    def check(conn: Any, grants: set[Any]) -> set[Any]:
        assert conn.in_transaction() or conn.dialect.name == "postgresql"  # (a manual BEGIN)
        seen.append(set(grants))
        return {g for g in grants if g.startswith("lapsed")}

    group = GroupCommit(db_engine, window=120, max_batch=10, check=check)
    grants = [None, "ok-1", "lapsed-1", "ok-2", None, "lapsed-2", "ok-1", None, "ok-3", None]

    def append(k: int) -> int | str:
        try:
            return group.append(f'{{"k":{k}}}'.encode(), grant=grants[k])
        except GrantLapsed as exc:
            return str(exc)

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(append, range(10)))
    lapsed = [k for k, r in enumerate(results) if isinstance(r, str)]
    assert lapsed == [2, 5] and "no longer holds" in str(results[2])
    assert sorted(r for r in results if isinstance(r, int)) == list(range(8))
    assert seen == [{"ok-1", "ok-2", "ok-3", "lapsed-1", "lapsed-2"}]
    assert (group.commits, group.appended) == (1, 8)
    _check_tree(db_engine, {int(r): f'{{"k":{k}}}' for k, r in enumerate(results)
                            if isinstance(r, int)})


def test_a_batch_whose_every_grant_lapsed_commits_nothing(db_engine: Engine) -> None:
    upgrade(db_engine)
    group = GroupCommit(db_engine, window=0, check=lambda conn, grants: set(grants))
    with pytest.raises(GrantLapsed):
        group.append(b'{"k":0}', grant="gone")
    assert group.append(b'{"k":1}') == 0  # no gap: the lapsed entry took no index
    assert _stored(db_engine) == {0: '{"k":1}'}


def test_a_grant_needs_a_check() -> None:
    with pytest.raises(ValueError, match="checks no grants"):
        GroupCommit(create_engine("sqlite://")).append(b"{}", grant="token")
