"""Accountable exceptions (break-glass) on SQLite and PostgreSQL: an exception is a log entry
of its own kind on one case; turning the rules' deny into an allow needs a second approver,
another person; an expired exception stops applying and can no longer be approved."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.case import ReviewRefusedError, UnknownCaseError, parse_exception
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.exception import approve_exception, grant_exception
from sanctuarygate.review.queue import case_decision, record_and_queue
from sanctuarygate.store import case as store
from sanctuarygate.store.db import upgrade

from .test_queue import DENIED, SPLIT

FIRST, SECOND = "staff:s-0000aaaa", "staff:s-0000bbbb"
AT = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def decider() -> Decider:
    return default_decider()


@pytest.fixture
def log(db_engine: Engine, tmp_path: Path) -> Iterator[DecisionLog]:
    upgrade(db_engine)
    yield DecisionLog(db_engine, origin="test.example/exception", data_dir=tmp_path / "data")


def _entry(log: DecisionLog, index: int) -> dict[str, Any]:
    return dict(json.loads(log.entries(index, index + 1)[0].body))


def _denied_case(log: DecisionLog, decider: Decider) -> int:
    asked = parse_request(DENIED)
    with log.engine.begin() as conn:
        return store.open_case(conn, asked.to_dict(), case_decision(decider.decide(asked)),
                               agency="ICE-ERO", log_index=None, source="desk", actor=FIRST)


def test_turning_a_deny_into_an_allow_needs_a_second_approver(log: DecisionLog,
                                                              decider: Decider) -> None:
    case_id = _denied_case(log, decider)
    grant = parse_exception("allow", [], "Flood evacuation: the shelter needs the list.",
                            "Emergency powers, MCC 2-4-160", 4)
    granted = grant_exception(log, decider, case_id, grant, actor=FIRST, at=AT)
    assert (granted.needs_second, granted.status(AT), granted.applies(AT)) == (
        True, "awaiting-approval", False)
    entry = _entry(log, granted.log_index)
    assert entry["kind"] == "exception" and entry["rules_outcome"] == "deny"
    assert entry["needs_second"] is True and entry["expires"] == "2026-12-03T07:00:00Z"
    assert "shelter" not in json.dumps(entry)  # the reason stays in the case file

    size = log.size()
    with pytest.raises(ReviewRefusedError, match="another person"):
        approve_exception(log, granted.id, actor=FIRST, at=AT)
    assert log.size() == size
    approved = approve_exception(log, granted.id, actor=SECOND, at=AT + dt.timedelta(hours=1))
    assert approved.approved_by == SECOND and approved.applies(AT + dt.timedelta(hours=1))
    approval = _entry(log, approved.approval_index or 0)
    assert approval == {"v": 1, "kind": "exception-approval", "time": approval["time"],
                        "actor": SECOND, "case": case_id, "exception": granted.log_index}
    assert not approved.applies(AT + dt.timedelta(hours=4))  # expired: stops applying
    with pytest.raises(ReviewRefusedError):
        approve_exception(log, granted.id, actor="staff:s-0000cccc", at=AT)
    with log.engine.connect() as conn:
        case = store.get_case(conn, case_id)
        assert [e.what for e in case.events] == ["opened", "exception", "exception-approved"]
        assert [e.id for e in store.list_exceptions(conn, case_id=case_id)] == [granted.id]


def test_the_setting_can_drop_the_second_approver(log: DecisionLog, decider: Decider) -> None:
    case_id = _denied_case(log, decider)
    grant = parse_exception("allow", [], "Emergency.", "Emergency order 1", 2)
    granted = grant_exception(log, decider, case_id, grant, actor=FIRST, second_required=False,
                              at=AT)
    assert not granted.needs_second and granted.applies(AT)


def test_an_exception_on_a_review_needs_one_approver(log: DecisionLog, decider: Decider) -> None:
    asked = parse_request(SPLIT)
    case_id = record_and_queue(log, asked, decider.decide(asked), actor=FIRST,
                               source="desk").case_id
    assert case_id is not None
    granted = grant_exception(log, decider, case_id,
                              parse_exception("allow", [], "Emergency.", "X 1", 1),
                              actor=FIRST, at=AT)
    assert granted.rules_outcome == "review" and granted.applies(AT)


def test_an_expired_exception_cannot_be_approved(log: DecisionLog, decider: Decider) -> None:
    case_id = _denied_case(log, decider)
    granted = grant_exception(log, decider, case_id,
                              parse_exception("allow", [], "Emergency.", "X 1", 1),
                              actor=FIRST, at=AT)
    later = AT + dt.timedelta(hours=1)
    assert granted.status(later) == "expired" and not granted.applies(later)
    with pytest.raises(ReviewRefusedError, match="expired"):
        approve_exception(log, granted.id, actor=SECOND, at=later)


def test_hours_not_days_and_no_status_words() -> None:
    for hours in (0, 25, "two"):
        with pytest.raises(InputError, match="hours"):
            parse_exception("allow", [], "Emergency.", "X 1", hours)
    with pytest.raises(InputError, match="immigration status"):
        parse_exception("allow", [], "She overstayed her visa.", "X 1", 2)


def test_unknown_case_or_exception(log: DecisionLog, decider: Decider) -> None:
    grant = parse_exception("deny", [], "No.", "X 1", 1)
    with pytest.raises(UnknownCaseError):
        grant_exception(log, decider, 999, grant, actor=FIRST)
    with pytest.raises(UnknownCaseError, match="no exception"):
        approve_exception(log, 999, actor=SECOND)
