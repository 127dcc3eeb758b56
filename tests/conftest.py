"""Shared fixtures: database URLs for store tests on SQLite and on PostgreSQL.

PostgreSQL tests use ``SANCTUARYGATE_TEST_POSTGRES_URL`` (``make test`` and ``.ci/run`` set it to
the server on 127.0.0.1:5432, user postgres, database test). Each test gets a schema of its own,
dropped afterwards. If the variable is set and the server is unreachable, the tests fail.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from sanctuarygate.store.db import make_engine

PG_URL = os.environ.get("SANCTUARYGATE_TEST_POSTGRES_URL")  # test-only; the app uses Settings

# Tests never touch the user's data directory: decisions the web tests record, and the log's
# keys, go to a private folder (read by Settings on first use, after this line).
os.environ["SANCTUARYGATE_DATA_DIR"] = tempfile.mkdtemp(prefix="sanctuarygate-test-")
os.environ.pop("SANCTUARYGATE_DATABASE_URL", None)


@pytest.fixture(params=["sqlite", "postgres"])
def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, empty database on SQLite (a file) and on PostgreSQL (a private schema)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("SANCTUARYGATE_TEST_POSTGRES_URL is not set (make test and CI set it)")
    schema = f"sg_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
