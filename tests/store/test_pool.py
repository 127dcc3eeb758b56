"""Connection pools are bounded per worker: each engine holds at most size + overflow
connections to a database server, as the settings say, and a request past that waits, then
fails (it never opens one more)."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from sanctuarygate.gateway.default import records_engine
from sanctuarygate.settings import Settings
from sanctuarygate.store.db import LOOP_CONNECTIONS, PoolBound, make_engine, pool_bound
from sanctuarygate.web.app import create_app

PG_URL = os.environ.get("SANCTUARYGATE_TEST_POSTGRES_URL")  # as tests/conftest.py


def test_settings_bound_both_engines_of_the_app() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never connected to
    app = create_app(Settings(database_url=url, records_url=url, db_pool_size=3,
                              db_pool_overflow=1))
    for engine in (app.state.log.engine, app.state.records):
        assert engine.pool.size() == 3
        assert engine.pool._max_overflow == 1  # type: ignore[attr-defined]


def test_defaults_are_small() -> None:
    bound = pool_bound(Settings())
    assert (bound.size, bound.overflow) == (5, 0)
    assert 8 * (2 * (bound.size + bound.overflow) + LOOP_CONNECTIONS) < 100  # serve --workers 8


def _hold(engine: Engine, n: int, stack: ExitStack) -> None:
    for _ in range(n):
        stack.enter_context(engine.connect())


def test_postgres_engine_never_holds_more_than_its_bound() -> None:
    if not PG_URL:
        pytest.skip("SANCTUARYGATE_TEST_POSTGRES_URL is not set (make test and CI set it)")
    engine = make_engine(PG_URL, pool=PoolBound(size=2, overflow=1, timeout=0.05))
    try:
        with ExitStack() as stack:
            _hold(engine, 3, stack)
            assert engine.pool.checkedout() == 3  # type: ignore[attr-defined]
            with pytest.raises(PoolTimeout):
                engine.connect()
            assert engine.pool.checkedout() == 3  # type: ignore[attr-defined]
    finally:
        engine.dispose()


@pytest.mark.parametrize("make", [make_engine, records_engine], ids=["log", "records"])
def test_connections_the_server_closed_are_replaced_when_checked_out(
        make: Callable[..., Engine]) -> None:
    """A restarted server (here: every pooled connection terminated, as a restart does) costs
    no request an error: the pool sees, without a round trip, that the server closed them, and
    opens new ones; the log's engine and the records database's alike."""
    if not PG_URL:
        pytest.skip("SANCTUARYGATE_TEST_POSTGRES_URL is not set (make test and CI set it)")
    engine = make(PG_URL, pool=PoolBound(size=2, overflow=0, timeout=5))
    assert not engine.pool._pre_ping  # type: ignore[attr-defined]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with ExitStack() as stack:
            held = [stack.enter_context(engine.connect()) for _ in range(2)]
            before = {conn.execute(text("SELECT pg_backend_pid()")).scalar_one() for conn in held}
        with admin.connect() as conn:
            for pid in before:  # waits (up to 5 s) until each is gone
                assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"),
                                    {"pid": pid}).scalar_one()
        with ExitStack() as stack:
            held = [stack.enter_context(engine.connect()) for _ in range(2)]
            after = {conn.execute(text("SELECT pg_backend_pid()")).scalar_one() for conn in held}
        assert len(after) == 2 and not after & before
    finally:
        engine.dispose()
        admin.dispose()
