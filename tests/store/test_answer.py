"""Store: migrations and recorded answers, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, inspect

from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.answer import count_by_outcome, latest_answers, record_answer
from sanctuarygate.store.db import upgrade

REQUEST = parse_request({
    "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
    "action": "notify-release", "resource": {"type": "Person", "in_custody": True},
    "context": {"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}}})


def test_migration_creates_schema(db_engine: Engine) -> None:
    upgrade(db_engine)
    assert "desk_answer" in inspect(db_engine).get_table_names()
    upgrade(db_engine)  # idempotent


def test_record_and_read_answers(db_engine: Engine) -> None:
    upgrade(db_engine)
    decision = default_decider().decide(REQUEST)
    with db_engine.begin() as conn:
        first = record_answer(conn, REQUEST, decision, source="test",
                              at=dt.datetime(2025, 11, 3, 12, tzinfo=dt.UTC))
        second = record_answer(conn, REQUEST, decision, source="test")
    assert second == first + 1
    with db_engine.connect() as conn:
        rows = latest_answers(conn)
        assert [r["id"] for r in rows] == [second, first]
        assert rows[0]["outcome"] == "deny"
        assert rows[0]["rules"][0]["citation"] == decision.rules[0].citation
        assert count_by_outcome(conn) == {"deny": 2}


def test_answers_hold_no_person_facts(db_engine: Engine) -> None:
    upgrade(db_engine)
    req = parse_request({**REQUEST.to_dict(),
                         "resource": {"type": "Person", "in_custody": True,
                                      "gang_database": True, "felony_conviction": True}})
    with db_engine.begin() as conn:
        record_answer(conn, req, default_decider().decide(req), source="test")
    with db_engine.connect() as conn:
        (row,) = latest_answers(conn)
    assert "gang" not in repr(row) and "felony" not in repr(row) and "status" not in repr(row)


def test_rollback_keeps_nothing(db_engine: Engine) -> None:
    upgrade(db_engine)
    decision = default_decider().decide(REQUEST)
    try:
        with db_engine.begin() as conn:
            record_answer(conn, REQUEST, decision, source="test")
            raise RuntimeError("the guarded action failed")
    except RuntimeError:
        pass
    with db_engine.connect() as conn:
        assert latest_answers(conn) == []
