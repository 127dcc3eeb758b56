"""Connection pools are bounded per worker: each engine holds at most size + overflow
connections to a database server, as the settings say, and a request past that waits, then
fails (it never opens one more)."""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout

from sanctuarygate.settings import Settings
from sanctuarygate.store.db import PoolBound, make_engine, pool_bound
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
    assert (bound.size, bound.overflow) == (6, 0)
    assert 2 * (bound.size + bound.overflow) <= 12


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
