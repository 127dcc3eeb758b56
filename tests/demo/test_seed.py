from __future__ import annotations

import json
from pathlib import Path

from sanctuarygate.audit.tree import LogReader
from sanctuarygate.store.db import make_engine
from sanctuarygate.store.log import entries, tree_size
from sanctuarygate.store.tables import desk_answer


def test_seed_demo_is_idempotent_and_logs_every_answer(tmp_path: Path) -> None:
    from sanctuarygate.demo.seed import seed_demo

    url = f"sqlite:///{tmp_path / 'demo' / 'sg.db'}"
    first = seed_demo(url)
    assert "recorded answers" in first and (tmp_path / "demo" / "sg.db").exists()
    assert seed_demo(url) == first
    engine = make_engine(url)
    with engine.connect() as conn:
        answers = conn.execute(desk_answer.select()).fetchall()
        size = tree_size(conn)
        kinds = [json.loads(e.body)["kind"] for e in entries(conn, 0, size)]
        assert answers and kinds.count("decision") == len(answers)
        assert LogReader().root(conn)[0] == size
    engine.dispose()
