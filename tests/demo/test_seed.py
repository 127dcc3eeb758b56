from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanctuarygate.audit.tree import LogReader
from sanctuarygate.settings import get_settings
from sanctuarygate.store.case import list_cases
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
        # every seeded answer, and the desk review the demo's queue starts with
        assert answers and kinds.count("decision") == len(answers) + 1
        assert LogReader().root(conn)[0] == size
    engine.dispose()


def test_the_demo_queue_has_a_desk_case_and_a_gateway_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh demo (its records database too) has a desk review waiting for a reviewer and
    an FBI gateway query waiting for the records unit, made through the product's doors: the
    decision and the refused query are in the log, each linked from its case."""
    from sanctuarygate.demo.seed import seed_demo

    for name in ("SANCTUARYGATE_DATABASE_URL", "SANCTUARYGATE_RECORDS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SANCTUARYGATE_DATA_DIR", str(tmp_path / "data"))
    summary = seed_demo()
    assert summary.endswith("2 case(s) wait in the review queue"), summary
    assert seed_demo() == summary  # no new case the second time
    engine = make_engine(get_settings().database_url_resolved)
    with engine.connect() as conn:
        cases = {c.source: c for c in list_cases(conn)}
        size = tree_size(conn)
        logged = {i: json.loads(e.body) for i, e in enumerate(entries(conn, 0, size))}
    engine.dispose()
    assert sorted(cases) == ["desk", "gateway"]
    desk, gateway = cases["desk"], cases["gateway"]
    assert desk.agency == "USMS" and desk.waiting and gateway.agency == "FBI" and gateway.waiting
    assert desk.log_index is not None and gateway.log_index is not None
    assert (logged[desk.log_index]["kind"], logged[desk.log_index]["outcome"]) == (
        "decision", "review")
    assert (logged[gateway.log_index]["kind"], logged[gateway.log_index]["status"]) == (
        "query", "refused")
    assert gateway.offered and "charge" in gateway.offered
