"""A small decision log with numbers known by hand, recorded through the library and exported.

2025-03: ICE-ERO asks to be told of a release 7 times (deny, two clauses), CBP-USBP twice (deny,
the same two), ICE-HSI asks to interview a person in custody 3 times (deny, MCC 2-173-020(a)(2)),
FEMA asks for a city garage as a staging area 3 times (review: the rules of that day leave it to
a person); the FBI runs one gateway query (12 rows); one FBI key is issued and used once.
2025-04: ICE-ERO asks to be told of a release 6 times (deny); FEMA asks for the garage under the
rules of 2025-11-01 once (allow); one query by ICE-ERO is refused.

``answer`` (the ``answered`` fixture) adds what people did after: two reviews of FEMA's garage
(allowed with conditions in March, refused in April) and one of ICE-ERO's refused query
(refused, April); four exceptions: one that turned a deny into an allow, approved by a second
reviewer, for 4 hours (expired by the log's last entry), one that needed a second approver and
never got one (expired), one on an emergency power in the city's own words by an actor that is
no pseudonymous id (both left in the entry), and the last entry, in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sanctuarygate.audit.bundle import export_bundle, published_policy
from sanctuarygate.audit.entries import (
    ExceptionApprovalEntry,
    ExceptionEntry,
    KeyIssueEntry,
    KeyUseEntry,
    QueryCompleteEntry,
    QueryEntry,
    ReviewEntry,
)
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record, record_decision
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.policy.default import default_decider, default_library
from sanctuarygate.report import Families
from sanctuarygate.store.db import make_engine, upgrade


def ask(agency: str, action: str, resource: dict[str, Any], purpose: str, *,
        date: str = "2025-03-10", **context: Any) -> Request:
    return parse_request({"profile": "chicago", "date": date,
                          "principal": {"agency": agency}, "action": action,
                          "resource": resource,
                          "context": {"purpose": purpose, "document": {"kind": "none"},
                                      **context}})


RELEASE = ("notify-release", {"type": "Person", "in_custody": True},
           "civil-immigration-enforcement")
INTERVIEW = ("grant-access", {"type": "Person", "in_custody": True}, "criminal-investigation")
GARAGE = ("use-property", {"type": "Property", "kind": "garage", "owner": "city"},
          "disaster-relief")


def at(month: int, day: int = 5) -> dt.datetime:
    return dt.datetime(2025, month, day, 10, 0, tzinfo=dt.UTC)


def query(status: str, agency: str, when: dt.datetime) -> QueryEntry:
    return QueryEntry.of(status=status,  # type: ignore[arg-type]
                         at=when, agency=agency, key_id="0a1b2c3d", dataset="cpd-arrests",
                         purpose="criminal-investigation", document_kind="none",
                         onward_recipients=[], released=["charge"] if status == "released" else [],
                         withheld=[], filters=[], row_rules=[],
                         decision=Decision("allow" if status == "released" else "deny"), terms=[],
                         watermark_key="abc" if status == "released" else None)


@dataclass
class Built:
    log: DecisionLog
    export: Path
    trust: TrustPolicy
    policy_file: Path


def fill(log: DecisionLog, *, actor: str = "desk") -> None:
    decider = default_decider()
    plan = [(3, "ICE-ERO", RELEASE, 7, "2025-03-10"), (3, "CBP-USBP", RELEASE, 2, "2025-03-10"),
            (3, "ICE-HSI", INTERVIEW, 3, "2025-03-10"), (3, "FEMA", GARAGE, 3, "2025-03-10"),
            (4, "ICE-ERO", RELEASE, 6, "2025-03-10"), (4, "FEMA", GARAGE, 1, "2025-11-01")]
    with log.engine.begin() as conn:
        for month, agency, (action, resource, purpose), times, date in plan:
            extra = {"use": "staging-area"} if action == "use-property" else {}
            if action == "grant-access":
                extra = {"channel": "in-person"}
            request = ask(agency, action, resource, purpose, date=date, **extra)
            decision = decider.decide(request)
            for i in range(times):
                record_decision(conn, request, decision, actor=actor, at=at(month, 1 + i))
        q = record(conn, query("released", "FBI", at(3, 20)))
        record(conn, KeyUseEntry(time=at(3, 20), key_id="0a1b2c3d", agency="FBI",
                                 what="POST /api/v1/query"))
        record(conn, QueryCompleteEntry(query=q, rows=12))
        record(conn, KeyIssueEntry(time=at(3, 1), key_id="0a1b2c3d", agency="FBI"))
        record(conn, query("refused", "ICE-ERO", at(4, 20)))


#: The clause the exceptions rely on: a citation the log's decisions give.
CITED = "MCC 2-173-020(a)(3)"
REVIEWER, SECOND = "staff:s-0a1b2c3d", "staff:s-11223344"


def exception(case: int, decision: int, when: dt.datetime, hours: int, *, rules: str,
              outcome: str, second: bool, clause: str = CITED,
              actor: str = REVIEWER) -> ExceptionEntry:
    return ExceptionEntry(time=when, actor=actor, case=case, decision=decision,
                          rules_outcome=rules, outcome=outcome, conditions=(), clause=clause,
                          expires=when + dt.timedelta(hours=hours), needs_second=second)


def answer(log: DecisionLog) -> dict[str, int]:
    """Reviews and exceptions on ``fill``'s log (entries 0-26); the new entries' indexes."""
    made: dict[str, int] = {}
    with log.engine.begin() as conn:
        for name, decision, month, outcome in (("review-1", 12, 3, "allow-with-conditions"),
                                               ("review-2", 13, 4, "deny"),
                                               ("review-q", 26, 4, "deny")):
            made[name] = record(conn, ReviewEntry(
                time=at(month, 21), actor=REVIEWER, case=decision, decision=decision,
                outcome=outcome, conditions=("no-onward-sharing",)
                if outcome == "allow-with-conditions" else (), clause=CITED))
        made["approved"] = record(conn, exception(1, 0, at(4, 10), 4, rules="deny",
                                                  outcome="allow", second=True))
        made["approval"] = record(conn, ExceptionApprovalEntry(
            time=at(4, 10) + dt.timedelta(hours=1), actor=SECOND, case=1,
            exception=made["approved"]))
        made["unapproved"] = record(conn, exception(2, 1, at(4, 12), 2, rules="deny",
                                                    outcome="allow", second=True))
        made["own-words"] = record(conn, exception(
            3, 2, at(4, 14), 6, rules="deny", outcome="deny", second=False,
            clause="Emergency order read out by Jane Roe", actor="jroe"))
        made["in-force"] = record(conn, exception(4, 21, at(4, 25), 24, rules="allow",
                                                  outcome="deny", second=False))
    return made


def build(tmp_path: Path, *, answered: bool = False, engine: Engine | None = None) -> Built:
    """``fill``'s log (and ``answer``'s), exported; on SQLite unless ``engine`` is given."""
    engine = engine or make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="test.example/log", data_dir=tmp_path / "data")
    fill(log)
    if answered:
        answer(log)
    export_bundle(log, tmp_path / "export")
    trust = published_policy(log)
    policy_file = tmp_path / "policy"
    policy_file.write_text(trust.text(), encoding="utf-8")
    return Built(log, tmp_path / "export", trust, policy_file)


@pytest.fixture
def built(tmp_path: Path) -> Built:
    return build(tmp_path)


@pytest.fixture
def answered(tmp_path: Path) -> Built:
    """``built``, with ``answer``'s reviews and exceptions."""
    return build(tmp_path, answered=True)


@pytest.fixture(scope="session")
def families() -> Families:
    return Families(default_library().directory)
