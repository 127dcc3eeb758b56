"""Migrations run once, under a lock: workers starting together on an empty database (SQLite
file or PostgreSQL schema) all succeed, and exactly one of them upgrades it."""

from __future__ import annotations

import multiprocessing
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from sanctuarygate.store.db import Migration, current, head, make_engine, migrate

WORKERS = 5
PG_URL = os.environ.get("SANCTUARYGATE_TEST_POSTGRES_URL")


def _engine(url: str, schema: str | None) -> Any:
    if schema is None:
        return make_engine(url)
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _migrate_worker(url: str, schema: str | None, barrier: Any, results: Any) -> None:
    engine = _engine(url, schema)
    barrier.wait()
    try:
        results.put(migrate(engine))
    except Exception as err:
        results.put(f"error: {err!r}")
    finally:
        engine.dispose()


def migrate_together(url: str, schema: str | None = None) -> list[Migration | str]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    processes = [context.Process(target=_migrate_worker, args=(url, schema, barrier, results))
                 for _ in range(WORKERS)]
    for process in processes:
        process.start()
    got = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    return got


def check_migrated_once(got: list[Migration | str], url: str, schema: str | None) -> None:
    assert all(isinstance(m, Migration) for m in got), got
    assert all(m.after == head() for m in got if isinstance(m, Migration))
    assert sorted(m.before or "" for m in got if isinstance(m, Migration)) == [""] + [head()] * 4
    engine = _engine(url, schema)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() \
            == [head()]
        assert conn.execute(text("SELECT count(*) FROM log_entry")).scalar_one() == 0
    assert current(engine) == head()
    engine.dispose()


def test_five_workers_migrate_an_empty_sqlite_file_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'sanctuarygate.db'}"
    check_migrated_once(migrate_together(url), url, None)
    assert (tmp_path / "new" / "sanctuarygate.db.migrate-lock").exists()


@pytest.fixture
def empty_pg_schema(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    if not PG_URL:
        pytest.skip("SANCTUARYGATE_TEST_POSTGRES_URL is not set (make test and CI set it)")
    name = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:30]
    schema = f"sg_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield PG_URL, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_five_workers_migrate_an_empty_postgresql_schema_once(
        empty_pg_schema: tuple[str, str]) -> None:
    url, schema = empty_pg_schema
    check_migrated_once(migrate_together(url, schema), url, schema)


def test_migrating_an_up_to_date_database_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    first = migrate(engine)
    again = migrate(engine)
    assert (first.before, first.after, first.changed) == (None, head(), True)
    assert (again.before, again.after, again.changed) == (head(), head(), False)
    engine.dispose()
