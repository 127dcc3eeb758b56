"""The event loop's group commit (PostgreSQL): concurrent coroutines share commits, get
distinct gapless indexes in one tree with the threads' group commit, fail together when their
commit fails, and lose no entry to a connection the server closed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from test_group import _check_tree, _stored  # (tests/audit, beside this file)

from sanctuarygate.audit import group_loop as loop_module
from sanctuarygate.audit.group import GrantLapsed, GroupCommit
from sanctuarygate.audit.group_loop import LoopGroupCommit
from sanctuarygate.audit.tree import append_many
from sanctuarygate.domain.staff import Role
from sanctuarygate.store.db import LOOP_CONNECTIONS, async_connector, upgrade
from sanctuarygate.store.staff import TokenGrant, add_staff, issue_token, revoke_token
from sanctuarygate.store.tables import log_head

pytestmark = pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)


@pytest.fixture
def pg(db_engine: Engine) -> Iterator[Engine]:
    upgrade(db_engine)
    yield db_engine


def _group(engine: Engine, **options: Any) -> LoopGroupCommit:
    connect = async_connector(engine)
    assert connect is not None
    return LoopGroupCommit(connect, **options)


def _body(**fields: Any) -> bytes:
    return json.dumps(fields, separators=(",", ":")).encode()


def test_many_coroutines_share_commits_and_get_distinct_gapless_indexes(pg: Engine) -> None:
    """A hundred at once, in batches of up to 16, on no more than two connections."""
    opened: list[object] = []
    connect = async_connector(pg)
    assert connect is not None

    async def counted() -> Any:
        opened.append(await connect())
        return opened[-1]

    async def run() -> tuple[list[int], LoopGroupCommit]:
        group = LoopGroupCommit(counted, window=0.005, max_batch=16)
        try:
            indexes = await asyncio.gather(*(group.append(_body(k=k)) for k in range(100)))
        finally:
            await group.close()
        return list(indexes), group

    indexes, group = asyncio.run(run())
    assert sorted(indexes) == list(range(100))
    assert group.appended == 100 and group.commits < 100 // 4  # shared (batches of up to 16)
    assert 1 <= len(opened) <= LOOP_CONNECTIONS == 2  # (a worker's bound: store.db.PoolBound)
    stored = _stored(pg)
    assert all(stored[i] == _body(k=k).decode() for k, i in enumerate(indexes))
    _check_tree(pg, stored)


def test_the_loop_and_the_threads_of_a_process_keep_one_tree(pg: Engine) -> None:
    """Coroutines on the loop, threads through ``GroupCommit`` and a plain ``append_many`` (which
    keeps no right edge: the next loop commit reads the nodes it needs) all at once."""
    threads = GroupCommit(pg, window=0.002)

    def thread_appends(t: int) -> dict[int, str]:
        out = {}
        for k in range(15):
            body = _body(t=t, k=k)
            out[threads.append(body)] = body.decode()
            if k == 7:
                with pg.begin() as conn:
                    [index] = append_many(conn, [_body(t=t, other=True)])
                out[index] = _body(t=t, other=True).decode()
        return out

    async def run() -> dict[int, str]:
        group = _group(pg, window=0.001)
        loop = asyncio.get_running_loop()
        try:
            with ThreadPoolExecutor(4) as pool:
                from_threads = [loop.run_in_executor(pool, thread_appends, t) for t in range(4)]
                acked: dict[int, str] = {}
                for wave in range(10):
                    bodies = [_body(wave=wave, k=k) for k in range(8)]
                    indexes = await asyncio.gather(*(group.append(b) for b in bodies))
                    acked.update({i: b.decode() for i, b in zip(indexes, bodies, strict=True)})
                for done in await asyncio.gather(*from_threads):
                    acked.update(done)
        finally:
            await group.close()
        return acked

    acked = asyncio.run(run())
    assert len(acked) == 80 + 4 * 16
    assert sorted(acked) == list(range(len(acked)))
    _check_tree(pg, acked)


def test_an_entry_whose_grant_lapsed_is_left_out_without_a_gap(pg: Engine) -> None:
    with pg.begin() as conn:
        add_staff(conn, "desk-a", ["desk"], password="a long enough password")
        kept = issue_token(conn, "desk-a", "kept")
        gone = issue_token(conn, "desk-a", "revoked")
        revoke_token(conn, gone.token)
    ok = TokenGrant(kept.token_id, frozenset({Role.DESK}))
    lapsed = TokenGrant(gone.token_id, frozenset({Role.DESK}))
    grants = [ok, lapsed, None, ok, lapsed, None]

    async def run() -> list[int | BaseException]:
        group = _group(pg, window=0)  # one batch: all six queued before their leader runs
        try:
            return list(await asyncio.gather(*(group.append(_body(k=k), grant=g)
                                               for k, g in enumerate(grants)),
                                             return_exceptions=True))
        finally:
            await group.close()

    results = asyncio.run(run())
    assert [type(r) for r in results] == [int, GrantLapsed, int, int, GrantLapsed, int]
    assert sorted(r for r in results if isinstance(r, int)) == [0, 1, 2, 3]
    stored = _stored(pg)
    assert sorted(stored) == [0, 1, 2, 3] and '"k":1' not in "".join(stored.values())
    _check_tree(pg, stored)


def test_a_failed_commit_fails_every_caller_in_it_and_leaves_no_gap(
        pg: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write fails under the lock: the five callers of that batch get the error, nothing of
    it is stored, its connection is dropped, and the next batch commits from the same index.
    (``window=0``: the callers gathered at once are all queued before their leader runs.)"""
    written = loop_module.held_statement

    def fail_once(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(loop_module, "held_statement", written)
        raise RuntimeError("the batch could not be written")

    async def run() -> tuple[list[Any], list[int], LoopGroupCommit, bool]:
        group = _group(pg, window=0)
        try:
            assert await group.append(_body(first=True)) == 0
            [used] = group._idle  # (the connection of that commit)
            monkeypatch.setattr(loop_module, "held_statement", fail_once)
            failed = await asyncio.gather(*(group.append(_body(k=k)) for k in range(5)),
                                          return_exceptions=True)
            dropped = used.closed and used not in group._idle
            after = await asyncio.gather(*(group.append(_body(after=k)) for k in range(5)))
        finally:
            await group.close()
        return list(failed), list(after), group, dropped

    failed, after, group, dropped = asyncio.run(run())
    assert all(isinstance(r, RuntimeError) for r in failed) and len(failed) == 5
    assert dropped
    assert sorted(after) == [1, 2, 3, 4, 5] and group.commits == 2
    stored = _stored(pg)
    assert sorted(stored) == list(range(6)) and '"k"' not in "".join(stored.values())
    _check_tree(pg, stored)


def test_a_batch_before_the_schema_fails_and_the_group_appends_once_it_is_there(
        db_engine: Engine) -> None:
    """No log tables yet: each caller of the batch gets the database's error, none an index."""
    async def run() -> list[Any]:
        group = _group(db_engine, window=60, max_batch=3)
        try:
            return list(await asyncio.gather(*(group.append(_body(k=k)) for k in range(3)),
                                             return_exceptions=True))
        finally:
            await group.close()

    results = asyncio.run(run())
    assert len(results) == 3 and all("log_head" in str(r) for r in results), results
    upgrade(db_engine)

    async def again() -> int:
        group = _group(db_engine, window=0)
        try:
            return await group.append(_body(after=True))
        finally:
            await group.close()

    assert asyncio.run(again()) == 0


def test_a_connection_the_server_closed_is_replaced_before_a_commit_uses_it(pg: Engine) -> None:
    """The group's backend terminated between two appends (a restart, an administrator): the
    next append still commits, on a new connection, and nobody sees an error."""
    async def run() -> tuple[list[int], int, int]:
        group = _group(pg, window=0)
        try:
            first = await group.append(_body(k=0))
            [conn] = group._idle
            before = conn.info.backend_pid
            with pg.connect() as admin:  # waits (up to 5 s) until it is gone
                assert admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"),
                                     {"pid": before}).scalar_one()
            second = await group.append(_body(k=1))
            [conn] = group._idle
            return [first, second], before, conn.info.backend_pid
        finally:
            await group.close()

    indexes, before, after = asyncio.run(run())
    assert indexes == [0, 1] and after != before
    _check_tree(pg, _stored(pg))


