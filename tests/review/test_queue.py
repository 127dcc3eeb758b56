"""The review queue on SQLite and PostgreSQL: a recorded review opens a case in the same
transaction as its log entry; a reviewer's answer is a ``review`` entry linked to it; the rules'
deny stays a deny; nothing stored in a case states a person's immigration status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.case import (
    STATUS_WORDS,
    CaseState,
    ReviewRefusedError,
    UnknownCaseError,
    check_review,
    mentions_status,
    parse_review,
)
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.queue import case_decision, decide_case, record_and_queue, view_case
from sanctuarygate.store import case as store
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.tables import case_event, case_file

REVIEWER = "staff:s-0000beef"
DESK = "staff:s-0000d35c"

#: FBI asks to take a person in custody on a federal criminal warrant nobody has checked yet:
#: checked, the rules allow; not checked, a person decides. A review, split on that fact.
SPLIT = {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "FBI"},
         "action": "transfer-custody", "resource": {"type": "Person", "in_custody": True},
         "context": {"purpose": "criminal-investigation",
                     "document": {"kind": "federal-criminal-warrant", "verified": "unknown"}}}
#: ICE asks to hold a person on a detainer: the rules deny.
DENIED = {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
          "action": "honor-detainer", "resource": {"type": "Person", "in_custody": True},
          "context": {"purpose": "civil-immigration-enforcement",
                      "document": {"kind": "detainer", "verified": True}}}


@pytest.fixture(scope="module")
def decider() -> Decider:
    return default_decider()


@pytest.fixture
def log(db_engine: Engine, tmp_path: Path) -> Iterator[DecisionLog]:
    upgrade(db_engine)
    yield DecisionLog(db_engine, origin="test.example/review", data_dir=tmp_path / "data")


def _entry(log: DecisionLog, index: int) -> dict[str, Any]:
    entry = log.entries(index, index + 1)[0]
    return dict(json.loads(entry.body))


def _open(log: DecisionLog, decider: Decider, body: dict[str, Any] = SPLIT) -> tuple[int, int]:
    asked = parse_request(body)
    recorded = record_and_queue(log, asked, decider.decide(asked), actor=DESK, source="desk",
                                asked_by="Special Agent, badge 4411")
    assert recorded.case_id is not None
    return recorded.log_index, recorded.case_id


def test_a_recorded_review_opens_a_case_linked_to_its_entry(log: DecisionLog,
                                                            decider: Decider) -> None:
    index, case_id = _open(log, decider)
    with log.engine.connect() as conn:
        case = store.get_case(conn, case_id)
    assert (case.state, case.log_index, case.agency, case.outcome) == (
        CaseState.OPEN, index, "FBI", "review")
    assert case.opened_by == DESK and case.source == "desk"
    assert [e.what for e in case.events] == ["opened"]
    assert _entry(log, index)["outcome"] == "review"


def test_an_answer_that_is_not_a_review_opens_no_case(log: DecisionLog,
                                                      decider: Decider) -> None:
    asked = parse_request(DENIED)
    recorded = record_and_queue(log, asked, decider.decide(asked), actor=DESK, source="api")
    assert recorded.case_id is None
    with log.engine.connect() as conn:
        assert store.list_cases(conn) == []


def test_the_same_entry_joins_its_case(log: DecisionLog, decider: Decider) -> None:
    index, case_id = _open(log, decider)
    with log.engine.begin() as conn:
        again = store.open_case(conn, SPLIT, {"outcome": "review"}, agency="FBI",
                                log_index=index, source="api", actor=DESK)
    assert again == case_id


def test_a_review_is_a_log_entry_linked_to_the_decision(log: DecisionLog,
                                                        decider: Decider) -> None:
    index, case_id = _open(log, decider)
    view = view_case(log, decider, case_id)
    assert [(s.fact, s.value, s.outcome) for s in view.sides] == [
        ("document.verified", True, "allow"), ("document.verified", False, "review")]
    clause = view.clauses[0]
    answer = parse_review("allow-with-conditions", ["no-onward-sharing"],
                          "The warrant was checked with the issuing court.", clause)
    case = decide_case(log, decider, case_id, answer, actor=REVIEWER)
    assert case.state is CaseState.DECIDED and case.review == answer
    assert case.reviewed_by == REVIEWER and case.review_index == index + 1
    entry = _entry(log, index + 1)
    assert entry == {"v": 1, "kind": "review", "time": entry["time"], "actor": REVIEWER,
                     "case": case_id, "decision": index, "outcome": "allow-with-conditions",
                     "conditions": ["no-onward-sharing"], "clause": clause}
    assert "checked with the issuing court" not in json.dumps(entry)  # the reason stays here
    assert [e.what for e in case.events] == ["opened", "reviewed"]


def test_a_case_is_decided_once(log: DecisionLog, decider: Decider) -> None:
    _, case_id = _open(log, decider)
    clause = view_case(log, decider, case_id).clauses[0]
    decide_case(log, decider, case_id, parse_review("deny", [], "No.", clause), actor=REVIEWER)
    size = log.size()
    with pytest.raises(ReviewRefusedError, match="decided already"):
        decide_case(log, decider, case_id, parse_review("allow", [], "Yes.", clause),
                    actor=REVIEWER)
    assert log.size() == size


def test_a_review_cannot_turn_the_rules_deny_into_an_allow(log: DecisionLog,
                                                           decider: Decider) -> None:
    """A case whose request the rules deny (opened by hand here: the desk opens none) takes a
    deny and nothing else; the refused allow writes nothing."""
    asked = parse_request(DENIED)
    with log.engine.begin() as conn:
        case_id = store.open_case(conn, asked.to_dict(), {"outcome": "review"},
                                  agency="ICE-ERO", log_index=None, source="api", actor=DESK)
    clause = view_case(log, decider, case_id).clauses[0]
    size = log.size()
    for outcome, conditions in (("allow", []), ("allow-with-conditions", ["purpose-limit"])):
        with pytest.raises(ReviewRefusedError, match="needs an exception"):
            decide_case(log, decider, case_id, parse_review(outcome, conditions, "x", clause),
                        actor=REVIEWER)
    assert log.size() == size
    with log.engine.connect() as conn:
        assert store.get_case(conn, case_id).state is CaseState.OPEN
    case = decide_case(log, decider, case_id, parse_review("deny", [], "No.", clause),
                       actor=REVIEWER)
    assert case.review is not None and case.review.outcome == "deny"


def test_the_clause_must_be_a_rule_in_force(log: DecisionLog, decider: Decider) -> None:
    _, case_id = _open(log, decider)
    with pytest.raises(InputError, match="clause"):
        decide_case(log, decider, case_id, parse_review("deny", [], "No.", "Art. 99 (made up)"),
                    actor=REVIEWER)


def test_an_unknown_case(log: DecisionLog, decider: Decider) -> None:
    with pytest.raises(UnknownCaseError):
        view_case(log, decider, 999)


def test_list_filters_by_state_and_agency(log: DecisionLog, decider: Decider) -> None:
    _, first = _open(log, decider)
    _, second = _open(log, decider)
    clause = view_case(log, decider, first).clauses[0]
    decide_case(log, decider, first, parse_review("deny", [], "No.", clause), actor=REVIEWER)
    with log.engine.begin() as conn:
        assert [c.id for c in store.list_cases(conn)] == [second, first]
        assert [c.id for c in store.list_cases(conn, state="open")] == [second]
        assert [c.id for c in store.list_cases(conn, state="decided", agency="fbi")] == [first]
        assert store.list_cases(conn, agency="ICE-ERO") == []
        assert store.count_by_state(conn) == {"open": 1, "decided": 1}
        taken = store.take_case(conn, second, assignee="s-0000beef", actor=REVIEWER)
        assert (taken.state, taken.assignee) == (CaseState.IN_REVIEW, "s-0000beef")
        closed = store.close_case(conn, first, actor=REVIEWER)
        assert closed.state is CaseState.CLOSED
        with pytest.raises(ReviewRefusedError):
            store.close_case(conn, second, actor=REVIEWER)


def test_free_text_that_states_a_status_is_refused() -> None:
    for word in ("undocumented", "Visa overstay", "has DACA", "a green card holder"):
        with pytest.raises(InputError, match="immigration status"):
            parse_review("deny", [], f"The man is {word}.", "X 1")
    with pytest.raises(InputError, match="clause"):
        parse_review("deny", [], "ok", "alien registration")
    assert check_review(parse_review("deny", [], "ok", "X 1"), rules_outcome="deny")


def test_no_stored_case_states_an_immigration_status(log: DecisionLog,
                                                     decider: Decider) -> None:
    """Cases opened from every Person request of the split, decided, closed: every stored
    value, as text, holds none of the status vocabulary."""
    for verified in (True, False, "unknown"):
        body = {**SPLIT, "context": {**SPLIT["context"], "document": {
            "kind": "federal-criminal-warrant", "verified": verified}}}
        asked = parse_request(body)
        decision = decider.decide(asked)
        with log.engine.begin() as conn:
            store.open_case(conn, asked.to_dict(), case_decision(decision), agency="FBI",
                            log_index=None, source="desk", actor=DESK)
    _, case_id = _open(log, decider)
    clause = view_case(log, decider, case_id).clauses[0]
    decide_case(log, decider, case_id, parse_review("deny", [], "Warrant not checked.", clause),
                actor=REVIEWER)
    with log.engine.connect() as conn:
        rows = [dict(r._mapping) for t in (case_file, case_event)
                for r in conn.execute(select(t))]
    assert len(rows) >= 6
    text = json.dumps(rows, default=str)
    assert mentions_status(text) is None, mentions_status(text)
    assert all(w not in text.lower() for w in STATUS_WORDS)


def test_two_reviewers_at_once_land_one_review(log: DecisionLog, decider: Decider) -> None:
    """Reviewers deciding the same case together: one review lands, in the case and the log;
    every other is refused (or fails on the database's lock), never a second entry."""
    import threading

    _, case_id = _open(log, decider)
    clause = view_case(log, decider, case_id).clauses[0]
    size = log.size()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def review(n: int) -> None:
        barrier.wait()
        try:
            decide_case(log, decider, case_id, parse_review("deny", [], f"No ({n}).", clause),
                        actor=f"staff:s-0000000{n}")
            outcomes.append("done")
        except ReviewRefusedError:
            outcomes.append("refused")
        except Exception as exc:  # SQLite's lock: refused all the same
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=review, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("done") == 1, outcomes
    assert log.size() == size + 1
    kinds = [_entry(log, i)["kind"] for i in range(size, log.size())]
    assert kinds == ["review"]
