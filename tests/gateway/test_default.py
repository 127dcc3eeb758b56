from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.default import records_engine
from sanctuarygate.gateway.records import view_of
from sanctuarygate.policy.default import default_library
from sanctuarygate.store.db import make_engine


def test_sqlite_records_are_opened_read_only(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    writer = make_engine(f"sqlite:///{path}")
    generate(writer, 20, seed=1)
    writer.dispose()
    reader = records_engine(f"sqlite:///{path}")
    view = view_of(default_library().catalog.get("cpd-arrests"))
    with reader.connect() as conn:
        assert conn.execute(select(func.count()).select_from(view)).scalar_one() == 20
        with pytest.raises(OperationalError, match="readonly"):
            conn.exec_driver_sql("DELETE FROM arrests")
    reader.dispose()


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    engine = records_engine(f"sqlite:///{tmp_path / 'absent.db'}")
    with pytest.raises(OperationalError):
        engine.connect()
    assert not (tmp_path / "absent.db").exists()