def test_a_caller_that_stops_waiting_does_not_take_its_entry_back(pg: Engine) -> None:
    """A request cancelled while its entry waits for the commit (a client gone): the entry
    commits with its batch, unacknowledged; the others get their indexes; no gap."""
    async def run() -> list[Any]:
        group = _group(pg, window=0.2)
        try:
            tasks = [asyncio.ensure_future(group.append(_body(k=k))) for k in range(3)]
            await asyncio.sleep(0.05)
            tasks[1].cancel()
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        finally:
            await group.close()

    results = asyncio.run(run())
    assert isinstance(results[1], asyncio.CancelledError)
    assert sorted([results[0], results[2]]) == [0, 2]
    stored = _stored(pg)
    assert stored[1] == _body(k=1).decode()
    _check_tree(pg, stored)


def test_the_head_keeps_its_edge_so_a_loop_commit_reads_no_node(pg: Engine) -> None:
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "log_node" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    async def run() -> None:
        group = _group(pg, window=0)
        try:
            for k in range(9):
                await group.append(_body(k=k))
        finally:
            await group.close()

    event.listen(pg, "before_cursor_execute", seen)
    try:
        asyncio.run(run())
    finally:
        event.remove(pg, "before_cursor_execute", seen)
    with pg.connect() as conn:
        assert conn.execute(text(f"SELECT edge_size FROM {log_head.name}")).scalar_one() == 9
    _check_tree(pg, _stored(pg))


def test_close_waits_for_the_commits_under_way_and_closes_its_connections(pg: Engine) -> None:
    async def run() -> tuple[list[int], list[Any], LoopGroupCommit]:
        group = _group(pg, window=0)
        await asyncio.gather(*(group.append(_body(warm=k)) for k in range(2)))
        opened = list(group._idle)
        group.window = 0.05
        tasks = [asyncio.ensure_future(group.append(_body(k=k))) for k in range(4)]
        await asyncio.sleep(0)  # (queued; their leader waits for company)
        await group.close()
        return [t.result() for t in tasks], opened, group

    indexes, opened, group = asyncio.run(run())
    assert sorted(indexes) == [2, 3, 4, 5]
    assert opened and all(conn.closed for conn in opened)
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(group.append(b"{}"))


def test_bad_settings_are_refused(pg: Engine) -> None:
    for bad in ({"window": -1}, {"max_batch": 0}, {"connections": 0}):
        with pytest.raises(ValueError, match="bad group commit"):
            _group(pg, **bad)
