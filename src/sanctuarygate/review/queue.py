"""The review queue's operations: record a decision (opening a case when it is a ``review``),
and decide a case. The desk, the API and the CLI call these; none builds a log entry itself.

    recorded = record_and_queue(log, request, decision, actor=member.actor, source="desk")
    recorded.log_index, recorded.case_id          # case_id: None unless the outcome is review
    case = decide_case(log, decider, recorded.case_id, answer, actor=reviewer.actor)

A review is stored with its log entry (kind ``review``, linked to the decision's index) in one
transaction, or not at all. It decides only what the rules left open: the stored request is
decided again, and when the packs give ``deny`` an allow is refused
(:func:`sanctuarygate.domain.case.check_review`). The clause relied on must be a citation of a
rule in force for the request (:func:`sanctuarygate.review.split.clauses`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sanctuarygate.audit.entries import ReviewEntry
from sanctuarygate.audit.group import GrantLapsed
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record, record_decision
from sanctuarygate.domain.case import Case, ReviewAnswer, check_columns, check_review, within
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.intake import Intake
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.review.split import Side, clauses, sides
from sanctuarygate.store import case as store
from sanctuarygate.store.case_document import record_verification
from sanctuarygate.store.staff import TokenGrant, lapsed_grants


@dataclass(frozen=True, slots=True)
class Recorded:
    """Where a recorded decision went: its log index, and its case when it was a review."""

    log_index: int
    case_id: int | None


def record_and_queue(log: DecisionLog, request: Request, decision: Decision, *, actor: str,
                     source: str, asked_by: str | None = None,
                     contact: str | None = None, intake: Intake | None = None,
                     grant: TokenGrant | None = None) -> Recorded:
    """Record ``decision`` in the log and, when it is a ``review``, open its case in the same
    transaction (both or neither). Any other outcome is recorded as ``DecisionLog.record``
    does (with the decisions other requests record at the same moment). ``grant``: the staff
    token ``actor`` was authenticated with, checked again in the transaction that records
    (``GrantLapsed`` if it no longer holds: nothing recorded, no case opened).

    ``intake`` (who asked, about whom, the document's verification: ``domain/intake.py``)
    goes into the case only, never into the log entry; an answer that opens no case keeps
    none of it. ``asked_by`` and ``contact`` are the same facts given one by one."""
    told = intake or Intake()
    if decision.outcome != "review":
        return Recorded(log.record(request, decision, actor=actor, grant=grant), None)
    _ = log.signer  # the first append makes sure a key exists, and says so
    with log.engine.begin() as conn:
        if grant is not None and lapsed_grants(conn, {grant}):
            raise GrantLapsed()
        index = record_decision(conn, request, decision, actor=actor)
        case_id = store.open_case(
            conn, request.to_dict(), case_decision(decision), agency=request.principal.id,
            log_index=index, source=source, actor=actor, asked_by=told.asked_by or asked_by,
            contact=told.contact or contact, person_ref=told.person_ref)
        record_verification(conn, case_id, told)
    return Recorded(index, case_id)


def case_decision(decision: Decision) -> dict[str, Any]:
    """The decision as a case keeps it: the outcome, the deciding rules by id and citation,
    the obligations, the facts not known and the packs. Not the desk's words (explanation,
    advice), which the rules give again: the case keeps only what the record needs.

    >>> case_decision(Decision("review", explanation="A person decides."))["outcome"]
    'review'
    """
    return {"outcome": decision.outcome,
            "rules": [{"id": r.id, "citation": r.citation, "effect": r.effect, "pack": r.pack}
                      for r in decision.rules],
            "obligations": [o.to_dict() for o in decision.obligations],
            "unresolved_facts": list(decision.unresolved_facts),
            "packs": [p.to_dict() for p in decision.packs],
            "profile": decision.profile, "date": decision.date}


def decide_case(log: DecisionLog, decider: Decider, case_id: int, answer: ReviewAnswer, *,
                actor: str, at: dt.datetime | None = None,
                columns: list[str] | tuple[str, ...] | None = None,
                sources: Iterable[str] | None = None) -> Case:
    """A reviewer's answer on a case: checked against the rules, then recorded in the log and
    the case together. Returns the decided case. ``sources``: the case sources the reviewer
    may decide (the records unit: the gateway's); another case is no case (404).

    On a gateway case an allow names the ``columns`` released: some of those the query asked
    for that the rules leave open (``Case.offered``), never more (``check_columns``); they go
    in the ``review`` entry and the case."""
    when = at or dt.datetime.now(dt.UTC)
    _ = log.signer
    with log.engine.begin() as conn:
        case = within(store.get_case(conn, case_id, lock=True), sources)
        asked = parse_request(case.request)
        now = decider.decide(asked)
        check_review(answer, rules_outcome="deny" if "deny" in (now.outcome, case.outcome)
                     else now.outcome)
        if answer.clause not in clauses(decider, asked, now):
            raise InputError(f"{answer.clause!r} is not the citation of a rule in force for "
                             "this request", field="clause")
        answer = check_columns(answer, columns, offered=case.offered, needed=case.needed)
        index = record(conn, ReviewEntry(
            time=when, actor=actor, case=case.id, decision=case.log_index,
            outcome=answer.outcome, conditions=answer.conditions, clause=answer.clause,
            columns=answer.columns), at=when)
        return store.record_review(conn, case.id, answer, actor=actor, log_index=index, at=when)


@dataclass(frozen=True, slots=True)
class CaseView:
    """What a reviewer needs to decide a case: the case, the request, the rules' answer now,
    the sides of the split and the clauses that may be relied on."""

    case: Case
    request: Request
    decision: Decision
    sides: list[Side]
    clauses: list[str]


def view_case(log: DecisionLog, decider: Decider, case_id: int, *,
              sources: Iterable[str] | None = None) -> CaseView:
    """The case with everything its page shows (only from ``sources``, when given)."""
    with log.engine.connect() as conn:
        case = within(store.get_case(conn, case_id), sources)
    asked = parse_request(case.request)
    decision = decider.decide(asked)
    split = sides(decider, asked)
    return CaseView(case, asked, decision, split, clauses(decider, asked, decision, split))
